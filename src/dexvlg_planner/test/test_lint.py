"""Style gate: ruff (pycodestyle, pyflakes, pep257 docstrings, import order) over this package."""

import subprocess
import sys
from pathlib import Path


def test_ruff_clean():
    package_dir = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(package_dir)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""Style gate for the workspace-level Python (scripts, launch files, these tests); packages lint themselves."""

import subprocess
import sys
from pathlib import Path

WS_ROOT = Path(__file__).resolve().parents[1]


def test_ruff_clean():
    paths = [str(WS_ROOT / d) for d in ("scripts", "launch", "test")]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *paths],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

"""Bad input to the bootstrap ends with a message that says what to do, never a stack trace."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

WS_ROOT = Path(__file__).resolve().parents[1]
BOOTSTRAP = WS_ROOT / "scripts" / "bootstrap.sh"


def run_bootstrap(env_overrides: dict[str, str], timeout: float = 300.0) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env.update(env_overrides)
    return subprocess.run(["bash", str(BOOTSTRAP)], capture_output=True, text=True, env=env, timeout=timeout)


def test_missing_python_311(tmp_path):
    result = run_bootstrap({"PYTHON": "python3.11-does-not-exist", "DEXVLG_VENV": str(tmp_path / "venv"),
                            "DEXVLG_ROS_PREFIX": str(tmp_path / "no_ros")})
    assert result.returncode != 0
    assert "Python 3.11 was not found" in result.stderr and "PYTHON=" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_wrong_python_version(tmp_path):
    fake = tmp_path / "python3.11"
    fake.write_text("#!/bin/sh\necho 3.9\n")
    fake.chmod(0o755)
    result = run_bootstrap({"PYTHON": str(fake), "DEXVLG_VENV": str(tmp_path / "venv"),
                            "DEXVLG_ROS_PREFIX": str(tmp_path / "no_ros")})
    assert result.returncode != 0
    assert "is Python 3.9, but Python 3.11 is needed" in result.stderr


def test_no_network_to_the_registry(tmp_path):
    """A registry that cannot be reached (a closed loopback port) gives advice, and keeps what exists."""
    result = run_bootstrap({
        "DEXVLG_VENV": str(tmp_path / "venv"),
        "DEXVLG_ROS_PREFIX": str(tmp_path / "no_ros"),
        "PIP_CONFIG_FILE": "/dev/null",
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
        "PIP_RETRIES": "0",
        "PIP_TIMEOUT": "3",
    })
    assert result.returncode != 0
    assert "cannot reach the Python package registry" in result.stderr
    assert "run the same command again" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "venv" / "bin" / "python").exists()  # the venv made so far is kept for the retry


def test_half_built_install_is_rebuilt():
    """A package missing from install/ (an interrupted build) is noticed and rebuilt, not trusted."""
    marker = WS_ROOT / "install" / "dexvlg_bringup" / "share" / "dexvlg_bringup" / "package.xml"
    assert marker.exists(), "run the bootstrap before the workspace tests"
    backup = marker.read_bytes()
    marker.unlink()
    try:
        result = run_bootstrap({})
        assert result.returncode == 0, result.stderr[-2000:]
        assert "install/ lacks dexvlg_bringup: rebuilding" in result.stdout
        assert marker.exists()
    finally:
        if not marker.exists():
            marker.write_bytes(backup)


def test_second_run_is_fast():
    start = time.monotonic()
    result = run_bootstrap({})
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stderr[-2000:]
    assert "workspace up to date" in result.stdout
    assert elapsed < 30.0, f"a bootstrap with nothing to do took {elapsed:.1f} s"


def test_env_script_needs_the_venv(tmp_path):
    result = subprocess.run(["bash", "-c", f"DEXVLG_VENV={tmp_path}/none source {WS_ROOT}/scripts/env.sh"],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "run scripts/bootstrap.sh" in result.stderr


def test_shell_scripts_parse():
    for script in ("bootstrap.sh", "env.sh"):
        assert subprocess.run(["bash", "-n", str(WS_ROOT / "scripts" / script)]).returncode == 0
    assert shutil.which("bash")

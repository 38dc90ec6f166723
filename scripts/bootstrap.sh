#!/usr/bin/env bash
# Set up the DexVLG workspace on this machine, from nothing, without knowing ROS:
#   - with ROS 2 Jazzy from apt (/opt/ros/jazzy): source it, rosdep-install the workspace's keys, and make a
#     .venv on top of the system Python for the pip-only dependencies;
#   - without it (e.g. Debian 12): make .venv with Python 3.11 and install ROS 2 Jazzy (rclpy, Fast DDS, message
#     and ament/rosidl build packages) from PyPI wheels, fixing the wheels' CMake export paths;
#   then install the pinned Python dependencies (torch: CPU wheel unless DEXVLG_TORCH=cuda) and colcon build.
# Idempotent: each step stamps what it did and is skipped while its inputs are unchanged.
#
# Environment: PYTHON (interpreter for the .venv, default python3.11), DEXVLG_VENV (default <ws>/.venv),
# DEXVLG_TORCH (cpu | cuda, default cpu), DEXVLG_ROS_PREFIX (default /opt/ros/jazzy).
set -euo pipefail

WS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${DEXVLG_VENV:-$WS/.venv}"
PYTHON="${PYTHON:-python3.11}"
TORCH_FLAVOR="${DEXVLG_TORCH:-cpu}"
ROS_PREFIX="${DEXVLG_ROS_PREFIX:-/opt/ros/jazzy}"
TORCH_VERSION="2.13.0"
LOG_DIR="$WS/log/bootstrap"
mkdir -p "$LOG_DIR"

say() { printf 'bootstrap: %s\n' "$*"; }
die() {
  printf '\nbootstrap: ERROR: %s\n' "$1" >&2
  shift
  for line in "$@"; do printf '  %s\n' "$line" >&2; done
  exit 1
}

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }

# pip, with its output kept in a log; a failure is explained instead of dumped.
pip_install() {
  local log="$LOG_DIR/pip.log"
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check "$@" >"$log" 2>&1; then
    if grep -qiE "NewConnectionError|Failed to establish|name resolution|Network is unreachable|ConnectTimeout|Max retries exceeded|Could not fetch URL|ProxyError|connection refused" "$log" ||
        ! registry_reachable; then
      die "cannot reach the Python package registry (PyPI) to install: $*" \
        "Check the network or proxy (HTTPS_PROXY, PIP_INDEX_URL) and run the same command again;" \
        "what was already installed is kept. pip's output: $log"
    fi
    tail -n 15 "$log" >&2
    die "pip could not install: $*" "Full output: $log"
  fi
}

# pip may only say "from versions: none" when its index is unreachable; ask the index directly.
registry_reachable() {
  "$VENV/bin/python" - <<'PY' >/dev/null 2>&1
import os, subprocess, sys, urllib.request
url = os.environ.get("PIP_INDEX_URL") or subprocess.run(
    [sys.executable, "-m", "pip", "config", "get", "global.index-url"], capture_output=True, text=True
).stdout.strip() or "https://pypi.org/simple"
urllib.request.urlopen(url.rstrip("/") + "/pip/", timeout=10)
PY
}

ros_mode() { [ -f "$ROS_PREFIX/setup.bash" ] && echo apt || echo wheels; }

# --- 1. Python environment -------------------------------------------------------------------------------
make_venv() {
  local mode="$1" base_python
  if [ "$mode" = apt ]; then
    base_python="/usr/bin/python3"
  else
    base_python="$(command -v "$PYTHON" || true)"
    [ -n "$base_python" ] || die "Python 3.11 was not found (looked for '$PYTHON')." \
      "ROS 2 Jazzy's PyPI wheels exist only for Python 3.11. Install it (Debian/Ubuntu: apt install python3.11" \
      "python3.11-venv, or pyenv install 3.11) or point PYTHON at one: PYTHON=/path/to/python3.11 make test"
    local version
    version="$("$base_python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
    [ "$version" = "3.11" ] || die "'$base_python' is Python ${version:-?}, but Python 3.11 is needed." \
      "ROS 2 Jazzy's PyPI wheels exist only for Python 3.11; set PYTHON=/path/to/python3.11."
  fi
  if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    say "$VENV is broken (its interpreter does not start); recreating it"
    rm -rf "$VENV"
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV with $base_python"
    local flags=()
    [ "$mode" = apt ] && flags+=(--system-site-packages)
    "$base_python" -m venv "${flags[@]}" "$VENV" ||
      die "could not create a virtual environment with $base_python." \
        "On Debian/Ubuntu install the venv module: apt install python3.11-venv (or python3-venv)."
  fi
}

# The wheels' CMake export files name the wheel builder's Python and numpy include dirs; point them here.
fix_wheel_cmake_paths() {
  local py_include np_include files
  py_include="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
  np_include="$("$VENV/bin/python" -c 'import numpy; print(numpy.get_include())')"
  files="$(grep -rlF --include='*.cmake' '/opt/python/cp311-cp311' "$VENV/share" "$VENV/lib" 2>/dev/null || true)"
  [ -n "$files" ] || return 0
  say "rewriting wheel CMake paths in $(echo "$files" | wc -l) files"
  echo "$files" | xargs sed -i \
    -e "s#/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include#$np_include#g" \
    -e "s#/opt/python/cp311-cp311/include/python3.11#$py_include#g"
}

install_torch() {
  if [ "$TORCH_FLAVOR" = cuda ]; then
    pip_install "torch==$TORCH_VERSION"
  elif ! "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "torch==$TORCH_VERSION+cpu" \
      >"$LOG_DIR/torch.log" 2>&1; then
    # Not in the configured indexes: the CPU build lives on PyTorch's own index.
    pip_install "torch==$TORCH_VERSION+cpu" --extra-index-url https://download.pytorch.org/whl/cpu
  fi
}

install_deps() {
  local mode="$1" stamp="$VENV/.dexvlg-deps" want
  want="$(hash_of "$WS"/requirements/*.txt "$WS/scripts/bootstrap.sh"; echo "$mode $TORCH_FLAVOR")"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  say "installing Python dependencies into $VENV (log: $LOG_DIR/pip.log)"
  pip_install --upgrade "pip>=24"
  install_torch
  if [ "$mode" = apt ]; then
    # rclpy and the message packages come from apt, built against the system numpy: keep that numpy. colcon
    # goes into the venv too, so that installed nodes run with the venv's Python (torch, mujoco, ...).
    { grep -v -E '^numpy' "$WS/requirements/python.txt"; grep -E '^colcon' "$WS/requirements/ros-jazzy.txt"; } \
      >"$LOG_DIR/python-apt.txt"
    pip_install -r "$LOG_DIR/python-apt.txt"
  else
    pip_install -r "$WS/requirements/ros-jazzy.txt" -r "$WS/requirements/python.txt" \
      -c "$WS/requirements/constraints.txt"
    fix_wheel_cmake_paths
  fi
  pip_install --no-deps -r "$WS/requirements/assets-nodeps.txt"
  echo "$want" >"$stamp"
}

rosdep_install() {
  if ! command -v rosdep >/dev/null 2>&1; then
    say "rosdep not found: skipping system dependencies (apt install python3-rosdep to enable)"
    return 0
  fi
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  [ -d /etc/ros/rosdep/sources.list.d ] || $sudo rosdep init || true
  rosdep update --rosdistro jazzy >/dev/null 2>&1 || say "rosdep update failed (offline?); using its cache"
  rosdep install --from-paths "$WS/src" --ignore-src --rosdistro jazzy -y -r ||
    say "rosdep could not install every key; see its output above"
}

# --- 2. Build --------------------------------------------------------------------------------------------
PACKAGES() { find "$WS/src" -name package.xml -not -path '*/build/*' -exec dirname {} \; | xargs -n1 basename | sort; }

sources_hash() {
  (cd "$WS" && find src msg srv action launch config colcon.meta -type f \
      -not -name '*.pyc' -not -path '*/__pycache__/*' -not -path '*/.pytest_cache/*' -not -path '*/.ruff_cache/*' \
      -print0 2>/dev/null | sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

install_complete() {
  [ -d "$WS/install" ] || return 1
  [ -f "$WS/install/setup.bash" ] || { say "install/ lacks setup.bash: rebuilding"; return 1; }
  local pkg
  for pkg in $(PACKAGES); do
    [ -f "$WS/install/$pkg/share/$pkg/package.xml" ] || { say "install/ lacks $pkg: rebuilding"; return 1; }
  done
}

build() {
  local stamp="$WS/install/.dexvlg-build" want
  want="$(sources_hash)"
  if install_complete && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    say "workspace up to date (install/)"
    return 0
  fi
  rm -f "$stamp"
  say "colcon build (log: $WS/log/latest_build)"
  local out="$LOG_DIR/colcon-build.log"
  if ! (cd "$WS" && "$VENV/bin/colcon" build --cmake-args -DBUILD_TESTING=ON -DPython3_EXECUTABLE="$VENV/bin/python" \
          >"$out" 2>&1); then
    tail -n 30 "$out" >&2
    if grep -qE "does not match the source|CMakeCache.txt directory .* is different" "$out" "$WS"/log/latest_build/*/stdout_stderr.log 2>/dev/null; then
      die "build/ was configured in another directory (the workspace moved)." \
        "Remove the old build: make clean (or rm -rf build install log), then run the command again."
    fi
    die "colcon build failed." "Its output: $out and $WS/log/latest_build/<package>/stdout_stderr.log." \
      "If install/ or build/ is half-built from an interrupted run: make clean, then run again."
  fi
  echo "$want" >"$stamp"
}

main() {
  local mode
  mode="$(ros_mode)"
  if [ "$mode" = apt ]; then
    say "using ROS 2 Jazzy from $ROS_PREFIX"
    set +u
    # shellcheck disable=SC1091
    source "$ROS_PREFIX/setup.bash"
    set -u
    rosdep_install
  fi
  make_venv "$mode"
  install_deps "$mode"
  ldconfig -p 2>/dev/null | grep -q 'libEGL.so.1' ||
    say "warning: libEGL not found; MuJoCo offscreen rendering (MUJOCO_GL=egl) needs it: apt install libegl1"
  # shellcheck source=env.sh
  DEXVLG_ENV_NO_INSTALL=1 source "$WS/scripts/env.sh"
  [ -x "$VENV/bin/colcon" ] || die "colcon is not installed in $VENV." \
    "Delete $VENV/.dexvlg-deps and run again to reinstall the dependencies."
  build
}

main "$@"

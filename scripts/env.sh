# Source this file to work in the DexVLG workspace: ROS 2 Jazzy (apt install or .venv wheels), the .venv and,
# once built, the workspace's install/ overlay.   source scripts/env.sh
# (DEXVLG_ENV_NO_INSTALL=1 skips the overlay; the bootstrap uses it before the first build.)
_dexvlg_ws="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_dexvlg_venv="${DEXVLG_VENV:-$_dexvlg_ws/.venv}"
_dexvlg_ros="${DEXVLG_ROS_PREFIX:-/opt/ros/jazzy}"

if [ ! -x "$_dexvlg_venv/bin/python" ]; then
  echo "scripts/env.sh: $_dexvlg_venv does not exist yet: run scripts/bootstrap.sh (or make test) first" >&2
  return 1 2>/dev/null || exit 1
fi

_dexvlg_nounset=0
case $- in *u*) _dexvlg_nounset=1; set +u ;; esac

if [ -f "$_dexvlg_ros/setup.bash" ]; then
  # shellcheck disable=SC1091
  source "$_dexvlg_ros/setup.bash"
else
  # ROS from wheels: the venv is the underlay. rclpy finds its RMW and type support through the ament index
  # (AMENT_PREFIX_PATH) and the wheels' shared libraries through LD_LIBRARY_PATH; setting both here spares
  # every Python start the re-exec that ros_wheels_bootstrapper would otherwise do.
  _dexvlg_site="$("$_dexvlg_venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  _dexvlg_libs="$_dexvlg_venv/lib"
  for _d in "$_dexvlg_site"/ros_*.libs; do [ -d "$_d" ] && _dexvlg_libs="$_dexvlg_libs:$_d"; done
  export LD_LIBRARY_PATH="$_dexvlg_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export _ROS_WHEELS_BOOTSTRAP_COMPLETE=1
  export AMENT_PREFIX_PATH="$_dexvlg_venv${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
  export CMAKE_PREFIX_PATH="$_dexvlg_venv${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  export ROS_DISTRO=jazzy ROS_VERSION=2 ROS_PYTHON_VERSION=3
  export RMW_IMPLEMENTATION="${RMW_IMPLEMENTATION:-rmw_fastrtps_cpp}"
  unset _d _dexvlg_site _dexvlg_libs
fi

# shellcheck disable=SC1091
source "$_dexvlg_venv/bin/activate"

if [ -z "${DEXVLG_ENV_NO_INSTALL:-}" ] && [ -f "$_dexvlg_ws/install/setup.bash" ]; then
  # shellcheck disable=SC1091
  source "$_dexvlg_ws/install/setup.bash"
  # The `dexvlg` command line (console scripts of ament_python packages install to lib/<package>/).
  [ -d "$_dexvlg_ws/install/dexvlg_data/lib/dexvlg_data" ] && export PATH="$_dexvlg_ws/install/dexvlg_data/lib/dexvlg_data:$PATH"
fi
export MUJOCO_GL="${MUJOCO_GL:-egl}"

[ "$_dexvlg_nounset" = 1 ] && set -u
unset _dexvlg_ws _dexvlg_venv _dexvlg_ros _dexvlg_nounset

"""Every package of the layout exists with a format-3 package.xml, a README, a lint test, and is installed."""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

WS_ROOT = Path(__file__).resolve().parents[1]
LAYOUT = ["dexvlg_interfaces", "dexvlg_core", "dexvlg_model", "dexvlg_data", "dexvlg_ros", "dexvlg_perception",
          "dexvlg_planner", "dexvlg_grasp_filter", "dexvlg_execution", "dexvlg_sim", "dexvlg_bringup"]
PURE_PYTHON = ["dexvlg_core", "dexvlg_model", "dexvlg_data"]
# ROS package names of this workspace and its ROS dependencies, plus the rosdep keys the package.xml files use.
KNOWN_KEYS = set(LAYOUT) | {
    "ament_cmake", "rosidl_default_generators", "rosidl_default_runtime", "ament_cmake_pytest", "rclpy",
    "std_msgs", "geometry_msgs", "sensor_msgs", "action_msgs", "visualization_msgs", "python3-numpy",
    "python3-scipy", "python3-yaml", "python3-torch", "python3-tqdm", "python3-matplotlib", "python3-pytest",
}


@pytest.mark.parametrize("package", LAYOUT)
def test_package_is_complete(package):
    root = WS_ROOT / "src" / package
    manifest = ET.parse(root / "package.xml").getroot()
    assert manifest.get("format") == "3"
    assert manifest.findtext("name") == package
    for tag in ("version", "description", "maintainer", "license"):
        assert (manifest.findtext(tag) or "").strip(), f"{package}: <{tag}> is empty"
    keys = {e.text for e in manifest if e.tag.endswith("depend")}
    assert keys <= KNOWN_KEYS, f"{package}: unknown dependency keys {keys - KNOWN_KEYS}"
    assert (root / "README.md").read_text().strip()
    assert list((root / "test").glob("test_*.py")), f"{package} has no tests"
    assert (WS_ROOT / "install" / package / "share" / package / "package.xml").exists(), f"{package} not built"


@pytest.mark.parametrize("package", PURE_PYTHON)
def test_pure_packages_do_not_import_ros(package):
    """Logic lives in packages importable without a ROS graph: no rclpy, no message packages."""
    for source in (WS_ROOT / "src" / package / package).rglob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                root = name.split(".")[0]
                assert root not in {"rclpy", "sensor_msgs", "std_msgs", "geometry_msgs", "dexvlg_interfaces",
                                    "dexvlg_ros"}, f"{source.relative_to(WS_ROOT)} imports {name}"


def test_top_level_layout():
    for entry in ("src", "launch", "config", "msg", "srv", "action", "docker", "test", "colcon.meta", "README.md",
                  "Makefile", ".ci/run"):
        assert (WS_ROOT / entry).exists(), entry


def test_launch_files_build_their_graph():
    """Launch files are thin: each names a graph defined in config/graphs/."""
    for launch_file in (WS_ROOT / "launch").glob("*.launch.py"):
        graph = launch_file.name.removesuffix(".launch.py")
        assert (WS_ROOT / "config" / "graphs" / f"{graph}.yaml").exists()
        assert f'launch_description("{graph}")' in launch_file.read_text()

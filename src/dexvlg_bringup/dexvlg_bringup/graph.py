"""Node sets ("graphs") of the launch files, defined once in config/graphs/<name>.yaml.

The launch files (ROS 2 installs with the ``launch`` package) and :mod:`dexvlg_bringup.runner` (machines without
it) both build their processes from :func:`load_graph`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

PACKAGE = "dexvlg_bringup"


def config_dir() -> Path:
    """The installed share/dexvlg_bringup/config, or the source tree's config/ when not installed."""
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory

        try:
            return Path(get_package_share_directory(PACKAGE)) / "config"
        except PackageNotFoundError:
            pass
    except ImportError:
        pass
    return Path(__file__).resolve().parents[3] / "config"


@dataclass(frozen=True)
class NodeSpec:
    """One node of a graph: what to start and with which parameters."""

    package: str
    executable: str
    name: str
    namespace: str = ""
    parameter_files: tuple[Path, ...] = ()
    remappings: tuple[tuple[str, str], ...] = ()
    arguments: tuple[str, ...] = ()

    def ros_args(self, overrides: dict[str, str] | None = None) -> list[str]:
        """The ``--ros-args`` part of the command line that starts this node."""
        args = [*self.arguments, "--ros-args", "-r", f"__node:={self.name}"]
        if self.namespace:
            args += ["-r", f"__ns:=/{self.namespace.strip('/')}"]
        for path in self.parameter_files:
            args += ["--params-file", str(path)]
        for key, value in (overrides or {}).items():
            args += ["-p", f"{key}:={value}"]
        for source, target in self.remappings:
            args += ["-r", f"{source}:={target}"]
        return args


@dataclass(frozen=True)
class Graph:
    """A named node set."""

    name: str
    nodes: tuple[NodeSpec, ...] = field(default_factory=tuple)


def available_graphs(directory: Path | None = None) -> list[str]:
    """Names of the graphs defined in config/graphs/."""
    return sorted(p.stem for p in ((directory or config_dir()) / "graphs").glob("*.yaml"))


def load_graph(name: str, directory: Path | None = None) -> Graph:
    """Read config/graphs/<name>.yaml; raises ValueError naming what is wrong."""
    directory = directory or config_dir()
    path = directory / "graphs" / f"{name}.yaml"
    if not path.is_file():
        raise ValueError(f"no graph {name!r} in {directory / 'graphs'}; available: {available_graphs(directory)}")
    data = yaml.safe_load(path.read_text()) or {}
    nodes = []
    for i, entry in enumerate(data.get("nodes", [])):
        missing = {"package", "executable", "name"} - set(entry)
        if missing:
            raise ValueError(f"{path}: node {i} lacks {sorted(missing)}")
        files = tuple(directory / f for f in entry.get("parameters", []))
        for f in files:
            if not f.is_file():
                raise ValueError(f"{path}: node {entry['name']!r} names a missing parameter file {f}")
        nodes.append(
            NodeSpec(
                package=entry["package"],
                executable=entry["executable"],
                name=entry["name"],
                namespace=entry.get("namespace", ""),
                parameter_files=files,
                remappings=tuple((str(k), str(v)) for k, v in (entry.get("remappings") or {}).items()),
                arguments=tuple(str(a) for a in entry.get("arguments", [])),
            )
        )
    if not nodes:
        raise ValueError(f"{path} defines no nodes")
    return Graph(name=name, nodes=tuple(nodes))


def launch_description(name: str):  # -> launch.LaunchDescription, imported lazily: launch may be absent
    """A LaunchDescription starting the graph's nodes (for the launch files)."""
    from launch_ros.actions import Node

    from launch import LaunchDescription

    return LaunchDescription(
        [
            Node(
                package=node.package,
                executable=node.executable,
                name=node.name,
                namespace=node.namespace or None,
                parameters=[str(p) for p in node.parameter_files],
                remappings=list(node.remappings),
                arguments=list(node.arguments),
                output="screen",
            )
            for node in load_graph(name).nodes
        ]
    )

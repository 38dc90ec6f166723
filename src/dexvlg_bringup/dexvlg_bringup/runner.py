"""Start a DexVLG graph without the ``launch`` package: ``python -m dexvlg_bringup.runner sim``.

Reads the same config/graphs/<name>.yaml as the launch files. Starts every node, forwards SIGINT/SIGTERM to them,
stops the whole graph when one node dies, and leaves no orphan: each child gets PR_SET_PDEATHSIG, so even a
SIGKILLed runner takes its nodes with it.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from dexvlg_bringup.graph import Graph, NodeSpec, available_graphs, load_graph

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel sends SIGTERM to it when the runner dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def executable_path(node: NodeSpec) -> Path:
    """lib/<package>/<executable> of an installed package, as ``ros2 run`` resolves it."""
    from ament_index_python.packages import PackageNotFoundError, get_package_prefix

    try:
        prefix = Path(get_package_prefix(node.package))
    except PackageNotFoundError:
        raise FileNotFoundError(
            f"package {node.package!r} (node {node.name!r}) is not installed or not sourced "
            "(source scripts/env.sh after building)"
        ) from None
    path = prefix / "lib" / node.package / node.executable
    if not os.access(path, os.X_OK):
        raise FileNotFoundError(f"{path} does not exist or is not executable")
    return path


@dataclass
class GraphRunner:
    """The processes of one graph."""

    graph: Graph
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)  # node name -> {param: value}
    stop_timeout: float = 10.0
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self) -> None:
        """Start every node; if one cannot start, stop those already started and raise."""
        commands = {
            n.name: [str(executable_path(n)), *n.ros_args(self.overrides.get(n.name))] for n in self.graph.nodes
        }
        for name, command in commands.items():
            self.processes[name] = subprocess.Popen(command, preexec_fn=_die_with_parent)
            print(f"[runner] started {name} (pid {self.processes[name].pid})", flush=True)

    def send(self, sig: int) -> None:
        """Forward a signal to every running node."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(sig)

    def stop(self) -> None:
        """SIGINT (ROS shutdown), then SIGTERM, then SIGKILL for whatever is still alive."""
        for sig, wait in ((signal.SIGINT, self.stop_timeout), (signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
            self.send(sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and any(p.poll() is None for p in self.processes.values()):
                time.sleep(0.05)
            if all(p.poll() is not None for p in self.processes.values()):
                return

    def wait(self) -> int:
        """Block until a node exits or a signal asks to stop; then stop the rest. Returns an exit code."""
        stop_requested: list[int] = []

        def on_signal(signum: int, _frame: object) -> None:
            stop_requested.append(signum)

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            while not stop_requested:
                exited = {n: p.returncode for n, p in self.processes.items() if p.poll() is not None}
                if exited:
                    print(f"[runner] node(s) exited: {exited}; stopping the graph", flush=True)
                    self.stop()
                    return 1 if any(code != 0 for code in exited.values()) else 0
                time.sleep(0.1)
            print(f"[runner] {signal.Signals(stop_requested[0]).name}: stopping the graph", flush=True)
            self.stop()
            return 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _parse_overrides(items: list[str]) -> dict[str, dict[str, str]]:
    overrides: dict[str, dict[str, str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        node, dot, param = key.partition(".")
        if not sep or not dot:
            raise SystemExit(f"--param expects node.parameter=value, got {item!r}")
        overrides.setdefault(node, {})[param] = value
    return overrides


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graph", help=f"graph name: {', '.join(available_graphs())}")
    parser.add_argument("--param", action="append", default=[], metavar="NODE.PARAM=VALUE",
                        help="override a node parameter (repeatable)")
    args = parser.parse_args(argv)
    try:
        runner = GraphRunner(load_graph(args.graph), overrides=_parse_overrides(args.param))
        runner.start()
    except (ValueError, FileNotFoundError) as error:
        print(f"[runner] error: {error}", file=sys.stderr)
        return 2
    return runner.wait()


if __name__ == "__main__":
    sys.exit(main())

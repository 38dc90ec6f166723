from pathlib import Path

import pytest

from dexvlg_bringup.graph import available_graphs, config_dir, load_graph


def write_graph(tmp_path: Path, text: str) -> Path:
    (tmp_path / "graphs").mkdir()
    (tmp_path / "graphs" / "g.yaml").write_text(text)
    (tmp_path / "p.yaml").write_text("{}\n")
    return tmp_path


def test_installed_graphs_load():
    assert (config_dir() / "graphs").is_dir()
    for name in available_graphs():
        graph = load_graph(name)
        assert graph.nodes and all(node.name for node in graph.nodes)
        for node in graph.nodes:
            assert all(path.is_file() for path in node.parameter_files)


def test_graph_fields_and_ros_args(tmp_path):
    directory = write_graph(tmp_path, """
nodes:
  - {package: pkg, executable: exe, name: n1, namespace: cam, parameters: [p.yaml], remappings: {a: b},
     arguments: [--flag]}
""")
    node = load_graph("g", directory).nodes[0]
    assert node.ros_args({"x": "1"}) == ["--flag", "--ros-args", "-r", "__node:=n1", "-r", "__ns:=/cam",
                                         "--params-file", str(directory / "p.yaml"), "-p", "x:=1", "-r", "a:=b"]


@pytest.mark.parametrize("text, message", [
    ("nodes: []\n", "defines no nodes"),
    ("nodes:\n  - {package: p, name: n}\n", "lacks ['executable']"),
    ("nodes:\n  - {package: p, executable: e, name: n, parameters: [missing.yaml]}\n", "missing parameter file"),
])
def test_bad_graphs_are_explained(tmp_path, text, message):
    directory = write_graph(tmp_path, text)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_graph("g", directory)


def test_unknown_graph(tmp_path):
    with pytest.raises(ValueError, match="available"):
        load_graph("nope", write_graph(tmp_path, "nodes: []\n"))

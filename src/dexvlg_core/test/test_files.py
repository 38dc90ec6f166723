"""Atomic writes: the target appears whole or not at all; a failed writer leaves no temporary file."""

import pytest

from dexvlg_core.files import atomic_path, write_text_atomic


def test_atomic_write_replaces_whole_and_cleans_up_on_error(tmp_path):
    target = tmp_path / "sub" / "a.json"
    write_text_atomic(target, "first")
    assert target.read_text() == "first"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer died")
    assert target.read_text() == "first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.json"]

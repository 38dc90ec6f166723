import importlib

import pytest

from dexvlg_data.cli import SUBCOMMANDS, build_parser, main


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage: dexvlg" in capsys.readouterr().out


def test_unknown_command_is_rejected():
    with pytest.raises(SystemExit) as exit_info:
        main(["no-such-command"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_every_subcommand_is_wired(name):
    module = importlib.import_module(SUBCOMMANDS[name])
    assert callable(module.add_parser) and callable(module.run)
    assert name in build_parser().format_help()

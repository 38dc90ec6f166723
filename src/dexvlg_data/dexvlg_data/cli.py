"""The ``dexvlg`` command line: one entry point for the offline data engine and benchmarks.

Each subcommand lives in its own module exposing ``add_parser(subparsers)`` (which sets ``func``) and ``run(args)``;
this file only lists them, so ``dexvlg --help`` shows everything that exists.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> module providing add_parser(subparsers) and run(args)
SUBCOMMANDS: dict[str, str] = {
    "gallery": "dexvlg_data.objects.gallery",
    "import-meshes": "dexvlg_data.objects.importer",
    "synth": "dexvlg_data.synth.command",
    "bench": "dexvlg_data.bench.command",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="dexvlg", description="DexVLG data engine and benchmarks.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMANDS.values():
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; errors in the input are reported in one line, not as a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, KeyError) as error:
        print(f"dexvlg {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

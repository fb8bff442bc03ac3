"""`leisaac-dashboard` console script: one module per subcommand, each with `register()`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from leisaac_core import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leisaac-dashboard",
        description="Record SO-101 demonstrations into LeRobot v3 datasets from a web dashboard.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Subcommand modules are imported here, not at package import, so `--help` stays fast.
    from server.cli import commands

    for register in commands.REGISTRARS:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

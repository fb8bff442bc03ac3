"""`leisaac-dashboard doctor [--json]`: report what this machine can run."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check MuJoCo rendering, GPU, Isaac Lab, encoders, serial ports, disk",
        description=(
            "Report what this machine can run. Exits 1 only when the default MuJoCo "
            "backend cannot run (MuJoCo missing or no working GL backend)."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from leisaac_core.config import Settings
    from leisaac_core.doctor import exit_code, format_table, run_checks, to_json

    checks = run_checks(Settings())
    if args.json:
        print(json.dumps(to_json(checks), indent=2))
    else:
        print(format_table(checks))
    return exit_code(checks)

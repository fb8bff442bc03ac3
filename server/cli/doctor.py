"""`leisaac-dashboard doctor [--json]`: report what this machine can run."""

from __future__ import annotations

import argparse
import json

from server.cli.args import Subparsers


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check MuJoCo rendering, GPU, Isaac Lab, encoders, serial ports, disk",
        description=(
            "Report what this machine can run. Exits 1 only when the default MuJoCo "
            "backend cannot run (MuJoCo missing or no working GL backend)."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--isaac-check",
        action="store_true",
        help="run the ordered Isaac Lab checks for a first GPU run (minutes; exits 1 on a failure)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.isaac_check:
        return _isaac_check(args)
    from leisaac_core.config import Settings
    from leisaac_core.doctor import exit_code, format_table, run_checks, to_json

    checks = run_checks(Settings())
    if args.json:
        print(json.dumps(to_json(checks), indent=2))
    else:
        print(format_table(checks))
    return exit_code(checks)


def _isaac_check(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from leisaac_core.sim.isaaclab.gpu_check import format_table, run_all

    results = run_all()
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
    else:
        print(format_table(results))
    return 0 if all(r.passed for r in results) else 1

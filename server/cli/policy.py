"""`leisaac-dashboard policy serve`: the policy servers we ship, on the OpenPI protocol."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from server.cli.args import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("policy", help="serve a policy over the OpenPI websocket protocol")
    sub = p.add_subparsers(dest="policy_command", metavar="COMMAND")
    s = sub.add_parser(
        "serve",
        help="serve the scripted expert or a lerobot policy",
        description="Serve --expert scripted (no torch) or --policy PATH_OR_HUB_ID (a lerobot "
        "PreTrainedPolicy; needs lerobot and torch in this Python: run it in your lerobot env).",
    )
    what = s.add_mutually_exclusive_group(required=True)
    what.add_argument("--expert", choices=("scripted",), help="the scripted demonstrator")
    what.add_argument("--policy", help="lerobot pretrained policy: a local path or a Hub id")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765)
    s.add_argument("--device", default="cpu", help="torch device for --policy: cpu or cuda")
    s.add_argument("--chunk-size", type=int, default=10, help="actions per reply")
    s.add_argument(
        "--identity",
        choices=("lerobot", "leisaac"),
        default=None,
        help="for --policy: the robot identity of the dataset it was trained on; the server "
        "declares its robot_type, and a session of the other identity is refused (the "
        "scripted expert follows any). Default: the robot_type of the training dataset when "
        "the checkpoint's train_config.json names one on this machine",
    )
    s.add_argument(
        "--task",
        default=None,
        help="for --policy: the task its sessions run; its cameras and joint state are checked "
        "against the checkpoint's inputs at start (default: the policy must fit some task)",
    )
    s.set_defaults(func=serve)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.chunk_size < 1:
        print("error: --chunk-size must be >= 1", file=sys.stderr)
        return 2
    if args.expert:
        from leisaac_core.policy.expert import ExpertPolicy

        def factory() -> Any:
            return ExpertPolicy(chunk_size=args.chunk_size)
    else:
        problem = _serving_problem(args)  # before loading: every problem at once
        if problem:
            print(f"error: cannot serve {args.policy}:\n{problem}", file=sys.stderr)
            return 2
        try:
            from leisaac_core.policy.lerobot_server import LerobotPolicyFactory
        except ImportError as exc:
            print(
                f"error: --policy needs lerobot and torch in this Python ({exc})", file=sys.stderr
            )
            return 2
        try:
            factory = LerobotPolicyFactory(
                args.policy, device=args.device, chunk_size=args.chunk_size
            )
        except Exception as exc:
            print(f"error: cannot load policy {args.policy!r}: {exc}", file=sys.stderr)
            return 1
        from leisaac_core.policy.serve_checks import checkpoint_inputs

        if checkpoint_inputs(args.policy) is None:  # a Hub id: its inputs known once loaded
            inputs = {k: list(ft.shape) for k, ft in factory.config.input_features.items()}
            problem = _inputs_problem(inputs, args.task, None)
            if problem:
                print(f"error: cannot serve {args.policy}:\n{problem}", file=sys.stderr)
                return 2
        if args.identity:
            from leisaac_core.dataset.identity import get_identity

            robot_type = get_identity(args.identity).robot_type_for("so101_follower")
            factory.metadata["robot_type"] = robot_type
    # Imported after the checks: without websockets they say what to install first.
    from leisaac_core.policy.server import PolicyServer

    server = PolicyServer(factory, host=args.host, port=args.port)
    print(f"serving on ws://{args.host}:{args.port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


def _serving_problem(args: argparse.Namespace) -> str:
    """What this environment or the checkpoint lacks to serve --policy, one line each."""
    from leisaac_core.policy import serve_checks as checks

    lines = []
    missing = checks.missing_modules()
    if missing:
        lines.append(f"  - {checks.install_advice(missing, sys.executable)}")
    if args.task is not None and args.task not in checks.TASKS:
        lines.append(f"  - --task {args.task!r}: choose one of {', '.join(sorted(checks.TASKS))}")
        return "\n".join(lines)
    inputs = checks.checkpoint_inputs(args.policy)
    if inputs is not None:
        names = checks.trained_state_names(args.policy)
        problem = _inputs_problem(inputs, args.task, names)
        if problem:
            lines.append(problem)
    return "\n".join(lines)


def _inputs_problem(inputs: dict[str, list[int]], task: str | None, names: Any) -> str:
    """Empty when sessions of `task` (of some task when None) can feed the policy, maybe
    renaming keys (said here, as a warning); else the problems, one line each."""
    from leisaac_core.policy import serve_checks as checks

    found = checks.check_tasks(inputs, task, names)
    best = found[0]
    if not best.errors:
        for line in best.renames:
            print(f"warning: {best.task}: {line}", file=sys.stderr)
        if not best.renames:
            fits = [c.task for c in found if not c.errors and not c.renames]
            print(f"the policy's inputs fit {', '.join(fits)}", file=sys.stderr)
        return ""
    return "\n".join(f"  - {c.task}: {line}" for c in found for line in (*c.errors, *c.renames))

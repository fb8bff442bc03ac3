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
    s.set_defaults(func=serve)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def serve(args: argparse.Namespace) -> int:
    from leisaac_core.policy.server import PolicyServer

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.chunk_size < 1:
        print("error: --chunk-size must be >= 1", file=sys.stderr)
        return 2
    if args.expert:
        from leisaac_core.policy.expert import ExpertPolicy

        def factory() -> Any:
            return ExpertPolicy(chunk_size=args.chunk_size)
    else:
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
        if args.identity:
            from leisaac_core.dataset.identity import get_identity

            robot_type = get_identity(args.identity).robot_type_for("so101_follower")
            factory.metadata["robot_type"] = robot_type
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

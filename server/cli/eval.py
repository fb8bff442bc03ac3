"""`leisaac-dashboard eval`: run a policy (or any device) on N fixed seeds and report."""

from __future__ import annotations

import argparse

from server.cli.args import Subparsers
from server.cli.record import (
    EVAL_EXIT_CODES,
    _camera_size,
    add_policy_arguments,
    add_sim_arguments,
    run_session,
    session_config,
)


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "eval",
        help="evaluate a policy server on fixed seeds",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run N episodes on seeds S, S+1, ...; every outcome is kept (successes in\n"
        "the dataset, failures and errors labelled in <name>_failures) and a JSON report\n"
        "(success rate with its 95% Wilson interval over the measured episodes, errors\n"
        "apart, time to success, per-seed outcomes, starved ticks) is written next to the\n"
        "dataset; its path is printed last.",
        epilog=EVAL_EXIT_CODES,
    )
    add_sim_arguments(p)
    p.add_argument("--device", default="policy", help="policy (default) or scripted")
    p.add_argument("--episodes", type=int, default=10)
    p.add_argument("--repo-id", required=True, help="dataset id namespace/name")
    p.add_argument("--root", default=None, help="dataset directory")
    p.add_argument("--seed", type=int, default=0, help="seed of the first episode")
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--camera-size", type=_camera_size, default=(640, 480), metavar="WxH")
    p.add_argument(
        "--realtime",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="pace at --fps and let the policy race the clock (default: off, each chunk is "
        "awaited, so the result measures the policy, not the network)",
    )
    p.add_argument("--episode-time", dest="episode_time_s", type=float, default=None, metavar="S")
    p.add_argument("--resume", action="store_true", help="append to an existing dataset")
    p.add_argument("--codec", dest="video_codec", choices=("h264", "av1"), default="h264")
    p.add_argument(
        "--identity",
        choices=("lerobot", "leisaac"),
        default=None,
        help="robot identity of the dataset: lerobot (so_follower, joints in degrees, as "
        "lerobot-record writes: merges with real SO-101 data) or leisaac (so101_follower, "
        "normalized, as LeIsaac writes); default: lerobot on mujoco, leisaac on isaaclab",
    )
    add_policy_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = session_config(args, mode="evaluate")
    if config is None:
        return 2
    return run_session(config)

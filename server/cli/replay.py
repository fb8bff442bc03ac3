"""`leisaac-dashboard replay`: replay a recorded episode's actions in the sim from its seed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from server.cli.args import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "replay",
        help="replay a recorded episode in the sim",
        description="Reset the sim with the episode's stored seed, step its recorded actions, "
        "and report whether the task succeeds again and the joint-state error. Exit status 0 "
        "when the replay reaches the recorded outcome (success again, or no success for a "
        "failed episode), 1 otherwise, 2 for bad input.",
    )
    p.add_argument("--repo-id", required=True, help="dataset, NAMESPACE/NAME")
    p.add_argument("--episode", type=int, required=True, help="episode index")
    p.add_argument(
        "--root",
        type=Path,
        default=None,
        help="dataset directory (default $HF_LEROBOT_HOME/<repo-id>)",
    )
    p.add_argument(
        "--video-dir", type=Path, default=None, help="write the replayed cameras as MP4 here"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from leisaac_core.config import Settings
    from leisaac_core.dataset import dataset_dir
    from leisaac_core.replay import ReplayError, replay_episode, replay_summary

    try:
        root = args.root or dataset_dir(Settings().dataset_root, args.repo_id)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not (root / "meta" / "info.json").is_file():
        print(f"error: no dataset at {root}", file=sys.stderr)
        return 2
    try:
        result = replay_episode(root, args.episode, video_dir=args.video_dir)
    except ReplayError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in replay_summary(result):
        print(line)
    for name, path in result.videos.items():
        print(f"{name}: {path}")
    return 0 if result.success == (result.recorded_outcome == "success") else 1

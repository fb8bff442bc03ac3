"""`leisaac-dashboard dataset merge NS/A NS/B ... --into NS/C [--root DIR]`,
`leisaac-dashboard dataset compact NS/A [--root DIR]` and
`leisaac-dashboard dataset convert NS/A --identity lerobot|leisaac [--into NS/B] [--root DIR]`:
local dataset operations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from server.cli.args import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "dataset",
        help="operate on local datasets (merge, compact, convert)",
        description="Operations on local LeRobot v3 datasets under the dataset root.",
    )
    sub = p.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)
    m = sub.add_parser(
        "merge",
        help="merge datasets into a new one",
        description="Join datasets with the same fps, robot type and features into a new "
        "dataset: episodes and tasks renumbered, video copied without re-encoding, per-episode "
        "columns kept, the sources left untouched. All or nothing: an interrupted merge leaves "
        "no target.",
    )
    m.add_argument("sources", nargs="+", metavar="NS/NAME", help="datasets to merge, in order")
    m.add_argument("--into", required=True, metavar="NS/NAME", help="the new dataset's repo id")
    m.add_argument(
        "--root",
        type=Path,
        default=None,
        help="dataset root holding NS/NAME folders (default $HF_LEROBOT_HOME)",
    )
    m.add_argument(
        "--no-compact",
        action="store_true",
        help="keep the sources' file layout (default: pack into lerobot-sized files)",
    )
    m.set_defaults(func=run_merge)
    c = sub.add_parser(
        "compact",
        help="pack a dataset's episodes into lerobot-sized files",
        description="Join the per-episode data and video files of a dataset into files up to "
        "lerobot's size limits (video stream-copied, never re-encoded). A recording session "
        "does this in the background; this runs it now. Crash-safe: an interrupted run loses "
        "nothing.",
    )
    c.add_argument("repo_id", metavar="NS/NAME")
    c.add_argument(
        "--root",
        type=Path,
        default=None,
        help="dataset root holding NS/NAME folders (default $HF_LEROBOT_HOME)",
    )
    c.set_defaults(func=run_compact)
    v = sub.add_parser(
        "convert",
        help="rewrite a dataset's robot identity (robot_type and joint units)",
        description="Rewrite a dataset's robot identity: robot_type in meta/info.json, the "
        "observation.state and action values of every frame and their stats. lerobot: "
        "so_follower, body joints in degrees (what lerobot-record writes for a real SO-101); "
        "leisaac: so101_follower, normalized -100..100 (what LeIsaac writes). Video is not "
        "re-encoded. In place it is one journaled change (a crash leaves the old dataset or "
        "the converted one); with --into a new dataset, the source untouched.",
    )
    v.add_argument("repo_id", metavar="NS/NAME")
    v.add_argument("--identity", required=True, choices=("lerobot", "leisaac"))
    v.add_argument(
        "--into",
        default=None,
        metavar="NS/NAME",
        help="write a new dataset instead (videos linked)",
    )
    v.add_argument(
        "--root",
        type=Path,
        default=None,
        help="dataset root holding NS/NAME folders (default $HF_LEROBOT_HOME)",
    )
    v.set_defaults(func=run_convert)


def run_convert(args: argparse.Namespace) -> int:
    from leisaac_core.config import Settings
    from leisaac_core.dataset import DatasetBusyError, DatasetExistsError, dataset_dir
    from leisaac_core.dataset.identity import convert_dataset

    root = args.root if args.root is not None else Settings().dataset_root
    try:
        into = dataset_dir(root, args.into) if args.into else None
        result = convert_dataset(dataset_dir(root, args.repo_id), args.identity, into=into)
    except (DatasetBusyError, DatasetExistsError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not result.changed:
        print(f"{args.repo_id} has identity {result.target} ({result.robot_type}) already")
        return 0
    print(
        f"converted {args.repo_id} from identity {result.source} to {result.target} "
        f"(robot_type {result.robot_type}, {result.episodes} episodes, {result.frames} frames)"
        + (f" into {args.into} at {result.root}" if args.into else "")
    )
    return 0


def run_compact(args: argparse.Namespace) -> int:
    from leisaac_core.config import Settings
    from leisaac_core.dataset import DatasetBusyError, compact_dataset, dataset_dir

    root = args.root if args.root is not None else Settings().dataset_root
    try:
        result = compact_dataset(dataset_dir(root, args.repo_id))
    except (DatasetBusyError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"compacted {args.repo_id}: {result.episodes_moved} episodes moved, "
        f"files {result.files_before} -> {result.files_after}"
    )
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from leisaac_core.config import Settings
    from leisaac_core.dataset import (
        DatasetBusyError,
        DatasetExistsError,
        MergeError,
        dataset_dir,
        merge_datasets,
    )

    root = args.root if args.root is not None else Settings().dataset_root
    try:
        sources = [(repo_id, dataset_dir(root, repo_id)) for repo_id in args.sources]
        into = dataset_dir(root, args.into)
        result = merge_datasets(sources, args.into, into, compact=not args.no_compact)
    except (MergeError, DatasetExistsError, DatasetBusyError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"merged {', '.join(result.sources)} into {result.repo_id}: {result.episodes} episodes, "
        f"{result.frames} frames, {result.tasks} tasks at {result.path}"
    )
    return 0

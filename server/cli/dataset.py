"""`leisaac-dashboard dataset merge NS/A NS/B ... --into NS/C [--root DIR]`: local dataset
operations from a terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "dataset",
        help="operate on local datasets (merge)",
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
    m.set_defaults(func=run_merge)


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
        result = merge_datasets(sources, args.into, into)
    except (MergeError, DatasetExistsError, DatasetBusyError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"merged {', '.join(result.sources)} into {result.repo_id}: {result.episodes} episodes, "
        f"{result.frames} frames, {result.tasks} tasks at {result.path}"
    )
    return 0

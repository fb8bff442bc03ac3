"""`leisaac-dashboard push`: publish a recorded dataset to the Hugging Face Hub.

The token comes from HF_TOKEN or the Hugging Face login cache (`hf auth login`); there is no
--token flag, so a token never lands in shell history or the process list.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from server.cli.args import Subparsers

if TYPE_CHECKING:
    from leisaac_core.hub import PushProgress


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "push",
        help="push a dataset to the Hugging Face Hub",
        description="Upload the committed episodes of a dataset to a Hub dataset repo, with a "
        "dataset card and the v3.0 tag lerobot looks for. A re-run resumes an interrupted push "
        "and sends only missing or changed files. Token: HF_TOKEN, else the login cache.",
    )
    p.add_argument("--repo-id", required=True, help="Hub dataset repo, NAMESPACE/NAME")
    p.add_argument(
        "--root",
        type=Path,
        default=None,
        help="dataset directory (default $HF_LEROBOT_HOME/<repo-id>)",
    )
    p.add_argument("--private", action="store_true", help="create the repo private")
    p.add_argument(
        "--tag",
        dest="tags",
        action="append",
        default=[],
        metavar="T",
        help="extra dataset-card tag (repeatable)",
    )
    p.add_argument("--license", default="apache-2.0", help="license id for the dataset card")
    p.add_argument("--branch", default=None, help="push to this branch instead of main")
    p.add_argument(
        "--endpoint", default=None, help="Hub URL (default $HF_ENDPOINT or huggingface.co)"
    )
    p.set_defaults(func=run)


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


class ProgressPrinter:
    """One rewritten line on a terminal; a plain line per finished file otherwise (logs, CI)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last_phase: str | None = None

    def __call__(self, p: PushProgress) -> None:
        if p.phase == "uploading":
            percent = 100 * p.bytes_done / p.bytes_total if p.bytes_total else 100.0
            text = (
                f"uploading {p.files_done}/{p.files_total} files, "
                f"{_size(p.bytes_done)}/{_size(p.bytes_total)} ({percent:.0f}%)"
            )
            if self.tty:
                self.stream.write(f"\r\x1b[K{text}")
            elif p.current is not None or self._last_phase != "uploading":
                suffix = f": {p.current}" if p.current else ""
                self.stream.write(f"{text}{suffix}\n")
        elif p.phase != self._last_phase and p.phase != "done":
            prefix = "\n" if self.tty and self._last_phase == "uploading" else ""
            self.stream.write(f"{prefix}{p.phase}...\n")
        self._last_phase = p.phase
        self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from huggingface_hub.utils import disable_progress_bars

    from leisaac_core.config import Settings
    from leisaac_core.hub import HubError, push_dataset, validate_repo_id

    disable_progress_bars()  # our own progress line replaces huggingface_hub's tqdm bars
    try:
        validate_repo_id(args.repo_id)
        root = args.root if args.root is not None else Settings().dataset_root / args.repo_id
        result = push_dataset(
            root,
            args.repo_id,
            private=args.private,
            tags=args.tags,
            license=args.license,
            branch=args.branch,
            endpoint=args.endpoint,
            progress=ProgressPrinter(sys.stderr),
        )
    except HubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to resume the push", file=sys.stderr)
        return 130
    print(
        f"Pushed {args.repo_id}: {result.files_uploaded} files ({_size(result.bytes_uploaded)}) "
        f"uploaded, {result.files_skipped} unchanged, {result.files_deleted} removed; "
        f"tag {result.tag} -> {result.commit[:10]}\n{result.url}"
    )
    return 0

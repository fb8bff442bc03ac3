"""`leisaac-dashboard fleet record`: many headless recorders on Ray feeding one dataset."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.cli.args import Subparsers
from server.cli.record import _camera_size, _flag_of, _plain

if TYPE_CHECKING:
    from leisaac_core.fleet.status import FleetStatus


def register(subparsers: Subparsers) -> None:
    fleet = subparsers.add_parser("fleet", help="record with many workers on a Ray cluster")
    sub = fleet.add_subparsers(dest="fleet_command", metavar="FLEET_COMMAND", required=True)
    p = sub.add_parser(
        "record",
        help="record episodes with N Ray workers into one dataset",
        description="Each worker (a Ray actor) runs one headless session on seeds handed out "
        "by this process, which commits every finished episode into one dataset. Exits 0 "
        "once the dataset holds --episodes episodes.",
    )
    p.add_argument("--workers", type=int, default=2)
    p.add_argument(
        "--address",
        default=None,
        help="Ray cluster: auto or HOST:PORT (default: start a local Ray instance)",
    )
    p.add_argument("--task", default="so101_pick_orange")
    p.add_argument("--backend", default="mujoco")
    p.add_argument("--device", choices=("scripted", "policy"), default="scripted")
    p.add_argument("--policy-url", default=None, help="policy server for --device policy")
    p.add_argument("--episodes", type=int, default=10, help="episodes the dataset holds at the end")
    p.add_argument("--repo-id", required=True, help="dataset id namespace/name")
    p.add_argument("--root", type=Path, default=None, help="dataset directory")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue a dataset: seeds already in it are not recorded again",
    )
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--camera-size", type=_camera_size, default=(640, 480), metavar="WxH")
    p.add_argument("--seed", type=int, default=0, help="first seed")
    p.add_argument("--episode-time", dest="episode_time_s", type=float, default=None, metavar="S")
    p.add_argument("--codec", dest="video_codec", choices=("h264", "av1"), default="h264")
    p.add_argument(
        "--identity",
        choices=("lerobot", "leisaac"),
        default=None,
        help="robot identity of the dataset: lerobot (so_follower, joints in degrees, as "
        "lerobot-record writes: merges with real SO-101 data) or leisaac (so101_follower, "
        "normalized, as LeIsaac writes); default: lerobot on mujoco, leisaac on isaaclab",
    )
    p.add_argument("--gpus-per-worker", type=float, default=None)
    p.add_argument("--max-restarts", type=int, default=3)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from leisaac_core.config import Settings
    from leisaac_core.fleet import FleetConfig
    from leisaac_core.fleet.run import FleetError, FleetRun
    from leisaac_core.session import SessionConfig

    width, height = args.camera_size
    if args.device == "policy" and not args.policy_url:
        print("error: --device policy needs --policy-url ws://HOST:PORT", file=sys.stderr)
        return 2
    try:
        session = SessionConfig(
            episodes=args.episodes,
            env={
                "type": args.backend,
                "task": args.task,
                "fps": args.fps,
                "camera_width": width,
                "camera_height": height,
            },
            devices=[] if args.device == "policy" else [{"type": args.device}],
            policy={"url": args.policy_url} if args.device == "policy" else None,
            dataset={
                "repo_id": args.repo_id,
                "root": args.root,
                "resume": args.resume,
                "video_codec": args.video_codec,
                "identity": args.identity,
            },
            episode={"seed": args.seed, "time_s": args.episode_time_s},
        )
        config = FleetConfig(
            session=session,
            workers=args.workers,
            address=args.address,
            gpus_per_worker=args.gpus_per_worker,
            max_restarts=args.max_restarts,
        )
    except ValidationError as exc:  # in the flags' words, as `record` says them
        for err in exc.errors():
            loc = err["loc"]
            if exc.title == "SessionConfig":
                where = _flag_of(loc)
            else:  # FleetConfig's own fields are its flags (--workers, --max-restarts)
                where = "--" + str(loc[0]).replace("_", "-") if loc else "arguments"
            print(f"error: {where}: {_plain(err['msg'])}", file=sys.stderr)
        return 2

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    progress = FleetProgress(sys.stderr.isatty())
    fleet = FleetRun(
        config, Settings().dataset_root, on_event=progress.event, on_status=progress.status
    )
    try:
        status = fleet.run()
    except FleetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        progress.line("interrupted: episodes under way are lost, committed episodes are kept")
        return 130
    if status.state == "error":
        print(f"error: {status.message}", file=sys.stderr)
    return 0 if status.state == "finished" else 1


class FleetProgress:
    """The total and each worker on one line: redrawn on a terminal, printed after every
    event otherwise (logs, CI)."""

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self._last_status: Any = None
        self._drawn = False
        self._last_draw = 0.0

    def line(self, text: str) -> None:
        if self._drawn:
            sys.stderr.write("\r\033[K")
            self._drawn = False
        print(text, file=sys.stderr, flush=True)

    def event(self, message: str) -> None:
        self.line(message)

    def status(self, status: FleetStatus) -> None:
        last, self._last_status = self._last_status, status
        if not self.tty:
            if status.workers and (
                last is None or last.episodes_in_dataset != status.episodes_in_dataset
            ):
                self.line(progress_line(status))
            return
        if time.monotonic() - self._last_draw < 0.2 or not status.workers:
            return
        self._last_draw = time.monotonic()
        sys.stderr.write("\r\033[K" + progress_line(status))
        sys.stderr.flush()
        self._drawn = True


def progress_line(status: FleetStatus) -> str:
    width = 20
    total = max(1, status.episodes_target)
    filled = int(width * min(status.episodes_in_dataset, total) / total)
    bar = "#" * filled + "-" * (width - filled)
    workers = " | ".join(
        f"{w.name} {w.state} {w.episodes_saved} ({w.episodes_per_hour:.0f}/h)"
        for w in status.workers
    )
    return (
        f"[{bar}] {status.episodes_in_dataset}/{status.episodes_target} "
        f"({status.episodes_per_hour:.0f}/h) | {workers}"
    )

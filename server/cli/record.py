"""`leisaac-dashboard record`: headless recording through the same session engine."""

from __future__ import annotations

import argparse
import logging
import queue
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.cli.args import Subparsers

if TYPE_CHECKING:
    from leisaac_core.session import Event, SessionConfig, SessionEngine, SessionSnapshot


def _camera_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"camera size {text!r} must look like 640x480") from None
    return width, height


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "record",
        help="record episodes headless (no browser)",
        description="Record N episodes and exit 0 once they are saved. Exits non-zero with a "
        "message after too many failed episodes in a row or a device/sim error.",
    )
    add_sim_arguments(p)
    p.add_argument("--device", default="scripted", help="scripted, so101_leader, ...")
    p.add_argument("--port", dest="device_port", default=None, help="leader arm port URL")
    p.add_argument("--calibration", dest="device_calibration", type=Path, default=None)
    p.add_argument(
        "--left-port",
        default=None,
        help="two-arm tasks with --device so101_leader: the left leader arm's port",
    )
    p.add_argument("--right-port", default=None, help="... and the right one's")
    p.add_argument("--left-calibration", type=Path, default=None)
    p.add_argument("--right-calibration", type=Path, default=None)
    p.add_argument("--episodes", type=int, default=10)
    p.add_argument("--repo-id", required=True, help="dataset id namespace/name")
    p.add_argument(
        "--root",
        type=Path,
        default=None,
        help="dataset directory (default $HF_LEROBOT_HOME/<repo-id>)",
    )
    p.add_argument(
        "--resume", action="store_true", help="append to the dataset (created if missing)"
    )
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--camera-size", type=_camera_size, default=(640, 480), metavar="WxH")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument(
        "--realtime",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="pace the loop at --fps (default: on for human devices, off for scripted)",
    )
    p.add_argument("--episode-time", dest="episode_time_s", type=float, default=None, metavar="S")
    p.add_argument("--reset-time", dest="reset_time_s", type=float, default=0.0, metavar="S")
    p.add_argument(
        "--max-failures",
        dest="max_consecutive_failures",
        type=int,
        default=5,
        help="stop after this many failed episodes in a row",
    )
    p.add_argument(
        "--keep-failures", action="store_true", help="keep failed episodes in <name>_failures"
    )
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


def add_sim_arguments(p: argparse.ArgumentParser) -> None:
    """The task and where its simulation runs (shared by record and eval)."""
    p.add_argument("--task", default="so101_pick_orange")
    p.add_argument("--backend", default="mujoco")
    p.add_argument(
        "--env-process",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run the sim in its own env host process (default: isaaclab only)",
    )


def add_policy_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--policy-url", default=None, help="policy server for --device policy, ws://HOST:PORT"
    )
    p.add_argument(
        "--takeover",
        choices=("keyboard", "gamepad", "so101_leader", "none"),
        default="keyboard",
        help="device a human takes over with while the policy drives (button or T on the "
        "page); so101_leader uses --port and --calibration",
    )
    p.add_argument(
        "--policy-key",
        action="append",
        default=[],
        metavar="OURS=THEIRS",
        help="rename an observation key for the policy server (repeatable), e.g. "
        "observation.images.front=observation/image or task=prompt",
    )
    p.add_argument(
        "--reward-features",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="record next.reward/next.done/next.success/intervention (default: on with a policy)",
    )


def run(args: argparse.Namespace) -> int:
    config = session_config(args)
    if config is None:
        return 2
    return run_session(config)


def session_config(args: argparse.Namespace, mode: str = "record") -> SessionConfig | None:
    """The SessionConfig from the flags, or None after printing what is wrong (in flags)."""
    from pydantic import ValidationError

    from leisaac_core.session import SessionConfig

    problem = _flag_problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return None
    width, height = args.camera_size
    env: dict[str, Any] = {
        "type": args.backend,
        "task": args.task,
        "fps": args.fps,
        "camera_width": width,
        "camera_height": height,
    }
    if args.env_process is not None:
        env["hosted"] = args.env_process
    body: dict[str, Any] = {
        "mode": mode,
        "episodes": args.episodes,
        "env": env,
        "dataset": {
            "repo_id": args.repo_id,
            "root": args.root,
            "resume": args.resume,
            "video_codec": args.video_codec,
            "identity": args.identity,
            "keep_failures": getattr(args, "keep_failures", False),
            "reward_features": args.reward_features,
        },
        "episode": {
            "seed": args.seed,
            "realtime": args.realtime,
            "time_s": args.episode_time_s,
            "reset_time_s": getattr(args, "reset_time_s", 0.0),
            "max_consecutive_failures": getattr(args, "max_consecutive_failures", 5),
        },
    }
    if args.device == "policy":
        keys = dict(item.split("=", 1) for item in args.policy_key)
        body["policy"] = {"url": args.policy_url, "observation_keys": keys}
        body["devices"] = [] if args.takeover == "none" else [_device(args.takeover, args)]
    elif args.device == "so101_leader" and _sides(args):
        body["devices"] = [
            {
                "type": "so101_leader",
                "arm": side,
                "port": getattr(args, f"{side}_port"),
                "calibration_path": getattr(args, f"{side}_calibration"),
            }
            for side in ("left", "right")
        ]
    else:
        body["devices"] = [_device(args.device, args)]
    try:
        return SessionConfig.model_validate(body)
    except ValidationError as exc:
        for err in exc.errors():
            if not err["loc"]:  # a check across fields: its message says what to change
                print(f"error: {_plain(err['msg']).removeprefix('devices: ')}", file=sys.stderr)
                continue
            print(f"error: {_flag_of(err['loc'])}: {_plain(err['msg'])}", file=sys.stderr)
        return None


def _flag_problem(args: argparse.Namespace) -> str | None:
    """What the flags lack before a config can be built, in the flags' words."""
    from leisaac_core.session.config import task_arms

    bad = [item for item in args.policy_key if "=" not in item]
    if bad:
        return f"--policy-key {bad[0]!r} must look like OURS=THEIRS"
    if args.device == "policy" and not args.policy_url:
        return "--device policy needs --policy-url ws://HOST:PORT (a running policy server)"
    leader = args.device == "so101_leader" or (
        args.device == "policy" and args.takeover == "so101_leader"
    )
    sides = _sides(args)
    two_arms = len(task_arms(args.task) or ()) > 1
    if args.device == "so101_leader" and two_arms and not sides:
        return (
            f"{args.task} has two arms: give each leader arm its port with --left-port and "
            "--right-port (and --left-calibration / --right-calibration if not lerobot's files)"
        )
    if sides and not two_arms:
        return f"{args.task} has one arm: give its leader arm's port with --port"
    if sides and (args.device != "so101_leader" or getattr(args, "device_port", None)):
        return "--left-port and --right-port go with --device so101_leader, without --port"
    if sides and len(sides) < 2:
        missing = "right" if "left" in sides else "left"
        return f"two leader arms need --left-port and --right-port (--{missing}-port is missing)"
    if leader and not sides and not getattr(args, "device_port", None):
        return (
            "the so101_leader needs --port, e.g. /dev/ttyACM0 or socket://host:port (two-arm "
            "tasks: --left-port and --right-port)"
        )
    return None


def _sides(args: argparse.Namespace) -> list[str]:
    """The arms given a leader port of their own (--left-port, --right-port)."""
    return [side for side in ("left", "right") if getattr(args, f"{side}_port", None)]


def _device(name: str, args: argparse.Namespace) -> dict[str, Any]:
    if name == "so101_leader":
        return {
            "type": name,
            "port": args.device_port,
            "calibration_path": getattr(args, "device_calibration", None),
        }
    return {"type": name}


# Config fields -> the flags that set them (for messages about a bad value).
_FLAGS = {
    "env": "--backend",  # a backend with no config of its own
    "env.type": "--backend",
    "env.task": "--task",
    "env.fps": "--fps",
    "env.camera_width": "--camera-size",
    "env.camera_height": "--camera-size",
    "env.hosted": "--env-process",
    "episodes": "--episodes",
    "dataset.repo_id": "--repo-id",
    "dataset.identity": "--identity",
    "episode.time_s": "--episode-time",
    "episode.reset_time_s": "--reset-time",
    "episode.seed": "--seed",
    "episode.max_consecutive_failures": "--max-failures",
    "policy.url": "--policy-url",
    "devices": "--device",
    "devices.port": "--port",
    "devices.calibration_path": "--calibration",
}


def _flag_of(loc: tuple[int | str, ...]) -> str:
    """The flag behind a config error's location, e.g. ('env', 'mujoco', 'fps') -> --fps."""
    path = [str(p) for p in loc if not isinstance(p, int)]
    if path[:1] == ["env"] and len(path) == 2:
        return "--camera-size"  # the env's one check across its fields: even sides
    if len(path) > 2 and path[0] in ("env", "devices", "policy"):
        del path[1]  # the chosen type's tag
    key = ".".join(path)
    return _FLAGS.get(key, key or "arguments")


def _plain(message: str) -> str:
    return message.removeprefix("Value error, ")


def run_session(config: SessionConfig) -> int:
    from leisaac_core.config import Settings
    from leisaac_core.session import SessionEngine

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    engine = SessionEngine(Settings().dataset_root)
    events: queue.Queue[Any] = queue.Queue()
    engine.add_listener(events.put)
    engine.start()
    progress = _Progress(config.episodes, sys.stderr.isatty())
    try:
        engine.submit("start", config).result()
    except Exception as exc:
        from server.cli.mismatch import describe_for_cli, mismatch_of

        mismatch = mismatch_of(exc)
        print(f"error: {describe_for_cli(mismatch) if mismatch else exc}", file=sys.stderr)
        engine.shutdown()
        return 1
    try:
        return _follow(engine, events, progress, config)
    except KeyboardInterrupt:
        progress.line("interrupted: the episode under way is discarded, saved episodes are kept")
        # No timeout: stopping finishes commits and packs the dataset (a second Ctrl+C leaves
        # it unpacked, and the next open finishes or rolls back an interrupted pack).
        engine.submit("stop").result()
        return 130
    finally:
        engine.shutdown()


def _follow(
    engine: SessionEngine, events: queue.Queue[Event], progress: _Progress, config: SessionConfig
) -> int:
    saved = 0
    failed = False  # the session went into error and was stopped
    report: dict[str, Any] | None = None
    while True:
        try:
            event = events.get(timeout=0.5)
        except queue.Empty:
            progress.update(saved, engine.snapshot)
            continue
        if event.kind == "episode_saved":
            saved += 1
        waits = event.kind == "session_error" and event.data.get("waits_for_reset", False)
        if event.kind in _SHOWN or waits:  # other session errors: the end message says them
            progress.line(event.message)
        if waits:  # the session waits in phase error for a reset no one here will send
            failed = True
            # Stopping closes the session: its report (an evaluation) and end still follow.
            engine.submit("stop").result(timeout=60)
        if event.kind == "evaluation_report":
            report = event.data
        if event.kind in ("session_finished", "session_stopped"):
            progress.line(event.message)
            if config.mode == "evaluate":
                return _evaluation_exit(report, failed or event.kind == "session_stopped", config)
            if failed:
                return 1
            return 0 if event.data.get("episodes_saved", 0) >= config.episodes else 1


# Event kinds printed as lines (the rest shows in the progress bar, or not at all).
_SHOWN = frozenset(
    {
        "episode_saved",
        "episode_failure",
        "episode_timeout",
        "episode_error",
        "episode_save_failed",
        "session_started",
        "evaluation_progress",
        "dataset_packing",
        "dataset_packed",
    }
)
EVAL_EXIT_CODES = """exit codes:
  0    every episode ran and measured the policy (whatever its success rate)
  1    the evaluation did not complete: the policy server could not be reached before
       the first episode, the simulation failed, or it was stopped (a report of the
       episodes that ran is still written when any did)
  2    bad flags
  3    every seed ran, but some episodes are `error`: the policy was not measured (its
       server lost, too slow or answering nonsense); they are counted apart, never in
       the success rate
  130  interrupted (Ctrl+C)"""


def _evaluation_exit(report: dict[str, Any] | None, stopped: bool, config: SessionConfig) -> int:
    """The exit code of an evaluation (EVAL_EXIT_CODES); prints the report path last."""
    if report is None:
        return 1
    print(report["path"], flush=True)  # scripts read the report path from the last line
    if stopped or report["episodes"] < config.episodes:
        return 1
    return 3 if report["errors"] else 0


class _Progress:
    """A progress bar on a terminal, plain lines otherwise (logs, CI)."""

    def __init__(self, total: int, tty: bool) -> None:
        self.total = total
        self.tty = tty
        self._drawn = False
        self._last = 0.0

    def line(self, text: str) -> None:
        if self._drawn:
            sys.stderr.write("\r\033[K")
            self._drawn = False
        print(text, file=sys.stderr, flush=True)

    def update(self, saved: int, snapshot: SessionSnapshot) -> None:
        if not self.tty or time.monotonic() - self._last < 0.2:
            return
        self._last = time.monotonic()
        width = 30
        filled = int(width * saved / max(1, self.total))
        bar = "#" * filled + "-" * (width - filled)
        fps = snapshot.timing.achieved_fps if snapshot.timing else 0.0
        sys.stderr.write(
            f"\r[{bar}] {saved}/{self.total} saved | episode {snapshot.episode_number} "
            f"{snapshot.phase} {snapshot.episode_time_s:5.1f}s | {fps:5.1f} fps"
        )
        sys.stderr.flush()
        self._drawn = True

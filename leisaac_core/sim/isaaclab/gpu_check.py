"""The ordered checks a first run on an RTX GPU must do (`doctor --isaac-check`).

From the review's "What a GPU run must check first", adapted to the env host design: each
group of checks runs in a fresh Python process with its own timeout (Kit cannot restart in a
process), reports one JSON line per check as it finishes, and a check whose prerequisite
failed is skipped. Ordered so that the first failure explains the most:

1. install    packages found, Isaac Lab 2.3.x, LeIsaac's assets found (B4). No Kit.
2. host       the env host builds PickOrange (Kit on the host's main thread) while this
              process runs an asyncio loop whose heartbeat must keep ticking (B7); the
              success term passes Isaac Lab's signature check (B1); reset + step work.
3. shutdown   closing the hosted env ends the host (app.close()) in bounded time (C4).
4. success    success becomes True with the oranges on the plate and the arm at rest, while
              the episode is not terminated and its length keeps growing (B1 semantics).
5. joints     joint names and the arm action's joint order are SO-101's; rest-pose targets
              converge; step_dt is 1/fps (W2).
6. images     uint8 (H, W, 3), not black, front != wrist; the reset frame matches the
              scene after it (W1); wall time per step with two 640x480 cameras.
7. info       Step.info carries the task's object names and the base pose the scripted
              demonstrator plans from (B6).
8. sessions   a second and third hosted env (PickOrange again, then LiftCube) build after
              the first closed: one process per session (B2, B3).

Checks 4-7 share one env built directly on the main thread of their process (what the env
host does) so they can reach Isaac Lab's env object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from leisaac_core import so101

TASK = "so101_pick_orange"


@dataclass(frozen=True)
class Group:
    name: str
    checks: tuple[str, ...]
    timeout_s: float
    needs: tuple[str, ...] = ()


GROUPS: tuple[Group, ...] = (
    Group("install", ("install",), 60),
    Group("host", ("host", "shutdown"), 900, needs=("install",)),
    Group("direct", ("success", "joints", "images", "info"), 900, needs=("host",)),
    Group("sessions", ("sessions",), 1200, needs=("host",)),
)


@dataclass(frozen=True)
class Result:
    check: str
    passed: bool | None  # None: skipped or not reached
    detail: str
    seconds: float = 0.0


# ---- the parent: run groups in fresh processes, collect one line per check ------------------


def run_all(python: str = sys.executable, groups: tuple[Group, ...] = GROUPS) -> list[Result]:
    results: dict[str, Result] = {}
    for group in groups:
        failed = [n for n in group.needs if not (results.get(n) and results[n].passed)]
        if failed:
            for check in group.checks:
                results[check] = Result(check, None, f"skipped: needs {', '.join(failed)}")
            continue
        for result in _run_group(python, group):
            results[result.check] = result
    return list(results.values())


def _run_group(python: str, group: Group) -> list[Result]:
    started = time.monotonic()
    env = {**os.environ, "OMNI_KIT_ACCEPT_EULA": os.environ.get("OMNI_KIT_ACCEPT_EULA", "YES")}
    try:
        proc = subprocess.run(
            [python, "-m", "leisaac_core.sim.isaaclab.gpu_check", group.name],
            capture_output=True,
            text=True,
            timeout=group.timeout_s,
            env=env,
        )
        stdout, stderr, ended = proc.stdout, proc.stderr, f"exit code {proc.returncode}"
    except subprocess.TimeoutExpired as exc:
        stdout = _text(exc.stdout)
        stderr = _text(exc.stderr)
        ended = f"timed out after {group.timeout_s:g} s"
    found: dict[str, Result] = {}
    for line in stdout.splitlines():
        if line.startswith("{") and '"check"' in line:
            data = json.loads(line)
            found[data["check"]] = Result(**data)
    tail = " | ".join(stderr.strip().splitlines()[-3:])[-300:]
    for check in group.checks:
        if check not in found:
            found[check] = Result(
                check, False, f"no result: process {ended}; {tail}", time.monotonic() - started
            )
    return [found[c] for c in group.checks]


def _text(value: bytes | str | None) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value or ""


def format_table(results: list[Result]) -> str:
    rows = [("check", "result", "seconds", "detail")]
    for r in results:
        mark = "PASS" if r.passed else ("skip" if r.passed is None else "FAIL")
        rows.append((r.check, mark, f"{r.seconds:.1f}", r.detail))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}" for a, b, c, d in rows
    )


# ---- the child: one group of checks ---------------------------------------------------------


def _report(check: str, fn: Callable[[], str]) -> bool:
    started = time.monotonic()
    try:
        detail, passed = fn(), True
    except Exception as exc:  # the table shows it
        detail, passed = f"{type(exc).__name__}: {exc}", False
    line = {"check": check, "passed": passed, "detail": detail[:500]}
    print(json.dumps({**line, "seconds": time.monotonic() - started}), flush=True)
    return passed


def check_install() -> str:
    import importlib.metadata
    import importlib.util
    from pathlib import Path

    from leisaac_core.sim.isaaclab.env import resolve_assets_root

    missing = [
        m
        for m in ("isaacsim", "isaaclab", "isaaclab_tasks", "leisaac")
        if not importlib.util.find_spec(m)
    ]
    if missing:
        raise RuntimeError(f"not installed: {', '.join(missing)}")
    versions = {}
    for dist in ("isaaclab", "isaacsim", "leisaac"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "source install"
    if not versions["isaaclab"].startswith(("2.3", "0.4", "source")):
        raise RuntimeError(f"Isaac Lab {versions['isaaclab']}: LeIsaac 0.4 needs Isaac Lab 2.3")
    spec = importlib.util.find_spec("leisaac")
    package = Path(spec.origin).parent if spec and spec.origin else None
    assets = resolve_assets_root(os.environ, package)
    return f"{versions}; assets {assets}"


def _pick_orange_config(**kwargs: Any) -> Any:
    from leisaac_core.sim.isaaclab.config import IsaacLabEnvConfig

    return IsaacLabEnvConfig(task=kwargs.pop("task", TASK), **kwargs)


def run_host_group() -> None:
    """Checks 2 and 3: the hosted env under an asyncio loop, then its shutdown."""
    import asyncio

    from leisaac_core.sim import make_env_from_config

    state: dict[str, Any] = {}

    async def main() -> str:
        gaps: list[float] = []

        async def heartbeat() -> None:
            last = time.monotonic()
            while True:
                await asyncio.sleep(0.05)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        beat = asyncio.create_task(heartbeat())
        loop = asyncio.get_running_loop()

        def build_and_run() -> str:
            env = make_env_from_config(_pick_orange_config())
            state["env"] = env
            env.reset(seed=0)
            step = env.step(so101.radians_to_normalized(so101.rest_pose_radians()))
            return f"state {np.round(step.state, 1).tolist()}"

        detail = await loop.run_in_executor(None, build_and_run)
        beat.cancel()
        worst = max(gaps, default=0.0)
        if worst > 1.0:
            raise RuntimeError(f"the asyncio heartbeat stalled for {worst:.1f} s during the build")
        return f"{detail}; heartbeat max gap {worst * 1000:.0f} ms"

    if not _report("host", lambda: asyncio.run(main())):
        return

    def shutdown() -> str:
        env = state["env"]
        pid = env.host_pid
        started = time.monotonic()
        env.close()
        return f"host pid {pid} closed and exited in {time.monotonic() - started:.1f} s"

    _report("shutdown", shutdown)


def run_direct_group() -> None:
    """Checks 4-7 on one env built in this process's main thread, as the env host does."""
    import torch

    from leisaac_core.sim import build_env_in_this_process
    from leisaac_core.sim.info import OBJECT_POSITIONS, ROBOT_BASE, ROBOT_BASE_QUAT

    env = build_env_in_this_process(_pick_orange_config())
    inner = env._env  # Isaac Lab's env: these checks look inside
    rest = so101.radians_to_normalized(so101.rest_pose_radians())

    def success() -> str:
        env.reset(seed=0)
        scene = inner.scene
        plate = scene["Plate"].data.root_pos_w.clone()
        for i, name in enumerate(("Orange001", "Orange002", "Orange003")):
            pose = scene[name].data.root_state_w[:, :7].clone()
            pose[:, :3] = plate + torch.tensor([0.02 * (i - 1), 0.0, 0.03], device=plate.device)
            scene[name].write_root_pose_to_sim(pose)
        robot = scene["robot"]
        joints = torch.as_tensor(
            so101.rest_pose_radians(), dtype=torch.float32, device=robot.data.joint_pos.device
        )
        index = [list(robot.joint_names).index(j) for j in so101.JOINTS]
        positions = robot.data.joint_pos.clone()
        positions[0, index] = joints
        robot.write_joint_state_to_sim(positions, torch.zeros_like(positions))
        lengths, successes = [], []
        for _ in range(5):
            step = env.step(rest)
            successes.append(step.success)
            lengths.append(int(inner.episode_length_buf[0]))
        terminated = bool(inner.termination_manager.terminated.any())
        if not successes[-1] or terminated or lengths != sorted(set(lengths)):
            raise RuntimeError(
                f"success {successes}, episode lengths {lengths}, terminated {terminated}"
            )
        return f"success {successes}, episode lengths {lengths}, not terminated"

    def joints() -> str:
        names = list(inner.scene["robot"].joint_names)
        arm = list(inner.action_manager.get_term("arm_action")._joint_names)
        if names != list(so101.JOINTS) or arm != list(so101.JOINTS[:5]):
            raise RuntimeError(f"robot joints {names}, arm action joints {arm}")
        env.reset(seed=1)
        target = rest.copy()
        target[0] = 30.0
        for _ in range(60):
            step = env.step(target)
        error = float(np.max(np.abs(step.state[:5] - target[:5])))
        if error > 10.0 or abs(inner.step_dt - 1 / env.fps) > 1e-9:
            raise RuntimeError(f"tracking error {error:.1f} units, step_dt {inner.step_dt}")
        return f"joint order ok; tracking error {error:.1f} units; step_dt {inner.step_dt:.4f}"

    def images() -> str:
        first = env.reset(seed=2)
        after = env.step(rest)
        out = []
        for cam in env.cameras:
            image = first.images[cam.name]
            if image.dtype != np.uint8 or image.shape != (cam.height, cam.width, 3):
                raise RuntimeError(f"{cam.name}: {image.dtype} {image.shape}")
            if float(image.std()) < 2.0:
                raise RuntimeError(f"{cam.name} reset image is blank (std {image.std():.1f})")
            diff = float(np.abs(image.astype(int) - after.images[cam.name].astype(int)).mean())
            out.append(f"{cam.name} reset-vs-next mean diff {diff:.1f}")
            if diff > 20.0:
                raise RuntimeError(f"{cam.name}: reset frame looks stale ({diff:.1f}); W1")
        if np.array_equal(first.images["front"], first.images.get("wrist")):
            raise RuntimeError("front and wrist images are identical")
        started = time.monotonic()
        for _ in range(30):
            env.step(rest)
        per_step = (time.monotonic() - started) / 30 * 1000
        return "; ".join(out) + f"; {per_step:.1f} ms per step"

    def info() -> str:
        step = env.reset(seed=3)
        names = sorted(step.info[OBJECT_POSITIONS])
        if names != ["orange_1", "orange_2", "orange_3", "plate"]:
            raise RuntimeError(f"object names {names}")
        base, quat = step.info[ROBOT_BASE], step.info[ROBOT_BASE_QUAT]
        from leisaac_core.sim.info import positions_in_base_frame

        local = positions_in_base_frame(step.info)
        ahead = all(0.05 < p[0] < 0.5 and abs(p[1]) < 0.4 for p in local.values())
        detail = f"base {np.round(base, 3).tolist()} quat {np.round(quat, 3).tolist()}; " + (
            f"objects in base frame { ({k: np.round(v, 3).tolist() for k, v in local.items()}) }"
        )
        if not ahead:
            raise RuntimeError(f"objects are not in front of the arm in its base frame: {detail}")
        return detail

    try:
        for name, fn in (
            ("success", success),
            ("joints", joints),
            ("images", images),
            ("info", info),
        ):
            _report(name, fn)
    finally:
        env.close()


def run_sessions_group() -> None:
    from leisaac_core.sim import make_env_from_config

    def sessions() -> str:
        out = []
        for task in (TASK, TASK, "so101_lift_cube"):
            started = time.monotonic()
            env = make_env_from_config(_pick_orange_config(task=task))
            env.reset(seed=0)
            env.close()
            out.append(f"{task} {time.monotonic() - started:.0f} s")
        return "; ".join(out)

    _report("sessions", sessions)


CHILD_GROUPS: dict[str, Callable[[], None]] = {
    "install": lambda: _report("install", check_install) and None,
    "host": run_host_group,
    "direct": run_direct_group,
    "sessions": run_sessions_group,
}


def main() -> None:
    group = sys.argv[1]
    del sys.argv[1:]  # Isaac Sim passes unknown argv entries on to Kit
    if group not in CHILD_GROUPS:
        raise SystemExit(f"unknown check group {group!r}; known: {', '.join(CHILD_GROUPS)}")
    CHILD_GROUPS[group]()
    sys.stdout.flush()
    os._exit(0)  # do not wait for Kit's atexit handlers; the checks closed what they opened


if __name__ == "__main__":
    main()

"""Simulation cost per control tick, and what each rendering step bought.

Replays one fixed action sequence (a scripted PickOrange demonstration recorded first, so the
arm moves through the scene as in real use) through `MujocoEnv.step` and measures ticks per
second (wall clock) and process CPU per tick. Rows at 640x480, both cameras:

- `physics only (anchor)`: the same model and substeps, no rendering;
- `mujoco.Renderer, cameras in turn`: MuJoCo's own renderer, one context, the cameras one
  after the other in the stepping thread (how this backend rendered before);
- `threads, one display`: a thread per camera but both contexts on one EGL display, where
  Mesa serializes them (what a naive threaded renderer gets);
- `threads + own displays`: each camera on its own display, rendering at the same time;
- `+ frustum culling`: geoms outside a camera's view skipped;
- `+ far detail`: distant meshes drawn from coarser twins;
- `+ 24-bit depth buffer`: no stencil, fixed-point depth (cheaper to test and write);
- `+ fixed camera's backdrop (shipped)`: the front camera draws only the window that moving
  parts can reach, over an image of the fixed parts drawn once per episode (what the env
  does now).
Plus the shipped renderer at the other `--sizes`. The table shows each row's speed-up over
the `mujoco.Renderer` row. Then the two-arm task (bi_so101_clean_toy_table: two arms, three
cameras left_wrist, right_wrist, top; its own scripted demonstration) with its own physics
anchor and the shipped renderer at `--two-arm-sizes`, each against the 30 Hz period. Writes
bench/results/sim.json with the CPU model it ran on.

    .venv/bin/python bench/sim.py [--ticks 300] [--sizes 320x240] [--repeats 3]
        [--two-arm-sizes 640x480,480x360,320x240]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo_actions import record_actions  # noqa: E402  (bench/ is on sys.path)

from leisaac_core.sim import make_env_config, make_env_from_config  # noqa: E402
from leisaac_core.sim.mujoco import render  # noqa: E402
from leisaac_core.sim.mujoco.cost import cpu_model  # noqa: E402
from leisaac_core.sim.mujoco.scene import FAR_MESH_CELL_M, far_twins  # noqa: E402

mujoco = render.mujoco  # imported by the backend after it chose MUJOCO_GL
TASK = "so101_pick_orange"
TWO_ARM_TASK = "bi_so101_clean_toy_table"
SEED = 0
TARGET_TICKS_PER_S = 30.0
BEFORE = "mujoco.Renderer, cameras in turn"


class SequentialRenderer:
    """MuJoCo's own `Renderer`, cameras one after the other (the backend's former path)."""

    def __init__(self, model: Any, cameras: dict[str, int], width: int, height: int) -> None:
        self._renderer = mujoco.Renderer(model, height=height, width=width)
        flags = self._renderer.scene.flags
        for flag in ("mjRND_SHADOW", "mjRND_REFLECTION", "mjRND_SKYBOX"):
            flags[getattr(mujoco.mjtRndFlag, flag)] = False
        self._cameras = cameras

    def render(self, data: Any) -> dict[str, np.ndarray]:
        images = {}
        for name, cid in self._cameras.items():
            self._renderer.update_scene(data, camera=cid)
            images[name] = self._renderer.render()
        return images

    def reset(self) -> None:
        pass

    def close(self) -> None:
        self._renderer.close()


def threaded(*, own_displays: bool, cull: bool, far: bool, depth24: bool, backdrop: bool):
    def make(env: Any, width: int, height: int) -> Any:
        model = env.model
        names = [model.geom(i).name for i in range(model.ngeom)]
        twins = far_twins(names) if far else []
        renderer = render.SceneRenderer(
            model, env._camera_ids, width, height, twins, FAR_MESH_CELL_M
        )
        for worker in renderer._workers.values():
            if not own_displays:
                worker._slot = 0
            if not cull:
                worker.draw_mask = lambda data, w=worker: w._drawn.copy()
            worker._depth24 = depth24
            worker._use_backdrop = backdrop
        return renderer

    return make


STEPS = dict(own_displays=True, cull=True, far=True, depth24=True, backdrop=True)
VARIANTS = {
    BEFORE: lambda env, w, h: SequentialRenderer(env.model, env._camera_ids, w, h),
    "threads, one display": threaded(
        **{
            **STEPS,
            "own_displays": False,
            "cull": False,
            "far": False,
            "depth24": False,
            "backdrop": False,
        }
    ),
    "threads + own displays": threaded(
        **{**STEPS, "cull": False, "far": False, "depth24": False, "backdrop": False}
    ),
    "+ frustum culling": threaded(**{**STEPS, "far": False, "depth24": False, "backdrop": False}),
    "+ far detail": threaded(**{**STEPS, "depth24": False, "backdrop": False}),
    "+ 24-bit depth buffer": threaded(**{**STEPS, "backdrop": False}),
    "+ fixed camera's backdrop (shipped)": None,  # the env's own renderer
}


def measure_env(
    actions: np.ndarray, width: int, height: int, variant: Any, task: str = TASK
) -> dict[str, float]:
    env = make_env_from_config(
        make_env_config("mujoco", task=task, camera_width=width, camera_height=height)
    )
    if variant is not None:
        env._renderer = variant(env, width, height)
    env.reset(seed=SEED)  # creates the renderer outside the timed region
    for action in actions[:10]:  # warm caches
        env.step(action)
    env.reset(seed=SEED)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for action in actions:
        env.step(action)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    env.close()
    return {
        "ticks": len(actions),
        "ticks_per_s": len(actions) / wall,
        "cpu_s_per_tick": cpu / len(actions),
        "wall_ms_per_tick": 1e3 * wall / len(actions),
    }


def measure_physics(actions: np.ndarray, task: str = TASK) -> dict[str, float]:
    """The anchor: the same model and substeps, no rendering, no observation building."""
    from leisaac_core import so101

    env = make_env_from_config(
        make_env_config("mujoco", task=task, camera_width=16, camera_height=16)
    )
    model = env.model  # type: ignore[attr-defined]
    substeps = env.substeps  # type: ignore[attr-defined]
    actuators = env._actuator_ids  # type: ignore[attr-defined]
    data = mujoco.MjData(model)
    targets = [so101.normalized_to_radians(a) for a in actions]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for target in targets:
        data.ctrl[actuators] = target
        mujoco.mj_step(model, data, nstep=substeps)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    env.close()
    return {
        "ticks": len(actions),
        "ticks_per_s": len(actions) / wall,
        "cpu_s_per_tick": cpu / len(actions),
        "wall_ms_per_tick": 1e3 * wall / len(actions),
    }


def best_of(repeats: int, run: Any) -> dict[str, float]:
    """The fastest of a few runs: other jobs on a shared machine only ever slow a run down."""
    runs = [run() for _ in range(repeats)]
    return min(runs, key=lambda r: r["wall_ms_per_tick"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=300)
    parser.add_argument("--sizes", default="320x240", help="more sizes for the shipped renderer")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--two-arm-sizes",
        default="640x480,480x360,320x240",
        help="camera sizes of the two-arm task's rows ('' for none)",
    )
    args = parser.parse_args()
    actions = record_actions(args.ticks, TASK, SEED)
    rows: dict[str, dict[str, float]] = {
        "physics only (anchor)": best_of(args.repeats, lambda: measure_physics(actions))
    }
    # Interleave the variants per repeat so a burst of load from elsewhere hits them all.
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
    for _ in range(args.repeats):
        for name, variant in VARIANTS.items():
            runs[name].append(measure_env(actions, 640, 480, variant))
    for name, results in runs.items():
        rows[f"{name} 640x480"] = min(results, key=lambda r: r["wall_ms_per_tick"])
    for size in filter(None, args.sizes.split(",")):
        width, height = (int(v) for v in size.split("x"))
        rows[f"shipped {size}"] = best_of(
            args.repeats, lambda w=width, h=height: measure_env(actions, w, h, None)
        )
    before = rows[f"{BEFORE} 640x480"]
    for row in rows.values():
        row["speedup_vs_before"] = before["wall_ms_per_tick"] / row["wall_ms_per_tick"]
        row["cpu_vs_before"] = row["cpu_s_per_tick"] / before["cpu_s_per_tick"]
    two_arms = measure_two_arms(args)
    results = {
        "machine": {
            "cpu": cpu_model(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "mujoco": mujoco.__version__,
            "mujoco_gl": os.environ.get("MUJOCO_GL", ""),
            "lp_num_threads": os.environ.get("LP_NUM_THREADS", "(Mesa default)"),
            "load_average": os.getloadavg(),
        },
        "task": TASK,
        "seed": SEED,
        "repeats": args.repeats,
        "target_ticks_per_s_640x480": TARGET_TICKS_PER_S,
        "rows": rows,
        "two_arm_task": TWO_ARM_TASK,
        "two_arm_rows": two_arms,
    }
    out = ROOT / "bench" / "results" / "sim.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(
        f"{TASK}, {args.ticks} ticks, best of {args.repeats}; {cpu_model()}, {os.cpu_count()} "
        f"CPUs, MUJOCO_GL={results['machine']['mujoco_gl']}, load {os.getloadavg()[0]:.1f}"
    )
    print(f"{'':42}{'ticks/s':>9}{'ms/tick':>9}{'CPU ms':>8}{'speed-up':>10}{'CPU x':>7}")
    for name, row in rows.items():
        print(
            f"{name:42}{row['ticks_per_s']:9.1f}{row['wall_ms_per_tick']:9.2f}"
            f"{1e3 * row['cpu_s_per_tick']:8.2f}{row['speedup_vs_before']:9.2f}x"
            f"{row['cpu_vs_before']:7.2f}"
        )
    shipped = rows["+ fixed camera's backdrop (shipped) 640x480"]
    verdict = "meets" if shipped["ticks_per_s"] >= 2 * TARGET_TICKS_PER_S else "MISSES"
    print(f"640x480 both cameras {verdict} 2x the {TARGET_TICKS_PER_S:g} ticks/s target")
    print_two_arms(two_arms)
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


def measure_two_arms(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Two arms, three cameras: physics anchor, then the shipped renderer per size. A size
    holds the 30 Hz period when a tick's wall time fits in it (paced, the loop then sleeps
    the rest); `share_of_period` is that ratio."""
    sizes = [s for s in args.two_arm_sizes.split(",") if s]
    if not sizes:
        return {}
    actions = record_actions(args.ticks, TWO_ARM_TASK, SEED)
    rows = {
        "physics only (anchor)": best_of(
            args.repeats, lambda: measure_physics(actions, TWO_ARM_TASK)
        )
    }
    runs: dict[str, list[dict[str, float]]] = {size: [] for size in sizes}
    for _ in range(args.repeats):  # interleaved, as above
        for size in sizes:
            width, height = (int(v) for v in size.split("x"))
            runs[size].append(measure_env(actions, width, height, None, TWO_ARM_TASK))
    for size, results in runs.items():
        rows[f"shipped {size} x 3 cameras"] = min(results, key=lambda r: r["wall_ms_per_tick"])
    period_ms = 1e3 / TARGET_TICKS_PER_S
    for row in rows.values():
        row["share_of_period"] = row["wall_ms_per_tick"] / period_ms
        row["cpu_share_of_period"] = 1e3 * row["cpu_s_per_tick"] / period_ms
    return rows


def print_two_arms(rows: dict[str, dict[str, float]]) -> None:
    if not rows:
        return
    print(
        f"{TWO_ARM_TASK} (two arms, cameras left_wrist, right_wrist, top), vs the 33.3 ms period:"
    )
    print(f"{'':42}{'ticks/s':>9}{'ms/tick':>9}{'CPU ms':>8}{'period':>8}{'CPU/per':>9}")
    for name, row in rows.items():
        print(
            f"{name:42}{row['ticks_per_s']:9.1f}{row['wall_ms_per_tick']:9.2f}"
            f"{1e3 * row['cpu_s_per_tick']:8.2f}{row['share_of_period']:8.2f}"
            f"{row['cpu_share_of_period']:9.2f}"
        )


if __name__ == "__main__":
    sys.exit(main())

"""FoldCloth on this CPU: what a MuJoCo flex cloth costs with two SO-101 arms and three cameras.

LeIsaac's LeIsaac-SO101-FoldCloth-BiArm-v0 folds a garment (PhysX particle cloth, GPU). Here
the two-arm clean-toy-table scene (its arms, table and cameras left_wrist, right_wrist, top;
no toys) gets a square cloth in front of the arms: a `flexcomp` grid with edge equality
constraints, no self-collision, colliding with the table and the robots' jaw pads. Rows:

- `arms only (anchor)`: the same scene without the cloth, physics only;
- `cloth NxN, dt`: physics only, per grid and physics step (2 ms: what the embedded tasks
  use; 4.76 ms: seven steps per 30 Hz tick, the coarsest that divides the period under 5 ms);
- `+ 3 cameras WxH`: the shipped renderer drawing left_wrist, right_wrist and top each tick.

The arms hold their rest pose while the cloth settles on the table for the measured ticks
(contacts between cloth and table: the steady cost of a lying cloth). Each row reports the
wall milliseconds per 30 Hz tick and its share of the 33.3 ms period (paced human teleop
needs it well under 1, recording and the live view take the rest).

Then the fold itself (`--fold-seeds`): per seed the cloth is shifted +-1.5 cm and turned
+-5 degrees (LeIsaac's cloth yaw range), and both arms try a scripted fold: each grips a far
corner with its jaws tilted under the edge (the arm passes through the table, so the fixed
jaw goes under the cloth and the moving one closes on top), lifts, carries it over the
near corner, lets go and rests. Recorded per attempt: how high the gripped corners rose
(a grip holds if they leave the table), the two far-to-near corner distances at the end,
and whether a LeIsaac-style keypoint rule (each distance < 0.10 m, arms at rest) holds,
which is what a fold rule would report. Writes bench/results/cloth.json. Run it under
`flock /tmp/leisaac-bench.lock`.

    .venv/bin/python bench/cloth.py [--ticks 90] [--grids 10,14] [--sizes 320x240,640x480]
        [--fold-seeds 10]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leisaac_core import so101  # noqa: E402
from leisaac_core.sim.mujoco import render  # noqa: E402
from leisaac_core.sim.mujoco.cost import cpu_model  # noqa: E402
from leisaac_core.sim.mujoco.scene import FAR_MESH_CELL_M, build_scene_xml, far_twins  # noqa: E402
from leisaac_core.tasks import ArmAtRest, get_task  # noqa: E402

mujoco = render.mujoco
FPS = 30
PERIOD_MS = 1e3 / FPS
# The cloth: 0.24 m across (y) and 0.16 m deep (x), in front of and between the arms.
CLOTH_CENTRE = (0.17, 0.0, 0.004)
CLOTH_SIZE = (0.16, 0.24)
CLOTH_MASS = 0.04  # kg (a cotton napkin)
CLOTH_RADIUS = 0.003  # m: the cloth's half thickness (its vertices' and elements' radius)
SCENE = replace(
    get_task("bi_so101_clean_toy_table"),
    name="bi_so101_cloth_probe",
    objects=(),
    success=ArmAtRest(),
)


def cloth_xml(
    grid: int, shift: tuple[float, float] = (0.0, 0.0), yaw_deg: float = 0.0
) -> ET.Element:
    """A grid of grid x grid vertices, edges held by equality constraints (MuJoCo's cheap
    inextensible cloth), colliding with the table (bit 1) and the jaw pads (bit 2)."""
    spacing = (CLOTH_SIZE[0] / (grid - 1), CLOTH_SIZE[1] / (grid - 1))
    centre = (CLOTH_CENTRE[0] + shift[0], CLOTH_CENTRE[1] + shift[1], CLOTH_CENTRE[2])
    flex = ET.Element(
        "flexcomp",
        name="cloth",
        type="grid",
        count=f"{grid} {grid} 1",
        spacing=f"{spacing[0]:.6g} {spacing[1]:.6g} 0.01",
        pos=" ".join(f"{v:.6g}" for v in centre),
        euler=f"0 0 {yaw_deg:.6g}",
        radius=f"{CLOTH_RADIUS:g}",
        dim="2",
        mass=f"{CLOTH_MASS:g}",
        rgba="0.3 0.5 0.85 1",
    )
    ET.SubElement(flex, "edge", equality="true", damping="0.002")
    ET.SubElement(
        flex,
        "contact",
        condim="3",
        selfcollide="none",
        contype="1",
        conaffinity="3",
        friction="1.0 0.005 0.0001",
        solref="0.004 1",
    )
    return flex


def scene_xml(grid: int | None, timestep: float, width: int, height: int, **cloth: Any) -> str:
    root = ET.fromstring(build_scene_xml(SCENE, timestep, width, height))
    if grid:
        world = root.find("worldbody")
        assert world is not None
        world.append(cloth_xml(grid, **cloth))
    return ET.tostring(root, encoding="unicode")


def _model(grid: int | None, timestep: float, width: int, height: int, **cloth: Any) -> Any:
    model = mujoco.MjModel.from_xml_string(scene_xml(grid, timestep, width, height, **cloth))
    data = mujoco.MjData(model)
    names = [a.prefix + j for a in SCENE.arms for j in so101.JOINTS]
    actuators = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_ACTUATOR, n) for n in names]
    joints = [
        model.jnt_qposadr[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, n)] for n in names
    ]
    rest = so101.rest_pose_radians(len(SCENE.arms))
    data.qpos[joints] = rest
    data.ctrl[actuators] = rest
    mujoco.mj_forward(model, data)
    return model, data


def measure(
    grid: int | None, timestep: float, ticks: int, size: tuple[int, int] | None
) -> dict[str, float]:
    width, height = size or (64, 48)
    model, data = _model(grid, timestep, width, height)
    substeps = max(1, math.ceil((1 / FPS) / timestep - 1e-9))
    renderer = None
    if size is not None:
        cameras = {
            c.name: mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, c.name)
            for c in SCENE.cameras
        }
        names = [model.geom(i).name for i in range(model.ngeom)]
        renderer = render.SceneRenderer(
            model, cameras, width, height, far_twins(names), FAR_MESH_CELL_M
        )
        renderer.render(data)  # contexts made outside the timed part
    for _ in range(5):
        mujoco.mj_step(model, data, nstep=substeps)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(ticks):
        mujoco.mj_step(model, data, nstep=substeps)
        if renderer is not None:
            renderer.render(data)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if renderer is not None:
        renderer.close()
    finite = bool(np.all(np.isfinite(data.qpos)))
    return {
        "ticks": ticks,
        "substeps": substeps,
        "timestep_ms": 1e3 / FPS / substeps,
        "wall_ms_per_tick": 1e3 * wall / ticks,
        "cpu_ms_per_tick": 1e3 * cpu / ticks,
        "share_of_period": 1e3 * wall / ticks / PERIOD_MS,
        "x_real_time": (ticks / FPS) / wall,
        "stable": finite,
        "contacts": int(data.ncon),
        "vertices": int(model.nflexvert),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=90)
    parser.add_argument("--grids", default="10,14")
    parser.add_argument("--sizes", default="320x240,640x480")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--fold-seeds", type=int, default=10, help="scripted fold attempts")
    args = parser.parse_args()
    grids = [int(g) for g in args.grids.split(",") if g]
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",") if s]
    steps = (0.002, 1 / FPS / 7)

    def best(run: Any) -> dict[str, float]:
        return min((run() for _ in range(args.repeats)), key=lambda r: r["wall_ms_per_tick"])

    rows: dict[str, dict[str, float]] = {
        "arms only (anchor), dt 2 ms": best(lambda: measure(None, 0.002, args.ticks, None))
    }
    for grid in grids:
        for dt in steps:
            label = f"cloth {grid}x{grid}, dt {1e3 * dt:.2f} ms"
            rows[label] = best(lambda g=grid, d=dt: measure(g, d, args.ticks, None))
            for size in sizes:
                rows[f"{label} + 3 cameras {size[0]}x{size[1]}"] = best(
                    lambda g=grid, d=dt, s=size: measure(g, d, args.ticks, s)
                )
    results = {
        "machine": {
            "cpu": cpu_model(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "mujoco": mujoco.__version__,
            "load_average": os.getloadavg(),
        },
        "fps": FPS,
        "cloth": {
            "size_m": CLOTH_SIZE,
            "mass_kg": CLOTH_MASS,
            "model": "flexcomp grid, edge equality",
        },
        "rows": rows,
    }
    if args.fold_seeds:
        from cloth_fold import fold_attempt  # bench/ is on sys.path

        attempts = [fold_attempt(seed, grids[0]) for seed in range(args.fold_seeds)]
        results["fold"] = {
            "grid": grids[0],
            "attempts": attempts,
            "grips_held": sum(a["grip_held"] for a in attempts),
            "rule_holds": sum(a["rule_holds"] for a in attempts),
            "rule_holds_without_a_fold": sum(
                a["rule_holds"] and not a["grip_held"] for a in attempts
            ),
        }
    out = ROOT / "bench" / "results" / "cloth.json"
    out.write_text(json.dumps(results, indent=2))
    print(
        f"cloth with two arms; {cpu_model()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    )
    print(f"{'':52}{'ms/tick':>9}{'CPU ms':>8}{'period':>8}{'x real':>8}")
    for name, r in rows.items():
        print(
            f"{name:52}{r['wall_ms_per_tick']:9.2f}{r['cpu_ms_per_tick']:8.2f}"
            f"{r['share_of_period']:8.2f}{r['x_real_time']:8.2f}{'' if r['stable'] else '  UNSTABLE'}"
        )
    fold = results.get("fold")
    if fold:
        n = len(fold["attempts"])
        print(
            f"scripted fold, {fold['grid']}x{fold['grid']} cloth, {n} seeds: grips held "
            f"{fold['grips_held']}/{n}; keypoint rule held {fold['rule_holds']}/{n}, of them "
            f"{fold['rule_holds_without_a_fold']} with no corner lifted (a dragged, bunched cloth)"
        )
        for a in fold["attempts"]:
            print(
                f"  seed {a['seed']}: corners rose to {a['corner_rise_m'][0]:.3f} / "
                f"{a['corner_rise_m'][1]:.3f} m, far-near {a['distances_m'][0]:.3f} / "
                f"{a['distances_m'][1]:.3f} m, rule {'holds' if a['rule_holds'] else 'no'}"
            )
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

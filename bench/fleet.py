"""Benchmark the fleet: episodes per hour with 1 and 2 Ray workers against the single-process
`record` command (the anchor) on the same seeds, and the head's commit latency while the
workers stream.

All three record the same task, device, camera size and seeds 0..N-1 (scripted, unpaced) into
fresh datasets. Wall time counts from the command's start to its exit (Ray's start and the
workers' first env build included); "steady" rates count from the coordinator's start of the
workers to the last commit. Writes bench/results/fleet.json and prints a table.

usage: .venv/bin/python bench/fleet.py [--episodes 8] [--camera-size 128x96] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leisaac_core.dataset import load_episodes  # noqa: E402
from leisaac_core.sim.mujoco.cost import cpu_model  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "fleet.json"
TASK = "so101_lift_cube"


def _cli(*args: str, env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=3600,
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed:\n{proc.stderr[-3000:]}")
    return elapsed, proc.stderr


def _fleet_in_process(workers: int, episodes: int, size: str, root: Path) -> dict:
    from leisaac_core.fleet import FleetConfig
    from leisaac_core.fleet.run import FleetRun
    from leisaac_core.session import SessionConfig

    width, height = (int(v) for v in size.split("x"))
    config = FleetConfig(
        session=SessionConfig(
            episodes=episodes,
            env={"task": TASK, "camera_width": width, "camera_height": height},
            devices=[{"type": "scripted"}],
            dataset={"repo_id": f"bench/fleet{workers}", "root": root},
            episode={"seed": 0},
        ),
        workers=workers,
    )
    t0 = time.perf_counter()
    status = FleetRun(config, root.parent).run()
    wall = time.perf_counter() - t0
    if status.state != "finished":
        raise SystemExit(f"fleet with {workers} worker(s) ended {status.state}: {status.message}")
    return {
        "wall_s": wall,
        "steady_s": status.elapsed_s,
        "commit_ms_p50": status.commit_ms_p50,
        "commit_ms_max": status.commit_ms_max,
        "per_worker": {w.name: w.episodes_saved for w in status.workers},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=8)
    parser.add_argument("--camera-size", default="128x96")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    n = args.episodes
    work = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_LEROBOT_HOME": str(work)}
    rows: dict[str, dict] = {}

    wall, _ = _cli(
        "record", "--task", TASK, "--device", "scripted", "--episodes", str(n),
        "--seed", "0", "--camera-size", args.camera_size, "--repo-id", "bench/record",
        env=env,
    )  # fmt: skip
    seeds = sorted(e.seed for e in load_episodes(work / "bench" / "record"))
    rows["record (1 process, anchor)"] = {"wall_s": wall, "seeds": seeds}

    for k in args.workers:
        root = work / "bench" / f"fleet{k}"
        result = _fleet_in_process(k, n, args.camera_size, root)
        result["seeds"] = sorted(e.seed for e in load_episodes(root))
        rows[f"fleet, {k} worker{'s' if k > 1 else ''}"] = result

    anchor = rows["record (1 process, anchor)"]["wall_s"]
    for row in rows.values():
        row["episodes_per_hour"] = n / row["wall_s"] * 3600
        row["vs_record"] = anchor / row["wall_s"]
        if "steady_s" in row:
            row["steady_episodes_per_hour"] = n / max(row["steady_s"], 1e-9) * 3600
        assert row["seeds"] == list(range(n)), f"seeds differ: {row['seeds']}"
    results = {
        "task": TASK,
        "episodes": n,
        "camera_size": args.camera_size,
        "cpus": os.cpu_count(),
        "load_avg_before": os.getloadavg(),
        "cpu": cpu_model(),
        "rows": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    print(
        f"{n} episodes of {TASK}, cameras {args.camera_size}, seeds 0..{n - 1}, {os.cpu_count()} CPUs"
    )
    print(
        f"{'':28}{'wall s':>8}{'ep/h':>8}{'x record':>10}{'steady ep/h':>13}{'commit p50/max ms':>20}"
    )
    for name, row in rows.items():
        steady = f"{row['steady_episodes_per_hour']:.0f}" if "steady_s" in row else "-"
        commit = (
            f"{row['commit_ms_p50']:.0f} / {row['commit_ms_max']:.0f}"
            if "commit_ms_p50" in row
            else "-"
        )
        print(
            f"{name:28}{row['wall_s']:8.1f}{row['episodes_per_hour']:8.0f}"
            f"{row['vs_record']:10.2f}{steady:>13}{commit:>20}"
        )
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

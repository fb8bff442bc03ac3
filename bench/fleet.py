"""Benchmark the fleet: episodes per hour with 1, 2, 4, 8 and 15 Ray workers beside one plain
`record` process (the anchor) in the same run, on the same task, device, camera size and seeds.

Per row: episodes/h and its ratio to the anchor, both over the whole command ("wall": process
or Ray start, env builds and packing included) and steady (from the first saved episode to
the last: what a long run gets); CPU seconds per episode (the whole process tree: for the
fleet the head and Ray's own processes, plus each worker's own count sent with its last
episode); the head's commit time p50/p99 (every
commit); bytes per episode moved from a worker to the head through Ray's object store; the
head's largest RSS; the most episodes ever waiting for their commit (the bounded queue);
the cores the row kept busy (CPU s / wall s) and its ceiling: what k workers could reach on
this machine if each spent the anchor's CPU per episode (min(cores, k x the anchor's busy
cores) / the anchor's busy cores), since one `record` keeps more than one core busy.
Rows asking for more workers than this machine has cores are skipped with the reason,
unless --workers names them. Writes JSON (bench/results/fleet.json or --out) and a table.

usage: .venv/bin/python bench/fleet.py [--episodes 40] [--per-worker 20] [--camera-size 128x96]
           [--workers 1 2 4 8 15] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
DEFAULT_WORKERS = (1, 2, 4, 8, 15)


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of `pid` and every live descendant, with the children
    they reaped (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry)] = int(fields[1])
        cpu[int(entry)] = sum(int(v) for v in fields[11:15]) / tick
    total, stack = 0.0, [pid]
    children: dict[int, list[int]] = {}
    for child, ppid in parent.items():
        children.setdefault(ppid, []).append(child)
    while stack:
        p = stack.pop()
        total += cpu.get(p, 0.0)
        stack.extend(children.get(p, ()))
    return total


def steady_rate(saved_at: list[float]) -> float:
    """Episodes per hour between the first and the last saved episode."""
    if len(saved_at) < 2:
        return 0.0
    return (len(saved_at) - 1) / max(saved_at[-1] - saved_at[0], 1e-9) * 3600


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def record_row(n: int, size: str, work: Path) -> dict:
    """One plain `record` process; every "episode N saved" line timed as it arrives."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_LEROBOT_HOME": str(work)}
    cmd = [sys.executable, "-m", "server.cli", "record", "--task", TASK, "--device", "scripted",
           "--episodes", str(n), "--seed", "0", "--camera-size", size, "--repo-id", "bench/record"]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert proc.stderr is not None
    saved_at, tail = [], []
    for line in proc.stderr:
        tail = [*tail[-40:], line]
        if line.startswith("episode ") and line.rstrip().endswith(" saved"):
            saved_at.append(time.perf_counter())
    proc.wait()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit("record failed:\n" + "".join(tail))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    seeds = sorted(e.seed for e in load_episodes(work / "bench" / "record"))
    return {
        "episodes": n,
        "wall_s": wall,
        "episodes_per_hour": n / wall * 3600,
        "steady_episodes_per_hour": steady_rate(saved_at),
        "cpu_s_per_episode": cpu / n,
        "rss_max_mb": after.ru_maxrss / 1024,
        "seeds_exact": seeds == list(range(n)),
    }


def fleet_row(workers: int, n: int, size: str, work: Path) -> dict:
    import ray

    from leisaac_core.fleet import FleetConfig
    from leisaac_core.fleet.cluster import connect
    from leisaac_core.fleet.run import FleetRun
    from leisaac_core.session import SessionConfig

    width, height = (int(v) for v in size.split("x"))
    root = work / "bench" / f"fleet{workers}"
    config = FleetConfig(
        session=SessionConfig(
            episodes=n,
            env={"task": TASK, "camera_width": width, "camera_height": height},
            devices=[{"type": "scripted"}],
            dataset={"repo_id": f"bench/fleet{workers}", "root": root},
            episode={"seed": 0},
        ),
        workers=workers,
    )
    saved_at: list[float] = []

    def on_event(message: str) -> None:
        if " saved as episode " in message:
            saved_at.append(time.perf_counter())

    t0 = time.perf_counter()
    connect(None, workers)  # started here, so its start counts and its processes are measured
    cpu0 = tree_cpu_s(os.getpid())
    run = FleetRun(config, work, on_event=on_event)
    status = run.run()
    cpu = tree_cpu_s(os.getpid()) - cpu0
    ray.shutdown()
    wall = time.perf_counter() - t0
    if status.state != "finished":
        raise SystemExit(f"fleet with {workers} worker(s) ended {status.state}: {status.message}")
    commits = [c for c in run.commits if not c.error]
    # The workers' processes are gone by now (the run ends its actors): each one's CPU is
    # what it reported with its last episode.
    last_cpu: dict[str, float] = {}
    for c in commits:
        last_cpu[c.worker] = max(last_cpu.get(c.worker, 0.0), c.worker_cpu_s)
    cpu += sum(last_cpu.values())
    commit_ms = [1000 * c.commit_s for c in commits]
    seeds = sorted(e.seed for e in load_episodes(root))
    return {
        "episodes": n,
        "wall_s": wall,
        "episodes_per_hour": n / wall * 3600,
        "steady_episodes_per_hour": steady_rate(saved_at),
        "cpu_s_per_episode": cpu / n,
        "commit_ms_p50": percentile(commit_ms, 0.5),
        "commit_ms_p99": percentile(commit_ms, 0.99),
        "commit_ms_max": max(commit_ms, default=0.0),
        "commits_measured": len(commit_ms),
        "object_store_bytes_per_episode": sum(c.nbytes for c in commits) / max(len(commits), 1),
        "head_rss_max_mb": max((c.head_rss for c in commits), default=0) / 2**20,
        "worker_rss_max_mb": max((c.worker_rss for c in commits), default=0) / 2**20,
        "workers": workers,
        "episodes_waiting_for_commit_max": run.most_queued,
        "per_worker": {w.name: w.episodes_saved for w in status.workers},
        "seeds_exact": seeds == list(range(n)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=40, help="anchor and smallest rows")
    parser.add_argument(
        "--per-worker", type=int, default=20, help="a row of k workers records k x this at least"
    )
    parser.add_argument("--camera-size", default="128x96")
    parser.add_argument("--workers", type=int, nargs="+", help="default: 1 2 4 8 15 up to cores")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    load_before = os.getloadavg()
    rows: dict[str, dict] = {}
    skipped: dict[str, str] = {}

    anchor = record_row(args.episodes, args.camera_size, work)
    rows["record (1 process, anchor)"] = anchor
    for k in args.workers or DEFAULT_WORKERS:
        name = f"fleet, {k} worker{'s' if k > 1 else ''}"
        if args.workers is None and k > cores:
            skipped[name] = f"{k} workers need {k} cores; this machine has {cores}"
            continue
        n = max(args.episodes, args.per_worker * k)
        rows[name] = fleet_row(k, n, args.camera_size, work)
    # How many cores a row kept busy, and the most k workers could reach here if each spent
    # the anchor's CPU per episode: one `record` process already keeps more than one core
    # busy (the encoders run beside the sim), so k of them cannot reach k x on k cores.
    anchor_busy = anchor["cpu_s_per_episode"] * anchor["episodes"] / anchor["wall_s"]
    for row in rows.values():
        row["cores_busy"] = row["cpu_s_per_episode"] * row["episodes"] / row["wall_s"]
        k = row.get("workers", 1)
        row["ceiling_vs_record"] = min(cores, k * anchor_busy) / anchor_busy
        row["vs_record"] = row["episodes_per_hour"] / anchor["episodes_per_hour"]
        row["steady_vs_record"] = (
            row["steady_episodes_per_hour"] / anchor["steady_episodes_per_hour"]
        )
        assert row["seeds_exact"], "a row's dataset does not hold exactly seeds 0..n-1"
    results = {
        "task": TASK,
        "camera_size": args.camera_size,
        "cpus": cores,
        "cpu": cpu_model(),
        "load_avg_before": load_before,
        "load_avg_after": os.getloadavg(),
        "rows": rows,
        "skipped": skipped,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(
        f"{TASK}, cameras {args.camera_size}, {cores} CPUs ({cpu_model()}), load before "
        f"{load_before[0]:.2f} after {results['load_avg_after'][0]:.2f}"
    )
    head = ("", "eps", "ep/h", "x rec", "steady", "x rec", "ceiling", "CPU s/ep", "cores",
            "commit p50/p99 ms", "KB/ep", "head MB")  # fmt: skip
    print(
        f"{head[0]:28}{head[1]:>5}"
        + "".join(f"{h:>10}" for h in head[2:9])
        + f"{head[9]:>19}{head[10]:>7}{head[11]:>9}"
    )
    for name, r in rows.items():
        commit = (
            f"{r['commit_ms_p50']:.0f} / {r['commit_ms_p99']:.0f}" if "commit_ms_p50" in r else "-"
        )
        kb = f"{r['object_store_bytes_per_episode'] / 1024:.0f}" if "commit_ms_p50" in r else "-"
        rss = f"{r['head_rss_max_mb']:.0f}" if "commit_ms_p50" in r else "-"
        print(
            f"{name:28}{r['episodes']:>5}{r['episodes_per_hour']:10.0f}{r['vs_record']:10.2f}"
            f"{r['steady_episodes_per_hour']:10.0f}{r['steady_vs_record']:10.2f}"
            f"{r['ceiling_vs_record']:10.2f}{r['cpu_s_per_episode']:10.2f}{r['cores_busy']:10.2f}"
            f"{commit:>19}{kb:>7}{rss:>9}"
        )
    for name, why in skipped.items():
        print(f"{name:28}skipped: {why}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

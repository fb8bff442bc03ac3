"""Runs lerobot's own code (in its own venv) on datasets: its reader, its writer and its merge."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).parent


def run_in_lerobot(
    python: Path, script: str, jobs: list, work: Path
) -> subprocess.CompletedProcess[str]:
    """Run one of this folder's scripts in lerobot's venv with `jobs` as its JSON job file,
    offline, with a datasets cache of the test's own."""
    job_file = work / f"{Path(script).stem}-jobs.json"
    job_file.write_text(json.dumps(jobs))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_CACHE": str(work / "hf-cache")}
    return subprocess.run(
        [str(python), str(HERE / script), str(job_file)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def run_lerobot_probe(
    python: Path, jobs: list[tuple[Path, str]], work: Path, stride: int = 1
) -> list[dict[str, np.ndarray]]:
    """Load each (root, repo_id) with lerobot's LeRobotDataset; return what it read."""
    specs = [
        {
            "root": str(root),
            "repo_id": repo_id,
            "out": str(work / f"probe-{i}.npz"),
            "stride": stride,
        }
        for i, (root, repo_id) in enumerate(jobs)
    ]
    proc = run_in_lerobot(python, "lerobot_probe.py", specs, work)
    results = []
    for spec in specs:
        err = Path(spec["out"] + ".error.txt")
        if err.exists():
            pytest.fail(f"lerobot could not load {spec['root']}:\n{err.read_text()}", pytrace=False)
        if not Path(spec["out"]).exists():
            pytest.fail(f"lerobot probe failed:\n{proc.stderr[-4000:]}", pytrace=False)
        with np.load(spec["out"]) as data:
            results.append({k: data[k] for k in data.files})
    return results


def run_lerobot_merges(
    python: Path, merges: list[tuple[list[tuple[Path, str]], Path, str]], work: Path
) -> None:
    """Merge each (sources as (root, repo_id), into root, into repo_id) with lerobot's own
    aggregate_datasets, all in one lerobot process (one import of lerobot, several seconds);
    fails the test with lerobot's traceback, naming the merge, if it refuses one."""
    jobs = [
        {
            "repo_ids": [repo_id for _, repo_id in sources],
            "roots": [str(root) for root, _ in sources],
            "into_repo_id": into_repo_id,
            "into_root": str(into),
        }
        for sources, into, into_repo_id in merges
    ]
    proc = run_in_lerobot(python, "lerobot_merge.py", jobs, work)
    if proc.returncode != 0:
        pytest.fail(f"lerobot's aggregate_datasets failed:\n{proc.stderr[-4000:]}", pytrace=False)


def lerobot_make(python: Path, jobs: list[dict], work: Path) -> None:
    """Write datasets with lerobot's own writer (tests/compat/lerobot_make_dataset.py)."""
    proc = run_in_lerobot(python, "lerobot_make_dataset.py", jobs, work)
    if proc.returncode != 0:
        pytest.fail(f"lerobot's writer failed:\n{proc.stderr[-4000:]}", pytrace=False)

"""Runs lerobot's reader (in its own venv) over datasets and returns what it read."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).parent


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
    job_file = work / "probe-jobs.json"
    job_file.write_text(json.dumps(specs))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_CACHE": str(work / "hf-cache")}
    proc = subprocess.run(
        [str(python), str(HERE / "lerobot_probe.py"), str(job_file)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
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
    job_file = work / "merge-jobs.json"
    job_file.write_text(json.dumps(jobs))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_CACHE": str(work / "hf-cache")}
    proc = subprocess.run(
        [str(python), str(HERE / "lerobot_merge.py"), str(job_file)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    if proc.returncode != 0:
        pytest.fail(f"lerobot's aggregate_datasets failed:\n{proc.stderr[-4000:]}", pytrace=False)

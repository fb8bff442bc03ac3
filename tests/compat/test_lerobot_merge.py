"""Two datasets recorded by our writer, merged by lerobot's own aggregate_datasets (which
concatenates our mp4s and places each episode by the files' declared durations), read back
frame by frame by lerobot's reader: every frame decodes and is the frame we wrote. The same
for our own merge, of our datasets and of lerobot's merged (packed) one with one of ours."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from lerobot_reader_support import HERE, run_lerobot_probe
from test_lerobot_reader import build, check_probe

from leisaac_core.dataset import dataset_dir, merge_datasets

pytestmark = pytest.mark.compat


def lerobot_merge(python: Path, sources: list[tuple[Path, str]], into: Path, repo: str, work):
    job = work / "merge-job.json"
    job.write_text(
        json.dumps(
            {
                "repo_ids": [r for _, r in sources],
                "roots": [str(p) for p, _ in sources],
                "into_repo_id": repo,
                "into_root": str(into),
            }
        )
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_CACHE": str(work / "hf-cache")}
    proc = subprocess.run(
        [str(python), str(HERE / "lerobot_merge.py"), str(job)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, f"lerobot's aggregate_datasets failed:\n{proc.stderr[-4000:]}"


def test_lerobot_merges_two_of_our_datasets(lerobot_python, tmp_path: Path) -> None:
    base = tmp_path / "datasets"
    a_eps = [(5, 0), (31, 100), (7, 200)]
    b_eps = [(44, 300), (8, 400)]
    a, b = dataset_dir(base, "m/a"), dataset_dir(base, "m/b")
    build(a, "m/a", a_eps)
    build(b, "m/b", b_eps)
    merged = dataset_dir(base, "m/merged")
    lerobot_merge(lerobot_python, [(a, "m/a"), (b, "m/b")], merged, "m/merged", tmp_path)
    ours = dataset_dir(base, "m/ours")
    merge_datasets([("m/a", a), ("m/b", b)], "m/ours", ours)
    mixed = dataset_dir(base, "m/mixed")  # lerobot's packed files, then ours
    merge_datasets([("m/merged", merged), ("m/b", b)], "m/mixed", mixed)
    results = run_lerobot_probe(
        lerobot_python,
        [(merged, "m/merged"), (ours, "m/ours"), (mixed, "m/mixed")],
        tmp_path,
        stride=1,
    )
    assert len(results[0]["items"]) == sum(n for n, _ in a_eps + b_eps)  # every frame read
    check_probe(results[0], a_eps + b_eps)
    check_probe(results[1], a_eps + b_eps)
    check_probe(results[2], a_eps + b_eps + b_eps)

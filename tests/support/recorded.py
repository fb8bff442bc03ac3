"""A small dataset recorded the way a user records one: `record` in a subprocess (scripted
demonstrator, lift-cube task, small cameras), for tests that need real episodes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def record_dataset(
    home: Path, repo_id: str, episodes: int = 1, seed: int = 3, task: str = "so101_lift_cube"
) -> Path:
    """Record into $HF_LEROBOT_HOME=`home`; returns the dataset directory."""
    result = subprocess.run(
        [
            sys.executable, "-m", "server.cli", "record", "--task", task,
            "--camera-size", "96x64", "--seed", str(seed), "--episodes", str(episodes),
            "--repo-id", repo_id,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HF_LEROBOT_HOME": str(home)},
        cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return home / repo_id


def multiply_episodes(root: Path, total: int) -> None:
    """Turn a one-episode dataset into `total` episodes for browsing tests: the episode
    metadata row is copied with varied outcome and QC figures; every copy points at the first
    episode's frames and videos. Enough for listing, paging, sorting and filtering (which
    read only episode metadata); not for deleting or reading frames of the copies."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted((root / "meta" / "episodes").rglob("*.parquet"))
    table = pq.read_table(files[0])
    first = table.to_pylist()[0]
    fps = 30
    rows = []
    for i in range(total):
        row = dict(first)
        row["episode_index"] = i
        row["dataset_from_index"] = i * first["length"]
        row["dataset_to_index"] = (i + 1) * first["length"]
        row["length"] = first["length"]
        row["outcome"] = ("success", "success", "success", "failure", "timeout")[i % 5]
        # Timing figures of a paced loop (an unpaced one gets no timing QC).
        row["paced"] = True
        row["fps_achieved"] = fps - (6.0 if i % 97 == 0 else (i % 7) * 0.1)
        row["period_p99_ms"] = 34.0 + (i % 11) + (40.0 if i % 131 == 0 else 0.0)
        for key in row:
            if key.startswith("frames_dropped") or "dropped" in key:
                row[key] = 3 if i % 251 == 0 else 0
        rows.append(row)
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), files[0])
    info_path = root / "meta" / "info.json"
    info = json.loads(info_path.read_text())
    info["total_episodes"] = total
    info["total_frames"] = total * first["length"]
    info["splits"] = {"train": f"0:{total}"}
    info_path.write_text(json.dumps(info, indent=4))

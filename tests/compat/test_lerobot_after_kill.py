"""After kill -9 mid-recording (and mid-compaction: the recorder compacts every 2 commits) and
the automatic repair, lerobot's own reader loads the dataset."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dataset_helpers import make_spec, wait_until
from lerobot_reader_support import run_lerobot_probe

from leisaac_core.dataset import DatasetWriter, dataset_dir, load_episodes

RECORDER = Path(__file__).parents[1] / "dataset" / "durability_recorder.py"


def committed_count(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.mark.compat
@pytest.mark.slow
def test_killed_and_repaired_dataset_loads_in_lerobot(lerobot_python, tmp_path: Path) -> None:
    """One shorter kill run, then lerobot's reader loads the repaired dataset."""
    root = dataset_dir(tmp_path / "datasets", "d/kill")
    log = tmp_path / "committed.log"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    for _ in range(3):
        before = committed_count(log)
        child = subprocess.Popen(
            [sys.executable, str(RECORDER), str(root), str(log), "2"],  # compacting too
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_until(lambda before=before: committed_count(log) > before + 1, timeout=60)
        time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    with DatasetWriter.open(root, make_spec("d/kill"), resume=True) as w:
        n = w.num_episodes
    (result,) = run_lerobot_probe(lerobot_python, [(root, "d/kill")], tmp_path, stride=3)
    assert int(result["num_episodes"]) == n
    assert int(result["num_frames"]) == sum(e.length for e in load_episodes(root))

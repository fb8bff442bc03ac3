"""kill -9 a recording process at random instants (often mid-commit); after each kill the
next open repairs, every episode the writer reported committed is there, and the dataset
loads (our reader here, lerobot's reader at the end)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from dataset_helpers import make_spec, wait_until

from leisaac_core.dataset import (
    DatasetWriter,
    dataset_dir,
    layout,
    load_episode_signals,
    load_episodes,
)
from leisaac_core.dataset.synthetic import synthetic_state

HERE = Path(__file__).parent
KILLS = 12


def committed_log(log: Path) -> list[tuple[int, int, int]]:
    if not log.exists():
        return []
    return [tuple(map(int, line.split())) for line in log.read_text().splitlines() if line]


@pytest.mark.slow
def test_kill_9_at_random_points_never_loses_a_committed_episode(tmp_path: Path) -> None:
    root = dataset_dir(tmp_path / "datasets", "d/kill")
    log = tmp_path / "committed.log"
    rng = random.Random(1234)
    repairs_seen = 0
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    for kill in range(KILLS):
        before = len(committed_log(log))
        child = subprocess.Popen(
            # Every other run compacts in the background every 3 commits.
            [
                sys.executable,
                str(HERE / "durability_recorder.py"),
                str(root),
                str(log),
                "3" if kill % 2 else "0",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        # Wait until it has committed at least one more episode (so it is mid-stream), then
        # kill at a random instant within the next episode's record/commit cycle.
        assert wait_until(
            lambda before=before, child=child: (
                len(committed_log(log)) > before or child.poll() is not None
            ),
            timeout=60,
        ), "recorder made no progress"
        assert child.poll() is None, child.stderr.read().decode()[-2000:]
        time.sleep(rng.uniform(0.0, 0.06))
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        child.stderr.close()

        promised = committed_log(log)
        with DatasetWriter.open(root, make_spec("d/kill"), resume=True) as w:
            repairs_seen += bool(w.repairs)
            assert w.num_episodes >= len(promised), (kill, w.repairs)
        episodes = load_episodes(root)
        for index, length, tag in promised:
            assert episodes[index].length == length
            sig = load_episode_signals(root, index)
            np.testing.assert_allclose(sig["state"][-1], synthetic_state(length - 1) + tag)
            assert all(v.path.exists() for v in episodes[index].videos.values())
        assert [e.index for e in episodes] == list(range(len(episodes)))
        assert not layout.journal_path(root).exists()
        assert not (root / ".leisaac").exists()
    assert len(committed_log(log)) >= KILLS
    assert repairs_seen > 0, "no kill landed mid-episode; the test did not exercise repair"

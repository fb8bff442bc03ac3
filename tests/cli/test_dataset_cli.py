"""`leisaac-dashboard dataset merge` as a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "dataset"))

from dataset_helpers import FAST_VIDEO, make_spec, record_episode  # noqa: E402

from leisaac_core.dataset import DatasetWriter, dataset_dir, load_episodes  # noqa: E402


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_dataset_merge_cli(tmp_path: Path) -> None:
    for repo_id, lengths in (("ns/a", [3, 4]), ("ns/b", [5])):
        root = dataset_dir(tmp_path, repo_id)
        with DatasetWriter.open(root, make_spec(repo_id), video=FAST_VIDEO) as w:
            for k, n in enumerate(lengths):
                record_episode(w, n, tag=k).result(60)
    done = _run(
        "dataset",
        "merge",
        "ns/a",
        "ns/b",
        "--into",
        "ns/c",
        "--root",
        str(tmp_path),
        "--no-compact",
    )
    assert done.returncode == 0, done.stderr
    assert "3 episodes, 12 frames" in done.stdout
    assert [e.length for e in load_episodes(dataset_dir(tmp_path, "ns/c"))] == [3, 4, 5]
    again = _run("dataset", "merge", "ns/a", "ns/b", "--into", "ns/c", "--root", str(tmp_path))
    assert again.returncode == 2 and "already exists" in again.stderr
    missing = _run("dataset", "merge", "ns/a", "ns/zz", "--into", "ns/d", "--root", str(tmp_path))
    assert missing.returncode == 2 and "ns/zz" in missing.stderr

    packed = _run("dataset", "compact", "ns/c", "--root", str(tmp_path))
    assert packed.returncode == 0, packed.stderr
    assert "2 episodes moved" in packed.stdout
    c = dataset_dir(tmp_path, "ns/c")
    assert len(list(c.glob("data/*/*.parquet"))) == 1
    assert [e.length for e in load_episodes(c)] == [3, 4, 5]
    nothing = _run("dataset", "compact", "ns/none", "--root", str(tmp_path))
    assert nothing.returncode == 2 and "no LeRobot dataset" in nothing.stderr

"""`leisaac-dashboard policy serve --expert scripted` + `leisaac-dashboard eval`, as a user runs
them (subprocesses, real MuJoCo, real websockets): the remote expert succeeds as often as the
in-process demonstrator, and the datasets carry reward/done/success/intervention per frame."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from leisaac_core.dataset import load_episodes
from tests.support.live_server import free_port

REPO = Path(__file__).resolve().parents[2]
SEEDS = 10


def _cli(*args: str, root: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_LEROBOT_HOME": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
    )


@pytest.fixture
def expert_url(tmp_path: Path):
    port = free_port()
    log = (tmp_path / "expert.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "policy", "serve", "--expert", "scripted"]
        + ["--port", str(port)],
        cwd=REPO,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # until it accepts connections
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "expert.log").read_text()
                assert time.monotonic() < deadline, "the expert server did not start in 60 s"
                time.sleep(0.2)
        yield f"ws://127.0.0.1:{port}"
    finally:  # never leave the server running, whatever failed
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _eval(root: Path, repo_id: str, *extra: str) -> tuple[dict, subprocess.CompletedProcess]:
    result = _cli(
        "eval",
        "--task",
        "so101_lift_cube",
        "--episodes",
        str(SEEDS),
        "--repo-id",
        repo_id,
        "--seed",
        "0",
        "--camera-size",
        "32x24",
        *extra,
        root=root,
    )
    assert result.returncode == 0, result.stderr
    report_path = Path(result.stdout.strip().splitlines()[-1])
    assert report_path.parent == root / repo_id.split("/")[0]
    return json.loads(report_path.read_text()), result


@pytest.mark.slow
def test_expert_server_eval_matches_the_in_process_demonstrator(
    tmp_path: Path, expert_url: str
) -> None:
    remote, _ = _eval(tmp_path, "ev/remote", "--policy-url", expert_url)
    local, _ = _eval(tmp_path, "ev/local", "--device", "scripted", "--reward-features")

    assert remote["seeds"] == local["seeds"] == list(range(SEEDS))
    assert remote["summary"]["successes"] == local["summary"]["successes"]
    assert local["summary"]["successes"] >= SEEDS - 1, local["per_seed"]
    low, high = remote["summary"]["success_rate_wilson_95"]
    assert 0 <= low <= remote["summary"]["success_rate"] <= high <= 1
    assert remote["device"] == "policy" and remote["policy_url"] == expert_url
    assert [o["outcome"] for o in remote["per_seed"]] == [o["outcome"] for o in local["per_seed"]]
    # Chunks of the closed-loop expert end where it needs feedback, so the remote episodes
    # take about as many ticks as the local ones.
    for far, near in zip(remote["per_seed"], local["per_seed"], strict=True):
        assert abs(far["ticks"] - near["ticks"]) <= 0.15 * near["ticks"], (far, near)
    assert all(o["starved_ticks"] == 0 for o in remote["per_seed"])  # lockstep never starves

    # Every outcome is kept: successes in the dataset, failures labelled next to it.
    saved = load_episodes(tmp_path / "ev" / "remote")
    failures_root = tmp_path / "ev" / "remote_failures"
    has_failures = (failures_root / "meta" / "info.json").exists()
    failed = load_episodes(failures_root) if has_failures else []
    assert len(saved) + len(failed) == SEEDS
    assert {e.seed for e in saved} | {e.seed for e in failed} == set(range(SEEDS))

    files = sorted((tmp_path / "ev" / "remote" / "data").rglob("*.parquet"))
    data = pa.concat_tables([pq.read_table(f) for f in files])
    for index in range(len(saved)):
        frames = data.filter(data.column("episode_index").to_numpy() == index)
        done = frames.column("next.done").to_numpy(zero_copy_only=False)
        reward = frames.column("next.reward").to_numpy()
        success = frames.column("next.success").to_numpy(zero_copy_only=False)
        assert done[-1] and not done[:-1].any(), "next.done only on the last frame"
        assert reward[-1] == 1.0 and success[-1] and reward.dtype == np.float32
        assert set(np.unique(reward)) <= {0.0, 1.0} and (reward[success] == 1.0).all()
        assert not frames.column("intervention").to_numpy(zero_copy_only=False).any()


def test_resume_refuses_a_dataset_with_other_frame_features(tmp_path: Path) -> None:
    base = ["--task", "so101_lift_cube", "--camera-size", "32x24", "--seed", "1"]
    first = _cli("record", *base, "--episodes", "1", "--repo-id", "rw/lift", root=tmp_path)
    assert first.returncode == 0, first.stderr
    again = _cli(
        "record",
        *base,
        "--episodes",
        "1",
        "--repo-id",
        "rw/lift",
        "--resume",
        "--reward-features",
        root=tmp_path,
    )
    assert again.returncode == 1
    assert "reward features (next.reward, ...): the dataset has none" in again.stderr
    assert "pass --no-reward-features" in again.stderr
    assert again.stderr.count("cannot resume") == 1, again.stderr
    assert len(load_episodes(tmp_path / "rw" / "lift")) == 1


def test_eval_without_a_policy_url_is_a_clear_error(tmp_path: Path) -> None:
    result = _cli("eval", "--task", "so101_lift_cube", "--repo-id", "ev/x", root=tmp_path)
    assert result.returncode == 2
    assert "--device policy needs --policy-url" in result.stderr


def test_lerobot_policy_server_without_lerobot_is_a_clear_error(tmp_path: Path) -> None:
    # The dashboard's own venv has no torch on purpose: the lerobot server runs elsewhere.
    result = _cli("policy", "serve", "--policy", str(tmp_path / "model"), root=tmp_path)
    assert result.returncode == 2
    assert "needs lerobot and torch" in result.stderr


def test_policy_key_must_be_a_rename(tmp_path: Path) -> None:
    result = _cli(
        "record",
        "--device",
        "policy",
        "--policy-url",
        "ws://127.0.0.1:9",
        "--policy-key",
        "task",
        "--repo-id",
        "k/x",
        root=tmp_path,
    )
    assert result.returncode == 2
    assert "--policy-key 'task' must look like OURS=THEIRS" in result.stderr

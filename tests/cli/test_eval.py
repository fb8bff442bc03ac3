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
from leisaac_core.policy.evaluation import wilson_interval
from leisaac_core.policy.server import PolicyServer
from tests.support.faulty_policy import FaultyExpert
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


def _eval(
    root: Path, repo_id: str, *extra: str, episodes: int = SEEDS, exit_code: int = 0
) -> tuple[dict, subprocess.CompletedProcess]:
    result = _cli(
        "eval",
        "--task",
        "so101_lift_cube",
        "--episodes",
        str(episodes),
        "--repo-id",
        repo_id,
        "--seed",
        "0",
        "--camera-size",
        "32x24",
        *extra,
        root=root,
    )
    assert result.returncode == exit_code, result.stderr
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


def test_lerobot_policy_server_says_what_this_python_lacks_and_what_to_rename(
    tmp_path: Path,
) -> None:
    # The dashboard's own venv has no torch on purpose: the lerobot server runs elsewhere.
    # The checkpoint's config.json as lerobot saves it (tests/compat/make_tiny_policy.py makes
    # a real one): a top camera and an input no session sends.
    model = tmp_path / "model"
    model.mkdir()
    features = {
        "observation.state": {"type": "STATE", "shape": [6]},
        "observation.images.top": {"type": "VISUAL", "shape": [3, 48, 64]},
        "observation.environment_state": {"type": "ENV", "shape": [3]},
    }
    config = {"type": "act", "input_features": features, "output_features": {}}
    (model / "config.json").write_text(json.dumps(config))
    result = _cli(
        "policy", "serve", "--policy", str(model), "--task", "so101_lift_cube", root=tmp_path
    )
    assert result.returncode == 2, result.stderr
    assert f"this Python ({sys.executable}) lacks lerobot, torch," in result.stderr
    assert 'pip install "lerobot==0.4.4" "torch==2.13.0"' in result.stderr
    assert "bash tests/compat/setup_lerobot_reader.sh" in result.stderr
    assert (
        "so101_lift_cube: the policy needs 'observation.environment_state', which the "
        "dashboard does not send" in result.stderr
    )
    # A camera named otherwise is a rename on the dashboard's side, said exactly.
    assert "--policy-key observation.images.front=observation.images.top" in result.stderr
    assert "Traceback" not in result.stderr


def test_record_with_an_unreachable_policy_server_fails_with_a_message(tmp_path: Path) -> None:
    url = f"ws://127.0.0.1:{free_port()}"
    result = _cli(
        "record", "--device", "policy", "--policy-url", url, "--takeover", "none",
        "--task", "so101_lift_cube", "--camera-size", "32x24", "--episodes", "2",
        "--keep-failures", "--repo-id", "rec/dead", root=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert f"episode 1 error: policy server {url}: cannot connect" in result.stderr
    assert "failure" not in result.stderr
    failures = tmp_path / "rec" / "dead_failures"
    assert not (failures / "data").exists() or not load_episodes(failures), (
        "no empty episode kept as a failure"
    )


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


# ---- episodes that did not measure the policy: `error`, apart from the success rate ----------


def test_eval_against_a_closed_port_stops_before_the_first_seed(tmp_path: Path) -> None:
    url = f"ws://127.0.0.1:{free_port()}"  # nothing listens there
    report, result = _eval(tmp_path, "ev/closed", "--policy-url", url, episodes=3, exit_code=1)
    assert f"the policy server cannot be reached (policy server {url}: cannot connect" in (
        result.stderr
    )
    assert "no episode measured the policy" in result.stderr
    assert "success 0/" not in result.stderr, "no rate over episodes that measured nothing"
    summary = report["summary"]
    assert (summary["episodes"], summary["errors"], summary["measured"]) == (1, 1, 0)
    assert summary["success_rate"] is None and summary["outcomes"] == {"error": 1}
    assert report["episodes_requested"] == 3, "stopped early: seeds 1 and 2 never ran"
    [seed] = report["per_seed"]
    assert seed["outcome"] == "error" and "cannot connect" in seed["reason"]


def test_eval_against_a_server_killed_mid_episode(tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(  # the expert until the 3rd request of episode 1, then it dies
        [sys.executable, "-m", "tests.support.faulty_policy", "--port", str(port)]
        + ["--exit-at", "1", "3"],
        cwd=REPO,
        stderr=log,
    )
    try:
        _wait_listening(port, server, tmp_path / "server.log")
        report, result = _eval(
            tmp_path, "ev/killed", "--policy-url", f"ws://127.0.0.1:{port}", episodes=2,
            exit_code=3,
        )  # fmt: skip
        assert server.wait(timeout=30) == 3, "the server died where it was told to"
    finally:
        if server.poll() is None:
            server.kill()
        log.close()
    first, second = report["per_seed"]
    assert first["outcome"] == second["outcome"] == "error"
    assert "connection lost" in first["reason"] and first["ticks"] > 0, "mid-episode"
    assert "cannot connect" in second["reason"]
    summary = report["summary"]
    assert (summary["errors"], summary["measured"], summary["success_rate"]) == (2, 0, None)
    assert "2 errors" in result.stderr and "episode 1 error" in result.stderr
    # The episode under way when the server died is kept, labelled, with its failures.
    [kept] = load_episodes(tmp_path / "ev" / "killed_failures")
    assert kept.outcome == "error" and kept.seed == 0 and kept.length == first["ticks"]
    assert not (tmp_path / "ev" / "killed" / "data").exists() or not load_episodes(
        tmp_path / "ev" / "killed"
    )


def test_a_server_answering_malformed_actions_leaves_the_rate_to_measured_episodes(
    tmp_path: Path,
) -> None:
    # The real expert for episode 1; from the 3rd request of episode 2 on, 5-joint actions.
    server = PolicyServer(FaultyExpert("malformed", episode=2, request=3), port=0).start()
    try:
        report, result = _eval(
            tmp_path, "ev/mixed", "--policy-url", server.url, episodes=3, exit_code=3
        )
    finally:
        server.stop()
    outcomes = [o["outcome"] for o in report["per_seed"]]
    assert outcomes[1:] == ["error", "error"] and outcomes[0] in ("success", "timeout")
    assert all("wrong action size" in o["reason"] for o in report["per_seed"][1:])
    summary = report["summary"]
    successes = int(outcomes[0] == "success")
    assert (summary["episodes"], summary["measured"], summary["errors"]) == (3, 1, 2)
    assert summary["successes"] == successes and summary["success_rate"] == successes
    assert summary["success_rate_wilson_95"] == list(wilson_interval(successes, 1))
    assert summary["outcomes"] == {outcomes[0]: 1, "error": 2}
    assert f"success {successes}/1 = " in result.stderr and "2 errors" in result.stderr
    errored = load_episodes(tmp_path / "ev" / "mixed_failures")
    assert [e.outcome for e in errored if e.outcome == "error"] == ["error", "error"]
    assert {e.seed for e in errored if e.outcome == "error"} == {1, 2}


def _wait_listening(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the policy server did not start in 60 s"
            time.sleep(0.2)

"""Evaluate a checkpoint without a second terminal: a REST session names a checkpoint folder
and the session serves it itself, as a child process in the lerobot environment (`policy
serve --policy`), evaluates, and stops it; the report links every rollout's episode. Real
uvicorn, MuJoCo, the lerobot venv and a small random ACT saved as lerobot-train saves one."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import time
from pathlib import Path

import pytest

from leisaac_core.session import SessionConfig, SessionEngine
from tests.support.live_server import make_settings, session_body, start_server

pytestmark = pytest.mark.compat


def serving(checkpoint: Path) -> list[int]:
    """Pids of the processes serving `checkpoint` (its path is on their command line)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and str(checkpoint).encode() in argv:
            pids.append(int(proc.name))
    return pids


def checkpoint_body(repo_id: str, checkpoint: Path, episodes: int = 2) -> dict:
    return session_body(
        repo_id,
        episodes=episodes,
        mode="evaluate",
        policy={"type": "checkpoint", "path": str(checkpoint)},
        devices=[],
        env={"camera_width": 96, "camera_height": 64},  # the client resizes to 64x48
        episode={"seed": 0, "time_s": 1.0, "realtime": False},
    )


def wait_for(http, kinds: set[str], timeout: float = 240) -> list[dict]:
    deadline, seen = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        seen = http.get("/api/session/events").json()
        if any(e["kind"] in kinds for e in seen):
            return seen
        time.sleep(0.2)
    raise AssertionError(f"no {kinds} within {timeout} s: {[e['kind'] for e in seen]}")


def test_rest_evaluates_a_checkpoint_folder_with_its_own_policy_server(
    tiny_act_checkpoint: Path, lerobot_python: Path, tmp_path: Path
) -> None:
    server = start_server(make_settings(tmp_path / "datasets", policy_python=lerobot_python))
    try:
        with server.client() as http:
            started = http.post(
                "/api/session", json=checkpoint_body("ckpt/eval", tiny_act_checkpoint)
            )
            assert started.status_code == 201, started.text
            events = wait_for(http, {"session_finished", "session_stopped"})
    finally:
        server.stop()
    kinds = [e["kind"] for e in events]
    assert kinds.index("policy_server_starting") < kinds.index("policy_server_ready")
    assert kinds.index("policy_server_ready") < kinds.index("episode_started")
    ready = next(e for e in events if e["kind"] == "policy_server_ready")
    assert ready["data"]["url"].startswith("ws://127.0.0.1:")
    assert not Path(f"/proc/{ready['data']['pid']}").exists(), "the child is gone (and reaped)"
    assert serving(tiny_act_checkpoint) == []

    [report_event] = [e for e in events if e["kind"] == "evaluation_report"]
    report = json.loads(Path(report_event["data"]["path"]).read_text())
    assert report["policy_checkpoint"] == str(tiny_act_checkpoint)
    assert report["policy_url"] == ready["data"]["url"]
    # A random ACT lifts nothing: both rollouts are kept in the failures dataset, linked.
    rows = report["per_seed"]
    assert [(r["seed"], r["outcome"]) for r in rows] == [(0, "timeout"), (1, "timeout")]
    assert [(r["repo_id"], r["episode_index"]) for r in rows] == [
        ("ckpt/eval_failures", 0),
        ("ckpt/eval_failures", 1),
    ]
    assert [r["episode_page"] for r in rows] == [
        "/#datasets/ckpt/eval_failures/0",
        "/#datasets/ckpt/eval_failures/1",
    ]
    assert report_event["data"]["per_seed"] == rows  # what the page shows
    failures = tmp_path / "datasets" / "ckpt" / "eval_failures" / "meta" / "info.json"
    assert json.loads(failures.read_text())["total_episodes"] == 2


def test_a_folder_that_is_no_checkpoint_is_refused_with_the_servers_words(
    lerobot_python: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "not_a_checkpoint"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    server = start_server(make_settings(tmp_path / "datasets", policy_python=lerobot_python))
    try:
        with server.client() as http:
            refused = http.post("/api/session", json=checkpoint_body("ckpt/bad", broken))
            missing = http.post(
                "/api/session", json=checkpoint_body("ckpt/bad", tmp_path / "no" / "such")
            )
            status = http.get("/api/session").json()
    finally:
        server.stop()
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert f"cannot serve {broken}" in detail
    assert "the policy server exited (code 1) before it was ready" in detail
    assert "cannot load policy" in detail, "the server's own last words"
    assert missing.status_code == 409 and "no checkpoint folder" in missing.json()["detail"]
    assert status["phase"] == "idle"
    assert serving(broken) == []
    assert not (tmp_path / "datasets" / "ckpt" / "bad").exists(), "no dataset was opened"


def test_the_child_stops_with_the_server(
    tiny_act_checkpoint: Path, lerobot_python: Path, tmp_path: Path
) -> None:
    """A session still running when its server shuts down stops its policy server too."""
    engine = SessionEngine(tmp_path / "datasets")
    events: queue.Queue = queue.Queue()
    engine.add_listener(events.put)
    engine.start()
    body = checkpoint_body("ckpt/long", tiny_act_checkpoint, episodes=100)
    body["policy"]["python"] = str(lerobot_python)
    engine.submit("start", SessionConfig.model_validate(body)).result(timeout=300)
    pids = serving(tiny_act_checkpoint)
    assert len(pids) == 1
    while events.get(timeout=120).kind != "episode_started":
        pass
    engine.shutdown()
    assert serving(tiny_act_checkpoint) == [] and not Path(f"/proc/{pids[0]}").exists()


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper that is not ours to be does not count)."""
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


def test_a_dashboard_killed_outright_leaves_no_policy_server(
    tiny_act_checkpoint: Path, lerobot_python: Path, tmp_path: Path
) -> None:
    """SIGKILL gives the dashboard no chance to stop its child: the child is asked to die
    with it (Linux's parent-death signal)."""
    script = (
        "import sys, time\n"
        "from leisaac_core.policy import PolicyCheckpointConfig\n"
        "from leisaac_core.policy.launcher import PolicyServerProcess\n"
        "config = PolicyCheckpointConfig(path=sys.argv[1], python=sys.argv[2])\n"
        "server = PolicyServerProcess.start(config, task='so101_lift_cube')\n"
        "print(server.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tiny_act_checkpoint), str(lerobot_python)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = parent.stdout.readline()
        assert line.strip().isdigit(), "the dashboard side did not start its policy server"
        child = int(line)
        assert alive(child)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 60  # a bound on waiting, not a timing assertion
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(child), "the policy server outlived the dashboard killed outright"

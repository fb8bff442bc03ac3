"""`leisaac_core.policy.lerobot_server` serves a lerobot policy (a small randomly initialised
ACT or diffusion policy saved with its processors, built in the lerobot venv: no download, no
pretrained backbone), and an evaluation session of the dashboard runs it through the policy
device. Diffusion keeps its observation history in queues that only `select_action` fills:
before the server filled them, its first request failed (`stack expects a non-empty
TensorList`)."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from leisaac_core.policy.client import PolicyClient
from leisaac_core.session import SessionConfig, SessionEngine
from tests.support.live_server import free_port

HERE = Path(__file__).parent
REPO = HERE.parents[1]


def _serve(python: Path, model: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        # `leisaac-dashboard policy serve` as the lerobot environment runs it (this checkout on
        # its path: the dashboard's own dependencies are not installed there).
        [str(python), "-m", "server.cli", "policy", "serve", "--policy", str(model)]
        + ["--port", str(port), "--chunk-size", "8"],
        cwd=REPO,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 180
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"ws://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                message = f"the lerobot policy server did not start:\n{log.read_text()}"
                raise AssertionError(message) from None
            time.sleep(0.3)


@pytest.mark.parametrize("kind", ["act", "diffusion"])
def test_random_policy_served_by_lerobot_drives_an_evaluation(
    lerobot_python: Path, tmp_path: Path, kind: str
) -> None:
    model = tmp_path / f"tiny_{kind}"
    made = subprocess.run(
        [str(lerobot_python), str(HERE / "make_tiny_policy.py"), str(model), "48", "64", kind],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr[-4000:]
    proc, url = _serve(lerobot_python, model, tmp_path / "server.log")
    try:
        client = PolicyClient(url)
        metadata = client.connect()
        client.close()
        assert metadata["action_dim"] == 6 and metadata["image_size"] == [48, 64]
        assert metadata["name"].startswith(f"lerobot:{kind}:")
        # No train_config.json naming a dataset on this machine: no robot_type to declare.
        assert "robot_type" not in metadata

        engine = SessionEngine(tmp_path / "datasets")
        events: queue.Queue = queue.Queue()
        engine.add_listener(events.put)
        engine.start()
        config = SessionConfig(
            mode="evaluate",
            episodes=2,
            # The client resizes to the policy's 64x48.
            env={"task": "so101_lift_cube", "camera_width": 96, "camera_height": 64},
            policy={"url": url},
            dataset={"repo_id": "act/eval"},
            episode={"time_s": 1.0, "realtime": False},
        )
        engine.submit("start", config).result(timeout=120)
        while (event := events.get(timeout=300)).kind not in (
            "session_finished",
            "session_stopped",
            "evaluation_report",
        ):
            pass
        engine.shutdown()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert event.kind == "evaluation_report", event.message
    report = json.loads(Path(event.data["path"]).read_text())
    per_seed = report["per_seed"]
    assert [o["seed"] for o in per_seed] == [0, 1]
    # A random policy measured, never an error. It mostly times out; once in a while its
    # flailing flings the cube above the 0.20 m of the success rule (diffusion samples its
    # noise, and which actions a tick gets depends on when chunks arrive), so either counts.
    outcomes = [o["outcome"] for o in per_seed]
    assert set(outcomes) <= {"timeout", "success"}, per_seed
    assert report["summary"]["starved_ticks"] == 0
    # Each is kept, labelled, with its frames: a timeout's 1 s less the 5 warm-up frames in
    # `<name>_failures`, a success in the dataset itself.
    timeouts = outcomes.count("timeout")
    assert all(o["ticks"] == 30 - 5 for o in per_seed if o["outcome"] == "timeout"), per_seed
    failures = _actions(tmp_path / "datasets" / "act" / "eval_failures")
    saved = _actions(tmp_path / "datasets" / "act" / "eval")
    assert len(failures) == timeouts * (30 - 5)
    assert (len(saved) > 0) == (timeouts < 2)
    actions = np.concatenate([a for a in (failures, saved) if len(a)])
    assert np.isfinite(actions).all()
    assert np.ptp(actions, axis=0).max() > 0, "the policy's actions, not a held pose"


def _actions(dataset: Path) -> np.ndarray:
    """Every frame's action in a dataset (none where it has no data yet)."""
    files = sorted((dataset / "data").rglob("*.parquet"))
    if not files:
        return np.zeros((0, 6), np.float32)
    column = pa.concat_tables([pq.read_table(f) for f in files]).column("action")
    return np.stack(column.to_numpy(zero_copy_only=False))

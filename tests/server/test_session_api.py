"""A whole session driven through REST, watched over the websocket, against a live server."""

from __future__ import annotations

import json
import time

import numpy as np
import simplejpeg
from websockets.sync.client import connect

from server.preview import unpack_frame
from tests.support.live_server import LiveServer, collect_until, session_body


def test_whole_session_through_rest_and_websocket(live_server: LiveServer) -> None:
    with connect(live_server.ws_url) as ws, live_server.client() as http:
        hello = json.loads(ws.recv(timeout=10))
        assert hello["type"] == "hello"
        assert hello["snapshot"]["phase"] == "idle"

        response = http.post("/api/session", json=session_body("tester/lift"))
        assert response.status_code == 201, response.text
        assert response.json()["phase"] in ("warmup", "recording")

        events, statuses, frames = collect_until(ws, {"session_finished", "session_stopped"})

    kinds = [e["kind"] for e in events]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "events arrive in order, once"
    assert kinds[0] == "session_starting"
    assert kinds[-1] == "session_finished"
    assert kinds.count("episode_saved") == 2
    assert kinds.count("episode_started") == kinds.count("recording_started") >= 2
    first_saved = kinds.index("episode_saved")
    # Each episode: started -> recording -> success -> succeeded -> saved.
    order = [
        kinds.index(k)
        for k in ("episode_started", "recording_started", "success_detected", "episode_succeeded")
    ]
    assert order == sorted(order) and order[-1] < first_saved
    assert events[-1]["data"]["episodes_saved"] == 2
    # The session leaves its dataset packed into lerobot-sized files, and says so first.
    assert kinds.index("dataset_packing") < kinds.index("dataset_packed") < len(kinds) - 1
    packed = events[kinds.index("dataset_packed")]["data"]
    assert packed["files_after"] < packed["files_before"]
    root = live_server.settings.dataset_root / "tester" / "lift"
    assert len(list(root.glob("data/*/*.parquet"))) == 1
    for camera in ("front", "wrist"):
        assert len(list(root.glob(f"videos/observation.images.{camera}/*/*.mp4"))) == 1

    assert len(statuses) >= 3, "status is streamed while the session runs"
    assert {s["snapshot"]["phase"] for s in statuses} & {"warmup", "recording"}

    cameras = set()
    for message in frames:
        camera, frame_time, tick, jpeg = unpack_frame(message)
        image = simplejpeg.decode_jpeg(jpeg)
        assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8
        assert frame_time > 0 and tick >= 0
        cameras.add(camera)
    assert cameras == {"front", "wrist"}

    with live_server.client() as http:
        snapshot = http.get("/api/session").json()
        assert snapshot["phase"] == "idle"
        datasets = http.get("/api/datasets").json()
        lift = [d for d in datasets if d["repo_id"] == "tester/lift"]
        assert lift and lift[0]["episodes"] == 2
        episodes = http.get("/api/datasets/tester/lift/episodes").json()
        assert [e["index"] for e in episodes] == [0, 1]
        assert all(e["outcome"] == "success" for e in episodes)

    # Issue 23 point 2: once over, the session's figures stay (not zeros beside "done: 2
    # episode(s) saved"), Frames as the frames it saved.
    assert snapshot["repo_id"] == "tester/lift" and snapshot["episodes_target"] == 2
    assert (snapshot["episodes_saved"], snapshot["episodes_failed"]) == (2, 0)
    assert snapshot["frames_saved"] == sum(e["length"] for e in episodes) > 0
    assert snapshot["message"].startswith("done: 2 episode(s) saved")
    assert snapshot["pending_review"] == [] and snapshot["timing"] is None
    # Point 7: an unpaced loop (realtime off) stamps exact timestamps: so recorded, no
    # timing QC.
    assert all(e["paced"] is False and e["qc_flags"] == [] for e in episodes)


def test_operator_commands_change_the_episode(live_server: LiveServer) -> None:
    session = session_body(
        "tester/manual",
        episodes=1,
        devices=[{"type": "scripted"}],
        episode={"realtime": True, "time_s": 60},
    )
    with connect(live_server.ws_url) as ws, live_server.client() as http:
        ws.recv(timeout=10)
        assert http.post("/api/session", json=session).status_code == 201
        # Re-record: the episode is discarded and the same episode number starts again.
        collect_until(ws, {"recording_started"}, timeout=60)
        snapshot = http.post("/api/session/rerecord").json()
        events, _, _ = collect_until(ws, {"recording_started"}, timeout=60)
        discarded = [e for e in events if e["kind"] == "episode_discarded"]
        assert discarded and discarded[0]["data"]["episode_number"] == 1
        assert http.get("/api/session").json()["episode_number"] == 1
        # Failure: discarded, counted.
        assert http.post("/api/session/failure").status_code == 200
        events, _, _ = collect_until(ws, {"recording_started"}, timeout=60)
        assert any(e["kind"] == "episode_failure" for e in events)
        snapshot = http.get("/api/session").json()
        assert snapshot["episodes_failed"] == 1 and snapshot["episode_number"] == 1
        # Operator success: saved, and with one episode asked for the session finishes.
        assert http.post("/api/session/success").status_code == 200
        events, _, _ = collect_until(ws, {"session_finished"}, timeout=60)
        assert any(e["kind"] == "episode_saved" for e in events)
        episodes = http.get("/api/datasets/tester/manual/episodes").json()
        assert len(episodes) == 1 and episodes[0]["outcome"] == "success"


def test_events_are_listed_over_rest(live_server: LiveServer) -> None:
    with live_server.client() as http:
        response = http.post("/api/session", json=session_body("tester/ev", episodes=1))
        assert response.status_code == 201
        deadline = time.monotonic() + 120
        while http.get("/api/session").json()["phase"] != "idle" and time.monotonic() < deadline:
            time.sleep(0.2)
        events = http.get("/api/session/events").json()
        kinds = [e["kind"] for e in events]
        assert "episode_saved" in kinds and kinds[-1] == "session_finished"
        later = http.get("/api/session/events", params={"since": events[-2]["seq"]}).json()
        assert [e["seq"] for e in later] == [events[-1]["seq"]]


def test_success_hold_and_tail_are_recorded(live_server: LiveServer) -> None:
    """The rule must hold K ticks, then M more ticks are recorded before the commit; the first
    N ticks are warm-up. Same seed and scripted demonstrator (deterministic), so the lengths
    differ by exactly (K - 1) + M, and by N without warm-up."""
    with connect(live_server.ws_url) as ws, live_server.client() as http:
        ws.recv(timeout=10)
        body = session_body("tester/plain", episodes=1, episode={"success_hold_ticks": 1})
        assert http.post("/api/session", json=body).status_code == 201
        collect_until(ws, {"session_finished"})
        tail = {"success_hold_ticks": 3, "success_tail_ticks": 10}
        body = session_body("tester/tail", episodes=1, episode=tail)
        assert http.post("/api/session", json=body).status_code == 201
        events, _, _ = collect_until(ws, {"session_finished"})
        body = session_body("tester/nowarmup", episodes=1, episode={"warmup_frames": 0})
        assert http.post("/api/session", json=body).status_code == 201
        collect_until(ws, {"session_finished"})
        [plain] = http.get("/api/datasets/tester/plain/episodes").json()
        [tail] = http.get("/api/datasets/tester/tail/episodes").json()
        [no_warmup] = http.get("/api/datasets/tester/nowarmup/episodes").json()
    kinds = [e["kind"] for e in events]
    assert (
        kinds.index("success_detected")
        < kinds.index("success_tail_started")
        < kinds.index("episode_succeeded")
    )
    assert tail["length"] == plain["length"] + 2 + 10
    # LeIsaac's recorder: the first 5 ticks after a reset are not recorded.
    assert no_warmup["length"] == plain["length"] + 5


def test_a_loop_the_machine_cannot_hold_is_said_early_with_what_to_lower(
    live_server: LiveServer,
) -> None:
    """240 fps with two 1280x960 cameras: no CPU renderer holds a 4 ms period, so within a
    few seconds (the load window) the status says so and names the camera size to try.
    Assumes a machine without a GPU renderer, as the CI and development machines are."""
    heavy = session_body(
        "tester/heavy",
        episodes=1,
        env={"fps": 240, "camera_width": 1280, "camera_height": 960},
        episode={"realtime": True, "time_s": 60},
    )
    with live_server.client() as http:
        assert http.post("/api/session", json=heavy).status_code == 201
        advice = ""
        deadline = time.monotonic() + 60
        while not advice and time.monotonic() < deadline:
            time.sleep(0.5)
            advice = http.get("/api/session").json()["loop_advice"]
        http.post("/api/session/stop")
    assert "cannot hold 240 fps with 1280x960 cameras" in advice
    assert "try 640x480" in advice


def test_a_loop_with_headroom_gets_no_advice(live_server: LiveServer) -> None:
    # The keyboard device with nobody at the page: the arm holds still and no success ends it.
    light = session_body(
        "tester/light",
        episodes=1,
        env={"fps": 10, "camera_width": 32, "camera_height": 24},
        devices=[{"type": "keyboard"}],
        episode={"realtime": True, "time_s": 30},
    )
    with live_server.client() as http:
        assert http.post("/api/session", json=light).status_code == 201
        time.sleep(12)  # past the 90-tick window at 10 fps
        snapshot = http.get("/api/session").json()
        http.post("/api/session/stop")
    assert snapshot["phase"] == "recording" and snapshot["tick"] > 90
    assert snapshot["loop_advice"] == ""

"""The response models say what the routes have always returned: one field per field of
the domain object each is built from (a field added there fails here, rather than vanishing
from the JSON), and the same JSON as the object's own dict."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from leisaac_core.dataset import DatasetSummary, EpisodeRecord
from leisaac_core.dataset.catalog import VideoSpan
from leisaac_core.fleet.status import FleetStatus, WorkerStatus
from leisaac_core.hub import PushProgress, PushResult
from leisaac_core.session import Event, Phase, SessionSnapshot
from leisaac_core.session.state import LoopTiming
from leisaac_core.teleop.so101_leader.calibration import MotorCalibration
from leisaac_core.teleop.so101_leader.calibrator import CalibrationSample, CalibrationStep
from server.dataset_access import episode_item
from server.models import (
    CalibrationSampleOut,
    DatasetSummaryOut,
    EpisodeOut,
    EventOut,
    FleetView,
    LoopTimingOut,
    MotorCalibrationOut,
    PushProgressOut,
    PushResultOut,
    PushStatus,
    SessionStatusOut,
    VideoOut,
    WorkerStatusOut,
)


def _names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


@pytest.mark.parametrize(
    ("model", "source", "renamed", "added"),
    [
        (SessionStatusOut, SessionSnapshot, {}, []),
        (LoopTimingOut, LoopTiming, {}, []),
        (EventOut, Event, {}, []),
        (DatasetSummaryOut, DatasetSummary, {}, []),
        (EpisodeOut, EpisodeRecord, {}, []),
        (VideoOut, VideoSpan, {"path": "url"}, []),
        (WorkerStatusOut, WorkerStatus, {}, []),
        (FleetView, FleetStatus, {}, ["running", "events"]),
        (PushProgressOut, PushProgress, {}, []),
        (PushResultOut, PushResult, {}, []),
        (MotorCalibrationOut, MotorCalibration, {}, []),
    ],
)
def test_one_field_per_field_of_the_domain_object(
    model: type[BaseModel], source: type, renamed: dict[str, str], added: list[str]
) -> None:
    fields = [renamed.get(name, name) for name in _names(source)]
    assert sorted(model.model_fields) == sorted([*fields, *added])


def _same_json(model: BaseModel, plain: object, **dump: bool) -> None:
    ours = json.dumps(model.model_dump(mode="json", **dump), sort_keys=True)
    assert ours == json.dumps(plain, sort_keys=True, default=str)


def test_a_snapshot_is_its_own_dict() -> None:
    idle = SessionSnapshot(phase=Phase.IDLE, tick=0)
    _same_json(SessionStatusOut.of(idle), idle.to_dict())
    busy = SessionSnapshot(
        phase=Phase.RECORDING,
        tick=812,
        message="recording episode 3",
        task="so101_pick_orange",
        task_text="Pick the oranges into the plate",
        backend="mujoco",
        device="scripted",
        repo_id="local/demo",
        episode_number=3,
        episodes_target=5,
        episodes_saved=2,
        dataset_episodes=7,
        episodes_errored=1,
        episode_time_s=4.2,
        episode_time_limit_s=25.0,
        frames_recorded=126,
        frames_saved=4012,
        success=True,
        success_streak=2,
        joint_names=("shoulder_pan", "gripper"),
        joint_state=(0.1, -12.5),
        cameras=("front", "wrist"),
        objects={"Orange001": (0.21, -0.03, 0.02)},
        pending_review=(5, 6),
        timing=LoopTiming(30, 29.9, 33.3, 35.1, 0.4, 1),  # the runner's fps is an int
        loop_advice="lower the camera size",
        device_health={"connected": True, "message": "", "reads": 3, "details": {"rtt_ms": 2.5}},
        recorder={"root": Path("/data/local/demo"), "cameras": {"front": {"dropped": 0}}},
        evaluation={"episodes": 2, "success_rate": 0.5, "success_rate_wilson_95": [0.1, 0.9]},
    )
    _same_json(SessionStatusOut.of(busy), busy.to_dict())


def test_an_event_is_its_own_dict() -> None:
    event = Event(4, "episode_saved", "episode 2 saved", 1.7e9, {"episode_index": 2, "ok": True})
    _same_json(EventOut.model_validate(event.to_dict()), event.to_dict())


def test_an_episode_is_its_record_with_video_urls(tmp_path: Path) -> None:
    video = tmp_path / "videos" / "observation.images.front" / "chunk-000" / "file-000.mp4"
    record = EpisodeRecord(
        index=3,
        length=300,
        duration_s=10.0,
        task="Pick the oranges",
        outcome="success",
        fps_achieved=29.97,
        period_p99_ms=None,
        paced=True,
        frames_dropped={"front": 0},
        device="keyboard",
        backend="mujoco",
        seed=11,
        note=None,
        recorded_at="2026-12-03T10:00:00Z",
        videos={"front": VideoSpan(video, 1.5, 11.5)},
        qc_flags=("dropped",),
    )
    plain = dataclasses.asdict(record)
    plain["videos"] = {
        "front": {
            "from_s": 1.5,
            "to_s": 11.5,
            "url": "/api/datasets/ns/name/files/"
            "videos/observation.images.front/chunk-000/file-000.mp4",
        }
    }
    _same_json(episode_item(record, tmp_path, "ns", "name"), plain)


def test_a_fleet_view_keeps_the_keys_of_each_state() -> None:
    idle = FleetView(running=False, state="idle", workers=[], events=[])
    _same_json(
        idle, {"running": False, "state": "idle", "workers": [], "events": []}, exclude_unset=True
    )
    status = FleetStatus(
        state="running",
        repo_id="local/fleet",
        root="/data/local/fleet",
        episodes_target=10,
        seeds_failed={4: "env died"},
        workers=(WorkerStatus("w0", "recording", pid=12, seed=3),),
        errors=("w1: restarted",),
    )
    plain = {**status.to_dict(), "running": True, "events": ["started"]}
    _same_json(FleetView.model_validate(plain), plain, exclude_unset=True)


def test_a_push_status_keeps_the_keys_of_each_state() -> None:
    before = {"running": False}
    _same_json(PushStatus.model_validate(before), before, exclude_unset=True)
    progress = PushProgress("uploading", 3, 10, 1024, 4096, "data/chunk-000/file-000.parquet")
    running = {"running": True, "repo_id": "me/demo", "dataset": "local/demo", "progress": None}
    _same_json(PushStatus.model_validate(running), running, exclude_unset=True)
    running = {**running, "progress": dataclasses.asdict(progress)}
    _same_json(PushStatus.model_validate(running), running, exclude_unset=True)
    result = PushResult("https://hub/datasets/me/demo", "abc123", 10, 4096, 2)
    done = {**running, "running": False, "result": dataclasses.asdict(result)}
    _same_json(PushStatus.model_validate(done), done, exclude_unset=True)
    failed = {**running, "running": False, "error": "401: bad token"}
    _same_json(PushStatus.model_validate(failed), failed, exclude_unset=True)


def test_a_calibration_sample_is_its_json() -> None:
    sample = CalibrationSample(
        CalibrationStep.RANGE, {"gripper": 2047}, {"gripper": 1500}, {"gripper": 2900}
    )
    _same_json(CalibrationSampleOut.model_validate(sample.to_json()), sample.to_json())

"""Response models of the REST API: what each route returns, so `/openapi.json` says it.

They describe the JSON the routes have always returned (the page in frontend/static/js and
the scripts read it); tests/server/test_response_models.py checks them against the domain
objects they are built from. A few fields hold payloads that are open by nature (an event's
data, a device's own health figures, the writer's and the evaluation's running figures):
those are `dict[str, Any]` fields with a description, never a whole response.

Routes whose objects lack keys in some states (the push and fleet status, the render cost
cache) answer with `response_model_exclude_unset=True`, so a key absent today stays absent.
Numbers are `Number`: passed through as they are, an int never becomes a float.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema

from leisaac_core.hub.push import Phase as PushPhase
from leisaac_core.session import EventKind, Phase, SessionSnapshot

# A JSON number as the domain object holds it: an int stays an int (a float field would
# turn the 30 of a target fps into 30.0).
Number = Annotated[int | float, WithJsonSchema({"type": "number"})]

# --------------------------------------------------------------------------- binary files


def binary_responses(
    media_type: str, description: str, *, no_content: str | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` of a route that answers with a file (video, JPEG), not JSON."""
    responses: dict[int | str, dict[str, Any]] = {
        200: {
            "description": description,
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
    if no_content is not None:
        responses[204] = {"description": no_content}
    return responses


# ---------------------------------------------------------------------------------- health


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str


class AuthStatusOut(BaseModel):
    token_required: bool
    authenticated: bool


class AuthResultOut(BaseModel):
    authenticated: bool


# --------------------------------------------------------------------------------- session


class LoopTimingOut(BaseModel):
    """Honest timing of the control loop over the current episode (or the last second)."""

    target_fps: Number
    achieved_fps: Number
    period_p50_ms: Number
    period_p99_ms: Number
    jitter_ms: Number
    overruns: int


class SessionStatusOut(BaseModel):
    """The whole visible state of the session at one tick (`SessionSnapshot`)."""

    phase: Phase
    tick: int
    message: str
    task: str | None
    task_text: str | None
    backend: str | None
    device: str | None
    repo_id: str | None
    episode_number: int = Field(description="1-based number of the episode under way")
    episodes_target: int
    episodes_saved: int = Field(description="in this session")
    dataset_episodes: int = Field(description="in the dataset, earlier sessions included")
    episodes_failed: int
    episodes_errored: int = Field(
        description="episodes ended by an error (policy server, device or sim): they measured "
        "nothing and are not failures"
    )
    consecutive_failures: int
    episode_time_s: Number
    episode_time_limit_s: Number
    reset_time_left_s: Number
    frames_recorded: int = Field(description="in the episode under way")
    frames_saved: int = Field(description="in the episodes this session saved and kept")
    success: bool = Field(description="the task's success rule on the last tick")
    success_streak: int
    joint_names: list[str]
    joint_state: list[Number]
    cameras: list[str]
    objects: dict[str, list[Number]] = Field(
        description="task object positions (m) in the robot base frame (never recorded)"
    )
    pending_review: list[int] = Field(
        description="dataset indices of saved episodes awaiting keep/discard (review mode)"
    )
    timing: LoopTimingOut | None
    loop_advice: str = Field(description="what to lower when ticks nearly fill the period")
    paused: str = Field(
        "",
        description="non-empty while the episode is paused for its device's input (a remote "
        "leader whose relay went quiet): why; it resumes by itself",
    )
    device_health: dict[str, Any] = Field(
        description="open: the device's health (connected, message, reads, errors and its "
        "own `details`); empty without a device"
    )
    recorder: dict[str, Any] = Field(
        description="open: the dataset writer's status (backlog and drops per camera, "
        "commits in flight, last error); empty before the first tick"
    )
    evaluation: dict[str, Any] = Field(
        description="open: the running success rate of a policy evaluation (over its measured "
        "episodes; `errors` counts the others); empty otherwise"
    )

    @classmethod
    def of(cls, snapshot: SessionSnapshot) -> SessionStatusOut:
        return cls.model_validate(snapshot.to_dict())


class EventOut(BaseModel):
    seq: int
    kind: EventKind
    message: str
    time: Number
    data: dict[str, Any] = Field(description="open: figures of this kind of event")


class EventPage(BaseModel):
    items: list[EventOut] = Field(description="oldest first")
    older: int | None = Field(
        description="`before` for the next older page; null when these are the first events"
    )


# -------------------------------------------------------------------------------- options


class TaskOption(BaseModel):
    name: str
    leisaac_id: str
    text: str
    episode_time_s: Number
    cameras: list[str]
    arms: list[str] = Field(
        default_factory=list,
        description="A two-arm task's arms (left, right: the prefixes of its joints); empty "
        "for one arm",
    )


class SessionDefaults(BaseModel):
    task: str
    backend: str
    device: str
    fps: int
    camera_width: int
    camera_height: int


class SizeCost(BaseModel):
    width: int
    height: int
    tick_ms: Number


class RenderCostOut(BaseModel):
    """`leisaac-dashboard doctor`'s measurement of a tick's cost per camera size here."""

    cpu: str
    cpus: int | None = None
    mujoco_gl: str | None = None
    versions: dict[str, str]
    measured_at: Number | None = None
    fps: int
    headroom: Number
    sizes: list[SizeCost]
    largest_holding: str | None = Field(description="WIDTHxHEIGHT, or None when none holds")
    two_arm_sizes: list[SizeCost] = Field(
        default_factory=list,
        description="the same for a two-arm task (three cameras); empty when not measured",
    )
    two_arm_largest_holding: str | None = None


class OptionsOut(BaseModel):
    tasks: list[TaskOption]
    backends: list[str]
    devices: list[str]
    defaults: SessionDefaults
    render_cost: RenderCostOut | None = Field(
        description="per-size tick cost measured on this machine, or None"
    )
    dataset_root: str = Field(description="where datasets are written: <root>/<namespace>/<name>")


# ------------------------------------------------------------------------------- datasets


class DatasetSummaryOut(BaseModel):
    repo_id: str
    path: str
    episodes: int
    frames: int
    fps: int
    robot_type: str | None
    cameras: list[str]
    tasks: list[str]
    outcomes: dict[str, int]
    size_bytes: int
    is_failures: bool


class VideoOut(BaseModel):
    """Where an episode's frames of one camera are: play `url` from `from_s` to `to_s`."""

    from_s: Number
    to_s: Number
    url: str


class EpisodeOut(BaseModel):
    index: int
    length: int
    duration_s: Number
    task: str
    outcome: str | None
    fps_achieved: Number | None
    period_p99_ms: Number | None
    paced: bool | None = Field(
        description="the loop was paced at the fps; false: timestamps exact by construction, "
        "no timing QC; null: not recorded (older datasets)"
    )
    frames_dropped: dict[str, int] | None = Field(
        description="frames dropped per camera; null: not recorded (a dataset written by "
        "lerobot or another tool)"
    )
    device: str | None
    backend: str | None
    seed: int | None
    note: str | None
    recorded_at: str | None
    videos: dict[str, VideoOut]
    qc_flags: list[str]
    input_timing: dict[str, Number | None] | None = Field(
        None,
        description="input that crossed a network (remote leader, browser keys): age when "
        "used and one-way latency p50/p99 (ms), the sender's clock offset (ms), pauses for "
        "stale input; null for local devices",
    )


class EpisodeRow(EpisodeOut):
    dropped: int | None = Field(description="frames dropped, all cameras; null: not recorded")


class EpisodePage(BaseModel):
    total: int = Field(description="episodes in the dataset")
    matched: int = Field(description="episodes that pass the filters")
    offset: int
    limit: int
    outcomes: dict[str, int] = Field(description="episodes per outcome, whole dataset")
    suspect: int = Field(description="episodes with QC flags, whole dataset")
    items: list[EpisodeRow]


class EpisodeSignals(BaseModel):
    timestamps: list[Number]
    frame_index: list[int]
    state: list[list[Number]]
    action: list[list[Number]]
    state_names: list[str]
    action_names: list[str]
    fps: int


class EpisodeDeleted(BaseModel):
    deleted: int = Field(description="index of the deleted episode")
    episodes: int = Field(description="episodes left in the dataset")


class EpisodesDeleted(BaseModel):
    deleted: list[int] = Field(description="indices of the deleted episodes")
    episodes: int = Field(description="episodes left in the dataset")


class MergeResponse(BaseModel):
    repo_id: str
    sources: list[str]
    episodes: int
    frames: int
    tasks: int


class ReplayOut(BaseModel):
    episode_index: int
    task: str
    seed: int
    frames: int
    recorded_outcome: str | None
    success: bool
    success_at_end: bool
    same_outcome: bool
    joint_error_max: Number
    joint_error_mean: Number
    joint_error_final: Number
    videos: dict[str, str] = Field(description="camera -> URL of the replayed video")


class CompactionOut(BaseModel):
    episodes_moved: int = Field(description="episodes whose files were joined into others")
    files_before: int
    files_after: int


class OperationOut(BaseModel):
    """A long operation (replay, merge, compaction) under way or recently ended."""

    id: int
    kind: Literal["replay", "merge", "compaction"]
    subject: str = Field(description="ns/name#index (replay), the target or the dataset")
    title: str
    step: str = Field(description="starting, replaying, copying, merging, packing")
    done: int
    total: int
    unit: str = Field(description="what done/total count: frames, datasets, files")
    state: Literal["running", "finished", "failed"]
    error: str | None
    started_at: float
    ended_at: float | None


# ------------------------------------------------------------------------------------ hub


class HubTokenStatus(BaseModel):
    configured: bool
    source: str | None = Field(description="dashboard, env, cache... or None (never the token)")


class PushProgressOut(BaseModel):
    phase: PushPhase
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    current: str | None


class PushResultOut(BaseModel):
    url: str
    commit: str
    files_uploaded: int
    bytes_uploaded: int
    files_skipped: int
    files_deleted: int
    tag: str


class PushStatus(BaseModel):
    """The push in progress or the last one; before the first push only `running`."""

    running: bool
    repo_id: str | None = None
    dataset: str | None = None
    progress: PushProgressOut | None = None
    error: str | None = Field(None, description="present when the push failed")
    result: PushResultOut | None = Field(None, description="present when the push finished")


# ---------------------------------------------------------------------------------- fleet


class WorkerStatusOut(BaseModel):
    name: str
    state: str
    node: str
    pid: int | None
    seed: int | None
    waiting: list[int]
    episodes_saved: int
    episodes_failed: int
    episodes_per_hour: Number
    restarts: int
    error: str


class FleetView(BaseModel):
    """The fleet run in progress or the last one; before the first run only `running`,
    `state` ("idle"), `workers` and `events`."""

    state: str
    repo_id: str | None = None
    root: str | None = None
    episodes_target: int | None = None
    episodes_in_dataset: int | None = None
    episodes_saved: int | None = None
    seeds_failed: dict[str, str] | None = Field(None, description="seed -> why it failed")
    episodes_per_hour: Number | None = None
    elapsed_s: Number | None = None
    commit_ms_p50: Number | None = None
    commit_ms_p99: Number | None = None
    commit_ms_max: Number | None = None
    workers: list[WorkerStatusOut]
    message: str | None = None
    errors: list[str] | None = None
    running: bool
    events: list[str]


# ----------------------------------------------------------------------------- leader arm


class CalibrationSampleOut(BaseModel):
    """Live feedback of a calibration: what the page shows the operator."""

    step: str
    instruction: str
    positions: dict[str, int]
    range_min: dict[str, int] = Field(description="empty before the range step")
    range_max: dict[str, int]


class CalibrationStarted(CalibrationSampleOut):
    path: str = Field(description="where the calibration file will be saved")


class MotorCalibrationOut(BaseModel):
    id: int
    drive_mode: int
    homing_offset: int
    range_min: int
    range_max: int


class CalibrationDone(BaseModel):
    step: Literal["done"]
    path: str
    calibration: dict[str, MotorCalibrationOut]


class CalibrationCancelled(BaseModel):
    step: Literal["cancelled"]


class LiveOfferIn(BaseModel):
    """A browser's WebRTC offer for the live video of one camera."""

    sdp: str = Field(min_length=1, max_length=100_000)
    type: Literal["offer"] = "offer"
    camera: str = Field(min_length=1, max_length=64, examples=["front"])


class LiveAnswerOut(BaseModel):
    sdp: str
    type: str
    viewer_id: int
    codec: str = Field(description="the video codec negotiated: VP8 or H264")


class LiveViewerOut(BaseModel):
    id: int
    camera: str
    state: str = Field(description="WebRTC connection state: new, connecting, connected, ...")
    codec: str
    frames_sent: int
    frames_repeated: int = Field(
        description="the last frame again, with no newer one (the loop paused): once a second"
    )
    frames_dropped: int = Field(
        description="encoded frames skipped to catch up: a viewer behind resumes at a keyframe"
    )
    bytes_sent: int
    kbit_s: float = Field(description="since the previous GET /api/live (or the connection)")

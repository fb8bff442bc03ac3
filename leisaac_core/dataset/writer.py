"""DatasetWriter: records episodes into a LeRobot v3 dataset without slowing the caller.

Threads: the caller (the session's control loop) only appends references; an encoder per
camera turns frames into an mp4 while the episode runs, on the writer's long-lived encoder
threads; one commit thread finishes episodes in order (flush encoders, write the episode's
parquet, stage metadata, commit through the journal). The caller never waits on either.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import io
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from leisaac_core.dataset import compaction, layout, locks, maintenance, tables
from leisaac_core.dataset.compaction_child import prepare_in_child
from leisaac_core.dataset.editing import delete_from_state
from leisaac_core.dataset.encoder import CameraEncoder, EncoderThreads
from leisaac_core.dataset.identity import identity_difference
from leisaac_core.dataset.journal import Transaction, apply_journal
from leisaac_core.dataset.maintenance import CompactionResult
from leisaac_core.dataset.repair import repair
from leisaac_core.dataset.spec import (
    ACTION_KEY,
    OPTIONAL_FRAME_FEATURES,
    STATE_KEY,
    DatasetExistsError,
    DatasetSpec,
    FeatureMismatchError,
    VideoSettings,
    build_features,
    feature_differences,
    setting_difference,
    video_key,
)
from leisaac_core.dataset.state import DatasetState, rebuild
from leisaac_core.dataset.stats import numeric_stats

log = logging.getLogger(__name__)

# Commits between background compactions (each packs everything committed so far).
DEFAULT_COMPACT_EVERY = 200

# "error": the episode measured nothing (its policy server or the sim failed); an evaluation
# keeps it labelled in <name>_failures, never counted as a failure.
Outcome = Literal["success", "failure", "timeout", "error", "discarded"]
OUTCOMES: tuple[str, ...] = ("success", "failure", "timeout", "error", "discarded")
T = TypeVar("T")


@dataclass(frozen=True)
class EpisodeMeta:
    """What the session knows about an episode; stored as extra columns of its row."""

    outcome: Outcome = "success"
    fps_achieved: float | None = None
    period_p99_ms: float | None = None
    # Whether the loop was paced at the fps. Unpaced (scripted, lockstep evaluations) the
    # timestamps are exact by construction and the loop's timing says nothing about them.
    paced: bool | None = None
    device: str = ""
    backend: str = ""
    seed: int | None = None
    task: str | None = None  # overrides the task given to start_episode
    note: str = ""
    starved_ticks: int | None = None  # policy device only
    intervention_ticks: int | None = None
    # Input that crossed a network (remote leader, browser keys): age when used, one-way
    # latency (ms) and the sender's clock offset estimate; pauses for input gone stale.
    input_age_p50_ms: float | None = None
    input_age_p99_ms: float | None = None
    input_latency_p50_ms: float | None = None
    input_latency_p99_ms: float | None = None
    input_clock_offset_ms: float | None = None
    input_pauses: int | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"episode outcome {self.outcome!r} must be one of {OUTCOMES}")


@dataclass(frozen=True)
class SavedEpisode:
    """Result of a save: `saved` False (with `reason`) when nothing was written."""

    saved: bool
    episode_index: int | None
    length: int
    frames_dropped: dict[str, int]
    commit_s: float
    repo_id: str
    reason: str = ""


@dataclass(frozen=True)
class DeliveredEpisode:
    """A finished episode handed to the writer's `deliver` callback instead of committed
    (a fleet worker ships it to the head, which commits it into the one dataset). Its row,
    frame table and mp4s are what a commit would write as episode 0 of a new dataset; the
    receiver renumbers them. Bytes, read once: what crosses the process boundary."""

    info: dict[str, Any]  # the dataset's info.json (fps, robot type, features)
    task: str
    row: dict[str, Any]  # its meta/episodes row: stats, outcome, seed, QC columns
    frames: bytes  # its frame table as a parquet file
    videos: dict[str, bytes]  # its mp4 by video key

    @property
    def nbytes(self) -> int:
        return len(self.frames) + sum(len(v) for v in self.videos.values())


Deliver = Callable[[DeliveredEpisode], None]


@dataclass(frozen=True)
class CameraStatus:
    backlog: int
    dropped: int


@dataclass(frozen=True)
class WriterStatus:
    repo_id: str
    root: Path
    recording: bool
    episode_index: int | None
    frames_in_episode: int
    cameras: dict[str, CameraStatus]
    episodes_committed: int
    frames_committed: int
    commits_in_flight: int
    last_error: str | None


@dataclass
class _Episode:
    task: str
    encoders: dict[str, CameraEncoder]  # by video key
    states: list[np.ndarray] = field(default_factory=list)
    actions: list[np.ndarray] = field(default_factory=list)
    extras: dict[str, list[Any]] = field(default_factory=dict)  # spec.frame_features
    length: int = 0


class DatasetWriter:
    """Use `DatasetWriter.open(...)`; see the module docstring for the threading model."""

    def __init__(
        self,
        root: Path,
        spec: DatasetSpec,
        video: VideoSettings,
        state: DatasetState,
        lock_fd: int,
        repairs: list[str],
        deliver: Deliver | None = None,
    ) -> None:
        self.root = root
        self.deliver = deliver
        self.spec = spec
        self.video = video
        self.repairs = repairs
        self._state = state
        self._lock_fd = lock_fd
        self._episode: _Episode | None = None
        self._cameras = {video_key(c.name): c for c in spec.cameras}
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"commit-{spec.repo_id}"
        )
        self._encoder_threads = EncoderThreads(f"encoder-{spec.repo_id}")
        self._futures: set[concurrent.futures.Future[Any]] = set()
        self._futures_lock = threading.Lock()
        self._in_flight = 0
        self._last_error: str | None = None
        self._closed = False
        # Compaction: a delete bumps the generation so a compaction prepared before it aborts.
        self.compact_every = 0
        self._generation = 0
        self._commits_since_compaction = 0
        self._packed = True  # no commit since the last full pack (or since open)
        self._compaction: concurrent.futures.Future[CompactionResult] | None = None
        self._compaction_thread: threading.Thread | None = None
        self._closing = False

    # ---- opening ---------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        root: Path | str,
        spec: DatasetSpec,
        resume: bool = False,
        video: VideoSettings | None = None,
        compact_every: int = DEFAULT_COMPACT_EVERY,
        deliver: Deliver | None = None,
    ) -> DatasetWriter:
        """Open `root` (= dataset_dir(dataset_root, spec.repo_id)) for recording.

        A new dataset is created; an existing one needs `resume=True` (else
        DatasetExistsError, and nothing is touched). An interrupted dataset is repaired first;
        `writer.repairs` says what was done. Every `compact_every` commits (0: never) a
        background compaction packs episodes into lerobot-sized files (see compact()).
        `deliver`: each saved episode is handed to it (on the commit thread, in order) as a
        `DeliveredEpisode` instead of committed here; `root` then only holds the encoders'
        scratch files and never becomes a dataset.
        """
        root = Path(root)
        video = video or VideoSettings()
        if layout.is_dataset(root) and not resume:
            raise DatasetExistsError(
                f"dataset {spec.repo_id!r} already exists at {root}; resume it to append "
                "episodes to it, or choose another repo id",
                repo_id=spec.repo_id,
                path=root,
            )
        wanted = build_features(spec, video)
        lock_fd = locks.acquire_writer_lock(root)
        try:
            repairs = repair(root)
            if layout.is_dataset(root):
                state = DatasetState.load(root)
                diffs = feature_differences(state.features, wanted)
                if state.fps != spec.fps:
                    diffs.insert(0, setting_difference("fps", state.fps, spec.fps))
                if state.info.get("robot_type") != spec.robot_type:
                    diffs.insert(
                        0, identity_difference(state.info.get("robot_type"), spec.robot_type)
                    )
                if diffs:
                    raise FeatureMismatchError.resume(spec.repo_id, root, diffs)
                if not state.tail_matches_schema():
                    state = _rewrite_episodes_metadata(root, state)
                    repairs.append(
                        "rewrote meta/episodes in this writer's columns (it was written by "
                        "another tool or version)"
                    )
            else:
                state = DatasetState.new(spec.robot_type, spec.fps, wanted)
        except BaseException:
            locks.release_writer_lock(lock_fd)
            raise
        writer = cls(root, spec, video, state, lock_fd, repairs, deliver)
        writer.compact_every = max(0, int(compact_every))
        writer._executor.submit(writer._warm_up)  # not a commit: not counted in flight
        maintenance.register(root, writer)
        return writer

    # ---- the caller's side (control loop) ---------------------------------------------------
    def start_episode(self, task: str) -> int:
        """Begin an episode; returns the index it will get if saved."""
        self._check_open()
        if self._episode is not None:
            raise RuntimeError("an episode is already in progress: save or discard it first")
        if not task or not task.strip():
            raise ValueError("task text is empty: every LeRobot episode needs a task string")
        token = uuid.uuid4().hex[:12]
        tmp = layout.tmp_dir(self.root)
        encoders = {
            key: CameraEncoder(
                tmp / f"episode-{token}-{cam.name}.mp4",
                cam.width,
                cam.height,
                self.spec.fps,
                self.video,
                name=cam.name,
                threads=self._encoder_threads,
            )
            for key, cam in self._cameras.items()
        }
        self._episode = _Episode(
            task=task, encoders=encoders, extras={k: [] for k in self.spec.frame_features}
        )
        return self._state.total_episodes + self._in_flight

    def add_frame(
        self,
        state: np.ndarray,
        action: np.ndarray,
        images: Mapping[str, np.ndarray],
        extras: Mapping[str, float | bool] | None = None,
        wait_s: float | None = None,
    ) -> None:
        """Hand one frame over. Images are kept by reference.

        `wait_s`: how long the caller may wait for a camera's encoder to make room, for all
        cameras together. None (the default, for callers that no clock paces): as long as it
        takes, so no frame is ever dropped. A paced loop passes the time left before its
        next tick; a camera still full then drops the frame and counts it.
        `extras`: a value per feature in `spec.frame_features` (next.reward, ...). The writer
        sets `next.done` itself: true on the last frame of a saved episode only."""
        ep = self._episode
        if ep is None:
            raise RuntimeError("no episode in progress: call start_episode(task) first")
        extras = extras or {}
        if set(extras) - {"next.done"} != set(ep.extras) - {"next.done"}:
            raise ValueError(
                f"frame features {sorted(extras)} differ from the dataset's {sorted(ep.extras)}"
            )
        state = np.array(state, dtype=np.float32)
        action = np.array(action, dtype=np.float32)
        if state.shape != (len(self.spec.state_names),):
            raise ValueError(
                f"state has shape {state.shape}, expected ({len(self.spec.state_names)},)"
            )
        if action.shape != (len(self.spec.action_names),):
            raise ValueError(
                f"action has shape {action.shape}, expected ({len(self.spec.action_names)},)"
            )
        images_in_order = []
        for key, enc in ep.encoders.items():
            image = images.get(enc.name)
            if image is None:
                image = images.get(key)
            if image is None:
                raise ValueError(f"frame lacks camera {enc.name!r} (got {sorted(images)})")
            if image.shape != (enc.height, enc.width, 3) or image.dtype != np.uint8:
                raise ValueError(
                    f"camera {enc.name!r} image is {image.dtype}{image.shape}, expected "
                    f"uint8({enc.height}, {enc.width}, 3)"
                )
            images_in_order.append((enc, image))
        deadline = None if wait_s is None else time.perf_counter() + max(0.0, wait_s)
        for enc, image in images_in_order:
            enc.offer(ep.length, image, deadline)
        ep.states.append(state)
        ep.actions.append(action)
        for key, values in ep.extras.items():
            values.append(extras.get(key, False))
        ep.length += 1

    def save_episode(
        self, meta: EpisodeMeta | None = None, target: DatasetWriter | None = None
    ) -> concurrent.futures.Future[SavedEpisode]:
        """Commit the episode in the background; the future resolves when it is durable.

        `target`: another open writer with the same features (e.g. the failures dataset)
        that receives this episode instead. An episode without frames is not saved: the
        future resolves to SavedEpisode(saved=False, reason=...).
        """
        meta = meta or EpisodeMeta()
        ep, self._episode = self._episode, None
        into = target or self
        if ep is None:
            return _done(self._not_saved(0, {}, "no episode in progress; nothing to save"))
        dropped = {k: e.dropped for k, e in ep.encoders.items()}
        if ep.length == 0:
            for enc in ep.encoders.values():
                enc.abort()
            return _done(
                into._not_saved(
                    0, dropped, "episode has no recorded frames (ended during warm-up?)"
                )
            )
        if into is not self and into.spec.cameras != self.spec.cameras:
            for enc in ep.encoders.values():
                enc.abort()
            return _done(
                into._not_saved(ep.length, dropped, "target dataset has different cameras")
            )
        return into._submit(lambda: into._commit(ep, meta, time.perf_counter()))

    def discard_episode(self) -> None:
        """Drop the episode in progress (its partial files are removed in the background)."""
        ep, self._episode = self._episode, None
        if ep is not None:
            for enc in ep.encoders.values():
                enc.abort()

    def status(self) -> WriterStatus:
        ep = self._episode
        state = self._state
        return WriterStatus(
            repo_id=self.spec.repo_id,
            root=self.root,
            recording=ep is not None,
            episode_index=(state.total_episodes + self._in_flight) if ep is not None else None,
            frames_in_episode=ep.length if ep is not None else 0,
            cameras={
                k: CameraStatus(backlog=e.backlog, dropped=e.dropped)
                for k, e in (ep.encoders.items() if ep is not None else ())
            },
            episodes_committed=state.total_episodes,
            frames_committed=state.total_frames,
            commits_in_flight=self._in_flight,
            last_error=self._last_error,
        )

    @property
    def num_episodes(self) -> int:
        return self._state.total_episodes

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait for commits in flight; True when none is left."""
        with self._futures_lock:
            pending = set(self._futures)
        _, not_done = concurrent.futures.wait(pending, timeout)
        return not not_done

    @property
    def needs_packing(self) -> bool:
        """Episodes were committed since the last full pack (and compaction is on)."""
        return bool(self.compact_every) and not self._packed

    def pack(self) -> CompactionResult:
        """Wait for commits in flight, then pack everything into lerobot-sized files and wait
        for it (a no-op when nothing was committed since the last compaction). What a
        session does before close: a dataset at rest is packed, as lerobot's tools such as
        StreamingLeRobotDataset expect."""
        self.wait_idle()
        running = self._compaction
        if running is not None and not running.done():
            concurrent.futures.wait([running])
        if self._packed or self._closing:
            return CompactionResult(0, 0, 0)
        result = self.compact().result()
        self._packed = True
        return result

    def close(self) -> None:
        """Discard an unsaved episode, finish commits (and a compaction) in flight, release
        the dataset. Does not pack: a session calls pack() first (with progress shown)."""
        if self._closed:
            return
        self.discard_episode()
        self._closing = True  # no new compaction from here on
        self.wait_idle()
        thread = self._compaction_thread
        if thread is not None:
            thread.join()  # its install step runs on the commit thread, still open
        self.wait_idle()
        self._executor.shutdown(wait=True)
        self._encoder_threads.close()
        self._closed = True
        maintenance.unregister(self.root, self)
        locks.release_writer_lock(self._lock_fd)

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- editing (runs on the commit thread, in order with commits) ----------------------
    def delete_episodes(self, indices: Sequence[int]) -> concurrent.futures.Future[list[str]]:
        def run() -> list[str]:
            self._generation += 1
            self._state = delete_from_state(self.root, self._state, indices)
            return []

        return self._submit(run, episode=False)

    def compact(self, tiered: bool = False) -> concurrent.futures.Future[CompactionResult]:
        """Pack committed episodes into lerobot-sized files in the background; recording
        goes on (only the short install step runs on the commit thread, in order with
        commits). Returns the running compaction's future if one is already running.
        `tiered`: join only what is new (the periodic compaction while recording; see
        compaction._group); otherwise a full pack, as a dataset at rest has."""
        self._check_open()
        with self._futures_lock:
            if self._compaction is not None and not self._compaction.done():
                return self._compaction
            if self._closing:
                return _done(CompactionResult(0, 0, 0))
            future: concurrent.futures.Future[CompactionResult] = concurrent.futures.Future()
            self._compaction = future
            self._commits_since_compaction = 0
            thread = threading.Thread(
                target=self._run_compaction,
                args=(future, tiered),
                name=f"compact-{self.spec.repo_id}",
                daemon=True,
            )
            self._compaction_thread = thread
        thread.start()
        return future

    def _run_compaction(
        self, future: concurrent.futures.Future[CompactionResult], tiered: bool
    ) -> None:
        try:
            # The periodic (tiered) ones repeat for as long as the recording runs: in a
            # child, so their memory peaks do not stay with this process (compaction_child).
            # The closing full pack runs once, here.
            if tiered:
                prepared = prepare_in_child(self.root, self._generation, tiered=True)
            else:
                prepared = compaction.prepare(self.root, self._generation)
            if prepared is None:
                future.set_result(CompactionResult(0, 0, 0))
                return

            def install() -> CompactionResult:
                try:
                    self._state = compaction.install(
                        self.root, self._state, prepared, self._generation
                    )
                except compaction.CompactionConflict as exc:  # a delete came first
                    log.info("dataset %s: %s", self.spec.repo_id, exc)
                    return CompactionResult(0, 0, 0)
                return CompactionResult(
                    prepared.episodes, prepared.files_before, prepared.files_after
                )

            # Not an episode: must not shift the index start_episode() predicts.
            future.set_result(self._submit(install, episode=False).result())
        except BaseException as exc:
            log.warning("dataset %s: compaction did not run: %s", self.spec.repo_id, exc)
            future.set_exception(exc)

    # ---- internals -------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"writer for {self.spec.repo_id!r} is closed")

    def _not_saved(self, length: int, dropped: dict[str, int], reason: str) -> SavedEpisode:
        log.info("episode not saved in %s: %s", self.spec.repo_id, reason)
        return SavedEpisode(False, None, length, dropped, 0.0, self.spec.repo_id, reason)

    def _submit(self, fn: Callable[[], T], episode: bool = True) -> concurrent.futures.Future[T]:
        """Run `fn` on the commit thread; `episode`: it commits one episode (counted in
        flight until done, so start_episode() can predict the next index)."""
        self._check_open()
        with self._futures_lock:
            if episode:
                self._in_flight += 1
            future = self._executor.submit(self._guard, fn, episode)
            self._futures.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: concurrent.futures.Future[Any]) -> None:
        with self._futures_lock:
            self._futures.discard(future)

    def _guard(self, fn: Callable[[], T], episode: bool) -> T:
        try:
            return fn()
        except BaseException as exc:
            self._last_error = f"{type(exc).__name__}: {exc}"
            log.exception("dataset %s: change failed", self.spec.repo_id)
            self._reload_after_failure()
            raise
        finally:
            if episode:
                with self._futures_lock:
                    self._in_flight -= 1

    def _reload_after_failure(self) -> None:
        """After a failed change, make memory match disk again (roll forward if journaled)."""
        try:
            with locks.commit_lock(self.root):
                apply_journal(self.root)
            if layout.is_dataset(self.root):
                self._state = DatasetState.load(self.root)
        except Exception:
            log.exception("dataset %s: could not reload state after a failure", self.root)

    def _warm_up(self) -> None:
        """Pay one-time costs (lazy imports, schema building) before the first commit."""
        try:
            self._warm_up_unguarded()
        except Exception:  # only an optimisation; a real commit reports real errors
            log.debug("commit warm-up failed", exc_info=True)

    def _warm_up_unguarded(self) -> None:
        import io

        import pyarrow.parquet as pq

        schema = tables.frame_schema(self._state.features)
        z = np.zeros((2, len(self.spec.state_names)), np.float32)
        extras = {k: np.zeros(2, OPTIONAL_FRAME_FEATURES[k]) for k in self.spec.frame_features}
        table = tables.frames_table(
            schema, z, np.zeros((2, len(self.spec.action_names))), 30, 0, 0, 0, extras
        )
        pq.write_table(table, io.BytesIO())
        row = tables.stats_to_row({"x": numeric_stats(z)})
        pq.write_table(
            tables.episodes_table([row], tables.episodes_schema(self._state.features)), io.BytesIO()
        )

    def _commit(self, ep: _Episode, meta: EpisodeMeta, t_start: float) -> SavedEpisode:
        image_stats = {}
        try:
            for enc in ep.encoders.values():
                enc.end_input(ep.length)  # let every camera flush in parallel
            for key, enc in ep.encoders.items():
                image_stats[key] = enc.finish(ep.length)
        except BaseException:
            for enc in ep.encoders.values():
                enc.abort()
                enc.join()
                enc.path.unlink(missing_ok=True)
            raise
        if self.deliver is not None:
            return self._deliver(ep, meta, image_stats, t_start)
        state = self._state
        index = state.total_episodes
        task = meta.task or ep.task
        task_index = state.task_index(task)
        n = ep.length
        start = state.total_frames
        states = np.stack(ep.states)
        actions = np.stack(ep.actions)

        txn = Transaction(self.root, f"commit episode {index} of {self.spec.repo_id}")
        chunk, file = layout.slot_to_chunk_file(state.next_data_slot)
        schema = tables.frame_schema(state.features)
        extras = _frame_extras(ep)
        table = tables.frames_table(
            schema, states, actions, self.spec.fps, index, start, task_index, extras
        )
        tables.write_parquet(table, txn.stage_path(layout.data_path(chunk, file)))

        row: dict[str, Any] = {
            "episode_index": index,
            "tasks": [task],
            "length": n,
            "data/chunk_index": chunk,
            "data/file_index": file,
            "dataset_from_index": start,
            "dataset_to_index": start + n,
        }
        for key, enc in ep.encoders.items():
            vchunk, vfile = layout.slot_to_chunk_file(state.next_video_slots.get(key, 0))
            mp4 = enc.path
            if mp4.parent != layout.tmp_dir(self.root):  # handed over from another writer
                moved = layout.tmp_dir(self.root) / mp4.name
                moved.parent.mkdir(parents=True, exist_ok=True)
                os.replace(mp4, moved)
                mp4 = moved
            txn.adopt(mp4, layout.video_path(key, vchunk, vfile))
            row[f"videos/{key}/chunk_index"] = vchunk
            row[f"videos/{key}/file_index"] = vfile
            row.update(_video_columns(key, enc, n / self.spec.fps))
        ep_stats = _episode_stats(states, actions, extras, image_stats, table)
        row.update(tables.stats_to_row(ep_stats))
        row.update(_meta_columns(meta))
        new_state = state.with_episode(row, ep_stats, task)
        new_state.stage_commit(txn, tasks_changed=task_index == len(state.tasks))
        with locks.commit_lock(self.root):
            txn.commit()
        self._state = new_state
        self._commits_since_compaction += 1
        self._packed = False
        if self.compact_every and self._commits_since_compaction >= self.compact_every:
            self.compact(tiered=True)
        dropped = {k: e.dropped for k, e in ep.encoders.items()}
        elapsed = time.perf_counter() - t_start
        if any(dropped.values()):
            log.warning(
                "episode %d of %s saved with dropped frames (repeated in video): %s",
                index,
                self.spec.repo_id,
                dropped,
            )
        log.info("episode %d of %s committed (%d frames)", index, self.spec.repo_id, n)
        return SavedEpisode(True, index, n, dropped, elapsed, self.spec.repo_id)

    def _deliver(
        self, ep: _Episode, meta: EpisodeMeta, image_stats: dict[str, Any], t_start: float
    ) -> SavedEpisode:
        """Hand the finished episode to `deliver` as episode 0 of a new dataset (the receiver
        renumbers it); nothing is committed here and the mp4s leave the disk."""
        state, n, task = self._state, ep.length, meta.task or ep.task
        states, actions = np.stack(ep.states), np.stack(ep.actions)
        extras = _frame_extras(ep)
        table = tables.frames_table(
            tables.frame_schema(state.features), states, actions, self.spec.fps, 0, 0, 0, extras
        )
        frames = io.BytesIO()
        pq.write_table(table, frames)
        row: dict[str, Any] = {"episode_index": 0, "tasks": [task], "length": n}
        videos = {}
        for key, enc in ep.encoders.items():
            videos[key] = enc.path.read_bytes()
            enc.path.unlink(missing_ok=True)
            row.update(_video_columns(key, enc, n / self.spec.fps))
        row.update(tables.stats_to_row(_episode_stats(states, actions, extras, image_stats, table)))
        row.update(_meta_columns(meta))
        assert self.deliver is not None
        self.deliver(DeliveredEpisode(state.info, task, row, frames.getvalue(), videos))
        dropped = {k: e.dropped for k, e in ep.encoders.items()}
        elapsed = time.perf_counter() - t_start
        return SavedEpisode(True, None, n, dropped, elapsed, self.spec.repo_id, "delivered")


def _video_columns(key: str, enc: CameraEncoder, seconds: float) -> dict[str, Any]:
    """An episode's own mp4 of one camera: it spans the whole file (compaction shifts it)."""
    return {
        f"videos/{key}/from_timestamp": 0.0,
        f"videos/{key}/to_timestamp": seconds,
        f"{tables.DROPPED_PREFIX}{key}": enc.dropped,
    }


def _episode_stats(
    states: np.ndarray,
    actions: np.ndarray,
    extras: dict[str, np.ndarray],
    image_stats: dict[str, Any],
    table: pa.Table,
) -> dict[str, Any]:
    """The episode's stats: numeric features, each camera's image stats, the index columns
    of its frame table (lerobot's per-episode stats cover them too)."""
    stats: dict[str, Any] = {STATE_KEY: numeric_stats(states), ACTION_KEY: numeric_stats(actions)}
    for key, values in extras.items():
        stats[key] = numeric_stats(values.astype(np.float32))
    stats.update({key: s for key, s in image_stats.items() if s is not None})
    for col in ("timestamp", "frame_index", "episode_index", "index", "task_index"):
        stats[col] = numeric_stats(table.column(col).to_numpy())
    return stats


def _frame_extras(ep: _Episode) -> dict[str, np.ndarray]:
    extras = {
        key: np.asarray(values, dtype=OPTIONAL_FRAME_FEATURES[key])
        for key, values in ep.extras.items()
    }
    if "next.done" in extras:  # true on the last frame of a saved episode only
        extras["next.done"][:] = False
        extras["next.done"][-1] = True
    return extras


def _meta_columns(meta: EpisodeMeta) -> dict[str, Any]:
    return {
        "outcome": meta.outcome,
        "fps_achieved": meta.fps_achieved,
        "period_p99_ms": meta.period_p99_ms,
        "paced": meta.paced,
        "device": meta.device,
        "backend": meta.backend,
        "seed": meta.seed,
        "note": meta.note,
        "starved_ticks": meta.starved_ticks,
        "intervention_ticks": meta.intervention_ticks,
        "input_age_p50_ms": meta.input_age_p50_ms,
        "input_age_p99_ms": meta.input_age_p99_ms,
        "input_latency_p50_ms": meta.input_latency_p50_ms,
        "input_latency_p99_ms": meta.input_latency_p99_ms,
        "input_clock_offset_ms": meta.input_clock_offset_ms,
        "input_pauses": meta.input_pauses,
        "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _rewrite_episodes_metadata(root: Path, state: DatasetState) -> DatasetState:
    """Once, when resuming a dataset whose episode rows have other columns than ours (every
    meta/episodes file must share one schema for lerobot's reader)."""
    full = tables.read_episodes_table(root)
    txn = Transaction(root, "rewrite meta/episodes in the writer's columns")
    new_state = rebuild(root, txn, state.info, state.tasks, full)
    with locks.commit_lock(root):
        txn.commit()
    return new_state


def _done(value: T) -> concurrent.futures.Future[T]:
    future: concurrent.futures.Future[T] = concurrent.futures.Future()
    future.set_result(value)
    return future

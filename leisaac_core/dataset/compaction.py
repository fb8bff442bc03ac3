"""Background compaction: pack committed episodes into lerobot-sized files.

A commit writes one data parquet and one mp4 per camera per episode (cheap, atomic).
Compaction later joins consecutive files up to lerobot's v3 limits
(data_files_size_in_mb, video_files_size_in_mb): data files rewritten with one parquet row
group per episode (lerobot 0.6 requires it), mp4s concatenated by stream copy (packets
copied with shifted timestamps, nothing re-encoded; each episode's from/to timestamps
become its offset in the packed file, exact because every mp4 declares frames / fps), and
the sealed meta/episodes files (all but the last, which commits keep rewriting) joined into
larger ones. A packed file takes the slot of the first file it replaces, so files keep
sorting in episode order (lerobot concatenates data files in path order).

Two phases, so recording never waits on the heavy part:
- prepare (any thread, no lock): read the episode rows, write the packed files to the
  private temp folder, stage the sealed meta files with the episodes' new locations;
- install (short; on the writer's commit thread, or inline when no writer is open): check
  that nothing it read changed (a delete in between aborts it), patch the rows of episodes
  that now live in newer meta files (the tail and files begun since prepare: sealed files
  whose episodes did not move are never read), and commit everything
  through the journal like any change. A kill -9 at any point loses nothing: before the
  journal only temp files exist (removed by repair); after it, the next open rolls forward.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pyarrow as pa
import pyarrow.parquet as pq

from leisaac_core.dataset import layout, locks, tables
from leisaac_core.dataset.encoder import check_mp4
from leisaac_core.dataset.journal import Transaction
from leisaac_core.dataset.maintenance import CompactionResult, open_writer_for
from leisaac_core.dataset.progress import Progress, ProgressFn, no_progress
from leisaac_core.dataset.repair import repair
from leisaac_core.dataset.state import DatasetState, read_info

log = logging.getLogger(__name__)

MIB = 1024 * 1024
# Rows per packed meta/episodes file (lerobot rotates those at 100 MB; our rows are a few
# KiB, so this stays well under). The catalog reads them by row group.
PACKED_META_ROWS = layout.PACKED_EPISODES_PER_META_FILE

Identity = tuple[int, int, int]  # inode, size, mtime_ns


def _identity(path: Path) -> Identity:
    st = path.stat()
    return (st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass
class PreparedCompaction:
    """Packed files staged in `txn`, and what install must still do."""

    txn: Transaction
    generation: int
    patches: dict[int, dict[str, Any]]  # episode_index -> new column values
    sealed: dict[str, Identity]  # meta files read and replaced by staged ones
    untouched: frozenset[str] = frozenset()  # sealed meta files without a moved episode
    episodes: int = 0
    files_before: int = 0
    files_after: int = 0

    @property
    def changes_anything(self) -> bool:
        return bool(self.patches) or bool(self.txn.removals)


@dataclass
class _File:
    key: tuple[int, int]  # (chunk, file)
    episodes: list[dict[str, Any]]  # rows in episode order
    size: int


def _group(files: list[_File], limit_bytes: int, tiered: bool) -> list[list[_File]]:
    """Consecutive files greedily joined while the total stays within the limit.

    `tiered` (the compactions that run while recording): only the last files are joined,
    from the end, each earlier file only while it is no larger than what joins it (a size-
    tiered pack: O(log n) files, and each run copies in proportion to what is new, where a
    full pack would copy the whole growing packed file every time). The pack at rest is
    full: one file per camera up to lerobot's limits."""
    if not tiered:
        groups: list[list[_File]] = []
        for f in files:
            if groups and sum(g.size for g in groups[-1]) + f.size <= limit_bytes:
                groups[-1].append(f)
            else:
                groups.append([f])
        return groups
    start, total = len(files), 0
    while start > 0:
        f = files[start - 1]
        if start < len(files) and (f.size > total or total + f.size > limit_bytes):
            break
        start, total = start - 1, total + f.size
    return [[f] for f in files[:start]] + ([files[start:]] if start < len(files) else [])


def _files_of(root: Path, rows: list[dict[str, Any]], prefix: str, path: Callable) -> list[_File]:
    out: list[_File] = []
    for row in rows:
        key = (row[f"{prefix}chunk_index"], row[f"{prefix}file_index"])
        if out and out[-1].key == key:
            out[-1].episodes.append(row)
        else:
            out.append(_File(key, [row], (root / path(*key)).stat().st_size))
    return out


def prepare(
    root: Path,
    generation: int = 0,
    data_limit_mb: float | None = None,
    video_limit_mb: float | None = None,
    tiered: bool = False,
    progress: ProgressFn = no_progress,
) -> PreparedCompaction | None:
    """Phase 1 (heavy, lock-free); None when there is nothing to pack. `tiered`: see
    _group (for the compactions that run while recording). `progress` hears of every data
    and video file read ("packing", files)."""
    info = read_info(root)
    data_limit = (data_limit_mb or info.get("data_files_size_in_mb") or 100) * MIB
    video_limit = (video_limit_mb or info.get("video_files_size_in_mb") or 200) * MIB
    fps = int(info["fps"])
    meta_files = layout.episodes_files(root)
    sealed_paths = meta_files[:-1]
    sealed = {p.relative_to(root).as_posix(): _identity(p) for p in sealed_paths}
    if not meta_files:
        return None
    video_keys = [k for k, f in info["features"].items() if f["dtype"] == "video"]
    # Only the location columns, as Python rows (the full rows of a large dataset would not
    # fit comfortably in memory as dicts).
    columns = ["episode_index", "data/chunk_index", "data/file_index"]
    for key in video_keys:
        columns += [f"videos/{key}/{c}" for c in _VIDEO_COLUMNS]
    rows = pa.concat_tables(
        [tables.read_parquet_plain(p, columns) for p in meta_files], promote_options="permissive"
    ).to_pylist()
    txn = Transaction(root, "compact: pack episodes into larger files")
    prepared = PreparedCompaction(txn, generation, {}, sealed)

    data_files = _files_of(root, rows, "data/", layout.data_path)
    video_files = {
        key: _files_of(root, rows, f"videos/{key}/", lambda c, f, k=key: layout.video_path(k, c, f))
        for key in video_keys
    }
    total = len(data_files) + sum(len(files) for files in video_files.values())
    done = 0
    progress(Progress("packing", done, total, "files"))
    prepared.files_before += len(data_files)
    for group in _group(data_files, data_limit, tiered):
        prepared.files_after += 1
        done += len(group)
        progress(Progress("packing", done, total, "files"))
        if len(group) == 1:
            continue
        target = group[0].key
        parts = [pq.read_table(root / layout.data_path(*f.key)) for f in group]
        # Files from other tools may type lists differently (list vs fixed-size list): the
        # packed file takes the first file's schema.
        packed = pa.concat_tables([t.cast(parts[0].schema) for t in parts])
        tables.write_parquet_per_episode(packed, txn.stage_path(layout.data_path(*target)))
        for f in group:
            if f.key == target:
                continue  # its episodes stay where they are (no patch: their rows stay put)
            txn.remove(layout.data_path(*f.key))
            for row in f.episodes:
                patch = prepared.patches.setdefault(row["episode_index"], {})
                patch["data/chunk_index"], patch["data/file_index"] = target

    for key, files in video_files.items():
        prepared.files_before += len(files)
        for group in _group(files, video_limit, tiered):
            for target, members in _concat_videos(root, key, group, fps, prepared):
                prepared.files_after += 1
                if len(members) == 1:
                    continue
                for f in members:
                    if f.key != target:
                        txn.remove(layout.video_path(key, *f.key))
            done += len(group)
            progress(Progress("packing", done, total, "files"))

    prepared.episodes = len(prepared.patches)
    # Sealed meta files: joined, with the episodes' new locations. Only the new ones and
    # those holding moved episodes, plus packed neighbours no larger than what joins them
    # (a binary counter: O(log n) files, and each compaction rewrites rows in proportion to
    # what is new, amortised), so the work does not grow with the dataset.
    sizes = [pq.ParquetFile(p).metadata.num_rows for p in sealed_paths]
    starts = [0, *itertools.accumulate(sizes)]
    moved = [
        any(r["episode_index"] in prepared.patches for r in rows[starts[i] : starts[i + 1]])
        for i in range(len(sizes))
    ]
    first = 0  # files before it stay as they are
    while first < len(sizes) and sizes[first] > layout.EPISODES_PER_META_FILE and not moved[first]:
        first += 1
    if first < len(sizes):
        while first > 0 and sizes[first - 1] <= min(starts[-1] - starts[first], PACKED_META_ROWS):
            first -= 1
    if len(sizes) - first == 1 and not moved[first]:
        first = len(sizes)  # one file alone that nothing moved in: nothing to join
    prepared.untouched = frozenset(p.relative_to(root).as_posix() for p in sealed_paths[:first])
    sealed_paths = sealed_paths[first:]
    rewritten = {p.relative_to(root).as_posix() for p in sealed_paths}
    sealed = {rel: ident for rel, ident in sealed.items() if rel in rewritten}
    prepared.sealed = sealed
    n_sealed = starts[-1] - starts[first]
    if sealed_paths:
        prepared.files_before += len(sealed_paths)
        sealed_table = pa.concat_tables(
            [tables.read_parquet_plain(p) for p in sealed_paths], promote_options="permissive"
        )
        sealed_table = _apply_patches(sealed_table, prepared.patches)
        written = set()
        for start in range(0, n_sealed, PACKED_META_ROWS):
            part = sealed_table.slice(start, PACKED_META_ROWS)
            # A packed file takes the slot of the file that held its first row.
            slot = layout.chunk_file_to_slot(
                part.column("meta/episodes/chunk_index")[0].as_py(),
                part.column("meta/episodes/file_index")[0].as_py(),
            )
            part = tables.with_meta_slot(part, slot)
            rel = layout.episodes_path(slot)
            tables.write_parquet(part, txn.stage_path(rel), layout.META_ROW_GROUP)
            written.add(rel)
            prepared.files_after += 1
        for rel in sealed:
            if rel not in written:
                txn.remove(rel)
    else:
        prepared.sealed = {}  # not rewritten: nothing to check at install
    if not prepared.changes_anything:
        _discard(prepared)
        return None
    return prepared


_VIDEO_COLUMNS = ("chunk_index", "file_index", "from_timestamp", "to_timestamp")


def _apply_patches(table: pa.Table, patches: dict[int, dict[str, Any]]) -> pa.Table:
    """`table` with the patched columns of the patched episodes replaced."""
    episodes = table.column("episode_index").to_pylist()
    hit = [(i, patches[e]) for i, e in enumerate(episodes) if e in patches]
    if not hit:
        return table
    names = sorted({name for _, patch in hit for name in patch})
    for name in names:
        values = table.column(name).to_pylist()
        for i, patch in hit:
            if name in patch:
                values[i] = patch[name]
        field = table.schema.field(name)
        table = table.set_column(
            table.schema.get_field_index(name), field, pa.array(values, field.type)
        )
    return table


def _concat_videos(
    root: Path, key: str, group: list[_File], fps: int, prepared: PreparedCompaction
) -> list[tuple[tuple[int, int], list[_File]]]:
    """Concatenate a group's mp4s by stream copy into files at the slot of each run's first
    file; a file whose codec parameters differ starts a new run. Returns (slot, members)."""
    if len(group) == 1:
        return [(group[0].key, group)]
    runs: list[list[_File]] = []
    last_params: bytes | None = None
    for f in group:
        params = _codec_params(root / layout.video_path(key, *f.key))
        if runs and params == last_params:
            runs[-1].append(f)
        else:
            runs.append([f])
        last_params = params
    out = []
    for run in runs:
        target = run[0].key
        if len(run) > 1:
            staged = prepared.txn.stage_path(layout.video_path(key, *target))
            offsets = _stream_copy(root, key, run, staged, fps)
            for f, offset in zip(run, offsets, strict=True):
                if f.key == target:
                    continue  # first in the packed file: same file, same span
                for row in f.episodes:
                    patch = prepared.patches.setdefault(row["episode_index"], {})
                    patch[f"videos/{key}/chunk_index"], patch[f"videos/{key}/file_index"] = target
                    patch[f"videos/{key}/from_timestamp"] = (
                        offset + row[f"videos/{key}/from_timestamp"]
                    )
                    patch[f"videos/{key}/to_timestamp"] = offset + row[f"videos/{key}/to_timestamp"]
        out.append((target, run))
    return out


def _codec_params(path: Path) -> bytes:
    """What two mp4s must share to be joined by stream copy. Names the codec by its id
    (`av1`), not by the decoder this PyAV build picked (`libdav1d`); opens no codec."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        cc = s.codec_context
        desc = f"{cc.codec.canonical_name}/{cc.width}x{cc.height}/{cc.pix_fmt}/{s.time_base}"
        return desc.encode() + bytes(cc.extradata or b"")


def _remux_stream(out: av.container.OutputContainer, template: av.video.stream.VideoStream):
    """An output stream that takes `template`'s packets as they are: its codec parameters
    (codec id, size, pix_fmt, extradata) and time base copied, no encoder looked up or opened.

    PyAV's default for a video template (`opaque=False`) looks up an encoder named after the
    input's decoder: that finds libx264 for `h264` but nothing for `libdav1d` (AV1), so
    remuxing AV1 failed. `opaque=True` keeps the decoder's codec (PyAV 18 marks the context
    as initialized from the template and never opens it; 15 opens the decoder, harmless;
    both checked). The time base is set explicitly because PyAV 15 leaves it to the muxer
    (90 kHz); packets are rescaled to it either way, the input's keeps their ticks as they
    were.
    """
    stream = out.add_stream_from_template(template, opaque=True)
    stream.time_base = template.time_base
    return stream


def _stream_copy(root: Path, key: str, run: list[_File], dst: Path, fps: int) -> list[float]:
    """Write the mp4s of `run` one after the other into `dst`; returns each file's start
    time (s) in `dst`. Each file is shifted by the frames before it / fps."""
    offsets: list[float] = []
    frames_before = 0
    with av.open(str(dst), "w", format="mp4") as out:
        ostream = None
        for f in run:
            src = root / layout.video_path(key, *f.key)
            with av.open(str(src)) as inp:
                istream = inp.streams.video[0]
                if ostream is None:
                    ostream = _remux_stream(out, istream)
                tb = istream.time_base
                frames = istream.frames
                shift = int(Fraction(frames_before, fps) / tb)
                offsets.append(float(Fraction(frames_before, fps)))
                for packet in inp.demux(istream):
                    if packet.size == 0:
                        continue
                    if packet.pts is not None:
                        packet.pts += shift
                    if packet.dts is not None:
                        packet.dts += shift
                    packet.stream = ostream
                    out.mux(packet)
                frames_before += frames
    with open(dst, "rb") as fh:
        os.fsync(fh.fileno())
    check_mp4(dst, frames_before, fps)
    return offsets


def _discard(prepared: PreparedCompaction) -> None:
    for tmp_rel, _ in prepared.txn.renames:
        (layout.private_dir(prepared.txn.root) / tmp_rel).unlink(missing_ok=True)


class CompactionConflict(RuntimeError):
    """The dataset changed (a delete) while compaction prepared; nothing was changed."""


def install(
    root: Path, state: DatasetState, prepared: PreparedCompaction, generation: int
) -> DatasetState:
    """Phase 2: commit a prepared compaction against the current `state` (the caller holds
    the writer lock and runs this in order with commits); returns the new state."""
    txn = prepared.txn
    changed = generation != prepared.generation or any(
        not (root / rel).exists() or _identity(root / rel) != ident
        for rel, ident in prepared.sealed.items()
    )
    if changed:
        _discard(prepared)
        raise CompactionConflict(f"{root} changed while compaction prepared; try again")
    staged = {final for _, final in txn.renames}
    new_state = state
    for path in layout.episodes_files(root):
        rel = path.relative_to(root).as_posix()
        if rel in prepared.sealed or rel in staged or rel in prepared.untouched:
            continue
        slot = layout.slot_of(path)
        is_tail = slot == state.tail_slot and state.tail is not None
        current = state.tail if is_tail else tables.read_parquet_plain(path)
        assert current is not None
        patched = _apply_patches(current, prepared.patches)
        if patched is current:
            continue
        tables.write_parquet(patched, txn.stage_path(rel))
        if is_tail:
            new_state = DatasetState(**{**state.__dict__, "tail": patched})
    with locks.commit_lock(root):
        txn.commit()
    log.info(
        "compacted %s: %d episodes moved, files %d -> %d",
        root,
        prepared.episodes,
        prepared.files_before,
        prepared.files_after,
    )
    return new_state


def compact_dataset(
    dataset_dir: Path | str, progress: ProgressFn = no_progress
) -> CompactionResult:
    """Compact now and wait; works whether or not this process records into the dataset
    (another process recording into it: DatasetBusyError). `progress` hears of every file
    read, except where this process's recording writer does the work."""
    root = Path(dataset_dir)
    if not layout.is_dataset(root):
        raise FileNotFoundError(f"no LeRobot dataset at {root}")
    writer = open_writer_for(root)
    if writer is not None:
        return writer.compact().result()
    fd = locks.acquire_writer_lock(root)
    try:
        repair(root)
        prepared = prepare(root, progress=progress)
        if prepared is None:
            return CompactionResult(0, 0, 0)
        install(root, DatasetState.load(root), prepared, prepared.generation)
        return CompactionResult(prepared.episodes, prepared.files_before, prepared.files_after)
    finally:
        locks.release_writer_lock(fd)

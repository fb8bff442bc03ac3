"""Parquet tables of a LeRobot v3 dataset: per-frame data, episodes metadata, tasks.

Schemas match what lerobot 0.4.4 writes (checked against a dataset it recorded): state and
action as fixed-size float32 lists with the `huggingface` features metadata, tasks as a
pandas-style frame indexed by the task string, episode stats as nested double lists.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from leisaac_core.dataset import layout
from leisaac_core.dataset.stats import STAT_KEYS, Stats

# Columns we add to each episode row (lerobot's reader ignores unknown columns).
EXTRA_EPISODE_COLUMNS: dict[str, pa.DataType] = {
    "outcome": pa.string(),
    "fps_achieved": pa.float64(),
    "period_p99_ms": pa.float64(),
    "paced": pa.bool_(),  # null: not recorded (older datasets, other tools)
    "device": pa.string(),
    "backend": pa.string(),
    "seed": pa.int64(),
    "note": pa.string(),
    "recorded_at": pa.string(),
    # Policy sessions: ticks the action queue ran dry, ticks a human drove (DAgger).
    "starved_ticks": pa.int64(),
    "intervention_ticks": pa.int64(),
    # Input that crossed a network (remote leader, browser keys), in ms; pauses for stale input.
    "input_age_p50_ms": pa.float64(),
    "input_age_p99_ms": pa.float64(),
    "input_latency_p50_ms": pa.float64(),
    "input_latency_p99_ms": pa.float64(),
    "input_clock_offset_ms": pa.float64(),
    "input_pauses": pa.int64(),
}
DROPPED_PREFIX = "frames_dropped/"

_HF_VALUE = {"float32": "float32", "int64": "int64", "float64": "float64", "bool": "bool"}


# ---- per-frame data ------------------------------------------------------------------------
def frame_schema(features: Mapping[str, Mapping[str, Any]]) -> pa.Schema:
    fields = []
    hf_features: dict[str, Any] = {}
    for key, ft in features.items():
        if ft["dtype"] in ("video", "image"):
            continue
        dtype = ft["dtype"]
        arrow_type = pa.float32() if dtype == "float32" else pa.from_numpy_dtype(np.dtype(dtype))
        shape = list(ft["shape"])
        if shape == [1] and ft.get("names") is None:
            fields.append(pa.field(key, arrow_type))
            hf_features[key] = {"dtype": _HF_VALUE.get(dtype, dtype), "_type": "Value"}
        else:
            fields.append(pa.field(key, pa.list_(arrow_type, shape[0])))
            hf_features[key] = {
                "feature": {"dtype": _HF_VALUE.get(dtype, dtype), "_type": "Value"},
                "length": shape[0],
                "_type": "List",
            }
    metadata = {b"huggingface": json.dumps({"info": {"features": hf_features}}).encode()}
    return pa.schema(fields, metadata=metadata)


def frames_table(
    schema: pa.Schema,
    state: np.ndarray,
    action: np.ndarray,
    fps: int,
    episode_index: int,
    start_index: int,
    task_index: int,
    extras: Mapping[str, np.ndarray] | None = None,
) -> pa.Table:
    """`extras`: optional per-frame scalar features (next.reward, ...), one value per frame."""
    n = len(state)
    frame_index = np.arange(n, dtype=np.int64)
    columns: dict[str, pa.Array] = {
        "observation.state": _fixed_list(state.astype(np.float32)),
        "action": _fixed_list(action.astype(np.float32)),
        # Exactly frame_index / fps: lerobot checks timestamps against 1/fps.
        "timestamp": pa.array((frame_index / fps).astype(np.float32)),
        "frame_index": pa.array(frame_index),
        "episode_index": pa.array(np.full(n, episode_index, dtype=np.int64)),
        "index": pa.array(np.arange(start_index, start_index + n, dtype=np.int64)),
        "task_index": pa.array(np.full(n, task_index, dtype=np.int64)),
    }
    for key, values in (extras or {}).items():
        columns[key] = pa.array(np.asarray(values).reshape(n))
    return pa.table([columns[f.name] for f in schema], schema=schema)


def _fixed_list(values: np.ndarray) -> pa.Array:
    n, d = values.shape
    return pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), d)


def write_parquet(table: pa.Table, path: Path, row_group_size: int | None = None) -> None:
    """Write and fsync (the caller renames it into place)."""
    with open(path, "wb") as f:
        pq.write_table(table, f, compression="snappy", row_group_size=row_group_size)
        f.flush()
        os.fsync(f.fileno())


def write_parquet_per_episode(table: pa.Table, path: Path) -> None:
    """Write and fsync with one row group per episode (rows of an episode are contiguous),
    as lerobot 0.6 requires of data files holding several episodes."""
    episodes = table.column("episode_index").to_numpy()
    cuts = [0, *(np.flatnonzero(np.diff(episodes)) + 1).tolist(), len(episodes)]
    with open(path, "wb") as f:
        with pq.ParquetWriter(f, table.schema, compression="snappy") as writer:
            for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
                if hi > lo:
                    writer.write_table(table.slice(lo, hi - lo), row_group_size=hi - lo)
        f.flush()
        os.fsync(f.fileno())


# ---- tasks -----------------------------------------------------------------------------------
def tasks_table(tasks: Sequence[str]) -> pa.Table:
    """pandas-readable: `pd.read_parquet` gives a frame indexed by task, column task_index."""
    pandas_meta = {
        "index_columns": ["__index_level_0__"],
        "column_indexes": [
            {
                "name": None,
                "field_name": None,
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": {"encoding": "UTF-8"},
            }
        ],
        "columns": [
            {
                "name": "task_index",
                "field_name": "task_index",
                "pandas_type": "int64",
                "numpy_type": "int64",
                "metadata": None,
            },
            {
                "name": None,
                "field_name": "__index_level_0__",
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": None,
            },
        ],
        "attributes": {},
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": "2.2.0",
    }
    schema = pa.schema(
        [pa.field("task_index", pa.int64()), pa.field("__index_level_0__", pa.large_string())],
        metadata={b"pandas": json.dumps(pandas_meta).encode()},
    )
    return pa.table(
        [pa.array(range(len(tasks)), pa.int64()), pa.array(list(tasks), pa.large_string())],
        schema=schema,
    )


def read_tasks(root: Path) -> list[str]:
    path = root / layout.TASKS_PATH
    if not path.exists():
        return []
    with open(path, "rb") as f:  # one open: a new task replaces the file by rename
        table = pq.read_table(f)
    names = [n for n in table.column_names if n != "task_index"]
    if not names:
        raise ValueError(f"{path} has no task column")
    order = table.column("task_index").to_pylist()
    tasks = table.column(names[0]).to_pylist()
    return [t for _, t in sorted(zip(order, tasks, strict=True))]


# ---- episodes --------------------------------------------------------------------------------
def _stat_type(feature: Mapping[str, Any], stat: str) -> pa.DataType:
    if stat == "count":
        return pa.list_(pa.int64())
    if feature["dtype"] in ("video", "image"):
        return pa.list_(pa.list_(pa.list_(pa.float64())))
    if feature["dtype"] == "int64" and stat in ("min", "max"):
        return pa.list_(pa.int64())
    return pa.list_(pa.float64())


def episodes_schema(features: Mapping[str, Mapping[str, Any]]) -> pa.Schema:
    video_keys = [k for k, f in features.items() if f["dtype"] == "video"]
    fields = [
        pa.field("episode_index", pa.int64()),
        pa.field("tasks", pa.list_(pa.string())),
        pa.field("length", pa.int64()),
        pa.field("data/chunk_index", pa.int64()),
        pa.field("data/file_index", pa.int64()),
        pa.field("dataset_from_index", pa.int64()),
        pa.field("dataset_to_index", pa.int64()),
    ]
    for key in video_keys:
        fields += [
            pa.field(f"videos/{key}/chunk_index", pa.int64()),
            pa.field(f"videos/{key}/file_index", pa.int64()),
            pa.field(f"videos/{key}/from_timestamp", pa.float64()),
            pa.field(f"videos/{key}/to_timestamp", pa.float64()),
        ]
    for key, ft in features.items():
        for stat in STAT_KEYS:
            fields.append(pa.field(f"stats/{key}/{stat}", _stat_type(ft, stat)))
    fields += [
        pa.field("meta/episodes/chunk_index", pa.int64()),
        pa.field("meta/episodes/file_index", pa.int64()),
    ]
    fields += [pa.field(name, t) for name, t in EXTRA_EPISODE_COLUMNS.items()]
    fields += [pa.field(f"{DROPPED_PREFIX}{key}", pa.int64()) for key in video_keys]
    return pa.schema(fields)


def episodes_table(rows: Sequence[Mapping[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows as a table of `schema` (missing columns null; each row must carry its own
    meta/episodes/chunk_index and file_index)."""
    clean = []
    for row in rows:
        out = {}
        for name in schema.names:
            value = row.get(name)
            out[name] = value.tolist() if isinstance(value, np.ndarray) else value
        clean.append(out)
    return pa.Table.from_pylist(clean, schema=schema)


def with_meta_slot(part: pa.Table, slot: int) -> pa.Table:
    """Episode rows with their meta/episodes chunk_index and file_index set to `slot`'s."""
    chunk, file = layout.slot_to_chunk_file(slot)
    for name, value in (("meta/episodes/chunk_index", chunk), ("meta/episodes/file_index", file)):
        part = part.set_column(
            part.schema.get_field_index(name), name, pa.array([value] * part.num_rows, pa.int64())
        )
    return part


def read_parquet_plain(path: Path, columns: Sequence[str] | None = None) -> pa.Table:
    """A parquet file's table without schema metadata (so tables from files compare and
    concatenate on columns alone). Read through one open file: a commit may replace the file
    (by rename) meanwhile, and a reader that opened the path twice would mix two versions
    (seen: compaction's lock-free read of the last meta/episodes file failed with
    "Page was smaller than expected")."""
    with open(path, "rb") as f:
        table = pq.read_table(f, columns=list(columns) if columns else None)
    return table.replace_schema_metadata(None)


def covers(schema: pa.Schema, ours: pa.Schema) -> bool:
    """`schema` has every column of `ours` with the same type (extra columns allowed)."""
    for f in ours:
        i = schema.get_field_index(f.name)
        if i < 0 or schema.field(i).type != f.type:
            return False
    return True


def extend_schema(ours: pa.Schema, other: pa.Schema) -> pa.Schema:
    """Our columns, then the columns only `other` has (extra per-episode columns such as
    QC results, which lerobot's reader ignores and every change must keep)."""
    extra = [f for f in other if ours.get_field_index(f.name) < 0]
    return pa.schema(list(ours) + extra)


def read_episodes_table(root: Path, columns: Sequence[str] | None = None) -> pa.Table | None:
    """Every episode row (all meta/episodes files, in episode order), or None if none.
    Reads every row: for whole-dataset operations (delete, merge, compaction, push)."""
    parts = []
    for path in layout.episodes_files(root):
        parts.append(read_parquet_plain(path, columns))
    if not parts:
        return None
    return pa.concat_tables(parts, promote_options="permissive")


def read_episode_rows(root: Path) -> list[dict[str, Any]]:
    """All episode rows (every meta/episodes file), ordered by episode_index."""
    table = read_episodes_table(root)
    rows = table.to_pylist() if table is not None else []
    rows.sort(key=lambda r: r["episode_index"])
    return rows


def stats_from_row(row: Mapping[str, Any], feature_keys: Sequence[str]) -> dict[str, Stats]:
    """Per-episode stats stored in an episode row, as numpy arrays per feature."""
    out: dict[str, Stats] = {}
    for key in feature_keys:
        fstats = {}
        for stat in STAT_KEYS:
            value = row.get(f"stats/{key}/{stat}")
            if value is not None:
                fstats[stat] = np.asarray(value)
        if fstats:
            out[key] = fstats
    return out


def stats_to_row(stats: Mapping[str, Stats]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, fstats in stats.items():
        for stat, value in fstats.items():
            row[f"stats/{key}/{stat}"] = np.asarray(value).tolist()
    return row

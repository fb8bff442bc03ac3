"""A dataset's robot identity: the `robot_type` it declares and the units of its joints.

Two identities:
- `lerobot` (the default): what `lerobot-record` writes for a real SO-101 follower since
  lerobot 0.4.3: robot_type `so_follower` (two arms: `bi_so_follower`) and `use_degrees`
  units: body joints in degrees, gripper 0..100. Sim episodes merge with real ones
  (lerobot's `aggregate_datasets` refuses a differing robot_type).
- `leisaac`: what LeIsaac records: robot_type `so101_follower` (`bi_so101_follower`) and
  LeRobot's normalized units (arm -100..100, gripper 0..100).

Envs and devices always speak normalized units (leisaac_core.so101); the identity is applied
where joint values enter or leave a dataset (the recorder, a policy's observations and
actions, a replay of recorded actions). `robot_type` in meta/info.json tells which identity
a dataset has. `convert_dataset` rewrites an existing dataset's identity (robot_type, the
state/action columns and their stats) without touching its videos.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from leisaac_core import so101
from leisaac_core.dataset import layout, locks, tables
from leisaac_core.dataset.fsutil import fsync_dir, json_bytes
from leisaac_core.dataset.journal import Transaction
from leisaac_core.dataset.spec import (
    ACTION_KEY,
    STATE_KEY,
    DatasetExistsError,
    FeatureDifference,
)
from leisaac_core.dataset.state import read_info

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RobotIdentity:
    name: str
    units: str  # so101.UNITS
    # The env's robot (LeIsaac's names, as TaskSpec.robot_type and Isaac Lab give them) ->
    # the robot_type this identity writes.
    robot_types: Mapping[str, str]
    label: str

    def robot_type_for(self, env_robot_type: str) -> str:
        """The robot_type a dataset of this identity declares for an env's robot."""
        for ours, theirs in _ALIASES.items():
            if env_robot_type == theirs:
                env_robot_type = ours  # a lerobot name given: LeIsaac's for the lookup
        if env_robot_type not in self.robot_types:
            raise ValueError(
                f"robot identity {self.name!r} knows robots {sorted(self.robot_types)}, not "
                f"{env_robot_type!r}; use identity 'leisaac' (robot_type as the env names it)"
                if self.name != "leisaac"
                else f"robot {env_robot_type!r} has no SO-101 identity"
            )
        return self.robot_types[env_robot_type]

    def to_dataset(self, normalized: np.ndarray) -> np.ndarray:
        """Joint values (..., 6 * arms) from env units (normalized) to this identity's."""
        return so101.to_units(normalized, self.units)

    def from_dataset(self, values: np.ndarray) -> np.ndarray:
        """Joint values in this identity's units back to env units (normalized)."""
        return so101.from_units(values, self.units)


# LeIsaac's robot names -> lerobot's since 0.4.3 (its CLI keeps the old ones as aliases).
_ALIASES: dict[str, str] = {
    "so101_follower": "so_follower",
    "bi_so101_follower": "bi_so_follower",
}

IDENTITIES: dict[str, RobotIdentity] = {
    "lerobot": RobotIdentity(
        "lerobot",
        "degrees",
        dict(_ALIASES),
        "lerobot-record's (so_follower, degrees)",
    ),
    "leisaac": RobotIdentity(
        "leisaac",
        "normalized",
        {k: k for k in _ALIASES},
        "LeIsaac's (so101_follower, normalized -100..100)",
    ),
}
DEFAULT_IDENTITY = "lerobot"
# Isaac Lab runs LeIsaac's own tasks: its users have LeIsaac datasets and run policies
# trained on them (LeIsaac's policy inference feeds normalized joints), so it keeps LeIsaac's
# identity; the embedded MuJoCo default records what merges with real lerobot-record data.
BACKEND_DEFAULT_IDENTITY: dict[str, str] = {"mujoco": "lerobot", "isaaclab": "leisaac"}


def get_identity(name: str) -> RobotIdentity:
    try:
        return IDENTITIES[name]
    except KeyError:
        raise ValueError(
            f"unknown robot identity {name!r}; choose one of {sorted(IDENTITIES)} (lerobot: "
            "so_follower in degrees as lerobot-record writes; leisaac: so101_follower, "
            "normalized as LeIsaac writes)"
        ) from None


def default_identity(backend: str) -> str:
    return BACKEND_DEFAULT_IDENTITY.get(backend, DEFAULT_IDENTITY)


def identity_of_robot_type(robot_type: str | None) -> str | None:
    """The identity whose datasets declare `robot_type` (None: neither of ours)."""
    for identity in IDENTITIES.values():
        if robot_type in identity.robot_types.values():
            return identity.name
    return None


def identity_difference(dataset_robot_type: str | None, requested: str) -> FeatureDifference:
    """A resume's robot_type mismatch as a difference of setting "identity": `dataset` and
    `requested` are identity names where the robot types are ours (the raw robot_type
    otherwise), so a surface can name its option and the value that matches the dataset."""
    ours, theirs = identity_of_robot_type(dataset_robot_type), identity_of_robot_type(requested)

    def shown(robot_type: str | None, identity: str | None) -> str:
        return f"{robot_type!r} (identity {identity})" if identity else repr(robot_type)

    return FeatureDifference(
        "identity",
        "robot_type",
        ours or dataset_robot_type,
        theirs or requested,
        f"robot_type: dataset has {shown(dataset_robot_type, ours)}, requested "
        f"{shown(requested, theirs)}",
    )


# ---- converting a dataset -----------------------------------------------------------------
@dataclass(frozen=True)
class ConvertResult:
    root: Path
    source: str  # identity before
    target: str  # identity after
    robot_type: str
    episodes: int
    frames: int
    changed: bool  # False: the dataset had the identity already (nothing written in place)


_WORK_PREFIX = "merge-convert-"  # repair() removes a killed run's "merge-*" work folder


def convert_dataset(root: Path, identity: str, into: Path | None = None) -> ConvertResult:
    """Rewrite the dataset at `root` to `identity`: robot_type in meta/info.json, the
    observation.state and action columns of every data file, their per-episode stats in
    meta/episodes and meta/stats.json. Videos are not touched (hard-linked into `into`).

    In place: one journaled change under the writer lock (refused while a session writes),
    so a crash leaves the old dataset or the converted one. With `into`: a new dataset built
    in a work folder and published by one rename; the source is untouched."""
    root = Path(root)
    target = get_identity(identity)
    if not layout.is_dataset(root):
        raise FileNotFoundError(f"no LeRobot dataset at {root}")
    info = read_info(root)
    source_name = identity_of_robot_type(info.get("robot_type"))
    if source_name is None:
        raise ValueError(
            f"{root}: robot_type {info.get('robot_type')!r} is not an SO-101 identity we know "
            f"(robot types: {sorted(t for i in IDENTITIES.values() for t in i.robot_types.values())})"
        )
    source = IDENTITIES[source_name]
    _check_joint_features(root, info)
    robot_type = _convert_robot_type(info["robot_type"], source, target)
    if into is None:
        return _convert_in_place(root, source, target, robot_type)
    return _convert_into(root, Path(into), source, target, robot_type)


def _convert_robot_type(robot_type: str, source: RobotIdentity, target: RobotIdentity) -> str:
    env_robot = next(k for k, v in source.robot_types.items() if v == robot_type)
    return target.robot_type_for(env_robot)


def _check_joint_features(root: Path, info: dict[str, Any]) -> None:
    for key in (STATE_KEY, ACTION_KEY):
        feature = info["features"].get(key)
        if feature is None:
            continue
        names = list(feature.get("names") or [])
        arms = len(names) // len(so101.JOINTS) if names else 0
        expected = [
            f"{prefix}{n}"
            for prefix in (("",) if arms == 1 else ("left_", "right_"))
            for n in so101.JOINT_FEATURE_NAMES
        ]
        if arms not in (1, 2) or names != expected:
            raise ValueError(
                f"{root}: {key} has names {names}, not the SO-101 joints "
                f"{list(so101.JOINT_FEATURE_NAMES)}: its units cannot be converted"
            )


def _linear(source: RobotIdentity, target: RobotIdentity, dims: int) -> tuple[np.ndarray, ...]:
    """(a, b) per dimension with target = a * source + b (a > 0)."""
    s_scale, s_off = so101.unit_scale(source.units)
    t_scale, t_off = so101.unit_scale(target.units)
    a = t_scale / s_scale
    b = t_off - s_off * a
    arms = dims // len(so101.JOINTS)
    return np.tile(a, arms), np.tile(b, arms)


def _map_values(values: np.ndarray, stat: str | None, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Map values (..., dims) or one stat of them: every stat but std and count is a value
    (min, max, mean, quantiles: the map is increasing); std only scales; count stays."""
    if stat == "count":
        return values
    if stat == "std":
        return values * a
    return values * a + b


def _map_list_column(column: pa.ChunkedArray, stat: str | None, a: np.ndarray, b: np.ndarray):
    dims = len(a)
    values = np.asarray(column.combine_chunks().flatten().to_numpy(zero_copy_only=False))
    mapped = _map_values(values.astype(np.float64).reshape(-1, dims), stat, a, b)
    flat = pa.array(mapped.reshape(-1), type=column.type.value_type)
    if pa.types.is_fixed_size_list(column.type):
        out = pa.FixedSizeListArray.from_arrays(flat, dims)
    else:
        offsets = pa.array(np.arange(0, len(mapped) * dims + 1, dims, dtype=np.int32))
        out = pa.ListArray.from_arrays(offsets, flat)
    return out.cast(column.type)


def _convert_data_table(table: pa.Table, keys: list[str], linear: dict) -> pa.Table:
    for key in keys:
        i = table.schema.get_field_index(key)
        if i < 0:
            continue
        a, b = linear[key]
        table = table.set_column(i, table.schema.field(i), _map_list_column(table[key], None, a, b))
    return table


def _write_data_file(src: Path, dst: Path, keys: list[str], linear: dict) -> None:
    """Convert one data file, keeping its schema (and metadata) and its row groups."""
    pf = pq.ParquetFile(src)
    with open(dst, "wb") as f:
        with pq.ParquetWriter(f, pf.schema_arrow, compression="snappy") as writer:
            for g in range(pf.num_row_groups):
                part = _convert_data_table(pf.read_row_group(g), keys, linear)
                writer.write_table(part, row_group_size=max(part.num_rows, 1))
        f.flush()
        os.fsync(f.fileno())


def _convert_episodes(table: pa.Table, keys: list[str], linear: dict) -> pa.Table:
    for name in list(table.column_names):
        parts = name.split("/")
        if len(parts) != 3 or parts[0] != "stats" or parts[1] not in keys or parts[2] == "count":
            continue
        a, b = linear[parts[1]]
        i = table.schema.get_field_index(name)
        column = table[name]
        if table.num_rows == 0 or column.null_count:
            if column.null_count == len(column):
                continue
            raise ValueError(f"meta/episodes column {name} has missing stats")
        table = table.set_column(i, table.schema.field(i), _map_list_column(column, parts[2], a, b))
    return table


def _convert_stats(stats: dict[str, Any], keys: list[str], linear: dict) -> dict[str, Any]:
    out = dict(stats)
    for key in keys:
        if key not in stats:
            continue
        a, b = linear[key]
        out[key] = {
            stat: _map_values(np.asarray(v, dtype=np.float64), stat, a, b).tolist()
            if stat != "count"
            else v
            for stat, v in stats[key].items()
        }
    return out


def _plan(root: Path, info: dict[str, Any], source: RobotIdentity, target: RobotIdentity):
    keys = [k for k in (STATE_KEY, ACTION_KEY) if k in info["features"]]
    linear = {k: _linear(source, target, int(info["features"][k]["shape"][0])) for k in keys}
    return keys, linear


def _stage_converted(
    src_root: Path,
    txn_or_dir: Transaction | Path,
    info: dict[str, Any],
    keys: list[str],
    linear: dict,
    robot_type: str,
) -> None:
    """Write the converted data, episodes, stats and info of `src_root`: staged into a
    transaction (in place), or written into a folder (a new dataset)."""

    def path_for(rel: str) -> Path:
        if isinstance(txn_or_dir, Transaction):
            return txn_or_dir.stage_path(rel)
        p = txn_or_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def put_bytes(rel: str, data: bytes) -> None:
        if isinstance(txn_or_dir, Transaction):
            txn_or_dir.stage_bytes(rel, data)
        else:
            p = path_for(rel)
            p.write_bytes(data)
            with open(p, "rb") as f:
                os.fsync(f.fileno())

    for src in sorted((src_root / "data").rglob("*.parquet")):
        rel = src.relative_to(src_root).as_posix()
        _write_data_file(src, path_for(rel), keys, linear)
    for src in layout.episodes_files(src_root):
        rel = src.relative_to(src_root).as_posix()
        table = pq.read_table(src)
        tables.write_parquet(_convert_episodes(table, keys, linear), path_for(rel))
    stats_path = src_root / layout.STATS_PATH
    if stats_path.exists():
        stats = json.loads(stats_path.read_text())
        put_bytes(layout.STATS_PATH, json_bytes(_convert_stats(stats, keys, linear)))
    put_bytes(layout.INFO_PATH, json_bytes({**info, "robot_type": robot_type}))


def _result(root: Path, info: dict, source, target, robot_type, changed) -> ConvertResult:
    return ConvertResult(
        root,
        source.name,
        target.name,
        robot_type,
        int(info.get("total_episodes") or 0),
        int(info.get("total_frames") or 0),
        changed,
    )


def _convert_in_place(
    root: Path, source: RobotIdentity, target: RobotIdentity, robot_type: str
) -> ConvertResult:
    from leisaac_core.dataset.repair import repair

    lock_fd = locks.acquire_writer_lock(root)
    try:
        repair(root)
        info = read_info(root)
        if source.name == target.name and info.get("robot_type") == robot_type:
            return _result(root, info, source, target, robot_type, False)
        keys, linear = _plan(root, info, source, target)
        txn = Transaction(root, f"convert identity {source.name} -> {target.name}")
        _stage_converted(root, txn, info, keys, linear, robot_type)
        with locks.commit_lock(root):
            txn.commit()
    finally:
        locks.release_writer_lock(lock_fd)
    log.info("converted %s from identity %s to %s", root, source.name, target.name)
    return _result(root, info, source, target, robot_type, True)


def _convert_into(
    root: Path, into: Path, source: RobotIdentity, target: RobotIdentity, robot_type: str
) -> ConvertResult:
    from leisaac_core.dataset.repair import repair
    from leisaac_core.dataset.snapshot import snapshot_committed

    if into.resolve() == root.resolve():
        raise ValueError("--into names the dataset itself; leave it out to convert in place")
    if layout.is_dataset(into):
        raise DatasetExistsError(f"dataset already exists at {into}; convert into a new repo id")
    lock_fd = locks.acquire_writer_lock(into)
    work = layout.private_dir(into) / f"{_WORK_PREFIX}{uuid.uuid4().hex[:8]}"
    try:
        repair(into)
        if into.exists() and (not into.is_dir() or any(into.iterdir())):
            raise DatasetExistsError(
                f"{into} exists and is not empty; move it away or convert into another repo id"
            )
        snap = work / "source"
        snapshot_committed(root, snap)  # hard links: the videos and every other file
        info = read_info(snap)
        keys, linear = _plan(snap, info, source, target)
        staged = work / "dataset" / into.name
        shutil.copytree(snap, staged, copy_function=os.link)
        # Replace (never write through) the linked files that change.
        for rel in [
            *(p.relative_to(staged) for p in (staged / "data").rglob("*.parquet")),
            *(p.relative_to(staged) for p in layout.episodes_files(staged)),
            Path(layout.STATS_PATH),
            Path(layout.INFO_PATH),
        ]:
            (staged / rel).unlink(missing_ok=True)
        _stage_converted(snap, staged, info, keys, linear, robot_type)
        into.parent.mkdir(parents=True, exist_ok=True)
        if into.exists():
            into.rmdir()
        os.rename(staged, into)
        fsync_dir(into.parent)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        locks.release_writer_lock(lock_fd)
    log.info("converted %s into %s with identity %s", root, into, target.name)
    return _result(into, info, source, target, robot_type, True)

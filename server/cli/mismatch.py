"""A resume refused because the dataset was recorded otherwise, in the CLI's words: each
setting that differs, with the flag (and value) that matches the dataset."""

from __future__ import annotations

from collections.abc import Sequence

from leisaac_core.dataset import FeatureDifference, FeatureMismatchError
from leisaac_core.dataset.identity import IDENTITIES


def mismatch_of(exc: BaseException) -> FeatureMismatchError | None:
    """The FeatureMismatchError behind `exc` (itself, or its cause), else None."""
    while exc is not None:
        if isinstance(exc, FeatureMismatchError):
            return exc
        exc = exc.__cause__  # type: ignore[assignment]
    return None


def describe_for_cli(exc: FeatureMismatchError) -> str:
    """What differs and which flags to pass; the flags are those of `record`."""
    lines: list[str] = []
    flags: list[str] = []
    for setting in exc.settings():
        diffs = [d for d in exc.differences if d.setting == setting]
        line, flag = _line(setting, diffs)
        lines.append(f"{line}: pass {flag}" if flag else line)
        if flag:
            flags.append(flag)
    where = f"{exc.repo_id!r} at {exc.root}" if exc.repo_id else "the dataset"
    text = f"cannot resume {where}: it was recorded with other settings:\n  - " + "\n  - ".join(
        lines
    )
    if len(flags) == len(lines):
        return text + f"\nTo append to it, pass {' '.join(flags)}; or record into a new --repo-id."
    return text + "\nRecord into a new dataset (another --repo-id): no flag matches it."


def _size(value: Sequence[int]) -> str:
    width, height = value
    return f"{width}x{height}"


def _one(values: list[object]) -> object:
    distinct = list(dict.fromkeys(tuple(v) if isinstance(v, list) else v for v in values))
    return distinct[0] if len(distinct) == 1 else None


def _line(setting: str, diffs: list[FeatureDifference]) -> tuple[str, str | None]:
    """One line for one setting, and the flag that matches the dataset (None: no flag does)."""
    dataset = _one([d.dataset for d in diffs])
    requested = _one([d.requested for d in diffs])
    if setting == "fps":
        return f"fps: the dataset has {dataset}, this session {requested}", f"--fps {dataset}"
    if setting == "codec":
        line = f"video codec: the dataset has {dataset}, this session {requested}"
        if dataset in ("h264", "av1"):
            return line, f"--codec {dataset}"
        return line + " (no --codec choice writes it)", None
    if setting == "camera_size":
        if dataset is None:
            sizes = ", ".join(f"{d.key.split('.')[-2]} {_size(d.dataset)}" for d in diffs)
            return (
                f"camera size: the dataset's cameras differ in size ({sizes}); --camera-size "
                "sets one size for all",
                None,
            )
        line = f"camera size: the dataset has {_size(dataset)}, this session {_size(requested)}"
        return line, f"--camera-size {_size(dataset)}"
    if setting == "reward_features":
        if all(d.dataset is not None for d in diffs):
            return "reward features (next.reward, ...): the dataset has them", "--reward-features"
        if all(d.requested is not None for d in diffs):
            return (
                "reward features (next.reward, ...): the dataset has none",
                "--no-reward-features",
            )
        return "reward features: the dataset has other ones than this session", None
    if setting == "cameras":
        only_dataset = [d.dataset for d in diffs if d.dataset is not None]
        only_session = [d.requested for d in diffs if d.requested is not None]
        parts = []
        if only_dataset:
            parts.append(f"the dataset has {', '.join(only_dataset)}")
        if only_session:
            parts.append(f"this task records {', '.join(only_session)}, the dataset does not")
        return "cameras: " + "; ".join(parts) + " (--task decides the cameras)", None
    if setting == "identity":
        line = f"robot identity: the dataset has {dataset}, this session writes {requested}"
        if dataset in IDENTITIES:
            return line, f"--identity {dataset}"
        return line + " (robot_type of neither identity: --identity cannot write it)", None
    if setting == "robot_type":
        return (
            f"robot type: the dataset has {dataset!r}, this session writes {requested!r}",
            None,
        )
    if setting == "pix_fmt":
        return (
            f"pixel format: the dataset has {dataset}, this session {requested} (no flag sets it)",
            None,
        )
    details = "; ".join(d.text for d in diffs)
    return f"the robot's features differ ({details}); --task decides them", None

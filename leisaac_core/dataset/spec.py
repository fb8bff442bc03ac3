"""What a dataset is: its identity, its features and how its video is encoded.

`DatasetSpec` is the caller's description; `build_features` turns it into the `features`
block of LeRobot v3's meta/info.json so that a resume can compare the two exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leisaac_core.sim.base import CameraSpec

CODEBASE_VERSION = "v3.0"
IMAGE_KEY_PREFIX = "observation.images."
STATE_KEY = "observation.state"
ACTION_KEY = "action"
# Per-frame bookkeeping columns every LeRobot v3 data file carries.
INDEX_FEATURES: dict[str, str] = {
    "timestamp": "float32",
    "frame_index": "int64",
    "episode_index": "int64",
    "index": "int64",
    "task_index": "int64",
}

# Optional per-frame features a session may opt into, with lerobot's names and dtypes
# (`lerobot-eval --eval.recording`: next.*; `lerobot-rollout` DAgger: intervention).
# Each is a scalar per frame: shape (1,), names None.
OPTIONAL_FRAME_FEATURES: dict[str, str] = {
    "next.reward": "float32",
    "next.done": "bool",
    "next.success": "bool",
    "intervention": "bool",
}

_REPO_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class DatasetExistsError(FileExistsError):
    """Opening an existing dataset without asking to resume (or creating one where one is).
    `repo_id` and `path`, where known, let a surface say it in its own words (its resume
    flag or control)."""

    def __init__(self, message: str, repo_id: str | None = None, path: Path | None = None):
        super().__init__(message)
        self.repo_id = repo_id
        self.path = path


@dataclass(frozen=True)
class FeatureDifference:
    """One way a stored dataset differs from what a session asked for, as facts a surface
    (the CLI, the REST API, the page) phrases in its own words: its flag or control for
    `setting`, with the value that matches the dataset.

    `setting`: what decides it. "fps", "identity" (the robot identity, key robot_type:
    leisaac_core.dataset.identity; values are identity names where the robot_type is one of
    ours), "robot_type" (any other), "codec" (VideoSettings.codec),
    "pix_fmt", "camera_size" (a camera's width x height), "cameras" (which cameras: the
    task's), "reward_features" (OPTIONAL_FRAME_FEATURES), "features" (the state/action
    layout and anything else: the task's robot).
    `key`: where it lives in meta/info.json ("fps", "observation.images.front.shape").
    `dataset`, `requested`: the values in the setting's terms (codec: a CODECS name where
    we write it; camera_size: (width, height); cameras: the camera name); None on the side
    that lacks the feature. `text`: a neutral line, as in the error's message.
    """

    setting: str
    key: str
    dataset: Any
    requested: Any
    text: str

    def __str__(self) -> str:
        return self.text


class FeatureMismatchError(ValueError):
    """Resuming a dataset whose stored features differ from the requested ones.

    `differences` (FeatureDifference) say which settings differ and what the dataset has,
    so each surface can name its own flag or control; the message is surface-neutral."""

    def __init__(
        self,
        message: str,
        differences: tuple[FeatureDifference, ...] | list[FeatureDifference] = (),
        repo_id: str = "",
        root: Path | None = None,
    ) -> None:
        super().__init__(message)
        self.differences = tuple(differences)
        self.repo_id = repo_id
        self.root = root

    @classmethod
    def resume(
        cls, repo_id: str, root: Path, differences: list[FeatureDifference]
    ) -> FeatureMismatchError:
        lines = "\n  - ".join(d.text for d in differences)
        return cls(
            f"cannot resume {repo_id!r} at {root}: its features differ from this session's:"
            f"\n  - {lines}\nRecord into a new dataset, or change the session to match.",
            differences,
            repo_id,
            root,
        )

    def settings(self) -> list[str]:
        """The settings that differ, each once, in the order of `differences`."""
        return list(dict.fromkeys(d.setting for d in self.differences))


def setting_difference(setting: str, dataset: Any, requested: Any) -> FeatureDifference:
    """A difference of a dataset-level value (fps, robot_type) stored under its own name."""
    return FeatureDifference(
        setting,
        setting,
        dataset,
        requested,
        f"{setting}: dataset has {dataset!r}, requested {requested!r}",
    )


class DatasetBusyError(RuntimeError):
    """Another writer (this or another process) holds the dataset."""


def validate_repo_id(repo_id: str) -> str:
    """Return `repo_id` if it is a Hugging Face style "namespace/name", else raise ValueError.

    Both parts: letters, digits, '.', '_', '-', starting with a letter or digit, at most 96
    characters, no '..' (so the id can never escape the dataset root as a path).
    """
    if not isinstance(repo_id, str) or not repo_id:
        raise ValueError("dataset repo id is empty: use the form 'namespace/name', e.g. 'me/pick'")
    if any(c.isspace() for c in repo_id):
        suggestion = "_".join(repo_id.split())
        raise ValueError(
            f"dataset repo id {repo_id!r} has spaces; use '_' or '-' instead, e.g. {suggestion!r}"
        )
    parts = repo_id.split("/")
    if len(parts) != 2:
        raise ValueError(
            f"dataset repo id {repo_id!r} must have exactly one '/': 'namespace/name', "
            "e.g. 'me/pick_orange'"
        )
    for part, which, where in zip(parts, ("namespace", "name"), ("before", "after"), strict=True):
        if not part:
            raise ValueError(
                f"dataset repo id {repo_id!r} has no {which} {where} the '/': use "
                "'namespace/name', e.g. 'me/pick_orange' (a repo id, not a path)"
            )
        if not _REPO_PART.match(part) or ".." in part or len(part) > 96 or part.endswith("."):
            raise ValueError(
                f"dataset repo id {repo_id!r}: {part!r} is not allowed; each part uses only "
                "letters, digits, '.', '_' or '-', starts with a letter or digit, has no '..' "
                "and at most 96 characters"
            )
    return repo_id


def dataset_dir(dataset_root: Path | str, repo_id: str) -> Path:
    """The directory of a dataset: <dataset_root>/<namespace>/<name>."""
    namespace, name = validate_repo_id(repo_id).split("/")
    return Path(dataset_root) / namespace / name


def failures_repo_id(repo_id: str) -> str:
    """Repo id of the side dataset that keeps labelled failures next to the main one."""
    return validate_repo_id(f"{validate_repo_id(repo_id)}_failures")


@dataclass(frozen=True)
class VideoSettings:
    """How camera streams are encoded.

    h264 (libx264, yuv420p) plays in every browser and player; AV1 (libsvtav1) is smaller but
    some players cannot open it. `preset` None picks a per-codec default measured to keep up
    at 30 fps for two 480x640 cameras on a 2-core laptop next to the simulation.
    `queue_frames` bounds memory: frames an encoder has not taken yet, per camera; beyond it
    new frames are dropped and counted (the control loop never waits).
    """

    codec: str = "h264"
    crf: int = 23
    preset: str | None = None
    gop: int = 30
    pix_fmt: str = "yuv420p"
    threads: int = 1
    queue_frames: int = 30

    def __post_init__(self) -> None:
        if self.codec not in CODECS:
            raise ValueError(f"video codec {self.codec!r} unknown: use one of {sorted(CODECS)}")
        if not 0 <= self.crf <= 63:
            raise ValueError(f"video crf {self.crf} out of range 0..63")
        if self.gop < 1:
            raise ValueError(f"video gop {self.gop} must be >= 1")
        if self.queue_frames < 1:
            raise ValueError(f"video queue_frames {self.queue_frames} must be >= 1")
        if self.threads < 0:
            raise ValueError(f"video threads {self.threads} must be >= 0 (0 = codec decides)")

    @property
    def encoder_name(self) -> str:
        return CODECS[self.codec][0]

    @property
    def effective_preset(self) -> str:
        return self.preset if self.preset is not None else CODECS[self.codec][1]

    @property
    def info_codec(self) -> str:
        """The codec name lerobot stores in info.json (`video.codec`)."""
        return CODECS[self.codec][2]


# codec -> (PyAV encoder, default preset, name in info.json)
CODECS: dict[str, tuple[str, str, str]] = {
    "h264": ("libx264", "superfast", "h264"),
    "av1": ("libsvtav1", "12", "av1"),
}


@dataclass(frozen=True)
class DatasetSpec:
    """The caller's description of a dataset; features follow LeIsaac's SO-101 layout."""

    repo_id: str
    fps: int
    robot_type: str
    state_names: tuple[str, ...]
    action_names: tuple[str, ...]
    cameras: tuple[CameraSpec, ...] = field(default_factory=tuple)
    # Names from OPTIONAL_FRAME_FEATURES recorded with every frame, in that table's order.
    frame_features: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        validate_repo_id(self.repo_id)
        unknown = [k for k in self.frame_features if k not in OPTIONAL_FRAME_FEATURES]
        if unknown:
            raise ValueError(
                f"unknown frame features {unknown}; choose from {list(OPTIONAL_FRAME_FEATURES)}"
            )
        if not isinstance(self.fps, int) or not 1 <= self.fps <= 1000:
            raise ValueError(f"fps {self.fps!r} must be an integer between 1 and 1000")
        if not self.state_names or not self.action_names:
            raise ValueError("state_names and action_names must name at least one dimension")
        names = [c.name for c in self.cameras]
        if len(set(names)) != len(names):
            raise ValueError(f"camera names must be unique, got {names}")
        for cam in self.cameras:
            if not re.match(r"^[A-Za-z0-9_]+$", cam.name):
                raise ValueError(f"camera name {cam.name!r}: use letters, digits and '_' only")
            if cam.height < 2 or cam.width < 2 or cam.height % 2 or cam.width % 2:
                raise ValueError(
                    f"camera {cam.name!r} is {cam.width}x{cam.height}: yuv420p video needs "
                    "even width and height"
                )

    @property
    def video_keys(self) -> tuple[str, ...]:
        return tuple(video_key(c.name) for c in self.cameras)


def video_key(camera_name: str) -> str:
    return f"{IMAGE_KEY_PREFIX}{camera_name}"


def build_features(spec: DatasetSpec, video: VideoSettings) -> dict[str, dict[str, Any]]:
    """The `features` block of meta/info.json, in lerobot's key order."""
    features: dict[str, dict[str, Any]] = {
        STATE_KEY: {
            "dtype": "float32",
            "shape": [len(spec.state_names)],
            "names": list(spec.state_names),
        },
        ACTION_KEY: {
            "dtype": "float32",
            "shape": [len(spec.action_names)],
            "names": list(spec.action_names),
        },
    }
    for key, dtype in OPTIONAL_FRAME_FEATURES.items():
        if key in spec.frame_features:
            features[key] = {"dtype": dtype, "shape": [1], "names": None}
    for cam in spec.cameras:
        features[video_key(cam.name)] = {
            "dtype": "video",
            "shape": [cam.height, cam.width, 3],
            "names": ["height", "width", "channels"],
            "info": {
                "video.height": cam.height,
                "video.width": cam.width,
                "video.codec": video.info_codec,
                "video.pix_fmt": video.pix_fmt,
                "video.is_depth_map": False,
                "video.fps": spec.fps,
                "video.channels": 3,
                "has_audio": False,
            },
        }
    for key, dtype in INDEX_FEATURES.items():
        features[key] = {"dtype": dtype, "shape": [1], "names": None}
    return features


def describe_feature_differences(
    stored: dict[str, dict[str, Any]], wanted: dict[str, dict[str, Any]]
) -> list[str]:
    """Human-readable differences between two features blocks (empty when compatible)."""
    return [d.text for d in feature_differences(stored, wanted)]


# info.json's codec name -> ours (VideoSettings.codec)
_CODEC_BY_INFO_NAME = {info: codec for codec, (_, _, info) in CODECS.items()}


def feature_differences(
    stored: dict[str, dict[str, Any]], wanted: dict[str, dict[str, Any]]
) -> list[FeatureDifference]:
    """The differences between two features blocks (empty when compatible).

    Compared: the set of features, dtype, shape, names, and for videos the codec and pix_fmt.
    """

    def presence(key: str, ours: dict[str, Any]) -> tuple[str, str]:
        if ours.get("dtype") == "video" and key.startswith(IMAGE_KEY_PREFIX):
            return "cameras", key[len(IMAGE_KEY_PREFIX) :]
        if key in OPTIONAL_FRAME_FEATURES:
            return "reward_features", key
        return "features", key

    diffs: list[FeatureDifference] = []
    for key in sorted(set(stored) - set(wanted)):
        setting, name = presence(key, stored[key])
        diffs.append(
            FeatureDifference(setting, key, name, None, f"{key}: in the dataset but not requested")
        )
    for key in sorted(set(wanted) - set(stored)):
        setting, name = presence(key, wanted[key])
        diffs.append(
            FeatureDifference(setting, key, None, name, f"{key}: requested but not in the dataset")
        )
    for key in [k for k in wanted if k in stored]:
        s, w = stored[key], wanted[key]
        video = w.get("dtype") == "video" and s.get("dtype") == "video"
        for attr in ("dtype", "shape", "names"):
            sv, wv = s.get(attr), w.get(attr)
            if attr == "shape":
                sv, wv = list(sv or []), list(wv or [])
            if sv != wv:
                text = f"{key}.{attr}: dataset has {sv!r}, requested {wv!r}"
                if video and attr == "shape" and len(sv) == 3 and len(wv) == 3:
                    # [height, width, channels] -> (width, height)
                    size = (sv[1], sv[0]), (wv[1], wv[0])
                    diffs.append(FeatureDifference("camera_size", f"{key}.{attr}", *size, text))
                else:
                    diffs.append(FeatureDifference("features", f"{key}.{attr}", sv, wv, text))
        if w.get("dtype") == "video":
            for attr, setting in (("video.codec", "codec"), ("video.pix_fmt", "pix_fmt")):
                sv = (s.get("info") or {}).get(attr)
                wv = (w.get("info") or {}).get(attr)
                if sv is not None and sv != wv:
                    text = f"{key}.{attr}: dataset has {sv!r}, requested {wv!r}"
                    if setting == "codec":
                        sv, wv = _CODEC_BY_INFO_NAME.get(sv, sv), _CODEC_BY_INFO_NAME.get(wv, wv)
                    diffs.append(FeatureDifference(setting, f"{key}.{attr}", sv, wv, text))
    return diffs

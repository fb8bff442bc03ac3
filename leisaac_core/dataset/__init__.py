"""LeRobot v3 dataset writing, repair, editing and browsing (pyarrow + PyAV, no torch)."""

from leisaac_core.dataset import layout, tables
from leisaac_core.dataset.catalog import (
    DatasetSummary,
    EpisodeRecord,
    VideoSpan,
    list_datasets,
    load_episode_signals,
    load_episodes,
)
from leisaac_core.dataset.compaction import CompactionResult, compact_dataset
from leisaac_core.dataset.editing import delete_episodes
from leisaac_core.dataset.merge import MergeError, MergeResult, merge_datasets
from leisaac_core.dataset.progress import Progress, ProgressFn
from leisaac_core.dataset.recorder import EpisodeRecorder
from leisaac_core.dataset.repair import DatasetCorruptError
from leisaac_core.dataset.snapshot import snapshot_committed
from leisaac_core.dataset.spec import (
    DatasetBusyError,
    DatasetExistsError,
    DatasetSpec,
    FeatureDifference,
    FeatureMismatchError,
    VideoSettings,
    dataset_dir,
    failures_repo_id,
    validate_repo_id,
)
from leisaac_core.dataset.writer import (
    CameraStatus,
    DatasetWriter,
    DeliveredEpisode,
    EpisodeMeta,
    SavedEpisode,
    WriterStatus,
)

__all__ = [
    "CameraStatus",
    "CompactionResult",
    "DatasetBusyError",
    "DatasetCorruptError",
    "DatasetExistsError",
    "DatasetSpec",
    "DatasetSummary",
    "DatasetWriter",
    "DeliveredEpisode",
    "EpisodeMeta",
    "EpisodeRecord",
    "EpisodeRecorder",
    "FeatureDifference",
    "FeatureMismatchError",
    "MergeError",
    "MergeResult",
    "Progress",
    "ProgressFn",
    "SavedEpisode",
    "VideoSettings",
    "VideoSpan",
    "WriterStatus",
    "compact_dataset",
    "dataset_dir",
    "delete_episodes",
    "failures_repo_id",
    "layout",
    "list_datasets",
    "load_episode_signals",
    "load_episodes",
    "merge_datasets",
    "snapshot_committed",
    "tables",
    "validate_repo_id",
]

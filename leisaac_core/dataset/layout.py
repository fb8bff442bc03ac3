"""Where each file of a LeRobot v3 dataset lives, plus our private bookkeeping directory.

Layout choice: a commit gives its episode its own data parquet and its own mp4 per camera
(a fresh file slot after every existing one). lerobot allows any split, and immutable
per-episode files make an atomic commit a handful of renames and make hard-link snapshots
consistent. Compaction later joins consecutive files into lerobot-sized ones, each at the
slot of the first file it replaces, so files always sort in episode order (lerobot reads
data files in path order). A slot is chunk_index * 1000 + file_index.

Our bookkeeping (locks, commit journal, files being written) lives NEXT TO the dataset, in
`<parent>/.<name>.leisaac/`, never inside it: lerobot's push_to_hub uploads the whole dataset
folder, and its tools copy or walk it. A sibling stays on the same filesystem, so a staged
file still becomes final by an atomic rename. Older versions kept it in `<dataset>/.leisaac/`;
repair finishes and removes such a folder.
"""

from __future__ import annotations

from pathlib import Path

CHUNKS_SIZE = 1000
DATA_FILES_SIZE_IN_MB = 100
VIDEO_FILES_SIZE_IN_MB = 200

INFO_PATH = "meta/info.json"
STATS_PATH = "meta/stats.json"
TASKS_PATH = "meta/tasks.parquet"
EPISODES_DIR = "meta/episodes"
EPISODES_PATH = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
# Episode rows per meta/episodes file that commits append to. A commit rewrites only the
# last file (parquet cannot append), so this bounds its cost: a row has ~120 columns and a
# file of 500 rows took 140 ms to write where one of 10 takes 12 ms. Compaction joins the
# full ones into packed files of up to PACKED_EPISODES_PER_META_FILE rows, read by row
# groups of META_ROW_GROUP rows; lerobot reads any number of these files, in path order.
EPISODES_PER_META_FILE = 10
PACKED_EPISODES_PER_META_FILE = 50_000
META_ROW_GROUP = 500
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"

LEGACY_PRIVATE_DIR = ".leisaac"  # inside the dataset folder (before the move next to it)
TMP_NAME = "tmp"
JOURNAL_NAME = "journal.json"
WRITER_LOCK_NAME = "writer.lock"
COMMIT_LOCK_NAME = "commit.lock"


def private_dir(root: Path) -> Path:
    """Our bookkeeping folder for the dataset at `root`: a hidden sibling of it."""
    root = Path(root)
    return root.parent / f".{root.name}.leisaac"


def tmp_dir(root: Path) -> Path:
    return private_dir(root) / TMP_NAME


def journal_path(root: Path) -> Path:
    return private_dir(root) / JOURNAL_NAME


def data_path(chunk_index: int, file_index: int) -> str:
    return DATA_PATH.format(chunk_index=chunk_index, file_index=file_index)


def video_path(video_key: str, chunk_index: int, file_index: int) -> str:
    return VIDEO_PATH.format(video_key=video_key, chunk_index=chunk_index, file_index=file_index)


def episodes_path(slot: int) -> str:
    chunk_index, file_index = slot_to_chunk_file(slot)
    return EPISODES_PATH.format(chunk_index=chunk_index, file_index=file_index)


def episodes_files(root: Path) -> list[Path]:
    """The meta/episodes parquet files, in path order (= episode order)."""
    return sorted((Path(root) / EPISODES_DIR).glob("chunk-*/file-*.parquet"))


def slot_of(path: str | Path) -> int:
    """The file slot of a `.../chunk-XXX/file-YYY.ext` path."""
    p = Path(path)
    chunk = int(p.parent.name.removeprefix("chunk-"))
    return chunk_file_to_slot(chunk, int(p.name.split(".")[0].removeprefix("file-")))


def slot_to_chunk_file(slot: int) -> tuple[int, int]:
    """A linear file slot as (chunk_index, file_index); sorts like the slot."""
    return divmod(slot, CHUNKS_SIZE)


def chunk_file_to_slot(chunk_index: int, file_index: int) -> int:
    return chunk_index * CHUNKS_SIZE + file_index


def is_dataset(path: Path) -> bool:
    return (path / INFO_PATH).is_file()

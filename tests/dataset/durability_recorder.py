"""Child process for the kill -9 test: records episodes forever into a dataset.

usage: python durability_recorder.py <dataset_dir> <log_file> [compact_every]
(compact_every > 0: background compactions run between the commits, so kills land in
them too).
Every committed episode is appended to the log as "<index> <length> <tag>" AFTER its
future resolved, so the log lists only episodes the writer promised are durable.
Episode k has length 3 + (k * 7) % 11 and tag 1000 * k (state offset and image numbering).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from dataset_helpers import make_spec, record_episode  # noqa: E402

from leisaac_core.dataset import DatasetWriter, VideoSettings  # noqa: E402


def main() -> None:
    root, log_path = Path(sys.argv[1]), Path(sys.argv[2])
    compact_every = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    video = VideoSettings(queue_frames=1000)
    with DatasetWriter.open(
        root, make_spec("d/kill"), resume=True, video=video, compact_every=compact_every
    ) as w:
        k = w.num_episodes
        while True:
            length = 3 + (k * 7) % 11
            tag = 1000 * (k % 4)
            saved = record_episode(w, length, tag=tag, offset=tag).result(60)
            with open(log_path, "a") as log:
                log.write(f"{saved.episode_index} {length} {tag}\n")
                log.flush()
                os.fsync(log.fileno())
            k += 1


if __name__ == "__main__":
    main()

"""Runs INSIDE the lerobot reader venv: stream a dataset through lerobot's own
StreamingLeRobotDataset and compare every item with the map-style LeRobotDataset's item of
the same index.

usage: python lerobot_streaming_probe.py <root> <repo_id> <out.json>
Writes {"num_frames", "streamed" (indices seen, sorted), "max_image_diff" (0..255 per
camera), "state_equal" (bool)} or {"error": traceback}.
"""

import json
import sys
import traceback

import numpy as np
from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.datasets.streaming_dataset import StreamingLeRobotDataset


def main(root: str, repo_id: str, out: str) -> None:
    mapped = LeRobotDataset(repo_id, root=root)
    streamed = StreamingLeRobotDataset(repo_id, root=root, shuffle=False)
    keys = mapped.meta.video_keys
    seen: list[int] = []
    diff = dict.fromkeys(keys, 0.0)
    state_equal = True
    for item in streamed:
        index = int(item["index"])
        seen.append(index)
        ref = mapped[index]
        state_equal &= bool(np.array_equal(item["observation.state"], ref["observation.state"]))
        for k in keys:
            a = item[k].numpy() * 255.0
            b = ref[k].numpy() * 255.0
            diff[k] = max(diff[k], float(np.abs(a - b).max()))
    result = {
        "num_frames": len(mapped),
        "streamed": sorted(seen),
        "max_image_diff": diff,
        "state_equal": state_equal,
    }
    with open(out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    try:
        main(*sys.argv[1:4])
    except Exception:
        with open(sys.argv[3], "w") as f:
            json.dump({"error": traceback.format_exc()}, f)

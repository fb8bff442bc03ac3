"""Runs INSIDE the lerobot reader venv (not the product's): load a dataset with lerobot's
own LeRobotDataset and dump what it returns so the test can compare it with what we wrote.

usage: python lerobot_probe.py <root> <repo_id> <out.npz> [stride]
Writes: per camera `img/<key>` uint8 (n, H, W, 3); `state`, `action`, `episode_index`,
`frame_index`, `index`, `timestamp`, `task` (str), `items` (dataset indices read),
plus `num_episodes`, `num_frames`.
"""

import sys

import numpy as np
from lerobot.datasets.lerobot_dataset import LeRobotDataset


def main() -> None:
    root, repo_id, out = sys.argv[1], sys.argv[2], sys.argv[3]
    stride = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    ds = LeRobotDataset(repo_id, root=root)
    keys = ds.meta.video_keys
    items = list(range(0, len(ds), stride))
    if items and items[-1] != len(ds) - 1:
        items.append(len(ds) - 1)
    cols: dict[str, list] = {
        k: []
        for k in ["state", "action", "episode_index", "frame_index", "index", "timestamp", "task"]
    }
    imgs: dict[str, list] = {k: [] for k in keys}
    for i in items:
        item = ds[i]
        cols["state"].append(item["observation.state"].numpy())
        cols["action"].append(item["action"].numpy())
        for k in ("episode_index", "frame_index", "index", "timestamp"):
            cols[k].append(item[k].item())
        cols["task"].append(item["task"])
        for k in keys:
            chw = item[k].numpy()  # float32 (3, H, W) in [0, 1]
            imgs[k].append((chw.transpose(1, 2, 0) * 255.0 + 0.5).clip(0, 255).astype(np.uint8))
    arrays = {k: np.asarray(v) for k, v in cols.items()}
    arrays.update({f"img/{k}": np.asarray(v) for k, v in imgs.items()})
    arrays["items"] = np.asarray(items)
    arrays["num_episodes"] = np.asarray(ds.meta.total_episodes)
    arrays["num_frames"] = np.asarray(len(ds))
    np.savez(out, **arrays)


if __name__ == "__main__":
    main()

"""Runs INSIDE the lerobot reader venv (not the product's): load a dataset with lerobot's
own LeRobotDataset and dump what it returns so the test can compare it with what we wrote.

usage: python lerobot_probe.py <jobs.json>, jobs = [{"root", "repo_id", "out", "stride"}, ...]
(several datasets per run: importing torch + lerobot is the slow part). Writes to each out: per camera `img/<key>` uint8 (n, H, W, 3); `state`, `action`, `episode_index`,
`frame_index`, `index`, `timestamp`, `task` (str), `items` (dataset indices read),
plus `num_episodes`, `num_frames`.
"""

import json
import sys
import traceback

import numpy as np
from lerobot.datasets.lerobot_dataset import LeRobotDataset


def probe(root: str, repo_id: str, out: str, stride: int = 1) -> None:
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
    # Optional per-frame features (next.reward, next.done, next.success, intervention).
    optional = [k for k in ("next.reward", "next.done", "next.success", "intervention")]
    optional = [k for k in optional if k in ds.features]
    cols.update({f"feature/{k}": [] for k in optional})
    for i in items:
        item = ds[i]
        for k in optional:
            cols[f"feature/{k}"].append(item[k].numpy())
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


def main() -> None:
    failed = 0
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    for job in jobs:
        try:
            probe(job["root"], job["repo_id"], job["out"], int(job.get("stride", 1)))
        except Exception:
            failed += 1
            with open(job["out"] + ".error.txt", "w") as f:
                f.write(traceback.format_exc())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

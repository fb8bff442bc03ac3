"""Runs INSIDE the lerobot reader venv: write datasets with lerobot's own LeRobotDataset
writer (its defaults: PNG frames encoded at save_episode, libsvtav1 unless `vcodec` says
otherwise), with the content our tests' check_probe expects: episode (length n, tag) has
state synthetic_state(i) + tag, action synthetic_action(i) + tag, cameras front and wrist
showing synthetic_frame(tag + i, H, W, camera), task f"t{tag % 2}".

usage: python lerobot_make_dataset.py <jobs.json>, jobs = [{"root", "repo_id", "episodes":
[[n, tag], ...], "height", "width", "vcodec" (optional), "names" (6 joint names, or 12 for
two arms), "robot_type", "cameras" (optional: default front, wrist)}, ...]. Exits non-zero
(traceback on stderr) when lerobot's writer fails.
"""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
from lerobot.datasets.lerobot_dataset import LeRobotDataset

# The synthetic frames module by path: the product package itself is not installed here.
_SYNTHETIC = Path(__file__).parents[2] / "leisaac_core" / "dataset" / "synthetic.py"
_spec = importlib.util.spec_from_file_location("synthetic", _SYNTHETIC)
assert _spec is not None and _spec.loader is not None
synthetic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthetic)

CAMERAS = ("front", "wrist")


def make(job: dict) -> None:
    h, w, names = int(job["height"]), int(job["width"]), list(job["names"])
    cameras = tuple(job.get("cameras") or CAMERAS)
    dims = len(names)
    features = {
        "observation.state": {"dtype": "float32", "shape": (len(names),), "names": names},
        "action": {"dtype": "float32", "shape": (len(names),), "names": names},
    }
    for cam in cameras:
        features[f"observation.images.{cam}"] = {
            "dtype": "video",
            "shape": (h, w, 3),
            "names": ["height", "width", "channels"],
        }
    kwargs = {"vcodec": job["vcodec"]} if job.get("vcodec") else {}
    ds = LeRobotDataset.create(
        job["repo_id"],
        fps=30,
        features=features,
        root=job["root"],
        robot_type=job["robot_type"],
        use_videos=True,
        **kwargs,
    )
    for n, tag in job["episodes"]:
        for i in range(n):
            frame = {
                "observation.state": synthetic.synthetic_state(i, dims) + np.float32(tag),
                "action": synthetic.synthetic_action(i, dims) + np.float32(tag),
                "task": f"t{tag % 2}",
            }
            for k, cam in enumerate(cameras):
                frame[f"observation.images.{cam}"] = synthetic.synthetic_frame(tag + i, h, w, k)
            ds.add_frame(frame)
        ds.save_episode()
    ds.finalize()


def main() -> None:
    with open(sys.argv[1]) as f:
        for job in json.load(f):
            make(job)


if __name__ == "__main__":
    main()

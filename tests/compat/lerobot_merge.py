"""Runs INSIDE the lerobot reader venv: merge datasets with lerobot's own aggregate_datasets.

usage: python lerobot_merge.py <jobs.json>, jobs = a list of {"repo_ids", "roots",
"into_repo_id", "into_root"}, merged in order in this one process (lerobot is imported once).
Exits non-zero (traceback on stderr, naming the merge) at the first merge lerobot refuses.
"""

import json
import sys
from pathlib import Path

from lerobot.datasets.aggregate import aggregate_datasets


def main() -> None:
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    for job in jobs:
        print(f"merging {job['repo_ids']} into {job['into_repo_id']}", file=sys.stderr)
        aggregate_datasets(
            repo_ids=job["repo_ids"],
            aggr_repo_id=job["into_repo_id"],
            roots=[Path(r) for r in job["roots"]],
            aggr_root=Path(job["into_root"]),
        )


if __name__ == "__main__":
    main()

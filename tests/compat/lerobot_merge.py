"""Runs INSIDE the lerobot reader venv: merge datasets with lerobot's own aggregate_datasets.

usage: python lerobot_merge.py <job.json>, job = {"repo_ids", "roots", "into_repo_id",
"into_root"}. Exits non-zero (traceback on stderr) when lerobot's merge fails.
"""

import json
import sys
from pathlib import Path

from lerobot.datasets.aggregate import aggregate_datasets


def main() -> None:
    with open(sys.argv[1]) as f:
        job = json.load(f)
    aggregate_datasets(
        repo_ids=job["repo_ids"],
        aggr_repo_id=job["into_repo_id"],
        roots=[Path(r) for r in job["roots"]],
        aggr_root=Path(job["into_root"]),
    )


if __name__ == "__main__":
    main()

"""The dataset card (README.md) a push writes: what lerobot's own push_to_hub writes, plus the
operator's tags and licence, so the Hub lists the dataset under LeRobot / robotics."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from huggingface_hub import DatasetCardData

REQUIRED_TAGS = ("LeRobot",)


def card_tags(user_tags: Iterable[str]) -> list[str]:
    """LeRobot first, then the user's tags, without duplicates or blanks."""
    tags: list[str] = []
    for tag in (*REQUIRED_TAGS, *user_tags):
        tag = tag.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def build_dataset_card(
    *, repo_id: str, info: dict[str, Any], license: str, tags: Iterable[str] = ()
) -> str:
    """README.md text: YAML metadata the Hub indexes, then the dataset's info.json for humans."""
    metadata = DatasetCardData(
        license=license,
        task_categories=["robotics"],
        tags=card_tags(tags),
        configs=[{"config_name": "default", "data_files": "data/*/*.parquet"}],
    )
    episodes = info.get("total_episodes", "?")
    frames = info.get("total_frames", "?")
    fps = info.get("fps", "?")
    robot = info.get("robot_type") or "unknown"
    return (
        f"---\n{metadata.to_yaml()}\n---\n\n"
        f"# {repo_id}\n\n"
        "Robot demonstrations recorded in simulation with leisaac-dashboard, in the "
        "[LeRobot](https://github.com/huggingface/lerobot) v3 dataset format.\n\n"
        f"- Robot: {robot}\n- Episodes: {episodes}\n- Frames: {frames} at {fps} fps\n"
        f"- License: {license}\n\n"
        "## Dataset structure\n\n"
        "[meta/info.json](meta/info.json):\n"
        f"```json\n{json.dumps(info, indent=4)}\n```\n"
    )

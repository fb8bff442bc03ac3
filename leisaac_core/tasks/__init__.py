"""Task specs by name. A task is data (scene, cameras, randomization, success rule)."""

from __future__ import annotations

from leisaac_core.tasks.rules import (
    All,
    ArmAtRest,
    ObjectAbove,
    ObjectsNear,
    Rule,
    SceneState,
    flatten,
)
from leisaac_core.tasks.so101_clean_toy_table import (
    BI_SO101_CLEAN_TOY_TABLE,
    SO101_CLEAN_TOY_TABLE,
)
from leisaac_core.tasks.so101_lift_cube import SO101_LIFT_CUBE
from leisaac_core.tasks.so101_pick_orange import SO101_PICK_ORANGE
from leisaac_core.tasks.spec import ArmSpec, CameraPose, ObjectSpec, Part, TableSpec, TaskSpec

TASKS: dict[str, TaskSpec] = {
    t.name: t
    for t in (
        SO101_PICK_ORANGE,
        SO101_LIFT_CUBE,
        SO101_CLEAN_TOY_TABLE,
        BI_SO101_CLEAN_TOY_TABLE,
    )
}


def get_task(name: str) -> TaskSpec:
    try:
        return TASKS[name]
    except KeyError:
        known = ", ".join(sorted(TASKS))
        raise ValueError(f"unknown task {name!r}; choose one of: {known}") from None


__all__ = [
    "All",
    "ArmAtRest",
    "ArmSpec",
    "CameraPose",
    "ObjectAbove",
    "ObjectSpec",
    "ObjectsNear",
    "Part",
    "Rule",
    "SceneState",
    "TASKS",
    "TableSpec",
    "TaskSpec",
    "flatten",
    "get_task",
]

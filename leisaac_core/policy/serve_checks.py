"""What `policy serve --policy` checks before it loads a checkpoint, so a server that cannot
serve says why at once instead of a session finding out episode by episode: the modules of
the lerobot environment it runs in, and whether the checkpoint's inputs are what the
dashboard sends for a task (its cameras as `observation.images.<camera>`, its joint state as
`observation.state`).

The inputs are read from the checkpoint's `config.json` (lerobot's saved `PreTrainedConfig`:
`input_features` with each key's `shape`) without importing lerobot, so every problem is
said in one go; a Hub id is checked once lerobot has loaded it. Nothing here imports torch.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from leisaac_core.so101 import JOINT_FEATURE_NAMES
from leisaac_core.tasks import TASKS, TaskSpec

STATE_KEY = "observation.state"
IMAGE_PREFIX = "observation.images."
# What the server imports, with what to install for it (the versions the lerobot
# environment of tests/compat/setup_lerobot_reader.sh holds).
SERVE_MODULES = {
    "lerobot": "lerobot==0.4.4",
    "torch": "torch==2.13.0",
    "msgpack": "msgpack",
    "websockets": "websockets",
}
SETUP_COMMAND = "bash tests/compat/setup_lerobot_reader.sh"

Inputs = Mapping[str, Sequence[int]]  # input feature -> shape


def missing_modules(modules: Sequence[str] = tuple(SERVE_MODULES)) -> list[str]:
    """The modules that do not import here (absent, or broken: the import is the check, and
    the server imports them next anyway)."""
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # ImportError, or a broken install failing its own import
            missing.append(name)
    return missing


def install_advice(missing: Sequence[str], python: str) -> str:
    """What to do about missing modules, in one paragraph."""
    packages = " ".join(f'"{SERVE_MODULES[name]}"' for name in missing)
    return (
        f"this Python ({python}) lacks {', '.join(missing)}, which `policy serve --policy` "
        f"needs. Install them here (pip install {packages}), or prepare the lerobot "
        f"environment from a checkout with `{SETUP_COMMAND}` and serve from it: "
        "PYTHONPATH=<checkout> ~/.cache/leisaac-dashboard/lerobot-reader-venv/bin/python "
        "-m server.cli policy serve --policy PATH"
    )


def checkpoint_inputs(path: str) -> dict[str, list[int]] | None:
    """The input features of a local checkpoint (its config.json); None for a Hub id or a
    folder without one (lerobot says what is wrong when it loads it)."""
    config = Path(path) / "config.json"
    try:
        features = json.loads(config.read_text())["input_features"]
        return {key: list(ft["shape"]) for key, ft in features.items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def trained_state_names(path: str) -> list[str] | None:
    """The observation.state names of the dataset a checkpoint was trained on, when its
    train_config.json names a dataset root on this machine."""
    try:
        train = json.loads((Path(path) / "train_config.json").read_text())
        info = json.loads((Path(train["dataset"]["root"]) / "meta" / "info.json").read_text())
        names = info["features"][STATE_KEY]["names"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return [str(n) for n in names] if isinstance(names, list) else None


@dataclass(frozen=True)
class InputCheck:
    """The policy's inputs against one task: what no session of it can give the policy
    (`errors`), and the renames a session needs (`renames`, by --policy-key or the body's
    `observation_keys`: the policy can serve, its sessions must rename)."""

    task: str
    errors: tuple[str, ...]
    renames: tuple[str, ...]


def check_inputs(
    inputs: Inputs, task: TaskSpec, trained_names: Sequence[str] | None = None
) -> InputCheck:
    errors, renames = [], []
    cameras = list(task.camera_names)
    state_names = list(JOINT_FEATURE_NAMES)
    for key, shape in inputs.items():
        if key == STATE_KEY:
            if list(shape) != [len(state_names)]:
                errors.append(
                    f"the policy's {STATE_KEY} has shape {list(shape)}; {task.name} sends "
                    f"{len(state_names)} joint values ({', '.join(state_names)}): serve a "
                    "policy trained on this robot"
                )
            elif trained_names is not None and list(trained_names) != state_names:
                errors.append(
                    f"the policy was trained on {STATE_KEY} names {list(trained_names)}; "
                    f"{task.name} sends {state_names} in this order: train on a dataset "
                    "recorded with these joint names"
                )
        elif not key.startswith(IMAGE_PREFIX):
            errors.append(
                f"the policy needs {key!r}, which the dashboard does not send (it sends "
                f"{STATE_KEY}, {IMAGE_PREFIX}<camera>, task)"
            )
    wanted = [k.removeprefix(IMAGE_PREFIX) for k in inputs if k.startswith(IMAGE_PREFIX)]
    unknown = [name for name in wanted if name not in cameras]
    spare = [name for name in cameras if name not in wanted]
    for name, ours in zip(unknown, spare, strict=False):
        renames.append(
            f"the policy reads camera {name!r}, {task.name} has {cameras}: its sessions "
            f"rename one, e.g. --policy-key {IMAGE_PREFIX}{ours}={IMAGE_PREFIX}{name} "
            f'(record/eval) or "observation_keys": {{"{IMAGE_PREFIX}{ours}": '
            f'"{IMAGE_PREFIX}{name}"}} in the session\'s policy'
        )
    for name in unknown[len(spare) :]:
        errors.append(
            f"the policy reads camera {name!r}, and {task.name} has no camera left to give it "
            f"(it has {cameras})"
        )
    return InputCheck(task.name, tuple(errors), tuple(renames))


def check_tasks(
    inputs: Inputs, task: str | None, trained_names: Sequence[str] | None = None
) -> list[InputCheck]:
    """The checks against `task`, or against every task when None, best fit first."""
    tasks = [TASKS[task]] if task is not None else list(TASKS.values())
    checks = [check_inputs(inputs, spec, trained_names) for spec in tasks]
    return sorted(checks, key=lambda c: (len(c.errors), len(c.renames)))

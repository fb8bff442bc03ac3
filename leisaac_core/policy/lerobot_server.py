"""Serve a lerobot `PreTrainedPolicy` over the OpenPI protocol.

Runs in the user's lerobot environment (lerobot + torch), never in the dashboard's: the
dashboard talks to it over the websocket only. The policy and its saved pre/post-processor
pipelines (normalization) are loaded with lerobot's own code; a reply is one predicted
chunk (`predict_action_chunk`), unnormalized, cut to `chunk_size` actions.

Run it as `leisaac-dashboard policy serve --policy PATH_OR_HUB_ID` (with this package
installed in the lerobot env: `pip install leisaac-dashboard`), or from a checkout as
`python -m leisaac_core.policy.lerobot_server --policy PATH_OR_HUB_ID`.
"""

from __future__ import annotations

import argparse
import json
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from lerobot.configs.policies import PreTrainedConfig
from lerobot.policies.factory import get_policy_class, make_pre_post_processors

STATE_KEY = "observation.state"
IMAGE_PREFIX = "observation.images."
ACTION_KEY = "action"

log = logging.getLogger(__name__)


class LerobotPolicyFactory:
    """Loads the model once; every connection gets a light `LerobotPolicy` sharing it."""

    def __init__(self, path: str, device: str = "cpu", chunk_size: int = 10) -> None:
        config = PreTrainedConfig.from_pretrained(path)
        config.device = device
        policy = get_policy_class(config.type).from_pretrained(path, config=config)
        policy.to(device)
        policy.eval()
        overrides = {"device_processor": {"device": device}}
        self.preprocess, self.postprocess = make_pre_post_processors(
            config, pretrained_path=path, preprocessor_overrides=overrides
        )
        self.policy = policy
        self.config = config
        self.path = path
        self.chunk_size = chunk_size
        self.lock = threading.Lock()  # one inference at a time on the shared model
        action = config.output_features["action"]
        images = [k for k in config.input_features if k.startswith(IMAGE_PREFIX)]
        self.metadata: dict[str, Any] = {
            "name": f"lerobot:{config.type}:{path}",
            "action_dim": int(action.shape[0]),
            "chunk_size": chunk_size,
            "send_images": bool(images),
            "privileged": False,
        }
        if images:
            _, height, width = config.input_features[images[0]].shape
            self.metadata["image_size"] = [int(height), int(width)]
        robot_type = trained_robot_type(path)
        if robot_type is not None:  # the client refuses a session of the other units
            self.metadata["robot_type"] = robot_type
        n_obs_steps = int(getattr(config, "n_obs_steps", 1) or 1)
        if n_obs_steps > 1 and chunk_size > 1:
            log.warning(
                "%s was trained on %d consecutive observations; this server sees one per "
                "request, %d ticks apart: serve it with --chunk-size 1 (in lockstep) for "
                "lerobot's own per-tick history, or train with --policy.n_obs_steps=1",
                path, n_obs_steps, chunk_size,
            )  # fmt: skip

    def predict_chunk(self, batch: dict[str, Any]) -> torch.Tensor:
        """One chunk (batch, steps, action) from a preprocessed observation."""
        policy = self.policy
        queues = getattr(policy, "_queues", None)
        if not isinstance(queues, dict) or ACTION_KEY not in queues:
            return policy.predict_action_chunk(batch)
        # Policies that keep their observation history in queues (diffusion, VQ-BeT) read it
        # in predict_action_chunk but fill it only in select_action: let select_action fill
        # it and predict from this observation, then hand out the whole predicted chunk.
        queues[ACTION_KEY].clear()
        first = policy.select_action(batch)
        chunk = torch.stack([first, *queues[ACTION_KEY]], dim=1)
        queues[ACTION_KEY].clear()
        return chunk

    def __call__(self) -> LerobotPolicy:
        return LerobotPolicy(self)


class LerobotPolicy:
    def __init__(self, shared: LerobotPolicyFactory) -> None:
        self._shared = shared

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self._shared.metadata

    def infer(self, observation: Mapping[str, Any]) -> Mapping[str, Any]:
        shared = self._shared
        batch: dict[str, Any] = {}
        for key in shared.config.input_features:
            if key not in observation:
                raise ValueError(
                    f"the policy needs {key!r}; the observation has {sorted(observation)}"
                )
            value = np.asarray(observation[key])
            if key.startswith(IMAGE_PREFIX):  # uint8 HWC -> float CHW in [0, 1]
                tensor = torch.from_numpy(value.copy()).permute(2, 0, 1).float() / 255.0
            else:
                tensor = torch.from_numpy(value.astype(np.float32))
            batch[key] = tensor
        if "task" in observation:
            batch["task"] = str(observation["task"])
        with shared.lock, torch.inference_mode():
            if observation.get("episode_start"):
                shared.policy.reset()
            chunk = shared.predict_chunk(shared.preprocess(batch))
            actions = shared.postprocess(chunk)
        actions = actions.detach().to("cpu").float().numpy()
        return {"actions": actions.reshape(-1, actions.shape[-1])[: shared.chunk_size]}


def trained_robot_type(path: str) -> str | None:
    """The robot_type of the dataset a checkpoint was trained on, when its train_config.json
    names a dataset root on this machine (lerobot keeps no robot_type with a policy)."""
    try:
        train_config = json.loads((Path(path) / "train_config.json").read_text())
        root = train_config["dataset"]["root"]
        info = json.loads((Path(root) / "meta" / "info.json").read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    robot_type = info.get("robot_type")
    return robot_type if isinstance(robot_type, str) else None


def main(argv: list[str] | None = None) -> int:
    from leisaac_core.policy.server import PolicyServer

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policy", required=True, help="local path or Hub id")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--chunk-size", type=int, default=10)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    factory = LerobotPolicyFactory(args.policy, device=args.device, chunk_size=args.chunk_size)
    server = PolicyServer(factory, host=args.host, port=args.port)
    print(f"serving {factory.metadata['name']} on {server.url}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

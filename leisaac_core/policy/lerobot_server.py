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
import logging
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from lerobot.configs.policies import PreTrainedConfig
from lerobot.policies.factory import get_policy_class, make_pre_post_processors

STATE_KEY = "observation.state"
IMAGE_PREFIX = "observation.images."


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
            chunk = shared.policy.predict_action_chunk(shared.preprocess(batch))
            actions = shared.postprocess(chunk)
        actions = actions.detach().to("cpu").float().numpy()
        return {"actions": actions.reshape(-1, actions.shape[-1])[: shared.chunk_size]}


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

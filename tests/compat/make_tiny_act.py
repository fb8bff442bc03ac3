"""Runs INSIDE the lerobot reader venv: save a small randomly initialised ACT (no download,
no pretrained backbone) with its pre/post-processors, as `lerobot-train` would save one.

usage: python make_tiny_act.py <out_dir> <image_height> <image_width>
"""

import sys

import torch
from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.policies.act.configuration_act import ACTConfig
from lerobot.policies.act.modeling_act import ACTPolicy
from lerobot.policies.factory import make_pre_post_processors


def main() -> None:
    out, height, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.manual_seed(0)
    config = ACTConfig(
        input_features={
            "observation.state": PolicyFeature(type=FeatureType.STATE, shape=(6,)),
            "observation.images.front": PolicyFeature(
                type=FeatureType.VISUAL, shape=(3, height, width)
            ),
        },
        output_features={"action": PolicyFeature(type=FeatureType.ACTION, shape=(6,))},
        chunk_size=10,
        n_action_steps=10,
        dim_model=32,
        n_heads=2,
        dim_feedforward=64,
        n_encoder_layers=1,
        n_decoder_layers=1,
        use_vae=False,
        pretrained_backbone_weights=None,
        device="cpu",
    )
    policy = ACTPolicy(config)
    # Stats as a training run would store them (normalized SO-101 units, images in [0, 1]).
    stats = {
        "observation.state": {"mean": torch.zeros(6), "std": torch.full((6,), 50.0)},
        "action": {"mean": torch.zeros(6), "std": torch.full((6,), 50.0)},
        "observation.images.front": {
            "mean": torch.full((3, 1, 1), 0.5),
            "std": torch.full((3, 1, 1), 0.25),
        },
    }
    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=stats)
    policy.save_pretrained(out)
    preprocessor.save_pretrained(out)
    postprocessor.save_pretrained(out)


if __name__ == "__main__":
    main()

"""Runs INSIDE the lerobot reader venv: save a small randomly initialised ACT or diffusion
policy (no download, no pretrained backbone) with its pre/post-processors, as `lerobot-train`
would save one.

usage: python make_tiny_policy.py <out_dir> <image_height> <image_width> [act|diffusion]
"""

import sys

import torch
from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.policies.act.configuration_act import ACTConfig
from lerobot.policies.act.modeling_act import ACTPolicy
from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig
from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy
from lerobot.policies.factory import make_pre_post_processors


def main() -> None:
    out, height, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    kind = sys.argv[4] if len(sys.argv) > 4 else "act"
    torch.manual_seed(0)
    features = {
        "input_features": {
            "observation.state": PolicyFeature(type=FeatureType.STATE, shape=(6,)),
            "observation.images.front": PolicyFeature(
                type=FeatureType.VISUAL, shape=(3, height, width)
            ),
        },
        "output_features": {"action": PolicyFeature(type=FeatureType.ACTION, shape=(6,))},
    }
    if kind == "act":
        config = ACTConfig(
            **features,
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
    else:
        # lerobot's defaults where they shape the wire (2 observation steps, a horizon of 16,
        # 8 actions a chunk); a small U-Net and few DDIM steps so it answers fast on a CPU.
        config = DiffusionConfig(
            **features,
            n_obs_steps=2,
            horizon=16,
            n_action_steps=8,
            crop_shape=(height - height // 8, width - width // 8),
            down_dims=(32, 64),
            diffusion_step_embed_dim=32,
            spatial_softmax_num_keypoints=8,
            noise_scheduler_type="DDIM",
            num_train_timesteps=20,
            num_inference_steps=4,
            pretrained_backbone_weights=None,
            use_group_norm=True,
            device="cpu",
        )
        policy = DiffusionPolicy(config)
    # Stats as a training run would store them (normalized SO-101 units, images in [0, 1]).
    stats = {
        key: {
            "mean": torch.zeros(6),
            "std": torch.full((6,), 50.0),
            "min": torch.full((6,), -100.0),
            "max": torch.full((6,), 100.0),
        }
        for key in ("observation.state", "action")
    } | {
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

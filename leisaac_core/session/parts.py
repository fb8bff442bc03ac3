"""Opening what a session runs on: the env, the teleop device and the dataset writers.

Called on the worker thread (renderers and Isaac's app are thread-affine). Anything opened
is closed again if a later part fails, so a refused start leaves no port open and no
dataset locked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import leisaac_core.policy  # noqa: F401  (registers the policy device that make_device builds)
from leisaac_core.dataset import (
    DatasetSpec,
    DatasetWriter,
    VideoSettings,
    dataset_dir,
    failures_repo_id,
)
from leisaac_core.dataset.identity import get_identity
from leisaac_core.dataset.spec import OPTIONAL_FRAME_FEATURES
from leisaac_core.session.config import SessionConfig
from leisaac_core.sim import Env, make_env_config, make_env_from_config
from leisaac_core.teleop import Device, make_device_config, make_device_from_config


@dataclass(frozen=True)
class SessionParts:
    env: Env
    device: Device
    writer: DatasetWriter
    failures: DatasetWriter | None  # labelled failures, in "<name>_failures" next to the main one


def make_device(config: SessionConfig) -> Device:
    options: dict[str, Any] = {}
    if config.device == "so101_leader":
        if config.device_port:
            options["port"] = config.device_port
        if config.device_calibration:
            options["calibration_path"] = config.device_calibration
    if config.device == "policy":
        if not config.policy_url:
            raise ValueError("device policy needs policy_url, e.g. ws://127.0.0.1:8765")
        options.update(
            url=config.policy_url,
            prefetch_ticks=config.policy.prefetch_ticks,
            request_timeout_s=config.policy.request_timeout_s,
            observation_keys=dict(config.policy.observation_keys),
            takeover=None if config.policy.takeover == "none" else config.policy.takeover,
            takeover_port=config.device_port,
            takeover_calibration=config.device_calibration,
            # A loop not paced at the fps runs in virtual time: wait for each chunk there.
            lockstep=config.realtime is False,
            identity=config.robot_identity,
        )
    return make_device_from_config(make_device_config(config.device, **options))


def open_session_parts(config: SessionConfig, dataset_root: Path) -> SessionParts:
    env = make_env_from_config(
        make_env_config(
            config.backend,
            task=config.task,
            fps=config.fps,
            camera_width=config.camera_width,
            camera_height=config.camera_height,
        ),
        env_process=config.env_process,
    )
    device = writer = failures = None
    try:
        device = make_device(config)
        device.connect(env)
        root = Path(config.root or dataset_dir(dataset_root, config.repo_id))
        spec = DatasetSpec(
            repo_id=config.repo_id,
            fps=config.fps,
            robot_type=get_identity(config.robot_identity).robot_type_for(env.robot_type),
            state_names=env.joint_names,
            action_names=env.joint_names,
            cameras=env.cameras,
            frame_features=tuple(OPTIONAL_FRAME_FEATURES) if config.records_rewards else (),
        )
        video = VideoSettings(codec=config.video_codec)
        writer = DatasetWriter.open(root, spec, resume=config.resume, video=video)
        if config.keep_failures or config.mode == "evaluate":
            failures_spec = replace(spec, repo_id=failures_repo_id(config.repo_id))
            failures_root = root.parent / failures_spec.repo_id.split("/")[1]
            failures = DatasetWriter.open(failures_root, failures_spec, resume=True, video=video)
    except BaseException:
        for part in (failures, writer):
            if part is not None:
                part.close()
        if device is not None:
            device.disconnect()
        env.close()
        raise
    return SessionParts(env, device, writer, failures)

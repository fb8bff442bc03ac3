"""Opening what a session runs on: the env, the teleop device and the dataset writers.

Called on the worker thread (renderers and Isaac's app are thread-affine). Anything opened
is closed again if a later part fails, so a refused start leaves no port open and no
dataset locked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from leisaac_core.dataset import (
    DatasetSpec,
    DatasetWriter,
    DeliveredEpisode,
    VideoSettings,
    dataset_dir,
    failures_repo_id,
)
from leisaac_core.dataset.identity import get_identity
from leisaac_core.dataset.spec import OPTIONAL_FRAME_FEATURES
from leisaac_core.policy import PolicyDeviceConfig  # also registers the policy device
from leisaac_core.policy.config import PolicyClientConfig
from leisaac_core.policy.launcher import PolicyServerProcess
from leisaac_core.session.config import SessionConfig
from leisaac_core.sim import Env, make_env_from_config
from leisaac_core.teleop import Device, make_device_from_config, make_device_from_configs


@dataclass(frozen=True)
class SessionParts:
    env: Env
    device: Device
    writer: DatasetWriter
    failures: DatasetWriter | None  # labelled failures, in "<name>_failures" next to the main one
    policy_server: PolicyServerProcess | None = None  # a checkpoint policy's, stopped on close


def make_device(config: SessionConfig, policy_url: str | None = None) -> Device:
    """The device that drives the arm(s): the policy (with its takeover device), or what the
    session lists (one device, or a leader arm per arm). `policy_url`: where the session's
    own policy server (a checkpoint's) listens."""
    if config.policy is None:
        return make_device_from_configs(config.devices)
    url = policy_url or getattr(config.policy, "url", None)
    if url is None:
        raise ValueError("a policy needs its server's url, e.g. ws://127.0.0.1:8765")
    client = config.policy.model_dump(include=set(PolicyClientConfig.model_fields))
    return make_device_from_config(
        PolicyDeviceConfig(
            **client,
            url=url,
            takeover=config.devices[0] if config.devices else None,
            # A loop not paced at the fps runs in virtual time: wait for each chunk there.
            lockstep=config.episode.realtime is False,
            identity=config.robot_identity,
        )
    )


def open_session_parts(
    config: SessionConfig,
    dataset_root: Path,
    policy_server: PolicyServerProcess | None = None,
    deliver: Callable[[DeliveredEpisode], None] | None = None,
) -> SessionParts:
    """`policy_server`: the session's own (a checkpoint's), already listening; it is stopped
    here if a part fails, and otherwise belongs to the parts. `deliver`: saved episodes go to
    it instead of into the dataset (a fed session)."""
    try:
        env = make_env_from_config(config.env)
    except BaseException:
        if policy_server is not None:
            policy_server.stop()
        raise
    device = writer = failures = None
    try:
        device = make_device(config, policy_server.url if policy_server else None)
        device.connect(env)
        dataset = config.dataset
        root = Path(dataset.root or dataset_dir(dataset_root, dataset.repo_id))
        spec = DatasetSpec(
            repo_id=dataset.repo_id,
            fps=config.env.fps,
            robot_type=get_identity(config.robot_identity).robot_type_for(env.robot_type),
            state_names=env.joint_names,
            action_names=env.joint_names,
            cameras=env.cameras,
            frame_features=tuple(OPTIONAL_FRAME_FEATURES) if config.records_rewards else (),
        )
        video = VideoSettings(codec=dataset.video_codec)
        writer = DatasetWriter.open(root, spec, resume=dataset.resume, video=video, deliver=deliver)
        if dataset.keep_failures or config.mode == "evaluate":
            failures_spec = replace(spec, repo_id=failures_repo_id(dataset.repo_id))
            failures_root = root.parent / failures_spec.repo_id.split("/")[1]
            failures = DatasetWriter.open(failures_root, failures_spec, resume=True, video=video)
    except BaseException:
        for part in (failures, writer):
            if part is not None:
                part.close()
        if device is not None:
            device.disconnect()
        env.close()
        if policy_server is not None:
            policy_server.stop()
        raise
    return SessionParts(env, device, writer, failures, policy_server)

"""The `policy` device: actions from a policy server, executed from a chunk queue.

The worker thread never waits on the network: `read()` pops the next queued action and,
when few are left, hands the newest step to a helper thread that asks the server for the
next chunk (appended to the queue when it arrives). When the queue is empty the arm holds
its last target and the tick is counted as starved. In `lockstep` mode (runs not paced at
the fps) `read()` instead waits for the chunk, so a run is reproducible.

How a chunk joins the queue depends on what its actions are aligned to (metadata
`action_alignment`). "observation" (the default; OpenPI and lerobot policies): action j is
for the j-th tick after the observation it was computed from, so the ticks that passed
while it travelled are skipped and the rest replaces the queue. "continuation" (our
scripted expert, a stateful plan): the chunk continues the previous one and is appended.

A human can take over (DAgger): input messages with `takeover: true` hand the arm to the
takeover device (keyboard or gamepad from the page) until `takeover: false`; those ticks
are marked `intervention`. Releasing drops queued actions and asks the policy afresh.

Bad replies (wrong action size, NaN, bad metadata, server down or too slow) become a
`DeviceError` naming the server: the episode ends as an `error`, the session stays up, and
the next episode reconnects. A server never reached since `connect()` raises its subclass
`PolicyUnreachable` (nothing runs at the URL).
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from leisaac_core.dataset.identity import get_identity, identity_of_robot_type
from leisaac_core.policy.client import PolicyClient, PolicyServerError, PolicyServerUnreachable
from leisaac_core.policy.config import PolicyDeviceConfig
from leisaac_core.policy.errors import PolicyUnreachable
from leisaac_core.sim.base import Env, Step
from leisaac_core.sim.info import ARM_BASE_QUATS, ARM_BASES, OBJECT_QUATS
from leisaac_core.teleop.base import Device, DeviceError, DeviceHealth

_RTT_WINDOW = 200
# A takeover ends when the human's input stops for this long (page closed, control lost):
# the page sends its input ~30 times a second while it holds control.
TAKEOVER_STALE_S = 0.5


class PolicyDevice:
    realtime = True

    def __init__(self, config: PolicyDeviceConfig, human: Device | None = None) -> None:
        self.config = config
        self.human = human
        self._client = PolicyClient(config.url, config.connect_timeout_s)
        # The server sees and sends joint values in this identity's units; the env's are
        # normalized.
        self._identity = get_identity(config.identity)
        self._env: Env | None = None
        self._lock = threading.Condition()
        # Shared with the helper thread (under _lock):
        self._queue: collections.deque[np.ndarray] = collections.deque()
        # (episode, step, episode_start, tick of the step) waiting for the helper thread
        self._pending: tuple[int, Step, bool, int] | None = None
        self._tick = 0  # reads served: the tick the next read() is for
        self._in_flight = False
        self._error: DeviceError | None = None
        self._reached = False  # a connect succeeded since connect(env)
        self._episode = 0
        self._rtts: collections.deque[float] = collections.deque(maxlen=_RTT_WINDOW)
        self._closing = False
        self._thread: threading.Thread | None = None
        # Worker-thread only:
        self._seed: int | None = None
        self._episode_started = False
        self._delivered = False  # the policy gave an action in this episode
        self._last_target: np.ndarray | None = None
        self._human_active = False
        self._human_input_time = 0.0
        self.intervention = False  # whether the last read() came from the human
        self.starved_ticks = 0  # in the current episode
        self.starved_total = 0
        # The person's input when they take over (the policy's own timing is its round trip).
        self.input_timing = human.input_timing if human is not None else None
        self.hold_reason = ""  # a policy that waits starves ticks instead
        self._reads = 0
        self._errors = 0

    # ---- Device protocol (worker thread) ------------------------------------------------
    @property
    def name(self) -> str:
        return "policy"

    def connect(self, env: Env) -> None:
        self._env = env
        self._closing = False
        self._reached = False
        if self.human is not None:
            self.human.connect(env)
        self._thread = threading.Thread(target=self._serve, name="policy-client", daemon=True)
        self._thread.start()

    def reset(self, seed: int | None) -> None:
        with self._lock:
            self._episode += 1
            self._queue.clear()
            self._pending = None
            self._error = None
        self._seed = seed
        self._episode_started = False
        self._delivered = False
        self._last_target = None
        self._human_active = False
        self.intervention = False
        self.starved_ticks = 0
        if self.human is not None:
            self.human.reset(seed)

    def handle_input(self, message: Mapping[str, Any]) -> None:
        self._human_input_time = time.monotonic()
        if "takeover" in message and self.human is not None:
            active = bool(message["takeover"])
            if active and not self._human_active:
                self.human.reset(None)  # the human starts from where the arm is
            if not active and self._human_active:
                with self._lock:  # queued actions were planned before the human moved
                    self._queue.clear()
                    self._episode += 1
                    self._pending = None
                self._episode_started = True
            self._human_active = active
        if self.human is not None:
            self.human.handle_input(message)

    def read(self, step: Step) -> np.ndarray:
        if self._env is None:
            raise DeviceError("policy device is not connected to an env; call connect(env)")
        self._reads += 1
        if self._human_active and time.monotonic() - self._human_input_time > TAKEOVER_STALE_S:
            self.handle_input({"takeover": False})  # the human's page went quiet
        if self._human_active and self.human is not None:
            self.intervention = True
            action = np.asarray(self.human.read(step), dtype=np.float32)
            self._last_target = action
            return action
        self.intervention = False
        with self._lock:
            self._raise_error()
            # Lockstep asks only when the queue is empty, so every chunk starts from the
            # observation right before it (reproducible); otherwise it asks ahead of time.
            threshold = 0 if self.config.lockstep else self.config.prefetch_ticks
            if len(self._queue) <= threshold and not self._in_flight:
                self._pending = (self._episode, step, not self._episode_started, self._tick)
                self._episode_started = True
                self._lock.notify_all()
            if self.config.lockstep and not self._queue:
                self._wait_for_chunk()
            self._tick += 1
            if self._queue:
                action = self._queue.popleft()
                self._last_target = action
                self._delivered = True
                return action
        # Waiting for an episode's first chunk (warm-up) is not starvation: nothing ran dry.
        if self._delivered:
            self.starved_ticks += 1
            self.starved_total += 1
        if self._last_target is None:
            self._last_target = np.asarray(step.state, dtype=np.float32).copy()
        return self._last_target

    def _wait_for_chunk(self) -> None:
        deadline = time.monotonic() + self.config.request_timeout_s + self.config.connect_timeout_s
        while not self._queue and self._error is None:
            left = deadline - time.monotonic()
            if left <= 0:
                self._errors += 1
                raise DeviceError(
                    f"policy server {self.config.url}: no actions within "
                    f"{self.config.request_timeout_s:g} s (server too slow)"
                )
            self._lock.wait(left)
        self._raise_error()

    def _raise_error(self) -> None:
        """Raise the helper thread's error, once (caller holds the lock)."""
        if self._error is not None:
            error, self._error = self._error, None
            self._errors += 1
            raise error

    def health(self) -> DeviceHealth:
        with self._lock:
            rtts = sorted(self._rtts)
            queued = len(self._queue)
        details: dict[str, Any] = {
            "url": self.config.url,
            "driver": "human" if self._human_active else "policy",
            "queued_actions": queued,
            "starved_ticks": self.starved_ticks,
            "starved_total": self.starved_total,
            "rtt_ms_p50": _percentile(rtts, 0.5),
            "rtt_ms_p99": _percentile(rtts, 0.99),
            "requests": len(rtts),
        }
        message = ""
        if not self._client.connected:
            message = f"not connected to the policy server {self.config.url}"
        elif self._human_active:
            message = "a human drives (takeover)"
        return DeviceHealth(
            connected=self._client.connected,
            message=message,
            reads=self._reads,
            errors=self._errors,
            details=details,
        )

    def disconnect(self) -> None:
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(self.config.request_timeout_s + 1)
            self._thread = None
        self._client.close()
        if self.human is not None:
            self.human.disconnect()
        self._env = None

    # ---- helper thread ------------------------------------------------------------------
    def _serve(self) -> None:
        while True:
            with self._lock:
                while self._pending is None and not self._closing:
                    self._lock.wait()
                if self._closing:
                    return
                assert self._pending is not None
                episode, step, episode_start, tick = self._pending
                self._pending = None
                self._in_flight = True
            chunk: np.ndarray | None = None
            error: DeviceError | None = None
            started = time.perf_counter()
            try:
                if not self._client.connected:
                    self._check_metadata(self._client.connect())
                    self._reached = True
                observation = self._observation(step, episode_start)
                reply = self._client.infer(observation, self.config.request_timeout_s)
                chunk = self._check_actions(reply)
            except PolicyServerUnreachable as exc:
                error = DeviceError(str(exc)) if self._reached else PolicyUnreachable(str(exc))
            except PolicyServerError as exc:
                error = DeviceError(str(exc))
            except Exception as exc:  # a bug or odd reply must reach the operator, not kill us
                error = DeviceError(f"policy server {self.config.url}: {type(exc).__name__}: {exc}")
            rtt_ms = (time.perf_counter() - started) * 1000
            with self._lock:
                self._in_flight = False
                if episode == self._episode:  # replies for an earlier episode are dropped
                    if error is not None:
                        self._error = error
                        self._client.close()  # reconnect on the next request
                    elif chunk is not None:
                        self._merge(chunk, tick)
                        self._rtts.append(rtt_ms)
                self._lock.notify_all()

    def _merge(self, chunk: np.ndarray, tick: int) -> None:
        """Add a chunk computed from the observation of `tick` (caller holds the lock)."""
        if self._client.metadata.get("action_alignment") == "continuation":
            self._queue.extend(chunk)
            return
        fresh = chunk[self._tick - tick :]
        if len(fresh):  # a chunk that arrived entirely too late leaves the queue as it is
            self._queue.clear()
            self._queue.extend(fresh)

    def _check_metadata(self, metadata: Mapping[str, Any]) -> None:
        assert self._env is not None
        want = len(self._env.joint_names)
        dim = metadata.get("action_dim")
        if dim is not None and dim != want:
            self._client.close()
            raise PolicyServerError(
                f"policy server {self.config.url}: its metadata says action_dim {dim!r}, "
                f"but this env takes {want} joint targets"
            )
        alignment = metadata.get("action_alignment", "observation")
        if alignment not in ("observation", "continuation"):
            self._client.close()
            raise PolicyServerError(
                f"policy server {self.config.url}: metadata action_alignment {alignment!r} "
                "must be 'observation' or 'continuation'"
            )
        robot_type = metadata.get("robot_type")
        served = identity_of_robot_type(robot_type) if isinstance(robot_type, str) else None
        if served is not None and served != self._identity.name:
            self._client.close()
            raise PolicyServerError(
                f"policy server {self.config.url}: its policy was trained on robot_type "
                f"{robot_type!r} (robot identity {served!r}), this session runs identity "
                f"{self._identity.name!r}: pass --identity {served} (the page: Robot identity)"
            )
        size = metadata.get("image_size")
        if size is not None and not (
            isinstance(size, list | tuple)
            and len(size) == 2
            and all(isinstance(v, int) and v > 0 for v in size)
        ):
            self._client.close()
            raise PolicyServerError(
                f"policy server {self.config.url}: metadata image_size {size!r} must be "
                "[height, width]"
            )

    def _observation(self, step: Step, episode_start: bool) -> dict[str, Any]:
        assert self._env is not None
        meta = self._client.metadata
        observation: dict[str, Any] = {
            "observation.state": self._identity.to_dataset(np.asarray(step.state)),
            "task": self._env.task_text,
            "episode_start": episode_start,
        }
        if meta.get("send_images", True):
            size = meta.get("image_size")
            for name, image in step.images.items():
                observation[f"observation.images.{name}"] = (
                    _resize_nearest(image, size) if size else image
                )
        if meta.get("privileged", False):
            info = step.info
            observation["privileged"] = {
                "task_name": self._env.task_name,
                "fps": self._env.fps,
                "seed": self._seed,  # a scripted expert varies its style under the seed
                "success": bool(step.success),
                "joint_radians": np.asarray(info.get("joint_radians", ())),
                "object_positions": dict(info.get("object_positions", {})),
                "robot_base": np.asarray(info.get("robot_base", np.zeros(3))),
                "identity": self._identity.name,  # the units of observation.state and actions
                # Two-arm scenes: each arm's base pose; objects' orientations where known.
                **{
                    key: dict(info[key])
                    for key in (ARM_BASES, ARM_BASE_QUATS, OBJECT_QUATS)
                    if key in info
                },
            }
        renames = self.config.observation_keys
        return {renames.get(key, key): value for key, value in observation.items()}

    def _check_actions(self, reply: Mapping[str, Any]) -> np.ndarray:
        assert self._env is not None
        url = self.config.url
        if "actions" not in reply:
            raise PolicyServerError(
                f"policy server {url}: reply has no 'actions' (keys: {sorted(map(str, reply))})"
            )
        try:
            actions = np.asarray(reply["actions"], dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise PolicyServerError(
                f"policy server {url}: 'actions' is not numeric ({exc})"
            ) from None
        if actions.ndim == 1:
            actions = actions[None, :]
        want = len(self._env.joint_names)
        if actions.ndim != 2 or actions.shape[0] < 1 or actions.shape[1] != want:
            raise PolicyServerError(
                f"policy server {url}: wrong action size: got actions of shape "
                f"{tuple(actions.shape)}, this env takes (chunk, {want})"
            )
        if not np.all(np.isfinite(actions)):
            raise PolicyServerError(
                f"policy server {url}: actions contain NaN or infinity; the arm was not moved"
            )
        return self._identity.from_dataset(actions)


def _resize_nearest(image: np.ndarray, size: Any) -> np.ndarray:
    """Nearest-neighbour resize (what the server asked for; cheap and dependency-free)."""
    height, width = int(size[0]), int(size[1])
    rows = (np.arange(height) * image.shape[0] // height).clip(0, image.shape[0] - 1)
    cols = (np.arange(width) * image.shape[1] // width).clip(0, image.shape[1] - 1)
    return np.ascontiguousarray(image[rows][:, cols])


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    return round(sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))], 3)

"""`HostedEnv`: an `Env` whose backend runs in a child process (the env host).

Used from the session's worker thread like any env. Commands and state go over a private
socketpair; camera frames come back through shared memory (see `frames.py`). The host's
death (kill -9, segfault, a hang past the timeout) is an `EnvError` for the running episode;
the next `reset` starts a fresh host with the same config, so a crash of the simulator never
takes the server or its datasets with it.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from multiprocessing.reduction import send_handle
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from leisaac_core.sim.base import CameraSpec, EnvError, Step
from leisaac_core.sim.config import EnvConfig
from leisaac_core.sim.host.frames import FramePool, FramePoolFull
from leisaac_core.sim.host.protocol import ERROR_VALUE, EnvDescription

log = logging.getLogger(__name__)

# Isaac Sim's first start compiles shaders and loads USD assets: minutes, not seconds; its
# first reset renders and may compile more.
START_TIMEOUT_S = {"isaaclab": 900.0}
DEFAULT_START_TIMEOUT_S = 120.0
STEP_TIMEOUT_S = {"isaaclab": 300.0}
DEFAULT_STEP_TIMEOUT_S = 60.0
CLOSE_TIMEOUT_S = 30.0
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])


def _exit_text(returncode: int | None) -> str:
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


class _Host:
    """One child process and its end of the socket."""

    def __init__(self, config: EnvConfig) -> None:
        parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = dict(os.environ)
        # The child imports leisaac_core from where this process found it.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "leisaac_core.sim.host.child", str(child_sock.fileno())],
                pass_fds=(child_sock.fileno(),),
                env=env,
                stdin=subprocess.DEVNULL,
                # Own process group: a Ctrl+C for the server does not kill the host under it.
                start_new_session=True,
            )
        except OSError as exc:
            parent_sock.close()
            raise EnvError(f"could not start the env host process: {exc}") from exc
        finally:
            child_sock.close()
        self.conn = Connection(parent_sock.detach())
        self.pid = self.process.pid
        self.frames = FramePool(self._announce_segment)

    def _announce_segment(self, segment: int, size: int, fd: int) -> None:
        self.conn.send(("segment", segment, size))
        send_handle(self.conn, fd, self.pid)

    def stop(self, timeout: float) -> None:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.conn.close()


class HostedEnv:
    """Any backend's env, run in an env host process; same `Env` protocol."""

    def __init__(
        self,
        config: EnvConfig,
        start_timeout_s: float | None = None,
        step_timeout_s: float | None = None,
    ) -> None:
        self._config = config
        self._start_timeout_s = start_timeout_s or START_TIMEOUT_S.get(
            config.type, DEFAULT_START_TIMEOUT_S
        )
        self._step_timeout_s = step_timeout_s or STEP_TIMEOUT_S.get(
            config.type, DEFAULT_STEP_TIMEOUT_S
        )
        self._host: _Host | None = None
        self._closed = False
        self._description = self._start()

    # -- Env protocol: description -----------------------------------------------------------
    @property
    def task_name(self) -> str:
        return self._description.task_name

    @property
    def task_text(self) -> str:
        return self._description.task_text

    @property
    def cameras(self) -> tuple[CameraSpec, ...]:
        return self._description.cameras

    @property
    def joint_names(self) -> tuple[str, ...]:
        return self._description.joint_names

    @property
    def fps(self) -> int:
        return self._description.fps

    @property
    def robot_type(self) -> str:
        return self._description.robot_type

    @property
    def backend(self) -> str:
        return self._description.backend

    @property
    def host_pid(self) -> int | None:
        """The env host's process id (None while no host runs)."""
        return self._host.pid if self._host is not None else None

    # -- Env protocol: running ---------------------------------------------------------------
    def reset(self, seed: int | None = None) -> Step:
        if self._closed:
            raise EnvError("the env is closed")
        if self._host is None:  # the last host died: a reset starts a fresh one
            description = self._start()
            if description != self._description:
                self._stop_host()
                raise EnvError(
                    f"the restarted env host describes a different env ({description}); "
                    "start a new session"
                )
        return self._request("reset", seed)

    def step(self, action: np.ndarray) -> Step:
        if self._host is None:
            raise EnvError("the env host process is not running; send 'reset' to start a new one")
        return self._request("step", np.asarray(action))

    def close(self) -> None:
        self._closed = True
        host, self._host = self._host, None
        if host is None:
            return
        try:
            host.conn.send(("close",))
            if host.conn.poll(CLOSE_TIMEOUT_S):
                host.conn.recv()
        except (EOFError, OSError):
            pass  # it is gone already
        host.stop(timeout=CLOSE_TIMEOUT_S)

    # -- helpers -----------------------------------------------------------------------------
    def _start(self) -> EnvDescription:
        host = _Host(self._config)
        started = time.monotonic()
        try:
            host.conn.send(("build", self._config))
            reply = self._receive(host, self._start_timeout_s, "starting the env")
        except BaseException:
            host.process.kill()
            host.stop(timeout=5)
            raise
        if reply[0] == "error":
            host.stop(timeout=CLOSE_TIMEOUT_S)
            _, kind, message = reply
            raise (ValueError if kind == ERROR_VALUE else EnvError)(message)
        log.info(
            "env host pid %d ready (%s) in %.1f s", host.pid, self._config.type,
            time.monotonic() - started,
        )  # fmt: skip
        self._host = host
        description: EnvDescription = reply[1]
        return description

    def _request(self, op: str, argument: Any) -> Step:
        host = self._host
        assert host is not None
        try:
            slots = {
                cam.name: host.frames.acquire(cam.height * cam.width * 3)
                for cam in self._description.cameras
            }
        except FramePoolFull as exc:
            raise EnvError(str(exc)) from exc
        except OSError as exc:  # the socket broke while announcing a new segment
            self._host_lost(host, f"the env host process (pid {host.pid}) went away: {exc}")
        try:
            try:
                host.conn.send((op, argument, slots))
            except OSError:
                self._host_lost(host, f"the env host process (pid {host.pid}) died before '{op}'")
            reply = self._receive(host, self._step_timeout_s, op)
        except BaseException:
            for slot in slots.values():
                host.frames.release(slot)
            raise
        if reply[0] == "error":
            for slot in slots.values():
                host.frames.release(slot)
            _, kind, message = reply
            raise (ValueError if kind == ERROR_VALUE else EnvError)(message)
        _, state, success, info = reply
        images = {
            cam.name: host.frames.view(slots[cam.name], (cam.height, cam.width, 3))
            for cam in self._description.cameras
        }
        return Step(state=state, images=images, success=success, info=info)

    def _receive(self, host: _Host, timeout: float, what: str) -> tuple[Any, ...]:
        try:
            if host.conn.poll(timeout):
                reply: tuple[Any, ...] = host.conn.recv()
                return reply
        except (EOFError, OSError):
            self._host_lost(host, f"the env host process (pid {host.pid}) died during '{what}'")
        host.process.kill()
        self._host_lost(
            host,
            f"the env host process (pid {host.pid}) did not answer '{what}' within {timeout:g} s "
            "and was stopped",
        )

    def _host_lost(self, host: _Host, message: str) -> NoReturn:
        host.stop(timeout=5)
        if self._host is host:
            self._host = None
        text = (
            f"{message} ({_exit_text(host.process.returncode)}); the episode under way is lost, "
            "saved episodes are kept; 'reset' starts a new env host"
        )
        log.warning("%s", text)
        raise EnvError(text)

    def _stop_host(self) -> None:
        host, self._host = self._host, None
        if host is not None:
            host.process.kill()
            host.stop(timeout=5)

"""The env host process: `python -m leisaac_core.sim.host.child <socket fd>`.

Builds one env on this process's main thread (Isaac Sim must own the main thread and the
process: its event-loop policy, signal handlers and USD stage) and serves the proxy's
commands until the proxy closes the socket or asks to close. One env per process: the
process exits when the env is closed, so nothing of a failed or finished build survives.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle
from typing import Any

import numpy as np

from leisaac_core.sim.base import Env, EnvError, Step
from leisaac_core.sim.host.frames import FrameWriter, Slot
from leisaac_core.sim.host.protocol import ERROR_ENV, ERROR_VALUE, EnvDescription

log = logging.getLogger("leisaac.env_host")


def describe(env: Env) -> EnvDescription:
    return EnvDescription(
        task_name=env.task_name,
        task_text=env.task_text,
        cameras=tuple(env.cameras),
        joint_names=tuple(env.joint_names),
        fps=env.fps,
        robot_type=env.robot_type,
        backend=env.backend,
    )


def _error(exc: BaseException) -> tuple[str, str, str]:
    if isinstance(exc, ValueError):
        return ("error", ERROR_VALUE, str(exc))
    if isinstance(exc, EnvError):
        return ("error", ERROR_ENV, str(exc))
    return ("error", ERROR_ENV, f"{type(exc).__name__}: {exc}")


def _reply_step(conn: Connection, frames: FrameWriter, step: Step, slots: dict[str, Slot]) -> None:
    for name, slot in slots.items():
        frames.write(slot, np.asarray(step.images[name]))
    conn.send(("step", step.state, bool(step.success), dict(step.info)))


def serve(conn: Connection) -> int:
    from leisaac_core.sim import build_env_in_this_process

    kind, config = conn.recv()
    if kind != "build":
        raise RuntimeError(f"env host: expected 'build', got {kind!r}")
    try:
        env = build_env_in_this_process(config)
    except BaseException as exc:
        log.warning("building the env failed: %s", exc)
        conn.send(_error(exc))
        return 1
    conn.send(("ready", describe(env)))
    frames = FrameWriter()
    try:
        while True:
            try:
                message: tuple[Any, ...] = conn.recv()
            except EOFError:  # the proxy (or the whole server) went away
                return 0
            op = message[0]
            if op == "segment":
                frames.attach(message[1], message[2], recv_handle(conn))
            elif op in ("reset", "step"):
                try:
                    step = env.reset(seed=message[1]) if op == "reset" else env.step(message[1])
                    _reply_step(conn, frames, step, message[2])
                except Exception as exc:
                    conn.send(_error(exc))
            elif op == "close":
                break
            else:
                raise RuntimeError(f"env host: unknown command {op!r}")
    finally:
        env.close()
    conn.send(("closed",))
    return 0


def main() -> int:
    fd = int(sys.argv[1])
    # Isaac Sim parses the process argv and passes unknown arguments on to Kit.
    del sys.argv[1:]
    # The proxy decides when this process ends; a Ctrl+C in the server's terminal reaches the
    # server, which closes its session (and this host) in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(
        level=os.environ.get("LEISAAC_ENV_HOST_LOG", "WARNING"),
        format=f"%(levelname)s env-host[{os.getpid()}] %(name)s: %(message)s",
    )
    conn = Connection(fd)
    try:
        return serve(conn)
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())

"""A checkpoint policy's server, served by the session itself (issue 27): started as a child
process before the first episode, with the events and the waiting status the page shows
while it loads. The process itself is leisaac_core/policy/launcher.py; the parts own it once
it listens and stop it on close.
"""

from __future__ import annotations

from leisaac_core.policy import PolicyCheckpointConfig
from leisaac_core.policy.launcher import (
    DEFAULT_LEROBOT_PYTHON,
    PolicyServerProcess,
    PolicyServerStartError,
)
from leisaac_core.session.config import SessionConfig
from leisaac_core.session.outlet import SessionOutlet
from leisaac_core.session.state import EventKind, Phase, SessionSnapshot


def start_policy_server(config: SessionConfig, outlet: SessionOutlet) -> PolicyServerProcess | None:
    """A checkpoint policy's server, started before the first episode and listening; None
    for a session without one."""
    policy = config.policy
    if not isinstance(policy, PolicyCheckpointConfig):
        return None
    python = policy.python or str(DEFAULT_LEROBOT_PYTHON)
    message = f"starting policy server for {policy.path} in {python}"
    outlet.emit(EventKind.POLICY_SERVER_STARTING, message, path=policy.path, python=python)

    def waiting(seconds: float) -> None:
        text = f"starting policy server… ({seconds:.0f} s; loading {policy.path})"
        outlet.publish(SessionSnapshot(phase=Phase.STARTING, tick=0, message=text))

    waiting(0)
    try:
        server = PolicyServerProcess.start(policy, task=config.env.task, waiting=waiting)
    except PolicyServerStartError as exc:
        raise PolicyServerStartError(f"cannot serve {policy.path}: {exc}") from None
    outlet.emit(
        EventKind.POLICY_SERVER_READY,
        f"policy server ready at {server.url} (process {server.pid})",
        url=server.url,
        pid=server.pid,
    )
    return server

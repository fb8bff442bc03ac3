"""Which policy servers a request may make this server connect to, or run.

An unauthenticated client never makes the server open a URL of its choice, nor run a program
of its choice: the URL comes from the server's settings (LEISAAC_POLICY_URL,
LEISAAC_POLICY_URLS), and a checkpoint is served in the configured lerobot Python
(LEISAAC_POLICY_PYTHON), unless the server has a token, which every mutating route checks
before it reads a body.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException, status

from leisaac_core.config import Settings
from leisaac_core.policy import PolicyCheckpointConfig
from leisaac_core.policy.launcher import DEFAULT_LEROBOT_PYTHON
from leisaac_core.session import SessionConfig


def with_allowed_policy_url(config: SessionConfig, settings: Settings) -> SessionConfig:
    """`config` with its policy's URL (or a checkpoint's Python) resolved: from the server's
    own settings, or from an authenticated request (a server with a token checks it before
    the body is read)."""
    policy = config.policy
    if policy is None:
        return config
    if isinstance(policy, PolicyCheckpointConfig):
        return config.model_copy(update={"policy": _with_allowed_python(policy, settings)})
    url = policy.url or settings.policy_url
    if url is None:
        raise HTTPException(
            422,
            detail="a policy needs 'policy.url' (ws://HOST:PORT of an OpenPI policy server), or "
            "a server started with LEISAAC_POLICY_URL",
        )
    configured = {u for u in (settings.policy_url, *settings.policy_urls) if u}
    if url not in configured and settings.token is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"policy.url {url!r} is not in this server's configuration and the request "
            "is not authenticated (the server has no token): start the server with "
            "LEISAAC_POLICY_URLS='[\"" + url + "\"]' (or LEISAAC_POLICY_URL), or run it with a "
            "token",
        )
    return config.model_copy(update={"policy": policy.model_copy(update={"url": url})})


def _with_allowed_python(
    policy: PolicyCheckpointConfig, settings: Settings
) -> PolicyCheckpointConfig:
    configured = settings.policy_python or DEFAULT_LEROBOT_PYTHON
    python = policy.python or str(configured)
    if Path(python).expanduser() != Path(configured).expanduser() and settings.token is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"policy.python {python!r} is not this server's lerobot Python "
            f"({configured}) and the request is not authenticated (the server has no token): "
            "leave it empty, start the server with LEISAAC_POLICY_PYTHON=" + python + ", or "
            "run it with a token",
        )
    return policy.model_copy(update={"python": python})

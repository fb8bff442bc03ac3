"""Session options of policy sessions, validated at the edge (REST body or CLI flags)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from leisaac_core.session import SessionConfig

BASE = {"repo_id": "me/policy", "device": "policy", "policy_url": "ws://127.0.0.1:8765"}


def test_reward_features_default_on_for_policy_sessions_only() -> None:
    assert SessionConfig(**BASE).records_rewards is True
    assert SessionConfig(repo_id="me/x", device="scripted").records_rewards is False
    assert SessionConfig(**BASE, reward_features=False).records_rewards is False
    assert SessionConfig(repo_id="me/x", reward_features=True).records_rewards is True


def test_policy_url_must_be_a_websocket_url() -> None:
    with pytest.raises(ValidationError, match="ws://"):
        SessionConfig(**{**BASE, "policy_url": "http://example.com/policy"})


def test_leader_takeover_needs_the_leader_port() -> None:
    with pytest.raises(ValidationError, match="needs device_port"):
        SessionConfig(**BASE, policy={"takeover": "so101_leader"})
    config = SessionConfig(**BASE, policy={"takeover": "so101_leader"}, device_port="/dev/x")
    assert config.policy.takeover == "so101_leader"


def test_unknown_policy_options_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        SessionConfig(**BASE, policy={"chunk": 3})

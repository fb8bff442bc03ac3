"""Session options of policy sessions, validated at the edge (REST body or CLI flags)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from leisaac_core.session import SessionConfig

BASE = {"dataset": {"repo_id": "me/policy"}, "policy": {"url": "ws://127.0.0.1:8765"}}
SCRIPTED = {"dataset": {"repo_id": "me/x"}, "devices": [{"type": "scripted"}]}


def _with(base: dict, **sections: dict) -> dict:
    return {**base, **{k: {**base.get(k, {}), **v} for k, v in sections.items()}}


def test_reward_features_default_on_for_policy_sessions_only() -> None:
    assert SessionConfig.model_validate(BASE).records_rewards is True
    assert SessionConfig.model_validate(SCRIPTED).records_rewards is False
    no_rewards = _with(BASE, dataset={"reward_features": False})
    assert SessionConfig.model_validate(no_rewards).records_rewards is False
    rewards = {"dataset": {"repo_id": "me/x", "reward_features": True}}
    assert SessionConfig.model_validate(rewards).records_rewards is True


def test_policy_url_must_be_a_websocket_url() -> None:
    with pytest.raises(ValidationError, match="ws://"):
        SessionConfig.model_validate(_with(BASE, policy={"url": "http://example.com/policy"}))


def test_a_policy_is_taken_over_by_the_keyboard_unless_told_otherwise() -> None:
    assert [d.type for d in SessionConfig.model_validate(BASE).devices] == ["keyboard"]
    assert SessionConfig.model_validate({**BASE, "devices": []}).devices == []
    assert SessionConfig.model_validate(BASE).driver == "policy"


def test_leader_takeover_needs_the_leader_port() -> None:
    with pytest.raises(ValidationError, match=r"devices\.0\.so101_leader\.port\s+Field required"):
        SessionConfig.model_validate({**BASE, "devices": [{"type": "so101_leader"}]})
    leader = {"type": "so101_leader", "port": "/dev/x"}
    config = SessionConfig.model_validate({**BASE, "devices": [leader]})
    assert config.devices[0].type == "so101_leader" and config.devices[0].port == "/dev/x"


def test_a_takeover_that_is_not_a_person_is_refused() -> None:
    with pytest.raises(ValidationError, match="'scripted' cannot take over from a policy"):
        SessionConfig.model_validate({**BASE, "devices": [{"type": "scripted"}]})


def test_one_person_takes_over_from_a_policy() -> None:
    two = [{"type": "keyboard"}, {"type": "gamepad"}]
    with pytest.raises(ValidationError, match="one person takes over"):
        SessionConfig.model_validate({**BASE, "devices": two})


def test_without_a_policy_exactly_one_device_drives() -> None:
    two = [{"type": "scripted"}, {"type": "keyboard"}]
    with pytest.raises(ValidationError, match=r"one device drives the arm, got 2"):
        SessionConfig.model_validate({**SCRIPTED, "devices": two})
    with pytest.raises(ValidationError, match=r"name the device that drives the arm"):
        SessionConfig.model_validate({**SCRIPTED, "devices": []})
    assert SessionConfig.model_validate({"dataset": {"repo_id": "me/x"}}).driver == "scripted"


def test_unknown_policy_options_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        SessionConfig.model_validate(_with(BASE, policy={"chunk": 3}))

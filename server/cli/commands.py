"""The list of subcommands. Each module's `register(subparsers)` adds one subcommand whose
`func(args) -> int` runs it; heavy imports happen inside `func`, not at registration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.cli import dataset, doctor, eval, fleet, leader, policy, push, record, replay, serve

REGISTRARS: list[Callable[[Any], None]] = [
    serve.register,
    record.register,
    doctor.register,
    push.register,
    leader.register,
    dataset.register,
    policy.register,
    eval.register,
    replay.register,
    fleet.register,
]

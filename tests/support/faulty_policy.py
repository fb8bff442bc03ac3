"""A policy server that goes wrong on cue, for the tests of `error` outcomes: the scripted
expert (the real one, over the real websocket server) until a chosen request of a chosen
episode, then a malformed reply (actions for 5 joints, the arm has 6) or the server process
dying there (`os._exit`, as a crash or a kill -9 ends it: no close frame).

In a test's thread: `PolicyServer(FaultyExpert("malformed", episode=2, request=3)).start()`.
As its own process: `python -m tests.support.faulty_policy --port P --exit-at 1 3`.
"""

from __future__ import annotations

import argparse
import os
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

from leisaac_core.policy.expert import ExpertPolicy


class FaultyExpert:
    """A policy factory; counts episodes over every connection (a client reconnects after
    an error), so the fault comes at the same point whatever the connections."""

    def __init__(self, fault: str, episode: int, request: int) -> None:
        if fault not in ("malformed", "exit"):
            raise ValueError(f"fault {fault!r} must be 'malformed' or 'exit'")
        self.fault = fault
        self.episode = episode  # 1-based: the first episode that goes wrong (and later ones)
        self.request = request  # 1-based request within that episode
        self.episodes = 0
        self.requests = 0
        self.lock = threading.Lock()

    def __call__(self) -> _FaultyPolicy:
        return _FaultyPolicy(self)

    def due(self, observation: Mapping[str, Any]) -> bool:
        with self.lock:
            if observation.get("episode_start"):
                self.episodes += 1
                self.requests = 0
            self.requests += 1
            return self.episodes >= self.episode and self.requests >= self.request


class _FaultyPolicy:
    def __init__(self, shared: FaultyExpert) -> None:
        self.shared = shared
        self.expert = ExpertPolicy(chunk_size=10)

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self.expert.metadata

    def infer(self, observation: Mapping[str, Any]) -> Mapping[str, Any]:
        if not self.shared.due(observation):
            return self.expert.infer(observation)
        if self.shared.fault == "exit":
            os._exit(3)
        return {"actions": np.zeros((10, 5), np.float32)}


def main() -> None:
    from leisaac_core.policy.server import PolicyServer

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--exit-at", type=int, nargs=2, metavar=("EPISODE", "REQUEST"))
    args = parser.parse_args()
    episode, request = args.exit_at
    PolicyServer(FaultyExpert("exit", episode, request), port=args.port).serve_forever()


if __name__ == "__main__":
    main()

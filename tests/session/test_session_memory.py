"""What the session keeps per episode in a long run (issue 29), measured with tracemalloc's
own accounting of Python allocations, never RSS or timings."""

from __future__ import annotations

import concurrent.futures
import gc
import tracemalloc
from pathlib import Path

from leisaac_core.dataset import SavedEpisode
from leisaac_core.session.commits import CommitWatcher
from leisaac_core.session.engine import SessionEngine


def watch_commits(watcher: CommitWatcher, pool: concurrent.futures.Executor, first: int, n: int):
    """Hand `n` episodes to the watcher as the runner does. The futures are resolved on a pool
    thread, as the writer's commit thread resolves them (the writer itself is left out: a
    thousand real commits would take minutes, and the watcher sees only their futures)."""
    for number in range(first, first + n):
        saved = SavedEpisode(True, number - 1, 10, {}, 0.01, "mem/commits")
        future = pool.submit(lambda s=saved: s)
        watcher.watch(future, number)
        future.result()
    assert watcher.in_flight == 0 or _settle(watcher)


def _settle(watcher: CommitWatcher) -> bool:
    # The done callback may still run on the pool thread just after result() returns.
    with concurrent.futures.ThreadPoolExecutor(1) as drain:
        drain.submit(lambda: None).result()
    return watcher.in_flight == 0


def test_the_commit_watcher_keeps_nothing_per_episode(tmp_path: Path) -> None:
    """It counted landed commits by keeping every episode number (~36 B per episode)."""
    engine = SessionEngine(tmp_path / "datasets")
    watcher = CommitWatcher(engine, review=False, auto_push=None)
    tracemalloc.start()
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="commit") as pool:
        try:
            # The engine's recent events fill up, then turn over once (they hold the episodes'
            # figures): a constant, not growth.
            watch_commits(watcher, pool, 1, 1200)
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            watch_commits(watcher, pool, 1201, 3000)
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
    assert grown < 16_000, f"{grown} bytes kept over 3,000 episodes"

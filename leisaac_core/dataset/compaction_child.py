"""The periodic compaction's heavy phase in a short-lived child process.

A long recording compacts every few hundred episodes, and each tiered compaction reads and
writes in proportion to the tier it joins. Run in the recording process, the allocators
(mimalloc under Arrow, glibc under FFmpeg) kept every new high-water mark: the server's RSS
stepped up at each compaction and never came down (issue 29: +23, +9, +4 and +33 MB at
episodes 201, 402, 601 and 801). A child's memory goes back to the OS when it exits, and its
Python work never holds the recording process's GIL. Only `prepare` moves here; `install`
stays on the writer's commit thread, in order with commits.

A plain subprocess rather than multiprocessing: its spawn and forkserver starts re-import the
parent's `__main__`, which in a Ray worker or a console script is not ours to re-run.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

from leisaac_core.dataset import compaction
from leisaac_core.dataset.compaction import PreparedCompaction

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


class CompactionChildError(RuntimeError):
    """The child process failed; nothing was changed (its temp files are repair's)."""


def prepare_in_child(root: Path, generation: int, tiered: bool) -> PreparedCompaction | None:
    """compaction.prepare(root, generation, tiered=tiered), run in a fresh interpreter."""
    request = json.dumps({"root": str(root), "generation": generation, "tiered": tiered})
    env = dict(os.environ)
    # The package may be importable only through the parent's sys.path (a source checkout).
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_PARENT, env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-m", __name__],
        input=request.encode(),
        capture_output=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise CompactionChildError(
            f"compaction process exited with {proc.returncode}: " + " | ".join(tail)
        )
    prepared = pickle.loads(proc.stdout)  # our own child's answer
    assert prepared is None or isinstance(prepared, PreparedCompaction)
    return prepared


def _main() -> None:
    request = json.loads(sys.stdin.read())
    # Anything a library prints goes to stderr: stdout carries only the pickled answer.
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    prepared = compaction.prepare(
        Path(request["root"]), int(request["generation"]), tiered=bool(request["tiered"])
    )
    answer.write(pickle.dumps(prepared))
    answer.close()


if __name__ == "__main__":
    _main()

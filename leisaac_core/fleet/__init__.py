"""Many headless sessions as Ray actors feeding one dataset (a layer above `session/`).

- `FleetConfig`: what a fleet run is asked to do (a session template + fleet options).
- `SeedLedger`: hands out disjoint seeds, takes back those of lost episodes.
- `FleetWorker` (worker.py): one fed session kept alive in one Ray actor; each `record(seed)`
  returns that seed's episode as an `EpisodeBundle` (mp4 bytes + frame table).
- `Dispatcher` (dispatch.py): the actors, two seeds in flight each, restarts.
- `HeadCommitter` (head.py) around `FleetWriter` (ingest.py): the head's only writer of the
  target dataset, committing on its own thread behind a bounded queue with the dataset
  journal (atomic, O(1) per episode, repaired on reopen).
- `FleetRun` (run.py): the coordinator loop on the head (driver) that ties them together.

Ray is an optional extra (`pip install leisaac-dashboard[fleet]`), imported through
`cluster.import_ray()` only when a run starts.
"""

from leisaac_core.fleet.bundle import EpisodeBundle
from leisaac_core.fleet.config import FleetConfig
from leisaac_core.fleet.ingest import FleetWriter
from leisaac_core.fleet.seeds import SeedLedger
from leisaac_core.fleet.status import FleetStatus, WorkerStatus

__all__ = [
    "EpisodeBundle",
    "FleetConfig",
    "FleetStatus",
    "FleetWriter",
    "SeedLedger",
    "WorkerStatus",
]

"""Many headless sessions as Ray actors feeding one dataset (a layer above `session/`).

- `FleetConfig`: what a fleet run is asked to do (a session template + fleet options).
- `SeedLedger`: hands out disjoint seeds, takes back those of lost episodes.
- `FleetWorker`: one session engine in one Ray actor; records one seed per call into a
  private one-episode dataset and returns it as an `EpisodeBundle` (mp4 bytes + frames).
- `FleetWriter`: the head's only writer of the target dataset; commits each bundle with the
  dataset journal (atomic, O(1) per episode, repaired on reopen).
- `FleetRun`: the coordinator loop on the head (driver) that ties them together.

Ray is an optional extra (`pip install leisaac-dashboard[fleet]`): only `run.py` imports it.
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

"""Plays a keyboard pilot's keys in Chromium, paced by the server's ticks.

A person's fingers react late, and a test's do too, by however long the machine takes to
answer. A pilot that holds a key until its next look overshoots by that delay, so on a busy
machine it can swing across a goal for ever. This player instead holds a move's keys for a
number of the server's ticks (the snapshot's `tick`), lets go, and waits until the arm has
settled (its joints still between two snapshots) before the next look: where the arm stops
depends on the ticks, not on when the looks happen. No wall-clock sleep decides anything;
the one wall-clock limit only turns a server that stopped ticking into a clear failure.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import numpy as np
from playwright.sync_api import Page

from tests.support.keyboard_pilot import Keys

SETTLE_MIN_TICKS = 3  # after letting go: the release reaches the server, the arm follows
STILL_WITHIN = 0.1  # normalized joint units between two snapshots two ticks apart
SETTLE_MAX_TICKS = 60
LOOK_EVERY_S = 0.005  # how often to ask for the next tick (a tick is 33 ms at 30 Hz)
STOPPED_TICKING_S = 60.0


class PageKeyboard:
    def __init__(self, page: Page, http: httpx.Client) -> None:
        self.page = page
        self.http = http
        self.held: set[str] = set()
        self.shift = False
        self.trace: list[str] = []  # the keys of each move, for a failure's message

    def look(self) -> dict[str, Any]:
        return self.http.get("/api/session").json()

    def press(self, codes: frozenset[str], shift: bool) -> None:
        """Hold exactly `codes` (and Shift when `shift`)."""
        if shift != self.shift:
            (self.page.keyboard.down if shift else self.page.keyboard.up)("Shift")
            self.shift = shift
        for code in self.held - codes:
            self.page.keyboard.up(code)
        for code in codes - self.held:
            self.page.keyboard.down(code)
        self.held = set(codes)

    def release(self) -> None:
        self.press(frozenset(), False)

    def at_tick(self, tick: int) -> dict[str, Any]:
        """The first snapshot at or after `tick`, or one that is no longer recording."""
        snapshot = self.look()
        last, since = snapshot["tick"], time.monotonic()
        while snapshot["tick"] < tick and snapshot["phase"] == "recording":
            time.sleep(LOOK_EVERY_S)
            snapshot = self.look()
            if snapshot["tick"] != last:
                last, since = snapshot["tick"], time.monotonic()
            assert time.monotonic() - since < STOPPED_TICKING_S, (
                f"the server stopped ticking at tick {last} while recording"
            )
        return snapshot

    def settled(self) -> dict[str, Any]:
        """The first snapshot, SETTLE_MIN_TICKS after now or later, whose joints moved less
        than STILL_WITHIN over two ticks (or after SETTLE_MAX_TICKS)."""
        before = self.at_tick(self.look()["tick"] + SETTLE_MIN_TICKS)
        limit = before["tick"] + SETTLE_MAX_TICKS
        while before["phase"] == "recording" and before["tick"] < limit:
            after = self.at_tick(before["tick"] + 2)
            moved = np.abs(np.subtract(after["joint_state"], before["joint_state"])).max()
            if moved < STILL_WITHIN:
                return after
            before = after
        return before

    def play(self, keys: Keys, snapshot: dict[str, Any], label: str = "") -> dict[str, Any]:
        """Do `keys` from the state in `snapshot`; return the snapshot to decide the next
        keys from."""
        if keys.codes != self.held or keys.ticks is not None:
            ticks = "" if keys.ticks is None else f"x{keys.ticks}"
            shift = "⇧" if keys.shift else ""
            self.trace.append(f"{label}{'+'.join(sorted(keys.codes))}{shift}{ticks}")
        self.press(keys.codes, keys.shift)
        if keys.ticks is None:  # held until the next look, one tick on
            return self.at_tick(snapshot["tick"] + 1)
        started = self.at_tick(snapshot["tick"] + 1)["tick"]
        self.at_tick(started + keys.ticks - 1)
        self.press(frozenset(), keys.shift)
        return self.settled()

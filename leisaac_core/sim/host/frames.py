"""Camera frames between the env host process and its proxy, through shared memory.

The proxy owns a pool of image slots in anonymous shared memory (`memfd`, passed to the host
over the command socket). For each reset/step it hands the host one free slot per camera;
the host copies the rendered image into it (the only copy) and the proxy returns a read-only
numpy view of the slot as `Step.images[name]`. A slot goes back to the pool only when the
last reference to that view (recorder, encoder queue, preview) is gone, so the host never
overwrites a frame anyone still holds; that is the `Env` contract's "never mutated again".

Hand-written because `multiprocessing.shared_memory` has no way to know when a consumer
drops a frame, and on Python 3.11 its resource tracker unlinks segments a child attached to.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import threading
import weakref
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Slots added per growth of the pool, per image size.
SLOTS_PER_SEGMENT = 8
# A pool larger than this means frames are never released (a consumer keeps them all).
MAX_POOL_BYTES = 2 << 30


@dataclass(frozen=True)
class Slot:
    segment: int
    offset: int
    nbytes: int


class FramePoolFull(RuntimeError):
    """Frames were kept by consumers until the pool reached its limit."""


class FramePool:
    """Parent side: shared-memory slots, grown on demand, freed when their views die.

    `announce(segment_id, size, fd)` tells the host about a new segment (called on the
    thread that drives the host, before the slot is used).
    """

    def __init__(
        self,
        announce: Callable[[int, int, int], None],
        max_bytes: int = MAX_POOL_BYTES,
        slots_per_segment: int = SLOTS_PER_SEGMENT,
    ) -> None:
        self._announce = announce
        self._max_bytes = max_bytes
        self._slots_per_segment = slots_per_segment
        self._maps: dict[int, mmap.mmap] = {}
        # Released from any thread (a finalizer runs where the last reference dies).
        self._free: defaultdict[int, deque[Slot]] = defaultdict(deque)
        self._lock = threading.Lock()
        self.bytes_mapped = 0

    def acquire(self, nbytes: int) -> Slot:
        try:
            return self._free[nbytes].pop()
        except IndexError:
            self._grow(nbytes)
            return self._free[nbytes].pop()

    def release(self, slot: Slot) -> None:
        self._free[slot.nbytes].append(slot)

    def view(self, slot: Slot, shape: tuple[int, ...]) -> np.ndarray:
        """A read-only uint8 array over `slot`; the slot is released when it is collected."""
        owner = (ctypes.c_uint8 * slot.nbytes).from_buffer(self._maps[slot.segment], slot.offset)
        weakref.finalize(owner, self.release, slot)
        array = np.frombuffer(owner, dtype=np.uint8).reshape(shape)
        array.flags.writeable = False
        return array

    @property
    def slots_free(self) -> int:
        return sum(len(q) for q in self._free.values())

    def _grow(self, nbytes: int) -> None:
        with self._lock:
            size = nbytes * self._slots_per_segment
            if self.bytes_mapped + size > self._max_bytes:
                raise FramePoolFull(
                    f"{self.bytes_mapped >> 20} MiB of camera frames are still referenced; "
                    "frames are not being released (is the recorder far behind?)"
                )
            segment = len(self._maps)
            fd = os.memfd_create(f"leisaac-frames-{segment}", os.MFD_CLOEXEC)
            try:
                os.ftruncate(fd, size)
                self._maps[segment] = mmap.mmap(fd, size)
                self._announce(segment, size, fd)
            finally:
                os.close(fd)
            self.bytes_mapped += size
            for i in range(self._slots_per_segment):
                self._free[nbytes].append(Slot(segment, i * nbytes, nbytes))


class FrameWriter:
    """Host side: the segments the proxy announced, and the one copy into a slot."""

    def __init__(self) -> None:
        self._maps: dict[int, mmap.mmap] = {}

    def attach(self, segment: int, size: int, fd: int) -> None:
        try:
            self._maps[segment] = mmap.mmap(fd, size)
        finally:
            os.close(fd)

    def write(self, slot: Slot, image: np.ndarray) -> None:
        if image.dtype != np.uint8 or image.nbytes != slot.nbytes:
            raise ValueError(
                f"camera image {image.shape} {image.dtype} does not fit a {slot.nbytes}-byte slot"
            )
        target = np.ndarray(
            image.shape, np.uint8, buffer=self._maps[slot.segment], offset=slot.offset
        )
        np.copyto(target, image)

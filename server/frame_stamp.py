"""A frame's id and time, stamped into its pixels, so a browser can read them back off the
video it displays and measure glass-to-glass latency (from the simulation's frame to the
pixels shown) without trusting any timestamp the codec carries.

A strip along the bottom edge holds STAMP_BITS cells, black (0) or white (1), most
significant bit first: the frame id (16 bits), the frame's time in ms modulo 65536 (16 bits)
and a check byte (8 bits: the four bytes above XORed with 0x5A), so a misread strip is
rejected rather than misreported. Cells are at least MIN_CELL pixels wide: narrower ones
do not survive the codec, and such frames go unstamped. frontend/static/js/live_video.js
reads them.
"""

from __future__ import annotations

import numpy as np

STAMP_BITS = 40
MIN_CELL = 8


def stamp_geometry(width: int, height: int) -> tuple[int, int] | None:
    """(cell width, strip height) in pixels, or None where the frame is too small."""
    cell = width // STAMP_BITS
    if cell < MIN_CELL:
        return None
    return cell, max(8, (height // 30) // 2 * 2)


def stamp_bits(frame_id: int, time_ms: int) -> list[int]:
    a, b = (frame_id >> 8) & 0xFF, frame_id & 0xFF
    c, d = (time_ms >> 8) & 0xFF, time_ms & 0xFF
    check = a ^ b ^ c ^ d ^ 0x5A
    word = (a << 32) | (b << 24) | (c << 16) | (d << 8) | check
    return [(word >> (STAMP_BITS - 1 - i)) & 1 for i in range(STAMP_BITS)]


def stamp(image: np.ndarray, frame_id: int, time_ms: int) -> bool:
    """Stamp `image` (H x W x 3 uint8, written in place; never a frame the loop owns).
    Returns whether it was stamped."""
    height, width = image.shape[:2]
    geometry = stamp_geometry(width, height)
    if geometry is None:
        return False
    cell, strip = geometry
    rows = image[height - strip :, : cell * STAMP_BITS]
    levels = np.repeat(np.asarray(stamp_bits(frame_id, time_ms), dtype=np.uint8) * 255, cell)
    rows[:] = levels[None, :, None]
    return True


def read_stamp(image: np.ndarray) -> tuple[int, int] | None:
    """(frame id, time ms) from a stamped image, as the page reads it; None if unreadable."""
    height, width = image.shape[:2]
    geometry = stamp_geometry(width, height)
    if geometry is None:
        return None
    cell, strip = geometry
    row = image[height - strip // 2, : cell * STAMP_BITS].astype(np.int32).mean(axis=-1)
    bits = [int(row[i * cell + cell // 2] > 127) for i in range(STAMP_BITS)]
    word = 0
    for bit in bits:
        word = (word << 1) | bit
    a, b, c, d, check = ((word >> s) & 0xFF for s in (32, 24, 16, 8, 0))
    if a ^ b ^ c ^ d ^ 0x5A != check:
        return None
    return (a << 8) | b, (c << 8) | d

"""Deterministic synthetic camera frames whose index survives lossy video compression.

Used by tests, the benchmark and health checks where no simulator runs: the top band of each
frame carries the frame index as black/white blocks (readable after h264/AV1 at usual CRFs);
the rest is a moving gradient tinted per camera so a swapped camera is visible too.
"""

from __future__ import annotations

import numpy as np

CODE_BITS = 12
_CODE_ROWS_FRACTION = 6  # the code band is height // 6 tall


def synthetic_frame(index: int, height: int, width: int, camera: int = 0) -> np.ndarray:
    yy = np.arange(height, dtype=np.int32)[:, None]
    xx = np.arange(width, dtype=np.int32)[None, :]
    img = np.empty((height, width, 3), dtype=np.uint8)
    img[..., 0] = ((xx * 2 + index * 3) % 256).astype(np.uint8)
    img[..., 1] = ((yy * 2 + index * 2) % 256).astype(np.uint8)
    img[..., 2] = np.uint8((60 + 70 * camera) % 256)
    band = max(4, height // _CODE_ROWS_FRACTION)
    cell = width // CODE_BITS
    code = index % (1 << CODE_BITS)
    for bit in range(CODE_BITS):
        on = (code >> bit) & 1
        img[:band, bit * cell : (bit + 1) * cell] = 255 if on else 0
    return img


def read_frame_index(image: np.ndarray) -> int:
    """The index encoded by synthetic_frame, read from a (possibly lossy) decoded frame."""
    height, width = image.shape[:2]
    band = max(4, height // _CODE_ROWS_FRACTION)
    cell = width // CODE_BITS
    code = 0
    for bit in range(CODE_BITS):
        patch = image[
            band // 4 : band - band // 4, bit * cell + cell // 4 : (bit + 1) * cell - cell // 4
        ]
        if patch.mean() > 128:
            code |= 1 << bit
    return code


def synthetic_state(index: int, dims: int = 6) -> np.ndarray:
    return (np.arange(dims, dtype=np.float32) * 10 + index * 0.5).astype(np.float32)


def synthetic_action(index: int, dims: int = 6) -> np.ndarray:
    return (-np.arange(dims, dtype=np.float32) * 10 - index * 0.25).astype(np.float32)

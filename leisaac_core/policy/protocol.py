"""The OpenPI websocket wire format: msgpack with NumPy arrays as tagged maps.

Hand-written (a few lines) because `openpi-client` pins numpy<2 and pulls dm-tree and
pillow; the encoding is byte-compatible with its `msgpack_numpy` (tests check both ways).
Arrays travel as {"__ndarray__": True, "data", "dtype", "shape"}, NumPy scalars as
{"__npgeneric__": True, "data", "dtype"}. Object, void and complex dtypes are refused in
both directions: nothing is ever unpickled.
"""

from __future__ import annotations

from typing import Any

import msgpack
import numpy as np

_REFUSED_KINDS = ("V", "O", "c")


class ProtocolError(ValueError):
    """A message that is not valid OpenPI msgpack (or carries a refused dtype)."""


def _encode(obj: Any) -> Any:
    if isinstance(obj, np.ndarray | np.generic) and obj.dtype.kind in _REFUSED_KINDS:
        raise ProtocolError(f"cannot send arrays of dtype {obj.dtype}")
    if isinstance(obj, np.ndarray):
        return {
            b"__ndarray__": True,
            b"data": np.ascontiguousarray(obj).tobytes(),
            b"dtype": obj.dtype.str,
            b"shape": obj.shape,
        }
    if isinstance(obj, np.generic):
        return {b"__npgeneric__": True, b"data": obj.item(), b"dtype": obj.dtype.str}
    raise TypeError(f"cannot encode {type(obj).__name__} as msgpack")


def _decode(obj: dict[Any, Any]) -> Any:
    if b"__ndarray__" in obj or b"__npgeneric__" in obj:
        dtype = np.dtype(obj[b"dtype"])
        if dtype.kind in _REFUSED_KINDS:
            raise ProtocolError(f"refusing an array of dtype {dtype} (object arrays need pickle)")
        if b"__ndarray__" in obj:
            return np.frombuffer(obj[b"data"], dtype=dtype).reshape(obj[b"shape"])
        return dtype.type(obj[b"data"])
    return obj


def packb(obj: Any) -> bytes:
    return msgpack.packb(obj, default=_encode)


def unpackb(data: bytes) -> Any:
    try:
        return msgpack.unpackb(data, object_hook=_decode, strict_map_key=False)
    except ProtocolError:
        raise
    except Exception as exc:
        raise ProtocolError(f"not an OpenPI msgpack message: {exc}") from None

"""Our msgpack+numpy encoding is OpenPI's, byte for byte, and never unpickles anything."""

from __future__ import annotations

import msgpack
import numpy as np
import pytest

from leisaac_core.policy.protocol import ProtocolError, packb, unpackb

openpi = pytest.importorskip(
    "openpi_client.msgpack_numpy",
    reason="openpi-client not installed (bash .ci/setup --test installs it without its deps)",
)

MESSAGE = {
    "actions": np.arange(60, dtype=np.float32).reshape(10, 6),
    "observation.images.front": np.zeros((4, 6, 3), dtype=np.uint8),
    "scalar": np.float32(2.5),
    "flag": np.bool_(True),
    "task": "Lift the cube.",
    "nested": {"joint_radians": np.linspace(0, 1, 6)},
}


def _assert_same(a, b) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], dict):
            _assert_same(a[key], b[key])
        elif isinstance(a[key], np.ndarray):
            assert a[key].dtype == b[key].dtype
            np.testing.assert_array_equal(a[key], b[key])
        else:
            assert a[key] == b[key] and type(a[key]) is type(b[key])


def test_same_bytes_as_openpi_client() -> None:
    assert packb(MESSAGE) == openpi.packb(MESSAGE)


def test_round_trips_both_ways() -> None:
    _assert_same(unpackb(openpi.packb(MESSAGE)), MESSAGE)
    _assert_same(openpi.unpackb(packb(MESSAGE)), MESSAGE)


def test_object_arrays_are_refused_both_ways() -> None:
    with pytest.raises(ProtocolError, match="dtype object"):
        packb({"x": np.array([object()], dtype=object)})
    forged = msgpack.packb(
        {"x": {b"__ndarray__": True, b"data": b"\x80\x04N.", b"dtype": "|O", b"shape": [1]}}
    )
    with pytest.raises(ProtocolError, match="object"):
        unpackb(forged)


def test_garbage_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="not an OpenPI msgpack message"):
        unpackb(b"\xc1\xc1 not msgpack")

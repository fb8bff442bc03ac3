"""The remote leader's parts without a network: the clock estimate, the wire format, the
inbox and the device's hold and timing. The relay over real sockets is in
tests/server/test_remote_leader.py."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from leisaac_core.teleop import make_device_config, make_device_from_config
from leisaac_core.teleop.input_timing import ClockOffset, InputTiming
from leisaac_core.teleop.remote_leader.inbox import leader_inbox
from leisaac_core.teleop.remote_leader.relay import relay_url
from leisaac_core.teleop.remote_leader.wire import (
    ClockReport,
    Ping,
    Sample,
    WireError,
    parse_relay_message,
    sample_message,
)

REPO = Path(__file__).resolve().parents[2]


def test_clock_offset_keeps_the_round_trip_with_the_least_queueing() -> None:
    clock = ClockOffset(window=4)
    assert clock.offset_s is None
    # The remote clock is 5 s ahead. A slow trip (queued on the way back) misleads by half
    # its excess; the fast one wins.
    clock.add(t0=100.0, remote=105.30, t1=100.40)  # 0.4 s round trip, estimate +5.10
    clock.add(t0=101.0, remote=106.01, t1=101.02)  # 0.02 s round trip, estimate +5.00
    assert clock.rtt_s == pytest.approx(0.02)
    assert clock.offset_s == pytest.approx(5.0)
    clock.add(t0=102.0, remote=107.0, t1=101.9)  # our clock stepped back: ignored
    assert clock.rtt_s == pytest.approx(0.02)
    for i in range(4):  # the fast trip leaves the window
        clock.add(t0=110.0 + i, remote=115.05 + i, t1=110.1 + i)
    assert clock.rtt_s == pytest.approx(0.1)


def test_wire_messages_are_checked() -> None:
    sample = parse_relay_message(sample_message(3, 12.5, [1.0, -2.0, 3.0, 4.0, 5.0, 60.0]))
    assert sample == Sample(3, 12.5, (1.0, -2.0, 3.0, 4.0, 5.0, 60.0))
    assert parse_relay_message('{"type": "ping", "t": 1.5}') == Ping(1.5)
    assert parse_relay_message('{"type": "clock", "offset_s": 0.1, "rtt_s": 0.02}') == (
        ClockReport(0.1, 0.02)
    )
    bad = {
        "[]": "JSON objects",
        '{"type": "sample", "seq": 1, "t": 1, "pos": [1, 2]}': "6 joints",
        '{"type": "sample", "seq": 1, "t": 1, "pos": [1, 2, 3, 4, 5, NaN]}': "finite",
        '{"type": "sample", "seq": "x", "t": 1, "pos": [1, 2, 3, 4, 5, 6]}': "'seq'",
        '{"type": "hello"}': "unknown message type",
        "nope": "not JSON",
    }
    for text, words in bad.items():
        with pytest.raises(WireError, match=words):
            parse_relay_message(text)


def test_relay_url_from_the_dashboard_address() -> None:
    assert relay_url("https://box:8000", "desk") == "wss://box:8000/ws/leader?id=desk"
    assert relay_url("http://127.0.0.1:8000/", "leader") == (
        "ws://127.0.0.1:8000/ws/leader?id=leader"
    )
    assert relay_url("box:8000", "a") == "ws://box:8000/ws/leader?id=a"
    with pytest.raises(ValueError, match="https://host:8000"):
        relay_url("ftp://box", "a")


def test_device_holds_until_samples_come_and_when_they_stop() -> None:
    config = make_device_config("remote_leader", id="unit-arm", stale_after_ms=50)
    device = make_device_from_config(config)
    device.connect(None)  # type: ignore[arg-type]
    assert "waiting for the leader relay of arm 'unit-arm'" in device.hold_reason
    inbox = leader_inbox("unit-arm")
    connection = inbox.attach("test")
    inbox.set_clock(connection, offset_s=0.0, rtt_s=0.001)
    sent = time.time()
    inbox.put(connection, 1, sent, (1.0, 2.0, 3.0, 4.0, 5.0, 50.0))
    assert device.hold_reason == ""
    action = device.read(None)  # type: ignore[arg-type]
    assert action.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 50.0]
    device.read(None)  # type: ignore[arg-type]
    time.sleep(0.06)  # past the stale time: the arm holds
    assert "no sample from the leader relay of arm 'unit-arm' for" in device.hold_reason
    inbox.put(connection, 2, time.time(), (0.0,) * 6)
    assert device.hold_reason == ""
    inbox.detach(connection)  # a closed connection holds at once
    assert "disconnected" in device.hold_reason

    figures = device.input_timing.episode_figures()
    # Two ticks used the first sample (it arrived once), one sample arrived since: ages
    # from its making, in the server's clock, are positive and below the test's duration.
    assert 0 <= figures.latency_p50_ms <= figures.age_p50_ms <= figures.age_p99_ms < 1000
    assert figures.clock_offset_ms == 0.0
    health = device.health()
    assert not health.connected and health.details["samples"] == 2
    device.reset(seed=1)  # a new episode's figures start empty
    assert device.input_timing.episode_figures().age_p50_ms is None


def test_a_newer_relay_connection_takes_the_arm() -> None:
    inbox = leader_inbox("unit-arm-2")
    old = inbox.attach("a")
    new = inbox.attach("b")
    inbox.put(old, 1, time.time(), (9.0,) * 6)  # the old connection no longer counts
    assert inbox.latest() is None
    inbox.put(new, 1, time.time(), (1.0,) * 6)
    inbox.detach(old)
    assert inbox.connected and inbox.latest().positions.tolist() == [1.0] * 6


def test_input_timing_percentiles() -> None:
    timing = InputTiming()
    for ms in range(1, 101):
        timing.used(ms / 1e3)
    figures = timing.episode_figures()
    assert figures.age_p50_ms == pytest.approx(50.5)
    assert figures.age_p99_ms == pytest.approx(99.01)
    assert figures.latency_p50_ms is None


def test_relay_imports_no_simulation_or_web_server() -> None:
    """The relay runs on the operator's laptop with the base install: it never imports
    MuJoCo, a GPU library, the web server or the dataset writer."""
    code = (
        "import sys, server.cli.leader, leisaac_core.teleop.remote_leader.relay, "
        "leisaac_core.teleop.so101_leader.so101_leader\n"
        "heavy = {'mujoco', 'torch', 'fastapi', 'uvicorn', 'starlette', 'av', 'pyarrow', "
        "'aiortc', 'simplejpeg', 'OpenGL'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"

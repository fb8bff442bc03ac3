"""`leisaac-dashboard leader read|calibrate` run as real subprocesses on the simulated bus's
pty (and socket), as a user would run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from leisaac_core.so101 import JOINT_FEATURE_NAMES
from tests.support.sts3215_bus import SimulatedBus

REPO = Path(__file__).resolve().parents[2]
CALIBRATION = {
    joint: {"id": i, "drive_mode": 0, "homing_offset": 0, "range_min": 1000, "range_max": 3000}
    for i, joint in enumerate(
        ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"), 1
    )
}


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "server.cli", *args]


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli(*args), capture_output=True, text=True, timeout=timeout, cwd=REPO, env=_env()
    )


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO))


@pytest.fixture
def sim() -> Iterator[SimulatedBus]:
    with SimulatedBus("pty") as bus:
        yield bus


@pytest.fixture
def calibration_file(tmp_path: Path) -> Path:
    path = tmp_path / "leader.json"
    path.write_text(json.dumps(CALIBRATION, indent=4))
    return path


@pytest.mark.parametrize("transport", ["pty", "tcp"])
def test_read_prints_n_json_lines(transport: str, calibration_file: Path) -> None:
    with SimulatedBus(transport) as sim:
        sim.set_positions([1000, 3000, 2000, 1500, 2500, 2500])
        result = run_cli(
            "leader",
            "read",
            "--port",
            sim.url,
            "--calibration",
            str(calibration_file),
            "--count",
            "5",
            "--hz",
            "200",
        )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    for line in lines:
        reading = json.loads(line)
        assert list(reading) == list(JOINT_FEATURE_NAMES)
        assert reading == {
            "shoulder_pan.pos": -100.0,
            "shoulder_lift.pos": 100.0,
            "elbow_flex.pos": 0.0,
            "wrist_flex.pos": -50.0,
            "wrist_roll.pos": 50.0,
            "gripper.pos": 75.0,
        }


def test_read_with_a_missing_port_fails_with_one_line(
    calibration_file: Path, tmp_path: Path
) -> None:
    result = run_cli(
        "leader",
        "read",
        "--port",
        str(tmp_path / "ttyACM0"),
        "--calibration",
        str(calibration_file),
        "--count",
        "1",
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert (
        lines[0].startswith("error: leader arm: cannot open serial port")
        and "Check the port name" in lines[0]
    )


def test_read_with_a_missing_calibration_file_fails_with_one_line(
    sim: SimulatedBus, tmp_path: Path
) -> None:
    result = run_cli(
        "leader",
        "read",
        "--port",
        sim.url,
        "--calibration",
        str(tmp_path / "nope.json"),
        "--count",
        "1",
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: leader arm: no calibration file at {tmp_path / 'nope.json'}; run `leisaac-dashboard leader "
        "calibrate` or pass the path of an existing lerobot calibration file"
    ]


def test_read_on_an_unplugged_arm_fails_with_one_line(
    sim: SimulatedBus, calibration_file: Path
) -> None:
    sim.unplug()
    result = run_cli(
        "leader", "read", "--port", sim.url, "--calibration", str(calibration_file), "--count", "1"
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "no such device" in result.stderr


def test_read_with_a_dead_servo_names_it(sim: SimulatedBus, calibration_file: Path) -> None:
    sim.servos[5].alive = False
    result = run_cli(
        "leader", "read", "--port", sim.url, "--calibration", str(calibration_file), "--count", "1"
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "wrist_roll (id 5)" in result.stderr


def test_read_stops_with_an_error_when_unplugged_mid_stream(
    sim: SimulatedBus, calibration_file: Path
) -> None:
    proc = subprocess.Popen(
        cli(
            "leader",
            "read",
            "--port",
            sim.url,
            "--calibration",
            str(calibration_file),
            "--hz",
            "50",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=_env(),
    )
    try:
        assert proc.stdout is not None
        for _ in range(3):
            json.loads(proc.stdout.readline())
        sim.unplug()
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "lost serial port" in err and len(err.strip().splitlines()) == 1


def test_calibrate_interactively_saves_the_file(sim: SimulatedBus, tmp_path: Path) -> None:
    output = tmp_path / "out" / "arm.json"
    mid = [1000, 3000, 2000, 2500, 100, 1500]
    sim.set_positions(mid)
    proc = subprocess.Popen(
        cli("leader", "calibrate", "--port", sim.url, "--output", str(output)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=_env(),
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        _wait_for(proc.stdout, "Step 1/2")
        proc.stdin.write("\n")
        proc.stdin.flush()
        _wait_for(proc.stdout, "Step 2/2")
        for offset in (-600, 600):
            sim.set_positions([p + offset for p in mid])
            time.sleep(0.4)  # the CLI samples ~10 times a second
        proc.stdin.write("\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert f"Saved calibration to {output}" in out
    saved = json.loads(output.read_text())
    assert saved["shoulder_pan"] == {
        "id": 1,
        "drive_mode": 0,
        "homing_offset": 1000 - 2047,
        "range_min": 2047 - 600,
        "range_max": 2047 + 600,
    }
    assert saved["wrist_roll"]["range_min"] == 0 and saved["wrist_roll"]["range_max"] == 4095


def test_calibrate_with_stdin_closed_saves_nothing(sim: SimulatedBus, tmp_path: Path) -> None:
    output = tmp_path / "arm.json"
    result = subprocess.run(
        cli("leader", "calibrate", "--port", sim.url, "--output", str(output)),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=_env(),
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: calibration not saved: standard input closed")
    assert not output.exists()


def test_calibrate_on_a_bad_port_fails_with_one_line(tmp_path: Path) -> None:
    result = run_cli(
        "leader",
        "calibrate",
        "--port",
        str(tmp_path / "ttyUSB3"),
        "--output",
        str(tmp_path / "x.json"),
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: calibration not saved: cannot open serial port '{tmp_path / 'ttyUSB3'}': no such device. "
        "Check the port name (ls /dev/ttyACM* /dev/serial/by-id/) and that the arm's USB cable is plugged in"
    ]


def _wait_for(stream: object, text: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = stream.readline()  # type: ignore[attr-defined]
        if not line:
            break
        seen.append(line)
        if text in line:
            return
    raise AssertionError(f"{text!r} not printed; got {''.join(seen)!r}")

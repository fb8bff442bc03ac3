"""SO-101 leader read rate and CPU cost, against the simulated STS3215 bus.

Anchor: the least code that can read the six positions: write the fixed SYNC_READ packet
with pyserial and read the 48 reply bytes, no parsing, no checks. Ours: `SO101Leader.read()`
(the same exchange plus packet validation, retries armed, sign decoding and normalization).
The simulated bus runs in a separate process so the CPU time measured here is the reader's
alone. Both run on the same bus in the same run, with and without 1 Mbaud wire timing; the
table reports reads/s, CPU per read, and the share of one core a 30 Hz loop spends on the bus.

Writes bench/results/leader.json and prints a table.

    .venv/bin/python bench/leader.py [--reads 2000]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import serial  # noqa: E402

from leisaac_core.motors.feetech import protocol  # noqa: E402
from leisaac_core.teleop.so101_leader.config import SO101LeaderConfig  # noqa: E402
from leisaac_core.teleop.so101_leader.so101_leader import SO101Leader  # noqa: E402

IDS = [1, 2, 3, 4, 5, 6]
CALIBRATION = {
    joint: {"id": i, "drive_mode": 0, "homing_offset": 0, "range_min": 0, "range_max": 4095}
    for i, joint in enumerate(
        ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"), 1
    )
}


def start_bus(wire_timing: bool) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "tests.support.sts3215_bus", "--transport", "pty"]
    if wire_timing:
        cmd.append("--wire-timing")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "simulated STS3215 bus on <url>; Ctrl+C to stop"
    return proc, line.split(" on ", 1)[1].split(";", 1)[0]


def measure(read_once, reads: int) -> dict[str, float]:
    for _ in range(20):  # warm-up
        read_once()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(reads):
        read_once()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {
        "reads_per_s": reads / wall,
        "wall_ms_per_read": wall / reads * 1e3,
        "cpu_ms_per_read": cpu / reads * 1e3,
        "cpu_share_at_30hz": cpu / reads * 30,
    }


def anchor(url: str, reads: int) -> dict[str, float]:
    packet = protocol.sync_read_packet(56, 2, IDS)
    port = serial.serial_for_url(url, baudrate=1_000_000, timeout=0.05)
    # the anchor must also run with no return delay, as the leader configures the servos
    for motor_id in IDS:
        port.write(protocol.write_packet(motor_id, 7, b"\x00"))
        port.read(6)

    def read_once() -> None:
        port.write(packet)
        if len(port.read(48)) != 48:
            raise RuntimeError("anchor read came back short")

    try:
        return measure(read_once, reads)
    finally:
        port.close()


def ours(url: str, reads: int, calibration: Path) -> dict[str, float]:
    leader = SO101Leader(SO101LeaderConfig(port=url, calibration_path=calibration))
    leader.connect(None)
    try:
        result = measure(lambda: leader.read(None), reads)
        result["errors"] = leader.health().errors
        return result
    finally:
        leader.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        calibration = Path(tmp) / "leader.json"
        calibration.write_text(json.dumps(CALIBRATION))
        results: dict[str, dict[str, dict[str, float]]] = {}
        for wire_timing in (False, True):
            label = "wire_1mbaud" if wire_timing else "no_wire_timing"
            proc, url = start_bus(wire_timing)
            try:
                results[label] = {
                    "anchor": anchor(url, args.reads),
                    "ours": ours(url, args.reads, calibration),
                }
            finally:
                proc.terminate()
                proc.wait(timeout=10)

    for row in results.values():
        row["ratio"] = {
            "wall_ours_over_anchor": row["ours"]["wall_ms_per_read"]
            / row["anchor"]["wall_ms_per_read"],
            "cpu_ours_over_anchor": row["ours"]["cpu_ms_per_read"]
            / row["anchor"]["cpu_ms_per_read"],
        }
    out = {
        "bench": "leader",
        "reads": args.reads,
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "results": results,
    }
    path = ROOT / "bench" / "results" / "leader.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")

    print(f"{'bus':<16}{'reader':<8}{'reads/s':>10}{'wall ms':>10}{'cpu ms':>10}{'cpu@30Hz':>10}")
    for label, row in results.items():
        for who in ("anchor", "ours"):
            r = row[who]
            print(
                f"{label:<16}{who:<8}{r['reads_per_s']:>10.0f}{r['wall_ms_per_read']:>10.3f}"
                f"{r['cpu_ms_per_read']:>10.3f}{r['cpu_share_at_30hz'] * 100:>9.2f}%"
            )
        ratio = row["ratio"]
        print(
            f"{label:<16}{'ratio':<8}{'':>10}{ratio['wall_ours_over_anchor']:>10.2f}"
            f"{ratio['cpu_ours_over_anchor']:>10.2f}"
        )
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

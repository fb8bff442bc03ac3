"""A leader relay driving a served session, directly on loopback and through a 50 ms delay.

The operator's side runs as in tests/server/test_remote_leader.py (tests/support/relay_rig):
the simulated STS3215 bus on a pty and `leisaac-dashboard leader relay`, each in its own
process; the server is a real uvicorn server on loopback. Per condition, one episode of
`--seconds` of so101_pick_orange at 30 fps (64x48 cameras: the relay's timing is measured,
not the renderer), with the issue's default stale time (200 ms). Figures are the server's
own, measured every tick and stored with the episode: the sample age at the tick that used
it (p50/p99), the one-way latency (with the relay's clock-offset estimate), the pauses, and
the loop's achieved fps and period p99.

Targets (issue 25): age p99 <= 2 ticks on loopback; through the delay, the session holds
30 Hz with no pause and the age shows the delay (p99 <= 50 ms + 2 ticks). Timing figures:
run on an idle machine, one benchmark at a time. Writes bench/results/relay.json and prints
a table.

    flock /tmp/leisaac-bench.lock .venv/bin/python bench/relay.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leisaac_core.sim.mujoco.cost import cpu_model  # noqa: E402
from tests.support.delay_proxy import DelayProxy  # noqa: E402
from tests.support.live_server import make_server  # noqa: E402
from tests.support.relay_rig import (  # noqa: E402
    FPS,
    TICK_MS,
    OperatorArm,
    Relay,
    relay_session_body,
    write_calibration,
)

RESULT = ROOT / "bench" / "results" / "relay.json"


def run_condition(name: str, delay_s: float, seconds: float, tmp: Path) -> dict[str, Any]:
    server = make_server(tmp / name / "datasets").start()
    bus = OperatorArm()
    calibration = write_calibration(tmp / f"{name}.json")
    proxy = DelayProxy(server.port, delay_s=delay_s) if delay_s else None
    try:
        with proxy or nullcontext():
            port = proxy.port if proxy else server.port
            relay = Relay(bus, calibration, f"http://127.0.0.1:{port}", tmp / f"{name}.log")
            relay.start()
            try:
                with server.client() as http:
                    body = relay_session_body(f"bench/{name}", episodes=1)
                    response = http.post("/api/session", json=body)
                    response.raise_for_status()
                    _wait(http, lambda s: s["phase"] == "recording" and not s["paused"])
                    frames = FPS * seconds
                    _wait(http, lambda s: s["frames_recorded"] >= frames, seconds * 4 + 60)
                    http.post("/api/session/success").raise_for_status()
                    _wait(http, lambda s: s["phase"] == "idle", 120)
                    episode = http.get(f"/api/datasets/bench/{name}/episodes").json()[0]
            finally:
                relay.stop()
    finally:
        bus.stop()
        server.stop()
    timing = episode["input_timing"]
    age_target = delay_s * 1e3 + 2 * TICK_MS
    return {
        "condition": name,
        "delay_ms": delay_s * 1e3,
        "frames": episode["length"],
        "fps_achieved": episode["fps_achieved"],
        "period_p99_ms": episode["period_p99_ms"],
        **timing,
        "age_p99_target_ms": age_target,
        "met": timing["input_age_p99_ms"] <= age_target
        and timing["input_pauses"] == 0
        and episode["fps_achieved"] >= 0.98 * FPS,
    }


def _wait(http: Any, done: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done(http.get("/api/session").json()):
            return
        time.sleep(0.05)
    raise TimeoutError("the session did not get there in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="recorded per condition")
    args = parser.parse_args()
    with TemporaryDirectory() as tmp:
        rows = [
            run_condition("loopback", 0.0, args.seconds, Path(tmp)),
            run_condition("delay_50ms", 0.050, args.seconds, Path(tmp)),
        ]
    result = {
        "machine": {"cpu": cpu_model(), "cpus": os.cpu_count(), "load_1min": os.getloadavg()[0]},
        "fps": FPS,
        "seconds": args.seconds,
        "rows": rows,
    }
    RESULT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{cpu_model()}, load {os.getloadavg()[0]:.1f}")
    print(
        f"{'condition':<11} {'fps':>6} {'p99 ms':>7} {'age p50':>8} {'age p99':>8} "
        f"{'target':>7} {'lat p50':>8} {'lat p99':>8} {'offset':>7} {'pauses':>6}  met"
    )
    for r in rows:
        print(
            f"{r['condition']:<11} {r['fps_achieved']:6.2f} {r['period_p99_ms']:7.1f} "
            f"{r['input_age_p50_ms']:8.1f} {r['input_age_p99_ms']:8.1f} "
            f"{r['age_p99_target_ms']:7.1f} {r['input_latency_p50_ms']:8.1f} "
            f"{r['input_latency_p99_ms']:8.1f} {r['input_clock_offset_ms']:7.1f} "
            f"{r['input_pauses']:6d}  {'yes' if r['met'] else 'NO'}"
        )
    print(f"saved {RESULT}")


if __name__ == "__main__":
    main()

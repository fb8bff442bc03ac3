"""The live video (WebRTC) beside the JPEG thumbnails, and what two viewers cost the loop.

A real server process (`leisaac-dashboard serve`, WebRTC on loopback) records a paced
scripted session: so101_pick_orange, both cameras at 640x480, 30 fps, episodes of 10 s
(each ends by its limit, so every one is 300 ticks). Two Chromium pages (Debian's chromium,
headless, each its own context: two operators) show the dashboard. Episodes alternate
between two conditions, switched in the reset period between them:

- none: the pages show the JPEG thumbnails only (the anchor);
- webrtc x2: both pages also play the front camera over WebRTC.

Per condition: the loop period p50/p99 as the session measures it (every tick of every
episode), the ratio webrtc/none (target p99 <= 1.05x); and from page 1, in the same run,
glass-to-glass latency of the WebRTC view (each displayed frame's stamp read back) and of
the JPEG thumbnails (each thumbnail from its making to its drawing), both in the server's
clock by the page's ping offset estimate, p50/p99 over every frame shown, and kbit/s; from
the server (GET /api/live), the frames its viewers were sent and dropped (behind: skipped to
a keyframe).
The browsers stand in for the operators' own machines: on a real setup they decode
elsewhere, here they share the server's cores, so Chromium (and every process and thread it
starts) runs at the lowest priority: SCHED_IDLE (`chrt --idle 0`) and `nice -n 19`. Nice
alone does not hold: Chromium, run as root here, sets its own threads' nice (-8 for display
threads), but not their policy, and it moves a few threads to another policy itself: a
thread of this bench puts them back every 0.2 s. Where the kernel offers it (a cpu cgroup
with `cpu.idle`, Linux 5.15+, and the right to make one: root here), Chromium also runs in
a cgroup of its own marked idle: then the whole group yields to the server whatever policy
its threads take, and the idler is a second fence. The JSON says which ("browsers_cgroup")
with what it found: each episode, the browser's threads not in SCHED_IDLE at its end, and
how many moves the idler made in all. The server is not niced; its video encoder thread is,
below the loop (live_encoder.ENCODER_NICE).
Writes bench/results/live_view.json and prints a table.

    flock /tmp/leisaac-bench.lock .venv/bin/python bench/live_view.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leisaac_core.sim.mujoco.cost import cpu_model  # noqa: E402
from server.live_encoder import BITRATE, ENCODER_NICE  # noqa: E402
from tests.support.live_server import free_port  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
EPISODE_S = 10.0
BROWSER_NICE = 19


CPU_CGROUP_ROOTS = (Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup"))  # v1, then v2


def idle_cgroup() -> Path | None:
    """A new cpu cgroup marked idle (`cpu.idle` = 1), or None where the kernel or our rights
    do not allow one. Its tasks, as a group, get only the CPU time no other group wants."""
    for root in CPU_CGROUP_ROOTS:
        # Only a real cgroup mount: under v1 /sys/fs/cgroup is a tmpfs, where mkdir and the
        # write would succeed as plain files and mark nothing idle.
        if not (root / "cpu.idle").exists() and not (root / "cgroup.subtree_control").exists():
            continue
        group = root / f"leisaac-bench-browsers-{os.getpid()}"
        try:
            group.mkdir(exist_ok=True)
            (group / "cpu.idle").write_text("1\n")
            return group
        except OSError:
            remove_cgroup(group)
    return None


def remove_cgroup(group: Path | None) -> None:
    if group is not None:
        with contextlib.suppress(OSError):  # it empties only once its tasks are gone
            group.rmdir()


def niced_chromium(folder: Path, cgroup: Path | None) -> tuple[Path, Path]:
    """Chromium at the lowest priority: Playwright launches the script, which writes its pid,
    joins the idle cgroup (if any) and becomes Chromium (exec keeps the pid); the processes
    and threads Chromium starts inherit all three. Returns the script and the pid file."""
    script, pid_file = folder / "chromium-niced", folder / "chromium.pid"
    join = f"echo $$ > {cgroup / 'cgroup.procs'}\n" if cgroup is not None else ""
    script.write_text(
        f"#!/bin/sh\necho $$ > {pid_file}\n{join}"
        f'exec chrt --idle 0 nice -n {BROWSER_NICE} {CHROMIUM} "$@"\n'
    )
    script.chmod(0o755)
    return script, pid_file


SCHED_IDLE = 5  # the policy field of /proc/<pid>/task/<tid>/stat
IDLER_PERIOD_S = 0.2


def browser_threads(root_pid: int) -> tuple[int, int]:
    """(threads, threads not in SCHED_IDLE) of the browser's processes now."""
    tasks = browser_tasks(root_pid)
    return len(tasks), sum(policy != SCHED_IDLE for _, policy in tasks)


class BrowserIdler(threading.Thread):
    """Puts back in SCHED_IDLE, every IDLER_PERIOD_S, each browser thread that left it:
    Chromium moves a few of its own (display and audio threads) to another policy, and on
    an operator's own machine none of them would take the loop's cores. Counts the moves."""

    def __init__(self, root_pid: int) -> None:
        super().__init__(name="browser-idler", daemon=True)
        self.root_pid = root_pid
        self.moved = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(IDLER_PERIOD_S):
            for tid, policy in browser_tasks(self.root_pid):
                if policy != SCHED_IDLE:
                    try:
                        os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
                        self.moved += 1
                    except OSError:  # gone, or a real-time thread root may not demote
                        pass


def browser_tasks(root_pid: int) -> list[tuple[int, int]]:
    """(thread id, scheduling policy) of every thread of the browser's processes now."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    pids, tasks = [root_pid], []
    while pids:
        pid = pids.pop()
        pids += children.get(pid, [])
        for task in Path(f"/proc/{pid}/task").glob("*/stat"):
            try:
                policy = int(task.read_text().rsplit(")", 1)[1].split()[38])
            except (OSError, IndexError, ValueError):
                continue
            tasks.append((int(task.parent.name), policy))
    return tasks


def serve(root: Path, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), LEISAAC_WEBRTC_LOOPBACK_ONLY="true")
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port),
         "--dataset-root", str(root), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the server did not start within 60 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3, help="episodes per condition")
    parser.add_argument("--camera-size", default="640x480")
    args = parser.parse_args()
    width, height = (int(v) for v in args.camera_size.split("x"))

    from playwright.sync_api import sync_playwright
    from websockets.sync.client import connect

    load_before = os.getloadavg()
    port = free_port()
    cgroup = idle_cgroup()
    with TemporaryDirectory() as tmp:
        server = serve(Path(tmp), port)
        url = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=url, timeout=60) as http, sync_playwright() as pw:
                body = {
                    "episodes": 1000,
                    "env": {"task": "so101_pick_orange", "camera_width": width,
                            "camera_height": height, "fps": 30},
                    "devices": [{"type": "scripted"}],
                    "dataset": {"repo_id": "bench/live_view"},
                    "episode": {"time_s": EPISODE_S, "reset_time_s": 4, "realtime": True,
                                "max_consecutive_failures": 1000, "seed": 0},
                }  # fmt: skip
                response = http.post("/api/session", json=body)
                assert response.status_code == 201, response.text
                script, pid_file = niced_chromium(Path(tmp), cgroup)
                browser = pw.chromium.launch(executable_path=script, args=CHROMIUM_ARGS)
                browser_pid = int(pid_file.read_text())
                idler = BrowserIdler(browser_pid)
                idler.start()
                pages = []
                for _ in range(2):
                    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                    page.goto(url)
                    page.wait_for_function("window.leisaac && window.leisaac.ready")
                    pages.append(page)
                ws = connect(f"ws://127.0.0.1:{port}/ws")
                results = run_rounds(ws, http, pages, args.rounds, browser_pid)
                idler.stopping.set()
                results["browser_threads_moved_back_to_idle"] = idler.moved
                browser.close()
                http.post("/api/session/stop")
        finally:
            server.terminate()
            server.wait(timeout=120)
            remove_cgroup(cgroup)
    report(results, args, load_before, os.getloadavg(), cgroup)
    return 0


def set_video(pages: list, on: bool) -> None:
    for page in pages:
        wanted = page.evaluate("window.leisaac.liveVideo.wanted")
        if wanted != on:
            page.click("#live-video-toggle")
    if on:
        for page in pages:
            page.wait_for_function(
                "window.leisaac.liveVideo.figures().mode === 'webrtc'", timeout=30_000
            )


def page_figures(page) -> dict:
    """Every frame page 1 showed in the episode: WebRTC and thumbnails, p50/p99 and kbit/s."""
    return page.evaluate(
        """() => {
          const v = window.leisaac.liveVideo;
          const lat = [...v.latencies];
          const cams = window.leisaac.live.cameras;
          const jpeg = [];
          let bytes = 0;
          for (const tile of cams.tiles.values()) { jpeg.push(...tile.latencies); bytes += tile.bytes; }
          return { webrtc: lat, jpeg, jpegBytes: bytes, kbitS: v.kbitS, codec: v.codec,
                   shown: v.framesShown, unreadable: v.framesUnreadable, skipped: v.framesSkipped };
        }"""
    )


def reset_page_figures(page) -> None:
    page.evaluate(
        """() => { const v = window.leisaac.liveVideo; v.latencies = []; v.framesShown = 0;
                   v.framesUnreadable = 0; v.framesSkipped = 0;
                   for (const t of window.leisaac.live.cameras.tiles.values()) { t.latencies = []; t.bytes = 0; } }"""
    )


def run_rounds(ws, http: httpx.Client, pages: list, rounds: int, browser_pid: int) -> dict:
    """Alternate the conditions episode by episode; collect every episode's timing."""
    conditions = ["none", "webrtc x2"] * rounds
    out: dict = {c: {"timings": [], "webrtc_ms": [], "jpeg_ms": [], "kbit_s": [],
                     "jpeg_kbit_s": [], "codec": "", "frames": 0, "unreadable": 0,
                     "browser_threads": [], "server_sent": 0, "server_dropped": 0}
                 for c in ("none", "webrtc x2")}  # fmt: skip
    with ws:
        wait_for(ws, {"reset_started"})  # the first episode is warm-up: start at a boundary
        for condition in conditions:
            set_video(pages, condition != "none")
            wait_for(ws, {"episode_started"})
            reset_page_figures(pages[0])
            started = time.monotonic()
            ended = wait_for(ws, {"episode_timeout", "episode_succeeded", "episode_failure"})
            out[condition]["browser_threads"].append(browser_threads(browser_pid))
            viewers = http.get("/api/live").json()  # this episode's connections (and reset's)
            seconds = time.monotonic() - started
            figures = page_figures(pages[0])
            record = out[condition]
            record["timings"].append(ended["data"]["timing"])
            record["jpeg_ms"] += figures["jpeg"]
            record["jpeg_kbit_s"].append(figures["jpegBytes"] * 8 / 1e3 / seconds)
            if condition != "none":
                record["webrtc_ms"] += figures["webrtc"]
                record["kbit_s"].append(figures["kbitS"])
                record["codec"] = figures["codec"]
                record["frames"] += figures["shown"]
                record["unreadable"] += figures["unreadable"]
                record["server_sent"] += sum(v["frames_sent"] for v in viewers)
                record["server_dropped"] += sum(v["frames_dropped"] for v in viewers)
            print(f"  {condition:10} episode: p99 {ended['data']['timing']['period_p99_ms']:.2f} ms",
                  flush=True)  # fmt: skip
        set_video(pages, False)
    return out


def wait_for(ws, kinds: set[str], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = ws.recv(timeout=deadline - time.monotonic())
        if isinstance(message, str):
            data = json.loads(message)
            if data.get("type") == "event" and data["kind"] in kinds:
                return data
    raise TimeoutError(f"no {kinds} within {timeout} s")


def _pct(values: list[float], q: float) -> float | None:
    return float(np.percentile(np.asarray(values), q)) if values else None


def report(
    results: dict, args: argparse.Namespace, load_before, load_after, cgroup: Path | None
) -> None:
    rows = {}
    moved = results.pop("browser_threads_moved_back_to_idle")
    for condition, record in results.items():
        timings = record["timings"]
        rows[condition] = {
            "episodes": len(timings),
            "period_p50_ms": float(np.mean([t["period_p50_ms"] for t in timings])),
            "period_p99_ms": float(np.max([t["period_p99_ms"] for t in timings])),
            "period_p99_ms_each": [t["period_p99_ms"] for t in timings],
            "achieved_fps": float(np.mean([t["achieved_fps"] for t in timings])),
            "jpeg_latency_p50_ms": _pct(record["jpeg_ms"], 50),
            "jpeg_latency_p99_ms": _pct(record["jpeg_ms"], 99),
            "jpeg_kbit_s": float(np.mean(record["jpeg_kbit_s"])),
            "webrtc_latency_p50_ms": _pct(record["webrtc_ms"], 50),
            "webrtc_latency_p99_ms": _pct(record["webrtc_ms"], 99),
            "webrtc_kbit_s": float(np.mean(record["kbit_s"])) if record["kbit_s"] else None,
            "webrtc_codec": record["codec"],
            "webrtc_frames_measured": len(record["webrtc_ms"]),
            "webrtc_frames_unreadable": record["unreadable"],
            "webrtc_server_frames_sent": record["server_sent"],
            "webrtc_server_frames_dropped": record["server_dropped"],
            "browser_threads_each": [t for t, _ in record["browser_threads"]],
            "browser_threads_not_idle_each": [n for _, n in record["browser_threads"]],
        }
    none, webrtc = rows["none"], rows["webrtc x2"]
    result = {
        "camera_size": args.camera_size,
        "fps": 30,
        "episode_s": EPISODE_S,
        "rounds": args.rounds,
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "load_before": load_before,
        "load_after": load_after,
        "python": platform.python_version(),
        "browsers_niced": True,
        "browsers_policy": "SCHED_IDLE",
        "browsers_nice": BROWSER_NICE,
        "browser_threads_moved_back_to_idle": moved,
        "browsers_cgroup": str(cgroup) if cgroup is not None else None,
        "browsers_cgroup_idle": cgroup is not None,
        "encoder_nice": ENCODER_NICE,
        "webrtc_bitrate_cap_kbit_s": BITRATE / 1e3,
        "conditions": rows,
        "ratio_p99_webrtc_over_none": webrtc["period_p99_ms"] / none["period_p99_ms"],
        "ratio_p50_webrtc_over_none": webrtc["period_p50_ms"] / none["period_p50_ms"],
    }
    out = ROOT / "bench" / "results" / "live_view.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"\nlive view at {args.camera_size} 30 fps, {args.rounds} episode(s) of {EPISODE_S:g} s per "
        f"condition; {result['cpu']}, {result['cores']} cores, load {load_before[0]:.1f} -> "
        f"{load_after[0]:.1f}; Chromium at SCHED_IDLE ({moved} of its threads moved back"
        f"{', in an idle cgroup' if cgroup else ', no idle cgroup'}), "
        f"the encoder at nice {ENCODER_NICE}"
    )
    print(
        f"{'':12}{'loop p50':>10}{'loop p99':>10}{'fps':>7}   {'view':<22}{'g2g p50':>9}{'g2g p99':>9}{'kbit/s':>9}"
    )
    for name, row in rows.items():
        print(
            f"{name:12}{row['period_p50_ms']:10.2f}{row['period_p99_ms']:10.2f}{row['achieved_fps']:7.2f}   "
            f"{'JPEG thumbnails (all)':<22}{_ms(row['jpeg_latency_p50_ms'])}{_ms(row['jpeg_latency_p99_ms'])}{row['jpeg_kbit_s']:9.0f}"
        )
        if row["webrtc_latency_p50_ms"] is not None:
            print(
                f"{'':39}{'WebRTC ' + row['webrtc_codec'] + ' (front)':<22}{_ms(row['webrtc_latency_p50_ms'])}"
                f"{_ms(row['webrtc_latency_p99_ms'])}{row['webrtc_kbit_s']:9.0f}"
            )
    print(
        f"loop p99 webrtc x2 / none: {result['ratio_p99_webrtc_over_none']:.3f} (target <= 1.05); "
        f"p50 {result['ratio_p50_webrtc_over_none']:.3f}"
    )


def _ms(value: float | None) -> str:
    return f"{value:9.1f}" if value is not None else f"{'-':>9}"


if __name__ == "__main__":
    sys.exit(main())

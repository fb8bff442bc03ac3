"""The learning loop end to end, at its smallest (`bench/learning.py --size tiny`): two scripted
lift-cube episodes recorded by `leisaac-dashboard record`, 4 steps of ACT trained on them by
lerobot's own `lerobot-train` in the lerobot venv, the checkpoint served by `leisaac-dashboard
policy serve --policy` there, evaluated by `leisaac-dashboard eval` beside the scripted expert
served over the same wire. Four steps teach nothing: this proves the plumbing (a checkpoint is
written, it loads and serves with our data's features, evaluation completes with a report),
not the policy."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.compat


def test_tiny_record_train_serve_evaluate(lerobot_python: Path, tmp_path: Path) -> None:
    work, out = tmp_path / "work", tmp_path / "learning.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "learning.py"), "--size", "tiny"]
        + ["--lerobot-python", str(lerobot_python), "--workdir", str(work), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-4000:]
    results = json.loads(out.read_text())
    [run] = results["runs"]
    assert run["task"] == "so101_lift_cube"

    demos = run["demonstrations"]
    assert demos["episodes"] == 2 and demos["frames"] > 2 * 50
    assert demos["robot_type"] == "so_follower"
    assert {"observation.state", "action", "observation.images.front"} <= set(demos["features"])

    [act] = run["policies"]
    assert act["policy"] == "act" and act["steps"] == 4 and not act["stopped_by_budget"]
    assert [step for step, _ in act["loss_curve"]] == [1, 2, 3, 4]
    assert all(math.isfinite(loss) and loss > 0 for _, loss in act["loss_curve"])
    checkpoint = Path(act["checkpoint"])
    assert checkpoint == work / "so101_lift_cube" / "train_act" / "checkpoints" / "000004" / (
        "pretrained_model"
    )
    for name in ("config.json", "model.safetensors", "train_config.json"):
        assert (checkpoint / name).is_file(), name
    # It serves with our data's features, and declares the units it was trained in (read
    # from the training dataset), so a session of the other identity would be refused.
    served = act["served"]
    assert served["name"].startswith("lerobot:act:") and served["action_dim"] == 6
    assert served["image_size"] == [48, 64] and served["robot_type"] == "so_follower"

    # Evaluation completes on the fixed held-out seeds, every outcome in its report.
    for evaluation, episodes in ((act["eval"], 2), (act["eval_realtime"], 1), (run["expert"], 2)):
        assert evaluation["episodes"] == episodes == len(evaluation["outcomes"])
        assert set(evaluation["outcomes"]) <= {"success", "timeout", "failure"}
        report = json.loads(Path(evaluation["report"]).read_text())
        assert [o["seed"] for o in report["per_seed"]] == list(range(1000, 1000 + episodes))
        low, high = evaluation["wilson_95"]
        assert 0 <= low <= evaluation["success_rate"] <= high <= 1
    # Nothing failed on the wire: the untrained policy's episodes end without a success, and
    # none of them because of the policy server.
    report = json.loads(Path(act["eval"]["report"]).read_text())
    for outcome in report["per_seed"]:
        assert outcome["outcome"] != "success" and "policy server" not in outcome["reason"]
        assert outcome["ticks"] > 0
    assert act["eval_realtime"]["realtime"] and not act["eval"]["realtime"]
    # The expert over the wire lifts the cube on seed 1000 (3.2 s of its 5).
    assert run["expert"]["outcomes"][0] == "success"
    assert "so101_lift_cube | act" in proc.stdout  # the printed table

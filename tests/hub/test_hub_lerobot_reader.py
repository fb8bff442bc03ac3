"""What a push publishes loads in lerobot's REAL reader: push a dataset from the product's
writer, download tag v3.0 with snapshot_download, load it with LeRobotDataset (lerobot 0.4.4 in
its own test-only venv, built by the compat tests' fixture)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from huggingface_hub import snapshot_download

from leisaac_core.dataset.synthetic import read_frame_index, synthetic_state
from leisaac_core.hub import push_dataset
from tests.compat.conftest import lerobot_python  # noqa: F401 - the compat tests' fixture
from tests.compat.lerobot_reader_support import run_lerobot_probe
from tests.hub.conftest import USER, WRITE_TOKEN
from tests.hub.test_hub_real_dataset import FRAMES, open_writer, record
from tests.support.fake_hub import FakeHub

pytestmark = pytest.mark.compat
REPO = f"{USER}/pick_orange"


def test_downloaded_push_loads_in_lerobot_reader(
    hub: FakeHub,
    tmp_path: Path,
    lerobot_python: Path,  # noqa: F811 - fixture imported above
) -> None:
    root = tmp_path / "datasets" / REPO
    with open_writer(root) as writer:
        record(writer, 2)
    push_dataset(root, REPO, token=WRITE_TOKEN, endpoint=hub.endpoint)

    downloaded = tmp_path / "downloaded" / REPO
    snapshot_download(
        REPO,
        repo_type="dataset",
        revision="v3.0",
        endpoint=hub.endpoint,
        token=WRITE_TOKEN,
        local_dir=downloaded,
    )
    work = tmp_path / "probe"
    work.mkdir()
    (result,) = run_lerobot_probe(lerobot_python, [(downloaded, REPO)], work, stride=7)

    assert int(result["num_episodes"]) == 2
    assert int(result["num_frames"]) == 2 * FRAMES
    for row, item in enumerate(result["items"]):
        frame = int(item) % FRAMES
        assert result["episode_index"][row] == int(item) // FRAMES
        np.testing.assert_allclose(result["state"][row], synthetic_state(frame), rtol=1e-6)
        for key in ("front", "wrist"):
            assert read_frame_index(result[f"img/observation.images.{key}"][row]) == frame

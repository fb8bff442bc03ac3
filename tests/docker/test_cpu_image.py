"""The CPU image end to end with the real Docker engine: its non-root user, its own health
check, the token, a scripted episode recorded through REST into a bind-mounted /data, and that
dataset loaded on the host by lerobot's own reader.

Containers use the host network (each on its own free port, set with LEISAAC_PORT) as the dev
and CI machines require. The health check runs every second instead of every 30 s
(`--health-interval`): the check itself is the image's.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from leisaac_core import __version__
from leisaac_core.dataset import load_episode_signals, load_episodes
from tests.compat.lerobot_reader_support import run_lerobot_probe
from tests.docker.docker_support import Container

pytestmark = [pytest.mark.docker, pytest.mark.slow]

IMAGE_UID = 10001
# A non-root stand-in for the host user when the tests run as root (as CI does): running the
# container as root would hide every ownership problem.
STAND_IN_UID = 4242


@pytest.fixture(scope="module")
def default_user_container(cpu_image: str, tmp_path_factory: pytest.TempPathFactory):
    """The image as it ships (its own user), with a host folder it cannot write as /data:
    the folder belongs to the user running the tests, mode 0755."""
    if os.geteuid() == IMAGE_UID:
        pytest.skip(f"the tests run as uid {IMAGE_UID}, the image's own user")
    data = tmp_path_factory.mktemp("not-writable-data")
    data.chmod(0o755)
    container = Container(
        cpu_image, token=secrets.token_hex(16), data_dir=data, health_interval_s=1
    )
    container.start()
    try:
        container.wait_until_serving()
        yield container
    finally:
        container.remove()


def test_runs_as_its_own_non_root_user(default_user_container: Container) -> None:
    assert default_user_container.inspect()["Config"]["User"] == f"{IMAGE_UID}:{IMAGE_UID}"
    assert default_user_container.exec("id", "-u") == str(IMAGE_UID)


def test_passes_its_own_health_check(default_user_container: Container) -> None:
    check = default_user_container.inspect()["Config"]["Healthcheck"]["Test"]
    assert check[0] == "CMD" and "/api/health" in check[-1]
    deadline = time.monotonic() + 60
    while (status := default_user_container.health_status()) != "healthy":
        assert status != "unhealthy", default_user_container.inspect()["State"]["Health"]
        assert time.monotonic() < deadline, f"still {status!r} after 60 s"
        time.sleep(0.5)


def test_refuses_requests_without_the_token(default_user_container: Container) -> None:
    url = default_user_container.url
    good = {"Authorization": f"Bearer {default_user_container.token}"}
    start = {"episodes": 1, "dataset": {"repo_id": "docker/denied"}}
    assert httpx.get(f"{url}/api/session").status_code == 401
    assert httpx.post(f"{url}/api/session", json=start).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert httpx.get(f"{url}/api/datasets", headers=wrong).status_code == 401
    # Open by design: the health check and load balancers call it without a token.
    assert httpx.get(f"{url}/api/health").json()["version"] == __version__
    session = httpx.get(f"{url}/api/session", headers=good)
    assert session.status_code == 200 and session.json()["phase"] == "idle"


def test_serves_the_page_from_the_wheels_package_data(default_user_container: Container) -> None:
    url = default_user_container.url
    to_login = httpx.get(f"{url}/")
    assert to_login.status_code == 303 and to_login.headers["location"] == "/login"
    assert "<form" in httpx.get(f"{url}/login").text
    auth = {"Authorization": f"Bearer {default_user_container.token}"}
    page = httpx.get(f"{url}/", headers=auth)
    assert page.status_code == 200 and "/static/js/main.js" in page.text
    for asset in ("js/main.js", "css/dashboard.css"):
        reply = httpx.get(f"{url}/static/{asset}", headers=auth)
        assert reply.status_code == 200 and len(reply.content) > 100, asset


def test_a_data_folder_it_cannot_write_is_a_clear_error(
    default_user_container: Container,
) -> None:
    reply = httpx.post(
        f"{default_user_container.url}/api/session",
        json={"episodes": 1, "dataset": {"repo_id": "docker/unwritable"}},
        headers={"Authorization": f"Bearer {default_user_container.token}"},
        timeout=120,
    )
    assert reply.status_code == 409
    assert "Permission denied" in reply.json()["detail"] and "/data" in reply.json()["detail"]
    assert list(default_user_container.data_dir.iterdir()) == []


def test_renders_with_egl_and_the_osmesa_fallback(default_user_container: Container) -> None:
    report = json.loads(default_user_container.exec("leisaac-dashboard", "doctor", "--json"))
    checks = {check["name"]: check for check in report["checks"]}
    assert report["ok"], checks
    assert "egl: ok; osmesa: ok" in checks["mujoco_rendering"]["detail"], checks


def test_the_server_module_runs_as_the_gpu_image_starts_it(
    default_user_container: Container,
) -> None:
    # The GPU image's console script is `python.sh -m server.cli`: the same module, same wheel.
    out = default_user_container.exec("python", "-m", "server.cli", "--version")
    assert __version__ in out


@pytest.fixture
def host_user_container(cpu_image: str, tmp_path: Path) -> Iterator[Container]:
    """`docker run --user "$(id -u):$(id -g)" -v <a folder of the host user>:/data`, as the
    README tells admins to run it to get the datasets on the host."""
    uid, gid = os.getuid(), os.getgid()
    data = tmp_path / "data"
    data.mkdir()
    if uid == 0:
        uid = gid = STAND_IN_UID
        os.chown(data, uid, gid)
    container = Container(
        cpu_image, token=secrets.token_hex(16), data_dir=data, user=f"{uid}:{gid}"
    )
    container.start()
    try:
        container.wait_until_serving()
        yield container
    finally:
        container.remove()


def _record_one_episode(container: Container) -> dict:
    auth = {"Authorization": f"Bearer {container.token}"}
    reply = httpx.post(
        f"{container.url}/api/session",
        json={
            "episodes": 1,
            "env": {"camera_width": 128, "camera_height": 96},
            "dataset": {"repo_id": "docker/pick"},
            "episode": {"seed": 7},
        },
        headers=auth,
        timeout=120,
    )
    assert reply.status_code == 201, reply.text
    since, deadline = 0, time.monotonic() + 300
    while time.monotonic() < deadline:
        events = httpx.get(
            f"{container.url}/api/session/events", params={"since": since}, headers=auth
        ).json()
        for event in events:
            since = max(since, event["seq"])
            if event["kind"] in ("session_finished", "session_stopped", "session_error"):
                return event
        time.sleep(0.5)
    raise AssertionError(f"the session did not finish within 300 s:\n{container.logs()}")


def test_records_an_episode_that_lerobot_loads_from_the_volume_on_the_host(
    host_user_container: Container,
    lerobot_python: Path,  # the compat fixture, imported by conftest
    tmp_path: Path,
) -> None:
    event = _record_one_episode(host_user_container)
    assert event["kind"] == "session_finished" and event["data"]["episodes_saved"] == 1, event

    dataset = host_user_container.data_dir / "docker" / "pick"
    owner = int(host_user_container.user.split(":")[0])
    for path in [dataset, *dataset.rglob("*")]:
        mode = path.stat().st_mode
        assert path.stat().st_uid == owner, f"{path} belongs to uid {path.stat().st_uid}"
        wanted = stat.S_IRWXU if path.is_dir() else stat.S_IRUSR | stat.S_IWUSR
        assert mode & wanted == wanted, f"{path} has mode {stat.filemode(mode)}"

    [episode] = load_episodes(dataset)
    assert episode.outcome == "success" and episode.length > 100
    [read] = run_lerobot_probe(lerobot_python, [(dataset, "docker/pick")], tmp_path, stride=50)
    assert int(read["num_episodes"]) == 1 and int(read["num_frames"]) == episode.length
    items = [int(i) for i in read["items"]]
    ours = load_episode_signals(dataset, 0)
    np.testing.assert_allclose(read["state"], np.asarray(ours["state"])[items], atol=1e-6)
    np.testing.assert_allclose(read["action"], np.asarray(ours["action"])[items], atol=1e-6)
    assert read["img/observation.images.front"].shape[1:] == (96, 128, 3)

"""A remote box you can trust: `serve --ssl-certfile/--ssl-keyfile` serves https:// and
wss:// with a self-signed certificate this test makes; the token is required for the page's
socket, the REST API and the leader relay (401/403 without); the relay verifies the
certificate (or is told --insecure). Real parts: the serve and relay CLIs as processes, the
simulated servo bus on a pty."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from leisaac_core.so101 import JOINTS
from tests.support.live_server import free_port
from tests.support.sts3215_bus import SimulatedBus

REPO = Path(__file__).resolve().parents[2]
TOKEN = "tls-test-token"
CALIBRATION = {
    joint: {"id": i + 1, "drive_mode": 0, "homing_offset": 0, "range_min": 1000, "range_max": 3000}
    for i, joint in enumerate(JOINTS)
}


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (EC P-256, 2 days), as an
    admin makes one with openssl (README), here with `cryptography` (aiortc's dependency)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gpu-box")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "server.cli", *args]


ENV = dict(os.environ, PYTHONPATH=str(REPO))


@dataclass
class TlsServer:
    url: str
    cert: Path
    key: Path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[TlsServer]:
    cert, key = make_certificate(tmp_path)
    port = free_port()
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        cli(
            "serve", "--host", "127.0.0.1", "--port", str(port), "--token", TOKEN,
            "--dataset-root", str(tmp_path / "datasets"),
            "--ssl-certfile", str(cert), "--ssl-keyfile", str(key), "--log-level", "warning",
        ),
        cwd=REPO, env=ENV, stdout=log, stderr=log,
    )  # fmt: skip
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if (
                    httpx.get(
                        f"{url}/api/health", verify=ssl.create_default_context(cafile=str(cert))
                    ).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "serve did not answer on https within 60 s"
            time.sleep(0.2)
        yield TlsServer(url, cert, key)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def test_tls_flags_are_checked_in_their_words(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path)
    cases = {
        ("--ssl-certfile", str(cert)): "give both --ssl-certfile and --ssl-keyfile",
        ("--ssl-certfile", str(cert), "--ssl-keyfile", str(tmp_path / "none.pem")): (
            "--ssl-keyfile"
        ),
        ("--ssl-certfile", str(key), "--ssl-keyfile", str(key)): "do not load as a certificate",
    }
    for flags, words in cases.items():
        result = subprocess.run(
            cli("serve", "--port", str(free_port()), *flags),
            cwd=REPO, env=ENV, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 1 and words in result.stderr, result.stderr


def test_token_is_required_over_tls_for_api_page_socket_and_relay(
    tls_server: TlsServer, tmp_path: Path
) -> None:
    url, cert = tls_server.url, str(tls_server.cert)
    trust = ssl.create_default_context(cafile=cert)
    # REST: 401 without the token, 200 with it; the certificate verifies.
    assert httpx.get(f"{url}/api/session", verify=trust).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert httpx.get(f"{url}/api/session", verify=trust, headers=wrong).status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.get(f"{url}/api/session", verify=trust, headers=auth).status_code == 200
    # The live video's viewer too: no offer is answered without the token.
    offer = {"sdp": "v=0", "type": "offer", "camera": "front"}
    assert httpx.post(f"{url}/api/live/offer", json=offer, verify=trust).status_code == 401
    assert httpx.get(f"{url}/api/live", verify=trust).status_code == 401
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{url}/api/health")  # the system's trust store does not know it

    context = trust
    wss = url.replace("https://", "wss://")
    for path in ("/ws", "/ws/leader?id=desk"):
        with pytest.raises(InvalidStatus) as refused:
            connect(wss + path, ssl=context, open_timeout=10)
        assert refused.value.response.status_code == 403
    with connect(wss + "/ws", ssl=context, additional_headers=auth) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"

    calibration = tmp_path / "desk.json"
    calibration.write_text(json.dumps(CALIBRATION))
    with SimulatedBus("pty") as bus:
        relay = cli(
            "leader", "relay", "--port", bus.url, "--id", "desk",
            "--calibration", str(calibration), "--server", url,
        )  # fmt: skip
        unverified = subprocess.run(
            [*relay, "--token", TOKEN],
            cwd=REPO,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert unverified.returncode == 1
        assert "cannot verify the server's certificate" in unverified.stderr
        assert "--cafile" in unverified.stderr and "--insecure" in unverified.stderr
        no_token = subprocess.run(
            [*relay, "--cafile", cert], cwd=REPO, env={**ENV, "LEISAAC_TOKEN": ""},
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert no_token.returncode == 1 and "HTTP 403" in no_token.stderr, no_token.stderr

        with httpx.Client(base_url=url, verify=trust, headers=auth, timeout=120) as http:
            body = {
                "episodes": 1,
                "env": {"task": "so101_lift_cube", "camera_width": 64, "camera_height": 48},
                "devices": [{"type": "remote_leader", "id": "desk"}],
                "dataset": {"repo_id": "op/tls"},
            }
            assert http.post("/api/session", json=body).status_code == 201
            for flags in (["--cafile", cert], ["--insecure"]):
                streamed = _relay_streams(http, [*relay, "--token", TOKEN, *flags], tmp_path)
                assert "connected to wss://127.0.0.1" in streamed
            assert "warning: --insecure" in streamed
            assert http.post("/api/session/stop").status_code == 200


def _relay_streams(http: httpx.Client, relay: list[str], tmp_path: Path) -> str:
    """Run the relay until the session's device has used its samples; its stderr."""
    log = tmp_path / "relay.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(relay, cwd=REPO, env=ENV, stdout=out, stderr=out)
    try:
        samples_before = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            snapshot = http.get("/api/session").json()
            details = snapshot.get("device_health", {}).get("details", {})
            samples = details.get("samples", 0)
            if samples_before is None:
                samples_before = samples
            elif samples > samples_before + 10 and snapshot["phase"] == "recording":
                return log.read_text()
            time.sleep(0.2)
        raise AssertionError(f"the relay's samples did not reach the session: {log.read_text()}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)

"""All settings of the product in one place (pydantic-settings).

Every field can be set from the environment with the `LEISAAC_` prefix (e.g.
`LEISAAC_PORT=8080`) or from the CLI, which builds a Settings object and passes it down.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from leisaac_core.limits import CameraSide, Fps


def default_dataset_root() -> Path:
    """Where lerobot's own tools look for local datasets ($HF_LEROBOT_HOME)."""
    if home := os.environ.get("HF_LEROBOT_HOME"):
        return Path(home).expanduser()
    hf_home = os.environ.get("HF_HOME", "~/.cache/huggingface")
    return Path(hf_home).expanduser() / "lerobot"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEISAAC_", extra="ignore")

    # Server
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    token: SecretStr | None = None
    # TLS served directly (https:// and wss://): a certificate and its private key, PEM.
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    cors_origins: list[str] = Field(default_factory=list)

    # Where datasets live: <dataset_root>/<namespace>/<name>
    dataset_root: Path = Field(default_factory=default_dataset_root)

    # Session defaults (a session request may override each)
    backend: str = "mujoco"
    task: str = "so101_pick_orange"
    device: str = "scripted"
    fps: Fps = 30
    camera_width: CameraSide = 640
    camera_height: CameraSide = 480

    # Live preview over the websocket
    preview_hz: float = Field(12.0, gt=0, le=60)
    preview_width: int = Field(320, ge=16, le=1920)
    preview_jpeg_quality: int = Field(75, ge=10, le=100)
    # Live video over WebRTC: STUN/TURN servers for a box behind NAT (none by default: the
    # server contacts no third party), and loopback only (a browser on this machine; tests).
    webrtc_ice_servers: list[str] = Field(default_factory=list)
    webrtc_loopback_only: bool = False

    # Hugging Face token for pushes; never returned by any route, never logged. When unset,
    # pushes use HF_TOKEN or the huggingface_hub login cache.
    hf_token: SecretStr | None = None
    # Hub endpoint (a mirror or self-hosted Hub); default HF_ENDPOINT or huggingface.co.
    hub_endpoint: str | None = None

    # Policy servers (OpenPI websocket) this server may connect to for device "policy". A
    # session request may name another URL only on a server with a token (an authenticated
    # request): an unauthenticated client never makes this server fetch a URL of its choice.
    policy_url: str | None = None  # used when a policy session names none
    policy_urls: list[str] = Field(default_factory=list)
    # The Python a checkpoint policy is served in (a lerobot environment); a request may name
    # another only on a server with a token: it is a program this server runs. Default: the
    # lerobot environment tests/compat/setup_lerobot_reader.sh prepares.
    policy_python: Path | None = None

    log_level: str = "INFO"

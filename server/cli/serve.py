"""`leisaac-dashboard serve`: the dashboard on the embedded MuJoCo default."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from server.cli.args import Subparsers


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "serve",
        help="start the web dashboard",
        description="Start the dashboard. Binds 127.0.0.1 by default; binding any other address "
        "requires a token (generated and printed once if not given). With --ssl-certfile and "
        "--ssl-keyfile it serves https:// (and wss:// for relays and the page).",
    )
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 8000)")
    p.add_argument("--token", default=None, help="access token (default: $LEISAAC_TOKEN)")
    p.add_argument(
        "--dataset-root",
        type=Path,
        default=None,
        help="where datasets live (default $HF_LEROBOT_HOME)",
    )
    p.add_argument(
        "--ssl-certfile",
        type=Path,
        default=None,
        help="serve https:// with this certificate (PEM; a chain is fine)",
    )
    p.add_argument(
        "--ssl-keyfile", type=Path, default=None, help="the certificate's private key (PEM)"
    )
    p.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from leisaac_core.config import Settings
    from server.app import create_app
    from server.auth import generate_token, is_loopback

    overrides: dict[str, Any] = {
        key: value
        for key, value in (
            ("host", args.host),
            ("port", args.port),
            ("token", SecretStr(args.token) if args.token else None),
            ("dataset_root", args.dataset_root),
            ("ssl_certfile", args.ssl_certfile),
            ("ssl_keyfile", args.ssl_keyfile),
            ("log_level", args.log_level),
        )
        if value is not None
    }
    settings = Settings(**overrides)
    problem = tls_problem(settings.ssl_certfile, settings.ssl_keyfile)
    if problem:
        print(f"error: {problem}", file=sys.stderr, flush=True)
        return 1
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.token is None and not is_loopback(settings.host):
        token = generate_token()
        settings.token = SecretStr(token)
        # Printed once, to the terminal only; never logged.
        print(
            f"Access token (needed because the server binds {settings.host}): {token}",
            file=sys.stderr,
            flush=True,
        )
    shown_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    scheme = "https" if settings.ssl_certfile else "http"
    print(
        f"LeIsaac dashboard: {scheme}://{shown_host}:{settings.port}/  (datasets in {settings.dataset_root})",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        ssl_certfile=settings.ssl_certfile,
        ssl_keyfile=settings.ssl_keyfile,
    )
    return 0


def tls_problem(certfile: Path | None, keyfile: Path | None) -> str:
    """What is wrong with the TLS flags, in their words ("" when nothing): both or neither,
    files that exist and load as a certificate and its key."""
    import ssl

    if certfile is None and keyfile is None:
        return ""
    if certfile is None or keyfile is None:
        return "give both --ssl-certfile and --ssl-keyfile (or neither, for http://)"
    for flag, path in (("--ssl-certfile", certfile), ("--ssl-keyfile", keyfile)):
        if not path.is_file():
            return f"{flag} {path}: no such file"
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        return (
            f"--ssl-certfile {certfile} with --ssl-keyfile {keyfile} do not load as a "
            f"certificate and its private key ({exc})"
        )
    return ""

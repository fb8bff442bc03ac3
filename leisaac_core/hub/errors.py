"""Errors a push can end with, each saying what the operator should do next.

Every message is built here from facts we control (status code, step, repo id); text that comes
from the server or from huggingface_hub is passed through `redact` so a token can never leak.
"""

from __future__ import annotations

from collections.abc import Iterator

REDACTED = "***"


class HubError(Exception):
    """Base class: a push could not complete. The message tells a human what to fix."""


class InvalidRepoIdError(HubError, ValueError):
    """The repo id is not NAMESPACE/NAME (rejected before any network call)."""


class TokenMissingError(HubError):
    """No token was given and none is configured."""


class AuthenticationError(HubError):
    """The Hub rejected the token (401)."""


class PermissionDeniedError(HubError):
    """The token is valid but may not write to this repo or namespace (403)."""


class HubUnreachableError(HubError):
    """The endpoint could not be reached (DNS, refused connection, timeout, dropped link)."""


class HubServerError(HubError):
    """The Hub answered with an error; a re-run resumes where this push stopped."""


class HubConflictError(HubError):
    """Someone else changed the repo while this push ran."""


class LocalDatasetError(HubError):
    """The local dataset directory cannot be pushed as it is (missing, not LeRobot v3)."""


def redact(text: str, secret: str | None) -> str:
    """Replace every occurrence of the secret in `text`."""
    if secret:
        text = text.replace(secret, REDACTED)
    return text


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _http_status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _is_transport_error(exc: BaseException) -> bool:
    """Connection-level failures, for httpx (huggingface_hub 1.x) and httpx2 (2.x) alike."""
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    module = type(exc).__module__.split(".")[0]
    if module in ("httpx", "httpx2"):
        names = {cls.__name__ for cls in type(exc).__mro__}
        return bool(names & {"TransportError", "TimeoutException", "NetworkError"})
    return type(exc).__name__ == "OfflineModeIsEnabled"


def translate(
    exc: BaseException, *, step: str, repo_id: str, endpoint: str, token: str | None
) -> HubError:
    """Turn whatever huggingface_hub raised during `step` into a HubError with advice."""
    if isinstance(exc, HubError):
        return exc
    for link in _chain(exc):
        status = _http_status(link)
        if status == 401:
            return AuthenticationError(
                f"The Hub at {endpoint} rejected the token while {step} (401). The token is "
                "invalid or expired: set HF_TOKEN to a valid token, run `hf auth login`, or "
                "change the token on the dashboard."
            )
        if status == 403:
            return PermissionDeniedError(
                f"The token may not write to dataset {repo_id} (403 while {step}). Use a token "
                f"with write access to the '{repo_id.split('/')[0]}' namespace "
                "(https://huggingface.co/settings/tokens), or push to a namespace you own."
            )
        if status == 404 and type(link).__name__ == "RepositoryNotFoundError":
            return PermissionDeniedError(
                f"Dataset {repo_id} was not found while {step} (404): the repo is missing, or it "
                "is private and the token has no access to it. Check the repo id and the token."
            )
        if status == 412 or (status == 409 and step.startswith("committing")):
            return HubConflictError(
                f"Dataset {repo_id} changed on the Hub while this push ran ({status} while "
                f"{step}). Run the push again."
            )
        if status is not None and status >= 500:
            return HubServerError(
                f"The Hub at {endpoint} failed while {step} (HTTP {status}). Run the push again: "
                "it resumes, and files already uploaded are not sent again."
            )
        if status is not None:
            detail = redact(str(link).splitlines()[0] if str(link) else "", token)
            return HubServerError(
                f"The Hub refused the request while {step} (HTTP {status}): {detail}"
            )
        if _is_transport_error(link):
            return HubUnreachableError(
                f"Cannot reach the Hub at {endpoint} while {step} ({type(link).__name__}). Check "
                "the network connection or the endpoint, then run the push again: it resumes "
                "where it stopped."
            )
    detail = redact(str(exc).splitlines()[0] if str(exc) else "", token)
    return HubError(f"Push to {repo_id} failed while {step}: {type(exc).__name__}: {detail}")

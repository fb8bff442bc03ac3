"""Where the Hugging Face token comes from: explicit, then HF_TOKEN, then the login cache."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from pydantic import SecretStr

from leisaac_core.hub.errors import TokenMissingError


@dataclass(frozen=True)
class ResolvedToken:
    """A token and where it came from; only `source` may be logged or shown."""

    value: str = field(repr=False)
    source: str  # "argument" | "HF_TOKEN" | "login cache"

    def __str__(self) -> str:
        return f"<token from {self.source}>"


def resolve_token(explicit: str | SecretStr | None = None) -> ResolvedToken:
    """Return the token to push with, or raise TokenMissingError saying how to provide one."""
    if isinstance(explicit, SecretStr):
        explicit = explicit.get_secret_value()
    if explicit and explicit.strip():
        return ResolvedToken(explicit.strip(), "argument")
    if env := os.environ.get("HF_TOKEN", "").strip():
        return ResolvedToken(env, "HF_TOKEN")
    # Imported here: huggingface_hub reads its settings from the environment at import.
    from huggingface_hub import get_token

    if cached := get_token():
        return ResolvedToken(cached, "login cache")
    raise TokenMissingError(
        "No Hugging Face token: set HF_TOKEN, run `hf auth login`, or enter a token on the "
        "dashboard. It needs write access (https://huggingface.co/settings/tokens)."
    )

"""Push datasets to the Hugging Face Hub: `push_dataset` and what it reports or raises."""

from leisaac_core.hub.auto_push import AutoPush, AutoPushConfig, push_is_due
from leisaac_core.hub.card import build_dataset_card
from leisaac_core.hub.errors import (
    AuthenticationError,
    HubConflictError,
    HubError,
    HubServerError,
    HubUnreachableError,
    InvalidRepoIdError,
    LocalDatasetError,
    PermissionDeniedError,
    TokenMissingError,
)
from leisaac_core.hub.push import (
    PushProgress,
    PushResult,
    push_dataset,
    resolve_endpoint,
    validate_repo_id,
)
from leisaac_core.hub.token import ResolvedToken, resolve_token

__all__ = [
    "AuthenticationError",
    "AutoPush",
    "AutoPushConfig",
    "HubConflictError",
    "HubError",
    "HubServerError",
    "HubUnreachableError",
    "InvalidRepoIdError",
    "LocalDatasetError",
    "PermissionDeniedError",
    "PushProgress",
    "PushResult",
    "ResolvedToken",
    "TokenMissingError",
    "build_dataset_card",
    "push_dataset",
    "push_is_due",
    "resolve_endpoint",
    "resolve_token",
    "validate_repo_id",
]

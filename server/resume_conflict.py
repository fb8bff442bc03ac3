"""A start refused because of its dataset, in the REST API's words: a 409 whose `detail`
names the body fields, and whose other fields carry the same facts for a script or the page
(which names its own controls): `exists` when the dataset is there and "resume" was not
sent, `differences` when the dataset to resume was recorded with other settings."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, JsonValue

from leisaac_core.dataset import DatasetExistsError, FeatureDifference, FeatureMismatchError
from leisaac_core.dataset.identity import IDENTITIES


class DifferenceOut(BaseModel):
    setting: str = Field(
        description="what differs: fps, codec, camera_size, cameras, reward_features, features, "
        "robot_type, pix_fmt"
    )
    fields: list[str] = Field(
        description="the request body fields that decide it, as paths (env.fps)"
    )
    dataset: JsonValue = Field(description="what the dataset has")
    requested: JsonValue = Field(description="what this request asked for")
    use: dict[str, JsonValue] | None = Field(
        description="field values that match the dataset; null where no field does"
    )
    keys: list[str] = Field(description="where it differs in meta/info.json")


class ExistingDatasetOut(BaseModel):
    repo_id: str
    path: str = Field(description="where it is on the server")


class ResumeConflictOut(BaseModel):
    """The 409 of a start refused because of its dataset."""

    detail: str
    exists: ExistingDatasetOut | None = Field(
        None, description="the dataset exists and 'resume' was not sent; absent otherwise"
    )
    differences: list[DifferenceOut] = Field(
        default_factory=list, description="absent for the other refusals"
    )


class ResumeConflict(HTTPException):
    def __init__(
        self,
        detail: str,
        differences: list[dict[str, Any]] | None = None,
        exists: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status.HTTP_409_CONFLICT, detail=detail)
        self.differences = differences or []
        self.exists = exists


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, kind):
        cause = cause.__cause__
    return cause


def exists_conflict(exc: DatasetExistsError, resume_field: str = "resume") -> ResumeConflict:
    """The 409 for a dataset that exists where "resume" was not sent."""
    return ResumeConflict(
        f"dataset {exc.repo_id!r} already exists at {exc.path}: send "
        f'"{resume_field}": true to append episodes to it, or another "repo_id"',
        exists={"repo_id": str(exc.repo_id), "path": str(exc.path)},
    )


def conflict_for(exc: BaseException) -> HTTPException:
    """The 409 for a refused command: a ResumeConflict when an existing dataset or a
    FeatureMismatchError is behind it, else the command's message."""
    existing = _cause(exc, DatasetExistsError)
    if isinstance(existing, DatasetExistsError) and existing.repo_id is not None:
        return exists_conflict(existing)
    cause = _cause(exc, FeatureMismatchError)
    if not isinstance(cause, FeatureMismatchError):
        return HTTPException(status.HTTP_409_CONFLICT, detail=str(exc))
    differences = [_item(setting, [d for d in cause.differences if d.setting == setting])
                   for setting in cause.settings()]  # fmt: skip
    parts = []
    for item in differences:
        name, requested = item["setting"], _json(item["requested"])
        if item["use"]:
            fields = ", ".join(f'"{k}": {_json(v)}' for k, v in item["use"].items())
            parts.append(f"{name}: send {fields} (this request: {requested})")
            continue
        decides = (
            " or ".join(f'"{f}"' for f in item["fields"]) + " decides it"
            if item["fields"]
            else "no field sets it"
        )
        parts.append(
            f"{name}: the dataset has {_json(item['dataset'])}, this request {requested}; "
            + decides
        )
    detail = (
        f"cannot resume {cause.repo_id!r}: it was recorded with other settings: "
        + "; ".join(parts)
        + '. Send the values that match it, or another "dataset.repo_id".'
    )
    return ResumeConflict(detail, differences)


async def resume_conflict_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ResumeConflict)
    body: dict[str, Any] = {"detail": exc.detail, "differences": exc.differences}
    if exc.exists is not None:
        body["exists"] = exc.exists
    return JSONResponse(body, status_code=exc.status_code)


def _json(value: object) -> str:
    import json

    return json.dumps(value)


def _one(values: list[Any]) -> Any:
    distinct = list(dict.fromkeys(tuple(v) if isinstance(v, list | tuple) else v for v in values))
    if len(distinct) != 1:
        return None
    return list(distinct[0]) if isinstance(distinct[0], tuple) else distinct[0]


def _item(setting: str, diffs: list[FeatureDifference]) -> dict[str, Any]:
    """One setting: the body fields that decide it, both sides' values, and `use`: the
    field values that match the dataset (null where no field does)."""
    dataset = _one([d.dataset for d in diffs])
    requested = _one([d.requested for d in diffs])
    fields: list[str] = []
    use: dict[str, Any] | None = None
    if setting == "fps":
        fields, use = ["env.fps"], {"env.fps": dataset}
    elif setting == "identity":  # the page's "Robot identity"
        fields = ["dataset.identity"]
        use = {"dataset.identity": dataset} if dataset in IDENTITIES else None
    elif setting == "codec":
        fields = ["dataset.video_codec"]
        use = {"dataset.video_codec": dataset} if dataset in ("h264", "av1") else None
    elif setting == "camera_size":
        fields = ["env.camera_width", "env.camera_height"]
        if dataset is not None:
            use = {"env.camera_width": dataset[0], "env.camera_height": dataset[1]}
        else:  # cameras of several sizes: one width and height cannot match them all
            dataset = {d.key.split(".")[-2]: list(d.dataset) for d in diffs}
    elif setting == "reward_features":
        fields = ["dataset.reward_features"]
        if all(d.dataset is not None for d in diffs):
            use = {"dataset.reward_features": True}
        elif all(d.requested is not None for d in diffs):
            use = {"dataset.reward_features": False}
        dataset = [d.dataset for d in diffs if d.dataset is not None]
        requested = [d.requested for d in diffs if d.requested is not None]
    elif setting in ("cameras", "features"):
        fields = ["env.task"]  # the task decides the cameras and the robot's features
        if setting == "cameras":
            dataset = [d.dataset for d in diffs if d.dataset is not None]
            requested = [d.requested for d in diffs if d.requested is not None]
        else:
            dataset = {d.key: d.dataset for d in diffs}
            requested = {d.key: d.requested for d in diffs}
    return {
        "setting": setting,
        "fields": fields,
        "dataset": dataset,
        "requested": requested,
        "use": use,
        "keys": [d.key for d in diffs],
    }

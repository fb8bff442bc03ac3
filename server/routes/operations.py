"""Long operations (replay, merge, compaction): the ones under way and the last few ended,
for scripts that want progress (pages hear it over the websocket)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from server.deps import OperationsDep
from server.models import OperationOut

router = APIRouter(prefix="/api/operations", tags=["operations"])


@router.get("", summary="Long operations under way, then the last ones ended (newest first)")
async def get_operations(operations: OperationsDep) -> list[OperationOut]:
    return [OperationOut.model_validate(asdict(op)) for op in operations.listing()]

"""Leader-arm calibration from the web page: mid-pose, then range of motion, with live
feedback polled by the page.

The calibrator talks to the servo bus directly, so it runs only while no session is driving
the arm; one calibration at a time. Calls are short bus exchanges run in the threadpool
under a lock (the calibrator is single-owner).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from leisaac_core.motors.feetech.errors import MotorBusError
from leisaac_core.teleop.so101_leader.arm_bus import LeaderArmBus
from leisaac_core.teleop.so101_leader.calibration import CalibrationError, default_calibration_path
from leisaac_core.teleop.so101_leader.calibrator import LeaderCalibrator
from server.deps import EngineDep
from server.models import (
    CalibrationCancelled,
    CalibrationDone,
    CalibrationSampleOut,
    CalibrationStarted,
    MotorCalibrationOut,
)

router = APIRouter(prefix="/api/leader/calibration", tags=["leader arm"])

_ARM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Devices that hold leader arms' ports while a session runs.
LEADER_DEVICES = frozenset({"so101_leader", "bi_so101_leader"})


class CalibrationRequest(BaseModel):
    port: str = Field(..., min_length=1, max_length=300, examples=["/dev/ttyACM0"])
    arm_id: str = Field("leader", description="Calibration file name, as lerobot's --teleop.id")
    arm: Literal["left", "right"] | None = Field(
        None,
        description="One arm of a pair: the file is <arm_id>_<arm>.json, as lerobot's "
        "bimanual leader names its arms' files (and as a leader listed with this arm reads it)",
    )


class CalibrationSlot:
    """The one calibration in progress (or none); lives in app.state.leader_calibration."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calibrator: LeaderCalibrator | None = None


def _state(request: Request) -> CalibrationSlot:
    return request.app.state.leader_calibration


@contextlib.contextmanager
def _calibrator(state: CalibrationSlot) -> Iterator[LeaderCalibrator]:
    """The calibration in progress, under the slot's lock; bus and procedure errors become
    409s (a bus error also ends the calibration)."""
    with state.lock:
        calibrator = state.calibrator
        if calibrator is None:
            raise HTTPException(
                status.HTTP_409_CONFLICT, detail="no calibration in progress: start one first"
            )
        try:
            yield calibrator
        except CalibrationError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
        except MotorBusError as exc:
            state.calibrator = None
            calibrator.arm.close()
            raise HTTPException(status.HTTP_409_CONFLICT, detail=f"leader arm: {exc}") from None


def _sample(state: CalibrationSlot) -> CalibrationSampleOut:
    with _calibrator(state) as calibrator:
        return CalibrationSampleOut.model_validate(calibrator.sample().to_json())


def _mid_pose(state: CalibrationSlot) -> CalibrationSampleOut:
    with _calibrator(state) as calibrator:
        return CalibrationSampleOut.model_validate(calibrator.mid_pose_done().to_json())


def _finish(state: CalibrationSlot) -> CalibrationDone:
    with _calibrator(state) as calibrator:
        calibration = calibrator.finish()
        state.calibrator = None
        calibrator.arm.close()
        return CalibrationDone(
            step="done",
            path=str(calibrator.output_path),
            calibration={k: MotorCalibrationOut(**vars(v)) for k, v in calibration.items()},
        )


def _cancel(state: CalibrationSlot) -> CalibrationCancelled:
    with _calibrator(state) as calibrator:
        calibrator.cancel()
        state.calibrator = None
        calibrator.arm.close()
        return CalibrationCancelled(step="cancelled")


@router.post("", summary="Start calibrating the leader arm on a port (torque off)")
async def start_calibration(
    body: CalibrationRequest, request: Request, engine: EngineDep
) -> CalibrationStarted:
    if not _ARM_ID.match(body.arm_id):
        raise HTTPException(422, detail="arm_id may hold only letters, digits, '.', '_' and '-'")
    snapshot = engine.snapshot
    if snapshot.phase != "idle" and snapshot.device in LEADER_DEVICES:
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail="a session is driving the leader arm; stop it first"
        )
    state = _state(request)

    def start() -> CalibrationStarted:
        with state.lock:
            if state.calibrator is not None:
                raise HTTPException(
                    status.HTTP_409_CONFLICT, detail="a calibration is already in progress"
                )
            arm = LeaderArmBus(body.port)
            name = f"{body.arm_id}_{body.arm}" if body.arm else body.arm_id
            calibrator = LeaderCalibrator(arm, Path(default_calibration_path(name)))
            try:
                sample = calibrator.start()
            except (MotorBusError, CalibrationError, OSError) as exc:
                arm.close()
                raise HTTPException(
                    status.HTTP_409_CONFLICT, detail=f"leader arm on {body.port}: {exc}"
                ) from None
            state.calibrator = calibrator
            return CalibrationStarted.model_validate(
                {**sample.to_json(), "path": str(calibrator.output_path)}
            )

    return await run_in_threadpool(start)


@router.get("", summary="Live positions and the range seen so far")
async def sample_calibration(request: Request) -> CalibrationSampleOut:
    return await run_in_threadpool(_sample, _state(request))


@router.post("/mid_pose", summary="Every joint is mid-range: write homing offsets")
async def mid_pose(request: Request) -> CalibrationSampleOut:
    return await run_in_threadpool(_mid_pose, _state(request))


@router.post("/finish", summary="Ranges swept: write limits to the servos and save the JSON")
async def finish(request: Request) -> CalibrationDone:
    return await run_in_threadpool(_finish, _state(request))


@router.delete("", summary="Cancel the calibration in progress")
async def cancel(request: Request) -> CalibrationCancelled:
    return await run_in_threadpool(_cancel, _state(request))

"""`leisaac-dashboard leader read|relay|calibrate`: the SO-101 leader arm from a terminal.

`read` prints one JSON object per reading (`{"shoulder_pan.pos": ..., ...}`), so it pipes
into `jq` or a script. `calibrate` walks through lerobot's procedure (middle pose, then
range of motion) with live positions and saves a lerobot calibration file. `relay` streams
the arm to a dashboard on another machine. Errors print one line on stderr and exit 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import select
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from server.cli.args import Subparsers

if TYPE_CHECKING:
    from leisaac_core.teleop.so101_leader.calibrator import CalibrationSample, LeaderCalibrator

EXIT_ERROR = 1


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "leader",
        help="read or calibrate an SO-101 leader arm",
        description="Read or calibrate an SO-101 leader arm on a Feetech serial bus. PORT is "
        "anything pyserial's serial_for_url opens: /dev/ttyACM0, socket://host:port, spy://...",
    )
    sub = p.add_subparsers(dest="leader_command", metavar="ACTION", required=True)

    r = sub.add_parser("read", help="print normalized joint positions as JSON lines")
    _add_port_args(r)
    r.add_argument(
        "--calibration",
        type=Path,
        default=None,
        help="lerobot calibration JSON (default: lerobot's file for --id)",
    )
    r.add_argument("--count", type=int, default=0, help="readings to print (0 = until Ctrl+C)")
    r.add_argument("--hz", type=float, default=30.0, help="readings per second (default 30)")
    r.set_defaults(func=run_read)

    relay = sub.add_parser(
        "relay",
        help="stream the arm to a dashboard on another machine",
        description="Read the leader arm here and stream its calibrated joint positions to "
        "a dashboard on another machine (a session there with device remote_leader and the "
        "same --id uses them). Reconnects by itself; Ctrl+C stops.",
    )
    _add_port_args(relay)
    relay.add_argument(
        "--calibration",
        type=Path,
        default=None,
        help="lerobot calibration JSON (default: lerobot's file for --id)",
    )
    relay.add_argument(
        "--server", required=True, help="the dashboard's address, e.g. https://gpu-box:8000"
    )
    relay.add_argument(
        "--token", default=None, help="the dashboard's access token (default: $LEISAAC_TOKEN)"
    )
    relay.add_argument(
        "--hz",
        type=float,
        default=100.0,
        help="samples per second (default 100; 0: as fast as the bus answers)",
    )
    relay.add_argument(
        "--cafile", type=Path, default=None, help="trust this certificate (a self-signed server)"
    )
    relay.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify the server's TLS certificate (anyone on the path could read and "
        "change the stream)",
    )
    relay.set_defaults(func=run_relay)

    c = sub.add_parser("calibrate", help="calibrate interactively and save a lerobot file")
    _add_port_args(c)
    c.add_argument(
        "--output",
        type=Path,
        default=None,
        help="where to save (default: lerobot's file for --id, reused by lerobot itself)",
    )
    c.set_defaults(func=run_calibrate)


def _add_port_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", required=True, help="serial port or URL of the leader arm")
    p.add_argument(
        "--id", dest="arm_id", default="leader", help="arm name, as lerobot's --teleop.id"
    )
    p.add_argument(
        "--arm",
        choices=("left", "right"),
        default=None,
        help="one arm of a pair: its file is <id>_<arm>.json, as lerobot's bimanual leader "
        "names it",
    )
    p.add_argument("--baudrate", type=int, default=1_000_000)


def _quiet_logs() -> None:
    """Errors reach the user as one `error:` line; library warnings would repeat them."""
    logging.basicConfig(level=logging.ERROR, format="%(message)s")


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr, flush=True)
    return EXIT_ERROR


def run_read(args: argparse.Namespace) -> int:
    from leisaac_core.so101 import JOINT_FEATURE_NAMES
    from leisaac_core.teleop.base import DeviceError
    from leisaac_core.teleop.so101_leader.config import SO101LeaderConfig
    from leisaac_core.teleop.so101_leader.so101_leader import SO101Leader

    _quiet_logs()
    if args.hz <= 0 or args.count < 0:
        return _error("--hz must be > 0 and --count >= 0")
    try:
        config = SO101LeaderConfig(
            port=args.port,
            calibration_path=args.calibration,
            id=args.arm_id,
            arm=args.arm,
            baudrate=args.baudrate,
        )
    except ValueError as exc:
        return _error(str(exc))
    device = SO101Leader(config)
    period = 1.0 / args.hz
    try:
        device.connect(None)
        next_tick = time.monotonic()
        printed = 0
        while args.count == 0 or printed < args.count:
            values = device.read(None)
            line = {
                name: round(float(v), 3)
                for name, v in zip(JOINT_FEATURE_NAMES, values, strict=True)
            }
            print(json.dumps(line), flush=True)
            printed += 1
            next_tick += period
            time.sleep(max(0.0, next_tick - time.monotonic()))
    except DeviceError as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:  # `leader read | head`: the reader left, which is fine
        sys.stderr.close()
    finally:
        device.disconnect()
    return 0


def run_relay(args: argparse.Namespace) -> int:
    import threading

    from leisaac_core.teleop.base import DeviceError
    from leisaac_core.teleop.remote_leader.relay import LeaderRelay, RelayFatal, RelayOptions
    from leisaac_core.teleop.so101_leader.config import SO101LeaderConfig
    from leisaac_core.teleop.so101_leader.so101_leader import SO101Leader

    _quiet_logs()
    if args.hz < 0:
        return _error("--hz must be >= 0")
    if args.cafile is not None and not args.cafile.is_file():
        return _error(f"--cafile {args.cafile}: no such file")
    try:
        config = SO101LeaderConfig(
            port=args.port,
            calibration_path=args.calibration,
            id=args.arm_id,
            baudrate=args.baudrate,
        )
        options = RelayOptions(
            server=args.server,
            arm=args.arm_id,
            token=args.token or os.environ.get("LEISAAC_TOKEN") or None,
            hz=args.hz,
            cafile=args.cafile,
            insecure=args.insecure,
        )
        device = SO101Leader(config)
        relay = LeaderRelay(lambda: device.read(None), options, say=_say)
    except ValueError as exc:
        return _error(str(exc))
    if args.insecure:
        _say("warning: --insecure: the server's certificate is not checked")
    stop = threading.Event()
    try:
        device.connect(None)
        _say(f"leader arm on {args.port} ready (arm id '{args.arm_id}')")
        relay.run(stop)
    except (DeviceError, RelayFatal) as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        stop.set()
    finally:
        device.disconnect()
    return 0


def _say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)


def run_calibrate(args: argparse.Namespace) -> int:
    from leisaac_core.motors.feetech import MotorBusError
    from leisaac_core.teleop.so101_leader.arm_bus import LeaderArmBus
    from leisaac_core.teleop.so101_leader.calibration import (
        CalibrationError,
        default_calibration_path,
    )
    from leisaac_core.teleop.so101_leader.calibrator import CalibrationStep, LeaderCalibrator

    _quiet_logs()
    name = f"{args.arm_id}_{args.arm}" if args.arm else args.arm_id
    output = args.output or default_calibration_path(name)
    arm = LeaderArmBus(args.port, baudrate=args.baudrate)
    calibrator = LeaderCalibrator(arm, output)
    try:
        sample = calibrator.start()
        print(f"Leader arm found on {args.port}; torque is off.")
        print(f"Step 1/2: {sample.instruction} Press Enter when done.", flush=True)
        _live_until_enter(calibrator, sys.stdin, sys.stdout)
        while True:
            try:
                sample = calibrator.mid_pose_done()
                break
            except CalibrationError as exc:
                print(f"\n{exc}. Press Enter to try again.", flush=True)
                _live_until_enter(calibrator, sys.stdin, sys.stdout)
        print(f"\nStep 2/2: {sample.instruction} Press Enter when done.", flush=True)
        while True:
            _live_until_enter(calibrator, sys.stdin, sys.stdout)
            try:
                calibration = calibrator.finish()
                break
            except CalibrationError as exc:
                print(f"\n{exc}. Press Enter when done.", flush=True)
        assert calibrator.step is CalibrationStep.DONE
    except (MotorBusError, CalibrationError, EOFError) as exc:
        calibrator.cancel()
        return _error(f"calibration not saved: {exc}")
    except KeyboardInterrupt:
        calibrator.cancel()
        return _error("calibration cancelled; nothing saved")
    finally:
        arm.close()
    print(f"\nSaved calibration to {output}")
    for joint, motor in calibration.items():
        print(
            f"  {joint:<14} homing_offset {motor.homing_offset:>6}  "
            f"range {motor.range_min:>4}..{motor.range_max:<4}"
        )
    return 0


def _live_until_enter(calibrator: LeaderCalibrator, stdin: TextIO, stdout: TextIO) -> None:
    """Sample the arm ~10 times a second, showing live values on a terminal, until a line
    arrives on stdin. EOFError if stdin closes first (nobody can confirm)."""
    live = stdout.isatty()
    while True:
        sample = calibrator.sample()
        if live:
            stdout.write("\r" + _format_sample(sample))
            stdout.flush()
        ready, _, _ = select.select([stdin], [], [], 0.1)
        if ready:
            _read_line(stdin.fileno())
            return


def _read_line(fd: int) -> None:
    """Consume one line byte by byte: a buffered readline would swallow the next Enter too,
    hiding it from the following select()."""
    while True:
        byte = os.read(fd, 1)
        if not byte:
            raise EOFError("standard input closed before the step was confirmed")
        if byte == b"\n":
            return


def _format_sample(sample: CalibrationSample) -> str:
    parts = []
    for joint, pos in sample.positions.items():
        if joint in sample.range_min:
            parts.append(f"{joint} {sample.range_min[joint]}<{pos}>{sample.range_max[joint]}")
        else:
            parts.append(f"{joint} {pos}")
    return "  ".join(parts) + "   "

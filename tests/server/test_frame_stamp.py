"""The live video's frame stamp survives the codecs the browser may negotiate: stamped
frames of a real MuJoCo camera, encoded by the live view's own VP8 and H.264 encoders
(live_encoder.open_codec), packetized by aiortc as its sender does and decoded again by
aiortc's decoders, read back to the id and time that went in."""

from __future__ import annotations

import numpy as np
import pytest
from aiortc.codecs import depayload, get_decoder, get_encoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from av import VideoFrame
from av.video.frame import PictureType

from leisaac_core.sim import make_env_config, make_env_from_config
from leisaac_core.teleop import make_device_config, make_device_from_config
from server.frame_stamp import read_stamp, stamp, stamp_geometry
from server.live_encoder import TIME_BASE, open_codec

CODECS = {
    "VP8": RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96),
    "H264": RTCRtpCodecParameters(
        mimeType="video/H264",
        clockRate=90000,
        payloadType=102,
        parameters={"packetization-mode": "1", "profile-level-id": "42e01f"},
    ),
}


@pytest.fixture(scope="module")
def camera_frames() -> list[np.ndarray]:
    """60 frames of the front camera while the scripted demonstrator moves the arm."""
    env = make_env_from_config(
        make_env_config("mujoco", task="so101_pick_orange", camera_width=320, camera_height=240)
    )
    device = make_device_from_config(make_device_config("scripted"))
    device.connect(env)
    step = env.reset(seed=1)
    device.reset(1)
    frames = []
    for _ in range(60):
        step = env.step(device.read(step))
        frames.append(np.array(step.images["front"], copy=True))
    env.close()
    return frames


@pytest.mark.parametrize("codec", sorted(CODECS))
def test_stamp_survives_the_codec(camera_frames: list[np.ndarray], codec: str) -> None:
    height, width = camera_frames[0].shape[:2]
    encoder = open_codec(codec, width, height, 30.0)
    packer = get_encoder(CODECS[codec])  # aiortc's, for its packetizer only
    decoder = get_decoder(CODECS[codec])
    sent = []
    read = []
    for i, image in enumerate(camera_frames):
        frame_id, time_ms = (65530 + i) & 0xFFFF, (12345 + 33 * i) & 0xFFFF  # ids wrap
        stamp(image, frame_id, time_ms)
        sent.append((frame_id, time_ms))
        frame = VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts = i * 3000
        frame.time_base = TIME_BASE
        if i == 0:
            frame.pict_type = PictureType.I
        for packet in encoder.encode(frame):
            payloads, timestamp = packer.pack(packet)
            for decoded in decoder.decode(_jitter_frame(codec, payloads, timestamp)):
                read.append(read_stamp(decoded.to_ndarray(format="rgb24")))
    assert len(read) == len(sent)
    assert read == sent


def _jitter_frame(codec: str, payloads: list[bytes], timestamp: int) -> JitterFrame:
    """The encoded frame as aiortc's receiver hands it to the decoder: RTP payloads
    depacketized and joined."""
    data = b"".join(depayload(CODECS[codec], payload) for payload in payloads)
    return JitterFrame(data=data, timestamp=timestamp)


def test_small_frames_go_unstamped() -> None:
    assert stamp_geometry(319, 240) is None
    image = np.zeros((96, 128, 3), np.uint8)
    assert not stamp(image, 1, 2) and not image.any()
    assert read_stamp(image) is None

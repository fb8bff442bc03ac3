"""The live video to teleoperate by: WebRTC offers and the viewers' figures.

POST /api/live/offer takes the browser's offer (ICE candidates gathered, no trickle) for one
camera and answers; the browser's own RTCPeerConnection then plays the stream. The token is
required as for every /api route.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from server.models import LiveAnswerOut, LiveOfferIn, LiveViewerOut

router = APIRouter(prefix="/api/live", tags=["live view"])


@router.post("/offer", summary="Answer a WebRTC offer with one camera's live video")
async def offer(body: LiveOfferIn, request: Request) -> LiveAnswerOut:
    app = request.app
    cameras = app.state.engine.snapshot.cameras
    if not cameras:
        raise HTTPException(status.HTTP_409_CONFLICT, "no session is running: start one first")
    if body.camera not in cameras:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"no camera {body.camera!r} in this session; it has {', '.join(cameras)}",
        )
    try:
        viewer, answer = await app.state.live_views.offer(body.sdp, body.type, body.camera)
    except ValueError as exc:  # an SDP aiortc cannot parse or answer
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"bad offer: {exc}") from exc
    return LiveAnswerOut(sdp=answer.sdp, type=answer.type, viewer_id=viewer.id, codec=viewer.codec)


@router.get("", summary="The live video's viewers: codec, frames, kbit/s")
async def viewers(request: Request) -> list[LiveViewerOut]:
    return [LiveViewerOut(**v) for v in await request.app.state.live_views.status()]


@router.delete("/{viewer_id}", summary="Stop one viewer's stream (idempotent)")
async def close(viewer_id: int, request: Request) -> dict[str, bool]:
    """`closed` says whether it was still open: a page that closes its peer connection
    first may find the server already noticed."""
    return {"closed": await request.app.state.live_views.close(viewer_id)}

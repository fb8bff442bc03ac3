"""Bounds that the server's settings and the env configs share, checked here and nowhere else.

Only pydantic: the env configs import this where pydantic-settings may be missing (a lerobot
environment serving a policy with `leisaac_core.policy.lerobot_server` from a checkout).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

# The control and dataset rate (a backend may narrow it, as Isaac Lab does to the divisors
# of its physics rate).
Fps = Annotated[int, Field(ge=1, le=240, description="Control and dataset rate (frames/s)")]
# One side of a camera image in pixels.
CameraSide = Annotated[int, Field(ge=16, le=4096)]

"""The clean-toy-table scene's objects, shared by its one-arm and two-arm tasks.

LeIsaac's toy room (a USD scene it downloads) holds two letter-E toys and a box; here they
are a toy block with a raised E on top (the block is what a gripper holds) and an open box
whose inside is wider than the success rule's +-0.05 m, so a toy inside it counts.
"""

from __future__ import annotations

from leisaac_core.tasks.spec import ObjectSpec, Part, Vec3

TOY_HALF = 0.016  # half the block's side (m)
TOY_HALF_HEIGHT = 0.014
TOY_RGBA = (0.2, 0.55, 0.95, 1.0)
LETTER_RGBA = (0.98, 0.98, 0.95, 1.0)
BOX_INNER_HALF = 0.07
BOX_WALL = 0.005
BOX_HEIGHT = 0.035
BOX_RGBA = (0.85, 0.33, 0.25, 1.0)
TOYS = ("toy_1", "toy_2")


def _letter_e() -> tuple[Part, ...]:
    """An E of thin bars on the block's top face (drawn only), upright in the overhead
    cameras' images (they face the robot: image up is -x, image right +y)."""
    top = TOY_HALF_HEIGHT + 0.001
    stroke = 0.0025

    def bar(x: float, y: float, hx: float, hy: float) -> Part:
        return Part("box", (hx, hy, 0.001), (x, y, top), rgba=LETTER_RGBA, collides=False)

    return (
        bar(0.0, -0.006, 0.011, stroke),  # the spine
        bar(-0.0085, 0.0015, stroke, 0.0075),
        bar(0.0, 0.0, stroke, 0.006),
        bar(0.0085, 0.0015, stroke, 0.0075),
    )


def toy(name: str, pos: tuple[float, float], jitter: float) -> ObjectSpec:
    return ObjectSpec(
        name,
        "box",
        (TOY_HALF, TOY_HALF, TOY_HALF_HEIGHT),
        TOY_RGBA,
        pos=(pos[0], pos[1], TOY_HALF_HEIGHT),
        mass=0.03,
        xy_jitter=jitter,
        parts=_letter_e(),
    )


def box(pos: tuple[float, float], jitter: float) -> ObjectSpec:
    """An open box: its floor is the main geom (at the table), four walls around it."""
    floor_half = 0.0015
    outer = BOX_INNER_HALF + BOX_WALL
    wall_z = BOX_HEIGHT / 2
    wall_h = BOX_HEIGHT / 2

    def wall(x: float, y: float, hx: float, hy: float) -> Part:
        return Part("box", (hx, hy, wall_h), (x, y, wall_z))

    middle = BOX_INNER_HALF + BOX_WALL / 2
    centre: Vec3 = (pos[0], pos[1], floor_half)
    return ObjectSpec(
        "box",
        "box",
        (outer, outer, floor_half),
        BOX_RGBA,
        pos=centre,
        movable=False,
        xy_jitter=jitter,
        parts=(
            wall(middle, 0.0, BOX_WALL / 2, outer),
            wall(-middle, 0.0, BOX_WALL / 2, outer),
            wall(0.0, middle, BOX_INNER_HALF, BOX_WALL / 2),
            wall(0.0, -middle, BOX_INNER_HALF, BOX_WALL / 2),
        ),
    )

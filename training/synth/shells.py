"""Hollow open parts for the synthetic drawings: trays, boxes, cups, bowls and housings — a body with a wall
of even thickness, its top cut open, sometimes with ribs or bosses standing inside, holes in
the floor or a flange round the rim. Mostly turned with the opening to the camera, square-on in principal views.

Real parts are often shells (the meshes set's tray and octagonal pocket, the chair's dished seat), and seen
into they are the reverse of what every other generated figure teaches: the outline is the nearest thing
and the middle lies deep. Nothing else the generator makes is hollow."""
from __future__ import annotations

import math

import numpy as np

from . import sdf
from .solids import random_polygon, smooth_profile

BODIES = ("box", "round_box", "cylinder", "polygon", "bowl")
BODY_WEIGHTS = (0.3, 0.2, 0.2, 0.15, 0.15)
FACING_SHARE = 0.55   # opening turned to face the camera square-on
AWAY_SHARE = 0.15     # opening turned away (the drawing shows a closed back)


def _on_z(shape, offset=(0.0, 0.0, 0.0)):
    """A shape built about y (cylinders, turned profiles) turned onto z and moved to `offset`."""
    return sdf.transform(shape, sdf.rotation_matrix((math.pi / 2, 0.0, 0.0)), offset)


def _body(rng: np.random.Generator, kind: str):
    """A closed body along z, centred, fitting in the unit sphere: (sdf, half height)."""
    half = float(rng.uniform(0.2, 0.5))
    if kind == "box":
        return sdf.box([float(rng.uniform(0.4, 0.8)), float(rng.uniform(0.3, 0.7)), half]), half
    if kind == "round_box":
        sides = [float(rng.uniform(0.4, 0.8)), float(rng.uniform(0.3, 0.7)), half]
        return sdf.round_box(sides, min(sides) * float(rng.uniform(0.1, 0.5))), half
    if kind == "cylinder":   # sdf.cylinder runs along y: turn it onto z
        return _on_z(sdf.cylinder(float(rng.uniform(0.35, 0.8)), half)), half
    if kind == "polygon":
        return sdf.extrude(sdf.polygon2d(random_polygon(rng, float(rng.uniform(0.55, 0.8)))), half), half
    # a bowl: a smooth turned profile, widest at or near the rim
    outline = smooth_profile(rng, float(rng.uniform(0.45, 0.8)), half)
    return _on_z(sdf.revolve(sdf.polygon2d(outline))), half


def _slab(body, below: float, above: float):
    """The part of `body` between two heights z = below and z = above."""
    return sdf.intersect(body, sdf.intersect(sdf.below_z(below), sdf.above_z(above)))


def _inside(feature, cavity):
    """A feature clipped to the cavity, so ribs and bosses never stick out through the wall."""
    return sdf.intersect(feature, cavity)


def open_shell(rng: np.random.Generator):
    """A hollow open part along z, its opening at +z: (sdf, description)."""
    kind = str(rng.choice(BODIES, p=BODY_WEIGHTS))
    body, half = _body(rng, kind)
    wall = float(rng.uniform(0.03, 0.08))
    # the cut goes below the lid's inside face (half − wall), or the lid would stay on
    rim = (half - 1.5 * wall) * float(rng.uniform(0.4, 1.0))
    cavity = sdf.offset(body, -wall)   # inside of the wall (negative inside)
    shell = sdf.intersect(sdf.subtract(body, cavity), sdf.above_z(rim))
    shape, parts = shell, [kind]
    open_cavity = sdf.intersect(cavity, sdf.above_z(rim))
    top = rim - float(rng.uniform(0.0, 0.5)) * (rim + half)   # inner features stand up to here
    if rng.random() < 0.35:   # ribs across the cavity
        count = int(rng.integers(1, 4))
        along = int(rng.integers(0, 2))
        for k in range(count):
            at = (k + 1) / (count + 1) * 1.6 - 0.8
            size = [2.0, 2.0, 2.0]
            size[along] = wall * float(rng.uniform(0.5, 1.0))
            centre = [0.0, 0.0, top - 2.0]
            centre[along] = at * 0.8
            rib = sdf.transform(sdf.box(size), sdf.rotation_matrix((0.0, 0.0, 0.0)), tuple(centre))
            shape = sdf.union(shape, _inside(rib, open_cavity))
        parts.append(f"+ribs{count}")
    if rng.random() < 0.35:   # bosses standing on the floor, some bored through
        for _ in range(int(rng.integers(1, 5))):
            r = float(rng.uniform(0.04, 0.12))
            xy = rng.uniform(-0.5, 0.5, 2)
            boss = _on_z(sdf.cylinder(r, 1.0), (float(xy[0]), float(xy[1]), top - 1.0))
            boss = _inside(boss, open_cavity)
            if rng.random() < 0.6:
                bore = _on_z(sdf.cylinder(r * 0.5, 2.0), (float(xy[0]), float(xy[1]), 0.0))
                boss = sdf.subtract(boss, bore)
            shape = sdf.union(shape, boss)
        parts.append("+bosses")
    if rng.random() < 0.3:   # holes through the floor
        for _ in range(int(rng.integers(1, 5))):
            xy = rng.uniform(-0.5, 0.5, 2)
            hole = _on_z(sdf.cylinder(float(rng.uniform(0.03, 0.1)), 2.0), (float(xy[0]), float(xy[1]), 0.0))
            shape = sdf.subtract(shape, hole)
        parts.append("-holes")
    if rng.random() < 0.25:   # a flange round the rim
        grow = float(rng.uniform(0.06, 0.2))
        flange = _slab(sdf.offset(body, grow), rim - wall * float(rng.uniform(0.8, 1.5)), rim)
        shape = sdf.union(sdf.subtract(flange, cavity), shape)
        parts.append("+flange")
    return shape, "shell:" + "".join(parts)


def random_shell(rng: np.random.Generator, forward):
    """An open_shell placed for a camera looking along `forward`: mostly its opening square to the
    camera, some turned away, the rest lying on a side or turned freely: (sdf, description)."""
    shape, info = open_shell(rng)
    forward = np.asarray(forward, float)
    axis = int(np.argmax(np.abs(forward)))
    roll = sdf.rotation_matrix((0.0, 0.0, float(rng.choice([0.0, math.pi / 2]))))
    shape = sdf.transform(shape, roll, (0.0, 0.0, 0.0))
    pick = rng.random()
    if pick < FACING_SHARE + AWAY_SHARE:
        # along_axis puts the opening (+z) on +axis; the camera sits on the −forward side
        facing = pick < FACING_SHARE
        towards_plus = (forward[axis] < 0) == facing
        if not towards_plus:
            shape = sdf.transform(shape, sdf.rotation_matrix((math.pi, 0.0, 0.0)), (0.0, 0.0, 0.0))
        return sdf.along_axis(shape, axis), info + (" facing" if facing else " away")
    angles = rng.uniform(0, 2 * math.pi, 3) if rng.random() < 0.5 else \
        (float(rng.choice([math.pi / 2, -math.pi / 2])), 0.0, float(rng.uniform(0, 2 * math.pi)))
    return sdf.transform(shape, sdf.rotation_matrix(angles), (0.0, 0.0, 0.0)), info + " turned"

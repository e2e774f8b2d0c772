"""Machined features cut into a solid's face: blind pockets (rectangular, round, polygonal), grids of
pockets, counterbores and steps. Real parts are mostly made by removing material from a face and are
drawn looking square at it, where a pocket and a boss have the same outline; the random CSG of
solids.py rarely makes such clean recesses, so the network learnt raised features for them.

Lightening-pocket lattices (rib_lattice: square or honeycomb cells between thin ribs) are a separate
option. The face is found by probing the solid along the chosen axis; every pocket gets a floor (it
stops part-way through the local thickness)."""
from __future__ import annotations

import math

import numpy as np
import torch

from . import sdf

CLEARANCE = 0.3    # how far a cutter reaches out of the face, so it cuts cleanly through the surface
KINDS = ("pocket", "grid", "counterbore", "step")
KIND_WEIGHTS = (0.4, 0.25, 0.15, 0.2)


def _lateral(axis: int) -> list[int]:
    """The two world axes across `axis` (a face's u and v)."""
    return [a for a in range(3) if a != axis]


def probe(shape, axis: int, sign: float, grid: int = 17, reach: float = 1.3, samples: int = 131):
    """Where rays along −sign·axis enter and leave the solid, on a grid of lateral positions in
    [−0.95, 0.95]²: (lateral (grid², 2), entry (grid²,), thickness (grid²,)); NaN where a ray misses."""
    lin = np.linspace(-0.95, 0.95, grid)
    lat = np.stack(np.meshgrid(lin, lin, indexing="ij"), -1).reshape(-1, 2)
    along = sign * np.linspace(reach, -reach, samples)
    pts = np.zeros((len(lat), samples, 3), np.float32)
    others = _lateral(axis)
    pts[..., others[0]] = lat[:, None, 0]
    pts[..., others[1]] = lat[:, None, 1]
    pts[..., axis] = along[None]
    with torch.no_grad():
        inside = (shape(torch.from_numpy(pts.reshape(-1, 3))) < 0).numpy().reshape(len(lat), samples)
    hit = inside.any(1)
    first = inside.argmax(1)
    after = np.where(np.arange(samples)[None] >= first[:, None], ~inside, False)
    leave = np.where(after.any(1), after.argmax(1), samples - 1)
    step = 2 * reach / (samples - 1)
    entry = np.where(hit, along[first], np.nan)
    thickness = np.where(hit, (leave - first) * step, np.nan)
    return lat, entry, thickness


def _profile(rng, half_u: float, half_v: float):
    """A pocket's 2D signed-distance profile centred on 0 within ±half_u × ±half_v."""
    kind = rng.choice(["rect", "round", "polygon", "slot"], p=[0.35, 0.3, 0.2, 0.15])
    r = min(half_u, half_v)
    if kind == "rect":   # machined pockets have some corner radius (the cutter's)
        return sdf.rounded_rect2d(half_u, half_v, r * float(rng.uniform(0.0, 0.4)))
    if kind == "slot":
        return sdf.rounded_rect2d(half_u, half_v, r)
    if kind == "round":
        return sdf.rounded_rect2d(r, r, r)
    n = int(rng.choice([5, 6, 8]))
    return sdf.regular_polygon2d(r, n, rng.uniform(0, 2 * math.pi))


def _cutter(profile2d, axis, sign, centre_uv, entry, depth):
    """The profile extruded from CLEARANCE outside the face down to `depth` below it."""
    half = (depth + CLEARANCE) / 2
    offset = [0.0, 0.0, 0.0]
    others = _lateral(axis)
    offset[others[0]], offset[others[1]] = float(centre_uv[0]), float(centre_uv[1])
    offset[axis] = float(entry + sign * (CLEARANCE - depth) / 2)
    return sdf.along_axis(sdf.extrude(profile2d, half), axis, tuple(offset))


def _face(shape, axis: int, sign: float):
    """The face looking along +sign·axis: (lateral points on it, their min, max, the face's coordinate
    along the axis, the solid's median thickness under it), or None when the solid shows no such face."""
    lat, entry, thick = probe(shape, axis, sign)
    ok = np.isfinite(entry) & (thick > 0.12)
    if ok.sum() < 6:
        return None
    # the face: lateral positions within a small band of the nearest entry (a flat-ish top)
    top = np.nanmax(np.where(ok, sign * entry, np.nan))
    on_face = ok & (sign * entry > top - 0.08)
    if on_face.sum() < 4:
        on_face = ok
    pts = lat[on_face]
    return pts, pts.min(0), pts.max(0), sign * top, float(np.nanmedian(thick[on_face]))


def cut_face(shape, rng: np.random.Generator, forward=None, facing_share: float = 0.7):
    """The solid with one random face feature, and its description ("" when no face fits one).
    `forward`: the camera's view direction; `facing_share` of the features go on the side facing it."""
    if forward is not None and rng.random() < facing_share:
        axis = int(np.argmax(np.abs(forward)))
        sign = -float(np.sign(forward[axis]))
    else:
        axis, sign = int(rng.integers(0, 3)), float(rng.choice([-1.0, 1.0]))
    face = _face(shape, axis, sign)
    if face is None:
        return shape, ""
    pts, lo, hi, face_level, local_thick = face
    span = np.maximum(hi - lo, 0.12)
    depth = local_thick * float(rng.uniform(0.2, 0.7))
    kind = str(rng.choice(KINDS, p=KIND_WEIGHTS))
    if kind == "step":   # remove a slab past a line across the face: a stepped plate
        u = int(rng.integers(0, 2))
        centre = (lo + hi) / 2
        centre[u] = lo[u] + span[u] * float(rng.uniform(0.25, 0.75)) + (1 if rng.random() < 0.5 else -1) * 2.0
        cutter = _cutter(sdf.rounded_rect2d(2.0, 2.0), axis, sign, centre, face_level, depth)
        return sdf.subtract(shape, cutter), " -step"
    if kind == "grid":
        nu, nv = int(rng.integers(1, 5)), int(rng.integers(1, 4))
        if nu * nv == 1:
            nu = 2
        pitch = span * float(rng.uniform(0.6, 0.85)) / np.array([nu, nv])
        hu, hv = pitch * float(rng.uniform(0.3, 0.42))
        grid = sdf.repeat2d(_profile(rng, hu, hv), (nu, nv), tuple(float(x) for x in pitch))
        return sdf.subtract(shape, _cutter(grid, axis, sign, (lo + hi) / 2, face_level, depth)), f" -pocket_grid{nu}x{nv}"
    size = span * np.array(rng.uniform(0.15, 0.4, 2))
    centre = pts[int(rng.integers(0, len(pts)))]
    centre = np.clip(centre, lo + size, hi - size) if np.all(hi - lo > 2 * size) else (lo + hi) / 2
    cut = sdf.subtract(shape, _cutter(_profile(rng, *size), axis, sign, centre, face_level, depth))
    if kind == "counterbore":   # a through hole in the pocket's floor
        r = min(size) * float(rng.uniform(0.3, 0.6))
        cut = sdf.subtract(cut, _cutter(sdf.rounded_rect2d(r, r, r), axis, sign, centre, face_level, 3.0))
        return cut, " -counterbore"
    return cut, " -face_pocket"


def _lattice(rng, pitch: float, wall: float, counts):
    """Pocket cells `pitch` apart with `wall`-thick ribs between them: a square grid of rounded squares,
    or a honeycomb (hexagons in rows offset by half a cell)."""
    inner = (pitch - wall) / 2
    if rng.random() < 0.5:
        return sdf.repeat2d(sdf.rounded_rect2d(inner, inner, inner * float(rng.uniform(0.0, 0.3))),
                            counts, (pitch, pitch)), "square"
    row = pitch * math.sqrt(3) / 2
    hexagon = sdf.regular_polygon2d(inner * 2 / math.sqrt(3), 6, math.pi / 6)   # flats `inner` from its centre
    rows = sdf.repeat2d(hexagon, counts, (pitch, 2 * row))
    return sdf.union(rows, sdf.shift2d(rows, (pitch / 2, row))), "honeycomb"   # every other row, half a cell along


def rib_lattice(shape, outline, rng: np.random.Generator, forward):
    """Lightening pockets: a dense lattice of blind cells cut into the face looking at the camera, thin
    ribs between them and a rim left inside the face's `outline` (a 2D signed distance in the face's
    lateral axes; edge cells are cut short by it), as on a ribbed bracket or a honeycomb panel.
    Square-on, each cell is a closed outline like a boss's; only the paired lines of the thin ribs say
    the cells are recesses. Returns (solid, description)."""
    axis = int(np.argmax(np.abs(forward)))
    sign = -float(np.sign(forward[axis]))
    face = _face(shape, axis, sign)
    if face is None:
        return shape, ""
    _, lo, hi, face_level, local_thick = face
    span = np.maximum(hi - lo, 0.12)
    pitch = float(span.max()) / float(rng.uniform(3, 8))
    wall = pitch * float(rng.uniform(0.08, 0.2))
    depth = local_thick * float(rng.uniform(0.4, 0.85))
    rim = wall * float(rng.uniform(1.0, 2.0))
    counts = tuple(int(math.ceil(float(x) / pitch)) + 2 for x in span)
    cells, kind = _lattice(rng, pitch, wall, counts)
    centre = (lo + hi) / 2
    profile = sdf.intersect(cells, sdf.offset(sdf.shift2d(outline, -centre), -rim))   # cells inside the rim
    return sdf.subtract(shape, _cutter(profile, axis, sign, centre, face_level, depth)), f" -ribbed_{kind}"

"""Random solids for technical drawings: a base primitive, attached features (unions, some filleted)
and removed features (holes, slots, pockets), long thin turned parts (rods), smooth organic figures
(blobs), bodies with distinct parts sticking out of them (clusters) and smooth turned vessels with
handles and spouts, all seeded by a numpy Generator."""
from __future__ import annotations

import math

import numpy as np
from scipy.interpolate import PchipInterpolator

from . import sdf

AXIS_ROTATIONS = {"x": (0.0, 0.0, math.pi / 2), "y": (0.0, 0.0, 0.0), "z": (math.pi / 2, 0.0, 0.0)}
PRIMITIVES = ("box", "round_box", "cylinder", "cone", "sphere", "ellipsoid", "torus", "capsule",
              "extrusion", "revolution")
BASE_WEIGHTS = (0.2, 0.15, 0.15, 0.05, 0.03, 0.04, 0.05, 0.05, 0.16, 0.12)
ROD_KINDS = ("pin", "rounded_pin", "shaft", "tube")
ROD_WEIGHTS = (0.35, 0.2, 0.3, 0.15)


def random_polygon(rng: np.random.Generator, scale: float):
    """A 2D outline typical of machined parts: L, T, U shapes, regular polygons, or a star-ish blob."""
    kind = rng.choice(["L", "T", "U", "regular", "blob"], p=[0.25, 0.15, 0.15, 0.2, 0.25])
    s = scale
    if kind == "L":
        a, b = rng.uniform(0.3, 0.6, 2)
        pts = [(-1, -1), (1, -1), (1, -1 + 2 * a), (-1 + 2 * b, -1 + 2 * a), (-1 + 2 * b, 1), (-1, 1)]
    elif kind == "T":
        a, b = rng.uniform(0.25, 0.45), rng.uniform(0.2, 0.4)
        pts = [(-1, 1), (1, 1), (1, 1 - 2 * a), (b, 1 - 2 * a), (b, -1), (-b, -1), (-b, 1 - 2 * a), (-1, 1 - 2 * a)]
    elif kind == "U":
        a, b = rng.uniform(0.2, 0.35), rng.uniform(0.3, 0.7)
        pts = [(-1, -1), (1, -1), (1, 1), (1 - 2 * a, 1), (1 - 2 * a, -1 + 2 * b * 0.6), (-1 + 2 * a, -1 + 2 * b * 0.6),
               (-1 + 2 * a, 1), (-1, 1)]
    elif kind == "regular":
        n = int(rng.integers(3, 9))
        start = rng.uniform(0, 2 * math.pi)
        pts = [(math.cos(start + 2 * math.pi * k / n), math.sin(start + 2 * math.pi * k / n)) for k in range(n)]
    else:
        n = int(rng.integers(5, 11))
        angles = np.sort(rng.uniform(0, 2 * math.pi, n))
        radii = rng.uniform(0.5, 1.0, n)
        pts = [(r * math.cos(t), r * math.sin(t)) for r, t in zip(radii, angles)]
    aspect = rng.uniform(0.6, 1.0)
    return [(x * s, y * s * aspect) for x, y in pts]


def random_profile(rng: np.random.Generator, radius: float, half_height: float):
    """A (radius, y) outline for a turned part: steps and tapers along the axis."""
    n = int(rng.integers(2, 6))
    ys = np.linspace(-half_height, half_height, n + 1)
    radii = rng.uniform(0.3, 1.0, n) * radius
    pts = [(0.0, ys[0])]
    for i in range(n):
        taper = rng.uniform(-0.2, 0.2) * radius if rng.random() < 0.4 else 0.0
        pts += [(radii[i], ys[i]), (max(0.05 * radius, radii[i] + taper), ys[i + 1])]
    pts.append((0.0, ys[-1]))
    return pts


def primitive(rng: np.random.Generator, kind: str, size: float):
    u = lambda lo, hi: float(rng.uniform(lo, hi)) * size  # noqa: E731
    if kind == "box":
        return sdf.box([u(0.3, 1), u(0.3, 1), u(0.15, 1)])
    if kind == "round_box":
        half = [u(0.35, 1), u(0.35, 1), u(0.2, 1)]
        return sdf.round_box(half, min(half) * float(rng.uniform(0.1, 0.5)))
    if kind == "cylinder":
        return sdf.cylinder(u(0.3, 0.9), u(0.15, 1))
    if kind == "cone":
        return sdf.cone(u(0.4, 0.9), u(0.0, 0.5), u(0.3, 0.9))
    if kind == "sphere":
        return sdf.sphere(u(0.5, 0.9))
    if kind == "ellipsoid":
        return sdf.ellipsoid([u(0.3, 1), u(0.3, 1), u(0.3, 1)])
    if kind == "torus":
        big = u(0.45, 0.8)
        return sdf.torus(big, big * float(rng.uniform(0.15, 0.45)))
    if kind == "capsule":
        return sdf.capsule(u(0.2, 0.5), u(0.2, 0.6))
    if kind == "extrusion":
        return sdf.extrude(sdf.polygon2d(random_polygon(rng, size * float(rng.uniform(0.6, 1.0)))), u(0.1, 0.6))
    return sdf.revolve(sdf.polygon2d(random_profile(rng, u(0.4, 0.9), u(0.4, 1.0))))


def axis_rotation(rng: np.random.Generator, free: float = 0.15):
    if rng.random() < free:
        return sdf.rotation_matrix(rng.uniform(0, 2 * math.pi, 3))
    return sdf.rotation_matrix(AXIS_ROTATIONS[str(rng.choice(["x", "y", "z"]))])


def random_solid(rng: np.random.Generator):
    """A solid fitting in the unit sphere (roughly), plus a short description for debugging."""
    base_kind = str(rng.choice(PRIMITIVES, p=BASE_WEIGHTS))
    shape = sdf.transform(primitive(rng, base_kind, 0.75), axis_rotation(rng, 0.1), (0.0, 0.0, 0.0))
    parts = [base_kind]
    for _ in range(int(rng.choice([0, 1, 2], p=[0.4, 0.4, 0.2]))):
        kind = str(rng.choice(["box", "cylinder", "round_box", "sphere", "cone", "extrusion"]))
        offset = rng.uniform(-0.5, 0.5, 3)
        fillet = float(rng.uniform(0.02, 0.1)) if rng.random() < 0.4 else 0.0
        part = sdf.transform(primitive(rng, kind, 0.4), axis_rotation(rng), tuple(offset))
        shape = sdf.union(shape, part, fillet)
        parts.append(f"+{kind}")
    for _ in range(int(rng.choice([0, 1, 2, 3], p=[0.3, 0.35, 0.2, 0.15]))):
        kind = str(rng.choice(["hole", "slot", "pocket"], p=[0.55, 0.2, 0.25]))
        offset = tuple(rng.uniform(-0.45, 0.45, 3))
        if kind == "hole":
            cutter = sdf.cylinder(float(rng.uniform(0.05, 0.25)), 2.0)
        elif kind == "slot":
            w = float(rng.uniform(0.04, 0.12))
            cutter = sdf.round_box([float(rng.uniform(0.15, 0.4)), 2.0, w], w * 0.99)
        else:
            cutter = sdf.box([float(rng.uniform(0.1, 0.35)), float(rng.uniform(0.1, 0.35)), float(rng.uniform(0.1, 0.3))])
        shape = sdf.subtract(shape, sdf.transform(cutter, axis_rotation(rng, 0.05), offset),
                             float(rng.uniform(0.01, 0.04)) if rng.random() < 0.3 else 0.0)
        parts.append(f"-{kind}")
    return shape, " ".join(parts)


def random_rod(rng: np.random.Generator):
    """A pin, round-ended pin, stepped shaft or tube 3–14 times as long as it is thick. The primitives
    above are at most about 4 times longer than wide, so without these a long narrow outline seen
    side-on was always a flat bar to the network, never a round rod."""
    half = float(rng.uniform(0.6, 0.9))
    r = half / float(rng.uniform(3, 14))
    kind = str(rng.choice(ROD_KINDS, p=ROD_WEIGHTS))
    if kind == "pin":
        shape = sdf.cylinder(r, half)
    elif kind == "rounded_pin":
        shape = sdf.capsule(r, half - r)
    elif kind == "shaft":
        shape = sdf.revolve(sdf.polygon2d(random_profile(rng, r, half)))
    else:
        shape = sdf.subtract(sdf.cylinder(r, half), sdf.cylinder(r * float(rng.uniform(0.5, 0.8)), half + 0.1))
    return sdf.transform(shape, axis_rotation(rng, 0.15), (0.0, 0.0, 0.0)), f"rod:{kind}"


def random_blob(rng: np.random.Generator):
    """A smooth organic figure: 3–7 ellipsoids and capsules blended with wide fillets, like a sculpted
    animal, a vase or a handle. Every other solid here is machined (flat faces, sharp or small-radius
    edges), while a drawing of a sculpted or cast object has soft, rounded volumes everywhere."""
    count = int(rng.integers(3, 8))
    shape = None
    for k in range(count):
        centre = tuple(rng.uniform(-0.4, 0.4, 3) * (0.4 if k == 0 else 1.0))
        if rng.random() < 0.65:
            part = sdf.ellipsoid([float(v) for v in rng.uniform(0.12, 0.45, 3)])
        else:
            radius = float(rng.uniform(0.06, 0.18))
            part = sdf.capsule(radius, float(rng.uniform(0.1, 0.4)))
        part = sdf.transform(part, sdf.rotation_matrix(rng.uniform(0, 2 * math.pi, 3)), centre)
        shape = part if shape is None else sdf.union(shape, part, float(rng.uniform(0.08, 0.25)))
    return shape, f"blob:{count}"


CLUSTER_PARTS = ("ellipsoid", "sphere", "capsule", "cylinder", "round_box")
CLUSTER_WEIGHTS = (0.35, 0.2, 0.2, 0.15, 0.1)


def random_cluster(rng: np.random.Generator):
    """A rounded body with 2–6 distinct parts standing out of its surface in every direction, joined
    with at most a small fillet, like the feet, ears and head of an animal or the lugs of a casting.
    Blobs melt their parts together, so they have no lines where one part passes in front of another;
    here the outline of a part in front cuts across the body behind it, and only that junction tells
    which is nearer (the meshes set's animals seen head-on are read with their feet behind the body)."""
    _, shape, count = cluster_parts(rng)
    return sdf.transform(shape, sdf.rotation_matrix(rng.uniform(0, 2 * math.pi, 3)), (0.0, 0.0, 0.0)), f"cluster:{count}"


def cluster_parts(rng: np.random.Generator):
    """random_cluster before it is turned: (the body alone, the body with its parts, how many parts)."""
    radii = rng.uniform(0.3, 0.5, 3)
    body = sdf.ellipsoid([float(v) for v in radii]) if rng.random() < 0.7 else \
        sdf.round_box([float(v) * 0.8 for v in radii], float(radii.min()) * 0.3)
    shape = body
    count = int(rng.integers(2, 7))
    for _ in range(count):
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        size = float(rng.uniform(0.1, 0.28))
        kind = str(rng.choice(CLUSTER_PARTS, p=CLUSTER_WEIGHTS))
        if kind == "ellipsoid":
            part = sdf.ellipsoid([float(v) for v in rng.uniform(0.5, 1.0, 3) * size])
        elif kind == "sphere":
            part = sdf.sphere(size * 0.8)
        elif kind == "capsule":
            part = sdf.capsule(size * 0.45, size * float(rng.uniform(0.5, 1.2)))
        elif kind == "cylinder":
            part = sdf.cylinder(size * 0.6, size * float(rng.uniform(0.4, 1.0)))
        else:
            part = sdf.round_box([float(v) for v in rng.uniform(0.4, 0.9, 3) * size], size * 0.15)
        # the centre sits about on the body's surface, so most of the part stands out of it
        centre = direction * radii * float(rng.uniform(0.85, 1.15))
        part = sdf.transform(part, sdf.rotation_matrix(rng.uniform(0, 2 * math.pi, 3)), tuple(float(v) for v in centre))
        shape = sdf.union(shape, part, float(rng.uniform(0.0, 0.04)))
    return body, shape, count


def random_plate(rng: np.random.Generator, axis: int):
    """A flat plate (L, T, U, polygon or free outline, 0.1–0.4 thick) lying across `axis`, to carry a
    lattice of lightening pockets (faces.rib_lattice): (solid, its 2D outline in the other two axes, in
    increasing order, as faces.rib_lattice takes it, description)."""
    outline = sdf.polygon2d(random_polygon(rng, float(rng.uniform(0.6, 0.9))))
    plate = sdf.extrude(outline, float(rng.uniform(0.05, 0.2)))
    return sdf.along_axis(plate, axis), outline, "plate"


def smooth_profile(rng: np.random.Generator, radius: float, half_height: float, points: int = 25):
    """A (radius, y) outline with no steps: radii at five heights, the widest being `radius`, joined by
    a monotone cubic (no overshoot past the chosen radii), sampled at `points` heights."""
    control = rng.uniform(0.3, 1.0, 5) * radius
    control[int(rng.integers(1, 4))] = radius
    ys = np.linspace(-half_height, half_height, points)
    radii = PchipInterpolator(np.linspace(0, 1, 5), control)((ys + half_height) / (2 * half_height))
    return [(0.0, -half_height)] + [(float(r), float(y)) for r, y in zip(radii, ys)] + [(0.0, half_height)]


def random_vessel(rng: np.random.Generator):
    """A smooth turned body (vase, bottle, bowl or pot), often with a ring handle, a tapering spout or a
    knob on top, like a jug or a teapot; mostly standing upright. The turned parts above are stepped
    shafts with flat shoulders, and blobs have no axis, so a drawing of a pot had nothing like it."""
    shape, info = vessel_body(rng)
    spin = sdf.rotation_matrix((0.0, float(rng.uniform(0, 2 * math.pi)), 0.0))   # handle and spout face anywhere
    stand = sdf.rotation_matrix(AXIS_ROTATIONS["z"]) if rng.random() < 0.6 else axis_rotation(rng, 0.2)
    return sdf.transform(shape, stand @ spin, (0.0, 0.0, 0.0)), info


def vessel_body(rng: np.random.Generator):
    """random_vessel before it is placed: the turned body about y, the handle on +x, the spout on −x."""
    squat = rng.random() < 0.5
    half = float(rng.uniform(0.3, 0.5) if squat else rng.uniform(0.55, 0.85))
    radius = float(rng.uniform(0.55, 0.8) if squat else rng.uniform(0.3, 0.55))
    outline = smooth_profile(rng, radius, half)
    body = sdf.revolve(sdf.polygon2d(outline))
    ys = np.array([y for _, y in outline[1:-1]])
    rs = np.array([r for r, _ in outline[1:-1]])
    at = lambda y: float(np.interp(y, ys, rs))  # noqa: E731
    shape, parts = body, []
    if rng.random() < 0.45:   # a ring handle on +x, its plane through the axis
        big, small = float(rng.uniform(0.15, 0.3)), float(rng.uniform(0.03, 0.07))
        y = float(rng.uniform(-0.3, 0.3)) * half
        ring = sdf.transform(sdf.torus(big, small), sdf.rotation_matrix((math.pi / 2, 0.0, 0.0)),
                             (at(y) + big * 0.6, y, 0.0))
        shape = sdf.union(shape, ring, float(rng.uniform(0.02, 0.06)))
        parts.append("+handle")
    if rng.random() < 0.35:   # a spout leaving the body on -x, leaning outwards
        lean, length = float(rng.uniform(0.4, 1.1)), float(rng.uniform(0.15, 0.3))
        base_r = float(rng.uniform(0.05, 0.11))
        y = float(rng.uniform(-0.5, 0.2)) * half
        direction = np.array([-math.sin(lean), math.cos(lean), 0.0])
        centre = np.array([-at(y) * 0.7, y, 0.0]) + direction * length
        spout = sdf.transform(sdf.cone(base_r, base_r * float(rng.uniform(0.35, 0.8)), length),
                              sdf.rotation_matrix((0.0, 0.0, lean)), tuple(centre))
        shape = sdf.union(shape, spout, float(rng.uniform(0.02, 0.06)))
        parts.append("+spout")
    if rng.random() < 0.3:   # a knob on the top, as on a lid
        knob = float(rng.uniform(0.05, 0.12))
        shape = sdf.union(shape, sdf.transform(sdf.sphere(knob), sdf.rotation_matrix((0.0, 0.0, 0.0)),
                                               (0.0, half + knob * 0.6, 0.0)), knob * 0.5)
        parts.append("+knob")
    return shape, "vessel:" + ("".join(parts) or "plain")

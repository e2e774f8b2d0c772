"""Machined parts with exact solids, drawn as third-angle three-view sheets with hidden lines dashed.

Used by benchmarks/sheet_solid.py and the tests; nothing here is part of the add-on. A part is a union of
boxes and cylinders (along x, y or z) with other boxes and cylinders cut from it: plates with drilled
holes and slots, blocks with pockets and cross holes, L-brackets, bosses with counterbores, stepped
shafts, closed housings. The drawing does not come from voxels: each pixel's ray meets every primitive
in an exact interval, the intervals are combined, and an edge is drawn where neighbouring rays cross the
solid differently (a different number of pieces, or a surface that jumps). An edge is visible when the
nearest surface jumps, hidden (dashed) otherwise. Millimetres throughout; x right, y back, z up.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

AXIS = {"x": 0, "y": 1, "z": 2}


@dataclass
class Box:
    lo: tuple
    hi: tuple

    def interval(self, ray: int, u: np.ndarray, v: np.ndarray, across: tuple):
        """Where rays along axis `ray`, at (u, v) on the other two axes `across`, are inside."""
        a, b = across
        hit = (u >= self.lo[a]) & (u <= self.hi[a]) & (v >= self.lo[b]) & (v <= self.hi[b])
        return hit, np.full(u.shape, self.lo[ray], float), np.full(u.shape, self.hi[ray], float)

    def contains(self, p):
        return np.all((p >= self.lo) & (p <= self.hi), axis=-1)


@dataclass
class Cylinder:
    axis: str
    centre: tuple        # the point on the axis at `lo`, as (x, y, z) with the axis coordinate ignored
    radius: float
    lo: float
    hi: float

    def interval(self, ray: int, u, v, across):
        k = AXIS[self.axis]
        c = np.asarray(self.centre, float)
        if ray == k:                                  # looking down the axis: a disc
            a, b = across
            hit = (u - c[a]) ** 2 + (v - c[b]) ** 2 <= self.radius ** 2
            return hit, np.full(u.shape, self.lo), np.full(u.shape, self.hi)
        along = u if across[0] == k else v           # the pixel's coordinate along the axis
        w, other = (v, across[1]) if across[0] == k else (u, across[0])
        half = np.sqrt(np.maximum(self.radius ** 2 - (w - c[other]) ** 2, 0))
        hit = (along >= self.lo) & (along <= self.hi) & (np.abs(w - c[other]) < self.radius)
        return hit, c[ray] - half, c[ray] + half

    def contains(self, p):
        k = AXIS[self.axis]
        rest = [i for i in range(3) if i != k]
        c = np.asarray(self.centre, float)
        r2 = sum((p[..., i] - c[i]) ** 2 for i in rest)
        return (r2 <= self.radius ** 2) & (p[..., k] >= self.lo) & (p[..., k] <= self.hi)


@dataclass
class Part:
    name: str
    add: list
    cut: list = field(default_factory=list)
    holes: int = 0       # through-holes, slots and pockets read only from lines inside the views

    @property
    def bounds(self):
        lo = np.full(3, np.inf)
        hi = np.full(3, -np.inf)
        for p in self.add:
            if isinstance(p, Box):
                lo, hi = np.minimum(lo, p.lo), np.maximum(hi, p.hi)
            else:
                k = AXIS[p.axis]
                c = np.asarray(p.centre, float)
                plo, phi = c - p.radius, c + p.radius
                plo[k], phi[k] = p.lo, p.hi
                lo, hi = np.minimum(lo, plo), np.maximum(hi, phi)
        return lo, hi

    def contains(self, p):
        inside = np.logical_or.reduce([q.contains(p) for q in self.add])
        for q in self.cut:
            inside &= ~q.contains(p)
        return inside

    def occupancy(self, shape) -> np.ndarray:
        """The solid sampled at the centres of a grid of `shape` cells over its bounding box."""
        lo, hi = self.bounds
        axes = [lo[k] + (np.arange(n) + 0.5) * (hi[k] - lo[k]) / n for k, n in enumerate(shape)]
        return self.contains(np.stack(np.meshgrid(*axes, indexing="ij"), -1))

    def pieces(self, ray: int, u, v, across):
        return _pieces(self, ray, u, v, across)


@dataclass
class MeshPart:
    """A closed triangle mesh (a real part's STL) drawn and scored like a generated part."""
    name: str
    vertices: np.ndarray
    faces: np.ndarray
    holes: int = 1

    @property
    def bounds(self):
        return self.vertices.min(0), self.vertices.max(0)

    def occupancy(self, shape) -> np.ndarray:
        return mesh_occupancy(self.vertices, self.faces, shape, *self.bounds)

    def pieces(self, ray: int, u, v, across):
        """Each ray's pieces inside the mesh: its crossings sorted along the ray, taken in pairs. Rays are
        nudged by a hair off the pixel grid, so that none runs exactly along a CAD edge."""
        a, b = across
        tri = self.vertices[self.faces].astype(np.float64)
        u = u + 1.234e-5 * np.ptp(self.vertices[:, a])
        v = v + 2.345e-5 * np.ptp(self.vertices[:, b])
        p0, p1, p2 = tri[:, 0], tri[:, 1], tri[:, 2]
        den = (p1[:, b] - p2[:, b]) * (p0[:, a] - p2[:, a]) + (p2[:, a] - p1[:, a]) * (p0[:, b] - p2[:, b])
        ok = np.abs(den) > 1e-15
        p0, p1, p2, den = p0[ok], p1[ok], p2[ok], den[ok]
        v_lo = np.minimum(np.minimum(p0[:, b], p1[:, b]), p2[:, b])
        v_hi = np.maximum(np.maximum(p0[:, b], p1[:, b]), p2[:, b])
        hits = [[] for _ in range(len(u))]
        for row in np.unique(v):                   # one image row at a time, with its triangles only
            at = np.flatnonzero(v == row)
            t = (v_lo <= row) & (v_hi >= row)
            if not t.any():
                continue
            q0, q1, q2, d = p0[t], p1[t], p2[t], den[t]
            qu = u[at][:, None]
            l1 = ((q1[:, b] - q2[:, b]) * (qu - q2[:, a]) + (q2[:, a] - q1[:, a]) * (row - q2[:, b])) / d
            l2 = ((q2[:, b] - q0[:, b]) * (qu - q2[:, a]) + (q0[:, a] - q2[:, a]) * (row - q2[:, b])) / d
            l3 = 1 - l1 - l2
            r, k = np.nonzero((l1 >= 0) & (l2 >= 0) & (l3 >= 0))
            depth = l1[r, k] * q0[k, ray] + l2[r, k] * q1[k, ray] + l3[r, k] * q2[k, ray]
            for i, z in zip(at[r], depth):
                hits[i].append(z)
        width = max(1, max(len(h) for h in hits) // 2)
        start = np.full((len(u), width), np.nan)
        stop = np.full((len(u), width), np.nan)
        for i, h in enumerate(hits):
            h = np.sort(h)[:len(h) // 2 * 2]
            start[i, :len(h) // 2], stop[i, :len(h) // 2] = h[0::2], h[1::2]
        return start, stop


def _pieces(part: Part, ray: int, u, v, across):
    """Each ray's pieces inside the solid: (start, end) arrays of shape rays × slots, NaN where unused."""
    spans = [q.interval(ray, u, v, across) for q in part.add + part.cut]
    ends = np.stack([np.where(h, e0, np.nan) for h, e0, _ in spans] + [np.where(h, e1, np.nan) for h, _, e1 in spans], -1)
    ends = np.sort(ends, axis=-1)                                   # NaN last
    mid = (ends[:, :-1] + ends[:, 1:]) / 2
    n_add = len(part.add)
    inside = np.zeros(mid.shape, bool)
    for j, (h, e0, e1) in enumerate(spans):
        within = h[:, None] & (mid > e0[:, None]) & (mid < e1[:, None])
        inside = inside | within if j < n_add else inside & ~within
    inside &= np.isfinite(mid)
    before = np.concatenate([np.zeros((len(mid), 1), bool), inside[:, :-1]], 1)
    after = np.concatenate([inside[:, 1:], np.zeros((len(mid), 1), bool)], 1)
    opens, closes = inside & ~before, inside & ~after               # where each piece starts and stops
    width = max(1, int(opens.sum(1).max()))
    start = np.full((len(mid), width), np.nan)
    stop = np.full((len(mid), width), np.nan)
    rows, cols = np.nonzero(opens)
    start[rows, np.cumsum(opens, 1)[rows, cols] - 1] = ends[:, :-1][rows, cols]
    rows, cols = np.nonzero(closes)
    stop[rows, np.cumsum(closes, 1)[rows, cols] - 1] = ends[:, 1:][rows, cols]
    return start, stop


VIEWS = {   # ray axis, (the image's x axis, its up axis)
    "front": (1, (0, 2)),    # looking along +y
    "side": (0, (1, 2)),     # looking along −x: y to the right
    "top": (2, (0, 1)),      # looking down −z: y up
}


def nearest(part: Part, name: str, px_per_mm: float, pad: int = 2):
    """(start, stop, first, count) of one view over the part's extent and `pad` pixels of paper round it,
    rows down: each pixel's pieces inside the solid (nearest first, NaN where unused; millimetres along
    the view, growing away from the viewer), the nearest surface (NaN off the part) and the pieces' count."""
    ray, (a, b) = VIEWS[name]
    lo, hi = part.bounds
    cols = int(round((hi[a] - lo[a]) * px_per_mm)) + 1 + 2 * pad
    rows = int(round((hi[b] - lo[b]) * px_per_mm)) + 1 + 2 * pad
    u = lo[a] + (np.arange(cols) - pad) / px_per_mm
    v = hi[b] - (np.arange(rows) - pad) / px_per_mm          # row 0 at the top
    uu, vv = np.meshgrid(u, v)
    start, stop = part.pieces(ray, uu.ravel(), vv.ravel(), (a, b))
    if name != "front":           # seen from +x or +z: depth runs against the axis
        start, stop = np.sort(-stop, axis=1), np.sort(-start, axis=1)   # nearest first, NaN last
    first = start[:, 0]                                      # pieces are in depth order
    count = np.isfinite(start).sum(1)
    shape = (rows, cols)
    return (start.reshape(shape + (-1,)), stop.reshape(shape + (-1,)), first.reshape(shape),
            count.reshape(shape))


def view(part: Part, name: str, px_per_mm: float, dash=(12, 7), jump_px: float = 6.0, pad: int = 2):
    """(visible, hidden) edge masks of one view, rows down, over the part's extent in that view and
    `pad` pixels of paper round it."""
    start, stop, first, count = nearest(part, name, px_per_mm, pad)
    rows, cols = first.shape
    jump = jump_px / px_per_mm
    visible = np.zeros(first.shape, bool)
    hidden = np.zeros(first.shape, bool)
    for dy, dx in ((0, 1), (1, 0)):
        p = (slice(0, rows - dy), slice(0, cols - dx))
        q = (slice(dy, rows), slice(dx, cols))
        empty = (count[p] == 0) != (count[q] == 0)
        near_jump = np.abs(np.nan_to_num(first[p], nan=1e9) - np.nan_to_num(first[q], nan=1e9)) > jump
        differ = count[p] != count[q]
        width = min(start.shape[-1], 8)
        for k in range(width):
            for arr in (start, stop):
                x, y = arr[p][..., k], arr[q][..., k]
                differ |= np.isfinite(x) & np.isfinite(y) & (np.abs(x - y) > jump)
        vis = empty | ((count[p] > 0) & (count[q] > 0) & near_jump)
        hid = differ & ~vis
        along = np.arange(rows - dy)[:, None] if dx else np.arange(cols - dx)[None, :]
        on = (along % sum(dash)) < dash[0]
        for m, src in ((visible, vis), (hidden, hid & on)):
            m[p] |= src
    return visible, hidden & ~visible


def view_truth(part: Part, name: str, px_per_mm: float, pad: int = 2) -> dict:
    """The exact depth of one view on the grid `view` draws it on: "nearness", the nearest surface scaled
    to [0, 1] over the part (all 1 when it is one flat face); "mask", where a ray meets the part;
    "proportion", its depth range ÷ its width, as in examples/*-truth.npz."""
    from depthy_blender.core.proportion import figure_width
    _, _, first, count = nearest(part, name, px_per_mm, pad)
    mask = count > 0
    near = np.where(mask, -np.nan_to_num(first), 0.0)
    low, high = near[mask].min(), near[mask].max()
    nearness = np.where(mask, (near - low) / (high - low) if high > low else 1.0, 0.0)
    return {"nearness": nearness, "mask": mask, "proportion": float((high - low) / (figure_width(mask) / px_per_mm))}


def single_view(part: Part, name: str, size: int = 320, fill: float = 0.75):
    """One view drawn alone, square-on, as an artist would draw a plate or a flange for a relief: its
    visible edges in a two-pixel pen, black on white, the part's longer side `fill` of a `size`² image.
    Returns (rgba float32, truth), the truth (view_truth) placed as the drawing is."""
    lo, hi = part.bounds
    _, (a, b) = VIEWS[name]
    px_per_mm = fill * size / float(max(hi[a] - lo[a], hi[b] - lo[b]))
    own = view_truth(part, name, px_per_mm, pad=3)
    visible, _ = view(part, name, px_per_mm, pad=3)
    rows, cols = visible.shape
    y0, x0 = (size - rows) // 2, (size - cols) // 2
    place = (slice(y0, y0 + rows), slice(x0, x0 + cols))
    ink = np.zeros((size, size), bool)
    ink[place] = two_pixel_pen(visible)
    truth = {"proportion": own["proportion"]}
    for key in ("nearness", "mask"):
        truth[key] = np.zeros((size, size), own[key].dtype)
        truth[key][place] = own[key]
    grey = np.where(ink, 0.0, 1.0).astype(np.float32)
    return np.stack([grey, grey, grey, np.ones_like(grey)], -1), truth


def two_pixel_pen(lines: np.ndarray) -> np.ndarray:
    """Edge masks drawn with a two-pixel pen: each edge pixel also inks the pixel below and to its right."""
    thick = lines.copy()
    thick[1:] |= lines[:-1]
    thick[:, 1:] |= lines[:, :-1]
    return thick


def sheet(part: Part, px_per_mm: float = None, longest_px: int = 380, gap_px: int = 90, margin: int = 70):
    """The third-angle sheet as an RGB image (plan above the front view, right view beside it) and the
    view boxes (x0, y0, x1, y1) in pixels."""
    lo, hi = part.bounds
    if px_per_mm is None:
        px_per_mm = longest_px / float(np.max(hi - lo))
    drawn = {name: view(part, name, px_per_mm) for name in VIEWS}
    h_front, w_front = drawn["front"][0].shape
    h_top, w_side = drawn["top"][0].shape[0], drawn["side"][0].shape[1]
    width = 2 * margin + w_front + gap_px + w_side
    height = 2 * margin + h_top + gap_px + h_front
    ink = np.zeros((height, width), bool)
    boxes = {"top": (margin, margin), "front": (margin, margin + h_top + gap_px),
             "side": (margin + w_front + gap_px, margin + h_top + gap_px)}
    out = {}
    for name, (x0, y0) in boxes.items():
        vis, hid = drawn[name]
        r, c = vis.shape
        ink[y0:y0 + r, x0:x0 + c] |= two_pixel_pen(vis | hid)
        out[name] = (x0, y0, x0 + c, y0 + r)
    grey = np.where(ink, 0, 255).astype(np.uint8)
    return np.stack([grey] * 3, -1), out


def save_sheet(part: Part, path, **kw):
    rgb, boxes = sheet(part, **kw)
    Image.fromarray(rgb).save(path)
    return boxes


# ---- the parts ---------------------------------------------------------------------------------------

def plate_with_holes(n_holes=2, width=120.0, depth=70.0, thick=10.0, radius=8.0) -> Part:
    """A plate with `n_holes` drilled through it along z, in a row (genus = n_holes)."""
    xs = np.linspace(-width / 2, width / 2, n_holes + 2)[1:-1]
    cut = [Cylinder("z", (x, 0.0, 0.0), radius, -1.0, thick + 1.0) for x in xs]
    return Part(f"plate-{n_holes}-holes", [Box((-width / 2, -depth / 2, 0), (width / 2, depth / 2, thick))],
                cut, holes=n_holes)


def generated(seed: int) -> Part:
    """One of eight families, with sizes and positions drawn from `seed`."""
    rng = np.random.default_rng(seed)
    kind = seed % 8
    U = lambda a, b: float(rng.uniform(a, b))      # noqa: E731
    if kind == 0:                                  # plate, drilled holes and a slot
        w, d, t = U(90, 150), U(50, 90), U(6, 14)
        n = int(rng.integers(1, 4))
        xs = np.linspace(-w / 2, w / 2, n + 2)[1:-1]
        r = U(4, min(9, d / 6))
        cut = [Cylinder("z", (x, d / 4, 0), r, -1, t + 1) for x in xs]
        sw = U(0.3, 0.5) * w
        cut.append(Box((-sw / 2, -d / 3, -1), (sw / 2, -d / 3 + U(6, 10), t + 1)))
        return Part(f"plate-{seed}", [Box((-w / 2, -d / 2, 0), (w / 2, d / 2, t))], cut, holes=n + 1)
    if kind == 1:                                  # block with a blind pocket and a blind hole from the top
        w, d, h = U(70, 120), U(50, 90), U(25, 45)
        pw, pd, ph = U(0.25, 0.4) * w, U(0.3, 0.5) * d, U(0.3, 0.6) * h
        cut = [Box((-w / 2 + 8, -pd / 2, h - ph), (-w / 2 + 8 + pw, pd / 2, h + 1)),
               Cylinder("z", (w / 4, 0, 0), U(5, 9), h - U(0.3, 0.7) * h, h + 1)]
        return Part(f"pocket-block-{seed}", [Box((-w / 2, -d / 2, 0), (w / 2, d / 2, h))], cut, holes=2)
    if kind == 2:                                  # L-bracket with a hole in each leg
        w, d, t, h = U(60, 110), U(50, 80), U(8, 14), U(45, 80)
        add = [Box((-w / 2, -d / 2, 0), (w / 2, d / 2, t)), Box((-w / 2, d / 2 - t, 0), (w / 2, d / 2, h))]
        r1, r2 = U(4, 8), U(4, 8)
        cut = [Cylinder("z", (0, -d / 6, 0), r1, -1, t + 1),
               Cylinder("y", (0, 0, t + (h - t) / 2), r2, d / 2 - t - 1, d / 2 + 1)]
        return Part(f"l-bracket-{seed}", add, cut, holes=2)
    if kind == 3:                                  # block with a cross hole along x and a corner step
        w, d, h = U(60, 110), U(40, 70), U(35, 60)
        cut = [Cylinder("x", (0, 0, h * U(0.35, 0.55)), U(5, 0.25 * min(d, h)), -w / 2 - 1, w / 2 + 1),
               Box((w / 2 - U(0.2, 0.35) * w, -d / 2 - 1, h - U(0.2, 0.35) * h), (w / 2 + 1, d / 2 + 1, h + 1))]
        return Part(f"cross-hole-{seed}", [Box((-w / 2, -d / 2, 0), (w / 2, d / 2, h))], cut, holes=1)
    if kind == 4:                                  # plate with a boss, counterbored hole through both
        w, d, t = U(80, 130), U(60, 100), U(8, 14)
        rb, hb = U(14, 22), U(10, 25)
        rh = rb * U(0.35, 0.5)
        add = [Box((-w / 2, -d / 2, 0), (w / 2, d / 2, t)), Cylinder("z", (0, 0, 0), rb, t, t + hb)]
        cut = [Cylinder("z", (0, 0, 0), rh, -1, t + hb + 1),
               Cylinder("z", (0, 0, 0), rh * 1.6, t + hb - U(3, 6), t + hb + 1),
               Cylinder("z", (w / 2 - 14, d / 2 - 14, 0), U(4, 6), -1, t + 1)]
        return Part(f"boss-{seed}", add, cut, holes=3)
    if kind == 5:                                  # stepped shaft along z with a bore
        r1, r2, h1, h2 = U(25, 40), U(12, 22), U(15, 30), U(20, 40)
        add = [Cylinder("z", (0, 0, 0), r1, 0, h1), Cylinder("z", (0, 0, 0), r2, h1, h1 + h2)]
        cut = [Cylinder("z", (0, 0, 0), r2 * U(0.4, 0.6), -1, h1 + h2 + 1)]
        return Part(f"shaft-{seed}", add, cut, holes=1)
    if kind == 6:                                  # closed housing: a box with a hidden cavity and a drain hole
        w, d, h, wall = U(70, 120), U(50, 90), U(30, 60), U(5, 9)
        cut = [Box((-w / 2 + wall, -d / 2 + wall, wall), (w / 2 - wall, d / 2 - wall, h - wall)),
               Cylinder("z", (0, 0, 0), U(4, 7), h - wall - 1, h + 1)]
        return Part(f"housing-{seed}", [Box((-w / 2, -d / 2, 0), (w / 2, d / 2, h))], cut, holes=2)
    # kind 7: U-channel (an outline feature) with holes in its floor
    w, d, h, wall = U(80, 140), U(40, 70), U(25, 45), U(6, 10)
    cut = [Box((-w / 2 - 1, -d / 2 + wall, wall), (w / 2 + 1, d / 2 - wall, h + 1)),
           Cylinder("z", (-w / 4, 0, 0), U(4, 0.3 * (d - 2 * wall)), -1, wall + 1),
           Cylinder("z", (w / 4, 0, 0), U(4, 0.3 * (d - 2 * wall)), -1, wall + 1)]
    return Part(f"channel-{seed}", [Box((-w / 2, -d / 2, 0), (w / 2, d / 2, h))], cut, holes=2)


# ---- true solids of meshes ---------------------------------------------------------------------------

def mesh_occupancy(vertices: np.ndarray, faces: np.ndarray, shape, lo, hi) -> np.ndarray:
    """A closed triangle mesh sampled at the centres of a grid of `shape` cells over lo..hi: a cell is
    inside when an odd number of triangles cross its column below it."""
    nx, ny, nz = shape
    centres = [lo[k] + (np.arange(n) + 0.5) * (hi[k] - lo[k]) / n for k, n in enumerate(shape)]
    tri = np.asarray(vertices, float)[np.asarray(faces)]
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    den = (b[:, 1] - c[:, 1]) * (a[:, 0] - c[:, 0]) + (c[:, 0] - b[:, 0]) * (a[:, 1] - c[:, 1])
    keep = np.abs(den) > 1e-12                      # triangles seen edge-on from below cross no column
    a, b, c, den = a[keep], b[keep], c[keep], den[keep]
    x_lo, x_hi = np.minimum(np.minimum(a[:, 0], b[:, 0]), c[:, 0]), np.maximum(np.maximum(a[:, 0], b[:, 0]), c[:, 0])
    occ = np.zeros(shape, bool)
    qy = centres[1][:, None]
    for i, qx in enumerate(centres[0]):             # one row of columns at a time, with its triangles only
        t = (x_lo <= qx) & (x_hi >= qx)
        if not t.any():
            continue
        ta, tb, tc, td = a[t], b[t], c[t], den[t]
        l1 = ((tb[:, 1] - tc[:, 1]) * (qx - tc[:, 0]) + (tc[:, 0] - tb[:, 0]) * (qy - tc[:, 1])) / td
        l2 = ((tc[:, 1] - ta[:, 1]) * (qx - tc[:, 0]) + (ta[:, 0] - tc[:, 0]) * (qy - tc[:, 1])) / td
        l3 = 1 - l1 - l2
        col, k = np.nonzero((l1 >= 0) & (l2 >= 0) & (l3 >= 0))
        z = l1[col, k] * ta[k, 2] + l2[col, k] * tb[k, 2] + l3[col, k] * tc[k, 2]
        below = np.searchsorted(centres[2], z)      # the first cell centre above each crossing
        crossings = np.zeros((ny, nz + 1), np.int32)
        np.add.at(crossings, (col, below), 1)
        occ[i] = np.cumsum(crossings[:, :nz], axis=1) % 2 == 1
    return occ

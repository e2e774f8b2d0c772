"""A closed solid from the front, side and top silhouettes of an orthographic drawing (visual hull).

The front view looks along +Y (x right, z up), the right side view along −X (y right, z up), the top view
down −Z (x right, y up). Sheets drawn in first-angle projection, or with the side view seen from the left,
are brought into that frame with `projection` and `as_right_view`.
Each mask is cropped to its figure; the solid spans the front view's width and height and the top
view's height (= the side view's width).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass
class Solid:
    vertices: np.ndarray   # (V, 3) float32, centred, x right / y back / z up
    faces: np.ndarray      # (F, 3) int32, outward
    occupancy: np.ndarray  # (nx, ny, nz) bool voxels


def _bounds(mask):
    """The rows and columns a view's figure spans."""
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        raise ValueError("a view has an empty silhouette")
    return slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)


def _fit(mask, rows, cols):
    """Nearest-neighbour resample of a mask to (rows, cols)."""
    r = (np.arange(rows) + 0.5) * mask.shape[0] / rows
    c = (np.arange(cols) + 0.5) * mask.shape[1] / cols
    return mask[np.minimum(r.astype(int), mask.shape[0] - 1)][:, np.minimum(c.astype(int), mask.shape[1] - 1)]


def _cover(mask, rows, cols, inset: float = 0.0):
    """A mask, or a signed field (float, ≥ 0 inside), sampled at the centres of (rows, cols) cells
    spanning its figure, interpolated between pixels. The figure's edge is taken at the outer edge of its
    first and last pixels, moved `inset` pixels inward (to an outline's centre: see from_sheet_views).
    A nearest-pixel pick, or a span half a pixel off, shifts an edge by up to a cell depending on where
    the cells fall: a whole voxel layer on a wall a few voxels thick."""
    r = inset - 0.5 + (np.arange(rows) + 0.5) * (mask.shape[0] - 2 * inset) / rows
    c = inset - 0.5 + (np.arange(cols) + 0.5) * (mask.shape[1] - 2 * inset) / cols
    rr, cc = np.meshgrid(r, c, indexing="ij")
    level = 0.5 if mask.dtype == bool else 0.0
    return ndimage.map_coordinates(mask.astype(np.float32), [rr, cc], order=1, mode="nearest") >= level


@dataclass
class Grid:
    """Where each view's figure lies in its image and the voxel grid they span together."""
    bounds: dict            # view → (rows, cols) slices of its figure
    shape: tuple            # (nx, ny, nz)
    insets: dict = None     # view → pixels from its figure's outer pixel edges in to the drawn edge
                            # (half a pen: the figure's mask holds the outline's ink)
    extent: tuple = None    # (width, depth, height) in pixels, before rounding to whole cells

    @property
    def cell(self) -> tuple:
        """Each axis's cell size in pixels: the views span whole cells, so they differ a little."""
        return tuple(e / n for e, n in zip(self.extent, self.shape))

    def plane(self, image: np.ndarray, view: str) -> np.ndarray:
        """A view-sized image (the mask, a region) on the view's voxel plane: front [x, z], side [y, z],
        top [x, y], each with its second axis pointing up or back."""
        nx, ny, nz = self.shape
        rows, cols = {"front": (nz, nx), "side": (nz, ny), "top": (ny, nx)}[view]
        inset = (self.insets or {}).get(view, 0.0)
        return _cover(image[self.bounds[view]], rows, cols, inset)[::-1].T


VIEWS = ("front", "side", "top")
VOXEL_BUDGET = 24_000_000   # voxels a solid may have: about 100 MB while it is meshed
WALL_CELLS = 3              # the thinnest wall gets at least this many voxels across


def thinnest(mask: np.ndarray, side: int = 512, share: float = 0.005) -> float:
    """The thinnest wall of a figure, as a fraction of its longest side: the narrowest disk whose
    opening removes a noticeable share of the figure (worked on a copy at most `side` pixels long)."""
    crop = mask[_bounds(mask)]
    longest = max(crop.shape)
    small = _cover(crop, max(1, round(crop.shape[0] * side / longest)), max(1, round(crop.shape[1] * side / longest))) \
        if longest > side else crop
    area = small.sum()
    inset = ndimage.distance_transform_edt(np.pad(small, 1))[1:-1, 1:-1]

    def removed(r):            # what an opening with a disk of radius r takes away: the pixels farther
        fits = inset > r       # than r from every centre where such a disk fits inside
        if not fits.any():
            return area
        return np.count_nonzero(small & (ndimage.distance_transform_edt(~fits) > r))
    lo, hi = 0, max(small.shape)          # the removed share only grows with r: bisect
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if removed(mid) >= share * area else (mid, hi)
    return min(1.0, (2 * hi - 1) / max(small.shape))   # a disk of radius r first fails a wall of 2r − 1 or 2r


def resolution_for(masks, least: int = 128, budget: int = VOXEL_BUDGET) -> int:
    """Voxels along the longest side: at least `least`, and enough for WALL_CELLS across the thinnest
    wall any view shows, as far as `budget` allows."""
    g = grid(*masks, resolution=least)
    sides = [max(r.stop - r.start, c.stop - c.start) for r, c in g.bounds.values()]   # front, side, top
    wall = min(thinnest(m) * n for m, n in zip(masks, sides))      # in pixels
    longest = max(sides)
    want = int(np.ceil(WALL_CELLS * longest / max(wall, 1e-9)))
    most = int((budget * least ** 3 / float(np.prod(g.shape))) ** (1 / 3))
    return int(max(least, min(want, most, 512)))


def grid(front, side, top, resolution: int = 128, insets: dict = None) -> Grid:
    """The voxel grid of three views: the front view's width and height, the plan's and side view's
    depth (their shared extents averaged), `resolution` cells along the longest. `insets` (view →
    pixels) moves a view's edges in from its outer pixels' edges, as Grid.plane does."""
    bounds = {"front": _bounds(front), "side": _bounds(side), "top": _bounds(top)}
    insets = insets or {}
    size = {v: (b[0].stop - b[0].start - 2 * insets.get(v, 0.0), b[1].stop - b[1].start - 2 * insets.get(v, 0.0))
            for v, b in bounds.items()}
    width = size["front"][1]
    height = (size["front"][0] + size["side"][0]) / 2
    depth = (size["top"][0] + size["side"][1]) / 2
    scale = resolution / max(width, height, depth)
    extent = (width, depth, height)
    return Grid(bounds, tuple(max(2, round(v * scale)) for v in extent), insets, extent)


def resize(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """A mask or value map resampled (nearest neighbour) to exactly (rows, cols)."""
    return _fit(image, rows, cols)


def rescale(image: np.ndarray, factor: float) -> np.ndarray:
    """A mask or value map resampled (nearest neighbour) to `factor` times its size."""
    rows, cols = (max(1, round(n * factor)) for n in image.shape)
    return _fit(image, rows, cols)


def carve(front: np.ndarray, side: np.ndarray, top: np.ndarray, resolution: int = 128) -> np.ndarray:
    """Voxels inside all three silhouettes: occupancy[x, y, z]."""
    g = grid(front, side, top, resolution)
    return _hull(g, front, side, top)


def _hull(g: Grid, front, side, top) -> np.ndarray:
    f, s, t = g.plane(front, "front"), g.plane(side, "side"), g.plane(top, "top")
    return f[:, None, :] & s[None, :, :] & t[:, :, None]


def refine(occupancy: np.ndarray, front_near=None, side_near=None, top_near=None,
           tolerance: float = 2.0) -> np.ndarray:
    """Depth hull: carve what lies in front of each view's estimated surface.

    Silhouettes cannot see a pocket in a face; a view's nearness can. Each nearness map (same crop as
    its mask, larger = nearer, NaN = unknown) is mapped to voxel depth by a line fitted to the hull's own
    front depths (an engine's nearness has no units; rays where the hull sits in front of the fitted
    surface are refitted without), and voxels more than `tolerance` voxels in front of that surface are
    removed. A view is left out when its hull front is flat (no scale to fit) or its nearness runs
    against the hull (a positive slope).
    """
    occ = occupancy.copy()
    nx, ny, nz = occ.shape
    # each view as [across, depth from the viewer, up] with its nearness on [across, up]
    views = (
        (front_near, lambda o: o, lambda o: o, (nz, nx)),                                   # along +y
        (side_near, lambda o: o[::-1].transpose(1, 0, 2), lambda o: o.transpose(1, 0, 2)[::-1], (nz, ny)),  # along −x
        (top_near, lambda o: o[:, :, ::-1].transpose(0, 2, 1), lambda o: o.transpose(0, 2, 1)[:, :, ::-1],
         (ny, nx)),                                                                          # down −z
    )
    for near, to_view, from_view, shape in views:
        if near is None:
            continue
        rays = _fit_values(np.asarray(near, np.float64), *shape)[::-1].T
        occ = from_view(_carve_in_front(to_view(occ), rays, tolerance))
    return occ


def _fit_values(values, rows, cols):
    """Nearest-neighbour resample of a value map cropped to its finite area."""
    finite = np.isfinite(values)
    ys, xs = np.nonzero(finite)
    if ys.size == 0:
        return np.full((rows, cols), np.nan)
    return _fit(values[ys.min():ys.max() + 1, xs.min():xs.max() + 1], rows, cols)


# A voxel exactly `tolerance` in front of the fitted surface is kept. polyfit's last bits differ between
# numpy builds (1.26.4 under Blender 5.0, 2.5.5 beside bpy 5.3: a few ulps apart on the same points), so the
# comparison allows this much rounding; without it such a voxel is kept on one and carved on the other.
ROUNDING = 1e-6
# A view whose nearness spreads less than this share of its largest value is one flat face (Flat Faces'
# one height, stored in float32 on the relief and read back a few ulps apart): it says nothing of depth.
FLAT_SPREAD = 1e-4


def _carve_in_front(occ, near, tolerance):
    """occ [a, d, b] with d the depth index from the viewer; near [a, b]."""
    seen = occ.any(axis=1)
    valid = seen & np.isfinite(near)
    if valid.sum() < 16 or np.ptp(near[valid]) <= FLAT_SPREAD * np.abs(near[valid]).max():
        return occ
    first = np.argmax(occ, axis=1).astype(np.float64)
    if np.ptp(first[valid]) < 1:      # a flat hull front gives no scale for the nearness: nothing to trust
        return occ
    use = valid
    for _ in range(3):                # refit without the rays where the hull sits in front (the pockets)
        slope, offset = np.polyfit(near[use], first[use], 1)
        if slope >= 0:
            return occ
        keep = valid & (first >= offset + slope * near - tolerance - ROUNDING)
        if keep.sum() < 16 or np.array_equal(keep, use):
            break
        use = keep
    cut = np.where(valid, offset + slope * near - tolerance - ROUNDING, -np.inf)
    depth = np.arange(occ.shape[1], dtype=np.float64)[None, :, None]
    return occ & (depth >= cut[:, None, :])


def mesh(occupancy: np.ndarray, size: float = 1.0, cell: tuple = (1.0, 1.0, 1.0)) -> Solid:
    """Marching cubes over the (padded) voxels, each axis's cells `cell` long; the longest side
    becomes `size`."""
    from skimage import measure
    padded = np.pad(occupancy, 1).astype(np.float32)
    smooth = ndimage.gaussian_filter(padded, 0.6)
    verts, faces, _, _ = measure.marching_cubes(smooth, 0.5, gradient_direction="ascent")
    cell = np.asarray(cell, np.float64)
    verts = (verts - 1.0 - (np.array(occupancy.shape) - 1) / 2) * cell
    verts *= size / max(np.array(occupancy.shape) * cell)
    faces = faces.astype(np.int32)
    a, b, c = (verts[faces[:, k]] for k in range(3))
    if np.einsum("ij,ij->i", a, np.cross(b, c)).sum() < 0:
        faces = faces[:, ::-1].copy()
    return Solid(verts.astype(np.float32), faces, occupancy)


def projection(front_box, top_box) -> str:
    """"third" when the plan is drawn above the front view (third-angle), "first" when below it.
    Boxes are (x0, y0, x1, y1) in sheet pixels, y down."""
    return "third" if top_box[1] + top_box[3] < front_box[1] + front_box[3] else "first"


def as_right_view(side: np.ndarray, side_box, front_box, angle: str) -> np.ndarray:
    """The side silhouette as seen from the right. Third-angle puts the right view right of the front
    view and the left view left of it; first-angle the other way round. A view from the left is the
    mirror image (the object's front is on its right), so it is flipped. The plan needs no change: in
    both projections it shows the object's front at the bottom."""
    placed_right = side_box[0] + side_box[2] > front_box[0] + front_box[2]
    from_right = placed_right == (angle == "third")
    return side if from_right else side[:, ::-1]


def from_views(front, side, top, resolution: int = 128, size: float = 1.0) -> Solid:
    return mesh(carve(front, side, top, resolution), size)


def from_sheet_views(masks, boxes, resolution: int = 128, nearness=None, inks=None, bridge: int = 0,
                     adapt: bool = True) -> Solid:
    """The solid from the (front, side, top) masks drawn on a sheet at `boxes` (x0, y0, x1, y1, y down):
    the projection is read from the layout and a side view seen from the left is mirrored. With `inks`
    (each view's lines, the same crops) holes, slots and pockets are cut where the lines inside the
    views agree on them (core/cavities.py; `bridge` closes dashes); with `nearness` (the same three
    views) the hull is refined into a depth hull. With `adapt`, `resolution` is the least: it is raised
    until the thinnest wall is WALL_CELLS voxels across, within VOXEL_BUDGET, and with `inks` a little
    further where that puts cell walls on the drawn faces (cell_fit)."""
    front_box, side_box, top_box = boxes
    angle = projection(front_box, top_box)

    def right(side_image):
        return as_right_view(side_image, side_box, front_box, angle)
    front, side, top = masks
    side = right(side)
    if inks is None:
        if adapt:
            resolution = resolution_for((front, side, top), resolution)
        g = grid(front, side, top, resolution)
        occupancy = _hull(g, front, side, top)
    else:   # the drawn edges lie on the lines' centres, half a pen inside the figures' masks
        from . import cavities
        masks = (front, side, top)
        inks = (inks[0], right(inks[1]), inks[2])
        pens = [cavities.pen_width(i & m) for m, i in zip(masks, inks)]
        trimmed = [cavities.to_line_centres(m, i, p) for m, i, p in zip(masks, inks, pens)]
        if adapt:
            resolution = resolution_for(trimmed, resolution)
        insets = {v: p / 2 for v, p in zip(VIEWS, pens)}
        outlines = [cavities.centre_field(m, p) for m, p in zip(masks, pens)]
        regions = {v: cavities.regions(i, t, bridge, sub_pixel=True) for v, i, t in zip(VIEWS, inks, trimmed)}
        if adapt:                # cell walls on the drawn faces, not a layer decided by half a pixel
            from . import cell_fit
            g = grid(*masks, resolution, insets)
            fields = {v: [f[g.bounds[v]] for f in [o] + regions[v]] for v, o in zip(VIEWS, outlines)}
            resolution = cell_fit.best_resolution(cell_fit.edges_by_axis(fields, insets),
                                                  lambda n: grid(*masks, n, insets).shape, resolution, VOXEL_BUDGET)
        g = grid(*masks, resolution, insets)
        occupancy = _hull(g, *outlines)
        planes = {v: [g.plane(r, v) for r in regions[v]] for v in VIEWS}
        occupancy, _ = cavities.carve(occupancy, planes)
    if nearness is not None:
        front_near, side_near, top_near = nearness
        occupancy = refine(occupancy, front_near, right(side_near), top_near)
    return mesh(occupancy, cell=g.cell)     # each axis as long as the views draw it, not as rounded


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))

"""Holes, slots, pockets and hollows read from the lines drawn inside three orthographic views.

A silhouette hull never sees a hole: every view's outline is filled. A draftsman reads one from the lines
inside the outlines. A closed contour in one view (a circle in the plan) is a hole when the other two
views show edges that match its extent (the two hidden lines of a drilled hole in the front and side
views) and bound the same empty space. Here each view is cut into the closed regions its lines make
(visible and hidden lines alike: a DXF's hidden layer, or dashes bridged in a raster), and for each region
the regions of the two other views that lie within its extent are taken as the same cavity seen from
there. The cavity is the product of the three (a small visual hull of the empty space), and it is cut
from the solid only when every view's outline stays as drawn: a boss or a pad drawn the same way would
change an outline when removed, a hole does not. A region whose extent is all the other views' outlines
span at some heights is a raised part (a turned step, a boss): beside it, at those heights, the hull's
square corners are cut away.

Planes: front [x, z], side [y, z], top [x, y], as in visual_hull (x right, y back, z up).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

AXES = {"front": ("x", "z"), "side": ("y", "z"), "top": ("x", "y")}
AXIS_INDEX = {"x": 0, "y": 1, "z": 2}
TOLERANCE = 2          # cells: how far matching edges may be apart
LARGEST = 0.9          # a cavity with this share of the solid or more is the reading gone wrong
OUTLINE_SLACK = 0.003  # share of a view's outline cells a cut may take off (rounding at its edge)
FLANK_SLACK = 0.25     # share of the cells beside a hole's edges that may lie outside the figure (it breaks out)


@dataclass
class Region:
    """One closed region of a view on its voxel plane, filled (what it encloses belongs to it)."""
    cells: np.ndarray                       # bool plane
    extent: dict[str, tuple[int, int]]      # axis → first, last cell


def regions(ink: np.ndarray, mask: np.ndarray, bridge: int = 0, sub_pixel: bool = False) -> list[np.ndarray]:
    """The closed regions inside a view's figure, in pixels: the figure cut by its lines (dashes joined
    over gaps up to `bridge` pixels), each region filled and grown back over half a line so that it
    reaches its contour. The region that is the whole figure is left out. With `sub_pixel`, each comes
    as a signed field (reach_field) whose zero is its contour's centre line."""
    lines = ink & mask
    if bridge > 0:
        lines = bridged(lines, bridge) & mask
    paper = mask & ~lines
    labels, count = ndimage.label(paper)
    width = _line_width(lines)
    pen = pen_width(lines) if sub_pixel else 0.0
    inset = ndimage.distance_transform_edt(paper)
    widest = ndimage.maximum(inset, labels, np.arange(1, count + 1)) if count else []
    out = []
    for k, box in enumerate(ndimage.find_objects(labels), 1):
        if box is None or widest[k - 1] < 2.5:   # crumbs between a line and the figure's edge: no room inside
            continue
        area = np.zeros(mask.shape, bool)
        area[box] = ndimage.binary_fill_holes(labels[box] == k)
        grown = ndimage.binary_dilation(area, iterations=max(1, width)) & mask
        if grown.sum() >= 0.97 * mask.sum():
            continue
        out.append(np.where(mask, reach_field(area, pen), -1.0).astype(np.float32) if sub_pixel else grown)
    return out


def bridged(lines: np.ndarray, gap: int, back: int = 6) -> np.ndarray:
    """Dashed lines made whole: every free end of a stroke is drawn on along its own direction by `gap`
    pixels (a whole gap: the stroke beyond may be an outline, which has no end to meet it halfway). The direction comes from the stroke's centre line, walked `back` pixels from the end, so a
    dash continues into the next dash of its line (or reaches the outline it stops short of) and never
    across to a line beside it."""
    from skimage.draw import line as segment
    from skimage.morphology import skeletonize
    centre = skeletonize(lines)
    count = ndimage.convolve(centre.astype(np.uint8), np.ones((3, 3), np.uint8), mode="constant") - 1
    out = lines.copy()
    h, w = lines.shape
    pen = max(1, int(round(pen_width(lines) / 2)))
    for y, x in np.argwhere(centre & (count == 1)):
        path, seen = [(y, x)], {(y, x)}
        while len(path) <= back:                     # walk back along the centre line from the end
            cy, cx = path[-1]
            nxt = [(cy + dy, cx + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                   if (dy or dx) and 0 <= cy + dy < h and 0 <= cx + dx < w and centre[cy + dy, cx + dx]
                   and (cy + dy, cx + dx) not in seen]
            if len(nxt) != 1:                        # a branch or the stroke's other end
                break
            path.append(nxt[0])
            seen.add(nxt[0])
        if len(path) < 3:
            continue
        dy, dx = y - path[-1][0], x - path[-1][1]
        norm = np.hypot(dy, dx)
        ty, tx = int(round(y + gap * dy / norm)), int(round(x + gap * dx / norm))
        rr, cc = segment(int(y), int(x), ty, tx)
        keep = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
        out[rr[keep], cc[keep]] = True
    return out | ndimage.binary_dilation(out & ~lines, iterations=pen)   # the drawn-on ends at the pen's width


def pen_width(ink: np.ndarray) -> float:
    """The drawing pen's width in pixels: the ink's area over the length of its centre lines."""
    from skimage.morphology import skeletonize
    length = np.count_nonzero(skeletonize(ink))
    return float(np.count_nonzero(ink)) / length if length else 1.0


def to_line_centres(mask: np.ndarray, ink: np.ndarray, pen: float | None = None) -> np.ndarray:
    """A figure filled out to the outside of its outline, trimmed back to the outline's centre, where
    the drawn edge lies (half a pen: a pixel or two, but a voxel layer on a thin wall), to the nearest
    whole pixel; centre_field places that edge between pixels. `pen`: pen_width(ink & mask), if known."""
    half = int(round((pen_width(ink & mask) if pen is None else pen) / 2))
    return ndimage.binary_erosion(mask, iterations=half, border_value=0) if half else mask


def centre_field(mask: np.ndarray, pen: float) -> np.ndarray:
    """The figure as a signed field, ≥ 0 inside its outline's centre line: pixels from the figure's
    outer edge, less half a pen. Sampled between pixels (visual_hull.Grid.plane) the edge falls where
    the pen's centre is, between two pixels for an even pen and on a pixel's middle for an odd one."""
    depth = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]   # to the nearest pixel outside
    return (depth - 0.5 - pen / 2).astype(np.float32)


def reach_field(area: np.ndarray, pen: float) -> np.ndarray:
    """A region of paper as a signed field, ≥ 0 out to the centre of the lines round it: half a pen
    (`pen` pixels wide) beyond its own edge."""
    out = ndimage.distance_transform_edt(~area)                     # to the nearest pixel of the region
    return (0.5 + pen / 2 - out).astype(np.float32)


def _line_width(lines: np.ndarray) -> int:
    """About half a line's width in pixels: the largest distance to paper along the lines' middles."""
    if not lines.any():
        return 1
    depth = ndimage.distance_transform_edt(lines)
    return int(np.ceil(np.percentile(depth[depth > 0], 90)))


def on_plane(cells: np.ndarray, view: str) -> Region:
    names = AXES[view]
    extent = {}
    for k, name in enumerate(names):
        hit = np.nonzero(cells.any(axis=1 - k))[0]
        extent[name] = (int(hit[0]), int(hit[-1])) if hit.size else (0, -1)
    return Region(cells, extent)


def _within(region: Region, axis: str, lo: int, hi: int) -> bool:
    a, b = region.extent[axis]
    return a >= lo - TOLERANCE and b <= hi + TOLERANCE


def _matching(candidates: list[Region], axis: str, lo: int, hi: int) -> np.ndarray | None:
    """The union of the regions lying within lo..hi along `axis`, when together they reach both ends."""
    inside = [r for r in candidates if _within(r, axis, lo, hi)]
    if not inside:
        return None
    first = min(r.extent[axis][0] for r in inside)
    last = max(r.extent[axis][1] for r in inside)
    if first > lo + TOLERANCE or last < hi - TOLERANCE:
        return None
    return np.logical_or.reduce([r.cells for r in inside])


def _flanked(seen: np.ndarray, axis: int, outline: np.ndarray) -> bool:
    """The matching regions have the figure on both sides along the shared axis: the edges a hole
    shows in another view run through the part. (A raised step's own outline, seen from above like a
    hole's, sits on the other view's outline instead, with nothing beyond it.)"""
    beside = np.zeros_like(seen)
    for step in range(1, TOLERANCE + 2):      # past a line the region may stop short of
        beside |= np.roll(seen, step, axis=axis) | np.roll(seen, -step, axis=axis)
    beside &= ~seen
    return bool(beside.any()) and (beside & ~outline).sum() <= FLANK_SLACK * beside.sum()


def _solid(cells: np.ndarray, view: str) -> np.ndarray:
    """A plane's cells as a broadcastable [x, y, z] array."""
    if view == "front":
        return cells[:, None, :]
    if view == "side":
        return cells[None, :, :]
    return cells[:, :, None]


def _projections(occ: np.ndarray) -> dict[str, np.ndarray]:
    return {"front": occ.any(axis=1), "side": occ.any(axis=0), "top": occ.any(axis=2)}


def inner(region: np.ndarray, mask: np.ndarray, margin: int = 1) -> bool:
    """A region enclosed by its view's outline: it stays `margin` cells clear of the figure's edge. (A
    region that reaches the outline is a face beside an edge line, not a hole; a hole or groove open to
    the outline already shows in the silhouettes.)"""
    edge = mask & ~ndimage.binary_erosion(mask, iterations=margin, border_value=0)
    return not (region & edge).any()


def carve(occupancy: np.ndarray, planes: dict[str, list[np.ndarray]]) -> tuple[np.ndarray, int]:
    """The occupancy with every cavity the views' regions agree on cut out, and how many were cut.
    `planes` maps front / side / top to that view's regions, each already on its voxel plane."""
    found = {view: [on_plane(c, view) for c in cells if c.any()] for view, cells in planes.items()}
    outline = _projections(occupancy)
    occ = occupancy.copy()
    total = occupancy.sum()
    cut = 0
    order = sorted(((r.cells.sum(), view, i) for view, rs in found.items() for i, r in enumerate(rs)),
                   reverse=True)
    for _, view, i in order:
        region = found[view][i]
        if not inner(region.cells, outline[view]):
            continue
        for piece in (_cavity(region, view, found, outline), _beside_raised(region, view, outline)):
            if piece is None:
                continue
            piece = np.broadcast_to(piece, occ.shape) & occ
            removed = int(piece.sum())
            if removed == 0 or removed >= LARGEST * total:
                continue
            left = occ & ~piece
            if _outlines_kept(left, _projections(occ), view, region.cells):
                occ = left
                cut += 1
    return occ, cut


def _cavity(region: Region, view: str, found: dict, outline: dict) -> np.ndarray | None:
    """The hole a region of `view` is, seen from the other views: the product of the three, or None
    when another view shows no matching edges running through the part."""
    cavity = _solid(region.cells, view)
    for other in found:
        if other == view:
            continue
        (shared,) = set(AXES[view]) & set(AXES[other])
        seen = _matching(found[other], shared, *region.extent[shared])
        if seen is None or not _flanked(seen, AXES[other].index(shared), outline[other]):
            return None
        cavity = cavity & _solid(seen, other)
    return cavity


def _beside_raised(region: Region, view: str, outline: dict) -> np.ndarray | None:
    """What a hull holds beside a raised part whose outline is this region: the levels (along the
    view's own axis) where both other views' outlines span exactly the region's extent are the raised
    part alone, so nothing outside the region stands there. (A turned step or a boss: the hull makes it
    square in plan; the plan's circle says it is round.) None when there are no such levels."""
    (depth,) = set("xyz") - set(AXES[view])
    levels = None
    for other in outline:
        if other == view:
            continue
        (shared,) = set(AXES[view]) & set(AXES[other])
        lo, hi = region.extent[shared]
        plane = outline[other] if AXES[other].index(shared) == 0 else outline[other].T   # [shared, depth]
        present = plane.any(0)
        first = np.where(present, np.argmax(plane, 0), -10 * TOLERANCE)
        last = np.where(present, plane.shape[0] - 1 - np.argmax(plane[::-1], 0), -10 * TOLERANCE)
        spans = (np.abs(first - lo) <= TOLERANCE) & (np.abs(last - hi) <= TOLERANCE)
        levels = spans if levels is None else levels & spans
    if levels is None or not levels.any():
        return None
    shape = [1, 1, 1]
    shape[AXIS_INDEX[depth]] = -1
    return ~_solid(region.cells, view) & levels.reshape(shape)


def _outlines_kept(occ: np.ndarray, outline: dict, view: str, region: np.ndarray) -> bool:
    """The other two views' outlines as they were, but for a few cells where a curved region meets a
    straight outline, and the cells one either side of the region's own ends (the same edge placed by
    two views, a fraction of a cell apart); the cut's own view may open only within its region (a
    through hole shows as one)."""
    after = _projections(occ)
    ends = on_plane(region, view).extent
    for v, drawn in outline.items():
        lost = drawn & ~after[v]
        if v == view:
            lost &= ~ndimage.binary_dilation(region)
        else:
            (shared,) = set(AXES[view]) & set(AXES[v])
            lo, hi = ends[shared]
            along = np.arange(drawn.shape[AXES[v].index(shared)])
            edge = (np.abs(along - lo) <= 1) | (np.abs(along - hi) <= 1)
            lost &= ~(edge[:, None] if AXES[v].index(shared) == 0 else edge[None, :])
        if lost.sum() > OUTLINE_SLACK * drawn.sum():
            return False
    return True

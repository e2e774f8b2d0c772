"""Technical drawing sheets → the views on them.

Geometry ink is dark and unsaturated; dimensions, centre lines and notes are usually coloured. The frame
and title block are the ink spanning most of the sheet; text, QR codes and leaders are told apart from
views by the shape of their ink. The remaining ink is grouped into regions, each tagged front / top /
side from the layout (third- or first-angle), pictorial when it is a shaded or coloured render, or unknown.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

ROLES = ("front", "top", "side", "section", "pictorial", "unknown")


@dataclass
class View:
    box: tuple[int, int, int, int]     # x0, y0, x1, y1 in pixels (x1, y1 exclusive)
    role: str
    ink: np.ndarray                    # bool crop: geometry ink of this view
    mask: np.ndarray                   # bool crop: the view's figure (ink with enclosed areas filled)


def ink_layers(rgb: np.ndarray):
    """(geometry ink, coloured ink, shaded fill) masks of an RGB float image."""
    lum = rgb @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    sat = rgb.max(-1) - rgb.min(-1)
    paper = np.median(rgb.reshape(-1, 3), axis=0)
    off_paper = np.abs(rgb - paper).max(-1)
    geometry = (lum < 0.5) & (sat < 0.2)
    coloured = (sat >= 0.2) & (off_paper > 0.12)
    shaded = (off_paper > 0.05) & ~geometry & ~coloured    # grey shading of renders, even light ones
    return geometry, coloured, shaded


def _components(mask, structure=np.ones((3, 3), bool)):
    labels, n = ndimage.label(mask, structure)
    return labels, ndimage.find_objects(labels), n


def remove_frame(geometry: np.ndarray, span: float = 0.85) -> np.ndarray:
    """Drop ink components that span most of the sheet both ways: the border, with the title block's
    table and fold marks joined to it."""
    h, w = geometry.shape
    labels, boxes, _ = _components(geometry)
    keep = geometry.copy()
    for k, sl in enumerate(boxes, 1):
        bh, bw = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
        if bw > span * w and bh > span * h:
            keep[sl][labels[sl] == k] = False
    return keep


def _title_block_area(removed: np.ndarray) -> np.ndarray:
    """Boxes of closed table cells left by the removed frame (the title block), to drop what is in them."""
    holes = ndimage.binary_fill_holes(removed) & ~removed
    labels, boxes, _ = _components(holes)
    h, w = removed.shape
    cells = np.zeros(removed.shape, bool)
    for k, sl in enumerate(boxes, 1):
        bh, bw = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
        if bh * bw < 0.25 * h * w:          # a table cell, not the whole sheet inside the border
            cells[sl] |= labels[sl] == k
    return cells


SMALL_VIEW = 0.015   # the smallest end view looked for beside a found view, × the sheet's diagonal
ALIGN_PX = 3         # how far a small view's ends may sit from the rows or columns it shares


def find_views(rgb: np.ndarray) -> list[View]:
    """Views on a sheet: closed outlines (filled) survive an opening that removes every thin mark —
    text, leaders, dimension and centre lines, hatching — so each surviving blob is one view."""
    h, w = rgb.shape[:2]
    diag = float(np.hypot(h, w))
    geometry, coloured, shaded = ink_layers(rgb)
    radius = max(2, int(0.0025 * diag))
    colour_fill = ndimage.binary_opening(coloured, structure=_disk(radius))   # renders, not text or hatching
    shade_fill = ndimage.binary_opening(shaded, structure=_disk(radius))      # not the halo around lines
    hatch_fill = ndimage.uniform_filter(coloured.astype(np.float32), 4 * radius + 1) > 0.12   # dense hatching,
    # not a coloured line: a line w px thick reads dense in a band w + 4·radius wide, which this opening
    # takes away for w up to 2·radius (a coloured dimension line between two views would join them)
    hatch_fill = _opened(hatch_fill, 3 * radius)
    halo = shaded & ndimage.binary_dilation(geometry)                          # anti-aliased line edges
    marks = geometry | halo | shade_fill | colour_fill | hatch_fill
    ink = remove_frame(marks)
    ink &= ~_title_block_area(marks & ~ink)
    filled = ndimage.binary_fill_holes(ndimage.binary_closing(ink, structure=_disk(max(2, radius - 1))))
    solid = ndimage.binary_opening(filled, structure=_disk(radius))
    labels, boxes, _ = _components(solid)
    views, small = [], []
    for k, sl in enumerate(boxes, 1):
        blob = labels[sl] == k
        bh, bw = blob.shape
        if max(bh, bw) < 0.05 * diag or blob.sum() < 0.002 * h * w:
            if max(bh, bw) >= SMALL_VIEW * diag:       # a view, if it lines up with one (below)
                crop_ink = geometry[sl] & ndimage.binary_dilation(blob, iterations=radius + 1)
                if crop_ink.sum() >= max(bh, bw) and _outlined(blob, crop_ink):
                    small.append(_inked_view(sl, crop_ink, blob, "unknown"))
            continue                                   # a letter, an arrowhead, a symbol
        crop_ink = geometry[sl] & ndimage.binary_dilation(blob, iterations=radius + 1)
        if min(bh, bw) < 0.02 * diag and not (max(bh, bw) >= 0.15 * diag and _outlined(blob, crop_ink)):
            continue                                   # a line of text; but a plate seen edge-on is a view
        # no black outline: coloured text or a logo. A closed outline has 2 × max(bh, bw) − 2 px or more (a
        # square turned 45° and drawn 1 px has just that), so half of that is asked for, here and above
        if crop_ink.sum() < max(bh, bw):
            continue
        solid_fill = ndimage.binary_opening(shaded[sl] | coloured[sl], structure=_disk(radius)) & blob
        hatched = _is_hatched(coloured[sl] & blob)
        if solid_fill.sum() > 0.15 * blob.sum():
            role = "pictorial"
        elif _is_qr_code(crop_ink, blob):
            continue
        elif hatched:
            role = "section"                           # hatched cut faces
        else:
            role = "unknown"
        if role == "pictorial":
            views.append(View((sl[1].start, sl[0].start, sl[1].stop, sl[0].stop), role, crop_ink, blob))
        else:   # black ink bounds an orthographic view; coloured notes beside it do not
            views.append(_inked_view(sl, crop_ink, blob, role))
    assign_roles(views)
    if small and not any(v.role == "front" for v in views):
        _add_small_view(views, small)
    return views


def _inked_view(sl, ink: np.ndarray, blob: np.ndarray, role: str) -> View:
    """A view boxed by its black ink (a blob's slices `sl` on the sheet)."""
    ys, xs = np.nonzero(ink & blob)
    if not ys.size:
        return View((sl[1].start, sl[0].start, sl[1].stop, sl[0].stop), role, ink, blob)
    y0, x0, y1, x1 = ys.min(), xs.min(), ys.max() + 1, xs.max() + 1
    box = (int(sl[1].start + x0), int(sl[0].start + y0), int(sl[1].start + x1), int(sl[0].start + y1))
    return View(box, role, ink[y0:y1, x0:x1], blob[y0:y1, x0:x1])


def _add_small_view(views: list[View], small: list[View]) -> None:
    """A part's end can be drawn smaller than a symbol (a rod's end circle). Such a mark counts as
    the missing third view only when it spans exactly the rows or the columns of a found view, as a
    projected view must: a letter or symbol beside a view almost never does."""
    def same(a0, a1, b0, b1):
        return max(abs(a0 - b0), abs(a1 - b1)) <= max(ALIGN_PX, 0.05 * (b1 - b0))
    ortho = [v for v in views if v.role != "pictorial"]
    for s in sorted(small, key=lambda v: -v.mask.sum()):
        if not any(same(v.box[0], v.box[2], s.box[0], s.box[2]) or same(v.box[1], v.box[3], s.box[1], s.box[3])
                   for v in ortho):
            continue
        roles = [t.role for t in ortho]
        assign_roles(ortho + [s])
        if s.role in ("top", "side"):
            views.append(s)
            return
        for t, role in zip(ortho, roles):
            t.role = role
        s.role = "unknown"


def _outlined(blob: np.ndarray, ink: np.ndarray) -> bool:
    """The figure's edge is drawn all round: nearly every pixel of its boundary has ink beside it (a
    thin drawn rectangle, such as a plate seen edge-on; a line of text has a ragged, mostly inkless edge)."""
    edge = blob & ~ndimage.binary_erosion(blob)
    return bool(edge.any()) and (edge & ndimage.binary_dilation(ink, iterations=2)).sum() >= 0.95 * edge.sum()


def _is_qr_code(ink: np.ndarray, blob: np.ndarray) -> bool:
    """A QR code: dense ink in many separate squares, every edge along an axis. A view drawn with
    many close curves can be as dense and as fragmented, but its edges run every way."""
    m = ink & blob
    if ink[blob].mean() <= 0.4 or _pieces(m) + _pieces(blob & ~ink) <= 30:
        return False
    count = m[:-1, :-1].astype(np.int8) + m[:-1, 1:] + m[1:, :-1] + m[1:, 1:]
    corners = np.count_nonzero((count == 1) | (count == 3))   # 2×2 windows at a corner or on a slant
    boundary = np.count_nonzero((count > 0) & (count < 4))
    return corners < 0.35 * max(boundary, 1)


def _is_hatched(colour: np.ndarray, step: int = 4) -> bool:
    """Section hatching is many diagonal strokes: coloured pixels continue diagonally far more often
    than along the axes (text, dimension and centre lines run mostly along the axes)."""
    if colour.sum() < 200:
        return False
    def along(dy, dx):
        a = colour[max(dy, 0):colour.shape[0] + min(dy, 0), max(dx, 0):colour.shape[1] + min(dx, 0)]
        b = colour[max(-dy, 0):colour.shape[0] + min(-dy, 0), max(-dx, 0):colour.shape[1] + min(-dx, 0)]
        return float((a & b).sum())
    diagonal = along(step, step) + along(step, -step)
    axial = along(0, step) + along(step, 0)
    return diagonal > 1.5 * axial


def _pieces(mask: np.ndarray) -> int:
    return int(ndimage.label(mask)[1])


def _opened(mask: np.ndarray, r: int) -> np.ndarray:
    """binary_opening(mask, structure=_disk(r)), exactly, by distances: a pixel survives the erosion when
    no pixel outside the mask (the border counts as outside) lies within r of it, and the dilation puts
    back every pixel within r of a survivor. For a large r this is many times faster."""
    out = np.zeros_like(mask, dtype=bool)
    if not mask.any():
        return out
    box = ndimage.find_objects(mask.astype(np.int8))[0]      # the opening stays inside the mask's box
    inside = ndimage.distance_transform_edt(np.pad(mask[box], 1))[1:-1, 1:-1]
    core = np.rint(inside * inside) > r * r
    if core.any():
        reach = ndimage.distance_transform_edt(~core)
        out[box] = np.rint(reach * reach) <= r * r
    return out


def _disk(r: int) -> np.ndarray:
    y, x = np.ogrid[-r:r + 1, -r:r + 1]
    return x * x + y * y <= r * r


def _overlap(a0, a1, b0, b1) -> float:
    return max(0, min(a1, b1) - max(a0, b0)) / max(1, min(a1 - a0, b1 - b0))


def assign_roles(views: list[View], aligned: float = 0.3) -> None:
    """Front = the orthographic view with one neighbour sharing its columns (top) and one sharing its
    rows (side, or a section in its place). Both first- and third-angle layouts work: only alignment
    is used. Ties go to the pair that overlaps most."""
    ortho = [v for v in views if v.role != "pictorial"]
    best = None
    for f in ortho:
        x0, y0, x1, y1 = f.box
        vertical = [v for v in ortho if v is not f and _overlap(x0, x1, v.box[0], v.box[2]) > aligned]
        horizontal = [v for v in ortho if v is not f and _overlap(y0, y1, v.box[1], v.box[3]) > aligned]
        if vertical and horizontal:
            top = max(vertical, key=lambda v: _overlap(x0, x1, v.box[0], v.box[2]))
            side = max(horizontal, key=lambda v: _overlap(y0, y1, v.box[1], v.box[3]))
            score = _overlap(x0, x1, top.box[0], top.box[2]) + _overlap(y0, y1, side.box[1], side.box[3]) \
                + 0.5 * f.mask.sum() / max(v.mask.sum() for v in ortho)   # the front view is usually the largest
            if best is None or score > best[0]:
                best = (score, f, top, side)
    if best is None:
        return
    _, front, top, side = best
    front.role, top.role = "front", "top"
    if side.role != "section":
        side.role = "side"

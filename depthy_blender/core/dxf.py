"""DXF drawings → an image of their geometry only (ezdxf reads; annotation is left out).

Kept: LINE, ARC, CIRCLE, LWPOLYLINE, POLYLINE, SPLINE, ELLIPSE, also inside block INSERTs. Left out:
TEXT, MTEXT, DIMENSION, LEADER, MULTILEADER, HATCH and other entity types, blocks and layers whose names
say they hold dimensions, text, notes, title blocks or borders.
"""
from __future__ import annotations

import itertools
import re

import numpy as np

from ..errors import DepthyError, described

GEOMETRY = {"LINE", "ARC", "CIRCLE", "LWPOLYLINE", "POLYLINE", "SPLINE", "ELLIPSE"}
ANNOTATION_NAME = re.compile(r"dim|text|note|anno|title|border|frame|hatch|leader|symbol|cent(er|re)", re.I)
MM_PER_UNIT = {0: 1.0, 1: 25.4, 2: 304.8, 3: 1_609_344.0, 4: 1.0, 5: 10.0, 6: 1000.0, 7: 1e6,   # $INSUNITS → mm
               8: 2.54e-5, 9: 0.0254, 10: 914.4, 11: 1e-7, 12: 1e-6, 13: 1e-3, 14: 100.0, 15: 1e4,
               16: 1e5}   # 0 (unitless) and anything else: millimetres
# Bounds on untrusted structure: a small file can nest blocks into billions of entities, or hold a
# circle of radius 1e300 whose flattening never ends.
MAX_DEPTH = 8                   # block-in-block nesting followed
MAX_ENTITIES = 200_000          # entities visited, those inside blocks included
MAX_POINTS = 2_000_000          # flattened points in all
MAX_COORDINATE_MM = 1e7         # 10 km: anything farther is not part of a drawing
SEGMENTS_PER_CURVE = 2000       # a curve is never flattened finer than its extent / this


class DxfError(DepthyError, ValueError):
    """A DXF that cannot be used, with a message meant for the user."""


def _entities(layout, depth=0, budget=None):
    budget = [MAX_ENTITIES] if budget is None else budget
    for e in layout:
        budget[0] -= 1
        if budget[0] < 0:
            raise DxfError(f"The DXF holds more than {MAX_ENTITIES:,} entities, counting those inside "
                           "nested blocks; it is not a drawing this add-on can read")
        kind = e.dxftype()
        layer = e.dxf.get("layer", "0")
        if ANNOTATION_NAME.search(layer):
            continue
        if kind == "INSERT" and depth < MAX_DEPTH:
            if ANNOTATION_NAME.search(e.dxf.name):
                continue
            yield from _entities(_virtual(e), depth + 1, budget)
        elif kind in GEOMETRY:
            yield e


def _virtual(insert):
    """A block reference's entities; a broken one (its block missing or damaged) gives what it can.
    ezdxf builds them lazily, so the error comes while they are read, not when they are asked for."""
    try:
        yield from insert.virtual_entities()
    except Exception:
        return


def _flattened(entity, scale: float, points_left: int) -> np.ndarray | None:
    """One entity as drawing-unit points, or None when it is not finite or absurdly far or large."""
    from ezdxf import path as ezpath
    try:
        shape = ezpath.make_path(entity)
        corners = np.array([(v.x, v.y) for v in shape.control_vertices()], np.float64)
    except Exception:   # an entity ezdxf cannot make a path of
        return None
    if len(corners) == 0 or not np.isfinite(corners).all() or np.abs(corners).max() * scale > MAX_COORDINATE_MM:
        return None
    extent = float(np.ptp(corners, axis=0).max()) if len(corners) > 1 else 0.0
    tolerance = max(0.05 / scale, extent / SEGMENTS_PER_CURVE)
    try:
        points = list(itertools.islice(shape.flattening(tolerance), points_left + 1))
    except Exception:
        return None
    if len(points) > points_left:
        raise DxfError(f"The DXF's curves flatten to more than {MAX_POINTS:,} points; it is not a drawing "
                       "this add-on can read")
    return np.array([(v.x, v.y) for v in points], np.float64)


def polylines(path) -> tuple[list[np.ndarray], float]:
    """The geometry of a DXF file as flattened 2D polylines in millimetres, and the drawing's unit scale."""
    import ezdxf
    try:
        doc = ezdxf.readfile(str(path))
        scale = MM_PER_UNIT.get(doc.header.get("$INSUNITS", 0), 1.0)
    except Exception as exc:   # a damaged file can fail anywhere in the parser: it is unreadable, not a bug
        raise DxfError(f"Cannot read {path}: not an intact DXF file ({described(exc, 200)})") from None
    lines, points_left = [], MAX_POINTS
    try:
        for e in _entities(doc.modelspace()):
            pts = _flattened(e, scale, points_left)
            if pts is not None and len(pts) >= 2:
                lines.append(pts * scale)
                points_left -= len(pts)
    except DxfError:
        raise
    except Exception as exc:
        raise DxfError(f"Cannot read {path}: damaged entities ({described(exc, 200)})") from None
    if not lines:
        raise DxfError(f"{path} has no drawing geometry (only annotation, or nothing)")
    return lines, scale


def render(path, dpi: float = 150.0, margin: float = 0.1, max_side: int = 8192) -> np.ndarray:
    """RGBA float image (black geometry on white paper with a `margin` of its extent all round), at
    `dpi` unless that exceeds `max_side` pixels."""
    return render_to_scale(path, dpi, margin, max_side)[0]


def render_to_scale(path, dpi: float = 150.0, margin: float = 0.1,
                    max_side: int = 8192) -> tuple[np.ndarray, float]:
    """`render`'s image and its scale: millimetres of the drawing per pixel (from the DXF's $INSUNITS;
    a file without units is read as millimetres)."""
    from PIL import Image, ImageDraw
    lines, _ = polylines(path)
    allpts = np.concatenate(lines)
    pad = margin * (allpts.max(0) - allpts.min(0)).max()
    lo, hi = allpts.min(0) - pad, allpts.max(0) + pad
    px_per_mm = dpi / 25.4
    size = (hi - lo) * px_per_mm
    if size.max() > max_side:
        px_per_mm *= max_side / size.max()
    w, h = (int(np.ceil(s)) for s in (hi - lo) * px_per_mm)
    img = Image.new("L", (max(w, 4), max(h, 4)), 255)
    draw = ImageDraw.Draw(img)
    width = max(1, round(0.35 * px_per_mm))     # a 0.35 mm pen
    for pts in lines:
        xy = (pts - lo) * px_per_mm
        xy[:, 1] = h - xy[:, 1]                 # DXF y goes up, image rows go down
        draw.line([tuple(p) for p in xy], fill=0, width=width, joint="curve")
    grey = np.asarray(img, np.float32) / 255.0
    return np.stack([grey, grey, grey, np.ones_like(grey)], -1), 1.0 / px_per_mm

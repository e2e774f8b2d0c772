"""DXF drawings → an image of their geometry only (ezdxf reads; annotation is left out).

Kept: LINE, ARC, CIRCLE, LWPOLYLINE, POLYLINE, SPLINE, ELLIPSE, also inside block INSERTs. Left out:
TEXT, MTEXT, DIMENSION, LEADER, MULTILEADER, HATCH and other entity types, blocks and layers whose names
say they hold dimensions, text, notes, title blocks or borders.
"""
from __future__ import annotations

import re

import numpy as np

GEOMETRY = {"LINE", "ARC", "CIRCLE", "LWPOLYLINE", "POLYLINE", "SPLINE", "ELLIPSE"}
ANNOTATION_NAME = re.compile(r"dim|text|note|anno|title|border|frame|hatch|leader|symbol|cent(er|re)", re.I)
MM_PER_UNIT = {0: 1.0, 1: 25.4, 2: 304.8, 4: 1.0, 5: 10.0, 6: 1000.0}   # $INSUNITS → mm (0 = unitless: mm)


class DxfError(ValueError):
    """A DXF that cannot be used, with a message meant for the user."""


def _entities(layout, depth=0):
    for e in layout:
        kind = e.dxftype()
        layer = e.dxf.get("layer", "0")
        if ANNOTATION_NAME.search(layer):
            continue
        if kind == "INSERT" and depth < 8:
            if ANNOTATION_NAME.search(e.dxf.name):
                continue
            yield from _entities(e.virtual_entities(), depth + 1)
        elif kind in GEOMETRY:
            yield e


def polylines(path) -> tuple[list[np.ndarray], float]:
    """The geometry of a DXF file as flattened 2D polylines in millimetres, and the drawing's unit scale."""
    import ezdxf
    from ezdxf import path as ezpath
    try:
        doc = ezdxf.readfile(str(path))
    except (OSError, ezdxf.DXFError) as exc:
        raise DxfError(f"Cannot read {path}: {exc}") from None
    scale = MM_PER_UNIT.get(doc.header.get("$INSUNITS", 0), 1.0)
    lines = []
    for e in _entities(doc.modelspace()):
        try:
            pts = np.array([(v.x, v.y) for v in ezpath.make_path(e).flattening(0.05 / scale)], np.float64)
        except (TypeError, ValueError):
            continue
        if len(pts) >= 2:
            lines.append(pts * scale)
    if not lines:
        raise DxfError(f"{path} has no drawing geometry (only annotation, or nothing)")
    return lines, scale


def render(path, dpi: float = 150.0, margin: float = 0.1, max_side: int = 8192) -> np.ndarray:
    """RGBA float image (black geometry on white paper with a `margin` of its extent all round), at
    `dpi` unless that exceeds `max_side` pixels."""
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
    return np.stack([grey, grey, grey, np.ones_like(grey)], -1)

"""Synthetic technical drawing sheets with known view boxes: one random solid drawn in front, top and
side views (third-angle layout), blue dimensions with arrows and numbers, black notes, a frame, a title
block with text and a QR-like block. Seeded.

The solid must be one connected part (as a real part is): candidates are probed at low resolution and
rejected when a view falls apart into pieces; the drawing scale is then chosen so that the three views
and their dimensions fit inside the frame, left of the title block.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from . import ink, render, solids

VIEW_DIRECTIONS = {   # role: (forward, up) — front looks along +Y, top down −Z, right side along −X
    "front": ((0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    "top": ((0.0, 0.0, -1.0), (0.0, 1.0, 0.0)),
    "side": ((-1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
}
BLUE, BLACK = (20, 110, 230), (15, 15, 15)


PROBE_PX, MAX_PX, MIN_VIEW_PX, MIN_VIEW_SHARE = 24, 110, 45, 0.06


def _view(shape, role, px_per_unit, rng):
    forward, up = VIEW_DIRECTIONS[role]
    size = int(2 * render.BOUND * px_per_unit)
    cam = render.Camera(np.array(forward), np.array(up), render.BOUND, np.zeros(3))
    mask, depth, normals = render.trace(shape, cam, size)
    extent = np.ptp(depth[mask])
    outline, inner = ink.line_maps(mask, depth, normals, depth_jump=max(0.02, 0.05 * extent))
    width = float(rng.uniform(2.0, 3.5))
    lines = (ink._thick(outline, width) > 0.5) | (ink._thick(inner, width * 0.6) > 0.5)
    ys, xs = np.nonzero(lines)           # the view's box is its ink: full-width lines all round
    crop = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    return lines[crop], mask[crop], (ys.min(), xs.min())


def _probe(shape):
    """Extents (rows, cols) per view in units of 1/PROBE_PX, or None when a view is empty, in pieces or
    cut off by the render's edge."""
    extents = {}
    for role, (forward, up) in VIEW_DIRECTIONS.items():
        cam = render.Camera(np.array(forward), np.array(up), render.BOUND, np.zeros(3))
        mask = render.trace(shape, cam, int(2 * render.BOUND * PROBE_PX))[0]
        labels, n = ndimage.label(mask, np.ones((3, 3), bool))
        clipped = mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any()
        if n == 0 or clipped or np.bincount(labels.ravel())[1:].max() < 0.97 * mask.sum():
            return None
        ys, xs = np.nonzero(mask)
        extents[role] = (np.ptp(ys) + 1, np.ptp(xs) + 1)
    return extents


def _scale_to_fit(extents, size, margin=200):
    """Pixels per unit so the layout (top above front, side right of it, gaps ≤ 130 px) fits, or None
    when a view would come out too small to read: a side under MIN_VIEW_PX or a longer side under
    MIN_VIEW_SHARE of the sheet's diagonal (drawings are made at a legible scale)."""
    tall = extents["top"][0] + extents["front"][0]
    wide = extents["front"][1] + extents["side"][1]
    room_h, room_w = size[1] - margin - 130 - 60, size[0] - 430 - margin - 130
    px = min(MAX_PX, PROBE_PX * room_h / tall, PROBE_PX * room_w / wide)
    smallest = min(min(e) for e in extents.values()) * px / PROBE_PX
    shortest_long_side = min(max(e) for e in extents.values()) * px / PROBE_PX
    legible = shortest_long_side >= MIN_VIEW_SHARE * float(np.hypot(*size)) + 4
    return px if smallest >= MIN_VIEW_PX + 4 and legible else None


def sample(seed: int, size=(1100, 720)) -> dict:
    """{"image": RGB float32, "views": [{"box": [x0, y0, x1, y1], "role": ...}], "info": str,
    "shape": the solid's signed distance function (torch points (N, 3) → (N,))}."""
    rng = np.random.default_rng(seed)
    for _ in range(50):
        shape, info = solids.random_solid(rng)
        extents = _probe(shape)
        px = _scale_to_fit(extents, size) if extents else None
        if px is not None:
            break
    else:
        raise RuntimeError(f"seed {seed}: no connected solid that fits the sheet")
    views = {role: _view(shape, role, px, rng) for role in VIEW_DIRECTIONS}
    w, h = size
    img = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.rectangle([15, 15, w - 16, h - 16], outline=BLACK, width=3)                      # frame
    tb = (w - 430, h - 170, w - 16, h - 16)                                                # title block
    draw.rectangle(tb, outline=BLACK, width=3)
    for k in range(1, 4):
        draw.line([tb[0], tb[1] + 38 * k, tb[2], tb[1] + 38 * k], fill=BLACK, width=2)
    draw.line([tb[0] + 150, tb[1], tb[0] + 150, tb[3]], fill=BLACK, width=2)
    for k, text in enumerate(("PART", "MATERIAL", "SCALE 1:1", "DRAWN")):
        draw.text((tb[0] + 8, tb[1] + 10 + 38 * k), text, fill=BLACK)
        draw.text((tb[0] + 160, tb[1] + 10 + 38 * k), f"{text[:3]}-{int(rng.integers(100, 999))}", fill=BLACK)
    qr = rng.random((25, 25)) < 0.5                                                        # a QR-like block
    qr_img = Image.fromarray(np.where(np.kron(qr, np.ones((4, 4))), 0, 255).astype(np.uint8)).convert("RGB")
    img.paste(qr_img, (tb[0] - 120, tb[3] - 105))
    draw.text((40, h - 60), "NOTES: ALL DIMENSIONS IN MM. BREAK SHARP EDGES.", fill=BLACK)
    # layout: front bottom-left, top above it, side to its right (third angle)
    fl, fm, _ = views["front"]
    tl, tm, _ = views["top"]
    sl, sm, _ = views["side"]
    gap = int(rng.integers(70, 130))
    fx = int(rng.integers(90, 160))
    fy = 60 + tl.shape[0] + gap
    placed = {"front": (fx, fy), "top": (fx, fy - gap - tl.shape[0]), "side": (fx + fl.shape[1] + gap, fy)}
    pixels = np.array(img)
    out_views = []
    for role, (lines, mask, _) in views.items():
        x0, y0 = placed[role]
        region = pixels[y0:y0 + lines.shape[0], x0:x0 + lines.shape[1]]
        region[lines] = BLACK
        out_views.append({"box": [x0, y0, x0 + lines.shape[1], y0 + lines.shape[0]], "role": role})
    img = Image.fromarray(pixels)
    draw = ImageDraw.Draw(img)
    for v in out_views:
        _dimension(draw, v["box"], rng)
    return {"image": np.asarray(img, np.float32) / 255.0, "views": out_views, "info": info, "shape": shape}


def _arrow(draw, tip, direction, size=9):
    dx, dy = direction
    px, py = -dy, dx
    base = (tip[0] - dx * size, tip[1] - dy * size)
    draw.polygon([tip, (base[0] + px * size / 3, base[1] + py * size / 3),
                  (base[0] - px * size / 3, base[1] - py * size / 3)], fill=BLUE)


def _dimension(draw, box, rng):
    """A width dimension below the view and a height dimension to its left, in blue."""
    x0, y0, x1, y1 = box
    y = y1 + int(rng.integers(25, 45))
    draw.line([x0, y1 + 6, x0, y + 8], fill=BLUE, width=2)
    draw.line([x1, y1 + 6, x1, y + 8], fill=BLUE, width=2)
    draw.line([x0, y, x1, y], fill=BLUE, width=2)
    _arrow(draw, (x0, y), (-1, 0))
    _arrow(draw, (x1, y), (1, 0))
    draw.text(((x0 + x1) / 2 - 10, y - 14), f"{int(rng.integers(10, 200))}", fill=BLUE)
    x = x0 - int(rng.integers(25, 45))
    draw.line([x0 - 6, y0, x - 8, y0], fill=BLUE, width=2)
    draw.line([x0 - 6, y1, x - 8, y1], fill=BLUE, width=2)
    draw.line([x, y0, x, y1], fill=BLUE, width=2)
    _arrow(draw, (x, y0), (0, -1))
    _arrow(draw, (x, y1), (0, 1))
    draw.text((x - 28, (y0 + y1) / 2), f"{int(rng.integers(10, 200))}", fill=BLUE)

"""Synthetic technical drawing sheets with known view boxes: one random solid drawn in front, top and
side views (third-angle layout), blue dimensions with arrows and numbers, black notes, a frame, a title
block with text and a QR-like block. Seeded."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from . import ink, render, solids

VIEW_DIRECTIONS = {   # role: (forward, up) — front looks along +Y, top down −Z, right side along −X
    "front": ((0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    "top": ((0.0, 0.0, -1.0), (0.0, 1.0, 0.0)),
    "side": ((-1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
}
BLUE, BLACK = (20, 110, 230), (15, 15, 15)


def _view(shape, role, px_per_unit, rng):
    forward, up = VIEW_DIRECTIONS[role]
    size = int(2 * render.BOUND * px_per_unit)
    cam = render.Camera(np.array(forward), np.array(up), render.BOUND, np.zeros(3))
    mask, depth, normals = render.trace(shape, cam, size)
    ys, xs = np.nonzero(mask)
    crop = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    extent = np.ptp(depth[mask])
    outline, inner = ink.line_maps(mask, depth, normals, depth_jump=max(0.02, 0.05 * extent))
    width = float(rng.uniform(2.0, 3.5))
    lines = (ink._thick(outline, width) > 0.5) | (ink._thick(inner, width * 0.6) > 0.5)
    return lines[crop], mask[crop], (ys.min(), xs.min())


def sample(seed: int, size=(1100, 720)) -> dict:
    """{"image": RGB float32, "views": [{"box": [x0, y0, x1, y1], "role": ...}]}."""
    rng = np.random.default_rng(seed)
    for _ in range(20):
        shape, info = solids.random_solid(rng)
        views = {role: _view(shape, role, 110, rng) for role in VIEW_DIRECTIONS}
        tall = views["top"][0].shape[0] + views["front"][0].shape[0]
        wide = views["front"][0].shape[1] + views["side"][0].shape[1]
        if all(min(v[1].shape) >= 45 for v in views.values()) and tall < size[1] - 300 and wide < size[0] - 300:
            break
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
    fy = min(h - 200 - fl.shape[0], 60 + tl.shape[0] + gap)
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
    return {"image": np.asarray(img, np.float32) / 255.0, "views": out_views, "info": info}


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

"""Draw G-buffers (mask, depth, normals) as a technical drawing: outline heavier than inner lines
(occlusion boundaries and creases), optional dashed hidden lines and centre lines, and a style — line art, flat fill, shaded
or sketchy — on toned paper with noise, blur and JPEG. Works for any renderer's buffers.

With a pen (an `even_lines` option of the callers), a share of drawings ink every line at one thin weight
instead, sometimes with small breaks: line-art renderers such as Blender's Freestyle draw that way."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage

EVEN_SHARE = 0.5            # with a pen: the drawings whose lines all have one weight
EVEN_WIDTH = (0.6, 2.2)     # that weight in px at 256² (a line under 1 px is inked fainter instead)
BREAK_SHARE = 0.5           # of those: the drawings whose lines have small breaks


def _edges(a: np.ndarray) -> np.ndarray:
    e = np.zeros(a.shape, bool)
    e[:-1] |= a[:-1] != a[1:]
    e[1:] |= a[:-1] != a[1:]
    e[:, :-1] |= a[:, :-1] != a[:, 1:]
    e[:, 1:] |= a[:, :-1] != a[:, 1:]
    return e


def _thick(lines: np.ndarray, width: float, faint: bool = False) -> np.ndarray:
    """Soft line of about `width` px from a 1-px line map; faint: a line under 1 px is that much lighter."""
    if width <= 1.0 or not lines.any():   # (the distance transform of a map with no line is undefined)
        return lines.astype(np.float32) * (width if faint else 1.0)
    dist = ndimage.distance_transform_edt(~lines)
    return np.clip(width / 2 + 0.5 - dist, 0, 1).astype(np.float32)


def line_maps(mask, depth, normals, crease_deg=30.0, depth_jump=0.04, slope_aware=False):
    """1-px maps: outline (silhouette), inner (occlusion boundaries + creases). slope_aware: a step
    counts as a jump only if it is also 3× the steps either side (a steep surface is not an edge)."""
    outline = _edges(mask) & mask
    d = np.where(mask, depth, np.inf)
    jump = np.zeros(mask.shape, bool)
    for axis in (0, 1):
        with np.errstate(invalid="ignore"):
            diff = np.abs(np.diff(d, axis=axis))
        big = np.isfinite(diff) & (diff > depth_jump)
        if slope_aware:
            pad = np.full_like(np.take(diff, [0], axis=axis), np.inf)
            before = np.concatenate([pad, np.take(diff, range(diff.shape[axis] - 1), axis=axis)], axis)
            after = np.concatenate([np.take(diff, range(1, diff.shape[axis]), axis=axis), pad], axis)
            with np.errstate(invalid="ignore"):
                big &= ~(diff <= 3 * np.fmin(before, after))
        sl_a = [slice(None)] * 2
        sl_a[axis] = slice(0, -1)
        sl_b = [slice(None)] * 2
        sl_b[axis] = slice(1, None)
        near_a = np.zeros(mask.shape, bool)
        near_a[tuple(sl_a)] = big & (d[tuple(sl_a)] < d[tuple(sl_b)])
        near_b = np.zeros(mask.shape, bool)
        near_b[tuple(sl_b)] = big & (d[tuple(sl_b)] < d[tuple(sl_a)])
        jump |= near_a | near_b     # the line sits on the nearer surface, like a pen would draw it
    cos_limit = np.cos(np.radians(crease_deg))
    crease = np.zeros(mask.shape, bool)
    both_v = mask[:-1] & mask[1:]
    cv = (normals[:-1] * normals[1:]).sum(-1) < cos_limit
    crease[:-1] |= both_v & cv
    both_h = mask[:, :-1] & mask[:, 1:]
    ch = (normals[:, :-1] * normals[:, 1:]).sum(-1) < cos_limit
    crease[:, :-1] |= both_h & ch
    return outline, (jump | crease) & mask & ~outline


def centre_lines(shape, mask, rng, width=1.0):
    """Dash-dot centre lines through the figure's middle, running past its outline."""
    ink = np.zeros(shape, np.float32)
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return ink
    cy, cx = int(ys.mean()), int(xs.mean())
    y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
    over = int(0.06 * max(shape))
    period = max(8, int(0.06 * max(shape)))
    pattern = (np.arange(max(shape)) % period) < period * 0.6
    pattern |= (np.arange(max(shape)) % period) == int(period * 0.8)
    if rng.random() < 0.8:
        xa, xb = max(0, x0 - over), min(shape[1], x1 + over)
        ink[cy, xa:xb] = pattern[: xb - xa]
    if rng.random() < 0.8:
        ya, yb = max(0, y0 - over), min(shape[0], y1 + over)
        ink[ya:yb, cx] = pattern[: yb - ya]
    return ink if width <= 1 else np.maximum(ink, ndimage.grey_dilation(ink, size=(2, 2)))


def _depth_jump(depth, mask):
    """The depth step that counts as an occlusion edge: 5 % of the figure's depth extent (at least 0.02)."""
    return max(0.02, 0.05 * np.ptp(depth[mask])) if mask.any() else 0.02


def visible_lines(mask, depth, normals):
    """(outline, inner) of the visible surface, as draw() inks them."""
    return line_maps(mask, depth, normals, depth_jump=_depth_jump(depth, mask))


def hidden_lines(mask, depth, normals, layers, rng, period: float = 5.0, visible=None) -> np.ndarray:
    """1-px dashed map of the edges of surfaces behind the visible one (`layers` from
    render.hidden_layers), where no visible line already runs; dashes are cells of about `period` px
    switched on or off at random, so a line in any direction breaks into dashes. `visible`: the
    visible_lines() of the same buffers, when the caller has them already."""
    jump = _depth_jump(depth, mask)
    outline, inner = visible if visible is not None else visible_lines(mask, depth, normals)
    behind = np.zeros(mask.shape, bool)
    for k, (m, d, n, facing) in enumerate(layers):
        if m.any():
            o, i = line_maps(m, d, n, depth_jump=jump, slope_aware=True)
            # every ray that enters leaves again, so the exit layer's outline is the visible one
            lines = i if k == 0 else o | i
            # where the ray grazes a curved surface neighbouring normals differ a lot: no edge there
            behind |= lines & ~ndimage.binary_dilation(m & (facing < 0.35))
    band = max(2, round(max(mask.shape) / 64))   # (in perspective the back silhouette differs a little)
    keep_off = ndimage.binary_dilation(inner, iterations=2) | ndimage.binary_dilation(outline, iterations=band)
    behind &= mask & ~keep_off
    return behind & _cells_on(mask.shape, rng, period, 0.65)


def _cells_on(shape, rng, period: float, keep: float) -> np.ndarray:
    """True in a random `keep` share of square cells of about `period` px: where a line is inked, the
    rest being its gaps (dashes of hidden lines, small breaks in even lines)."""
    cells = int(np.ceil(max(shape) / period))
    on = rng.random((cells, cells)) < keep
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return on[(yy / period).astype(int), (xx / period).astype(int)]


def even_pen(seed: int) -> np.random.Generator | None:
    """The generator draw() takes as its pen when the drawing of this seed is one of the EVEN_SHARE inked
    with even lines, else None; a generator of its own, so the seed's other draws stay as they were."""
    pen = np.random.default_rng([seed, 10])
    return pen if pen.random() < EVEN_SHARE else None


def _smooth_noise(shape, rng, scale):
    small = rng.standard_normal((max(2, shape[0] // scale), max(2, shape[1] // scale)))
    return ndimage.zoom(small, (shape[0] / small.shape[0], shape[1] / small.shape[1]), order=1)[: shape[0], : shape[1]]


def draw(mask, depth, normals, rng: np.random.Generator, style: str | None = None, hidden=None, visible=None,
         pen: np.random.Generator | None = None):
    """RGB float32 image in [0, 1] of the buffers, in a random (or given) drawing style; `hidden`, a
    dashed 1-px map from hidden_lines(), is inked thin in the line styles and on flat fill; `visible`:
    visible_lines() of the buffers, when the caller has them already. pen: draw every line at one weight
    (EVEN_WIDTH) chosen by this generator, sometimes with breaks; `rng` draws what it always does, so the
    rest of the drawing is unchanged."""
    h, w = mask.shape
    res = max(h, w) / 256.0
    outline, inner = visible if visible is not None else visible_lines(mask, depth, normals)
    style = style or str(rng.choice(["lines", "fill", "shaded", "sketchy"], p=[0.55, 0.15, 0.15, 0.15]))
    w_out = rng.uniform(1.5, 3.5) * res
    w_in = rng.uniform(0.8, 1.8) * res
    if pen is not None:
        w_out = w_in = pen.uniform(*EVEN_WIDTH) * res
    if style == "sketchy":
        dy, dx = (_smooth_noise((h, w), rng, 16) * 1.5 * res for _ in range(2))
        yy, xx = np.mgrid[:h, :w]
        warp = lambda a: ndimage.map_coordinates(a.astype(np.float32), [yy + dy, xx + dx], order=1) > 0.3  # noqa: E731
        outline, inner = warp(outline), warp(inner)
        hidden = warp(hidden) if hidden is not None else None
    even = pen is not None
    ink = np.maximum(_thick(outline, w_out, even), _thick(inner, w_in, even))
    if even and pen.random() < BREAK_SHARE:
        ink *= _cells_on((h, w), pen, 3.0 * res, 0.9)
    if hidden is not None and style != "shaded":
        ink = np.maximum(ink, _thick(hidden, max(1.0, 0.8 * w_in)) * 0.9)
    if style == "sketchy":
        ink *= np.clip(_smooth_noise((h, w), rng, 8) * 0.8 + 1.2, 0.3, 1)
    if rng.random() < 0.3:
        ink = np.maximum(ink, centre_lines((h, w), mask, rng, w_in) * 0.9)

    paper = np.clip(rng.uniform(0.85, 1.0) + rng.uniform(-0.03, 0.03, 3), 0, 1)
    img = np.broadcast_to(paper, (h, w, 3)).astype(np.float32).copy()
    if style == "fill":
        colour = rng.uniform(0.55, 0.95, 3)
        img[mask] = colour
    elif style == "shaded":
        light = rng.standard_normal(3)
        light[1] = -abs(light[1])
        light /= np.linalg.norm(light)
        base = rng.uniform(0.4, 0.95, 3) if rng.random() < 0.5 else np.full(3, rng.uniform(0.5, 0.9))
        lambert = np.clip(-(normals @ light), 0, 1)
        shade = (0.35 + 0.65 * lambert)[..., None] * base
        img[mask] = shade[mask]
        if rng.random() < 0.4:
            ink *= 0
    ink_colour = rng.uniform(0.0, 0.25) + (np.array([0, 0, 0.2]) if rng.random() < 0.1 else 0)
    img = img * (1 - ink[..., None]) + ink_colour * ink[..., None]
    return _degrade(img.astype(np.float32), rng)


def _degrade(img, rng):
    if rng.random() < 0.5:
        img = ndimage.gaussian_filter(img, (rng.uniform(0.3, 1.0),) * 2 + (0,))
    if rng.random() < 0.6:
        img = img + rng.normal(0, rng.uniform(0.005, 0.03), img.shape)
    img = np.clip(img, 0, 1).astype(np.float32)
    if rng.random() < 0.35:
        buf = io.BytesIO()
        Image.fromarray((img * 255).astype(np.uint8)).save(buf, "JPEG", quality=int(rng.integers(30, 95)))
        img = np.asarray(Image.open(buf), dtype=np.float32) / 255.0
    return img

"""Core functions against independent oracles: a brute-force loop, an analytic shape, a hand count —
never the function under test. Each case is one a plausible small bug would get wrong."""
import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from depthy_blender.core import images, relief, visual_hull


def brute_force_smooth(values, mask, sigma):
    """Mask-aware Gaussian by explicit loops: Σ w·v·m / Σ w·m over a (2r+1)² window, r = round(4σ)
    (scipy's truncation), zero beyond the grid; then the masked mean restored."""
    h, w = values.shape
    r = int(4 * sigma + 0.5)
    weight = [math.exp(-0.5 * (k / sigma) ** 2) for k in range(-r, r + 1)]
    out = np.zeros_like(values)
    for i in range(h):
        for j in range(w):
            if not mask[i, j]:
                continue
            num = den = 0.0
            for a in range(-r, r + 1):
                for b in range(-r, r + 1):
                    y, x = i + a, j + b
                    if 0 <= y < h and 0 <= x < w and mask[y, x]:
                        wt = weight[a + r] * weight[b + r]
                        num += wt * values[y, x]
                        den += wt
            out[i, j] = num / den
    out[mask] += values[mask].mean() - out[mask].mean()
    return out


def test_default_smoothing_is_applied_and_matches_a_brute_force_loop():
    """At the default sigma 1 the heights are the mask-aware Gaussian of the normalised nearness (a guard
    that skipped smoothing at sigma ≤ 1 would leave them raw)."""
    rng = np.random.default_rng(3)
    h, w = 9, 11
    raw = rng.random((h, w))
    mask = np.ones((h, w), bool)
    mask[0, :4] = mask[6:, 8:] = False
    cells = np.flatnonzero(mask).astype(np.int32)
    sides = np.ones(len(cells), np.float32)
    z = relief.vertex_z(raw.ravel()[cells].astype(np.float32), cells, sides, (h, w), 2.0, 0.5, 1.0)
    lo, hi = raw[mask].min(), raw[mask].max()
    normalised = np.where(mask, (raw - lo) / (hi - lo), 0.0)
    expected = brute_force_smooth(normalised, mask, 1.0).ravel()[cells] * (0.5 * 2.0)
    assert np.abs(z - expected).max() < 1e-5
    unsmoothed = normalised.ravel()[cells] * (0.5 * 2.0)
    assert np.abs(z - unsmoothed).max() > 0.05


def test_ink_touching_the_border_keeps_the_figure():
    """A rectangle whose outline runs along the image's left edge: the figure is still the rectangle
    (hand count: 121 × 61 px), not lost because ink sits on the border."""
    img = Image.new("RGB", (200, 100), "white")
    ImageDraw.Draw(img).rectangle((0, 20, 120, 80), outline="black", width=3)
    mask = images.figure_mask(images.pil_to_rgba(img))
    assert mask.sum() == 121 * 61
    assert mask[50, 60] and not mask[50, 160]


def notched_plate(nx=40, ny=30, nz=12):
    """Occupancy [x, y, z] of a plate with a notch cut into its front (y = 0 side), full height: a shape
    that differs front to back, so a plan view read the wrong way round gives the wrong solid. Its
    visual hull is the shape itself."""
    occ = np.ones((nx, ny, nz), bool)
    occ[15:25, :10, :] = False
    return occ


def silhouettes(occ):
    """The three views as images, row 0 at the top: front (x right, z up), right side (y right … seen
    from +x: the back on the right, z up), plan (x right, the back at the top)."""
    front = occ.any(axis=1).T[::-1]          # [z, x], z up
    side = occ.any(axis=0).T[::-1]           # [z, y], y right
    top = occ.any(axis=2).T[::-1]            # [y, x], the back (y high) at the top
    return front, side, top


def test_plan_view_is_read_front_at_the_bottom():
    occ = notched_plate()
    front, side, top = silhouettes(occ)
    carved = visual_hull.carve(front, side, top, resolution=max(occ.shape))
    assert carved.shape == occ.shape
    assert visual_hull.iou(carved, occ) == 1.0


def test_views_at_another_resolution_are_resampled():
    """Carving at half the shape's own resolution: every cell the truth, averaged 2×2×2, fills wholly
    is kept and every cell it leaves empty is cut (the notch at the front); the half-filled cells on the
    notch's sides (x from 15 to 25 pixels: cells 7 and 12 halved) may go either way."""
    occ = notched_plate()
    front, side, top = silhouettes(occ)
    carved = visual_hull.carve(front, side, top, resolution=max(occ.shape) // 2)
    share = occ.reshape(20, 2, 15, 2, 6, 2).mean(axis=(1, 3, 5))
    assert carved.shape == share.shape
    assert carved[share == 1].all() and not carved[share == 0].any()
    assert (share == 0).sum() == 4 * 5 * 6   # the notch's whole cells: x 8–11, y 0–4, all heights


def test_flood_from_border_stops_at_the_object_and_follows_a_gradient():
    """A 200 × 240 photo: a backdrop shading smoothly from 0.9 to 0.6 grey (0.0015 per row, well under
    the fill's tolerance), a red 40 × 50 box on it with a white highlight inside, and a one-pixel black
    speck. By hand: the figure is the box with its highlight, plus the rim the fill's one-pixel blur
    smears round it (at most 3 px); not the backdrop, nor the speck (its blur covers about 21 px, under
    min_area: 1e-3 of 48000 px)."""
    rows = np.linspace(0.9, 0.6, 200, dtype=np.float32)[:, None, None]
    rgba = np.concatenate([np.broadcast_to(rows, (200, 240, 3)), np.ones((200, 240, 1), np.float32)], -1).copy()
    rgba[80:120, 100:150, :3] = (0.8, 0.1, 0.1)
    rgba[95:100, 115:125, :3] = 1.0           # a highlight: a hole the fill must close
    rgba[20, 20, :3] = 0.0                    # a speck
    mask = images.flood_from_border(rgba)
    assert mask[80:120, 100:150].all()
    rim = np.zeros_like(mask)
    rim[77:123, 97:153] = True
    assert not (mask & ~rim).any()
    assert mask.sum() >= 42 * 52               # the rim is there all round: the fill stopped at the edge
    assert images.flood_from_border(rgba, min_area=0)[18:23, 18:23].any()    # kept only without min_area


def test_flood_from_border_takes_transparent_pixels_for_background():
    rgba = np.zeros((50, 50, 4), np.float32)
    rgba[..., :3] = 0.2                       # dark everywhere: only alpha tells the figure
    rgba[10:30, 15:35, 3] = 1.0
    mask = images.flood_from_border(rgba)
    assert mask[10:30, 15:35].all() and mask.sum() == 20 * 20


def test_rescale_keeps_a_checkerboard_block_pattern():
    """Each 1-pixel cell of a 4 × 6 pattern becomes a 3 × 3 block at factor 3; at 0.5, every other one."""
    pattern = (np.add.outer(np.arange(4), np.arange(6)) % 2).astype(bool)
    big = visual_hull.rescale(pattern, 3)
    assert big.shape == (12, 18)
    assert (big == np.kron(pattern, np.ones((3, 3), bool))).all()
    assert visual_hull.rescale(big, 1 / 3).shape == (4, 6)
    assert (visual_hull.rescale(big, 1 / 3) == pattern).all()

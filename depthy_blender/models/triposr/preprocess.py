"""TripoSR's input: figure mask (alpha, else paper flood-fill, else the whole image), crop to the figure
and pad to a square with the figure filling `foreground_ratio` of it, composite on grey 0.5, resize to 512²."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ...core import images


def figure_alpha(rgba: np.ndarray) -> np.ndarray:
    if images.has_alpha_mask(rgba):
        return rgba[..., 3]
    mask = images.figure_mask(rgba)
    return (mask if mask.any() else np.ones(mask.shape, bool)).astype(np.float32)


def resize_foreground(rgba: np.ndarray, foreground_ratio: float) -> tuple[np.ndarray, tuple[int, int]]:
    """Crop to the alpha bounding box, pad to a square (zeros), then pad evenly to side / foreground_ratio.
    Also returns where the framed square's (0, 0) lies in the input image (row, column)."""
    if not 0.5 <= foreground_ratio <= 1.0:
        raise ValueError(f"Foreground ratio must be between 0.5 and 1.0, not {foreground_ratio}")
    ys, xs = np.nonzero(rgba[..., 3] > 0)
    crop = rgba[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape[:2]
    side = max(h, w)
    square = np.zeros((side, side, 4), np.float32)
    top, left = (side - h) // 2, (side - w) // 2
    square[top:top + h, left:left + w] = crop
    padded_side = int(side / foreground_ratio)
    pad = (padded_side - side) // 2
    out = np.zeros((padded_side, padded_side, 4), np.float32)
    out[pad:pad + side, pad:pad + side] = square
    return out, (ys.min() - top - pad, xs.min() - left - pad)


def prepare(rgba: np.ndarray, foreground_ratio: float = 0.85, size: int = 512):
    """RGBA float image → ((1, 3, size, size) tensor in [0, 1], framing), as the official run.py does;
    framing = (row, column, side) of the square the network sees, in input pixels."""
    rgba = rgba.astype(np.float32).copy()
    rgba[..., 3] = figure_alpha(rgba)
    framed, origin = resize_foreground(rgba, foreground_ratio)
    rgb = framed[..., :3] * framed[..., 3:4] + (1 - framed[..., 3:4]) * 0.5
    rgb = (rgb * 255.0).astype(np.uint8).astype(np.float32) / 255.0     # the official code passes through uint8
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None]
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return x, (int(origin[0]), int(origin[1]), framed.shape[0])


def unframe(square: np.ndarray, framing, shape) -> np.ndarray:
    """A map rendered over the framed square, resampled back onto the input image's pixels."""
    row0, col0, side = framing
    n = square.shape[0]
    rows = ((np.arange(shape[0]) - row0 + 0.5) * n / side - 0.5)
    cols = ((np.arange(shape[1]) - col0 + 0.5) * n / side - 0.5)
    ri = np.clip(np.round(rows).astype(int), 0, n - 1)
    ci = np.clip(np.round(cols).astype(int), 0, n - 1)
    out = square[ri][:, ci]
    outside = (rows < -0.5) | (rows > n - 0.5)
    out[outside] = 0
    out[:, (cols < -0.5) | (cols > n - 0.5)] = 0
    return out

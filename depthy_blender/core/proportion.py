"""Auto (as drawn) depth: how deep a figure is in units of its own width, and the Depth ratio that builds it.

A relief is `ratio × the image's width` thick (core/relief), so a figure drawn `proportion` of its own
width deep needs ratio = proportion × figure width ÷ image width. Engines estimate the proportion:
- inflation: a round body, as deep as the widest circle that fits inside the outline (its own profile);
- a network trained on nearness in [0, 1] (Depthy): its raw range says how far from flat the figure
  is (a face seen square-on is all 1, so its range is near 0), times DEPTH_PER_SPREAD round-body depths.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from .relief import normalise

FALLBACK_RATIO = 0.2   # the Depth ratio when no engine can say how deep the figure is
# Depthy's full nearness range stands for a body 1.5 round bodies deep: figures seen obliquely show more
# than a cylinder's front half. The best of 0.5 … 3 on 100 drawings of seeds of their own, by
# training/fit_proportion.py (training/README.md: Shape metrics).
DEPTH_PER_SPREAD = 1.5


def figure_width(mask: np.ndarray) -> int:
    """Columns the figure spans, from its leftmost to its rightmost pixel (0 without a figure)."""
    cols = np.flatnonzero(mask.any(0))
    return int(cols[-1] - cols[0] + 1) if cols.size else 0


def ratio_for(proportion: float | None, mask: np.ndarray) -> float:
    """The Depth ratio (thickness ÷ image width) that makes the figure `proportion` of its width deep;
    FALLBACK_RATIO when the proportion is unknown or there is no figure."""
    width = figure_width(mask)
    if proportion is None or not np.isfinite(proportion) or width == 0:
        return FALLBACK_RATIO
    return float(max(0.0, proportion) * width / mask.shape[1])


def in_widths(nearness: np.ndarray, mask: np.ndarray, ratio: float, true_mask: np.ndarray) -> np.ndarray:
    """The relief a Depth ratio builds (its thickness is ratio × the image's width, spread over the
    nearness normalised on the figure `mask`), in units of the width of `true_mask`'s figure: what the
    proportion error compares with the true depth."""
    return normalise(nearness, mask) * (ratio * true_mask.shape[1] / figure_width(true_mask))


def round_body(mask: np.ndarray) -> float:
    """The proportion of a round body with this outline: the radius of the widest circle inside the
    figure ÷ the figure's width (0.5 for a disc; a long bar is as deep as half its thickness)."""
    width = figure_width(mask)
    if width == 0:
        return float("nan")
    return float(ndimage.distance_transform_edt(mask).max() / width)


UNIT_RANGE, FIGURE_WIDTHS = "unit range", "figure widths"   # what a network's raw nearness was taught


def from_nearness(nearness: np.ndarray, mask: np.ndarray, per_spread: float = DEPTH_PER_SPREAD,
                  units: str = UNIT_RANGE) -> float:
    """The proportion estimated from a network's raw nearness. Taught in UNIT_RANGE (targets that span
    [0, 1] over the figure unless it is seen square-on, all 1): its range (clipped to [0, 1]) ×
    per_spread × round_body. Taught in FIGURE_WIDTHS (depth ÷ the figure's width, up to a shift): its
    range is the proportion."""
    if not mask.any():
        return float("nan")
    values = nearness[mask]
    spread = float(values.max() - values.min())
    if units == FIGURE_WIDTHS:
        return spread
    return float(np.clip(spread, 0.0, 1.0)) * per_spread * round_body(mask)

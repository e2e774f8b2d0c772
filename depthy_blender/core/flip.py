"""Flip: the artist's mend for an area the engine read the wrong way round, a pocket raised as a boss
or a boss sunk as a pocket.

The artist selects part of the relief (a vertex on each wrong area is enough); each connected part of
the choice has its nearness mirrored about the level around it, the median nearness of the samples a
few steps round it (a few, as the line between them is blurred on the grid), so a pocket standing out by
d above the plate ends sunk by d below it, and its own shape (flat, bent, sloping) stays, upside down.
Invert swaps near and far for the whole figure; a flip does it for the chosen areas only, so a plate
with a boss and a pocket can have both right.

The drawn areas (`areas`: the areas the drawing's lines close, core/flat_faces, each grid sample
counting to its nearest one) let one selected vertex stand for its whole area; a drawing whose lines do
not divide the figure (a shaded figure, a bare outline) flips just what is selected. Everything here
works on what a relief mesh stores per vertex (raw nearness, grid cell, drawn area), so flips work after
save and reload.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from . import flat_faces, holes, options
from ..errors import DepthyError


BESIDE = 3   # grid samples: how far round a part its level is read, past the blur of the line between them


class FlipError(DepthyError, ValueError):
    """A flip that cannot be made, with a message meant for the artist."""


def areas(rgba: np.ndarray, mask: np.ndarray, shape) -> np.ndarray:
    """int32 (shape): for each grid sample, the drawn area (flat_faces.faces) nearest to the pixel under
    its centre; all 0 when the lines divide the figure into fewer than two areas (one would be all of
    it, so a selected vertex then stands for itself)."""
    labels = flat_faces.faces(rgba, mask)
    if labels.max(initial=0) < 2:
        return np.zeros(shape, np.int32)
    nearest = flat_faces.nearest_face(labels)
    rows = ((np.arange(shape[0]) + 0.5) * labels.shape[0] / shape[0]).astype(int)   # below the image's
    cols = ((np.arange(shape[1]) + 0.5) * labels.shape[1] / shape[1]).astype(int)   # size: (n − ½)/n < 1
    return nearest[rows[:, None], cols]


def chosen_cells(cells: np.ndarray, selected: np.ndarray, vertex_areas: np.ndarray | None = None,
                 whole: bool = True) -> np.ndarray:
    """The grid cells to flip: those of the selected vertices and, with `whole`, every cell of each drawn
    area a selected vertex lies on (area 0, no area, stands for nothing but itself)."""
    picked = np.unique(cells[selected])
    if whole and vertex_areas is not None:
        named = np.unique(vertex_areas[selected])
        named = named[named > 0]
        if named.size:
            picked = np.union1d(picked, cells[np.isin(vertex_areas, named)])
    return picked


def flipped(raw: np.ndarray, cells: np.ndarray, grid_shape, chosen: np.ndarray) -> tuple[np.ndarray, int]:
    """(the raw nearness per vertex with each connected part of the `chosen` cells mirrored about the
    median nearness of the figure's samples within BESIDE samples of it, how many parts). A part with
    nothing beside it (a separate piece of the figure) is mirrored about the median of the rest of the
    figure. Vertices sharing a cell (a closed back's) change together."""
    size = grid_shape[0] * grid_shape[1]
    figure = np.zeros(size, bool)
    figure[cells] = True
    picked = np.zeros(size, bool)
    picked[chosen] = True
    picked &= figure
    if not picked.any():
        raise FlipError("Select part of the relief first (in Edit Mode, a vertex on each area to flip)")
    if picked.sum() == figure.sum():
        raise FlipError("The whole relief is selected: use Invert to flip all of it, or select less")
    value = np.zeros(size, np.float64)
    value[cells] = raw
    figure, picked, value = (a.reshape(grid_shape) for a in (figure, picked, value))
    parts, count = ndimage.label(picked)
    rest = float(np.median(value[figure & ~picked]))
    mirrored = value.copy()
    for part, box in enumerate(ndimage.find_objects(parts), start=1):
        box = tuple(slice(max(s.start - BESIDE, 0), s.stop + BESIDE) for s in box)
        own = parts[box] == part
        beside = ndimage.binary_dilation(own, iterations=BESIDE) & figure[box] & ~picked[box]
        level = float(np.median(value[box][beside])) if beside.any() else rest
        mirrored[box][own] = 2 * level - value[box][own]
    return mirrored.ravel()[cells].astype(raw.dtype), count


# ---- flips kept through Regenerate -------------------------------------------------------------------
#
# A flip of whole drawn areas is remembered as one point per area, (u, v) on the drawing (u to the right,
# v down, both in [0, 1]), so the relief made again at another resolution or by another engine flips the
# areas under the same points; a second flip of an area forgets its point.

def area_grid(cells: np.ndarray, vertex_areas: np.ndarray, grid_shape) -> np.ndarray:
    """int32 (grid_shape): the drawn area of each grid sample the relief has (0 elsewhere)."""
    grid = np.zeros(grid_shape[0] * grid_shape[1], np.int32)
    grid[cells] = vertex_areas
    return grid.reshape(grid_shape)


def point_of(cell: int, grid_shape) -> tuple[float, float]:
    """The drawing's (u, v) at the centre of grid sample `cell`."""
    row, col = divmod(int(cell), grid_shape[1])
    return (col + 0.5) / grid_shape[1], (row + 0.5) / grid_shape[0]


def area_at(point, grid: np.ndarray) -> int:
    """The drawn area under the drawing's point (u, v) on an area grid; 0 for none (or no number)."""
    return holes.label_at(grid, point)


def remember(points: list, grid: np.ndarray, cells: np.ndarray, selected: np.ndarray,
               vertex_areas: np.ndarray) -> list:
    """`points` after a flip of the drawn areas the selected vertices lie on: each such area's point is
    forgotten when one is kept (flipped back), otherwise one of its selected samples' points is added."""
    kept = [tuple(p) for p in points]
    for label in np.unique(vertex_areas[selected]):
        if label <= 0:
            continue
        mine = [p for p in kept if area_at(p, grid) == label]
        if mine:
            kept = [p for p in kept if p not in mine]
        else:
            cell = cells[selected & (vertex_areas == label)][0]
            kept.append(point_of(cell, grid.shape))
    return kept


def replayed(points: list, grid: np.ndarray) -> tuple[np.ndarray, int]:
    """(the drawn areas to flip for the remembered `points` on a new area grid, how many points lie on no
    area). Two points on one area cancel, as flipping it twice would."""
    labels = [area_at(p, grid) for p in points]
    counts = np.bincount([label for label in labels if label > 0], minlength=1)
    return np.flatnonzero(counts % 2 == 1), labels.count(0)


def grown(ratio: float, before: np.ndarray, after: np.ndarray) -> float:
    """A Depth ratio grown as the nearness range grew from `before` to `after` (span_scale), so every
    height not flipped stays where it was; at most the slider's highest."""
    return min(ratio * span_scale(before, after), options.high("ratio"))


def span_scale(before: np.ndarray, after: np.ndarray) -> float:
    """How much the nearness range grew: the factor that keeps every unflipped height where it was when
    the Depth ratio is multiplied by it (heights are the nearness normalised over its range)."""
    old = float(np.ptp(before)) if before.size else 0.0
    return float(np.ptp(after)) / old if old > 0 else 1.0


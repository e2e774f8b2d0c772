"""Fill Holes: the artist's mend for a closed area the engine left out of the figure, a round boss seen
from above that it read as a drilled hole.

Seen square-on, a boss, a pocket and a hole are all one closed line; the engine chooses, and where it
chose a hole the relief has a gap. A hole here is a gap the figure encloses: a connected part of the
background that does not reach the image's border. The artist selects a vertex on a hole's rim and the
relief is made again with that hole in the figure, at the depth the engine reads there (Depthy reads
its whole image, and sinks such an area below the plate round it: a pocket, which Flip Selected Areas
turns into a boss). Holes the artist leaves alone stay holes, which Background: Flood from Border, the
other way to keep a boss, cannot do.

A filled hole is remembered as one point (u, v) on the drawing, deep inside it, so Regenerate fills it
again at any resolution. The rim's choice works on what a relief mesh stores per vertex (grid cells), the
fill on the engine's figure in pixels.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..errors import DepthyError

EIGHT = np.ones((3, 3), bool)   # a rim vertex touches its hole across an edge or a corner


class HoleError(DepthyError, ValueError):
    """A fill that cannot be made, with a message meant for the artist."""


def holes(mask: np.ndarray) -> np.ndarray:
    """int32 labels 1, 2, … of the gaps `mask` encloses (0: the figure, or background that reaches the
    border)."""
    labels, _ = ndimage.label(ndimage.binary_fill_holes(mask) & ~mask)
    return labels.astype(np.int32)


def pixel_of(point, shape) -> tuple[int, int] | None:
    """The (row, column) under the drawing's point (u, v) on an array of `shape`, clamped to it; None
    when the point is not two finite numbers."""
    try:
        u, v = (float(c) for c in point)
    except (TypeError, ValueError):
        return None
    if not (np.isfinite(u) and np.isfinite(v)):
        return None
    return min(max(int(v * shape[0]), 0), shape[0] - 1), min(max(int(u * shape[1]), 0), shape[1] - 1)


def hole_at(labels: np.ndarray, point, reach: float = 0.0) -> int:
    """The hole under the point (u, v), or the nearest one within `reach` pixels of it (a point kept on a
    coarser grid may land on the figure's edge); 0 for none."""
    at = pixel_of(point, labels.shape)
    if at is None:
        return 0
    if labels[at] or reach <= 0:
        return int(labels[at])
    r = int(np.ceil(reach))
    top, left = max(at[0] - r, 0), max(at[1] - r, 0)
    window = labels[top:at[0] + r + 1, left:at[1] + r + 1]
    rows, cols = np.nonzero(window)
    if not len(rows):
        return 0
    distance = np.hypot(rows + top - at[0], cols + left - at[1])
    nearest = np.argmin(distance)
    return int(window[rows[nearest], cols[nearest]]) if distance[nearest] <= reach else 0


def filled(mask: np.ndarray, points, reach: float = 0.0) -> tuple[np.ndarray, int, int]:
    """(`mask` with the holes under `points` made part of it, how many holes were filled, how many points
    lie on no hole). Several points on one hole fill it once."""
    labels = holes(mask)
    found = [hole_at(labels, p, reach) for p in points]
    chosen = sorted({label for label in found if label > 0})
    return mask | np.isin(labels, chosen), len(chosen), found.count(0)


def reach_for(image_shape, grid_shape) -> float:
    """How far (pixels) a point kept on a grid of `grid_shape` may land from its hole on the image: two
    grid samples."""
    return 2.0 * max(image_shape[0] / grid_shape[0], image_shape[1] / grid_shape[1])


def rim_points(cells: np.ndarray, grid_shape, selected: np.ndarray) -> list[tuple[float, float]]:
    """One point (u, v) deep inside each hole of the relief's grid that a selected vertex touches (across
    an edge or a corner): the hole's sample farthest from its rim. `cells` are the front vertices' grid
    samples, `selected` whether each is selected."""
    occupied = np.zeros(grid_shape[0] * grid_shape[1], bool)
    occupied[cells] = True
    occupied = occupied.reshape(grid_shape)
    labels = holes(occupied)
    picked = np.zeros(grid_shape[0] * grid_shape[1], bool)
    picked[cells[selected]] = True
    touched = np.unique(labels[ndimage.binary_dilation(picked.reshape(grid_shape), EIGHT)])
    return deepest_points(labels, touched[touched > 0])


def deepest_points(labels: np.ndarray, chosen) -> list[tuple[float, float]]:
    """For each hole label in `chosen`, the point (u, v) at the centre of its sample farthest from its
    rim (the first such, in row order)."""
    depth = ndimage.distance_transform_edt(labels > 0).ravel()
    points = []
    for label in chosen:
        inside = np.flatnonzero(labels.ravel() == label)
        row, col = divmod(int(inside[np.argmax(depth[inside])]), labels.shape[1])
        points.append(((col + 0.5) / labels.shape[1], (row + 0.5) / labels.shape[0]))
    return points


def points_to_fill(cells: np.ndarray, grid_shape, selected: np.ndarray) -> list[tuple[float, float]]:
    """rim_points, or HoleError with one line when the selection touches no hole."""
    if not selected.any():
        raise HoleError("Select a vertex on the rim of each hole to fill first")
    points = rim_points(cells, grid_shape, selected)
    if not points:
        raise HoleError("No hole touches the selected vertices: select vertices on a hole's rim")
    return points

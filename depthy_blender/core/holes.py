"""Fill Holes and Cut Selected Areas: the artist's mends for the figure where the engine chose wrong, a
round boss seen from above read as a drilled hole (filled), or a hole seen square-on read as a face (cut).

Seen square-on, a boss, a pocket and a hole are all one closed line; the engine chooses, and where it
chose a hole the relief has a gap. A hole here is a gap the figure encloses: a connected part of the
background that does not reach the image's border. The artist selects a vertex on a hole's rim and the
relief is made again with that hole in the figure, at the depth the engine reads there (Depthy reads
its whole image, and sinks such an area below the plate round it: a pocket, which Flip Selected Areas
turns into a boss). Holes the artist leaves alone stay holes, which Background: Flood from Border, the
other way to keep a boss, cannot do.

The other way round, a drawn area a selected vertex lies on (core/flip's areas, the areas the lines close)
is cut out of the figure; the lines round it stay, as a hole's edge. A filled hole or a cut area is
remembered as one point (u, v) on the drawing, deep inside it, so Regenerate makes it again at any
resolution; filling a cut area's hole, or cutting a filled hole's area, forgets the first point instead.
The choice works on what a relief mesh stores per vertex (grid cells, drawn areas), the mend on the
engine's figure in pixels.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from . import flat_faces
from ..errors import DepthyError

EIGHT = np.ones((3, 3), bool)   # a rim vertex touches its hole across an edge or a corner


class HoleError(DepthyError, ValueError):
    """A fill or a cut that cannot be made, with a message meant for the artist."""


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


def cut(mask: np.ndarray, rgba: np.ndarray, points) -> tuple[np.ndarray, int, int]:
    """(`mask` with the drawn areas under `points` cut out, how many were cut, how many points lie on no
    area). A point on a line or a crumb stands for its nearest area, as a vertex there does; the lines
    stay. HoleError when that would cut every area."""
    labels = flat_faces.faces(rgba, mask)
    if not labels.any():
        return mask, 0, len(points)
    nearest = flat_faces.nearest_face(labels)
    found = []
    for point in points:
        at = pixel_of(point, mask.shape)
        found.append(int(nearest[at]) if at is not None and mask[at] else 0)
    chosen = sorted({label for label in found if label > 0})
    if len(chosen) == labels.max():
        raise HoleError("Cutting every drawn area would leave no figure")
    return mask & ~np.isin(labels, chosen), len(chosen), found.count(0)


def reach_for(image_shape, grid_shape) -> float:
    """How far (pixels) a point kept on a grid of `grid_shape` may land from its hole on the image: two
    grid samples."""
    return 2.0 * max(image_shape[0] / grid_shape[0], image_shape[1] / grid_shape[1])


def rim_points(cells: np.ndarray, grid_shape, selected: np.ndarray) -> list[tuple[float, float]]:
    """One point (u, v) deep inside each hole of the relief's grid that a selected vertex touches (across
    an edge or a corner): the hole's sample farthest from its rim. `cells` are the front vertices' grid
    samples, `selected` whether each is selected."""
    labels = hole_grid(cells, grid_shape)
    picked = np.zeros(grid_shape[0] * grid_shape[1], bool)
    picked[cells[selected]] = True
    touched = np.unique(labels[ndimage.binary_dilation(picked.reshape(grid_shape), EIGHT)])
    return deepest_points(labels, touched[touched > 0])


def deepest_points(labels: np.ndarray, chosen) -> list[tuple[float, float]]:
    """For each label in `chosen` (a hole, a drawn area), the point (u, v) at the centre of its sample
    farthest from its edge (the first such, in row order)."""
    points = []
    for label in chosen:
        own = labels == label
        row, col = np.unravel_index(np.argmax(ndimage.distance_transform_edt(own)), own.shape)
        points.append(((col + 0.5) / labels.shape[1], (row + 0.5) / labels.shape[0]))
    return points


def area_points(grid: np.ndarray, selected_areas: np.ndarray) -> list:
    """One point (u, v) deep inside each drawn area of the selected vertices (`selected_areas`, their areas;
    `grid`, the relief's area grid: flip.area_grid); HoleError with one line when nothing is selected or
    the selection lies on no area."""
    if not len(selected_areas):
        raise HoleError("Select a vertex on each area to cut first")
    chosen = np.unique(selected_areas)
    chosen = chosen[chosen > 0]
    if not len(chosen):
        raise HoleError("The drawing's lines close no area at the selected vertices to cut")
    return deepest_points(grid, chosen)


def hole_grid(cells: np.ndarray, grid_shape) -> np.ndarray:
    """The holes of a relief's grid (int32 labels), from its vertices' grid samples."""
    occupied = np.zeros(grid_shape[0] * grid_shape[1], bool)
    occupied[cells] = True
    return holes(occupied.reshape(grid_shape))


def label_at(grid: np.ndarray, point) -> int:
    """The label under the drawing's point (u, v) on a grid; 0 for none (or no point)."""
    at = pixel_of(point, grid.shape)
    return 0 if at is None else int(grid[at])


def toggled(kept: list, undone: list, new: list, grid: np.ndarray) -> tuple[list, list]:
    """(`kept` with the `new` points added, `undone` without the points they undo): a new point whose label
    on `grid` holds a point of `undone` (a fill on a hole that was cut, a cut of an area that was filled)
    forgets those instead of being kept."""
    kept, undone = [tuple(p) for p in kept], [tuple(p) for p in undone]
    for point in new:
        label = label_at(grid, point)
        mine = [p for p in undone if label and label_at(grid, p) == label]
        if mine:
            undone = [p for p in undone if p not in mine]
        else:
            kept.append(tuple(point))
    return kept, undone


def points_to_fill(cells: np.ndarray, grid_shape, selected: np.ndarray) -> list[tuple[float, float]]:
    """rim_points, or HoleError with one line when the selection touches no hole."""
    if not selected.any():
        raise HoleError("Select a vertex on the rim of each hole to fill first")
    points = rim_points(cells, grid_shape, selected)
    if not points:
        raise HoleError("No hole touches the selected vertices: select vertices on a hole's rim")
    return points

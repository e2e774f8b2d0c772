"""Choosing a voxel resolution whose cell walls fall on the drawing's straight edges.

A voxel is inside when its centre is. A face drawn right through the middle of a layer of cells is
decided by the drawing's last half pixel: a whole layer comes or goes, which on a wall a few voxels
thick is a visible step. Long straight edges are where machined parts have their faces, and their
places along each axis are read from the views' signed fields (≥ 0 inside, zero on the pen's centre)
to a fraction of a pixel. Among resolutions a little above the one asked for, the one that keeps those
edges farthest from cell centres is taken.
"""
from __future__ import annotations

import numpy as np

AXES = {"front": ("z", "x"), "side": ("z", "y"), "top": ("y", "x")}   # a view's rows, columns
NEAR = 0.2      # cells: an edge closer than this to a cell's centre is at risk
BIN = 0.5       # pixels: crossings this close belong to one straight edge
LONG = 0.05     # an edge counts when it runs along this share of its view (and 8 pixels or more)


def crossings(field: np.ndarray, axis: int) -> np.ndarray:
    """Where the field's zero lies between two pixels along `axis`, to a fraction of a pixel."""
    a = np.moveaxis(field, axis, -1)
    lo, hi = a[..., :-1], a[..., 1:]
    k = np.nonzero((lo >= 0) != (hi >= 0))
    return k[-1] + lo[k] / (lo[k] - hi[k])


def straight_edges(field: np.ndarray, axis: int, inset: float) -> list[tuple[float, int]]:
    """(place as a share of the view's extent along `axis`, length in pixels) of each long straight
    edge across that axis: many rows (or columns) crossing the zero at the same place."""
    at = crossings(field, axis)
    extent = field.shape[axis] - 2 * inset
    if at.size == 0 or extent <= 0:
        return []
    bins = np.floor(at / BIN).astype(int)
    counts = np.bincount(bins)
    sums = np.bincount(bins, weights=at)
    least = max(8, LONG * field.shape[1 - axis])
    edges = []
    for b in np.nonzero(counts >= least)[0]:
        place = sums[b] / counts[b]
        edges.append(((place - (inset - 0.5)) / extent, int(counts[b])))
    return edges


def edges_by_axis(fields: dict, insets: dict) -> dict[str, list[tuple[float, int]]]:
    """Each grid axis's straight edges from the views that show it (view → list of fields)."""
    out = {"x": [], "y": [], "z": []}
    for view, view_fields in fields.items():
        for field in view_fields:
            for axis, name in enumerate(AXES[view]):
                out[name] += straight_edges(field, axis, insets.get(view, 0.0))
    return out


def risk(edges: dict, shape: tuple) -> float:
    """Edge length within NEAR of a cell centre, weighted by how near."""
    total = 0.0
    for name, n in zip("xyz", shape):
        for share, length in edges[name]:
            centre_gap = abs((share * n) % 1.0 - 0.5)
            total += length * max(0.0, NEAR - centre_gap)
    return total


def best_resolution(edges: dict, shape_for, least: int, budget: int) -> int:
    """The resolution from `least` to about a tenth above it with the least risk, within `budget`
    voxels (`shape_for(resolution)` gives the grid's shape)."""
    best, best_risk = least, risk(edges, shape_for(least))
    for n in range(least + 1, least + max(4, least // 10) + 1):
        shape = shape_for(n)
        if int(np.prod(shape)) > budget:
            break
        r = risk(edges, shape)
        if r < best_risk - 1e-9:
            best, best_risk = n, r
    return best

"""Density field → triangle mesh by marching cubes, with coarse-to-fine evaluation.

The official code evaluates the density at all R³ grid points (16.7 M at R = 256). Here a coarse
lattice (every `step`-th grid point) is evaluated first; only coarse cells whose corners straddle the
threshold, plus one cell of margin, are evaluated at full resolution. Every other grid point takes the
value of its nearest coarse point, whose side of the threshold is the same throughout such cells, so no
surface can appear there: where the coarse lattice sees the surface, the mesh is the dense one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage

RADIUS = 0.87


@dataclass
class Extraction:
    vertices: np.ndarray      # (V, 3) float32, native TripoSR frame
    faces: np.ndarray         # (F, 3) int32, outward winding
    queries: int              # density evaluations used
    dense_queries: int        # what evaluating every grid point would have used


def grid_coordinates(index: np.ndarray, resolution: int, radius: float = RADIUS) -> np.ndarray:
    return index / (resolution - 1) * (2 * radius) - radius


def evaluate(density_fn, points: np.ndarray, chunk: int, cancel=None) -> np.ndarray:
    out = np.empty(len(points), np.float32)
    for start in range(0, len(points), chunk):
        if cancel:
            cancel()
        p = torch.from_numpy(points[start:start + chunk].astype(np.float32))
        out[start:start + chunk] = density_fn(p).detach().float().cpu().numpy()
    return out


def dense_field(density_fn, resolution: int, chunk: int = 262144, cancel=None, radius: float = RADIUS):
    axis = grid_coordinates(np.arange(resolution), resolution, radius)
    pts = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    return evaluate(density_fn, pts, chunk, cancel).reshape((resolution,) * 3)


def coarse_to_fine_field(density_fn, resolution: int, threshold: float, step: int = 4, chunk: int = 262144,
                         cancel=None, progress=None, radius: float = RADIUS):
    """The grid field, exact wherever a surface can be, and how many queries it took."""
    coarse = np.unique(np.r_[np.arange(0, resolution, step), resolution - 1])
    n = len(coarse)
    axis = grid_coordinates(coarse, resolution, radius)
    pts = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    values = evaluate(density_fn, pts, chunk, cancel).reshape(n, n, n)
    inside = values > threshold
    corners = [inside[a:n - 1 + a, b:n - 1 + b, c:n - 1 + c] for a in (0, 1) for b in (0, 1) for c in (0, 1)]
    mixed = np.any(corners, axis=0) & ~np.all(corners, axis=0)
    active = ndimage.binary_dilation(mixed, structure=np.ones((3, 3, 3), bool))
    nearest = np.abs(np.arange(resolution)[:, None] - coarse[None]).argmin(1)
    field = values[np.ix_(nearest, nearest, nearest)]
    todo = np.zeros((resolution,) * 3, bool)
    for a, b, c in np.argwhere(active):
        todo[coarse[a]:coarse[a + 1] + 1, coarse[b]:coarse[b + 1] + 1, coarse[c]:coarse[c + 1] + 1] = True
    idx = np.nonzero(todo)
    grid_axis = grid_coordinates(np.arange(resolution), resolution, radius)
    fine_pts = np.stack([grid_axis[i] for i in idx], -1)
    if progress:
        progress(0.2, f"Density: {len(fine_pts):,} points near the surface")
    field[idx] = evaluate(density_fn, fine_pts, chunk, cancel)
    return field, len(pts) + len(fine_pts)


def marching_cubes(field: np.ndarray, threshold: float, radius: float = RADIUS):
    """Vertices (native frame) and outward-wound faces of the level set field = threshold."""
    from skimage import measure
    if not (field.max() > threshold > field.min()):
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int32)
    verts, faces, _, _ = measure.marching_cubes(field - threshold, 0.0, gradient_direction="ascent")
    res = field.shape[0]
    verts = (verts / (res - 1) * (2 * radius) - radius).astype(np.float32)
    faces = faces.astype(np.int32)
    if signed_volume(verts, faces) < 0:   # guarantee outward normals whatever the convention
        faces = faces[:, ::-1].copy()
    return verts, faces


def signed_volume(verts: np.ndarray, faces: np.ndarray) -> float:
    a, b, c = (verts[faces[:, k]].astype(np.float64) for k in range(3))
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def extract(density_fn, resolution: int = 256, threshold: float = 25.0, coarse_to_fine: bool = True,
            chunk: int = 262144, cancel=None, progress=None) -> Extraction:
    if coarse_to_fine and resolution > 32:
        field, queries = coarse_to_fine_field(density_fn, resolution, threshold, chunk=chunk, cancel=cancel,
                                              progress=progress)
    else:
        field, queries = dense_field(density_fn, resolution, chunk, cancel), resolution ** 3
    verts, faces = marching_cubes(field, threshold)
    return Extraction(verts, faces, queries, resolution ** 3)

"""A closed solid from the front, side and top silhouettes of an orthographic drawing (visual hull).

The front view looks along +Y (x right, z up), the right side view along −X (y right, z up), the top view
down −Z (x right, y up). Sheets drawn in first-angle projection, or with the side view seen from the left,
are brought into that frame with `projection` and `as_right_view`.
Each mask is cropped to its figure; the solid spans the front view's width and height and the top
view's height (= the side view's width).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass
class Solid:
    vertices: np.ndarray   # (V, 3) float32, centred, x right / y back / z up
    faces: np.ndarray      # (F, 3) int32, outward
    occupancy: np.ndarray  # (nx, ny, nz) bool voxels


def _crop(mask):
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        raise ValueError("a view has an empty silhouette")
    return mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def _fit(mask, rows, cols):
    """Nearest-neighbour resample of a mask to (rows, cols)."""
    r = (np.arange(rows) + 0.5) * mask.shape[0] / rows
    c = (np.arange(cols) + 0.5) * mask.shape[1] / cols
    return mask[np.minimum(r.astype(int), mask.shape[0] - 1)][:, np.minimum(c.astype(int), mask.shape[1] - 1)]


def carve(front: np.ndarray, side: np.ndarray, top: np.ndarray, resolution: int = 128) -> np.ndarray:
    """Voxels inside all three silhouettes: occupancy[x, y, z]."""
    front, side, top = _crop(front), _crop(side), _crop(top)
    width = front.shape[1]
    height = (front.shape[0] + side.shape[0]) / 2
    depth = (top.shape[0] + side.shape[1]) / 2
    scale = resolution / max(width, height, depth)
    nx, ny, nz = (max(2, round(v * scale)) for v in (width, depth, height))
    f = _fit(front, nz, nx)[::-1].T          # [x, z], z up
    s = _fit(side, nz, ny)[::-1].T           # [y, z]
    t = _fit(top, ny, nx)[::-1].T            # [x, y], y back
    return f[:, None, :] & s[None, :, :] & t[:, :, None]


def mesh(occupancy: np.ndarray, size: float = 1.0) -> Solid:
    """Marching cubes over the (padded) voxels; the longest side becomes `size`."""
    from skimage import measure
    padded = np.pad(occupancy, 1).astype(np.float32)
    smooth = ndimage.gaussian_filter(padded, 0.6)
    verts, faces, _, _ = measure.marching_cubes(smooth, 0.5, gradient_direction="ascent")
    verts = verts - 1.0 - (np.array(occupancy.shape) - 1) / 2
    verts *= size / max(occupancy.shape)
    faces = faces.astype(np.int32)
    a, b, c = (verts[faces[:, k]] for k in range(3))
    if np.einsum("ij,ij->i", a, np.cross(b, c)).sum() < 0:
        faces = faces[:, ::-1].copy()
    return Solid(verts.astype(np.float32), faces, occupancy)


def projection(front_box, top_box) -> str:
    """"third" when the plan is drawn above the front view (third-angle), "first" when below it.
    Boxes are (x0, y0, x1, y1) in sheet pixels, y down."""
    return "third" if top_box[1] + top_box[3] < front_box[1] + front_box[3] else "first"


def as_right_view(side: np.ndarray, side_box, front_box, angle: str) -> np.ndarray:
    """The side silhouette as seen from the right. Third-angle puts the right view right of the front
    view and the left view left of it; first-angle the other way round. A view from the left is the
    mirror image (the object's front is on its right), so it is flipped. The plan needs no change: in
    both projections it shows the object's front at the bottom."""
    placed_right = side_box[0] + side_box[2] > front_box[0] + front_box[2]
    from_right = placed_right == (angle == "third")
    return side if from_right else side[:, ::-1]


def from_views(front, side, top, resolution: int = 128, size: float = 1.0) -> Solid:
    return mesh(carve(front, side, top, resolution), size)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))

"""What a drawing's truth says beyond nearness, for the shape metrics of training/evaluate.py:
which pixels lie on one flat face of the solid (plane labels, for planarity), and how deep the figure
is in units of its own width (its proportion, for the proportion error). Both need an orthographic
view: in perspective a flat face's depth is not linear in the image, and depth and width are measured
at different scales."""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from depthy_blender.core.proportion import figure_width

SAME_NORMAL_DEG = 0.5    # neighbours whose normals differ by more lie on different faces
STEP_PX = 0.5            # ... and so do neighbours off each other's plane by more than this (pixel units)
FIT_RMS_PX = 0.25        # a face whose points lie off their own best plane by more is not flat
MIN_FACE_SHARE = 0.01    # faces smaller than this share of the figure are not labelled (…)
MIN_FACE_PX = 64         # … nor under this many pixels


def plane_labels(mask: np.ndarray, depth: np.ndarray, normals: np.ndarray, pixel: float) -> np.ndarray:
    """int32 labels (0 = no flat face) of the flat faces an orthographic view shows. `depth` is along
    the view axis (larger = farther), `normals` are unit normals in the camera's (right, up, forward)
    or world frame (only angles between them are used), `pixel` is a pixel's side in depth units.

    A face is a 4-connected run of pixels whose normals agree with each neighbour's within
    SAME_NORMAL_DEG and whose depths continue each other's plane; it is kept when its points fit one
    plane within FIT_RMS_PX and it is big enough to be seen as a face."""
    z = np.where(mask, depth / pixel, 0.0).astype(np.float64)
    n = normals.astype(np.float64)
    cos_limit = np.cos(np.radians(SAME_NORMAL_DEG))
    rows, cols = np.indices(mask.shape)
    apart = ~mask.copy()
    for axis in (0, 1):
        a = [slice(None)] * 2
        b = [slice(None)] * 2
        a[axis], b[axis] = slice(None, -1), slice(1, None)
        a, b = tuple(a), tuple(b)
        both = mask[a] & mask[b]
        same = (n[a] * n[b]).sum(-1) >= cos_limit
        # each pixel's plane through its own point predicts the neighbour's depth; the depth gradient of
        # a plane with normal n is -n_along / n_view in pixel units (depth grows away from the viewer)
        slope = _depth_slope(n, axis)
        step = z[b] - z[a]
        expected = 0.5 * (slope[a] + slope[b])
        joined = both & same & (np.abs(step - expected) <= STEP_PX)
        cut = both & ~joined
        apart[a] |= cut
        apart[b] |= cut
    faces, count = ndimage.label(mask & ~apart)
    labels = np.zeros(mask.shape, np.int32)
    least = max(MIN_FACE_PX, MIN_FACE_SHARE * mask.sum())
    kept = 0
    for k, found in enumerate(ndimage.find_objects(faces), start=1):
        if found is None:
            continue
        on = faces[found] == k
        if on.sum() < least:
            continue
        if plane_rms(z[found][on], rows[found][on], cols[found][on]) > FIT_RMS_PX:
            continue
        kept += 1
        labels[found][on] = kept
    return labels


def _depth_slope(n: np.ndarray, axis: int) -> np.ndarray:
    """Depth change per pixel along rows (axis 0, image down) or columns (axis 1, image right) of the
    plane through each pixel, from normals given in the camera frame (x right, y up, z away)."""
    view = np.where(np.abs(n[..., 2]) > 1e-6, n[..., 2], np.inf)   # a face seen edge-on has no slope here
    along = n[..., 1] if axis == 0 else -n[..., 0]   # the plane's dz/dy is -n_y/n_z, and rows run down
    return along / view


def plane_rms(z: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> float:
    """RMS distance (along z) of the points (cols, rows, z) from their least-squares plane."""
    a = np.stack([cols.astype(np.float64), rows.astype(np.float64), np.ones(z.size)], 1)
    coef, *_ = np.linalg.lstsq(a, z.astype(np.float64), rcond=None)
    return float(np.sqrt(np.mean((a @ coef - z) ** 2)))


def proportion(mask: np.ndarray, depth: np.ndarray, pixel: float) -> float:
    """The figure's depth range divided by its width (both in the same units); NaN without a figure."""
    if not mask.any():
        return float("nan")
    return float(np.ptp(depth[mask]) / (figure_width(mask) * pixel))


def camera_normals(normals: np.ndarray, right: np.ndarray, up: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """World normals → the camera frame (x right, y up, z away from the viewer)."""
    return normals @ np.stack([right, up, forward], 1).astype(normals.dtype)


def of_view(mask: np.ndarray, depth: np.ndarray, normals: np.ndarray, cam) -> tuple[np.ndarray, float]:
    """(plane labels, proportion) of one figure traced or rasterised by `cam` (a render.Camera) into a
    square image; no labels and a NaN proportion for a perspective view."""
    if cam.perspective > 0:
        return np.zeros(mask.shape, np.int32), float("nan")
    from .render import camera_basis
    forward, right, up = camera_basis(cam)
    pixel = 2.0 * cam.half_size / mask.shape[1]
    labels = plane_labels(mask, depth, camera_normals(normals, right, up, forward), pixel)
    return labels, proportion(mask, depth, pixel)

"""Depth and mask quality measures: scale+shift-aligned errors, surface-normal error, planarity of flat
faces, proportion error, mask IoU."""
from __future__ import annotations

import numpy as np
from scipy import ndimage


def align_scale_shift(pred: np.ndarray, true: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """pred·s + t with the least-squares s ≥ 0 and t over the mask (a negative scale would invert the
    depth, which no relief can use, so it is clamped to 0: the best constant)."""
    p, g = pred[mask].astype(np.float64), true[mask].astype(np.float64)
    if p.size == 0:
        return pred
    pc, gc = p - p.mean(), g - g.mean()
    var = (pc * pc).sum()
    s = max(0.0, (pc * gc).sum() / var) if var > 0 else 0.0
    t = g.mean() - s * p.mean()
    return (pred * s + t).astype(np.float64)


def depth_errors(pred: np.ndarray, true: np.ndarray, mask: np.ndarray) -> dict:
    """nRMSE: RMSE after alignment ÷ true range; acc5: share of pixels within 5 % of the range."""
    if not mask.any():
        return {"nrmse": float("nan"), "acc5": float("nan")}
    aligned = align_scale_shift(pred, true, mask)
    g = true[mask].astype(np.float64)
    span = np.ptp(g)
    if span <= 0:
        span = 1.0
    err = np.abs(aligned[mask] - g) / span
    return {"nrmse": float(np.sqrt((err ** 2).mean())), "acc5": float((err <= 0.05).mean())}


def surface_normals(nearness: np.ndarray) -> np.ndarray:
    """(H, W, 3) unit normals of the surface z = nearness(x, y), with x and y in units of the image's
    longer side (so a figure's slopes read the same at any image size)."""
    side = max(nearness.shape)
    d_rows, d_cols = np.gradient(nearness.astype(np.float64))
    v = np.stack([-d_cols * side, d_rows * side, np.ones_like(d_cols)], -1)   # rows run down the image
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def normal_error(pred: np.ndarray, true: np.ndarray, mask: np.ndarray, erode: int = 2) -> float:
    """Mean angle in degrees between the true and the predicted surface normals, after the scale + shift
    fit, inside the true mask eroded by `erode` pixels (the outline's slopes are not the surface's).
    It sees what nRMSE averages away: a warp, a tilt, ripples on a flat face."""
    inner = ndimage.binary_erosion(mask, iterations=erode) if erode else mask
    if not inner.any():
        return float("nan")
    aligned = align_scale_shift(pred, true, mask)
    cos = (surface_normals(aligned) * surface_normals(np.where(mask, true, 0.0))).sum(-1)[inner]
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))).mean())


def planarity(pred: np.ndarray, true: np.ndarray, mask: np.ndarray, planes: np.ndarray, erode: int = 2) -> float:
    """How far the prediction bends where the truth is flat: on each labelled flat face (`planes` > 0),
    eroded by `erode` pixels, the RMS distance along depth of the scale + shift aligned prediction from
    its own least-squares plane over that face, pooled over all faces and divided by the true depth
    range. 0 for any prediction that is planar on every face; NaN without a face left after erosion."""
    aligned = align_scale_shift(pred, true, mask)
    span = float(np.ptp(true[mask])) if mask.any() else 0.0
    squares, count = 0.0, 0
    for k in np.unique(planes[planes > 0]):
        face = planes == k
        on = ndimage.binary_erosion(face, iterations=erode) if erode else face
        if on.sum() < 3:
            continue
        rows, cols = np.nonzero(on)
        a = np.stack([cols, rows, np.ones(rows.size)], 1).astype(np.float64)
        z = aligned[on].astype(np.float64)
        coef, *_ = np.linalg.lstsq(a, z, rcond=None)
        squares += float(((a @ coef - z) ** 2).sum())
        count += rows.size
    if count == 0:
        return float("nan")
    return float(np.sqrt(squares / count) / (span if span > 0 else 1.0))


def proportion_error(pred: np.ndarray, true: np.ndarray, mask: np.ndarray) -> float:
    """RMSE of a depth map against the truth after the best shift only (no scale), over the mask. Both
    are given in units of the figure's width, so the error says how far the drawn proportions are off."""
    if not mask.any():
        return float("nan")
    diff = pred[mask].astype(np.float64) - true[mask].astype(np.float64)
    return float(np.sqrt(np.mean((diff - diff.mean()) ** 2)))


def mask_iou(pred: np.ndarray, true: np.ndarray) -> float:
    union = np.logical_or(pred, true).sum()
    return float(np.logical_and(pred, true).sum() / union) if union else 1.0

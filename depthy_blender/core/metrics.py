"""Depth and mask quality measures: scale+shift-aligned errors, surface-normal error, mask IoU."""
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


def mask_iou(pred: np.ndarray, true: np.ndarray) -> float:
    union = np.logical_or(pred, true).sum()
    return float(np.logical_and(pred, true).sum() / union) if union else 1.0

"""Depth and mask quality measures (numpy only): scale+shift-aligned errors, mask IoU."""
from __future__ import annotations

import numpy as np


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


def mask_iou(pred: np.ndarray, true: np.ndarray) -> float:
    union = np.logical_or(pred, true).sum()
    return float(np.logical_and(pred, true).sum() / union) if union else 1.0

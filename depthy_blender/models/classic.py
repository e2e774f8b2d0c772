"""Non-learned depth engines, always available: silhouette inflation, a turned part's revolved outline
and luminance.

Inflation and luminance are also the baselines every learned engine is measured against.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..core import images, proportion, revolve
from . import engine


def inflate(mask: np.ndarray) -> np.ndarray:
    """Round profile over each figure component: a pixel at distance d from the edge of a component
    whose deepest point is R gets sqrt(d·(2R − d)), i.e. a circular cross-section."""
    dist = ndimage.distance_transform_edt(mask)
    labels, count = ndimage.label(mask)
    if count == 0:
        return np.zeros(mask.shape, np.float32)
    radius = np.ones(count + 1)
    for k, box in enumerate(ndimage.find_objects(labels), 1):   # per-slice: avoids a global argsort
        radius[k] = dist[box][labels[box] == k].max()
    r = radius[labels]
    d = np.minimum(dist, r)
    return np.where(mask, np.sqrt(d * (2 * r - d)), 0).astype(np.float32)


def luminance_nearness(rgba: np.ndarray, invert: bool = False) -> np.ndarray:
    """Darker = nearer (ink stands out), or lighter = nearer when inverted."""
    lum = images.luminance(rgba)
    return (lum if invert else 1.0 - lum).astype(np.float32)


def _figure(rgba, progress, find=images.figure_mask):
    progress(0.1, "Finding the figure")
    mask = find(rgba)
    if not mask.any():
        raise engine.EngineError("No figure found: the image looks like blank paper")
    return mask


def _predict_inflate(rgba, progress, cancel, options=None):
    mask = _figure(rgba, progress)
    engine.check_cancel(cancel)
    progress(0.5, "Inflating the silhouette")
    return engine.DepthResult(inflate(mask), mask, {"engine": "inflate"}, proportion.round_body(mask))


def _predict_turned(rgba, progress, cancel, options=None):
    # a broken outline still encloses its figure
    mask = _figure(rgba, progress, lambda image: images.figure_mask_bridged(image, images.bridge_for(image.shape)))
    engine.check_cancel(cancel)
    progress(0.5, "Revolving the outline")
    nearness, figure, axes = revolve.turned(mask)
    if not figure.any():   # dots and lines only: nothing as wide as a body (revolve.LINE) is left
        raise engine.EngineError("Turned found nothing to revolve: the drawing holds only dots or thin lines")
    directions = sorted({a.direction for a in axes})
    about = f"{' and '.join(directions)} {'axes' if len(directions) > 1 else 'axis'}"
    meta = {"engine": "turned", "where": f"Turned · {about}"}
    least = min(axes, key=lambda a: a.symmetry)
    if least.symmetry < revolve.SYMMETRIC:
        meta["note"] = (f"Turned: the outline is only {least.symmetry:.0%} its own mirror image; Turned is meant "
                        "for a lathe part drawn from the side")
    return engine.DepthResult(nearness, figure, meta, float(nearness.max() / proportion.figure_width(figure)))


def _predict_luminance(rgba, progress, cancel, options=None):
    mask = _figure(rgba, progress)
    engine.check_cancel(cancel)
    progress(0.5, "Reading luminance")
    return engine.DepthResult(luminance_nearness(rgba), mask, {"engine": "luminance"})


ENGINES = (
    engine.Engine("inflate", "Inflate", "Round relief from the silhouette (no weights)", _predict_inflate,
                  quality_rank=10),
    engine.Engine("turned", "Turned", "A lathe part drawn from the side: the outline revolved about its axis "
                  "(no weights)", _predict_turned, quality_rank=8),
    engine.Engine("luminance", "Luminance", "Darker = nearer (no weights)", _predict_luminance, quality_rank=5),
)

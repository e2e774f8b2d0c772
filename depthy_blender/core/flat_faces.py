"""Flat faces: reading a drawing of a part seen square-on, a plate, a gear or a flange drawn looking
straight at its face.

Seen that way, every area the drawn lines close inside the figure is one face turned to the viewer,
so it is flat and the lines between areas are the steps. A depth engine reads such a drawing as it
reads any other and bends each face (a gear's teeth curl back, its hub becomes a dome); here each face
is set to one height, the median of the engine's nearness over it, so the engine still says which face
stands in front, and the drawing says where each face ends. The lines themselves, and areas too small
to be faces (a letter's counter, the gaps in a dotted line), take the height of the nearest face.

The artist chooses this reading: a round body or a pictorial view has curved or sloping faces, which
it would flatten.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from . import images

SMALLEST = 0.002   # share of the figure: a closed area smaller than this is no face


def faces(rgba: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """int32 labels 1, 2, … (0: a line, a crumb or off the figure) of the areas the drawing's lines close
    inside `mask`, those of at least SMALLEST of the figure. The lines are what is off the figure's
    ground (images.lines): the paper's colour, or the fill of a figure coloured in and outlined."""
    labels, _ = ndimage.label(mask & ~images.lines(rgba, mask))
    kept = np.bincount(labels.ravel()) >= SMALLEST * np.count_nonzero(mask)
    kept[0] = False
    return np.where(kept, np.cumsum(kept), 0).astype(np.int32)[labels]   # the faces numbered 1, 2, … in turn


def nearest_face(labels: np.ndarray) -> np.ndarray:
    """Each pixel's nearest face: `labels` with every 0 (a line, a crumb, off the figure) replaced by
    the label of the nearest labelled pixel. Needs at least one face."""
    nearest = ndimage.distance_transform_edt(labels == 0, return_distances=False, return_indices=True)
    return labels[nearest[0], nearest[1]]


def flatten(nearness: np.ndarray, labels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`nearness` made one height on each labelled face (its median there); every other pixel of the
    figure takes the height of the nearest face; 0 off the figure. Needs at least one face."""
    count = int(labels.max())
    per_label = np.zeros(count + 1)
    per_label[1:] = ndimage.median(nearness, labels, np.arange(1, count + 1))
    return np.where(mask, per_label[nearest_face(labels)], 0.0).astype(np.float32)


def read(nearness: np.ndarray, rgba: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, str | None]:
    """(the nearness read as flat faces, None), or (the nearness as it was, a one-line note) when the
    drawing closes no area inside the figure (a shaded figure, a sketch of open strokes)."""
    labels = faces(rgba, mask)
    if not labels.any():
        return nearness, ("Flat faces found no areas closed by lines (a shaded figure, or strokes that close "
                          "nothing): the depth is as the engine read it")
    return flatten(nearness, labels, mask), None

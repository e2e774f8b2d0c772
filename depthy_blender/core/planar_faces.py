"""Planar faces: reading a drawing of a machined part in a pictorial view (isometric, oblique, a sketch
in perspective), where every area the drawn lines close is one flat face, turned at its own angle.

A depth engine bends such faces (a bracket's arms curl back, a block's side sags). Here each face
becomes the plane that best fits the engine's nearness over it, so the engine still says how each face
leans and which stands in front, and the drawing says where each face ends. Where two faces meet on a
line and the engine's planes for them nearly meet there too (a crease: a box's edge, or a centre line
drawn across one face), the two are fitted together so that they meet and the relief does not step;
where the engine sees a step (one face in front of another), they stay apart. Lines and areas too small
to be faces take the plane of the nearest face. The fit is robust: pixels far from their face's plane
(the engine's blur at an edge) count for less.

The artist chooses this reading: it flattens round bodies (a shaft's side, a fillet) too.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from . import flat_faces, images

CREASE = 0.12   # two faces are joined where their planes, fitted alone, lie this close on the line between
#                 them (median over it, ÷ the figure's nearness range); farther apart they are a step
JOIN = 20.0     # the weight of one point where two joined faces meet, against one pixel of a face's fit
ROUNDS = 3      # re-weighted fits after the first (Huber weights on each pixel's distance from its plane)
HUBER = 1.345   # where Huber's weights start to fall, in robust standard deviations of those distances
FLOOR = 1e-3    # ... but never below this share of the figure's nearness range: an exact answer's rounding
#                 errors are no scale to weigh pixels by
RIDGE = 1e-6    # a pull of each face's slopes toward 0, per pixel: settles a face of one row of pixels


def points(shape) -> np.ndarray:
    """(h, w, 3): each pixel's x and y, in units of the image's longer side, and 1: a plane's terms."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w] / float(max(h, w))
    return np.stack([xx, yy, np.ones(shape)], axis=-1)


def seams(nearest: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where faces meet: (first, second, where), one entry for each two neighbouring figure pixels whose
    nearest faces differ (`nearest`: flat_faces.nearest_face); first < second are the two faces' labels
    and `where` the terms (x, y, 1) of the point halfway between the two pixels."""
    grid = points(nearest.shape)
    found = []
    for one, other in (((slice(0, -1), slice(None)), (slice(1, None), slice(None))),
                       ((slice(None), slice(0, -1)), (slice(None), slice(1, None)))):
        a, b = nearest[one], nearest[other]
        meet = mask[one] & mask[other] & (a != b)
        found.append((np.minimum(a, b)[meet], np.maximum(a, b)[meet], (grid[one][meet] + grid[other][meet]) / 2))
    return tuple(np.concatenate(part) for part in zip(*found))


def _sums(terms: np.ndarray, z: np.ndarray, face: np.ndarray, weight: np.ndarray, count: int):
    """Each face's weighted least-squares sums: Σ w·t·tᵀ (count, 3, 3) and Σ w·t·z (count, 3)."""
    outer = (terms[:, :, None] * terms[:, None, :] * weight[:, None, None]).reshape(-1, 9)
    gram = np.stack([np.bincount(face, outer[:, k], minlength=count) for k in range(9)], -1).reshape(count, 3, 3)
    right = np.stack([np.bincount(face, terms[:, k] * z * weight, minlength=count) for k in range(3)], -1)
    pixels = np.bincount(face, minlength=count)
    gram[:, 0, 0] += RIDGE * pixels
    gram[:, 1, 1] += RIDGE * pixels
    return gram, right


def creases(alone: np.ndarray, first: np.ndarray, second: np.ndarray, where: np.ndarray,
            span: float) -> np.ndarray:
    """Which seam points join their two faces: those on a line where the faces' planes fitted `alone`
    ((count, 3), row f - 1 for label f) lie, in the median, within CREASE × `span` of each other."""
    if not len(first):
        return np.zeros(0, bool)
    gap = np.abs(np.einsum("nk,nk->n", where, alone[first - 1] - alone[second - 1])) / max(span, 1e-12)
    _, pair = np.unique(first.astype(np.int64) * (int(second.max()) + 1) + second, return_inverse=True)
    pair = pair.ravel()
    median = np.asarray(ndimage.median(gap, pair + 1, np.arange(1, pair.max() + 2)))
    return median[pair] < CREASE


def _solve(gram: np.ndarray, right: np.ndarray, first: np.ndarray, second: np.ndarray,
           where: np.ndarray) -> np.ndarray:
    """The planes ((count, 3)) minimising every face's sums plus JOIN × (the two planes' difference)² at
    each joined point (faces first - 1 and second - 1, at `where`)."""
    count = len(gram)
    system = np.zeros((count, count, 3, 3))
    system[np.arange(count), np.arange(count)] = gram
    if len(first):
        outer = JOIN * where[:, :, None] * where[:, None, :]
        f, g = first - 1, second - 1
        np.add.at(system, (f, f), outer)
        np.add.at(system, (g, g), outer)
        np.add.at(system, (f, g), -outer)
        np.add.at(system, (g, f), -outer)
    matrix = system.transpose(0, 2, 1, 3).reshape(3 * count, 3 * count)
    return np.linalg.solve(matrix, right.reshape(-1)).reshape(count, 3)


def fit(nearness: np.ndarray, labels: np.ndarray, nearest: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One plane per face, (count + 1, 3) with row 0 all 0 (no face): nearness ≈ a·x + b·y + c over
    face `labels` (x, y as in `points`), joined across creases, re-weighted ROUNDS times (pixels within
    FLOOR of the range, or of Huber's scale, of their plane keep weight one)."""
    count = int(labels.max())
    inside = labels > 0
    terms = points(labels.shape)[inside]
    z = nearness[inside].astype(np.float64)
    face = labels[inside] - 1
    weight = np.ones(len(z))
    first, second, where = seams(nearest, mask)
    gram, right = _sums(terms, z, face, weight, count)
    alone = np.linalg.solve(gram, right[..., None])[..., 0]
    span = float(np.ptp(nearness[mask]))
    joined = creases(alone, first, second, where, span)
    first, second, where = first[joined], second[joined], where[joined]
    for done in range(ROUNDS + 1):
        planes = _solve(gram, right, first, second, where)
        if done == ROUNDS:
            break
        off = np.abs(np.einsum("nk,nk->n", terms, planes[face]) - z)
        scale = max(HUBER * 1.4826 * float(np.median(off)), FLOOR * span)
        weight = np.minimum(1.0, scale / np.maximum(off, 1e-12)) if scale > 0 else np.ones(len(z))
        gram, right = _sums(terms, z, face, weight, count)
    return np.vstack([np.zeros((1, 3)), planes])


def read(nearness: np.ndarray, rgba: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, str | None]:
    """(the nearness read as planar faces, None), or (the nearness as it was, a one-line note) when the
    lines divide the figure into fewer than two faces (a shaded figure, a silhouette, open strokes).
    Pixels of the figure farther than a line's width (images.bridge_for) from every face, such as a hole
    drawn dark or hatched, keep the engine's nearness."""
    labels = flat_faces.faces(rgba, mask)
    if labels.max() < 2:
        return nearness, ("Planar faces found no lines dividing the figure into faces (a shaded figure, a "
                          "silhouette, or strokes that close nothing): the depth is as the engine read it")
    distance, (rows, cols) = ndimage.distance_transform_edt(labels == 0, return_indices=True)
    nearest = labels[rows, cols]
    planes = fit(nearness, labels, nearest, mask)
    plane = np.einsum("hwk,hwk->hw", points(labels.shape), planes[nearest])
    plane = np.where(distance <= images.bridge_for(labels.shape), plane, nearness)
    return np.where(mask, plane, 0.0).astype(np.float32), None

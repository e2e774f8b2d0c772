"""One seeded sample = a drawing of one to three random solids with exact nearness and figure mask."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from . import faces, ink, render, shells, solids, truth

HIDDEN_SHARE = 0.3   # single-figure drawings that also show dashed hidden lines
FACE_SHARE = 0.4     # with face_features: figures with a pocket, pocket grid, counterbore or step cut in a face
ROD_SHARE = 0.15     # with rods: figures that are a long thin pin, shaft or tube (solids.random_rod)
BLOB_SHARE = 0.15    # with blobs: figures that are a smooth organic shape (solids.random_blob)
RIB_SHARE = 0.15     # with ribs: figures that are a plate with a lattice of lightening pockets (faces.rib_lattice)
VESSEL_SHARE = 0.15  # with vessels: figures that are a smooth turned pot, vase or jug (solids.random_vessel)
CLUSTER_SHARE = 0.25  # with clusters: figures that are a body with parts standing out of it (solids.random_cluster)
SHELL_SHARE = 0.3    # with shells: figures that are a hollow open tray, box, cup or bowl (shells.random_shell)
PERSPECTIVE_SHARE = 0.4  # with perspective: figures seen in perspective instead of their own view


def sample(seed: int, size: int = 256, style: str | None = None, face_features: bool = False,
           rods: bool = False, blobs: bool = False, ribs: bool = False, vessels: bool = False,
           clusters: bool = False, shells: bool = False, rod_share: float = ROD_SHARE,
           perspective: bool = False, even_lines: bool = False) -> dict:
    """{"image": (size, size, 3) float32, "nearness": (size, size) float32 in [0, 1] on the mask,
    "mask": bool, "info": str, "planes": int32 labels of the flat faces (0 elsewhere; none in perspective),
    "proportion": the figure's depth range ÷ its width (NaN for several figures or a perspective view)}.
    The same seed always gives the same sample; planes and proportion draw nothing from the generators.

    face_features (training data from depthy-0.4 on): some figures get machined features cut into a
    face (training.synth.faces). A generator of its own decides and shapes them, so every drawing
    without them is the same as before, and the test and validation splits stay as they were.
    rods (from depthy-0.5 on): likewise, some figures are replaced by a long thin turned part; rod_share
    of them (caches from seed 12,000,000 on raise it, to teach the slope of a rod seen obliquely).
    blobs (caches from seed 3,300,000 on): likewise, some are replaced by a smooth organic figure.
    ribs: likewise, some are replaced by a plate facing the camera with square or honeycomb pockets.
    vessels (caches from seed 5,700,000 on): likewise, some are replaced by a smooth turned pot or jug.
    clusters (caches from seed 6,300,000 on): likewise, some are replaced by a body with distinct parts
    standing out of it, whose order in depth only the junctions of their outlines tell.
    shells (caches from seed 9,000,000 on): likewise, some are replaced by a hollow open part, mostly
    seen square into its opening.
    perspective (caches from seed 13,000,000 on): likewise, some figures are seen in perspective instead
    (a tenth of them are anyway): the test split's perspective views are where Depthy gains least on
    inflation.
    even_lines (caches from seed 14,000,000 on): likewise, some drawings ink every line at one thin weight,
    as line-art renderers do (ink.EVEN_SHARE), instead of the outline heavier than the rest."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    count = int(rng.choice([1, 2, 3], p=[0.8, 0.14, 0.06]))
    hidden = visible = None
    options = options_for(seed, face_features, rods, blobs, ribs, vessels, clusters, shells, perspective, rod_share)
    if count == 1:
        mask, depth, normals, info, (shape, cam) = _one(rng, size, options)
        planes, ratio = truth.of_view(mask, depth, normals, cam)
        # a second generator decides on hidden lines, so drawings without them stay as before
        side = np.random.default_rng([seed, 1])
        if side.random() < HIDDEN_SHARE:
            layers = render.hidden_layers(shape, cam, size, depth, mask)
            visible = ink.visible_lines(mask, depth, normals)
            hidden = ink.hidden_lines(mask, depth, normals, layers, side, period=max(3.0, size / 50), visible=visible)
            info += " + hidden lines"
    else:   # several figures side by side, each its own view, depth normalised per figure
        mask = np.zeros((size, size), bool)
        depth = np.zeros((size, size), np.float32)
        normals = np.zeros((size, size, 3), np.float32)
        planes = np.zeros((size, size), np.int32)
        ratio = float("nan")   # each figure has its own scale
        cell = size // count
        infos = []
        for k in range(count):
            m, d, n, i, (_, cam) = _one(rng, cell, options)
            sl = (slice((size - cell) // 2, (size - cell) // 2 + cell), slice(k * cell, (k + 1) * cell))
            mask[sl], depth[sl], normals[sl] = m, np.where(m, _unit(d, m), 0), n
            labels = truth.of_view(m, d, n, cam)[0]
            planes[sl] = np.where(labels > 0, labels + planes.max(), 0)
            infos.append(i)
        info = " | ".join(infos)
    pen = ink.even_pen(seed) if even_lines else None
    info += " + even lines" if pen is not None else ""
    image = ink.draw(mask, depth, normals, rng, style, hidden, visible, pen)
    return {"image": image, "nearness": _nearness(depth, mask), "mask": mask, "info": info, "planes": planes,
            "proportion": ratio}


class _Options(NamedTuple):
    """Each option's own generator (None when it is off), so drawings without it stay as they were."""
    cutter: np.random.Generator | None    # face_features
    rodder: np.random.Generator | None    # rods
    blobber: np.random.Generator | None   # blobs
    ribber: np.random.Generator | None    # ribs
    shaper: np.random.Generator | None    # vessels
    grouper: np.random.Generator | None   # clusters
    sheller: np.random.Generator | None   # shells
    viewer: np.random.Generator | None    # perspective
    rod_share: float = ROD_SHARE


def _one(rng, size, options: _Options):
    for _ in range(8):   # re-draw the rare solid that misses the frame or is a speck
        shape, cam, info, view = figure(rng, options)
        cam = render.frame(shape, cam, rng)
        mask, depth, normals = render.trace(shape, cam, size)
        if mask.sum() > 0.01 * size * size:
            break
    return mask, depth, normals, f"{info} @ {view}", (shape, cam)


def figure(rng, options: _Options):
    """One random solid and the camera that first looks at it (before framing): (shape, camera, what
    the solid is, what view the camera gives). Every option's generator draws what it always has."""
    cutter, rodder, blobber, ribber, shaper, grouper, sheller, viewer, rod_share = options
    shape, info = solids.random_solid(rng)   # drawn even when replaced, so `rng` stays in step
    if rodder is not None and rodder.random() < rod_share:
        shape, info = solids.random_rod(rodder)
    if blobber is not None and blobber.random() < BLOB_SHARE:
        shape, info = solids.random_blob(blobber)
    if shaper is not None and shaper.random() < VESSEL_SHARE:
        shape, info = solids.random_vessel(shaper)
    if grouper is not None and grouper.random() < CLUSTER_SHARE:
        shape, info = solids.random_cluster(grouper)
    cam, view = camera(rng, viewer)
    # a sculpted or smooth turned figure gets no machined pockets (the draw still happens, to keep `cutter` in step)
    if cutter is not None and cutter.random() < FACE_SHARE and not info.startswith(("blob:", "vessel:", "cluster:")):
        shape, extra = faces.cut_face(shape, cutter, cam.forward)
        info += extra
    if ribber is not None and ribber.random() < RIB_SHARE:
        shape, outline, info = solids.random_plate(ribber, int(np.argmax(np.abs(cam.forward))))
        shape, extra = faces.rib_lattice(shape, outline, ribber, cam.forward)
        info += extra
    if sheller is not None and sheller.random() < SHELL_SHARE:
        shape, info = shells.random_shell(sheller, cam.forward)
    return shape, cam, info, view


def camera(rng, viewer=None):
    """A random camera (render.random_camera); with the perspective option's generator, PERSPECTIVE_SHARE
    of them are perspective instead."""
    cam, view = render.random_camera(rng)
    if viewer is not None and viewer.random() < PERSPECTIVE_SHARE:
        cam, view = render.random_camera(viewer, "perspective")
    return cam, view


def options_for(seed, face_features=False, rods=False, blobs=False, ribs=False, vessels=False, clusters=False,
                shells=False, perspective=False, rod_share=ROD_SHARE, offset: int = 0) -> _Options:
    """Each option's own generator for a seed (keys offset by `offset`: 0 for sample)."""
    own = lambda wanted, k: np.random.default_rng([seed, offset + k]) if wanted else None  # noqa: E731
    return _Options(own(face_features, 2), own(rods, 3), own(blobs, 4), own(ribs, 5), own(vessels, 6),
                    own(clusters, 7), own(shells, 8), own(perspective, 9), rod_share)


def _unit(depth, mask):
    d = depth[mask]
    return (depth - d.min()) / max(np.ptp(d), 1e-6) if d.size else depth


def _nearness(depth, mask):
    """Nearer = larger, scaled to [0, 1] over the mask, 0 outside."""
    out = np.zeros(depth.shape, np.float32)
    if mask.any():
        d = depth[mask]
        # a face seen square-on has no depth range: call it all near, as core/relief.normalise does
        out[mask] = (d.max() - d) / np.ptp(d) if np.ptp(d) > 1e-4 else 1.0
    return out

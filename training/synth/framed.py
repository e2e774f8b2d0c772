"""One orthographic drawing of a solid, framed as a draftsman would frame it (the figure filling about
85 % of the image), with its truth: the shipped examples (examples/make_examples.py) and the Turned
engine's lathe parts (training/turned_parts.py) are drawn this way."""
from __future__ import annotations

import numpy as np

from . import ink, meshes, render, truth

FILL = 0.85    # the figure's longer side ÷ the image's side
SCOUT = 64     # the coarse trace that finds the figure before the framed one


def draw(shape, forward, up, style: str | None, rng: np.random.Generator, size: int) -> dict:
    """The solid seen along `forward` (with `up` up), inked in `style` (None: `rng` picks one): the
    drawing (RGB uint8), its nearness (0–1 over the figure), the figure's mask and its depth ÷ width."""
    cam = render.Camera(np.array(forward, float), np.array(up, float), render.BOUND, np.zeros(3))
    mask, _, _ = render.trace(shape, cam, SCOUT)
    ys, xs = np.nonzero(mask)
    to_plane = lambda i: ((i + 0.5) / SCOUT * 2 - 1) * cam.half_size  # noqa: E731
    _, right, upward = render.camera_basis(cam)
    x0, x1, y0, y1 = to_plane(xs.min() - 1), to_plane(xs.max() + 1), -to_plane(ys.max() + 1), -to_plane(ys.min() - 1)
    centre = (x0 + x1) / 2 * right + (y0 + y1) / 2 * upward
    cam = render.Camera(cam.forward, cam.up, max(x1 - x0, y1 - y0) / 2 / FILL, centre)
    mask, depth, normals = render.trace(shape, cam, size)
    image = ink.draw(mask, depth, normals, rng, style)
    _, ratio = truth.of_view(mask, depth, normals, cam)
    return {"image": (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8), "nearness": meshes.nearness_of(depth, mask),
            "mask": mask, "proportion": ratio}

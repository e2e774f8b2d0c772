"""Technical drawings of real meshes (the evaluation set): load with trimesh, rasterise with a numpy
z-buffer into the same G-buffers as the SDF renderer (mask, depth along the view, normals), then ink."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from . import ink, truth
from .render import Camera, camera_basis

VIEWS = {   # name: (forward, up); the solid's native +z is up
    "front": ((0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    "side": ((-1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
    "top": ((0.0, 0.0, -1.0), (0.0, 1.0, 0.0)),
    "iso": ((-1 / math.sqrt(3), 1 / math.sqrt(3), -1 / math.sqrt(3)), (0.0, 0.0, 1.0)),
}


def load_unit(path: Path):
    """Vertices centred and scaled into the unit sphere, and faces."""
    import trimesh
    mesh = trimesh.load(str(path), force="mesh", process=True)
    return to_unit(np.asarray(mesh.vertices, np.float64)), np.asarray(mesh.faces, np.int64)


def to_unit(v: np.ndarray) -> np.ndarray:
    """Vertices centred on their bounding box and scaled so the farthest lies on the unit sphere."""
    v = v - (v.max(0) + v.min(0)) / 2
    return v / np.linalg.norm(v, axis=1).max()


def rasterise(verts, faces, cam: Camera, size: int):
    """Orthographic z-buffer: mask, depth (along the view axis), per-pixel face normals. Each pixel
    takes the nearest face covering its centre (ties: the face listed first)."""
    f, r, u = camera_basis(cam)
    rel = verts - cam.center
    px = (rel @ r / cam.half_size + 1) / 2 * size - 0.5
    py = (1 - rel @ u / cam.half_size) / 2 * size - 0.5
    pz = rel @ f
    tri_n = np.cross(verts[faces[:, 1]] - verts[faces[:, 0]], verts[faces[:, 2]] - verts[faces[:, 0]])
    tri_n /= np.maximum(np.linalg.norm(tri_n, axis=1, keepdims=True), 1e-12)
    x, y, z = px[faces], py[faces], pz[faces]
    x0 = np.clip(np.floor(x.min(1)).astype(int), 0, size - 1)
    x1 = np.clip(np.ceil(x.max(1)).astype(int), 0, size - 1)
    y0 = np.clip(np.floor(y.min(1)).astype(int), 0, size - 1)
    y1 = np.clip(np.ceil(y.max(1)).astype(int), 0, size - 1)
    width = x1 - x0 + 1
    area = width * (y1 - y0 + 1)
    # every face's covered pixel centres as (pixel, depth, face) rows; small faces (most of a fine mesh)
    # in one array pass, big ones one by one so no face pads the others to its size
    small = area <= SMALL_FACE
    rows = [_cover(np.nonzero(small)[0], SMALL_FACE, x, y, z, x0, y0, width, area, size)]
    rows += [_cover(np.array([k]), int(area[k]), x, y, z, x0, y0, width, area, size) for k in np.nonzero(~small)[0]]
    pixel, zz, face = (np.concatenate(c) for c in zip(*rows))
    order = np.lexsort((face, zz, pixel))
    first = np.ones(len(order), bool)
    first[1:] = pixel[order][1:] != pixel[order][:-1]
    win = order[first]
    depth = np.full(size * size, np.inf)
    normal = np.zeros((size * size, 3))
    depth[pixel[win]] = zz[win]
    normal[pixel[win]] = tri_n[face[win]]
    depth, normal = depth.reshape(size, size), normal.reshape(size, size, 3)
    mask = np.isfinite(depth)
    # normals face the viewer (meshes may be wound either way)
    flip = (normal @ f) > 0
    normal[flip] *= -1
    return mask, np.where(mask, depth, 0.0).astype(np.float32), normal.astype(np.float32)


SMALL_FACE = 64   # faces whose pixel box holds at most this many pixels are rasterised together


def _cover(idx, span, x, y, z, x0, y0, width, area, size):
    """Pixels inside faces idx (each face's box enumerated up to span pixels): pixel, depth, face arrays."""
    k = np.arange(span)
    gx = x0[idx, None] + k % width[idx, None]
    gy = y0[idx, None] + k // width[idx, None]
    (ax, bx, cx), (ay, by, cy) = (x[idx].T[..., None], y[idx].T[..., None])
    det = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy)
    ok = np.abs(det) >= 1e-12
    det = np.where(ok, det, 1.0)
    w0 = ((by - cy) * (gx - cx) + (cx - bx) * (gy - cy)) / det
    w1 = ((cy - ay) * (gx - cx) + (ax - cx) * (gy - cy)) / det
    w2 = 1 - w0 - w1
    inside = (w0 >= -1e-9) & (w1 >= -1e-9) & (w2 >= -1e-9) & ok & (k < area[idx, None])
    zs = z[idx].T[..., None]
    zz = w0 * zs[0] + w1 * zs[1] + w2 * zs[2]
    face = np.broadcast_to(idx[:, None], gx.shape)
    return (gy * size + gx)[inside], zz[inside], face[inside]


def view_camera(view: str, rng: np.random.Generator) -> Camera:
    """The seeded orthographic camera of a named view (the figure fills 60–90 % of the frame)."""
    forward, up = VIEWS[view]
    return Camera(np.array(forward), np.array(up), 1.0 / rng.uniform(0.6, 0.9), np.zeros(3))


def nearness_of(depth: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Depth along the view → nearness in [0, 1] over the mask (1 = closest), 0 off it."""
    near = np.zeros_like(depth)
    if mask.any():
        d = depth[mask]
        near[mask] = (d.max() - d) / np.ptp(d) if np.ptp(d) > 1e-4 else 1.0
    return near


def view_sample(path: Path, view: str, size: int, seed: int) -> dict:
    verts, faces = load_unit(path)
    rng = np.random.default_rng(seed)
    cam = view_camera(view, rng)
    mask, depth, normals = rasterise(verts, faces, cam, size)
    image = ink.draw(mask, depth, normals, rng)
    planes, ratio = truth.of_view(mask, depth, normals, cam)
    return {"image": image, "nearness": nearness_of(depth, mask), "mask": mask, "info": f"{path.name} @ {view}",
            "planes": planes, "proportion": ratio}

"""Nearness + mask → relief heights → grid mesh arrays (vertices, faces, UVs), all vectorised numpy.

Local frame (the image plane): x to the right, y up, relief toward +z (toward the viewer).
One vertex per masked grid sample; a face wherever four neighbouring samples are all masked, so
unmasked pixels never make faces. Each vertex remembers its grid cell and its side (+1 front,
-1 mirrored back, 0 flat back) so that sliders can recompute heights from the raw nearness alone:

    z = side × ratio × width × h[cell] − (base × width where side ≤ 0),
    h = smooth(normalise(raw over mask), sigma)

so a closed relief's back lies `base × width` behind its lowest point: a plate drawn square-on, which
Auto depth keeps nearly flat, is still a solid of that thickness.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..errors import DepthyError

BACKS = ("none", "flat", "mirror")
BASE = 0.02   # a closed back's default distance behind the relief's lowest point, ÷ the mesh width
MIN_RESOLUTION, MAX_RESOLUTION = 16, 2048


class ReliefError(DepthyError, ValueError):
    """A relief that cannot be built, with a message meant for the user."""


@dataclass
class Relief:
    verts: np.ndarray        # (V, 3) float32
    faces: np.ndarray        # (F, 3 or 4) int32, counter-clockwise seen from outside
    edges: np.ndarray        # (E, 2) int32, each undirected edge once
    corner_edges: np.ndarray # (F, corners) int32: edge from each face corner to the next
    uvs: np.ndarray          # (F × corners, 2) float32, one per face corner
    cells: np.ndarray        # (V,) int32: flat index of the vertex's grid sample
    sides: np.ndarray        # (V,) float32: +1 front, -1 mirrored back, 0 flat back
    raw: np.ndarray          # (V,) float32: the engine's nearness at the vertex's sample
    grid_shape: tuple[int, int]
    width: float             # x extent; thickness = ratio × width
    height: float
    areas: np.ndarray | None = None   # (V,) int32: the drawn area each vertex lies on (core/flip), if known


# ---- heights ---------------------------------------------------------------------------------------

def normalise(raw: np.ndarray, mask: np.ndarray, invert: bool = False) -> np.ndarray:
    """Scale nearness to [0, 1] over the mask (0 outside). A constant field becomes all ones."""
    out = np.zeros(raw.shape, np.float64)
    if mask.any():
        out[mask] = _normalised_values(raw[mask].astype(np.float64), invert)
    return out


def _normalised_values(values: np.ndarray, invert: bool, in_place: bool = False) -> np.ndarray:
    lo, hi = values.min(), values.max()
    out = values if in_place else values.copy()
    if hi <= lo:
        out[:] = 1.0
        return out
    out -= lo
    out *= out.dtype.type(1.0 / (hi - lo))
    if invert:
        np.subtract(1.0, out, out=out)
    return out


def smooth(values: np.ndarray, mask: np.ndarray, sigma: float) -> np.ndarray:
    """Mask-aware Gaussian (normalised convolution G(v·m)/G(m)) that keeps the masked mean.

    Plain blurring would drag the figure's edge toward the zero outside it; dividing by the blurred
    mask avoids that. The small mean shift the division causes is removed so smoothing never
    thickens or thins the relief overall.
    """
    if sigma <= 0 or not mask.any():
        return values
    m = mask.astype(np.float64)
    num = ndimage.gaussian_filter(values * m, sigma, mode="constant")
    den = ndimage.gaussian_filter(m, sigma, mode="constant")
    out = np.zeros_like(values)
    out[mask] = num[mask] / np.maximum(den[mask], 1e-12)
    out[mask] += values[mask].mean() - out[mask].mean()
    return out


def grid_heights(raw_grid: np.ndarray, mask_grid: np.ndarray, sigma: float, invert: bool = False) -> np.ndarray:
    """Normalised, smoothed height in [≈0, ≈1] for every grid sample."""
    return smooth(normalise(raw_grid, mask_grid, invert), mask_grid, sigma)


def vertex_z(raw: np.ndarray, cells: np.ndarray, sides: np.ndarray, grid_shape, width: float,
             ratio: float, sigma: float, invert: bool = False, base: float = 0.0) -> np.ndarray:
    """Per-vertex z from what a mesh stores (raw nearness, cell, side); the slider path. Back vertices
    (side ≤ 0) sit a further `base × width` back."""
    thickness = float(ratio) * float(width)
    if raw.size == 0:
        return np.zeros(0, np.float32)
    if sigma <= 0:   # no neighbours involved: normalise the vertex values, no grid needed
        z = _normalised_values(raw.astype(np.float32), invert, in_place=True)   # float32: ample for heights
        z *= np.float32(thickness)
        z *= sides
    else:
        raw_grid = np.zeros(grid_shape[0] * grid_shape[1], np.float64)
        mask_grid = np.zeros(raw_grid.shape, bool)
        raw_grid[cells] = raw
        mask_grid[cells] = True
        h = grid_heights(raw_grid.reshape(grid_shape), mask_grid.reshape(grid_shape), sigma, invert)
        z = (sides * (thickness * h.ravel()[cells])).astype(np.float32)
    if base > 0:
        z -= np.float32(float(base) * float(width)) * (sides <= 0)
    return z


# ---- resampling onto the grid ----------------------------------------------------------------------

def grid_shape_for(image_shape, resolution: int) -> tuple[int, int]:
    """Samples per column and row: the longer image side gets `resolution` samples."""
    if not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION:
        raise ReliefError(f"Resolution must be between {MIN_RESOLUTION} and {MAX_RESOLUTION}, not {resolution}")
    h, w = image_shape[:2]
    scale = resolution / max(h, w)
    return max(2, round(h * scale)), max(2, round(w * scale))


def resample(nearness: np.ndarray, mask: np.ndarray, shape) -> tuple[np.ndarray, np.ndarray]:
    """Area-like resampling of nearness (masked pixels only) and of the mask to `shape`."""
    h, w = nearness.shape
    if (h, w) == tuple(shape):
        return np.where(mask, nearness, 0).astype(np.float32, copy=False), mask.copy()
    zoom = (shape[0] / h, shape[1] / w)
    m = mask.astype(np.float32)
    v = np.where(mask, nearness, 0).astype(np.float32)
    if zoom[0] < 1 or zoom[1] < 1:  # anti-alias before shrinking
        pre = [max(0.0, (1 / z - 1) / 2) for z in zoom]
        m = ndimage.gaussian_filter(m, pre)
        v = ndimage.gaussian_filter(v, pre)
    m_small = _zoom_to(m, shape)
    v_small = _zoom_to(v, shape)
    mask_small = m_small > 0.5
    raw = np.where(mask_small, v_small / np.maximum(m_small, 1e-6), 0).astype(np.float32)
    return raw, mask_small


def outline_cells(mask_grid: np.ndarray) -> np.ndarray:
    """Figure samples with a 4-neighbour off the figure (or off the grid)."""
    inner = np.zeros_like(mask_grid)
    m = mask_grid
    inner[1:-1, 1:-1] = m[1:-1, 1:-1] & m[:-2, 1:-1] & m[2:, 1:-1] & m[1:-1, :-2] & m[1:-1, 2:]
    return m & ~inner


def _around(grid: np.ndarray, rows: np.ndarray, cols: np.ndarray, radius: int, fill) -> np.ndarray:
    """(window², n): the (2·radius + 1)² neighbourhood of each listed sample, `fill` beyond the grid.
    Gathering only where needed keeps outline work proportional to the outline, not the grid."""
    offsets = np.arange(-radius, radius + 1)
    dr, dc = (d.ravel() for d in np.meshgrid(offsets, offsets, indexing="ij"))
    r, c = rows[None, :] + dr[:, None], cols[None, :] + dc[:, None]
    inside = (r >= 0) & (r < grid.shape[0]) & (c >= 0) & (c < grid.shape[1])
    values = grid[np.clip(r, 0, grid.shape[0] - 1), np.clip(c, 0, grid.shape[1] - 1)]
    return np.where(inside, values, fill)


def settle_outline(raw_grid: np.ndarray, mask_grid: np.ndarray, edge: np.ndarray | None = None,
                   where: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """An outline sample outside what its neighbours inside the figure (5 × 5) allow — their range, widened
    by as much again, so a slope may go on to the edge and a dome's rim stays low — takes their median.
    An engine's answer is least sure at the figure's edge, and at smoothing 0 one wild outline value
    shows as a spike (and, as the extreme, squeezes every other height)."""
    edge = outline_cells(mask_grid) if edge is None else edge
    rows, cols = np.nonzero(edge) if where is None else where
    if rows.size == 0:
        return raw_grid
    inside = _around(mask_grid & ~edge, rows, cols, 2, False)
    near = np.where(inside, _around(raw_grid, rows, cols, 2, 0.0), np.nan)
    has_inner = inside.any(axis=0)
    if not has_inner.any():
        return raw_grid
    rows, cols, near = rows[has_inner], cols[has_inner], near[:, has_inner]
    lo, hi = np.nanmin(near, axis=0), np.nanmax(near, axis=0)
    allowance = hi - lo
    value = raw_grid[rows, cols]
    wild = (value < lo - allowance) | (value > hi + allowance)
    if not wild.any():
        return raw_grid
    settled = raw_grid.copy()
    settled[rows[wild], cols[wild]] = np.nanmedian(near[:, wild], axis=0)
    return settled


OUTLINE_SHIFT = 0.5   # grid cells: the most an outline vertex moves toward the smooth outline
_KERNEL = np.exp(-0.5 * (np.arange(-3, 4) / 0.8) ** 2)
_KERNEL /= _KERNEL.sum()                  # a 7-tap Gaussian, sigma 0.8 cells


def outline_shift(mask_grid: np.ndarray, edge: np.ndarray,
                  where: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(row shift, column shift) in grid cells for the `edge` samples, in row-major order: each moves onto
    the smooth outline, the 0.5 level of the blurred mask, by one Newton step along its gradient, at most
    OUTLINE_SHIFT. A staircase of cell centres becomes a straight or round edge instead of a sawtooth;
    inner samples stay on the grid."""
    rows, cols = np.nonzero(edge) if where is None else where
    if rows.size == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    window = _around(mask_grid, rows, cols, 4, False).reshape(9, 9, -1).astype(np.float64)
    # the blurred mask at the 3 × 3 samples around each outline sample, as two 7-tap passes
    across = np.stack([np.tensordot(_KERNEL, window[:, j:j + 7], axes=([0], [1])) for j in range(3)], 1)
    soft = np.stack([np.tensordot(_KERNEL, across[i:i + 7], axes=([0], [0])) for i in range(3)], 0)
    f = soft[1, 1]
    g_rows = (soft[2, 1] - soft[0, 1]) / 2
    g_cols = (soft[1, 2] - soft[1, 0]) / 2
    norm2 = g_rows ** 2 + g_cols ** 2
    step = np.where(norm2 > 1e-6, (0.5 - f) / np.maximum(norm2, 1e-6), 0.0)
    return (np.clip(step * g_rows, -OUTLINE_SHIFT, OUTLINE_SHIFT).astype(np.float32),
            np.clip(step * g_cols, -OUTLINE_SHIFT, OUTLINE_SHIFT).astype(np.float32))


def _zoom_to(a: np.ndarray, shape) -> np.ndarray:
    if a.shape == tuple(shape):
        return a
    return ndimage.zoom(a, (shape[0] / a.shape[0], shape[1] / a.shape[1]), order=1, mode="nearest",
                        grid_mode=True)


# ---- topology ----------------------------------------------------------------------------------------
#
# Edges come from the grid structure instead of sorting: every front edge is a horizontal, vertical or
# (for triangles) diagonal grid edge, and counting the faces beside it tells whether it exists (≥ 1)
# and whether it is on the outline (exactly 1, where the walls of a closed back go).

def build(nearness: np.ndarray, mask: np.ndarray, ratio: float = 0.2, sigma: float = 0.0,
          resolution: int = 256, size: float = 1.0, back: str = "none", triangles: bool = False,
          invert: bool = False, base: float = 0.0) -> Relief:
    """Relief mesh arrays for a nearness map; `size` is the longer side of the mesh; a closed back lies
    `base` × the mesh width behind the relief's lowest point."""
    if back not in BACKS:
        raise ReliefError(f"Back must be one of {', '.join(BACKS)}, not {back!r}")
    if nearness.shape != mask.shape:
        raise ReliefError("Nearness and mask must have the same shape")
    shape = grid_shape_for(nearness.shape, resolution)
    raw_grid, mask_grid = resample(np.nan_to_num(nearness.astype(np.float32)), mask, shape)
    edge = outline_cells(mask_grid)
    where = np.nonzero(edge)
    raw_grid = settle_outline(raw_grid, mask_grid, edge, where)
    topo = _front_topology(mask_grid, triangles, outline=back != "none")
    if topo is None:
        raise ReliefError("The figure is too small or thin for this resolution: no faces to build")
    front_faces = len(topo.faces)
    if back != "none":
        topo = _close(topo, triangles)
    img_h, img_w = nearness.shape
    width, height = (size, size * img_h / img_w) if img_w >= img_h else (size * img_w / img_h, size)

    cells = topo.cells
    rows, cols = np.divmod(cells, shape[1])
    u_of_col = ((np.arange(shape[1]) + 0.5) / shape[1]).astype(np.float32)     # small lookup tables
    v_of_row = (1.0 - (np.arange(shape[0]) + 0.5) / shape[0]).astype(np.float32)
    n_front = topo.n_front
    sides = np.ones(len(cells), np.float32)
    sides[n_front:] = -1.0 if back == "mirror" else 0.0
    raw = raw_grid.ravel()[cells]
    verts = np.empty((len(cells), 3), np.float32)
    verts[:, 0] = ((u_of_col - 0.5) * width)[cols]
    verts[:, 1] = ((v_of_row - 0.5) * height)[rows]
    verts[:, 2] = vertex_z(raw, cells, sides, shape, width, ratio, sigma, invert, base)
    vert_uv = np.empty((len(cells), 2), np.float32)
    vert_uv[:, 0], vert_uv[:, 1] = u_of_col[cols], v_of_row[rows]
    # outline vertices move onto the smooth outline; the k-th outline sample in row-major order is the
    # k-th True of `edge`
    shift_rows, shift_cols = outline_shift(mask_grid, edge, where)
    moved = np.flatnonzero(edge.ravel()[cells])
    rank = np.searchsorted(where[0] * shape[1] + where[1], cells[moved])
    du, dv = shift_cols[rank] / shape[1], -shift_rows[rank] / shape[0]
    verts[moved, 0] += du * width
    verts[moved, 1] += dv * height
    vert_uv[moved, 0] += du
    vert_uv[moved, 1] += dv
    uvs = vert_uv.view(np.int64)[topo.faces.ravel()].view(np.float32).reshape(-1, 2)   # one 8-byte gather
    if back != "none":
        wall_corners = slice(2 * front_faces * topo.faces.shape[1], None)
        uvs[wall_corners] = _inside_uvs(mask_grid, cells[topo.faces.ravel()[wall_corners]], u_of_col, v_of_row)
    return Relief(verts, topo.faces, topo.edges, topo.corner_edges, uvs, cells, sides, raw,
                  shape, float(width), float(height))


WALL_INSET = 3   # grid cells: how far inside the outline a side wall takes its colour from


def _inside_uvs(mask_grid: np.ndarray, cells: np.ndarray, u_of_col, v_of_row) -> np.ndarray:
    """UVs for side-wall corners: the nearest point WALL_INSET cells inside the figure, so a closed
    relief's walls show the figure's own colour instead of the outline's ink stretched over them."""
    inner = ndimage.binary_erosion(mask_grid, iterations=WALL_INSET)
    if not inner.any():
        inner = mask_grid
    _, (rows, cols) = ndimage.distance_transform_edt(~inner, return_indices=True)
    r, c = np.divmod(cells, mask_grid.shape[1])
    return np.stack([u_of_col[cols[r, c]], v_of_row[rows[r, c]]], 1).astype(np.float32)


@dataclass
class _Topology:
    faces: np.ndarray         # (F, k) vertex indices
    corner_edges: np.ndarray  # (F, k) edge indices
    edges: np.ndarray         # (E, 2)
    cells: np.ndarray         # (V,) grid sample of each vertex
    n_front: int              # vertices [0, n_front) are the front surface
    on_outline: np.ndarray | None   # (F, k) bool: the corner's edge borders only this face


def _front_topology(mask_grid: np.ndarray, triangles: bool, outline: bool = True):
    """Faces over fully masked 2×2 blocks, with their edges, computed with whole-grid array operations.

    Every per-edge and per-block array is laid out h × w like the samples (unused last row/column
    left empty), so the flat index of an edge or block is the flat index of its first sample.
    """
    h, w = mask_grid.shape
    full = np.zeros((h, w), bool)                  # full[r, c]: block with top-left sample (r, c) is a face
    full[:-1, :-1] = _without_pinches(mask_grid[:-1, :-1] & mask_grid[1:, :-1] & mask_grid[1:, 1:]
                                      & mask_grid[:-1, 1:])
    if not full.any():
        return None
    above, left_of = np.zeros((h, w), bool), np.zeros((h, w), bool)   # the block above / to the left
    above[1:], left_of[:, 1:] = full[:-1], full[:, :-1]
    # a sample is a vertex if any of its four blocks is a face
    used = full | above | left_of
    used[1:, 1:] |= full[:-1, :-1]
    vid = np.cumsum(used.ravel(), dtype=np.int32) - 1
    cells = np.arange(h * w, dtype=np.int32)[used.ravel()]
    # faces beside each grid edge: edge (r, c)→(r, c+1) lies between blocks (r−1, c) and (r, c);
    # edge (r, c)→(r+1, c) between blocks (r, c−1) and (r, c)
    h_count = full.astype(np.int8) + above
    v_count = full.astype(np.int8) + left_of
    counts = [h_count, v_count] + ([full.astype(np.int8) * 2] if triangles else [])
    total = sum(int(np.count_nonzero(count)) for count in counts)
    edges = np.empty((total, 2), np.int32)
    index, offset = [], 0
    # Gathers are boolean selections over the sample grid (far faster than index arrays). "below" is
    # the grid shifted up a row; the last row starts no down edge and no face, so it can be cut. Samples
    # used on one row are numbered consecutively, so the right-hand neighbour within a face is id + 1.
    below = vid[w:]
    for kind, count in enumerate(counts):
        exists = (count > 0).ravel()
        idx = np.cumsum(exists, dtype=np.int32)
        idx += offset - 1
        n = int(idx[-1]) - offset + 1
        first, second = edges[offset:offset + n, 0], edges[offset:offset + n, 1]
        first[:] = vid[exists]
        if kind == 0:                               # right
            np.add(first, 1, out=second)
        else:                                       # down, or diagonally down-right
            second[:] = below[exists[:-w]]
            if kind == 2:
                second += 1
        index.append(idx)
        offset += n
    h_idx, v_idx = index[0], index[1]
    face = full.ravel()                             # by the top-left sample of each face
    face_up = face[:-w]
    k = 3 if triangles else 4
    a, b = vid[face], below[face_up]                # top-left, bottom-left; +1 for the right-hand pair
    left, top, bottom = v_idx[face], h_idx[face], h_idx[w:][face_up]
    # columns as (array, add): written straight into the face arrays, no temporaries
    if triangles:   # (a, b, c) and (a, c, d) share the diagonal a–c
        diag = index[2][face]
        corners = [(a, 0), (b, 0), (b, 1), (a, 0), (b, 1), (a, 1)]
        sides = [(left, 0), (bottom, 0), (diag, 0), (diag, 0), (left, 1), (top, 0)]
    else:           # corners top-left, bottom-left, bottom-right, top-right: CCW seen from +z
        corners = [(a, 0), (b, 0), (b, 1), (a, 1)]
        sides = [(left, 0), (bottom, 0), (left, 1), (top, 0)]
    faces, corner_edges = _columns(corners), _columns(sides)
    on_outline = None
    if outline:     # a closed relief needs the outline for its walls; an open one does not
        hc, vc = h_count.ravel(), v_count.ravel()
        o = [vc[face] == 1, hc[w:][face_up] == 1, vc[1:][face[:-1]] == 1, hc[face] == 1]
        if triangles:
            no = np.zeros(a.size, bool)
            o = [o[0], o[1], no, no, o[2], o[3]]
        on_outline = np.stack(o, 1).reshape(-1, k)
    return _Topology(faces.reshape(-1, k), corner_edges.reshape(-1, k), edges, cells, cells.size, on_outline)


def _columns(columns) -> np.ndarray:
    """An (N, len(columns)) int32 array whose column i is array_i + add_i."""
    out = np.empty((columns[0][0].size, len(columns)), np.int32)
    for i, (array, add) in enumerate(columns):
        np.add(array, add, out=out[:, i])
    return out


def _without_pinches(full: np.ndarray) -> np.ndarray:
    """Drop faces that touch others only at a corner (a vertex shared by two separate outline loops
    would make the closed solid non-manifold)."""
    full = full.copy()
    while True:
        a, b, c, d = full[:-1, :-1], full[:-1, 1:], full[1:, :-1], full[1:, 1:]
        falling = a & d & ~b & ~c          # ▚
        rising = b & c & ~a & ~d           # ▞
        if not (falling.any() or rising.any()):
            return full
        full[1:, 1:][falling] = False
        full[1:, :-1][rising] = False


def _close(t: _Topology, triangles: bool) -> _Topology:
    """Add a back copy (reversed winding) and side walls joining the outline to it."""
    n, n_edges = t.n_front, len(t.edges)
    on_outline = t.on_outline.ravel()
    a = t.faces.ravel()[on_outline]                        # outline half-edges a → b, in face order
    b = np.roll(t.faces, -1, axis=1).ravel()[on_outline]
    e = t.corner_edges.ravel()[on_outline]
    back_faces = t.faces[:, ::-1] + n
    back_corner_edges = np.roll(t.corner_edges[:, ::-1], -1, axis=1) + n_edges
    # one vertical wall edge per outline vertex
    outline_verts = np.unique(a)
    wall_of = np.full(n, -1, np.int64)
    wall_of[outline_verts] = 2 * n_edges + np.arange(outline_verts.size)
    wall_edges = np.stack([outline_verts, outline_verts + n], 1)
    e_back = e + n_edges
    # a wall runs its shared edge opposite to the front face (b → a), keeping the winding consistent
    if triangles:
        diag = 2 * n_edges + outline_verts.size + np.arange(a.size)
        wall_faces = np.stack([b, a, a + n, b, a + n, b + n], 1).reshape(-1, 3)
        wall_corner_edges = np.stack([e, wall_of[a], diag, diag, e_back, wall_of[b]], 1).reshape(-1, 3)
        extra_edges = np.concatenate([wall_edges, np.stack([a + n, b], 1)])
    else:
        wall_faces = np.stack([b, a, a + n, b + n], 1)
        wall_corner_edges = np.stack([e, wall_of[a], e_back, wall_of[b]], 1)
        extra_edges = wall_edges
    return _Topology(
        faces=np.concatenate([t.faces, back_faces, wall_faces]).astype(np.int32),
        corner_edges=np.concatenate([t.corner_edges, back_corner_edges, wall_corner_edges]).astype(np.int32),
        edges=np.concatenate([t.edges, t.edges + n, extra_edges]).astype(np.int32),
        cells=np.concatenate([t.cells, t.cells]),
        n_front=n, on_outline=None)

"""Signed distance functions in torch: primitives, transforms and CSG. A shape is a callable
(N, 3) points → (N,) distances (a 2D profile: (N, 2) → (N,)); all maths is vectorised over points.

Every shape is a Node: calling it runs its own closure (the reference maths), and it also says what it
is (`kind`, its float `params`, its `children`), so training.synth.program can evaluate many solids'
trees together with one sequence of operations (the device generator's batched march)."""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch

Shape = "Callable[[torch.Tensor], torch.Tensor]"


def _len(x: torch.Tensor) -> torch.Tensor:
    return torch.linalg.vector_norm(x, dim=-1)


def const(values):
    """A float32 constant that follows the points onto their device: const(v)(p) is v on p's device,
    copied there once (so a shape built on the CPU evaluates on CUDA too)."""
    cpu = values.to(torch.float32) if isinstance(values, torch.Tensor) else torch.tensor(values, dtype=torch.float32)
    copies = {cpu.device: cpu}

    def on(p: torch.Tensor) -> torch.Tensor:
        at = copies.get(p.device)
        if at is None:
            at = copies[p.device] = cpu.to(p.device)
        return at
    return on


class Node:
    """A shape that says what it is. Calling it evaluates `fn`; `kind` names the maths (program.KINDS),
    `params` are its numbers as Python floats (converted to float32 as the closure converts them) and
    `children` the shapes or profiles it is built on."""
    __slots__ = ("kind", "fn", "params", "children")

    def __init__(self, kind: str, fn, params=(), children=()):
        self.kind, self.fn, self.params, self.children = kind, fn, tuple(float(v) for v in params), tuple(children)

    def __call__(self, p: torch.Tensor) -> torch.Tensor:
        return self.fn(p)


def _floats(values) -> list:
    """Numbers (a list, a numpy array or a tensor, of any shape) as a flat list of Python floats."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return [float(v) for v in np.asarray(values, dtype=np.float64).reshape(-1)]


def box(half) -> Shape:
    b = const(half)

    def f(p):
        q = p.abs() - b(p)
        return _len(q.clamp(min=0)) + q.max(dim=-1).values.clamp(max=0)
    return Node("box", f, _floats(half))


def offset(shape, d: float) -> Shape:
    """The shape grown by −d (its surface moved d inwards): shape(p) − d."""
    return Node("offset", lambda p: shape(p) - d, (d,), (shape,))


def round_box(half, radius) -> Shape:
    return offset(box([max(h - radius, 1e-3) for h in half]), radius)


def sphere(r) -> Shape:
    return Node("sphere", lambda p: _len(p) - r, (r,))


def ellipsoid(radii) -> Shape:
    values = _floats(radii)
    radii = const(values)

    def f(p):
        r = radii(p)
        k0 = _len(p / r)
        k1 = _len(p / (r * r)).clamp(min=1e-6)
        return k0 * (k0 - 1.0) / k1
    return Node("ellipsoid", f, values)


def cylinder(r, h) -> Shape:
    """Axis y, radius r, half-height h."""
    def f(p):
        d = torch.stack([_len(p[:, [0, 2]]) - r, p[:, 1].abs() - h], -1)
        return d.max(dim=-1).values.clamp(max=0) + _len(d.clamp(min=0))
    return Node("cylinder", f, (r, h))


def capsule(r, h) -> Shape:
    def f(p):
        q = p.clone()
        q[:, 1] = p[:, 1] - p[:, 1].clamp(-h, h)
        return _len(q) - r
    return Node("capsule", f, (r, h))


def torus(big, small) -> Shape:
    def f(p):
        q = torch.stack([_len(p[:, [0, 2]]) - big, p[:, 1]], -1)
        return _len(q) - small
    return Node("torus", f, (big, small))


def above_z(level: float) -> Shape:
    """The half-space below the height z = level: z − level (negative below it)."""
    return Node("above_z", lambda p: p[:, 2] - level, (level,))


def below_z(level: float) -> Shape:
    """The half-space above the height z = level: level − z (negative above it)."""
    return Node("below_z", lambda p: level - p[:, 2], (level,))


def polygon2d(points) -> "Callable":
    """Exact signed distance to a closed 2D polygon (negative inside), vectorised over (N, 2)."""
    values = [(float(x), float(y)) for x, y in points]
    corners = const(values)

    def f(q):
        v = corners(q)
        d = ((q - v[0]) ** 2).sum(-1)
        s = torch.ones(len(q), device=q.device)
        j = len(v) - 1
        for i in range(len(v)):
            e = v[j] - v[i]
            w = q - v[i]
            t = ((w * e).sum(-1) / (e * e).sum()).clamp(0, 1)
            b = w - e * t[:, None]
            d = torch.minimum(d, (b * b).sum(-1))
            c1 = q[:, 1] >= v[i, 1]
            c2 = q[:, 1] < v[j, 1]
            c3 = e[0] * w[:, 1] > e[1] * w[:, 0]
            flip = (c1 & c2 & c3) | (~c1 & ~c2 & ~c3)
            s = torch.where(flip, -s, s)
            j = i
        return s * d.sqrt()
    return Node("polygon", f, [c for xy in values for c in xy])


def regular_polygon2d(radius: float, n: int, start: float) -> "Callable":
    """A regular n-gon with corners `radius` from 0, the first at angle `start`."""
    return polygon2d([(radius * math.cos(start + 2 * math.pi * k / n), radius * math.sin(start + 2 * math.pi * k / n))
                      for k in range(n)])


def rounded_rect2d(half_u: float, half_v: float, radius: float = 0.0) -> "Callable":
    """Exact signed distance to a 2D rectangle (±half_u, ±half_v) with corners rounded by `radius`
    (radius = min(half) gives a slot, equal halves and that radius a disc)."""
    inner = [half_u - radius, half_v - radius]
    b = const(inner)

    def f(q):
        d = q.abs() - b(q)
        return _len(d.clamp(min=0)) + d.max(dim=-1).values.clamp(max=0) - radius
    return Node("rounded_rect", f, inner + [radius])


def repeat2d(profile2d, counts, pitch) -> "Callable":
    """counts[0] × counts[1] copies of a 2D profile centred on 0, `pitch` apart: each point is measured
    against its nearest copy, so a grid costs one profile evaluation (exact while copies don't touch)."""
    params = _floats(counts) + _floats(pitch)
    counts, pitch = const(params[:2]), const(params[2:])

    def f(q):
        n, step = counts(q), pitch(q)
        k = torch.minimum(torch.maximum(torch.round(q / step + (n - 1) / 2), torch.zeros_like(n)), n - 1)
        return profile2d(q - (k - (n - 1) / 2) * step)
    return Node("repeat", f, params, (profile2d,))


def shift2d(profile2d, by) -> "Callable":
    """A 2D profile moved by `by`: profile(q − by)."""
    values = _floats(by)
    at = const(values)
    return Node("shift", lambda q: profile2d(q - at(q)), values, (profile2d,))


def intersect(a, b) -> Shape:
    """Where both are (hard): max(a, b). Works on 2D profiles too."""
    return Node("max", lambda p: torch.maximum(a(p), b(p)), (), (a, b))


def extrude(profile2d, h) -> Shape:
    """A 2D polygon in xy extruded along z by ±h."""
    def f(p):
        w = torch.stack([profile2d(p[:, :2]), p[:, 2].abs() - h], -1)
        return w.max(dim=-1).values.clamp(max=0) + _len(w.clamp(min=0))
    return Node("extrude", f, (h,), (profile2d,))


def revolve(profile2d) -> Shape:
    """A 2D polygon in the (radius, y) half-plane revolved around y."""
    return Node("revolve", lambda p: profile2d(torch.stack([_len(p[:, [0, 2]]), p[:, 1]], -1)), (), (profile2d,))


def cone(r_bottom, r_top, h) -> Shape:
    """Capped cone (frustum) along y, as a revolved trapezoid."""
    return revolve(polygon2d([(0.0, -h), (r_bottom, -h), (r_top, h), (0.0, h)]))


def transform(shape, rotation: torch.Tensor, offset) -> Shape:
    """Place a shape: world point p ↦ shape(Rᵀ(p − t)). Rotations keep distances exact."""
    values = _floats(rotation) + _floats(offset)
    t, r = const(values[9:]), const(torch.tensor(values[:9]).reshape(3, 3))
    return Node("transform", lambda p: shape((p - t(p)) @ r(p)), values, (shape,))


def union(a, b, k: float = 0.0) -> Shape:
    """Both shapes (or 2D profiles), joined with a fillet of about k when k > 0."""
    if k <= 0:
        return Node("min", lambda p: torch.minimum(a(p), b(p)), (), (a, b))

    def f(p):   # polynomial smooth minimum: a fillet of about k where the two meet
        da, db = a(p), b(p)
        h = (0.5 + 0.5 * (db - da) / k).clamp(0, 1)
        return db + (da - db) * h - k * h * (1 - h)
    return Node("smooth_min", f, (k,), (a, b))


def subtract(a, b, k: float = 0.0) -> Shape:
    if k <= 0:
        return Node("cut", lambda p: torch.maximum(a(p), -b(p)), (), (a, b))

    def f(p):
        da, db = a(p), -b(p)
        h = (0.5 - 0.5 * (db - da) / k).clamp(0, 1)
        return db + (da - db) * h + k * h * (1 - h)
    return Node("smooth_cut", f, (k,), (a, b))


def along_axis(shape, axis: int, offset=(0.0, 0.0, 0.0)) -> Shape:
    """A shape built along z, placed with its z along world `axis`, its x and y along the other two
    axes in increasing order, its origin at `offset`."""
    lateral = [a for a in range(3) if a != axis]
    pick = torch.zeros(3, 3)   # (p − offset) @ pick = (lateral u, lateral v, along the axis)
    pick[lateral[0], 0] = pick[lateral[1], 1] = pick[axis, 2] = 1.0
    return transform(shape, pick, offset)


def rotation_matrix(axis_angles) -> torch.Tensor:
    """Rotation from XYZ Euler angles (radians)."""
    x, y, z = axis_angles
    cx, sx, cy, sy, cz, sz = math.cos(x), math.sin(x), math.cos(y), math.sin(y), math.cos(z), math.sin(z)
    rx = torch.tensor([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = torch.tensor([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = torch.tensor([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return (rz @ ry @ rx).to(torch.float32)

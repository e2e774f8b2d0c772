"""Signed distance functions in torch: primitives, transforms and CSG. A shape is a callable
(N, 3) points → (N,) distances; all maths is vectorised over points."""
from __future__ import annotations

import math

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


def box(half) -> Shape:
    b = const(half)

    def f(p):
        q = p.abs() - b(p)
        return _len(q.clamp(min=0)) + q.max(dim=-1).values.clamp(max=0)
    return f


def round_box(half, radius) -> Shape:
    inner = box([max(h - radius, 1e-3) for h in half])
    return lambda p: inner(p) - radius


def sphere(r) -> Shape:
    return lambda p: _len(p) - r


def ellipsoid(radii) -> Shape:
    radii = const(radii)

    def f(p):
        r = radii(p)
        k0 = _len(p / r)
        k1 = _len(p / (r * r)).clamp(min=1e-6)
        return k0 * (k0 - 1.0) / k1
    return f


def cylinder(r, h) -> Shape:
    """Axis y, radius r, half-height h."""
    def f(p):
        d = torch.stack([_len(p[:, [0, 2]]) - r, p[:, 1].abs() - h], -1)
        return d.max(dim=-1).values.clamp(max=0) + _len(d.clamp(min=0))
    return f


def capsule(r, h) -> Shape:
    def f(p):
        q = p.clone()
        q[:, 1] = p[:, 1] - p[:, 1].clamp(-h, h)
        return _len(q) - r
    return f


def torus(big, small) -> Shape:
    def f(p):
        q = torch.stack([_len(p[:, [0, 2]]) - big, p[:, 1]], -1)
        return _len(q) - small
    return f


def polygon2d(points) -> "Callable":
    """Exact signed distance to a closed 2D polygon (negative inside), vectorised over (N, 2)."""
    corners = const(points)

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
    return f


def regular_polygon2d(radius: float, n: int, start: float) -> "Callable":
    """A regular n-gon with corners `radius` from 0, the first at angle `start`."""
    return polygon2d([(radius * math.cos(start + 2 * math.pi * k / n), radius * math.sin(start + 2 * math.pi * k / n))
                      for k in range(n)])


def rounded_rect2d(half_u: float, half_v: float, radius: float = 0.0) -> "Callable":
    """Exact signed distance to a 2D rectangle (±half_u, ±half_v) with corners rounded by `radius`
    (radius = min(half) gives a slot, equal halves and that radius a disc)."""
    b = const([half_u - radius, half_v - radius])

    def f(q):
        d = q.abs() - b(q)
        return _len(d.clamp(min=0)) + d.max(dim=-1).values.clamp(max=0) - radius
    return f


def repeat2d(profile2d, counts, pitch) -> "Callable":
    """counts[0] × counts[1] copies of a 2D profile centred on 0, `pitch` apart: each point is measured
    against its nearest copy, so a grid costs one profile evaluation (exact while copies don't touch)."""
    counts, pitch = const(counts), const(pitch)

    def f(q):
        n, step = counts(q), pitch(q)
        k = torch.minimum(torch.maximum(torch.round(q / step + (n - 1) / 2), torch.zeros_like(n)), n - 1)
        return profile2d(q - (k - (n - 1) / 2) * step)
    return f


def extrude(profile2d, h) -> Shape:
    """A 2D polygon in xy extruded along z by ±h."""
    def f(p):
        w = torch.stack([profile2d(p[:, :2]), p[:, 2].abs() - h], -1)
        return w.max(dim=-1).values.clamp(max=0) + _len(w.clamp(min=0))
    return f


def revolve(profile2d) -> Shape:
    """A 2D polygon in the (radius, y) half-plane revolved around y."""
    return lambda p: profile2d(torch.stack([_len(p[:, [0, 2]]), p[:, 1]], -1))


def cone(r_bottom, r_top, h) -> Shape:
    """Capped cone (frustum) along y, as a revolved trapezoid."""
    return revolve(polygon2d([(0.0, -h), (r_bottom, -h), (r_top, h), (0.0, h)]))


def transform(shape, rotation: torch.Tensor, offset) -> Shape:
    """Place a shape: world point p ↦ shape(Rᵀ(p − t)). Rotations keep distances exact."""
    t, r = const(offset), const(rotation)
    return lambda p: shape((p - t(p)) @ r(p))


def union(a, b, k: float = 0.0) -> Shape:
    if k <= 0:
        return lambda p: torch.minimum(a(p), b(p))

    def f(p):   # polynomial smooth minimum: a fillet of about k where the two meet
        da, db = a(p), b(p)
        h = (0.5 + 0.5 * (db - da) / k).clamp(0, 1)
        return db + (da - db) * h - k * h * (1 - h)
    return f


def subtract(a, b, k: float = 0.0) -> Shape:
    if k <= 0:
        return lambda p: torch.maximum(a(p), -b(p))

    def f(p):
        da, db = a(p), -b(p)
        h = (0.5 - 0.5 * (db - da) / k).clamp(0, 1)
        return db + (da - db) * h + k * h * (1 - h)
    return f


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

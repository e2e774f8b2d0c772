"""Many solids' signed distances evaluated together: a batched CSG program (issue 51, GPU data).

On a GPU the device generator's march is bound by launching operations: evaluating one solid's tree
costs a hundred to a thousand small operations per march step, whatever its rays. `Program(shapes)`
compiles the trees of several solids (sdf.Node) into groups of like nodes, and `distance(points,
counts)` evaluates them all with one set of operations per group: every box of every solid in one
box evaluation, every smooth union of one height in one, and so on. The cost of a step is then set by
the number of groups (tens to a couple of hundred), not by the number of solids.

How a tree is evaluated:
- Points flow down. A node that moves its children's points (transform, shift, repeat, revolve, and
  extrude's cross-section) makes new ones; every other node hands its own points on. Maps at the
  same depth and of one kind form a group.
- Distances flow up. Leaves (box, sphere, …, polygon, rounded_rect) have height 0; a node that
  combines distances (min, cut, smooth_min, smooth_cut, max, offset, extrude) sits one above its highest
  child. Nodes of one kind and height form a group (the two smooth combinations are one kind here, a
  signed smooth minimum: see _combine; the hard min, max and cut, which need no numbers, are one or two
  operations each); polygons also by their number of corners (up to 8,
  16 or more), since a group loops over its largest one's edges and pads the others with zero-length
  edges.
- Every node of solid s works on the points of s: `counts[s]` of them, consecutive in `points`. A
  group's inputs are the concatenation of its nodes' inputs, its parameters are repeated row by row,
  and its result is split back.

The maths is sdf.py's, operation for operation, with each node's numbers per row instead of constants;
tests/training/test_program.py checks it against calling each solid's own tree.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

LEAVES = ("box", "sphere", "ellipsoid", "cylinder", "capsule", "torus", "above_z", "below_z",
          "polygon", "rounded_rect")
MAPS = ("transform", "extrude", "revolve", "repeat", "shift")       # give their children new points
COMBINE = ("min", "smooth_min", "cut", "smooth_cut", "max", "offset", "extrude")   # the smooth two as "combine"
KINDS = LEAVES + tuple(k for k in MAPS + COMBINE if k not in LEAVES) + ("combine",)
POINT_DIMS = {"transform": 3, "extrude": 2, "revolve": 2, "repeat": 2, "shift": 2}   # the points a map makes


def _corner_bucket(node) -> int:
    """Polygons are grouped by how many corners they have, up to 8, 16 or more (a group loops over its
    largest polygon's edges); 0 for every other kind."""
    if node.kind != "polygon":
        return 0
    corners = len(node.params) // 2
    return 8 if corners <= 8 else 16 if corners <= 16 else 1 << 30


def _len(x: torch.Tensor) -> torch.Tensor:
    return torch.linalg.vector_norm(x, dim=-1)


@dataclass(eq=False)
class Group:
    """Nodes of one kind evaluated together: their solids, parameter rows, input and output slots."""
    kind: str
    dims: int = 0                                 # a map's points per row (POINT_DIMS); 0: distances
    solids: list = field(default_factory=list)
    params: list = field(default_factory=list)
    inputs: list = field(default_factory=list)    # per node: the slots it reads (points or distances)
    outputs: list = field(default_factory=list)   # per node: the slot it writes
    table: torch.Tensor | None = None             # params as a (nodes, P) float32 tensor on the device
    index: torch.Tensor | None = None             # solids as a long tensor on the device


class Program:
    """The compiled trees of `shapes` (one sdf.Node per solid); see the module docstring."""

    def __init__(self, shapes: list, device=None):
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.solids = len(shapes)
        self._slots = 0
        maps: dict = {}
        combines: dict = {}
        self.roots, self._height = [], {}
        self.inputs = [self._slot() for _ in shapes]
        for s, shape in enumerate(shapes):
            self.roots.append(self._walk(shape, s, self.inputs[s], 0, maps, combines))
        order = lambda groups: [groups[k] for k in sorted(groups, key=lambda k: (k[0], KINDS.index(k[1]), k[2]))]  # noqa: E731
        self.maps, self.combines = order(maps), order(combines)
        for group in self.maps + self.combines:
            width = max(len(p) for p in group.params)
            # polygons of fewer corners are padded with their last corner: a zero-length edge changes nothing
            rows = [list(p) + list(p[-2:]) * ((width - len(p)) // 2) for p in group.params]
            group.table = torch.tensor(rows, dtype=torch.float32, device=self.device) if width else None
            group.index = torch.tensor(group.solids, dtype=torch.long, device=self.device)

    def _slot(self) -> int:
        self._slots += 1
        return self._slots - 1

    def _add(self, groups: dict, key: tuple, solid: int, params, inputs: list, output: int, dims: int = 0) -> None:
        if key not in groups:
            groups[key] = Group(key[1], dims)
        group = groups[key]
        group.solids.append(solid)
        group.params.append(params)
        group.inputs.append(inputs)
        group.outputs.append(output)

    def _walk(self, node, solid: int, at: int, depth: int, maps: dict, combines: dict) -> int:
        """Schedule `node` of `solid` on the points in slot `at` (made at map depth `depth`); returns the
        slot its distances will be in."""
        kind = node.kind
        if kind not in KINDS:
            raise ValueError(f"program: no batched form for a node of kind {kind!r}")
        if kind in LEAVES:
            out = self._slot()
            self._height[out] = 0
            self._add(combines, (0, kind, _corner_bucket(node)), solid, node.params, [at], out)
            return out
        if kind in MAPS:
            moved = self._slot()
            self._add(maps, (depth, kind, 0), solid, node.params, [at], moved, POINT_DIMS[kind])
            child = self._walk(node.children[0], solid, moved, depth + 1, maps, combines)
            if kind != "extrude":
                return child   # the child's distances are this node's
            children = [child]
        else:
            children = [self._walk(c, solid, at, depth, maps, combines) for c in node.children]
        out = self._slot()
        height = 1 + max(self._height[c] for c in children)
        self._height[out] = height
        params = node.params
        if kind in SIGNS:   # both smooth two-shape combinations of one height in one group
            kind, params = "combine", SIGNS[kind] + (node.params[0],)
        self._add(combines, (height, kind, 0), solid, params, ([at] if kind == "extrude" else []) + children, out)
        return out

    def distance(self, points: torch.Tensor, counts: list) -> torch.Tensor:
        """(N,) distances of `points` (N, 3): the first counts[0] to solid 0, the next counts[1] to solid
        1, and so on (sum(counts) == N)."""
        counts = [int(c) for c in counts]
        per = torch.tensor(counts, dtype=torch.long, device=points.device)
        slots = dict(zip(self.inputs, torch.split(points, counts)))
        for group in self.maps + self.combines:
            sizes = [counts[s] for s in group.solids]
            total = sum(sizes)
            if total == 0:   # every solid of the group is done: empty results of the right shape
                empty = points.new_zeros((0, group.dims) if group.dims else (0,))
                for out in group.outputs:
                    slots[out] = empty
                continue
            args = [torch.cat([slots[ins[j]] for ins in group.inputs]) if len(sizes) > 1 else slots[group.inputs[0][j]]
                    for j in range(len(group.inputs[0]))]
            table = group.table
            if table is None or len(sizes) == 1:
                rows = table
            else:
                rows = table.repeat_interleave(per[group.index], dim=0, output_size=total)
            result = EVALUATE[group.kind](rows, *args)
            for out, part in zip(group.outputs, torch.split(result, sizes) if len(sizes) > 1 else [result]):
                slots[out] = part
        return torch.cat([slots[r] for r in self.roots]) if self.solids > 1 else slots[self.roots[0]]


# ---- the maths, per kind: (rows of params, inputs…) → result; sdf.py's operations in sdf.py's order ----

def _box(r, p):
    q = p.abs() - r
    return _len(q.clamp(min=0)) + q.max(dim=-1).values.clamp(max=0)


def _sphere(r, p):
    return _len(p) - r[:, 0]


def _ellipsoid(r, p):
    k0 = _len(p / r)
    k1 = _len(p / (r * r)).clamp(min=1e-6)
    return k0 * (k0 - 1.0) / k1


def _cylinder(r, p):
    d = torch.stack([_len(p[:, [0, 2]]) - r[:, 0], p[:, 1].abs() - r[:, 1]], -1)
    return d.max(dim=-1).values.clamp(max=0) + _len(d.clamp(min=0))


def _capsule(r, p):
    q = p.clone()
    h = r[:, 1]
    q[:, 1] = p[:, 1] - torch.clamp(p[:, 1], -h, h)
    return _len(q) - r[:, 0]


def _torus(r, p):
    q = torch.stack([_len(p[:, [0, 2]]) - r[:, 0], p[:, 1]], -1)
    return _len(q) - r[:, 1]


def _polygon(r, q):
    """sdf.polygon2d with every edge at once: (N, E) per edge, then the nearest edge and the crossings'
    parity (the same values as the edge-by-edge loop: a minimum and a parity do not depend on order)."""
    v = r.reshape(len(r), -1, 2)                 # (rows, E, 2), rows = 1 or N
    vj = torch.roll(v, 1, dims=1)                # edge i runs from corner i − 1 (j) to corner i
    e = vj - v
    w = q[:, None] - v                           # (N, E, 2)
    ee = (e * e).sum(-1)
    long = ee > 0
    t = torch.where(long, (w * e).sum(-1) / torch.where(long, ee, 1.0), 0.0)
    b = w - e * t.clamp(0, 1)[..., None]
    d = torch.minimum(((q - v[:, 0]) ** 2).sum(-1), (b * b).sum(-1).amin(1))
    c1 = q[:, 1, None] >= v[..., 1]
    c2 = q[:, 1, None] < vj[..., 1]
    c3 = e[..., 0] * w[..., 1] > e[..., 1] * w[..., 0]
    odd = ((c1 == c2) & (c2 == c3)).sum(1) % 2 == 1   # all three true or all three false: a crossing
    root = d.sqrt()
    return torch.where(odd, -root, root)


def _rounded_rect(r, q):
    d = q.abs() - r[:, :2]
    return _len(d.clamp(min=0)) + d.max(dim=-1).values.clamp(max=0) - r[:, 2]


def _transform(r, p):
    """(p − t) @ R with R and t per row. Written out as three products and two sums (on this project's
    CPU the same values as the matrix product sdf.transform uses; a batched matrix product of 3 × 3
    matrices is slow on both devices)."""
    moved = p - r[:, 9:]
    if len(r) == 1:
        return moved @ r[0, :9].reshape(3, 3)
    return moved[:, 0:1] * r[:, 0:3] + moved[:, 1:2] * r[:, 3:6] + moved[:, 2:3] * r[:, 6:9]


def _repeat(r, q):
    n, step = r[:, :2], r[:, 2:]
    k = torch.minimum(torch.maximum(torch.round(q / step + (n - 1) / 2), torch.zeros_like(n)), n - 1)
    return q - (k - (n - 1) / 2) * step


def _combine(r, a, b):
    """smooth_min and smooth_cut as one: out = s · smin(s·a, t·b, k). Row params (s, t, k): smooth_min
    (1, 1, k), smooth_cut (−1, 1, k), k > 0 always (sdf.union and sdf.subtract make the hard forms for
    k ≤ 0). Multiplying by ±1 and negating are exact, so each gives sdf.py's values."""
    s, t, k = r[:, 0], r[:, 1], r[:, 2]
    da, db = s * a, t * b
    h = (0.5 + 0.5 * (db - da) / k).clamp(0, 1)
    return s * (db + (da - db) * h - k * h * (1 - h))


# the smooth combinations' (s, t) in _combine; the hard min, max and cut are groups of their own
SIGNS = {"smooth_min": (1.0, 1.0), "smooth_cut": (-1.0, 1.0)}


def _extrude(r, p, d2=None):
    """As a map (no d2): the cross-section its profile sees. As a combine: the profile's distance d2
    capped at ±h along z."""
    if d2 is None:
        return p[:, :2]
    w = torch.stack([d2, p[:, 2].abs() - r[:, 0]], -1)
    return w.max(dim=-1).values.clamp(max=0) + _len(w.clamp(min=0))


EVALUATE = {
    "box": _box, "sphere": _sphere, "ellipsoid": _ellipsoid, "cylinder": _cylinder, "capsule": _capsule,
    "torus": _torus, "polygon": _polygon, "rounded_rect": _rounded_rect,
    "above_z": lambda r, p: p[:, 2] - r[:, 0],
    "below_z": lambda r, p: r[:, 0] - p[:, 2],
    # maps: the children's points
    "transform": _transform,
    "shift": lambda r, q: q - r,
    "repeat": _repeat,
    "revolve": lambda r, p: torch.stack([_len(p[:, [0, 2]]), p[:, 1]], -1),
    "extrude": _extrude,
    "combine": _combine,
    "min": lambda r, a, b: torch.minimum(a, b),
    "max": lambda r, a, b: torch.maximum(a, b),
    "cut": lambda r, a, b: torch.maximum(a, -b),
    "offset": lambda r, a: a - r[:, 0],
}

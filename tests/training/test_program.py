"""The batched CSG program (training/synth/program.py) against each solid's own tree (sdf.py's closures),
on the CPU: many solids evaluated together give each solid's distances, their traces are each solid
traced alone, and batch_views.many draws what batch_views.views draws seed by seed. Masks and images
are the same bit for bit; float results agree to ULPS, traces to TRACED (`matches`): the batch
evaluates the same formulas in longer vectors, and on some CPUs the vector kernels round a vector's
tail otherwise (an Intel Xeon, 2026-12-07: nearness 1.1e-6 apart on 104 of 34,560 pixels; the AMD
EPYC before gave every bit)."""
import math

import numpy as np
import pytest
import torch

from training.synth import batch_views, dataset, render, sdf, solids
from training.synth.program import KINDS, Program


ULPS = 1e-5    # float32 results of the batch and of one solid alone: at most this far apart
TRACED = 1e-3  # a trace's depths and normals: a ray stops within the trace's eps (1e-3) of the surface,
#                so a few ulps can stop it a step sooner (an Intel Xeon: 7.1e-4 in depth, 3.5e-5 in normals)


def matches(a: torch.Tensor, b: torch.Tensor, within: float = ULPS) -> bool:
    """The same tensor: bit for bit when not floating point; floats the same where NaN and `within`."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if not a.is_floating_point():
        return torch.equal(a, b)
    return torch.equal(a.isnan(), b.isnan()) and bool(((a - b).nan_to_num(0.0).abs() <= within).all())


def _figures(seeds):
    """The device generator's solids for these seeds (every family on), as batch_views draws them."""
    options = {name: True for name in batch_views.FAMILIES}
    out = []
    for seed in seeds:
        rng = np.random.default_rng([seed, batch_views.STREAM])
        out.append(dataset.figure(rng, dataset.options_for(seed, offset=batch_views.OPTION_STREAM, **options))[0])
    return out


def _split_points(counts, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(sum(counts), 3, generator=g) * 2 - 1) * render.BOUND


def _each(shapes, points, counts):
    return torch.cat([shape(p) for shape, p in zip(shapes, torch.split(points, counts))])


def _kinds(node, seen):
    seen.add(node.kind)
    for child in node.children:
        _kinds(child, seen)
    return seen


def test_many_generated_solids_together_give_exactly_each_solids_distances():
    shapes = _figures(range(48))
    counts = [int(c) for c in torch.randint(0, 400, (48,), generator=torch.Generator().manual_seed(1))]
    counts[5] = 0                                   # a solid whose rays are all done
    points = _split_points(counts)
    assert matches(Program(shapes).distance(points, counts), _each(shapes, points, counts))
    used = set()
    for shape in shapes:
        _kinds(shape, used)
    assert len(used) >= 14, used                    # most kinds are in these solids


def _every_kind():
    """Small trees between them using every kind the program knows, several of a kind with different
    numbers in one group (polygons of 3, 6 and 27 corners; hard and smooth combinations)."""
    tilt = sdf.rotation_matrix((0.3, -0.7, 1.1))
    star = sdf.polygon2d([(math.cos(a) * (0.4 + 0.2 * (k % 2)), math.sin(a) * (0.4 + 0.2 * (k % 2)))
                          for k, a in enumerate(np.linspace(0, 2 * math.pi, 27, endpoint=False))])
    grid = sdf.repeat2d(sdf.rounded_rect2d(0.08, 0.05, 0.02), (3, 2), (0.25, 0.2))
    honeycomb = sdf.union(grid, sdf.shift2d(grid, (0.12, 0.1)))
    return [
        sdf.union(sdf.box([0.5, 0.3, 0.2]), sdf.transform(sdf.sphere(0.3), tilt, (0.2, 0.1, 0.0)), 0.1),
        sdf.subtract(sdf.cylinder(0.5, 0.4), sdf.capsule(0.2, 0.3), 0.05),
        sdf.subtract(sdf.ellipsoid([0.6, 0.4, 0.3]), sdf.transform(sdf.torus(0.4, 0.1), tilt, (0.0, 0.0, 0.1))),
        sdf.intersect(sdf.round_box([0.6, 0.5, 0.4], 0.1), sdf.intersect(sdf.below_z(-0.2), sdf.above_z(0.3))),
        sdf.revolve(star),
        sdf.extrude(sdf.intersect(honeycomb, sdf.offset(sdf.shift2d(star, (-0.1, 0.05)), -0.05)), 0.3),
        sdf.union(sdf.cone(0.5, 0.2, 0.4), sdf.extrude(sdf.regular_polygon2d(0.5, 3, 0.2), 0.2)),
        sdf.along_axis(sdf.extrude(sdf.polygon2d([(-0.5, -0.5), (0.5, -0.5), (0.5, 0.0), (0.0, 0.0), (0.0, 0.5),
                                                  (-0.5, 0.5)]), 0.1), 0, (0.1, 0.0, 0.0)),
    ]


def test_every_kind_together_gives_exactly_each_trees_distances():
    shapes = _every_kind()
    used = set()
    for shape in shapes:
        _kinds(shape, used)
    assert set(KINDS) - {"combine"} <= used, set(KINDS) - used
    counts = [300, 0, 250, 400, 350, 300, 1, 200]
    points = _split_points(counts, seed=2)
    assert matches(Program(shapes).distance(points, counts), _each(shapes, points, counts))
    for k, shape in enumerate(shapes):              # and each alone, one row of numbers per group
        p = points[sum(counts[:k]):sum(counts[:k + 1])]
        assert matches(Program([shape]).distance(p, [len(p)]), shape(p))


def test_hard_combinations_repeat_no_numbers_per_row():
    """min, max and cut carry no numbers, so their groups have no table to repeat for every point (on a
    GPU each repeat is a launch and a copy); the smooth forms share one group per height, with (s, t, k)
    per node."""
    program = Program(_every_kind())
    kinds = {group.kind: group for group in program.combines}
    assert {"min", "max", "cut", "combine"} <= set(kinds)
    assert all(kinds[k].table is None for k in ("min", "max", "cut"))
    assert kinds["combine"].table.shape[1] == 3 and bool((kinds["combine"].table[:, 2] > 0).all())


def test_like_nodes_of_many_solids_share_one_group():
    """A step's cost is its number of groups, so like nodes of every solid must share one: here ten
    solids make two groups, and groups split only by map depth, combine height and polygon corners (up
    to 8, up to 16, more), ordered by depth or height, then kind."""
    eye = torch.eye(3)
    ten = [sdf.transform(sdf.box([0.1 * (i + 1)] * 3), eye, (0.1 * i, 0.0, 0.0)) for i in range(10)]
    program = Program(ten)
    assert [(g.kind, g.solids) for g in program.maps] == [("transform", list(range(10)))]
    assert [(g.kind, g.solids) for g in program.combines] == [("box", list(range(10)))]

    def gon(corners):
        return sdf.extrude(sdf.regular_polygon2d(0.5, corners, 0.0), 0.2)
    program = Program([gon(n) for n in (3, 8, 9, 16, 17, 40)])
    polygons = [(g.kind, g.solids, g.table.shape[1]) for g in program.combines if g.kind == "polygon"]
    assert polygons == [("polygon", [0, 1], 16), ("polygon", [2, 3], 32), ("polygon", [4, 5], 80)]
    assert [g.solids for g in program.combines if g.kind == "extrude"] == [list(range(6))]

    nested = [sdf.union(sdf.sphere(0.2), sdf.union(sdf.box([0.1] * 3), sdf.sphere(0.3))),   # min at heights 2, 1
              sdf.union(sdf.box([0.2] * 3), sdf.sphere(0.1)),                             # min at height 1
              sdf.transform(sdf.transform(sdf.sphere(0.1), eye, (0.1, 0, 0)), eye, (0, 0.1, 0)),   # maps at depths 0, 1
              sdf.transform(sdf.sphere(0.2), eye, (0.2, 0, 0))]                            # a map at depth 0
    program = Program(nested)
    assert [(g.kind, g.solids) for g in program.maps] == [("transform", [2, 3]), ("transform", [2])]
    assert [(g.kind, g.solids) for g in program.combines] == [
        ("box", [0, 1]), ("sphere", [0, 0, 1, 2, 3]), ("min", [0, 1]), ("min", [0])]
    counts = [40, 30, 20, 10]
    points = _split_points(counts, seed=4)
    assert matches(program.distance(points, counts), _each(nested, points, counts))


def test_a_done_solid_beside_one_with_points_left():
    """Solid 0's transform is a group of its own with no points left (the group is skipped); its box
    shares a group with solid 1's, which still has points: solid 1's distances come out whole."""
    shapes = [sdf.transform(sdf.box([0.3, 0.2, 0.1]), sdf.rotation_matrix((0.2, 0.4, 0.6)), (0.1, 0.0, 0.0)),
              sdf.box([0.5, 0.4, 0.3])]
    counts = [0, 50]
    points = _split_points(counts, seed=3)
    assert matches(Program(shapes).distance(points, counts), shapes[1](points))


def test_a_node_without_a_batched_form_is_refused_by_name():
    odd = sdf.Node("gyroid", lambda p: p[:, 0])
    with pytest.raises(ValueError, match="gyroid"):
        Program([sdf.sphere(0.5), sdf.union(sdf.sphere(0.3), odd)])


def test_solids_traced_together_are_each_traced_alone():
    shapes, cams = [], []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        shape, _ = solids.random_solid(rng)
        shapes.append(shape)
        cams.append(render.frame_views(shape, [render.random_camera(rng)[0] for _ in range(2)], rng))
    mask, depth, normals = render.trace_solids(shapes, cams, 48)
    layers = render.hidden_layers_solids(shapes, cams, 48, depth, mask)
    for s, (shape, cs) in enumerate(zip(shapes, cams)):
        part = slice(2 * s, 2 * s + 2)
        m, d, n = render.trace_views(shape, cs, 48)
        assert m.any() and matches(mask[part], m)
        assert matches(depth[part], d, TRACED) and matches(normals[part], n, TRACED)
        alone = render.hidden_layers_views(shape, cs, 48, d, m)
        for together, one in zip(layers, alone):
            assert all(matches(a[part], b, TRACED) for a, b in zip(together, one))


def test_many_seeds_draw_exactly_what_each_seed_draws_alone():
    seeds = [31, 32, 33, 34, 35]
    together = batch_views.many(seeds, 3, 48)
    each = [batch_views.views(seed, 3, 48) for seed in seeds]
    for key in ("image", "nearness", "mask", "proportion"):
        assert matches(together[key], torch.cat([e[key] for e in each])), key
    assert together["seed"].tolist() == [seed for seed, e in zip(seeds, each) for _ in range(len(e["mask"]))]

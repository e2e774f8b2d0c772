"""The generator's signed distances (training/synth/sdf.py) against values worked out by hand.

sdf.py is the truth behind every training drawing: the sphere tracer stops where these functions say the
surface is, and the depth and normals the network learns come from there. test_program.py checks the
batched program against these closures; this file checks the closures themselves, point by point, with
distances a reader can verify on paper (comments give the working)."""
import math

import numpy as np
import pytest
import torch

from training.synth import sdf
from training.synth.program import Program


def _at(shape, *points):
    """The shape's distances at these points, as Python floats; the batched program (the device
    generator's) must give the same values, for the shape alone and for two copies evaluated together."""
    p = torch.tensor(points, dtype=torch.float32)
    got = shape(p)
    n = len(p)
    assert torch.allclose(Program([shape]).distance(p, [n]), got, atol=1e-6)
    assert torch.allclose(Program([shape, shape]).distance(torch.cat([p, p]), [n, n]), torch.cat([got, got]), atol=1e-6)
    return [float(v) for v in got]


def _close(got, want):
    assert got == pytest.approx(want, abs=1e-5)


def test_box_inside_outside_and_past_a_corner():
    b = sdf.box([0.5, 0.4, 0.3])
    # past a face: 1 − 0.5; inside: the nearest face, 0.3 away along z; past an edge: |(0.3, 0.4)| = 0.5;
    # the far side of each axis alike (abs); past a corner: |(0.1, 0.2, 0.2)| = 0.3
    _close(_at(b, (1, 0, 0), (0, 0, 0), (0.8, 0.8, 0), (-1, 0, 0), (0, -0.9, 0), (0.6, 0.6, 0.5)),
           [0.5, -0.3, 0.5, 0.5, 0.5, 0.3])
    # inside, nearest the x face (0.05 away) though y and z are nearer their own planes' opposites
    _close(_at(b, (0.45, 0.0, 0.0), (0.0, 0.3, 0.0)), [-0.05, -0.1])
    assert b.kind == "box" and b.params == (0.5, 0.4, 0.3) and b.children == ()


def test_offset_and_rounded_box():
    grown = sdf.offset(sdf.box([0.5, 0.4, 0.3]), 0.1)
    _close(_at(grown, (1, 0, 0), (0, 0, 0)), [0.4, -0.4])
    assert grown.kind == "offset" and grown.params == (0.1,)
    rounded = sdf.round_box([0.5, 0.4, 0.3], 0.1)   # box (0.4, 0.3, 0.2) grown by 0.1
    # past a face: 0.6 − 0.1; past an edge of the inner box by (0.3, 0.4): 0.5 − 0.1; inside: −0.2 − 0.1
    _close(_at(rounded, (1, 0, 0), (0.7, 0.7, 0), (0, 0, 0)), [0.5, 0.4, -0.3])
    thin = sdf.round_box([0.05, 0.5, 0.5], 0.1)     # the inner half is kept at 0.001, not made negative
    assert thin.children[0].params == pytest.approx((0.001, 0.4, 0.4))
    _close(_at(thin, (1, 0, 0)), [1 - 0.001 - 0.1])


def test_sphere_and_ellipsoid_on_their_axes():
    _close(_at(sdf.sphere(0.5), (0, 0.3, 0.4), (0, 0, 0), (0.6, 0.8, 0)), [0.0, -0.5, 0.5])
    e = sdf.ellipsoid([1.0, 2.0, 3.0])
    # on each axis the bound is exact: twice each radius out is one radius away
    _close(_at(e, (2, 0, 0), (0, 4, 0), (0, 0, 6), (0, -4, 0), (0.5, 0, 0)), [1.0, 2.0, 3.0, 2.0, -0.5])
    assert e.params == (1.0, 2.0, 3.0)


def test_cylinder_along_y_with_its_caps_and_rim():
    c = sdf.cylinder(0.5, 0.3)
    # side (x or z alike), cap, inside nearest a cap, inside nearest the side, past the rim |(0.3, 0.4)|
    _close(_at(c, (1, 0, 0), (0, 0, 1), (0, 1, 0), (0, 0, 0), (0, 0, 0.4), (0.8, 0.7, 0), (0, -0.7, 0.8)),
           [0.5, 0.5, 0.7, -0.3, -0.1, 0.5, 0.5])


def test_capsule_along_y_and_its_points_untouched():
    c = sdf.capsule(0.2, 0.5)
    points = torch.tensor([(0, 1, 0), (0, -1, 0), (0.5, 0.3, 0), (0, 0, 0.5), (0, 0, 0)], dtype=torch.float32)
    before = points.clone()
    _close([float(v) for v in c(points)], [0.3, 0.3, 0.3, 0.3, -0.2])
    assert torch.equal(points, before)


def test_torus_round_y():
    t = sdf.torus(0.6, 0.1)
    # in the tube's core; 0.3 beyond the ring in the plane; 0.4 above the ring; at the centre 0.6 − 0.1
    _close(_at(t, (0.6, 0, 0), (0, 0, 0.9), (0.6, 0.4, 0), (0, 0, 0), (0, -0.4, -0.6)), [-0.1, 0.2, 0.3, 0.5, 0.3])


def test_half_spaces_by_height():
    _close(_at(sdf.above_z(0.2), (0, 0, 0.5), (3, -2, -0.3)), [0.3, -0.5])
    _close(_at(sdf.below_z(0.2), (0, 0, 0.5), (3, -2, -0.3)), [-0.3, 0.5])


SQUARE = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
ELL = [(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)]   # an L: 2 × 1 below, 1 × 1 on its left above


@pytest.mark.parametrize("corners", [SQUARE, SQUARE[::-1]])
def test_polygon_square_either_winding(corners):
    square = sdf.polygon2d(corners)
    _close(_at(square, (0, 0), (2, 0), (2, 2), (0, -0.5), (0.5, 0), (-3, 0)),
           [-1.0, 1.0, math.sqrt(2), -0.5, -0.5, 2.0])


def test_polygon_concave_ell_and_points_level_with_its_corners():
    ell = sdf.polygon2d(ELL)
    # in the notch, 0.5 above the foot and right of the upright; in it at (1.3, 1.4), 0.3 right of the
    # upright and 0.4 above the foot; inside the foot 0.2 from its end; inside the
    # upright; level with corners (y = 1 and y = 0, 2): outside beyond (2, 1), inside left of (1, 1),
    # outside beyond (0, 0) and (0, 2)
    _close(_at(ell, (1.5, 1.5), (1.3, 1.4), (1.8, 0.5), (0.5, 1.5), (3, 1), (0.5, 1), (-1, 0), (-0.5, 2), (1.5, 0)),
           [0.5, 0.3, -0.2, -0.5, 1.0, -0.5, 1.0, 0.5, 0.0])
    assert ell.kind == "polygon" and ell.params == tuple(float(c) for xy in ELL for c in xy)


def test_polygon_a_comb_crossed_three_and_five_times():
    # a comb: a bar 0 ≤ y ≤ 1 under three teeth up to y = 2 at x 0–1, 2–3 and 4–5
    comb = sdf.polygon2d([(0, 0), (5, 0), (5, 2), (4, 2), (4, 1), (3, 1), (3, 2), (2, 2), (2, 1), (1, 1), (1, 2), (0, 2)])
    # in the middle tooth a level line crosses the outline three times either side; in the first one,
    # once on its left and five times on its right; between teeth it is outside (0.2 above the bar)
    _close(_at(comb, (2.5, 1.5), (0.5, 1.5), (4.5, 1.5), (1.5, 1.5), (3.5, 1.2), (2.5, 0.5)),
           [-0.5, -0.5, -0.5, 0.5, 0.2, -0.5])


def test_regular_polygon_corners():
    diamond = sdf.regular_polygon2d(1.0, 4, 0.0)    # corners (1, 0), (0, 1), (−1, 0), (0, −1)
    assert diamond.params == pytest.approx((1, 0, 0, 1, -1, 0, 0, -1), abs=1e-12)
    _close(_at(diamond, (0, 0), (2, 0), (0, -3)), [-math.sqrt(0.5), 1.0, 2.0])
    turned = sdf.regular_polygon2d(2.0, 3, math.pi / 2)   # first corner straight up
    assert turned.params[:2] == pytest.approx((0.0, 2.0), abs=1e-12)
    _close(_at(turned, (0, 0), (0, 3)), [-1.0, 1.0])    # a triangle's inscribed radius is half its corners'
    skew = sdf.regular_polygon2d(1.0, 3, 0.3)         # corners turn anticlockwise from 0.3 rad
    assert skew.params == pytest.approx((math.cos(0.3), math.sin(0.3), math.cos(0.3 + 2 * math.pi / 3),
                                         math.sin(0.3 + 2 * math.pi / 3), math.cos(0.3 + 4 * math.pi / 3),
                                         math.sin(0.3 + 4 * math.pi / 3)))


def test_rounded_rectangle_slot_and_disc():
    r = sdf.rounded_rect2d(0.5, 0.3, 0.1)           # inner (0.4, 0.2), grown by 0.1
    _close(_at(r, (1, 0), (0, 0), (0.7, 0.6), (0, -1)), [0.5, -0.3, 0.4, 0.7])
    assert r.params == pytest.approx((0.4, 0.2, 0.1))
    disc = sdf.rounded_rect2d(0.2, 0.2, 0.2)
    _close(_at(disc, (0.3, 0.4), (0, 0)), [0.3, -0.2])
    _close(_at(sdf.rounded_rect2d(0.5, 0.3), (1, 0), (0.8, 0.7)), [0.5, 0.5])   # no radius: a plain rectangle


def test_repeat_measures_against_the_nearest_copy_and_clamps_at_the_ends():
    disc = sdf.rounded_rect2d(0.1, 0.1, 0.1)
    grid = sdf.repeat2d(disc, (3, 2), (1.0, 0.5))     # copies at x −1, 0, 1 and y −0.25, 0.25
    # on a copy; beyond the last column (clamped to x = 1); halfway between columns; below the lower row;
    # left of the first column
    _close(_at(grid, (1, 0.25), (2, 0.25), (0.5, 0.25), (0, -1), (-1.6, -0.25), (0.1, 0.25)),
           [-0.1, 0.9, 0.4, 0.65, 0.5, 0.0])
    assert grid.params == (3.0, 2.0, 1.0, 0.5) and grid.children == (disc,)
    one = sdf.repeat2d(disc, (1, 1), (1.0, 1.0))      # a single copy stays at 0
    _close(_at(one, (0.6, 0), (-0.6, 0)), [0.5, 0.5])


def test_shift_and_intersect_of_profiles():
    disc = sdf.rounded_rect2d(0.1, 0.1, 0.1)
    moved = sdf.shift2d(disc, (0.5, -0.2))
    _close(_at(moved, (0.5, -0.2), (0, -0.2), (0.5, 0.3)), [-0.1, 0.4, 0.4])
    assert moved.params == (0.5, pytest.approx(-0.2))
    both = sdf.intersect(sdf.rounded_rect2d(1.0, 0.2), sdf.rounded_rect2d(0.2, 1.0))   # a 0.4 square
    _close(_at(both, (0, 0), (0.5, 0), (0, -0.5), (0.5, 0.5)), [-0.2, 0.3, 0.3, 0.3])


def test_extrude_a_square_along_z():
    slab = sdf.extrude(sdf.polygon2d(SQUARE), 0.3)
    # inside nearest a cap; above; past the edge |(1, 0.4)|; inside nearest the side
    _close(_at(slab, (0, 0, 0), (0, 0, 1), (2, 0, 0.7), (0.9, 0, 0), (0, 0, -0.5)),
           [-0.3, 0.7, math.sqrt(1.16), -0.1, 0.2])


def test_revolve_a_rectangle_is_a_cylinder_and_a_cone_its_frustum():
    revolved = sdf.revolve(sdf.polygon2d([(0, -0.3), (0.5, -0.3), (0.5, 0.3), (0, 0.3)]))
    outside = [(1, 0, 0), (0, 0, 1), (0, 1, 0), (0.8, 0.7, 0), (0, -0.7, 0.8), (0.6, 0, 0.8)]
    _close(_at(revolved, *outside), _at(sdf.cylinder(0.5, 0.3), *outside))
    frustum = sdf.cone(0.5, 0.2, 0.4)
    # above the top cap and below the bottom one; beyond the bottom rim; inside near the axis, nearest
    # the axis edge of the revolved trapezoid (0.1) rather than the slant (0.2 / |(−0.3, 0.8)|) or caps
    _close(_at(frustum, (0, 1, 0), (0, -1, 0), (1, -0.4, 0), (0.1, 0, 0), (0, 0.4, 0.2)),
           [0.6, 0.6, 0.5, -0.1, 0.0])
    # at r = 0.3 on the middle plane (the frustum's radius there is 0.35): nearest the slant, whose
    # distance is |cross((−0.2, 0.4), (−0.3, 0.8))| / |(−0.3, 0.8)| = 0.04 / √0.73
    _close(_at(frustum, (0, 0, 0.3), (0.3, 0, 0)), [-0.04 / math.sqrt(0.73)] * 2)


def test_transform_places_a_rotated_box():
    quarter = sdf.rotation_matrix((0.0, 0.0, math.pi / 2))     # x ↦ y
    bar = sdf.transform(sdf.box([0.5, 0.1, 0.1]), quarter, (1.0, 0.0, 0.0))   # long along world y, at x = 1
    _close(_at(bar, (1, 0.7, 0), (1.7, 0, 0), (1, 0, 0), (1, 0, 0.3)), [0.2, 0.6, -0.1, 0.2])
    assert len(bar.params) == 12 and bar.params[9:] == (1.0, 0.0, 0.0)
    assert bar.params[:9] == pytest.approx(quarter.reshape(-1).tolist(), abs=1e-7)


def test_rotation_matrix_turns_x_then_y_then_z():
    about_z = sdf.rotation_matrix((0.0, 0.0, math.pi / 2))
    assert about_z.dtype == torch.float32
    assert torch.allclose(about_z @ torch.tensor([1.0, 0, 0]), torch.tensor([0.0, 1, 0]), atol=1e-6)
    both = sdf.rotation_matrix((math.pi / 2, math.pi / 2, 0.0))
    # x first (y ↦ z), then y (z ↦ x): y ends on x; the other order would leave it on z
    assert torch.allclose(both @ torch.tensor([0.0, 1, 0]), torch.tensor([1.0, 0, 0]), atol=1e-6)
    about_x = sdf.rotation_matrix((math.pi / 2, 0.0, 0.0))
    assert torch.allclose(about_x @ torch.tensor([0.0, 0, 1]), torch.tensor([0.0, -1, 0]), atol=1e-6)
    about_y = sdf.rotation_matrix((0.0, math.pi / 2, 0.0))
    assert torch.allclose(about_y @ torch.tensor([1.0, 0, 0]), torch.tensor([0.0, 0, -1]), atol=1e-6)
    angles = (0.3, -0.7, 1.1)
    r = sdf.rotation_matrix(angles).double()
    assert torch.allclose(r @ r.T, torch.eye(3, dtype=torch.float64), atol=1e-6)
    assert float(torch.linalg.det(r)) == pytest.approx(1.0, abs=1e-6)


def test_hard_union_subtraction_and_intersection():
    a, b = sdf.sphere(0.5), sdf.transform(sdf.sphere(0.5), torch.eye(3), (0.6, 0.0, 0.0))
    points = [(0, 0, 0), (0.6, 0, 0), (0.3, 0, 0), (-1, 0, 0)]
    _close(_at(sdf.union(a, b), *points), [-0.5, -0.5, -0.2, 0.5])
    _close(_at(sdf.subtract(a, b), *points), [-0.1, 0.5, 0.2, 0.5])   # max(a, −b): 0.1 short of b inside a
    assert sdf.union(a, b).kind == "min" and sdf.subtract(a, b).kind == "cut"
    assert sdf.union(a, b, 0.0).kind == "min" and sdf.subtract(a, b, -1.0).kind == "cut"


def test_smooth_union_and_subtraction_by_the_polynomial():
    up, down = sdf.above_z(0.0), sdf.below_z(0.0)   # z and −z
    k = 0.5
    joined = sdf.union(up, down, k)
    # where they meet both are 0: h = 0.5 and the fillet takes k/4 off; 0.1 up, da = 0.1, db = −0.1:
    # h = 0.5 + 0.5·(−0.2)/0.5 = 0.3 → −0.1 + 0.2·0.3 − 0.5·0.3·0.7 = −0.145; far apart it is the min
    _close(_at(joined, (0, 0, 0), (0, 0, 0.1), (0, 0, 1), (0, 0, -1)), [-k / 4, -0.145, -1.0, -1.0])
    assert joined.kind == "smooth_min" and joined.params == (k,) and joined.children == (up, down)
    cut = sdf.subtract(up, up, k)                   # a − a: da = z, db = −z
    # at 0: h = 0.5 → +k/4; 0.1 up: h = 0.5 − 0.5·(−0.2)/0.5 = 0.7 → −0.1 + 0.2·0.7 + 0.5·0.7·0.3 = 0.145
    _close(_at(cut, (0, 0, 0), (0, 0, 0.1), (0, 0, 1), (0, 0, -1)), [k / 4, 0.145, 1.0, 1.0])
    assert cut.kind == "smooth_cut" and cut.params == (k,)
    lopsided = sdf.union(sdf.above_z(0.3), down, 0.2)   # da = z − 0.3, db = −z; at z = 0.2: −0.1 vs −0.2
    # h = 0.5 + 0.5·(−0.1)/0.2 = 0.25 → −0.2 + 0.1·0.25 − 0.2·0.25·0.75 = −0.2125
    _close(_at(lopsided, (0, 0, 0.2)), [-0.2125])


def test_along_axis_lays_a_shape_built_along_z_on_each_axis():
    rod = sdf.box([0.1, 0.2, 0.5])                   # long along its own z
    on_x = sdf.along_axis(rod, 0, (1.0, 0.0, 0.0))   # its z along x, its x along y, its y along z
    _close(_at(on_x, (1.7, 0, 0), (1, 0.3, 0), (1, 0, 0.4)), [0.2, 0.2, 0.2])
    on_y = sdf.along_axis(rod, 1)                    # its z along y, its x along x, its y along z
    _close(_at(on_y, (0, 0.7, 0), (0.3, 0, 0), (0, 0, 0.4)), [0.2, 0.2, 0.2])
    on_z = sdf.along_axis(rod, 2)                    # unchanged
    _close(_at(on_z, (0, 0, 0.7), (0.3, 0, 0), (0, 0.4, 0)), [0.2, 0.2, 0.2])


def test_constants_and_numbers():
    c = sdf.const([1, 2])
    p = torch.zeros(3, 3)
    got = c(p)
    assert got.dtype == torch.float32 and got.tolist() == [1.0, 2.0] and c(p) is got   # made once per device
    assert sdf.const(torch.tensor([3], dtype=torch.int64))(p).dtype == torch.float32
    assert sdf._floats(np.array([[1, 2], [3, 4]])) == [1.0, 2.0, 3.0, 4.0]
    assert sdf._floats(torch.tensor([0.5, 1.5], requires_grad=True)) == [0.5, 1.5]
    assert sdf._floats((7,)) == [7.0] and all(type(v) is float for v in sdf._floats(np.array([1], np.int32)))
    node = sdf.Node("sphere", lambda p: p[:, 0] * 2, [np.float32(0.25)], [None])
    assert node.params == (0.25,) and type(node.params[0]) is float and node.children == (None,)
    assert node(torch.tensor([[3.0, 0, 0]])).tolist() == [6.0]   # its own function, whatever its kind says

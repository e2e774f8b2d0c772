"""The generator's random solids (training/synth/solids.py) built from draws a stand-in generator gives,
each compared with the shape worked out by hand: outlines of machined parts and turned profiles, every
primitive, the axis turns, a base with a filleted part and three cuts, rods, blobs, clusters, plates,
smooth profiles and vessels with a handle, a spout and a knob. Shapes are compared as trees (every
node's kind and numbers), so a wrong size, turn, place or fillet shows even where a point test would miss it."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tests.training.draws import Scripted  # noqa: E402
from training.synth import sdf, solids  # noqa: E402

OUTLINES = ["L", "T", "U", "regular", "blob"]
OUTLINE_SHARES = [0.25, 0.15, 0.15, 0.2, 0.25]
ZERO = np.zeros(3)


def _flat(shape):
    """A shape's tree in prefix order: its nodes' kinds, and all their numbers in the same order."""
    kinds, numbers = [], []

    def walk(node):
        kinds.append(node.kind)
        numbers.extend(node.params)
        for child in node.children:
            walk(child)
    walk(shape)
    return kinds, numbers


def _same(shape, expected):
    kinds, numbers = _flat(shape)
    want_kinds, want_numbers = _flat(expected)
    assert kinds == want_kinds
    assert numbers == pytest.approx(want_numbers, abs=1e-6)


def _turn(x=0.0, y=0.0, z=0.0):
    return sdf.rotation_matrix((x, y, z))


def _placed(shape, rotation, offset=(0.0, 0.0, 0.0)):
    return sdf.transform(shape, rotation, offset)


# ---- outlines and profiles ---------------------------------------------------------------------------

def test_an_l_outline_scaled_and_squashed():
    rng = Scripted("L", np.array([0.5, 0.4]), 0.8)
    points = solids.random_polygon(rng, 2.0)
    assert rng.calls == [("choice", (OUTLINES,), {"p": OUTLINE_SHARES}), ("uniform", (0.3, 0.6, 2)),
                         ("uniform", (0.6, 1.0))]
    # corners (−1, −1) (1, −1) (1, −1 + 2a) (−1 + 2b, −1 + 2a) (−1 + 2b, 1) (−1, 1), x times 2, y times 2 · 0.8
    assert np.array(points) == pytest.approx(np.array([(-2, -1.6), (2, -1.6), (2, 0), (-0.4, 0), (-0.4, 1.6), (-2, 1.6)]))


def test_a_t_and_a_u_outline():
    rng = Scripted("T", 0.4, 0.3, 1.0)
    points = solids.random_polygon(rng, 1.0)
    assert [c[:2] for c in rng.calls[1:]] == [("uniform", (0.25, 0.45)), ("uniform", (0.2, 0.4)), ("uniform", (0.6, 1.0))]
    assert np.array(points) == pytest.approx(np.array(
        [(-1, 1), (1, 1), (1, 0.2), (0.3, 0.2), (0.3, -1), (-0.3, -1), (-0.3, 0.2), (-1, 0.2)]))
    rng = Scripted("U", 0.25, 0.5, 0.5)
    points = solids.random_polygon(rng, 1.0)
    assert [c[:2] for c in rng.calls[1:]] == [("uniform", (0.2, 0.35)), ("uniform", (0.3, 0.7)), ("uniform", (0.6, 1.0))]
    # the slot's floor at −1 + 2 · 0.5 · 0.6 = −0.4, then y halved
    assert np.array(points) == pytest.approx(np.array(
        [(-1, -0.5), (1, -0.5), (1, 0.5), (0.5, 0.5), (0.5, -0.2), (-0.5, -0.2), (-0.5, 0.5), (-1, 0.5)]))


def test_a_regular_and_a_free_outline():
    rng = Scripted("regular", 4, math.pi / 2, 1.0)
    points = solids.random_polygon(rng, 1.5)
    assert [c[:2] for c in rng.calls[1:]] == [("integers", (3, 9)), ("uniform", (0, 2 * math.pi)), ("uniform", (0.6, 1.0))]
    assert np.array(points) == pytest.approx(np.array([(0, 1.5), (-1.5, 0), (0, -1.5), (1.5, 0)]), abs=1e-12)
    # five corners at the drawn angles, sorted, with the drawn radii in the order drawn
    angles, radii = np.array([3.0, 1.0, 2.0, 0.0, 4.0]), np.array([0.5, 0.6, 0.7, 0.8, 0.9])
    rng = Scripted("blob", 5, angles, radii, 1.0)
    points = solids.random_polygon(rng, 1.0)
    assert [c[:2] for c in rng.calls[1:]] == [("integers", (5, 11)), ("uniform", (0, 2 * math.pi, 5)),
                                              ("uniform", (0.5, 1.0, 5)), ("uniform", (0.6, 1.0))]
    want = [(r * math.cos(t), r * math.sin(t)) for r, t in zip(radii, range(5))]
    assert np.array(points) == pytest.approx(np.array(want))


def test_a_stepped_profile_with_a_taper_and_its_floor():
    # three steps of radius 2 · (0.5, 1, 0.1) over y −0.6 … 0.6; the first widens by 0.1 · 2, the second is
    # straight (0.4 is not under 0.4), the third narrows by 0.2 to 0.0 and stops at 0.05 · 2
    rng = Scripted(3, np.array([0.5, 1.0, 0.1]), 0.2, 0.1, 0.4, 0.3, -0.1)
    points = solids.random_profile(rng, 2.0, 0.6)
    assert [c[:2] for c in rng.calls] == [("integers", (2, 6)), ("uniform", (0.3, 1.0, 3)), ("random", ()),
                                          ("uniform", (-0.2, 0.2)), ("random", ()), ("random", ()), ("uniform", (-0.2, 0.2))]
    assert np.array(points) == pytest.approx(np.array(
        [(0, -0.6), (1.0, -0.6), (1.2, -0.2), (2.0, -0.2), (2.0, 0.2), (0.2, 0.2), (0.1, 0.6), (0, 0.6)]))


def test_a_smooth_profile_passes_its_control_radii_and_stays_between_them():
    rng = Scripted(np.array([0.5, 0.6, 0.3, 0.8, 0.9]), 2)
    outline = solids.smooth_profile(rng, 2.0, 0.5)
    assert rng.calls == [("uniform", (0.3, 1.0, 5)), ("integers", (1, 4))]
    assert len(outline) == 27 and outline[0] == (0.0, -0.5) and outline[-1] == (0.0, 0.5)
    radii, heights = np.array([r for r, _ in outline[1:-1]]), np.array([y for _, y in outline[1:-1]])
    assert heights == pytest.approx(np.linspace(-0.5, 0.5, 25))
    assert radii[::6] == pytest.approx([1.0, 1.2, 2.0, 1.6, 1.8])     # the third set to the widest, 2
    assert radii.max() == pytest.approx(2.0)
    assert (np.diff(radii[:13]) >= 0).all() and (np.diff(radii[12:19]) <= 0).all()   # no overshoot
    short = solids.smooth_profile(Scripted(np.array([0.5, 0.6, 0.3, 0.8, 0.9]), 1), 1.0, 1.0, points=5)
    assert np.array(short) == pytest.approx(np.array([(0, -1), (0.5, -1), (1.0, -0.5), (0.3, 0), (0.8, 0.5), (0.9, 1), (0, 1)]))


# ---- primitives and turns ----------------------------------------------------------------------------

PRIMITIVES = {   # kind: (draws, their ranges, the shape at size 2)
    "box": ((0.5, 0.6, 0.7), [(0.3, 1), (0.3, 1), (0.15, 1)], lambda: sdf.box([1.0, 1.2, 1.4])),
    "round_box": ((0.5, 0.6, 0.4, 0.25), [(0.35, 1), (0.35, 1), (0.2, 1), (0.1, 0.5)],
                  lambda: sdf.round_box([1.0, 1.2, 0.8], 0.2)),
    "cylinder": ((0.5, 0.4), [(0.3, 0.9), (0.15, 1)], lambda: sdf.cylinder(1.0, 0.8)),
    "cone": ((0.5, 0.25, 0.4), [(0.4, 0.9), (0.0, 0.5), (0.3, 0.9)], lambda: sdf.cone(1.0, 0.5, 0.8)),
    "sphere": ((0.6,), [(0.5, 0.9)], lambda: sdf.sphere(1.2)),
    "ellipsoid": ((0.4, 0.5, 0.6), [(0.3, 1)] * 3, lambda: sdf.ellipsoid([0.8, 1.0, 1.2])),
    "torus": ((0.5, 0.3), [(0.45, 0.8), (0.15, 0.45)], lambda: sdf.torus(1.0, 0.3)),
    "capsule": ((0.3, 0.4), [(0.2, 0.5), (0.2, 0.6)], lambda: sdf.capsule(0.6, 0.8)),
}


@pytest.mark.parametrize("kind", sorted(PRIMITIVES))
def test_each_primitive_from_its_draws(kind):
    draws, ranges, want = PRIMITIVES[kind]
    rng = Scripted(*draws)
    _same(solids.primitive(rng, kind, 2.0), want())
    assert [c[1] for c in rng.calls] == ranges and not rng.values


def test_an_extrusion_and_a_revolution_from_their_draws():
    # the outline's scale 2 · 0.75 drawn first, a square outline, then the half thickness 0.25 · 2
    rng = Scripted(0.75, "regular", 4, 0.0, 1.0, 0.25)
    square = sdf.polygon2d([(1.5, 0), (0, 1.5), (-1.5, 0), (0, -1.5)])
    _same(solids.primitive(rng, "extrusion", 2.0), sdf.extrude(square, 0.5))
    assert rng.calls[0][1] == (0.6, 1.0) and rng.calls[-1][1] == (0.1, 0.6)
    # the radius and half height drawn first (both 0.5 · 2), then two straight steps
    rng = Scripted(0.5, 0.5, 2, np.array([0.5, 1.0]), 0.9, 0.9)
    profile = sdf.polygon2d([(0, -1), (0.5, -1), (0.5, 0), (1.0, 0), (1.0, 1), (0, 1)])
    _same(solids.primitive(rng, "revolution", 2.0), sdf.revolve(profile))
    assert [c[1] for c in rng.calls[:3]] == [(0.4, 0.9), (0.4, 1.0), (2, 6)]


def test_axis_turns_put_a_parts_y_axis_along_the_named_axis():
    assert solids.AXIS_ROTATIONS == {"x": (0.0, 0.0, math.pi / 2), "y": (0.0, 0.0, 0.0), "z": (math.pi / 2, 0.0, 0.0)}
    for name, y_goes_to in (("x", (-1, 0, 0)), ("y", (0, 1, 0)), ("z", (0, 0, 1))):
        rng = Scripted(0.15, name)   # 0.15 is not under the default 0.15: an axis turn
        turn = solids.axis_rotation(rng)
        assert rng.calls == [("random", ()), ("choice", (["x", "y", "z"],))]
        assert turn.numpy() @ np.array([0, 1, 0]) == pytest.approx(np.array(y_goes_to, float), abs=1e-7)
    rng = Scripted(0.1, np.array([0.1, 0.2, 0.3]))
    assert torch.equal(solids.axis_rotation(rng), _turn(0.1, 0.2, 0.3))
    assert rng.calls[1] == ("uniform", (0, 2 * math.pi, 3))
    assert torch.equal(solids.axis_rotation(Scripted(0.3, np.array([0.1, 0.2, 0.3])), 0.4), _turn(0.1, 0.2, 0.3))
    assert torch.equal(solids.axis_rotation(Scripted(0.4, "y"), 0.4), _turn())


# ---- solids ------------------------------------------------------------------------------------------

def test_a_base_with_a_filleted_part_and_three_cuts():
    rng = Scripted("box", 0.4, 0.8, 0.2, 0.5, "y",                      # a box 0.3 × 0.6 × 0.15, not turned
                   1, "cylinder", np.array([0.2, 0.0, 0.0]), 0.3, 0.05, 0.5, 0.5, 0.9, "z",   # a filleted part
                   3,
                   "hole", np.array([0.1, 0.1, 0.0]), 0.1, 0.1, "z", 0.9,                 # a hole, sharp, 0.1: not under 0.05
                   "slot", np.array([-0.1, 0.0, 0.0]), 0.1, 0.2, 0.01, np.array([0.1, 0.2, 0.3]), 0.2, 0.02,
                   "pocket", np.array([0.0, 0.0, 0.15]), 0.2, 0.3, 0.25, 0.9, "y", 0.3)   # 0.3: not under 0.3
    shape, info = solids.random_solid(rng)
    assert info == "box +cylinder -hole -slot -pocket" and not rng.values
    base = _placed(sdf.box([0.3, 0.6, 0.15]), _turn())
    part = _placed(sdf.cylinder(0.2, 0.2), _turn(math.pi / 2), (0.2, 0.0, 0.0))
    want = sdf.union(base, part, 0.05)
    want = sdf.subtract(want, _placed(sdf.cylinder(0.1, 2.0), _turn(math.pi / 2), (0.1, 0.1, 0.0)), 0.0)
    slot = sdf.round_box([0.2, 2.0, 0.1], 0.1 * 0.99)
    want = sdf.subtract(want, _placed(slot, _turn(0.1, 0.2, 0.3), (-0.1, 0.0, 0.0)), 0.02)
    want = sdf.subtract(want, _placed(sdf.box([0.2, 0.3, 0.25]), _turn(), (0.0, 0.0, 0.15)), 0.0)
    _same(shape, want)
    ranges = [c[1:] for c in rng.calls]
    assert ranges[0] == ((solids.PRIMITIVES,), {"p": solids.BASE_WEIGHTS})
    assert ranges[1:5] == [((0.3, 1),), ((0.3, 1),), ((0.15, 1),), ((),)]
    assert ranges[6] == (([0, 1, 2],), {"p": [0.4, 0.4, 0.2]})
    assert ranges[7] == ((["box", "cylinder", "round_box", "sphere", "cone", "extrusion"],),)
    assert ranges[8:11] == [((-0.5, 0.5, 3),), ((),), ((0.02, 0.1),)]
    assert ranges[15] == (([0, 1, 2, 3],), {"p": [0.3, 0.35, 0.2, 0.15]})
    assert ranges[16:19] == [((["hole", "slot", "pocket"],), {"p": [0.55, 0.2, 0.25]}), ((-0.45, 0.45, 3),), ((0.05, 0.25),)]
    assert ranges[24:26] == [((0.04, 0.12),), ((0.15, 0.4),)]
    assert ranges[28:30] == [((),), ((0.01, 0.04),)]
    assert ranges[32:35] == [((0.1, 0.35),), ((0.1, 0.35),), ((0.1, 0.3),)]


def test_the_base_turns_freely_under_a_tenth_and_parts_under_the_default():
    # base turned freely (0.05 < 0.1); a part at 0.4 (not under 0.4: no fillet) turned freely (0.1 < 0.15)
    rng = Scripted("sphere", 0.6, 0.05, np.array([0.1, 0.2, 0.3]), 1, "sphere", np.array([0.0, 0.5, 0.0]), 0.4,
                   0.5, 0.1, np.array([0.0, 0.0, 1.0]), 0)
    shape, info = solids.random_solid(rng)
    assert info == "sphere +sphere"
    want = sdf.union(_placed(sdf.sphere(0.45), _turn(0.1, 0.2, 0.3)),
                     _placed(sdf.sphere(0.2), _turn(0.0, 0.0, 1.0), (0.0, 0.5, 0.0)), 0.0)
    _same(shape, want)
    rng = Scripted("sphere", 0.6, 0.1, "z", 0, 0)   # 0.1 is not under 0.1: an axis turn
    _same(solids.random_solid(rng)[0], _placed(sdf.sphere(0.45), _turn(math.pi / 2)))


@pytest.mark.parametrize("kind, want", [
    ("pin", lambda: sdf.cylinder(0.2, 0.8)),
    ("rounded_pin", lambda: sdf.capsule(0.2, 0.6)),
    ("tube", lambda: sdf.subtract(sdf.cylinder(0.2, 0.8), sdf.cylinder(0.12, 0.9))),
    ("shaft", lambda: sdf.revolve(sdf.polygon2d([(0, -0.8), (0.1, -0.8), (0.1, 0), (0.2, 0), (0.2, 0.8), (0, 0.8)]))),
])
def test_each_rod_from_its_draws(kind, want):
    # half length 0.8, four times as long as thick: radius 0.2; laid along x
    inner = {"tube": (0.6,), "shaft": (2, np.array([0.5, 1.0]), 0.9, 0.9)}.get(kind, ())
    rng = Scripted(0.8, 4.0, kind, *inner, 0.5, "x")
    shape, info = solids.random_rod(rng)
    assert info == f"rod:{kind}" and not rng.values
    _same(shape, _placed(want(), _turn(z=math.pi / 2)))
    assert [c[1:] for c in rng.calls[:3]] == [((0.6, 0.9),), ((3, 14),), ((solids.ROD_KINDS,), {"p": solids.ROD_WEIGHTS})]
    if kind == "tube":
        assert rng.calls[3][1] == (0.5, 0.8)
    assert rng.calls[-2:] == [("random", ()), ("choice", (["x", "y", "z"],))]
    free = Scripted(0.8, 4.0, "pin", 0.14, np.array([0.1, 0.2, 0.3]))   # 0.14 < 0.15: any turn
    _same(solids.random_rod(free)[0], _placed(sdf.cylinder(0.2, 0.8), _turn(0.1, 0.2, 0.3)))


def test_a_blob_of_two_ellipsoids_and_a_capsule():
    rng = Scripted(3,
                   np.array([0.25, 0.0, 0.0]), 0.5, np.array([0.2, 0.3, 0.4]), np.array([0.0, 0.0, 0.5]),
                   np.array([0.2, 0.1, 0.0]), 0.65, 0.1, 0.2, np.array([0.1, 0.0, 0.0]), 0.1,
                   np.array([0.0, 0.0, 0.3]), 0.1, np.array([0.15, 0.15, 0.15]), ZERO, 0.2)
    shape, info = solids.random_blob(rng)
    assert info == "blob:3" and not rng.values
    first = _placed(sdf.ellipsoid([0.2, 0.3, 0.4]), _turn(0.0, 0.0, 0.5), (0.1, 0.0, 0.0))   # the first near 0: 0.4 ×
    second = _placed(sdf.capsule(0.1, 0.2), _turn(0.1), (0.2, 0.1, 0.0))                   # 0.65: not under 0.65
    third = _placed(sdf.ellipsoid([0.15, 0.15, 0.15]), _turn(), (0.0, 0.0, 0.3))
    _same(shape, sdf.union(sdf.union(first, second, 0.1), third, 0.2))
    assert [c[1] for c in rng.calls] == [(3, 8), (-0.4, 0.4, 3), (), (0.12, 0.45, 3), (0, 2 * math.pi, 3),
                                         (-0.4, 0.4, 3), (), (0.06, 0.18), (0.1, 0.4), (0, 2 * math.pi, 3),
                                         (0.08, 0.25), (-0.4, 0.4, 3), (), (0.12, 0.45, 3), (0, 2 * math.pi, 3),
                                         (0.08, 0.25)]


def test_a_cluster_of_a_sphere_and_a_capsule_on_an_ellipsoid():
    rng = Scripted(np.array([0.4, 0.3, 0.5]), 0.5, 2,
                   np.array([3.0, 0.0, 4.0]), 0.2, "sphere", 1.0, ZERO, 0.02,
                   np.array([0.0, -2.0, 0.0]), 0.25, "capsule", 0.8, 1.1, np.array([0.5, 0.0, 0.0]), 0.0)
    body, shape, count = solids.cluster_parts(rng)
    assert count == 2 and not rng.values
    _same(body, sdf.ellipsoid([0.4, 0.3, 0.5]))
    # the sphere (0.8 · 0.2) centred on the body's surface along (0.6, 0, 0.8): (0.24, 0, 0.4)
    sphere = _placed(sdf.sphere(0.16), _turn(), (0.24, 0.0, 0.4))
    capsule = _placed(sdf.capsule(0.1125, 0.2), _turn(0.5), (0.0, -0.33, 0.0))   # 1.1 times out along −y
    _same(shape, sdf.union(sdf.union(body, sphere, 0.02), capsule, 0.0))
    assert [c[1:] for c in rng.calls[:7]] == [((0.3, 0.5, 3),), ((),), ((2, 7),), ((), {"size": 3}), ((0.1, 0.28),),
                                              ((solids.CLUSTER_PARTS,), {"p": solids.CLUSTER_WEIGHTS}), ((0.85, 1.15),)]
    assert [c[1] for c in rng.calls[7:9]] == [(0, 2 * math.pi, 3), (0.0, 0.04)]
    assert rng.calls[12][1] == (0.5, 1.2)


@pytest.mark.parametrize("kind, draws, part", [
    ("ellipsoid", (np.array([0.5, 1.0, 0.8]),), lambda: sdf.ellipsoid([0.1, 0.2, 0.16])),
    ("cylinder", (0.5,), lambda: sdf.cylinder(0.12, 0.1)),
    ("round_box", (np.array([0.5, 0.6, 0.7]),), lambda: sdf.round_box([0.1, 0.12, 0.14], 0.03)),
])
def test_each_cluster_part_on_a_rounded_box(kind, draws, part):
    # 0.7 (not under 0.7): a rounded box of 0.8 × the radii, rounded by 0.3 × the smallest; one part of size 0.2
    rng = Scripted(np.array([0.4, 0.3, 0.5]), 0.7, 1, np.array([0.0, 0.0, 1.0]), 0.2, kind, *draws, 1.0, ZERO, 0.0)
    body, shape, count = solids.cluster_parts(rng)
    assert count == 1 and not rng.values
    _same(body, sdf.round_box([0.32, 0.24, 0.4], 0.09))
    _same(shape, sdf.union(body, _placed(part(), _turn(), (0.0, 0.0, 0.5)), 0.0))
    want_range = {"ellipsoid": (0.5, 1.0, 3), "cylinder": (0.4, 1.0), "round_box": (0.4, 0.9, 3)}[kind]
    assert rng.calls[6][1] == want_range


def test_a_cluster_is_its_parts_turned_whole():
    draws = (np.array([0.4, 0.3, 0.5]), 0.5, 1, np.array([0.0, 0.0, 1.0]), 0.2, "sphere", 1.0, ZERO, 0.0)
    rng = Scripted(*draws, np.array([0.3, 0.2, 0.1]))
    shape, info = solids.random_cluster(rng)
    assert info == "cluster:1" and rng.calls[-1] == ("uniform", (0, 2 * math.pi, 3))
    _same(shape, _placed(solids.cluster_parts(Scripted(*draws))[1], _turn(0.3, 0.2, 0.1)))


@pytest.mark.parametrize("axis", range(3))
def test_a_plate_lies_across_its_axis(axis):
    rng = Scripted(0.75, "regular", 4, 0.0, 1.0, 0.1)
    plate, outline, info = solids.random_plate(rng, axis)
    square = sdf.polygon2d([(0.75, 0), (0, 0.75), (-0.75, 0), (0, -0.75)])
    assert info == "plate" and not rng.values
    _same(outline, square)
    _same(plate, sdf.along_axis(sdf.extrude(square, 0.1), axis))
    assert rng.calls[0][1] == (0.6, 0.9) and rng.calls[-1][1] == (0.05, 0.2)


# ---- vessels -----------------------------------------------------------------------------------------

# a squat body (0.2 < 0.5), half high 0.4 and 0.6 wide, its radii 0.6 · (0.5, 0.7, 1, 1, 0.6) at five heights
# (the third drawn 0.3 and set to the widest): flat at 0.6 between y = 0 and 0.2
SQUAT = (0.2, 0.4, 0.6, np.array([0.5, 0.7, 0.3, 1.0, 0.6]), 2)
HANDLE = (0.3, 0.2, 0.05, 0.25, 0.04)          # a ring 0.2 round, 0.05 thick, at y = 0.25 · 0.4, fillet 0.04
SPOUT = (0.2, 0.5, 0.2, 0.1, -0.5, 0.5, 0.03)  # leaning 0.5, 0.2 long, base 0.1 tapering to half, at y = −0.2
KNOB = (0.1, 0.1)                              # a ball 0.1 round on the top


def _body(heights=25):
    outline = solids.smooth_profile(Scripted(np.array([0.5, 0.7, 0.3, 1.0, 0.6]), 2), 0.6, 0.4, heights)
    return sdf.revolve(sdf.polygon2d(outline))


def test_a_jug_with_a_handle_a_spout_and_a_knob():
    rng = Scripted(*SQUAT, *HANDLE, *SPOUT, *KNOB)
    shape, info = solids.vessel_body(rng)
    assert info == "vessel:+handle+spout+knob" and not rng.values
    # the handle's centre 0.6 of its radius outside the body's 0.6 at y = 0.1
    ring = _placed(sdf.torus(0.2, 0.05), _turn(math.pi / 2), (0.6 + 0.12, 0.1, 0.0))
    want = sdf.union(_body(), ring, 0.04)
    # the spout's centre 0.2 along its lean from 0.7 of the body's radius at y = −0.2 (0.42 there) on −x
    centre = (-0.42 * 0.7 - 0.2 * math.sin(0.5), -0.2 + 0.2 * math.cos(0.5), 0.0)
    want = sdf.union(want, _placed(sdf.cone(0.1, 0.05, 0.2), _turn(z=0.5), centre), 0.03)
    want = sdf.union(want, _placed(sdf.sphere(0.1), _turn(), (0.0, 0.4 + 0.06, 0.0)), 0.05)
    _same(shape, want)
    ranges = [c[1] for c in rng.calls]
    assert ranges[:3] == [(), (0.3, 0.5), (0.55, 0.8)]
    assert ranges[5:10] == [(), (0.15, 0.3), (0.03, 0.07), (-0.3, 0.3), (0.02, 0.06)]
    assert ranges[10:17] == [(), (0.4, 1.1), (0.15, 0.3), (0.05, 0.11), (-0.5, 0.2), (0.35, 0.8), (0.02, 0.06)]
    assert ranges[17:] == [(), (0.05, 0.12)]


def test_a_plain_tall_vessel_and_the_shares_edges():
    # 0.5 is not under 0.5: tall; 0.45, 0.35 and 0.3 are not under theirs: no handle, spout or knob
    rng = Scripted(0.5, 0.4, 0.6, np.array([0.5, 0.7, 0.3, 1.0, 0.6]), 2, 0.45, 0.35, 0.3)
    shape, info = solids.vessel_body(rng)
    assert info == "vessel:plain" and not rng.values
    assert [c[1] for c in rng.calls[:3]] == [(), (0.55, 0.85), (0.3, 0.55)]
    _same(shape, _body())


def test_a_vessel_stands_up_or_turns_and_spins_its_handle_anywhere():
    plain = (0.5, 0.4, 0.6, np.array([0.5, 0.7, 0.3, 1.0, 0.6]), 2, 0.45, 0.35, 0.3)
    rng = Scripted(*plain, 1.0, 0.5)          # spun 1.0 about its axis, then stood upright (0.5 < 0.6)
    shape, info = solids.random_vessel(rng)
    assert info == "vessel:plain" and not rng.values
    _same(shape, _placed(_body(), _turn(math.pi / 2) @ _turn(y=1.0)))
    assert [c[1] for c in rng.calls[-2:]] == [(0, 2 * math.pi), ()]
    rng = Scripted(*plain, 1.0, 0.6, 0.5, "x")   # 0.6: not stood; 0.5 is not under 0.2: an axis turn
    _same(solids.random_vessel(rng)[0], _placed(_body(), _turn(z=math.pi / 2) @ _turn(y=1.0)))
    rng = Scripted(*plain, 1.0, 0.6, 0.19, np.array([0.1, 0.2, 0.3]))   # 0.19 < 0.2: any turn
    _same(solids.random_vessel(rng)[0], _placed(_body(), _turn(0.1, 0.2, 0.3) @ _turn(y=1.0)))

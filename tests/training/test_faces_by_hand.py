"""Machined face features (training/synth/faces.py) on boxes whose faces are known: the probe's entry and
thickness, the face it finds, the cutter's extent, and pockets, counterbores, grids and steps cut where
a stand-in generator puts them."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tests.training.draws import Scripted as _Script  # noqa: E402
from training.synth import faces, sdf  # noqa: E402

STEP = 2.6 / 130 + 1e-6   # the probe's sample spacing along its rays (and rounding)


def _at(shape, *points):
    return [float(v) for v in shape(torch.tensor(points, dtype=torch.float32))]


def test_the_probe_of_a_box_from_each_side():
    box = sdf.box([0.5, 0.4, 0.3])
    lat, entry, thick = faces.probe(box, 2, 1.0)
    assert lat.shape == (17 * 17, 2) and lat[0].tolist() == pytest.approx([-0.95, -0.95])
    assert lat[1].tolist() == pytest.approx([-0.95, -0.95 + 1.9 / 16])      # v runs fastest
    inside = (np.abs(lat[:, 0]) < 0.5) & (np.abs(lat[:, 1]) < 0.4)
    assert np.array_equal(np.isfinite(entry), inside)                      # NaN where a ray misses
    assert np.all(np.abs(entry[inside] - 0.3) <= STEP) and np.all(entry[inside] <= 0.3)   # the top, from above
    assert np.all(np.abs(thick[inside] - 0.6) <= 2 * STEP)
    spacing = 2.6 / 130
    assert np.allclose(thick[inside] / spacing, np.round(thick[inside] / spacing), atol=1e-9)   # whole samples
    tall = faces.probe(sdf.box([0.5, 0.4, 2.0]), 2, 1.0)                    # past the probe's reach both ways
    assert np.nanmax(tall[1]) == pytest.approx(1.3) and np.nanmax(tall[2]) == pytest.approx(2.6)   # never leaves: to the end
    lat, entry, thick = faces.probe(box, 0, -1.0)                          # from −x, across y and z
    inside = (np.abs(lat[:, 0]) < 0.4) & (np.abs(lat[:, 1]) < 0.3)
    assert np.array_equal(np.isfinite(entry), inside)
    assert np.all(np.abs(entry[inside] + 0.5) <= STEP) and np.all(np.abs(thick[inside] - 1.0) <= 2 * STEP)
    floating = sdf.union(box, sdf.transform(sdf.box([0.1, 0.1, 0.1]), torch.eye(3), (0.0, 0.0, 0.5)))
    lat, entry, thick = faces.probe(floating, 2, 1.0)                       # a cube 0.1 above the box's top
    middle = np.argmin(np.abs(lat).sum(1))                                  # the ray through (0, 0)
    assert entry[middle] == pytest.approx(0.6, abs=STEP)                   # enters the cube …
    assert thick[middle] == pytest.approx(0.2, abs=2 * STEP)               # … and the thickness ends where it first leaves


def test_the_face_found_on_a_box_and_none_on_a_sheet():
    found = faces._face(sdf.box([0.5, 0.4, 0.3]), 2, 1.0)
    pts, lo, hi, level, thick = found
    assert level == pytest.approx(0.3, abs=STEP) and thick == pytest.approx(0.6, abs=2 * STEP)
    assert np.all(lo >= [-0.5, -0.4]) and np.all(hi <= [0.5, 0.4]) and len(pts) == 9 * 7
    assert faces._face(sdf.box([0.5, 0.4, 0.05]), 2, 1.0) is None          # 0.1 thick: too thin to pocket
    assert faces._face(sdf.box([0.1, 0.1, 0.3]), 2, 1.0) is None           # 2 × 2 rays only
    # a boss on top: the face is the boss (within 0.08 of the nearest entry), its lower rim left out
    boss = sdf.union(sdf.box([0.5, 0.4, 0.3]), sdf.transform(sdf.box([0.3, 0.2, 0.1]), torch.eye(3), (0.0, 0.0, 0.35)))
    pts, lo, hi, level, _ = faces._face(boss, 2, 1.0)
    assert level == pytest.approx(0.45, abs=STEP) and np.all(np.abs(pts) < [0.3, 0.2])
    under = faces._face(sdf.box([0.5, 0.4, 0.3]), 2, -1.0)                 # from below: the bottom at z = −0.3
    assert under[3] == pytest.approx(-0.3, abs=STEP)


def test_the_cutter_reaches_from_outside_the_face_to_its_depth():
    disc = sdf.rounded_rect2d(0.1, 0.1, 0.1)
    cutter = faces._cutter(disc, 2, 1.0, (0.2, -0.1), 0.3, 0.2)            # face at z = 0.3, 0.2 deep
    # from z = 0.3 + CLEARANCE = 0.6 down to 0.1, a disc of 0.1 round (0.2, −0.1)
    assert _at(cutter, (0.2, -0.1, 0.05), (0.2, -0.1, 0.65), (0.2, -0.1, 0.3), (0.45, -0.1, 0.3)) == \
        pytest.approx([0.05, 0.05, -0.1, 0.15], abs=1e-6)
    down = faces._cutter(disc, 0, -1.0, (0.2, -0.1), -0.5, 0.2)            # the −x face at x = −0.5
    # from x = −0.8 to −0.3, centred at (y, z) = (0.2, −0.1)
    assert _at(down, (-0.25, 0.2, -0.1), (-0.85, 0.2, -0.1), (-0.5, 0.2, -0.1), (-0.5, 0.45, -0.1)) == \
        pytest.approx([0.05, 0.05, -0.1, 0.15], abs=1e-6)


BOX = sdf.transform(sdf.box([0.5, 0.4, 0.3]), torch.eye(3), (0.15, -0.1, 0.0))   # off the centre, so lo + hi ≠ 0
DOWN = np.array([0.0, 0.0, -1.0])   # a camera looking down: the top face faces it


def test_a_round_pocket_where_it_is_put():
    # facing (0.1 < 0.7), depth 0.5 of the thickness, a pocket, size 0.3 of the span, the face's point
    # 31 (of 63), a round profile
    rng = _Script(0.1, 0.5, "pocket", np.array([0.3, 0.3]), 31, "round")
    cut, info = faces.cut_face(BOX, rng, DOWN)
    assert info == " -face_pocket" and not rng.values
    assert rng.calls == [("random", ()), ("uniform", (0.2, 0.7)), ("choice", (faces.KINDS,), {"p": faces.KIND_WEIGHTS}),
                         ("uniform", (0.15, 0.4, 2)), ("integers", (0, len(faces._face(BOX, 2, 1.0)[0]))),
                         ("choice", (["rect", "round", "polygon", "slot"],), {"p": [0.35, 0.3, 0.2, 0.15]})]
    pts, lo, hi, level, thick = faces._face(BOX, 2, 1.0)
    centre = pts[31]
    floor = level - thick * 0.5
    # the pocket is empty down to its floor and solid below it; the box is untouched away from it
    x, y = float(centre[0]), float(centre[1])
    assert _at(cut, (x, y, floor + 0.03))[0] > 0 and _at(cut, (x, y, floor - 0.03))[0] < 0
    far = (float(2 * centre[0] - 0.15 > 0 and -0.3 or 0.6), float(2 * centre[1] + 0.1 > 0 and -0.45 or 0.25), 0.25)
    assert _at(cut, far) == pytest.approx(_at(BOX, far))                   # the opposite corner untouched
    radius = min((hi - lo) * 0.3)
    assert _at(cut, (x + radius + 0.02, y, 0.25))[0] < 0                    # just outside its rim: material


def test_a_counterbore_goes_through_and_a_step_takes_a_slab():
    rng = _Script(0.1, 0.5, "counterbore", np.array([0.3, 0.3]), 31, "round", 0.5)
    cut, info = faces.cut_face(BOX, rng, DOWN)
    assert info == " -counterbore" and rng.calls[-1] == ("uniform", (0.3, 0.6))
    x, y = (float(v) for v in faces._face(BOX, 2, 1.0)[0][31])
    _, lo, hi, _, _ = faces._face(BOX, 2, 1.0)
    r = min((hi - lo) * 0.3) * 0.5                                           # the hole: half the pocket's smaller half
    assert _at(cut, (x, y, -0.25))[0] > 0                                   # through the bottom
    assert _at(cut, (x + 0.8 * r, y + 0.8 * r, -0.25))[0] < 0               # round: 1.13 r off is material
    assert _at(cut, (x + 1.1 * r, y, -0.25))[0] < 0 and _at(cut, (x + 0.9 * r, y, -0.25))[0] > 0
    # the step: across u (0), the line at a quarter of the span, the slab on the low side (0.6 ≥ 0.5)
    rng = _Script(0.1, 0.5, "step", 0, 0.25, 0.6)
    cut, info = faces.cut_face(BOX, rng, DOWN)
    assert info == " -step" and rng.calls[3:] == [("integers", (0, 2)), ("uniform", (0.25, 0.75)), ("random", ())]
    _, lo, hi, level, thick = faces._face(BOX, 2, 1.0)
    line = lo[0] + (hi[0] - lo[0]) * 0.25
    floor = level - thick * 0.5
    assert _at(cut, (line - 0.1, 0.0, floor + 0.03))[0] > 0                 # the slab is gone left of the line
    assert _at(cut, (line + 0.1, 0.0, floor + 0.03))[0] < 0                 # and kept right of it
    cut, _ = faces.cut_face(BOX, _Script(0.1, 0.5, "step", 0, 0.25, 0.4), DOWN)   # 0.4 < 0.5: the high side
    assert _at(cut, (line + 0.1, 0.0, floor + 0.03))[0] > 0 and _at(cut, (line - 0.1, 0.0, floor + 0.03))[0] < 0


def test_a_grid_of_pockets():
    # 3 × 2 cells over 0.8 of the span, pockets 0.35 of the pitch, rectangles with no corner radius
    rng = _Script(0.1, 0.5, "grid", 3, 2, 0.8, 0.35, "rect", 0.0)
    cut, info = faces.cut_face(BOX, rng, DOWN)
    assert info == " -pocket_grid3x2" and not rng.values
    assert rng.calls[3:7] == [("integers", (1, 5)), ("integers", (1, 4)), ("uniform", (0.6, 0.85)), ("uniform", (0.3, 0.42))]
    _, lo, hi, level, thick = faces._face(BOX, 2, 1.0)
    mid, pitch = (lo + hi) / 2, (hi - lo) * 0.8 / np.array([3, 2])
    floor = level - thick * 0.5
    for i in (-1, 0, 1):
        for j in (-0.5, 0.5):
            x, y = float(mid[0] + i * pitch[0]), float(mid[1] + j * pitch[1])
            assert _at(cut, (x, y, floor + 0.03))[0] > 0                    # each cell's pocket
    assert _at(cut, (float(mid[0] + pitch[0] / 2), float(mid[1] + pitch[1] / 2), floor + 0.03))[0] < 0   # a rib
    single = _Script(0.1, 0.5, "grid", 1, 1, 0.8, 0.35, "round")           # 1 × 1 becomes 2 × 1
    assert faces.cut_face(BOX, single, DOWN)[1] == " -pocket_grid2x1"
    square = _Script(0.1, 0.5, "grid", 3, 3, 0.8, 0.35, "round")           # 3 × 3 stays
    assert faces.cut_face(BOX, square, DOWN)[1] == " -pocket_grid3x3"


def test_the_side_a_feature_goes_on():
    looking = np.array([0.2, -0.9, 0.1])        # mostly along −y: the facing side is +y
    rng = _Script(0.69, 0.5, "pocket", np.array([0.3, 0.3]), 0, "round")   # 0.69 < 0.7: the facing side
    cut, _ = faces.cut_face(BOX, rng, looking)
    grid = np.stack(np.meshgrid(np.linspace(-0.45, 0.45, 19), np.linspace(-0.25, 0.25, 11)), -1).reshape(-1, 2)
    front = [(x, 0.38, z) for x, z in grid]
    back = [(x, -0.38, z) for x, z in grid]
    assert _at(cut, *front) != pytest.approx(_at(BOX, *front))            # the pocket is in the +y face
    assert _at(cut, *back) == pytest.approx(_at(BOX, *back))
    other = _Script(0.7, 2, -1.0, 0.5, "pocket", np.array([0.3, 0.3]), 0, "round")   # 0.7: a random side
    faces.cut_face(BOX, other, looking)
    assert other.calls[:3] == [("random", ()), ("integers", (0, 3)), ("choice", ([-1.0, 1.0],))]
    assert other.calls[6][1] == (0, len(faces._face(BOX, 2, -1.0)[0]))     # points of the bottom face
    none = _Script(2, 1.0)                                                   # no camera: a random side …
    sheet = sdf.box([0.5, 0.4, 0.03])
    assert faces.cut_face(sheet, none) == (sheet, "")                       # … with no face to cut: unchanged
    assert none.calls == [("integers", (0, 3)), ("choice", ([-1.0, 1.0],))]


def test_pocket_profiles_by_hand():
    rect = faces._profile(_Script("rect", 0.25), 0.4, 0.2)
    assert rect.kind == "rounded_rect" and rect.params == pytest.approx((0.35, 0.15, 0.05))   # corner 0.25 · 0.2
    rng = _Script("rect", 0.25)
    faces._profile(rng, 0.4, 0.2)
    assert rng.calls == [("choice", (["rect", "round", "polygon", "slot"],), {"p": [0.35, 0.3, 0.2, 0.15]}),
                         ("uniform", (0.0, 0.4))]
    slot = faces._profile(_Script("slot"), 0.4, 0.2)        # ends rounded by the half-width
    assert slot.params == pytest.approx((0.2, 0.0, 0.2))
    disc = faces._profile(_Script("round"), 0.4, 0.2)       # a disc of the smaller half
    assert disc.params == pytest.approx((0.0, 0.0, 0.2))
    rng = _Script("polygon", 6, 0.3)
    hexagon = faces._profile(rng, 0.4, 0.2)
    assert rng.calls[1:] == [("choice", ([5, 6, 8],)), ("uniform", (0, 2 * np.pi))]
    assert hexagon.kind == "polygon" and len(hexagon.params) == 12
    assert hexagon.params[:2] == pytest.approx((0.2 * np.cos(0.3), 0.2 * np.sin(0.3)))


def test_square_and_honeycomb_lattices_by_hand():
    # pitch 0.4, ribs 0.1: cells 0.15 from their centres to their walls
    rng = _Script(0.4, 0.0)
    square, kind = faces._lattice(rng, 0.4, 0.1, (3, 3))
    assert kind == "square" and rng.calls == [("random", ()), ("uniform", (0.0, 0.3))]
    # a cell at the centre and one a pitch along; a rib halfway between them
    assert _at(square, (0, 0), (0.4, 0), (0.2, 0), (0.4, 0.4)) == pytest.approx([-0.15, -0.15, 0.05, -0.15])
    honey, kind = faces._lattice(_Script(0.6), 0.4, 0.1, (3, 3))   # 0.6 ≥ 0.5: hexagons
    assert kind == "honeycomb"
    row = 0.4 * np.sqrt(3) / 2
    # rows 2·row apart hold cells a pitch apart; the rows between are shifted half a pitch
    assert _at(honey, (0, 0), (0.4, 0), (0.2, row), (0.0, 2 * row)) == pytest.approx([-0.15] * 4, abs=1e-6)
    assert _at(honey, (0.2, 0))[0] == pytest.approx(0.05, abs=1e-6)   # a rib: 0.2 − 0.15 from the flats
    assert _at(honey, (0.0, row))[0] > 0                               # between the shifted cells


def test_a_ribbed_plate():
    plate = sdf.transform(sdf.box([0.6, 0.5, 0.2]), torch.eye(3), (0.1, -0.05, 0.0))
    outline = sdf.shift2d(sdf.rounded_rect2d(0.6, 0.5), (0.1, -0.05))   # the plate's outline in x and y
    # pitch span / 4, ribs 0.1 of it, 0.5 of the thickness deep, a rim of 1.5 ribs, square cells
    rng = _Script(4.0, 0.1, 0.5, 1.5, 0.4, 0.0)
    cut, info = faces.rib_lattice(plate, outline, rng, DOWN)
    assert info == " -ribbed_square" and not rng.values
    assert rng.calls[:4] == [("uniform", (3, 8)), ("uniform", (0.08, 0.2)), ("uniform", (0.4, 0.85)), ("uniform", (1.0, 2.0))]
    _, lo, hi, level, thick = faces._face(plate, 2, 1.0)
    span = hi - lo
    pitch = float(span.max()) / 4
    wall, floor, rim = pitch * 0.1, level - thick * 0.5, pitch * 0.1 * 1.5
    counts = [int(np.ceil(float(s) / pitch)) + 2 for s in span]
    assert counts == [6, 6]                                                 # even: cells half a pitch off the centre
    centre = (lo + hi) / 2
    x, y = float(centre[0]) + pitch / 2, float(centre[1]) + pitch / 2      # a cell's middle
    assert _at(cut, (x, y, floor + 0.02))[0] > 0                           # open down to its floor
    assert _at(cut, (x, y, floor - 0.02))[0] < 0
    assert _at(cut, (x + pitch / 2, y, floor + 0.02))[0] < 0                # a rib between two cells
    assert _at(cut, (x + pitch / 2 - wall, y, floor + 0.02))[0] > 0         # just inside the cell's wall
    assert _at(cut, (0.7 - rim / 2, y, floor + 0.02))[0] < 0                # the rim inside the outline
    assert _at(cut, (x - 2 * pitch, y - 2 * pitch, floor + 0.02))[0] > 0    # cells two pitches off too
    assert _at(cut, (x, y, -0.15)) == pytest.approx(_at(plate, (x, y, -0.15)))   # the back untouched
    up = faces.rib_lattice(plate, outline, _Script(4.0, 0.1, 0.5, 1.5, 0.4, 0.0), -DOWN)[0]   # a camera below
    bottom = -level + thick * 0.5                                           # the floor, up from the bottom face
    assert _at(up, (x, y, bottom - 0.02))[0] > 0 and _at(up, (x, y, bottom + 0.02))[0] < 0
    assert _at(up, (x, y, 0.15)) == pytest.approx(_at(plate, (x, y, 0.15)))
    sheet = sdf.box([0.5, 0.4, 0.03])
    assert faces.rib_lattice(sheet, outline, _Script(), DOWN) == (sheet, "")   # no face thick enough: unchanged


def test_a_pocket_kept_inside_its_face_and_centred_on_a_narrow_one():
    rng = _Script(0.1, 0.5, "pocket", np.array([0.3, 0.3]), 0, "round")    # the face's first point: its corner
    cut, _ = faces.cut_face(BOX, rng, DOWN)
    pts, lo, hi, level, thick = faces._face(BOX, 2, 1.0)
    assert pts[0].tolist() == pytest.approx(lo.tolist())
    size = (hi - lo) * 0.3
    x, y = (float(v) for v in lo + size)                                     # pulled in by its size
    floor = level - thick * 0.5
    assert _at(cut, (x, y, floor + 0.03))[0] > 0
    r = float(min(size))
    assert _at(cut, (x - r - 0.03, y, floor + 0.03))[0] < 0                 # the wall beyond its rim stands
    last = len(pts) - 1                                                       # the face's last point: the far corner
    cut, _ = faces.cut_face(BOX, _Script(0.1, 0.5, "pocket", np.array([0.3, 0.3]), last, "round"), DOWN)
    assert pts[last].tolist() == pytest.approx(hi.tolist())
    x, y = (float(v) for v in hi - size)
    assert _at(cut, (x, y, floor + 0.03))[0] > 0 and _at(cut, (x + r + 0.03, y, floor + 0.03))[0] < 0
    big = (hi - lo) * 0.4                                                     # 0.4 of the span: still pulled in
    cut, _ = faces.cut_face(BOX, _Script(0.1, 0.5, "pocket", np.array([0.4, 0.4]), 0, "round"), DOWN)
    x, y = (float(v) for v in lo + big)
    assert _at(cut, (x, y, floor + 0.03))[0] > 0
    assert _at(cut, (x - float(min(big)) - 0.03, y, floor + 0.03))[0] < 0
    bar = sdf.transform(sdf.box([0.5, 0.05, 0.3]), torch.eye(3), (0.2, 0.0, 0.0))   # one row of rays across it
    rng = _Script(0.1, 0.5, "pocket", np.array([0.4, 0.4]), 0, "round")
    cut, _ = faces.cut_face(bar, rng, DOWN)
    pts, lo, hi, level, thick = faces._face(bar, 2, 1.0)
    assert lo[1] == hi[1] == 0.0                                            # no width to pull in by
    middle = (lo + hi) / 2                                                  # so the pocket goes in the middle
    assert _at(cut, (float(middle[0]), 0.0, level - 0.02))[0] > 0
    assert _at(cut, (float(pts[0][0]) + 0.02, 0.0, level - 0.02))[0] < 0    # not at the corner it was given

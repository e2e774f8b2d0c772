"""Hollow open parts (training/synth/shells.py) built from draws a stand-in generator gives: a box tray's
wall, floor and opening, its ribs, bosses, holes and flange where the draws put them, and the tray turned
to face the camera, away from it, or freely."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tests.training.draws import Scripted  # noqa: E402
from training.synth import shells  # noqa: E402

# a box body 0.6 × 0.5 × 0.4 (half sizes), a wall 0.05 thick, cut open at the rim
# (0.4 − 1.5 · 0.05) · 1.0 = 0.325, inner features standing up to the rim
TRAY = ("box", 0.4, 0.6, 0.5, 0.05, 1.0, 0.0)
NONE = (0.9, 0.9, 0.9, 0.9)   # no ribs, bosses, holes or flange


def _at(shape, *points):
    return [float(v) for v in shape(torch.tensor(points, dtype=torch.float32))]


def _solid(shape, point):
    return _at(shape, point)[0] < 0


def test_a_box_tray_by_hand():
    rng = Scripted(*TRAY, *NONE)
    tray, info = shells.open_shell(rng)
    assert info == "shell:box" and not rng.values
    assert rng.calls == [("choice", (shells.BODIES,), {"p": shells.BODY_WEIGHTS}), ("uniform", (0.2, 0.5)),
                         ("uniform", (0.4, 0.8)), ("uniform", (0.3, 0.7)), ("uniform", (0.03, 0.08)),
                         ("uniform", (0.4, 1.0)), ("uniform", (0.0, 0.5)), ("random", ()), ("random", ()),
                         ("random", ()), ("random", ())]
    # hollow inside (0.35 from the inner wall's nearest face); the floor, the side walls and their
    # thickness; nothing above the rim
    assert _at(tray, (0, 0, 0))[0] == pytest.approx(0.35)
    assert _solid(tray, (0, 0, -0.375)) and not _solid(tray, (0, 0, -0.34))
    assert _solid(tray, (0.575, 0, 0)) and _solid(tray, (0, -0.475, 0)) and not _solid(tray, (0.54, 0, 0))
    assert _solid(tray, (0.575, 0, 0.3)) and not _solid(tray, (0.575, 0, 0.35))
    assert not _solid(tray, (0, 0, 0.375))                                  # the lid is cut away


def test_a_lower_rim_and_features_standing_lower():
    # rim (0.4 − 0.075) · 0.5 = 0.1625; features up to 0.1625 − 0.5 · (0.1625 + 0.4) = −0.11875
    low = ("box", 0.4, 0.6, 0.5, 0.05, 0.5, 0.5)
    tray, _ = shells.open_shell(Scripted(*low, *NONE))
    assert _solid(tray, (0.575, 0, 0.15)) and not _solid(tray, (0.575, 0, 0.18))
    ribbed, _ = shells.open_shell(Scripted(*low, 0.1, 1, 0, 0.5, 0.9, 0.9, 0.9))   # a rib half the wall thick
    assert _solid(ribbed, (0.01, 0.2, -0.15)) and not _solid(ribbed, (0.01, 0.2, -0.08))
    assert not _solid(ribbed, (0.03, 0.2, -0.15))                          # 0.025 either side of x = 0
    bossed, _ = shells.open_shell(Scripted(*low, 0.9, 0.1, 1, 0.1, np.array([0.2, 0.1]), 0.7, 0.9, 0.9))
    assert _solid(bossed, (0.2, 0.1, -0.15)) and not _solid(bossed, (0.2, 0.1, -0.08))
    flanged, _ = shells.open_shell(Scripted(*TRAY, 0.9, 0.9, 0.9, 0.1, 0.1, 0.8))   # 0.8 of the wall deep: 0.04
    assert _solid(flanged, (0.65, 0.0, 0.29)) and not _solid(flanged, (0.65, 0.0, 0.28))


def test_ribs_bosses_holes_and_a_flange_where_the_draws_put_them():
    # one rib across x (along 0) of the wall's thickness, standing up to the rim
    rng = Scripted(*TRAY, 0.1, 1, 0, 1.0, 0.9, 0.9, 0.9)
    tray, info = shells.open_shell(rng)
    assert info == "shell:box+ribs1" and rng.calls[8:11] == [("integers", (1, 4)), ("integers", (0, 2)), ("uniform", (0.5, 1.0))]
    assert _solid(tray, (0.0, 0.2, 0.0)) and _solid(tray, (0.02, -0.3, 0.3)) and not _solid(tray, (0.1, 0.2, 0.0))
    assert not _solid(tray, (0.0, 0.2, 0.34))                               # not above the rim
    two = shells.open_shell(Scripted(*TRAY, 0.1, 2, 1, 1.0, 1.0, 0.9, 0.9, 0.9))[0]   # two across y
    at = 0.8 * (1 / 3 * 1.6 - 0.8)                                          # at ±0.8 · (k / 3 · 1.6 − 0.8)
    assert _solid(two, (0.2, at, 0.0)) and _solid(two, (0.2, -at, 0.0)) and not _solid(two, (0.2, 0.0, 0.0))
    # a boss of radius 0.1 at (0.2, 0.1), bored through (0.3 < 0.6) with half its radius
    rng = Scripted(*TRAY, 0.9, 0.1, 1, 0.1, np.array([0.2, 0.1]), 0.3, 0.9, 0.9)
    tray, info = shells.open_shell(rng)
    assert info == "shell:box+bosses"
    assert rng.calls[8:13] == [("random", ()), ("integers", (1, 5)), ("uniform", (0.04, 0.12)),
                               ("uniform", (-0.5, 0.5, 2)), ("random", ())]
    assert _solid(tray, (0.28, 0.1, 0.0)) and not _solid(tray, (0.2, 0.1, 0.0))
    assert _solid(tray, (0.2, 0.1, -0.375))                                 # the bore is the boss's: the floor stays
    assert not _solid(tray, (0.32, 0.1, 0.0)) and not _solid(tray, (0.28, 0.1, 0.34))
    solid_boss = shells.open_shell(Scripted(*TRAY, 0.9, 0.1, 1, 0.1, np.array([0.2, 0.1]), 0.7, 0.9, 0.9))[0]
    assert _solid(solid_boss, (0.2, 0.1, 0.0)) and _solid(solid_boss, (0.2, 0.1, -0.375))   # 0.7: not bored
    # a hole of radius 0.05 through the floor at (−0.3, −0.2)
    rng = Scripted(*TRAY, 0.9, 0.9, 0.1, 1, np.array([-0.3, -0.2]), 0.05, 0.9)
    tray, info = shells.open_shell(rng)
    assert info == "shell:box-holes" and rng.calls[9:13] == [("random", ()), ("integers", (1, 5)),
                                                             ("uniform", (-0.5, 0.5, 2)), ("uniform", (0.03, 0.1))]
    assert not _solid(tray, (-0.3, -0.2, -0.375)) and _solid(tray, (-0.24, -0.2, -0.375))
    # a flange 0.1 out from the body, 0.05 deep under the rim
    rng = Scripted(*TRAY, 0.9, 0.9, 0.9, 0.1, 0.1, 1.0)
    tray, info = shells.open_shell(rng)
    assert info == "shell:box+flange" and rng.calls[-2:] == [("uniform", (0.06, 0.2)), ("uniform", (0.8, 1.5))]
    assert _solid(tray, (0.65, 0.0, 0.3)) and not _solid(tray, (0.65, 0.0, 0.25)) and not _solid(tray, (0.75, 0.0, 0.3))
    assert not _solid(tray, (0.0, 0.0, 0.3))                                # the opening stays open


BODY_DRAWS = {"box": [("uniform", (0.4, 0.8)), ("uniform", (0.3, 0.7))],
              "round_box": [("uniform", (0.4, 0.8)), ("uniform", (0.3, 0.7)), ("uniform", (0.1, 0.5))],
              "cylinder": [("uniform", (0.35, 0.8))], "polygon": [("uniform", (0.55, 0.8))],
              "bowl": [("uniform", (0.45, 0.8))]}


@pytest.mark.parametrize("kind", shells.BODIES)
def test_each_body_draws_its_own_sizes(kind):
    recorded = Scripted(then=np.random.default_rng(5))
    shells._body(recorded, kind)
    assert recorded.calls[:1 + len(BODY_DRAWS[kind])] == [("uniform", (0.2, 0.5))] + BODY_DRAWS[kind]


@pytest.mark.parametrize("kind", shells.BODIES)
def test_every_body_is_closed_centred_and_half_high_along_z(kind):
    body, half = shells._body(np.random.default_rng(3), kind)
    assert 0.2 <= half <= 0.5
    # centred and half high along z (a little off the axis, where a turned profile's own axis edge reads 0)
    assert _at(body, (0.03, 0, 0))[0] < 0 and _at(body, (0.03, 0, half + 0.01))[0] > 0
    assert _at(body, (0.03, 0, -half + 0.02))[0] < 0 and _at(body, (0.03, 0, -half - 0.01))[0] > 0


def test_the_tray_faces_the_camera_or_turns_away():
    down = np.array([0.0, 0.0, -1.0])             # a camera above, looking down
    floor, mouth = (0.0, 0.0, -0.375), (0.0, 0.0, 0.375)
    faced, info = shells.random_shell(Scripted(*TRAY, *NONE, 0.0, 0.5), down)   # no roll; 0.5 < 0.55: facing
    assert info == "shell:box facing" and _solid(faced, floor) and not _solid(faced, mouth)
    away, info = shells.random_shell(Scripted(*TRAY, *NONE, 0.0, 0.6), down)    # 0.6 < 0.7: away
    assert info == "shell:box away" and _solid(away, mouth) and not _solid(away, floor)
    assert _solid(away, (0.58, 0.45, 0.375))                                  # turned over about x only
    rng = Scripted(*TRAY, *NONE, math.pi / 2, 0.5)                               # rolled a quarter turn
    rolled, _ = shells.random_shell(rng, down)
    assert rng.calls[11] == ("choice", ([0.0, math.pi / 2],))
    assert _solid(rolled, (0.0, 0.55, -0.375)) and not _solid(rolled, (0.55, 0.0, -0.375))   # 0.6 now along y
    along_y = np.array([0.0, 1.0, 0.0])           # a camera on −y looking along +y: the mouth at −y
    side, _ = shells.random_shell(Scripted(*TRAY, *NONE, 0.0, 0.5), along_y)
    assert _solid(side, (0.0, 0.375, 0.0)) and not _solid(side, (0.0, -0.375, 0.0))
    up = np.array([0.1, 0.2, 0.8])                # looking up (not a unit vector): the mouth at −z
    under, _ = shells.random_shell(Scripted(*TRAY, *NONE, 0.0, 0.5), up)
    assert _solid(under, mouth) and not _solid(under, floor)


def test_a_tray_turned_freely():
    rng = Scripted(*TRAY, *NONE, 0.0, 0.8, 0.4, np.array([0.0, 0.0, 0.0]))     # 0.8: turned; 0.4 < 0.5: any angles
    turned, info = shells.random_shell(rng, np.array([0.0, 0.0, -1.0]))
    assert info == "shell:box turned" and rng.calls[-2:] == [("random", ()), ("uniform", (0, 2 * math.pi, 3))]
    assert _solid(turned, (0.0, 0.0, -0.375))                                 # no turn: as built
    rng = Scripted(*TRAY, *NONE, 0.0, 0.8, 0.6, math.pi / 2, 0.0)             # 0.6: on a side, a quarter turn about x
    side, _ = shells.random_shell(rng, np.array([0.0, 0.0, -1.0]))
    assert rng.calls[-2:] == [("choice", ([math.pi / 2, -math.pi / 2],)), ("uniform", (0, 2 * math.pi))]
    assert _solid(side, (0.0, 0.375, 0.0)) and not _solid(side, (0.0, -0.375, 0.0))   # the floor turned onto +y
    assert _solid(side, (0.575, 0.0, 0.0))                                    # about x only: the x wall stays

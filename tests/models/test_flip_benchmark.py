"""benchmarks/flip_areas.py: the simulated artist's flips, the plate with a boss and a pocket, and the
tables docs/benchmarks.md quotes."""
import re

import numpy as np
import pytest

pytest.importorskip("torch")
from benchmarks import flip_areas  # noqa: E402
from benchmarks import three_view_parts as parts  # noqa: E402
from depthy_blender.models import engine  # noqa: E402


def test_the_benchmark_prints_both_tables(capsys):
    flip_areas.main(["--parts", "1", "--mixed", "2", "--round", "1", "--size", "160"])
    out = capsys.readouterr().out
    assert "\nmachined parts, square-on views of 1 parts, 160² px: 3 views, Depthy read as flat faces, " in out
    assert "\nplates with a boss and a pocket from above, 160² px: 2 views, " in out
    for reading in ("depthy", "flat", "flat + Invert where it helps", "flat + artist's flips", "flat + Invert + flips"):
        row = rf"^{re.escape(reading)} +\d\.\d{{4}} +\d+\.\d\d +\d\.\d{{3}} +\d\.\d{{4}}$"
        assert len(re.findall(row, out, re.M)) == 3
    figure = r"(\d\.\d{3}|n/a \(both 0\))"
    assert len(re.findall(rf"^flat \+ artist's flips ÷ flat: nRMSE {figure}, normal error {figure}, "
                          rf"proportion error {figure}$", out, re.M)) == 3
    assert re.search(r"^flips kept: \d+ areas on \d+ of 2 views; they beat Invert where it helps on nRMSE on \d+ "
                     r"views; Invert helps on \d+ views, after it \d+ areas are flipped on \d+ views$", out, re.M)
    assert len(re.findall(r"^time: the drawn areas \d+\.\d ms a view, \d\.\d{3}× Depthy's predict in the same run$",
                          out, re.M)) == 3
    assert "\nplates with a round boss and a pocket from above, Background: Flood from Border, 160² px: 1 views" in out


def test_the_mixed_plate_has_a_boss_standing_and_a_pocket_sunk():
    part = flip_areas.boss_and_pocket(0)
    rgba, truth = parts.single_view(part, "top", 160)
    near, mask = truth["nearness"], truth["mask"]
    levels = np.unique(np.round(near[mask], 6))
    assert len(levels) == 3                                   # pocket floor, plate, boss top
    assert flip_areas.boss_and_pocket(0).name == "boss-pocket-0" and part.add[1].lo[2] == part.add[0].hi[2]


def test_the_round_boss_is_the_square_one_turned_round():
    square, round_ = flip_areas.boss_and_pocket(3), flip_areas.round_boss_and_pocket(3)
    boss = round_.add[1]
    assert isinstance(boss, parts.Cylinder) and round_.cut == square.cut and round_.add[0] == square.add[0]
    assert boss.radius == pytest.approx((square.add[1].hi[0] - square.add[1].lo[0]) / 2)
    assert (boss.lo, boss.hi) == (square.add[1].lo[2], square.add[1].hi[2])
    _, truth = parts.single_view(round_, "top", 160)
    assert len(np.unique(np.round(truth["nearness"][truth["mask"]], 6))) == 3


def step_truth():
    """A 3-level figure by hand: the plate at 0.5, a boss at 1.0 and a pocket at 0.0, and its areas."""
    near = np.full((40, 60), 0.5)
    near[10:20, 5:15] = 1.0
    near[10:20, 40:50] = 0.0
    areas = np.ones((40, 60), np.int32)
    areas[10:20, 5:15] = 2
    areas[10:20, 40:50] = 3
    return {"nearness": near, "mask": np.ones((40, 60), bool), "proportion": 0.2}, areas


def test_the_artist_flips_the_area_read_the_wrong_way_and_keeps_only_what_helps():
    truth, areas = step_truth()
    told = truth["nearness"].copy()
    told[10:20, 40:50] = 1.0                                  # the pocket read as a second boss
    result = engine.DepthResult(told.astype(np.float32), truth["mask"], {}, 0.2)
    mended, count = flip_areas.artist_flips(result, truth, areas)
    assert count == 1
    assert np.allclose(mended.nearness, truth["nearness"], atol=1e-6)
    right = engine.DepthResult(truth["nearness"].astype(np.float32), truth["mask"], {}, 0.2)
    assert flip_areas.artist_flips(right, truth, areas)[1] == 0


def test_a_step_below_the_threshold_is_left_and_the_step_is_read_around_the_area():
    truth, areas = step_truth()
    assert flip_areas.step(truth["nearness"], areas == 2, truth["mask"]) == pytest.approx(0.5)
    assert flip_areas.step(truth["nearness"], areas == 3, truth["mask"]) == pytest.approx(-0.5)
    truth["nearness"][10:20, 40:50] = 0.5 + 0.9 * flip_areas.STEP * 0.5   # a true step just under STEP of the range
    told = engine.DepthResult(truth["nearness"].astype(np.float32), truth["mask"], {}, 0.2)
    told.nearness[10:20, 40:50] = 0.4                                     # read sunk: the wrong way, but slight
    assert flip_areas.artist_flips(told, truth, areas)[1] == 0
    truth["nearness"][10:20, 40:50] = 0.5 + 1.1 * flip_areas.STEP * 0.5
    assert flip_areas.artist_flips(told, truth, areas)[1] == 1

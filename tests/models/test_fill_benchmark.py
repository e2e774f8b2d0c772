"""benchmarks/fill_holes.py: the drilled plates, the simulated artist's fills, and the table
docs/benchmarks.md quotes."""
import re

import numpy as np
import pytest

pytest.importorskip("torch")
from benchmarks import fill_holes, flip_areas  # noqa: E402
from benchmarks import three_view_parts as parts  # noqa: E402
from depthy_blender.core import holes  # noqa: E402


def test_the_benchmark_prints_its_table(capsys):
    fill_holes.main(["--plates", "2", "--size", "160"])
    out = capsys.readouterr().out
    assert "\nplates with a round boss, a pocket and drilled holes, from above: 2 views, " in out
    for reading in fill_holes.READINGS:
        row = rf"^{re.escape(reading)} +\d\.\d{{4}} +\d+\.\d\d +\d\.\d{{3}} +\d\.\d{{4}}$"
        assert len(re.findall(row, out, re.M)) == 1, reading
    figure = r"(\d\.\d{3}|n/a \(both 0\))"
    for reading in fill_holes.READINGS[1:]:
        assert re.search(rf"^{re.escape(reading)} ÷ Depthy's figure: nRMSE {figure}, normal error {figure}, "
                         rf"proportion error {figure}$", out, re.M), reading
    assert re.search(r"^filled: \d+ holes on 2 views; left open: \d+ holes; flips after the fill: \d+$", out, re.M)
    assert re.search(r"^time: finding and filling the holes \d+\.\d ms a view, \d\.\d{3}× Depthy's predict in the "
                     r"same run$", out, re.M)


def test_the_fill_keeps_the_drilled_holes_that_the_border_fill_loses():
    """On two plates the fill's figure matches the truth better than the border fill's (the drilled holes
    stay open) and the boss is in it."""
    means = fill_holes.table(fill_holes.plates(2, 160))
    assert means["Fill Holes + flips"]["iou"] > means["Flood from Border + flips"]["iou"]
    assert means["Fill Holes + flips"]["iou"] > means["Depthy's figure"]["iou"]
    assert means["Fill Holes + flips"]["nrmse"] < means["Depthy's figure"]["nrmse"]


def test_the_drilled_plate_has_two_to_four_holes_through_it_and_the_boss_and_pocket():
    counts = set()
    for seed in range(6):
        part = fill_holes.drilled_plate(seed)
        plate = flip_areas.round_boss_and_pocket(seed)
        assert part.add == plate.add and part.cut[:len(plate.cut)] == plate.cut
        drills = part.cut[len(plate.cut):]
        counts.add(len(drills))
        _, truth = parts.single_view(part, "top", 160)
        assert holes.holes(truth["mask"]).max() == len(drills)    # seen from above: holes through the figure
    assert counts <= {2, 3, 4} and len(counts) > 1


def test_the_artist_fills_the_holes_the_true_figure_covers():
    mask = np.ones((30, 40), bool)
    mask[5:12, 5:12] = False       # a boss left out
    mask[18:24, 25:31] = False     # a drilled hole
    truth = {"mask": np.ones((30, 40), bool)}
    truth["mask"][18:24, 25:31] = False
    truth["mask"][5:12, 5:7] = False   # part of the boss's hole is not figure: still most of it is
    points = fill_holes.artist_fills(mask, truth)
    assert len(points) == 1 and holes.hole_at(holes.holes(mask), points[0]) == holes.holes(mask)[8, 8]
    truth["mask"][5:12, 5:10] = False  # now most of it is not
    assert fill_holes.artist_fills(mask, truth) == []


def test_the_artist_cuts_the_drawn_areas_the_true_figure_leaves_out():
    from tests.core.test_holes import pocket_plate
    rgba, mask = pocket_plate()
    truth = {"mask": mask.copy()}
    truth["mask"][42:78, 62:98] = False       # the pocket is a hole through the plate
    points = fill_holes.artist_cuts(rgba, mask, truth)
    assert len(points) == 1 and not holes.cut(mask, rgba, points)[0][60, 80]
    assert fill_holes.artist_cuts(rgba, mask, {"mask": mask}) == []
    assert fill_holes.artist_cuts(rgba, mask, {"mask": np.zeros_like(mask)}) == []   # never every area


def test_the_mends_table_cuts_a_hole_read_as_a_face_and_the_figure_gets_closer(capsys):
    """A plate with a pocket that is truly a through-hole: Depthy's figure keeps the pocket; the artist's
    cut takes it out, and the mask IoU rises."""
    from tests.core.test_holes import pocket_plate
    rgba, mask = pocket_plate()
    true_mask = mask.copy()
    true_mask[42:78, 62:98] = False
    truth = {"nearness": np.where(true_mask, 0.5, 0.0), "mask": true_mask, "proportion": 0.1}
    means = fill_holes.mends_table([(0, rgba, truth)], "one plate")
    out = capsys.readouterr().out
    assert "\none plate: 1 views, Depthy as read\n" in out
    assert re.search(r"^cut: 1 areas, filled: 0 holes, on 1 views; their mask IoU 0\.\d{3} → 0\.\d{3}$", out, re.M)
    assert means["+ the artist's cuts and fills"]["iou"] > means["Depthy's figure"]["iou"]

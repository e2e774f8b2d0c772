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


def test_the_shared_table_prints_each_reading_and_its_ratios(capsys):
    from benchmarks.flat_faces import ratio_lines, score_table
    rows = {"a": [{"nrmse": 0.2, "normal": 2.0, "iou": 0.9, "proportion": 0.1}],
            "b": [{"nrmse": 0.1, "normal": 0.0, "iou": 1.0, "proportion": 0.05}]}
    means = score_table(rows, 6)
    ratio_lines(means, "a", ["b"])
    assert capsys.readouterr().out.splitlines() == [
        "reading   nRMSE  normal°    IoU  proport", "a       0.2000     2.00  0.900   0.1000",
        "b       0.1000     0.00  1.000   0.0500", "b ÷ a: nRMSE 0.500, normal error 0.000, proportion error 0.500"]
    assert means["b"]["nrmse"] == 0.1

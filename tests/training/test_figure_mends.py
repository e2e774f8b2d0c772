"""training/figure_mends.py: the simulated artist's cuts of drawn areas the true figure leaves out, and
the table docs/benchmarks.md quotes (on a drawing made here; the evaluation's sets are not built in
tests)."""
import re

import numpy as np
import pytest

pytest.importorskip("torch")
from depthy_blender.core import holes  # noqa: E402
from training import figure_mends  # noqa: E402


def test_the_artist_cuts_the_drawn_areas_the_true_figure_leaves_out():
    from tests.core.test_holes import pocket_plate
    rgba, mask = pocket_plate()
    truth = {"mask": mask.copy()}
    truth["mask"][42:78, 62:98] = False       # the pocket is a hole through the plate
    points = figure_mends.artist_cuts(rgba, mask, truth)
    assert len(points) == 1 and not holes.cut(mask, rgba, points)[0][60, 80]
    assert figure_mends.artist_cuts(rgba, mask, {"mask": mask}) == []
    assert figure_mends.artist_cuts(rgba, mask, {"mask": np.zeros_like(mask)}) == []   # never every area


def test_the_mends_table_cuts_a_hole_read_as_a_face_and_the_figure_gets_closer(capsys):
    """A plate with a pocket that is truly a through-hole: Depthy's figure keeps the pocket; the artist's
    cut takes it out, and the mask IoU rises."""
    from tests.core.test_holes import pocket_plate
    rgba, mask = pocket_plate()
    true_mask = mask.copy()
    true_mask[42:78, 62:98] = False
    truth = {"nearness": np.where(true_mask, 0.5, 0.0), "mask": true_mask, "proportion": 0.1}
    means = figure_mends.mends_table([(0, rgba, truth)], "one plate")
    out = capsys.readouterr().out
    assert "\none plate: 1 views, Depthy as read\n" in out
    assert re.search(r"^cut: 1 areas, filled: 0 holes, on 1 views; their mask IoU \d\.\d{3} → \d\.\d{3}$", out, re.M)
    assert means["+ the artist's cuts and fills"]["iou"] > means["Depthy's figure"]["iou"]

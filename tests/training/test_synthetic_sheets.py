"""Synthetic sheets (training/synth/sheets.py): seeded, views inside the frame, and found by core/sheets."""
import numpy as np
import pytest

from depthy_blender.core import sheets

pytest.importorskip("torch")
from training.sheet_views import box_iou, score_sheet  # noqa: E402
from training.synth import sheets as synthetic  # noqa: E402


def test_same_seed_same_sheet():
    a, b = synthetic.sample(7), synthetic.sample(7)
    assert np.array_equal(a["image"], b["image"]) and a["views"] == b["views"]


def test_views_lie_inside_the_frame_apart_from_each_other():
    for seed in range(3):
        s = synthetic.sample(seed)
        h, w = s["image"].shape[:2]
        boxes = [v["box"] for v in s["views"]]
        assert {v["role"] for v in s["views"]} == {"front", "top", "side"}
        for x0, y0, x1, y1 in boxes:
            assert 20 < x0 < x1 < w - 20 and 20 < y0 < y1 < h - 20
        assert all(box_iou(a, b) == 0 for i, a in enumerate(boxes) for b in boxes[i + 1:])


@pytest.mark.parametrize("seed", [0, 10])
def test_views_are_found_on_synthetic_sheets(seed):
    result = score_sheet(seed, threshold=0.9)
    assert all(v["found"] for v in result["views"]), result["views"]
    assert not result["spurious"]


def test_box_iou():
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert box_iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(1 / 3)
    assert box_iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    assert sheets.find_views(np.ones((50, 50, 3), np.float32)) == []

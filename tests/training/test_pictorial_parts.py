"""training/pictorial_parts.py (Planar Faces on machined parts drawn in pictorial views): the seeded
cameras, a view's drawing and truth, and the readings scored and summed up as planar faces."""
import numpy as np
import pytest

from depthy_blender.core import images
from training import pictorial_parts, square_parts


def test_the_pictorial_camera_looks_down_from_the_front_and_one_side_within_its_angles():
    turns, rises = [], []
    for seed in range(200):
        cam = pictorial_parts.pictorial_camera(np.random.default_rng(seed))
        eye = -cam.forward
        assert np.linalg.norm(eye) == pytest.approx(1.0)
        rises.append(np.degrees(np.arcsin(eye[2])))
        turns.append(np.degrees(np.arctan2(eye[0], -eye[1])))
        assert 1 / 0.9 <= cam.half_size <= 1 / 0.6 and cam.perspective == 0
    assert 15 <= min(rises) and max(rises) <= 45
    assert 20 <= min(np.abs(turns)) and max(np.abs(turns)) <= 70
    assert min(turns) < 0 < max(turns)                     # from the left and from the right


def test_a_view_is_a_drawing_of_the_part_with_its_exact_truth_the_same_for_a_seed():
    rgba, known = pictorial_parts.view(2, "iso")             # an L-bracket
    assert rgba.shape == (pictorial_parts.SIZE, pictorial_parts.SIZE, 4) and np.all(rgba[..., 3] == 1)
    mask = known["mask"]
    assert 0.1 < mask.mean() < 0.9 and known["nearness"][mask].max() == pytest.approx(1.0)
    assert np.all(known["nearness"][~mask] == 0) and 0 < known["proportion"] < 2
    drawn = images.figure_mask(rgba)
    assert (drawn & mask).sum() / (drawn | mask).sum() > 0.8  # the drawing shows the truth's figure
    again, _ = pictorial_parts.view(2, "iso")
    other, _ = pictorial_parts.view(2, "pictorial")
    assert np.array_equal(rgba, again) and not np.array_equal(rgba, other)


def test_the_readings_are_each_engines_and_its_planar_faces_summed_up_as_planar():
    rgba = np.ones((64, 64, 4), np.float32)
    rgba[16:48, 8:56, :3] = 0.0
    rgba[18:46, 10:31, :3] = 1.0                    # two closed areas side by side, a crease between
    rgba[18:46, 33:54, :3] = 1.0
    mask = images.figure_mask(rgba)
    xx = np.mgrid[:64, :64][1] / 64.0
    near = np.where(mask, np.where(xx < 0.5, xx, 1.0 - xx), 0.0)   # a roof: two planes
    seconds = {}
    out = square_parts.score_all(rgba, {"nearness": near, "mask": mask, "proportion": 0.1}, faces="planar",
                                 seconds=seconds)
    assert set(seconds) == {"predict", "faces"} and all(t > 0 for t in seconds.values())
    assert list(out) == ["depthy", "depthy + planar faces", "inflate", "inflate + planar faces"]
    assert out["inflate + planar faces"]["normal_deg"] < out["inflate"]["normal_deg"]
    lines = square_parts.summary([out], faces="planar")
    assert lines[2].startswith("  depthy + planar faces ")
    assert lines[5].startswith("  planar faces ÷ depthy   nRMSE ") and lines[5].endswith(" of 1")


def test_the_command_prints_the_table_the_ratios_and_the_time(capsys):
    pictorial_parts.main(["--count", "1", "--first", "3"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "machined parts drawn in pictorial views by our ink: 2 views of 1 parts"
    assert [line.split()[0] for line in lines[2:6]] == ["depthy", "depthy", "inflate", "inflate"]
    assert lines[6].startswith("  planar faces ÷ depthy   nRMSE ") and lines[6].endswith(" of 2")
    assert lines[8].startswith("  time: planar faces ") and lines[8].endswith("× Depthy's own predict in the same run")

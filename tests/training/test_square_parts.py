"""training/square_parts.py (Flat Faces on machined parts drawn square-on by Freestyle): the part's mesh,
a drawing's scores through the engines' own predict and flat faces, and the table worked out by hand."""
import numpy as np
import pytest

from benchmarks import three_view_parts as parts
from depthy_blender.core import images
from training import square_parts


def block() -> parts.Part:
    """A 40 × 20 × 10 mm block with a 10 × 10 × 5 mm step cut from one top corner."""
    return parts.Part("block", [parts.Box((0, 0, 0), (40, 20, 10))], [parts.Box((30, -1, 5), (41, 21, 11))])


def test_the_parts_mesh_closes_round_its_occupancy_in_the_unit_sphere():
    verts, faces = square_parts.part_mesh(block())
    assert faces.dtype == np.int64 and faces.shape[1] == 3 and faces.max() < len(verts)
    assert np.linalg.norm(verts, axis=1).max() == pytest.approx(1.0, abs=1e-6)       # meshes.to_unit
    extent = np.ptp(verts, axis=0)
    assert extent[0] / extent[2] == pytest.approx(4.0, rel=0.03)                   # 40 long, 10 high
    assert extent[0] / extent[1] == pytest.approx(2.0, rel=0.03)                   # 20 deep
    # the step: at the high end of x the top is half as high
    top_far = verts[verts[:, 0] > verts[:, 0].max() - 0.05 * extent[0], 2].max()
    top_near = verts[verts[:, 0] < verts[:, 0].min() + 0.05 * extent[0], 2].max()
    assert (top_far - verts[:, 2].min()) / (top_near - verts[:, 2].min()) == pytest.approx(0.5, rel=0.05)


def test_a_drawing_is_scored_as_told_and_as_flat_faces_for_each_engine():
    rgba = np.ones((64, 64, 4), np.float32)
    rgba[16:48, 8:56, :3] = 0.0
    rgba[18:46, 10:36, :3] = 1.0                    # two closed areas, a wide and a narrow one: a step
    rgba[18:46, 40:54, :3] = 1.0                    # drawn square-on, the wide face in front
    mask = images.figure_mask(rgba)
    near = np.zeros((64, 64))
    near[16:48, 8:38] = 1.0
    known = {"nearness": near, "mask": mask, "proportion": 0.1}
    out = square_parts.score_all(rgba, known)
    assert list(out) == ["depthy", "depthy + flat faces", "inflate", "inflate + flat faces"]
    # inflation's dome is higher over the wide face, nearer the middle: as flat faces, the step
    assert out["inflate + flat faces"]["normal_deg"] < 0.5 * out["inflate"]["normal_deg"]
    assert out["inflate + flat faces"]["nrmse"] < out["inflate"]["nrmse"]
    assert all(set(square_parts.MEASURES) <= set(r) for r in out.values())


def test_a_blank_drawing_is_an_empty_answer_for_every_reading():
    rgba = np.ones((64, 64, 4), np.float32)
    near = np.zeros((64, 64))
    near[16:48, 8:38] = 1.0
    out = square_parts.score_all(rgba, {"nearness": near, "mask": near > 0, "proportion": 0.1})
    assert list(out) == ["depthy", "depthy + flat faces", "inflate", "inflate + flat faces"]
    assert all(r["iou"] == 0.0 for r in out.values())


def test_the_summary_is_each_readings_means_and_the_ratios_and_wins_by_hand():
    def scores(nrmse, normal, prop):
        return {"nrmse": nrmse, "normal_deg": normal, "iou": 0.9, "proportion_auto": prop}
    rows = [{"depthy": scores(0.2, 20.0, 0.1), "depthy + flat faces": scores(0.1, 5.0, 0.05),
             "inflate": scores(0.4, 40.0, 0.2), "inflate + flat faces": scores(0.5, 10.0, 0.1)},
            {"depthy": scores(0.0, 0.0, 0.1), "depthy + flat faces": scores(0.0, 0.0, 0.05),
             "inflate": scores(0.2, 20.0, 0.2), "inflate + flat faces": scores(0.1, 10.0, 0.1)}]
    lines = square_parts.summary(rows)
    assert lines[2] == "  depthy + flat faces     0.0500     2.50  0.900   0.0500"
    assert lines[5] == "  flat faces ÷ depthy   nRMSE 0.500  normal 0.250  proportion 0.500; better on all three on 2 of 2"
    assert lines[6] == "  flat faces ÷ inflate  nRMSE 1.000  normal 0.333  proportion 0.500; better on all three on 1 of 2"

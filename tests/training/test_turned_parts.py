"""training/turned_parts.py (the Turned engine scored on generated lathe parts) and the framing it shares
with the shipped examples (training/synth/framed.py): the solids it draws, a drawing's scores through the
engines' own predict, the table's means and ratios worked out by hand, and the command's lines."""
import math

import numpy as np
import pytest
import torch

from tests.training.help_text import says
from training import turned_parts
from training.synth import framed, sdf


def test_even_seeds_are_shafts_odd_ones_pots_and_about_a_third_lie_across():
    kinds = [turned_parts.turned_solid(seed)[1] for seed in range(turned_parts.FIRST_SEED, turned_parts.FIRST_SEED + 40)]
    assert all(k.startswith("shaft ") for k in kinds[0::2]) and all(k.startswith("pot ") for k in kinds[1::2])
    assert all(k.endswith((" standing", " lying")) for k in kinds)
    assert 8 <= sum(k.endswith(" lying") for k in kinds) <= 20


def test_a_lying_part_is_turned_a_quarter_about_the_view_axis_and_a_standing_one_not_at_all(monkeypatch):
    seeds = range(turned_parts.FIRST_SEED, turned_parts.FIRST_SEED + 40)
    lying = next(s for s in seeds if turned_parts.turned_solid(s)[1].endswith(" lying"))
    standing = next(s for s in seeds if turned_parts.turned_solid(s)[1].endswith(" standing"))
    turns = []
    monkeypatch.setattr(turned_parts.sdf, "transform", lambda shape, rotation, shift: turns.append((rotation, shift)))
    turned_parts.turned_solid(standing)
    assert turns == []
    turned_parts.turned_solid(lying)
    (rotation, shift), = turns
    assert torch.allclose(rotation, sdf.rotation_matrix((0.0, 0.0, math.pi / 2))) and shift == (0.0, 0.0, 0.0)


def test_a_framed_drawing_fills_85_percent_of_the_image_and_carries_its_truth():
    ball = sdf.sphere(0.5)                                          # its visible half: 0.5 deep, 1 wide
    made = framed.draw(ball, (0.0, 0.0, -1.0), (0.0, 1.0, 0.0), "lines", np.random.default_rng(0), 96)
    assert made["image"].shape == (96, 96, 3) and made["image"].dtype == np.uint8
    cols = np.flatnonzero(made["mask"].any(0))
    assert abs((cols[-1] - cols[0] + 1) / 96 - framed.FILL) < 0.05
    near = made["nearness"][made["mask"]]
    assert near.min() == 0.0 and near.max() == 1.0 and not made["nearness"][~made["mask"]].any()
    assert made["proportion"] == pytest.approx(0.5, abs=0.03)


def test_a_drawing_is_scored_for_each_engine_through_its_own_predict():
    rgba, truth, kind = turned_parts.drawing(turned_parts.FIRST_SEED)
    assert rgba.shape == (turned_parts.SIZE, turned_parts.SIZE, 4) and kind.startswith("shaft")
    scores = turned_parts.score_all(rgba, truth)
    assert set(scores) == {"turned", "depthy", "inflate", "noted"} and scores["noted"] is False
    for name in turned_parts.ENGINES:
        assert set(turned_parts.MEASURES) <= set(scores[name])
    assert scores["turned"]["nrmse"] < scores["depthy"]["nrmse"] and scores["turned"]["nrmse"] < scores["inflate"]["nrmse"]


def row(turned, depthy, inflate, noted=False):
    as_scores = lambda v: dict(zip(turned_parts.MEASURES, v))  # noqa: E731
    return {"turned": as_scores(turned), "depthy": as_scores(depthy), "inflate": as_scores(inflate), "noted": noted}


def test_the_table_is_each_engines_means_and_turned_over_each_by_hand():
    rows = [row((0.02, 4.0, 0.95, 0.01), (0.10, 20.0, 0.99, 0.05), (0.15, 30.0, 0.95, 0.08)),
            row((0.04, 12.0, 0.93, 0.03), (0.06, 10.0, 0.97, 0.05), (0.17, 34.0, 0.93, 0.08), noted=True)]
    lines = turned_parts.summary(rows)
    assert lines[1].split() == ["turned", "0.0300", "8.00", "0.940", "0.0200"]
    assert lines[2].split() == ["depthy", "0.0800", "15.00", "0.980", "0.0500"]
    assert lines[3].split() == ["inflate", "0.1600", "32.00", "0.940", "0.0800"]
    # 0.03 / 0.08, 8 / 15, 0.02 / 0.05; the second drawing loses to Depthy on normal error (12 > 10)
    assert lines[4] == "  Turned ÷ depthy   nRMSE 0.375  normal 0.533  proportion 0.400; better on all three on 1 of 2"
    assert lines[5] == "  Turned ÷ inflate  nRMSE 0.188  normal 0.250  proportion 0.250; better on all three on 2 of 2"
    assert lines[6] == "  Turned took 1 of 2 for no turned part (its note)"


@pytest.mark.parametrize("flags, drawer, by", [([], "drawing", "the generator's ink"),
                                               (["--freestyle"], "freestyle_drawing", "Freestyle")])
def test_the_command_draws_count_seeds_from_the_first_and_prints_the_table(monkeypatch, capsys, flags, drawer, by):
    drawn = []
    monkeypatch.setattr(turned_parts.evaluate, "limit_threads", lambda: None)
    for name in ("drawing", "freestyle_drawing"):
        monkeypatch.setattr(turned_parts, name, lambda seed, name=name: (drawn.append((name, seed)) or None, None,
                                                                         "shaft lying" if seed % 2 == 0 else "pot standing"))
    monkeypatch.setattr(turned_parts, "score_all", lambda rgba, known: row((0.02, 4.0, 0.95, 0.01),
                                                                           (0.10, 20.0, 0.99, 0.05),
                                                                           (0.15, 30.0, 0.95, 0.08)))
    turned_parts.main(["--count", "3", *flags])
    assert drawn == [(drawer, 41_000_000), (drawer, 41_000_001), (drawer, 41_000_002)]
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"turned parts, seeds 41,000,000 on (1 pots, 2 shafts; 3 drawings by {by})"
    assert out[1:] == turned_parts.summary([row((0.02, 4.0, 0.95, 0.01), (0.10, 20.0, 0.99, 0.05),
                                                (0.15, 30.0, 0.95, 0.08))] * 3)


def test_help_says_what_it_measures(capsys):
    with pytest.raises(SystemExit):
        turned_parts.main(["--help"])
    text = capsys.readouterr().out
    assert says("The Turned engine against Depthy and silhouette inflation on lathe parts drawn from the side", text)
    assert "--count COUNT" in text and says("turned parts to draw and score (default 40)", text)
    assert says("draw them with Blender's Freestyle (needs bpy) instead of the generator's ink", text)


def test_a_solid_is_meshed_standing_on_the_meshes_up_axis_inside_the_unit_sphere():
    rod = sdf.cylinder(0.2, 0.6)                                    # along the generator's y: 0.4 wide, 1.2 tall
    verts, faces = turned_parts.solid_mesh(rod)
    extent = verts.max(0) - verts.min(0)
    assert extent[2] > 2.5 * extent[0] and abs(extent[0] - extent[1]) < 0.02 * extent[2]   # up is +z now
    assert np.linalg.norm(verts, axis=1).max() == pytest.approx(1.0)
    assert np.allclose((verts.max(0) + verts.min(0)) / 2, 0.0, atol=1e-9)
    assert faces.dtype == np.int64 and faces.shape[1] == 3 and faces.max() < len(verts)


def test_a_freestyle_drawing_shows_the_solid_from_the_side_with_its_truth():
    pytest.importorskip("bpy")
    from depthy_blender.core import images, metrics
    rgba, known, kind = turned_parts.freestyle_drawing(turned_parts.FIRST_SEED)
    assert kind == turned_parts.turned_solid(turned_parts.FIRST_SEED)[1] and rgba.shape == (384, 384, 4)
    assert metrics.mask_iou(images.figure_mask(rgba), known["mask"]) > 0.9
    assert 0.3 < known["proportion"] < 0.7                          # a standing shaft: about half as deep as wide
    assert turned_parts.score_all(rgba, known)["noted"] is False

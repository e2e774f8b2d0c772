"""Issue 51, item 5: on every shipped example, whose true depth is known, Depthy (the shipped weights,
through the engine's own predict on the PNG) beats silhouette inflation on both nRMSE and normal error.

The scoring is benchmarks/examples_quality.py's. With weights 0.15.0 Depthy wins on the bracket and the
gear only; the other four are strict expected failures, so the weights that win them (the GPU run of
issue 51) turn them into unexpected passes, which fail until this list is brought up to date.
"""
import sys

import pytest

from tests.conftest import ROOT

pytest.importorskip("torch")
sys.path.insert(0, str(ROOT / "benchmarks"))
import examples_quality  # noqa: E402

NOT_YET = {   # example: what 0.15.0 scores against inflation (benchmarks/examples_quality.py, 2026-12-05)
    "bottle": "nRMSE 1.040×, normal error 1.432× inflation's",
    "casting": "nRMSE 1.052× inflation's",
    "pocket_plate": "both read as a constant: nRMSE and normal error equal to inflation's",
    "turned_part": "normal error 1.333× inflation's",
}


def test_every_example_is_listed():
    assert set(NOT_YET) <= set(examples_quality.examples())
    assert len(examples_quality.examples()) >= 6


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=f"issue 51, weights 0.15.0: {NOT_YET[name]}"))
    if name in NOT_YET else name
    for name in examples_quality.examples()])
def test_depthy_beats_inflation_on_the_example(name):
    depthy, inflate = (examples_quality.engine_scores(name, e) for e in ("depthy", "inflate"))
    assert depthy["nrmse"] < inflate["nrmse"], (depthy, inflate)
    assert depthy["normal"] < inflate["normal"], (depthy, inflate)


@pytest.mark.parametrize("name", ["bottle", "turned_part"])
def test_turned_beats_depthy_and_inflation_on_the_turned_examples(name):
    """The Turned engine on the two lathe parts drawn from the side: better than both on nRMSE, normal
    error and proportion error (training/turned_parts.py measures it on generated parts too)."""
    turned = examples_quality.engine_scores(name, "turned")
    for other in ("depthy", "inflate"):
        scores = examples_quality.engine_scores(name, other)
        for measure in ("nrmse", "normal", "proportion"):
            assert turned[measure] < scores[measure], (measure, other, turned, scores)


def test_flat_faces_beat_depthy_and_inflation_on_the_gear_drawn_square_on():
    """The gear is drawn looking at its face: read as flat faces, Depthy's curled teeth and domed hub
    become the flat body and the raised hub (benchmarks/flat_faces.py measures it on machined parts)."""
    flat = examples_quality.engine_scores("gear", "depthy", faces="flat")
    for other in ("depthy", "inflate"):
        scores = examples_quality.engine_scores("gear", other)
        for measure in ("nrmse", "normal", "proportion"):
            assert flat[measure] < scores[measure], (measure, other, flat, scores)
    assert flat["nrmse"] < 0.5 * examples_quality.engine_scores("gear", "depthy")["nrmse"]


def test_planar_faces_straighten_the_bracket_drawn_in_isometric():
    """The bracket is a machined part drawn in isometric, coloured in and outlined: read as planar faces,
    the arms Depthy warps become flat faces, better than Depthy and inflation on nRMSE and normal error
    (training/pictorial_parts.py measures it on generated parts)."""
    planar = examples_quality.engine_scores("bracket", "depthy", faces="planar")
    depthy = examples_quality.engine_scores("bracket", "depthy")
    for other in ("depthy", "inflate"):
        scores = depthy if other == "depthy" else examples_quality.engine_scores("bracket", other)
        for measure in ("nrmse", "normal"):
            assert planar[measure] < scores[measure], (measure, other, planar, scores)
    assert planar["normal"] < 0.6 * depthy["normal"]


def pocket_plate_readings():
    """(Depthy's own reading of the pocket plate, the same read as flat faces, the truth)."""
    from depthy_blender.models import engines
    from depthy_blender.pipeline import drawing
    rgba, truth = examples_quality.load("pocket_plate")
    told = engines.get("depthy").predict(rgba)
    flat, _ = drawing.as_faces(told, rgba, told.mask)
    return told, flat, truth


def inverted_scores(result, truth: dict) -> dict:
    """The scores of `result` with the Relief panel's Invert ticked (relief.normalise with invert)."""
    from depthy_blender.core import relief
    from depthy_blender.models import engine
    return examples_quality.scores(engine.DepthResult(
        relief.normalise(result.nearness, result.mask, invert=True), result.mask, {}, result.proportion), truth)


def test_flat_faces_and_invert_mend_the_pocket_plate_whose_pocket_depthy_raises():
    """Depthy puts the plate's pocket in front. Read as flat faces the plate and the pocket are two
    levels, so the Relief panel's Invert (relief.normalise with invert) puts the pocket behind, where it
    is; inverting Depthy's own bent reading does not."""
    told, flat, truth = pocket_plate_readings()
    inverted, bent = inverted_scores(flat, truth), inverted_scores(told, truth)
    for other in ("depthy", "inflate"):
        scores = examples_quality.engine_scores("pocket_plate", other)
        for measure in ("nrmse", "normal", "proportion"):
            assert inverted[measure] < scores[measure], (measure, other, inverted, scores)
    assert inverted["nrmse"] < 0.5 * bent["nrmse"] and inverted["normal"] < 0.5 * bent["normal"]


def test_a_flip_of_the_pocket_alone_mends_the_pocket_plate_as_invert_does():
    """Flip Selected Areas from one vertex on the pocket (core/flip) puts the flat reading's pocket behind
    the plate: on this plate of two levels that is what Invert does, better than Depthy and inflation on
    all three measures (benchmarks/flip_areas.py measures where a flip does what Invert cannot)."""
    flipped = examples_quality.flipped_scores("pocket_plate", "flat")
    _, flat, truth = pocket_plate_readings()
    inverted = inverted_scores(flat, truth)
    for other in ("depthy", "inflate"):
        scores = examples_quality.engine_scores("pocket_plate", other)
        for measure in ("nrmse", "normal", "proportion"):
            assert flipped[measure] < scores[measure], (measure, other, flipped, scores)
    for measure in ("nrmse", "normal"):
        assert flipped[measure] == pytest.approx(inverted[measure], rel=1e-6), (measure, flipped, inverted)

"""pipeline/drawing.py, the Generate operator's work with no Blender in it, against a stand-in engine
whose answer is known: the Depth ratio Auto builds with, what reaches the engine and the relief, the
notes and the status line, the photo background cut, TripoSR's whole object, and refusals before work."""
from types import SimpleNamespace

import numpy as np
import pytest

from depthy_blender.core import images, proportion, relief
from depthy_blender.errors import DepthyError, OptionError
from depthy_blender.models import engine
from depthy_blender.pipeline import drawing
from tests.conftest import outline_drawing


def drawing_rgba(size=(160, 120)):
    return images.pil_to_rgba(outline_drawing(size=size))


def run(req, cancel=lambda: False):
    seen = []
    outcome = drawing.compute(req, lambda f, s: seen.append((f, s)), cancel)
    return outcome, seen


def test_auto_builds_the_figure_as_deep_as_the_engine_says_it_is_drawn(stand_in_engine):
    """The figure is the outline's 101 columns of 160: a proportion of 0.3 is a ratio of 0.3 × 101 / 160,
    and the relief is exactly the one relief.build makes from the engine's answer at that ratio."""
    fn = stand_in_engine(proportion=0.3)
    rgba = drawing_rgba()
    req = drawing.Request("part", "stand-in", resolution=64, back="flat", smoothing=0.5, size=2.0, rgba=rgba,
                          triangles=True, messages=["from the panel"])
    outcome, seen = run(req)
    depth = fn(rgba, lambda f, s: None, lambda: False, req.options)
    expected_ratio = 0.3 * proportion.figure_width(depth.mask) / 160
    assert proportion.figure_width(depth.mask) == 101
    assert outcome.ratio == outcome.drawn_ratio == pytest.approx(expected_ratio)
    built = relief.build(depth.nearness, depth.mask, expected_ratio, 0.5, 64, 2.0, "flat", True, base=req.base)
    assert outcome.relief.faces.shape[1] == 3
    assert np.array_equal(outcome.relief.verts, built.verts) and np.array_equal(outcome.relief.faces, built.faces)
    assert outcome.messages == ["from the panel"] and outcome.notes == [] and outcome.whole_object is None
    assert outcome.where == outcome.why_cpu == outcome.ran_on() == ""   # the engine did not say where it ran
    assert outcome.rgba is rgba and fn.calls[0][0] is rgba and fn.calls[0][2] is req.options


def test_with_auto_off_the_artists_ratio_is_used_and_the_drawn_one_is_still_offered(stand_in_engine):
    fn = stand_in_engine(proportion=0.3)
    rgba = drawing_rgba()
    outcome, _ = run(drawing.Request("part", "stand-in", resolution=32, rgba=rgba, auto_ratio=False, ratio=0.7))
    assert outcome.ratio == 0.7 and outcome.drawn_ratio == pytest.approx(0.3 * 101 / 160)
    depth = fn(rgba, lambda f, s: None, lambda: False, None)
    built = relief.build(depth.nearness, depth.mask, 0.7, 1.0, 32, base=relief.BASE)
    assert np.array_equal(outcome.relief.verts, built.verts)


@pytest.mark.parametrize("told, auto, ratio, expected", [
    (None, True, 0.4, (0.4, None)),               # the engine cannot say: the artist's ratio
    (float("nan"), True, 0.4, (0.4, None)),
    (float("inf"), True, 0.4, (0.4, None)),
    (50.0, True, 0.4, (2.0, 2.0)),                # deeper than the slider reaches: its highest
    (50.0, False, 0.4, (0.4, 2.0)),
    (0.5, True, 0.4, (0.25, 0.25)),               # half the figure's width, and the figure half the image
    (0.5, False, 0.4, (0.4, 0.25)),
])
def test_ratios(told, auto, ratio, expected):
    mask = np.zeros((10, 40), bool)
    mask[2:8, 10:30] = True
    built, drawn = drawing.ratios(told, mask, auto, ratio)
    assert built == pytest.approx(expected[0])
    assert drawn is None if expected[1] is None else drawn == pytest.approx(expected[1])
    assert drawing.ratios(0.5, np.zeros_like(mask), auto, ratio) == (ratio, None)   # no figure


def test_progress_maps_the_engine_into_its_share_and_rises(stand_in_engine):
    stand_in_engine()
    _, seen = run(drawing.Request("part", "stand-in", resolution=32, rgba=drawing_rgba()))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and 0 < fractions[0] and fractions[-1] < 1
    assert (0.05, "Starting") in seen and (pytest.approx(0.85), "Done") in seen
    assert all(isinstance(stage, str) and stage[:1].isupper() for _, stage in seen)
    assert seen[-1] == (0.88, "Building the relief")


def test_the_engines_note_and_where_it_ran_reach_the_status_line(stand_in_engine):
    stand_in_engine(meta={"note": "Depthy fell back to CPU: out of GPU memory", "where": "Depthy · CPU fp32 · 0.40 s",
                   "why_cpu": "fell back to CPU: out of GPU memory"})
    outcome, _ = run(drawing.Request("part", "stand-in", resolution=32, rgba=drawing_rgba()))
    assert outcome.notes == ["Depthy fell back to CPU: out of GPU memory"]
    assert outcome.ran_on() == "Depthy · CPU fp32 · 0.40 s (fell back to CPU: out of GPU memory)"
    assert drawing.Outcome(None, [], where="Depthy · CUDA fp16 · 0.03 s").ran_on() == "Depthy · CUDA fp16 · 0.03 s"
    stand_in_engine(meta={"where": "Depthy · CUDA fp16 · 0.03 s"})                 # on a GPU: no reason given
    on_gpu, _ = run(drawing.Request("part", "stand-in", resolution=32, rgba=drawing_rgba()))
    assert on_gpu.why_cpu == "" and on_gpu.ran_on() == "Depthy · CUDA fp16 · 0.03 s" and on_gpu.notes == []
    assert drawing.Outcome(None, [], why_cpu="no CUDA device found").ran_on() == ""


@pytest.mark.parametrize("width, resolution, read_width", [
    (1025, 256, 512),     # just over 1024: halved
    (2400, 600, 1200),    # a fine grid asks for 2 pixels per sample: 1200, not 1024
    (3000, 700, 1000),    # 2 × 700 = 1400: a third
    (3000, 256, 1000),
])
def test_a_file_is_read_with_its_messages_and_a_large_image_reaches_the_engine_downscaled(
        stand_in_engine, tmp_path, width, resolution, read_width):
    """The engine never gets more than max(1024, 2 × the grid's resolution) pixels on the longer side
    (box-filtered by a whole factor). Named "large", not "huge": mutation runs leave out tests named huge."""
    fn = stand_in_engine()
    path = tmp_path / "wide.png"
    outline_drawing(size=(width, 300), box=(width // 10, 50, width - width // 10, 250), width=12).save(path)
    outcome, seen = run(drawing.Request("part", "stand-in", resolution=resolution, path=str(path),
                                        messages=["first"]))
    assert seen[0] == (0.02, "Reading the image")
    assert fn.calls[0][0].shape[1] == outcome.rgba.shape[1] == read_width
    assert outcome.messages == ["first"]              # a file under the reading limit says nothing more


def test_reading_keeps_to_the_longest_side_asked_for_and_says_so(tmp_path):
    path = tmp_path / "wide.png"
    outline_drawing(size=(3000, 600), box=(300, 100, 2700, 500), width=12).save(path)
    small = drawing.read(str(path), max_side=500)
    assert max(small.rgba.shape[:2]) <= 500 and small.source_size == (3000, 600) and small.messages


def test_a_photos_background_is_cut_from_the_border_and_a_flood_of_everything_is_one_line(stand_in_engine):
    stand_in_engine()
    rgba = drawing_rgba()
    rgba[..., :3] = np.where(images.figure_mask(rgba)[..., None], rgba[..., :3], [0.2, 0.6, 0.3])   # green
    rgba[40:80, 60:100, :3] = [0.9, 0.1, 0.1]                                                        # a red part
    outcome, seen = run(drawing.Request("part", "stand-in", resolution=40, rgba=rgba, background="border",
                                        background_tolerance=0.05))
    assert (0.86, "Separating the background") in seen
    border = images.flood_from_border(rgba, 0.05)
    assert outcome.relief.grid_shape == relief.build(np.zeros(border.shape, np.float32), border,
                                                    resolution=40).grid_shape
    blank = np.ones((50, 60, 4), np.float32)
    blank[20:30, 20:30, :3] = 0.0
    with pytest.raises(DepthyError, match="^The border flood fill took the whole image: lower the background"):
        run(drawing.Request("part", "stand-in", resolution=40, rgba=blank, background="border",
                            background_tolerance=0.5))


def test_triposr_s_whole_object_is_passed_on_with_no_relief(stand_in_engine):
    whole = SimpleNamespace(meta={"note": "CUDA ran out of memory; TripoSR used the CPU instead",
                                  "where": "TripoSR · CPU · 41 s", "why_cpu": "fell back to CPU: out of GPU memory"})
    stand_in_engine(whole=whole)
    outcome, _ = run(drawing.Request("part", "stand-in", rgba=drawing_rgba(), messages=["m"]))
    assert outcome.relief is None and outcome.whole_object is whole and outcome.messages == ["m"]
    assert outcome.notes == ["CUDA ran out of memory; TripoSR used the CPU instead"]
    assert outcome.ran_on() == "TripoSR · CPU · 41 s (fell back to CPU: out of GPU memory)"


def test_bad_settings_and_a_cancel_stop_before_the_engine_runs(stand_in_engine):
    fn = stand_in_engine()
    for bad in (dict(ratio=float("nan")), dict(smoothing=-1.0), dict(size=0.0), dict(resolution=3),
                dict(background_tolerance=0.9), dict(base=2.0)):
        with pytest.raises(OptionError):
            run(drawing.Request("part", "stand-in", rgba=drawing_rgba(), **bad))
    with pytest.raises(engine.Cancelled):
        run(drawing.Request("part", "stand-in", rgba=drawing_rgba()), cancel=lambda: True)
    assert fn.calls == []


def test_estimate_gives_the_engine_its_options_and_a_cancel_it_can_ask(stand_in_engine):
    asked = []

    def fn(rgba, progress, cancel, options):
        asked.append((options, cancel()))
        progress(0.5, "half")
        return "answer"
    stand_in_engine(fn)
    opts = engine.EngineOptions(device="CPU", depthy_resolution=512)
    assert drawing.estimate(np.ones((4, 4, 4), np.float32), "stand-in", opts) == "answer"
    assert asked == [(opts, False)]
    calls = []
    later = lambda: calls.append(1) or len(calls) > 1        # noqa: E731  (the artist cancels during the run)
    with pytest.raises(engine.Cancelled):                    # seen by the engine, then by estimate
        drawing.estimate(np.ones((4, 4, 4), np.float32), "stand-in", opts, cancel=later)
    assert asked[-1] == (opts, True)

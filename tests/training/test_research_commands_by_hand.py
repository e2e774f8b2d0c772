"""Three research commands with their work stood in and their figures worked out by hand:
training.sheet_views (view finding scored on synthetic sheets), training.train_step_speed (a CPU training
step's time per layout and precision, against the plain float32 step in the same run) and
training.resolution_floor (what the engine's resampling alone costs a perfect answer). Until now only their
scoring and arithmetic had seeded tests; their commands' lines had none."""
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from tests.training.one_parameter import OneParameter
from tests.training.help_text import as_written, says
from training import resolution_floor, sheet_views, train_step_speed


def recorded_print(monkeypatch, module):
    said = []
    monkeypatch.setattr(module, "print", lambda *a, **kw: said.append(" ".join(map(str, a))), raising=False)
    return said


# --- sheet_views ---------------------------------------------------------------------------------------------

def test_box_iou_is_the_overlap_over_the_union_and_nothing_for_boxes_apart_or_empty():
    assert sheet_views.box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert sheet_views.box_iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert sheet_views.box_iou((0, 0, 10, 10), (2, 3, 6, 8)) == pytest.approx(20 / 100)     # one inside the other
    assert sheet_views.box_iou((0, 0, 4, 4), (1, 2, 9, 3)) == pytest.approx(3 / (16 + 8 - 3))
    assert sheet_views.box_iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0                      # touching
    assert sheet_views.box_iou((0, 0, 10, 10), (0, 10, 10, 20)) == 0.0                      # touching below
    assert sheet_views.box_iou((0, 0, 10, 10), (2, 14, 8, 20)) == 0.0                       # apart below
    assert sheet_views.box_iou((0, 0, 10, 10), (20, 30, 25, 40)) == 0.0                     # apart
    assert sheet_views.box_iou((5, 5, 5, 5), (5, 5, 5, 5)) == 0.0                           # no area at all


def test_each_known_view_is_scored_against_its_best_found_view_and_the_rest_are_spurious(monkeypatch):
    found = [SimpleNamespace(box=(0, 0, 10, 10), role="front"), SimpleNamespace(box=(20, 0, 29, 10), role="side"),
             SimpleNamespace(box=(100, 100, 110, 110), role="text"), SimpleNamespace(box=(52, 50, 62, 60), role="x")]
    views = [{"box": (0, 0, 10, 10), "role": "front"}, {"box": (20, 0, 30, 10), "role": "top"},
             {"box": (50, 50, 60, 60), "role": "side"}]
    monkeypatch.setattr(sheet_views.synthetic_sheets, "sample",
                        lambda seed: {"image": f"sheet {seed}", "views": views})
    monkeypatch.setattr(sheet_views.sheets, "find_views", lambda image: {"sheet 4": found}[image])
    result = sheet_views.score_sheet(4, 0.9)
    assert result["seed"] == 4
    assert result["views"] == [
        {"role": "front", "iou": 1.0, "role_ok": True, "found": True},
        {"role": "top", "iou": pytest.approx(0.9), "role_ok": False, "found": False},    # 0.9 ≥ 0.9, wrong role
        {"role": "side", "iou": pytest.approx(80 / 120), "role_ok": False, "found": False}]
    # the side view's match (IoU 2/3 > 0.5) is matched, though not found; the text block is spurious
    assert result["spurious"] == [found[2]]
    # at a lower threshold a right role is enough; with no view found at all, every view scores 0
    assert sheet_views.score_sheet(4, 0.5)["views"][0]["found"]
    monkeypatch.setattr(sheet_views.sheets, "find_views", lambda image: [])
    empty = sheet_views.score_sheet(4, 0.9)
    assert [v["iou"] for v in empty["views"]] == [0.0] * 3 and not any(v["role_ok"] for v in empty["views"])
    assert empty["spurious"] == []
    # a view matched at IoU 0.5 exactly is not matched: it stays spurious
    half = [SimpleNamespace(box=(0, 0, 10, 15), role="front")]           # 100 / 150 of the first view
    monkeypatch.setattr(sheet_views.sheets, "find_views", lambda image: half)
    monkeypatch.setattr(sheet_views.synthetic_sheets, "sample",
                        lambda seed: {"image": "", "views": [{"box": (0, 5, 10, 15), "role": "front"}]})
    assert sheet_views.score_sheet(1, 0.9)["spurious"] == []                 # IoU 2/3
    monkeypatch.setattr(sheet_views.synthetic_sheets, "sample",
                        lambda seed: {"image": "", "views": [{"box": (0, 0, 10, 5), "role": "front"},
                                                             {"box": (0, 10, 10, 15), "role": "top"}]})
    assert sheet_views.score_sheet(1, 0.9)["spurious"] == half               # IoU 1/3 with each
    # IoU 0.5 exactly is not a match; IoU at the threshold exactly, with the right role, is found
    monkeypatch.setattr(sheet_views.synthetic_sheets, "sample",
                        lambda seed: {"image": "", "views": [{"box": (0, 0, 10, 30), "role": "front"},
                                                             {"box": (100, 0, 110, 10), "role": "top"}]})
    half_front = SimpleNamespace(box=(0, 0, 10, 15), role="front")         # 150 / 300
    monkeypatch.setattr(sheet_views.sheets, "find_views",
                        lambda image: [half_front, SimpleNamespace(box=(100, 0, 109, 10), role="top")])  # 90 / 100
    exact = sheet_views.score_sheet(1, 0.9)
    assert [v["iou"] for v in exact["views"]] == [0.5, 0.9] and exact["spurious"] == [half_front]
    assert [v["found"] for v in exact["views"]] == [False, True]


def test_the_sheet_views_command_prints_the_failed_sheets_and_the_totals(monkeypatch):
    said = recorded_print(monkeypatch, sheet_views)
    threads = []
    monkeypatch.setattr(torch, "set_num_threads", threads.append)
    ticks = iter([10.0, 12.6])
    monkeypatch.setattr(sheet_views, "time", SimpleNamespace(perf_counter=lambda: next(ticks)))
    text = SimpleNamespace(role="text", box=(1, 2, 3, 4))
    results = {
        5: {"seed": 5, "views": [{"role": "front", "iou": 1.0, "role_ok": True, "found": True},
                                 {"role": "top", "iou": 0.95, "role_ok": True, "found": True}], "spurious": []},
        6: {"seed": 6, "views": [{"role": "front", "iou": 0.98, "role_ok": True, "found": True},
                                 {"role": "side", "iou": 0.92, "role_ok": False, "found": False}],
            "spurious": [text, SimpleNamespace(role="note", box=(5, 6, 7, 8))]},
        7: {"seed": 7, "views": [{"role": "front", "iou": 0.5, "role_ok": True, "found": False}], "spurious": []}}
    asked = []
    monkeypatch.setattr(sheet_views, "score_sheet", lambda seed, threshold: asked.append((seed, threshold))
                        or results[seed])
    monkeypatch.setattr(sys, "argv", ["sheet_views", "--seeds", "3", "--start", "5", "--threshold", "0.8"])
    sheet_views.main()
    assert asked == [(5, 0.8), (6, 0.8), (7, 0.8)] and threads == [1]
    assert said == [
        "seed    6: front=0.98 side=0.92(role!)  spurious: text@(1, 2, 3, 4), note@(5, 6, 7, 8)",
        "seed    7: front=0.50",
        "3 sheets, 5 known views, 3 s",
        "views found (IoU ≥ 0.8, right role): 3/5 = 60.0%",
        "box IoU: mean 0.870, median 0.950, min 0.500",
        "spurious views: 2; sheets with every view found and nothing spurious: 1/3"]
    # --verbose: a line for every sheet; the defaults: 50 sheets from seed 0 at 0.9
    said.clear()
    ticks = iter([0.0, 1.0])
    monkeypatch.setattr(sys, "argv", ["sheet_views", "--seeds", "1", "--start", "5", "--verbose"])
    sheet_views.main()
    assert said[0] == "seed    5: front=1.00 top=0.95" and asked[-1] == (5, 0.9)
    monkeypatch.setattr(sys, "argv", ["sheet_views"])
    asked.clear()
    monkeypatch.setattr(sheet_views, "score_sheet", lambda seed, threshold: asked.append((seed, threshold))
                        or results[5])
    ticks = iter([0.0, 1.0])
    sheet_views.main()
    assert asked == [(seed, 0.9) for seed in range(50)]


# --- train_step_speed ----------------------------------------------------------------------------------------

def test_a_steps_time_is_the_median_of_its_repeats_after_one_warm_up_step(monkeypatch):
    ticks = iter([0.0, 10.0, 11.0, 11.0, 14.0, 14.0, 16.0])      # the warm-up's start, untimed; then 1, 3 and 2 s
    monkeypatch.setattr(train_step_speed.time, "perf_counter", lambda: next(ticks))
    steps = []
    monkeypatch.setattr(train_step_speed, "train_step", lambda *a, **kw: steps.append((a, kw)))
    assert train_step_speed.step_seconds("model", "opt", ("img", "near", "mask"), 3, "bf16?") == 2.0
    assert steps == [(("model", "opt", "img", "near", "mask"), {"aligned": True, "bf16": "bf16?"})] * 4


def test_the_step_speed_command_times_each_setting_twice_alternately_against_the_whole_network(monkeypatch):
    said = recorded_print(monkeypatch, train_step_speed)
    calls = []
    monkeypatch.setattr(torch, "set_num_threads", lambda n: calls.append(("threads", n)))
    monkeypatch.setattr(torch, "manual_seed", lambda n: calls.append(("seed", n)))
    monkeypatch.setattr(train_step_speed, "Depthy", OneParameter)
    monkeypatch.setattr(train_step_speed, "channels_last", lambda model: calls.append(("last", model)) or model)
    monkeypatch.setattr(train_step_speed, "freeze_stem", lambda model: calls.append(("frozen", model)))
    monkeypatch.setattr(train_step_speed, "train_mode", lambda model: calls.append(("train_mode", model)))
    seconds = {"whole network": [4.0, 5.0], "channels-last": [3.0, 2.5], "stem frozen": [2.0, 2.0],
               "frozen + bf16": [1.6, 1.0]}
    turn = {label: iter(values) for label, values in seconds.items()}
    timed = []

    def step_seconds(model, opt, batch, repeat, bf16):
        x, near, mask = batch
        last = x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
        frozen = ("frozen", model) in calls
        label = next(k for k, v in train_step_speed.SETTINGS.items() if v == (last, frozen, bf16))
        assert ("train_mode", model) in calls and opt.param_groups[0]["params"] == [model.weight]
        assert opt.defaults["lr"] == 1e-5 and opt.defaults["weight_decay"] == 1e-4 and repeat == 5
        assert x.shape == (3, 3, 8, 8) and near.shape == (3, 8, 8) and mask.dtype == torch.bool
        assert mask.sum() == 3 * 4 * 4 and mask[:, 2:6, 2:6].all()        # the middle half of each side
        timed.append(label)
        return next(turn[label])

    monkeypatch.setattr(train_step_speed, "step_seconds", step_seconds)
    monkeypatch.setattr(sys, "argv", ["train_step_speed", "--size", "8", "--batch", "3", "--repeat", "5",
                                      "--threads", "4"])
    train_step_speed.main()
    assert calls[:2] == [("threads", 4), ("seed", 0)]
    assert timed == list(train_step_speed.SETTINGS) * 2
    assert said == [
        "training step, batch 3 at 8², 4 threads (best of 2 medians of 5)",
        "whole network    4.00 s/step   0.75 samples/s   1.00× the whole network's speed",
        "channels-last    2.50 s/step   1.20 samples/s   1.60× the whole network's speed",
        "stem frozen      2.00 s/step   1.50 samples/s   2.00× the whole network's speed",
        "frozen + bf16    1.00 s/step   3.00 samples/s   4.00× the whole network's speed"]


def test_the_step_speed_commands_defaults_and_its_flop_count(monkeypatch):
    said = recorded_print(monkeypatch, train_step_speed)
    asked = []
    flops = iter([2.403e10, 2.405e10])                                    # 24.03 and 24.05 (to 24.1) GFLOP
    monkeypatch.setattr(train_step_speed, "step_flops", lambda size: asked.append(size) or next(flops))
    monkeypatch.setattr(sys, "argv", ["train_step_speed", "--flops", "--size", "64"])
    train_step_speed.main()
    train_step_speed.main()
    assert asked == [64, 64] and said == [
        "training step at 64², forward and backward: 24.0 GFLOP per sample; 1,000 samples/s needs 24.0 TFLOP/s",
        "training step at 64², forward and backward: 24.1 GFLOP per sample; 1,000 samples/s needs 24.1 TFLOP/s"]
    seen = []
    monkeypatch.setattr(torch, "set_num_threads", lambda n: seen.append(n))
    monkeypatch.setattr(train_step_speed, "step_seconds", lambda model, opt, batch, repeat, bf16:
                        seen.append((batch[0].shape, repeat)) or 1.0)
    monkeypatch.setattr(train_step_speed, "Depthy", OneParameter)
    monkeypatch.setattr(train_step_speed, "freeze_stem", lambda model: None)
    monkeypatch.setattr(train_step_speed, "channels_last", lambda model: model)
    monkeypatch.setattr(train_step_speed, "train_mode", lambda model: None)
    monkeypatch.setattr(sys, "argv", ["train_step_speed"])
    train_step_speed.main()
    assert seen == [2] + [((12, 3, 256, 256), 3)] * 8


# --- resolution_floor ----------------------------------------------------------------------------------------

def test_the_output_resolution_averages_pairs_of_pixels_and_interpolates_them_back():
    ramp = np.tile(np.arange(8, dtype=np.float32), (1, 1, 8, 1))          # x = 0 … 7 along each row
    out = resolution_floor._at_output_resolution(ramp)
    assert out.shape == ramp.shape and out.dtype == np.float32
    # pairs average to 0.5, 2.5, 4.5, 6.5 at their centres; a line through them is x itself, clamped at
    # the two outer columns
    assert np.allclose(out[0, 0, 3], [0.5, 1, 2, 3, 4, 5, 6, 6.5])
    chequer = np.indices((8, 8)).sum(axis=0) % 2
    out = resolution_floor._at_output_resolution(chequer[None, None].astype(np.float64))
    assert np.allclose(out, 0.5) and out.dtype == np.float32
    mask = np.zeros((16, 16), bool)
    mask[4:12, 4:12] = True
    assert resolution_floor.through_output_path(np.ones((16, 16)), mask, size=16).dtype == np.float32


def test_the_floor_command_prints_one_and_two_scale_floors_for_each_set_it_can_make(monkeypatch):
    said = recorded_print(monkeypatch, resolution_floor)
    made = []
    monkeypatch.setattr(resolution_floor.evaluate, "evaluation_sets",
                        lambda optional: made.append(optional) or {"synthetic": "s", "meshes": None, "plates": "p"})
    monkeypatch.setattr(resolution_floor, "floor",
                        lambda data, second: {("s", False): 0.01234, ("s", True): 0.02, ("p", False): 0.1,
                                              ("p", True): 0.123456}[data, second])
    monkeypatch.setattr(sys, "argv", ["resolution_floor", "--plates", "--freestyle"])
    resolution_floor.main()
    assert made == [("plates", "freestyle")]
    assert said == ["set           one scale  with 0.75   (nRMSE of the truth sent through the output path)",
                    "synthetic        0.0123     0.0200",
                    "plates           0.1000     0.1235"]


def test_a_sets_floor_leaves_out_empty_masks_and_sends_each_truth_through_the_path(monkeypatch):
    sent = []

    def through(truth, mask, second_scale):
        sent.append((float(truth.max()), second_scale))
        return truth * 0.5 + 0.25 * mask                                    # a scale and a shift: nRMSE 0

    monkeypatch.setattr(resolution_floor, "through_output_path",
                        lambda t, m, size=None, second_scale=True: through(t, m, second_scale))
    mask = np.zeros((4, 4), bool)
    mask[1:3, 1:3] = True
    ramp = np.arange(16, dtype=np.float32).reshape(4, 4)
    data = {"nearness": np.stack([ramp, ramp * 2, ramp]), "mask": np.stack([mask, mask, np.zeros_like(mask)])}
    assert resolution_floor.floor(data, False) == pytest.approx(0.0, abs=1e-6)
    assert sent == [(15.0, False), (30.0, False)]                          # the empty third is not sent


@pytest.mark.parametrize("module, option, raw", [(sheet_views, "--verbose", False),
                                                 (train_step_speed, "--flops", False),
                                                 (resolution_floor, "--plates", True)])
def test_each_commands_help_is_its_modules_text_and_explains_its_switch(monkeypatch, capsys, module, option, raw):
    monkeypatch.setattr(sys, "argv", [module.__name__, "--help"])
    with pytest.raises(SystemExit):
        module.main()
    text = capsys.readouterr().out
    assert says(module.__doc__.strip().split("\n\n")[0], text)             # the first paragraph, wrapped or not
    assert as_written(module.__doc__, text) is raw                           # the usage block kept as written, or not
    line = next(line for line in text.splitlines() if line.strip().startswith(option))
    assert len(line.split()) > 1, line                                      # a switch with no help has none

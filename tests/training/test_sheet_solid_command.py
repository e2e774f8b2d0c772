"""training.sheet_solid, the three-view research command (a solid's volume IoU from a sheet's views, with
and without each engine's depth), worked out by hand: the true voxels of a known solid, the true nearness
of a known occupancy, the views it takes from a sheet, the crop it hands an engine, and the command's
lines with the carving and scoring stood in. It had no test before."""
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from tests.training.help_text import says
from training import sheet_solid


def l_block(points: torch.Tensor) -> torch.Tensor:
    """An L: a slab x, y in [-0.5, 0.5], z in [-0.5, 0], and on its x < 0 half a block up to z = 0.5
    (negative inside; only the sign is read)."""
    x, y, z = points.unbind(-1)
    slab = torch.stack([x.abs() - 0.5, y.abs() - 0.5, (z + 0.25).abs() - 0.25], -1).amax(-1)
    block = torch.stack([(x + 0.25).abs() - 0.25, y.abs() - 0.5, (z - 0.25).abs() - 0.25], -1).amax(-1)
    return torch.minimum(slab, block)


def test_the_true_voxels_fill_the_solids_bounding_box_on_the_hulls_grid():
    voxels = sheet_solid.truth_voxels(l_block, np.zeros((2, 3, 2), bool), fine=32)
    # x across (2), y back (3), z up (2): the lower half everywhere, the upper half only at x < 0
    assert voxels.shape == (2, 3, 2) and voxels.dtype == bool
    assert voxels[:, :, 0].all() and voxels[0, :, 1].all() and not voxels[1, :, 1].any()
    finer = sheet_solid.truth_voxels(l_block, np.zeros((4, 1, 4), bool), fine=32)
    assert finer[:, 0, :].tolist() == [[True, True, True, True], [True, True, True, True],
                                       [True, True, False, False], [True, True, False, False]]


def test_the_true_voxels_crop_to_the_solid_wherever_it_lies_and_use_96_samples_by_default():
    def small_box(points):                   # x in [0.2, 0.6], y in [-0.4, 0.4], z in [-1.0, -0.2]: off centre
        x, y, z = points.unbind(-1)
        return torch.stack([(x - 0.4).abs() - 0.2, y.abs() - 0.4, (z + 0.6).abs() - 0.4], -1).amax(-1)

    assert sheet_solid.truth_voxels(small_box, np.zeros((3, 3, 3), bool)).all()
    # at 32 samples across (0.1 apart) the box is 4 × 8 × 8 of them: on a grid of that shape, each voxel is
    # one sample of the box and nothing outside it
    assert sheet_solid.truth_voxels(small_box, np.zeros((4, 8, 8), bool), fine=32).all()

    def lip(points):                         # a block z in [-0.5, 0.4], y in [-0.3, 0.3], and a lip up to
        x, y, z = points.unbind(-1)          # z = 0.5 at x < 0: 10 × 6 × 10 samples
        block = torch.stack([x.abs() - 0.5, y.abs() - 0.3, (z + 0.05).abs() - 0.45], -1).amax(-1)
        top = torch.stack([(x + 0.25).abs() - 0.25, y.abs() - 0.3, (z - 0.45).abs() - 0.05], -1).amax(-1)
        return torch.minimum(block, top)

    voxels = sheet_solid.truth_voxels(lip, np.zeros((10, 6, 10), bool), fine=32)
    assert voxels[:, :, :9].all() and voxels[:5, :, 9].all() and not voxels[5:, :, 9].any()
    seen = []

    def counted(points):
        seen.append(len(points))
        return l_block(points)

    sheet_solid.truth_voxels(counted, np.zeros((2, 2, 2), bool))
    assert seen == [96 * 96] * 96                                                # slab by slab
    # the samples are the centres of 96 cells across the sphere every solid lies in
    first = []
    sheet_solid.truth_voxels(lambda p: first.append(p) or l_block(p), np.zeros((2, 2, 2), bool), fine=4)
    bound = sheet_solid.render.BOUND
    cells = [-0.75 * bound, -0.25 * bound, 0.25 * bound, 0.75 * bound]
    assert torch.allclose(first[0][:, 0], torch.full((16,), cells[0]))
    assert torch.allclose(first[0][:4, 2], torch.tensor(cells)) and torch.allclose(first[0][::4, 1], torch.tensor(cells))


def test_the_exact_nearness_of_each_view_is_minus_the_first_filled_voxel_row_0_at_the_top():
    occ = np.zeros((2, 3, 2), bool)          # x across, y away from the front viewer, z up
    occ[0, 1, 0] = True                      # A: left, one back, low
    occ[1, 2, 1] = True                      # B: right, at the back, high
    front, right, top = sheet_solid.exact_nearness(occ)
    nan = np.nan
    # front (looking along y): A at depth 1, B at depth 2; the top row is z = 1
    np.testing.assert_array_equal(front, [[nan, -2.0], [-1.0, nan]])
    # from the right (looking along -x, across y): B is nearest (x = 1, depth 0), A one behind it
    np.testing.assert_array_equal(right, [[nan, nan, 0.0], [nan, -1.0, nan]])
    # from the top (looking down z, across x, up the page = y): B is nearest (z = 1), A one below
    np.testing.assert_array_equal(top, [[nan, 0.0], [-1.0, nan], [nan, nan]])
    assert front.dtype == np.float64


def test_the_three_views_are_the_front_the_side_or_a_section_and_the_top(monkeypatch):
    def views(*roles):
        return [SimpleNamespace(role=role) for role in roles]

    found = {}
    monkeypatch.setattr(sheet_solid.sheets, "find_views", lambda image: found[image])
    found["a"] = views("top", "note", "side", "front")
    front, side, top = sheet_solid.views_of({"image": "a"})
    assert (front.role, side.role, top.role) == ("front", "side", "top")
    found["b"] = views("section", "front", "top")
    assert [v.role for v in sheet_solid.views_of({"image": "b"})] == ["front", "section", "top"]
    found["c"] = views("section", "side", "front", "top")
    assert sheet_solid.views_of({"image": "c"})[1].role == "side"               # a side view before a section
    for missing in (views("side", "top"), views("front", "side"), views("front", "top", "note")):
        found["d"] = missing
        assert sheet_solid.views_of({"image": "d"}) is None


def test_an_engine_is_handed_the_views_crop_with_an_opaque_alpha_and_its_nearness_is_blank_off_the_view():
    image = np.arange(6 * 8 * 3, dtype=np.float32).reshape(6, 8, 3)
    mask = np.array([[True, False, True], [False, True, True]])
    view = SimpleNamespace(box=(2, 1, 5, 3), mask=mask)                       # x 2–4, y 1–2
    asked = []

    def predict(crop, progress, cancel):
        asked.append((crop.copy(), progress(0.5, "half"), cancel))
        return SimpleNamespace(nearness=np.full((2, 3), 0.25, np.float32))

    near = sheet_solid.nearness(SimpleNamespace(predict=predict), image, view)
    crop, said, cancel = asked[0]
    assert crop.shape == (2, 3, 4) and crop.dtype == np.float32 and said is None and cancel is None
    np.testing.assert_array_equal(crop[..., :3], image[1:3, 2:5]) and np.testing.assert_array_equal(crop[..., 3], 1)
    assert near.dtype == np.float64
    np.testing.assert_array_equal(near, [[0.25, np.nan, 0.25], [np.nan, 0.25, 0.25]])


def run_command(monkeypatch, argv, plan, hull_ious, missing=(11,)):
    """main() with the carving and scoring stood in: `plan` maps (seed, method) to the voxels the refinement
    carves off a hull of ten and the IoU it scores; the hulls score `hull_ious` in turn; the seeds in
    `missing` have no views. Returns the printed lines (with print's keywords), the calls and the threads."""
    said = []
    monkeypatch.setattr(sheet_solid, "print", lambda *a, **kw: said.append((" ".join(map(str, a)), kw)),
                        raising=False)
    threads, calls, now = [], [], {}
    monkeypatch.setattr(torch, "set_num_threads", threads.append)
    ticks = iter([100.0, 103.6])
    monkeypatch.setattr(sheet_solid, "time", SimpleNamespace(perf_counter=lambda: next(ticks)))
    monkeypatch.setattr(sheet_solid.registry, "get", lambda name: f"engine {name}")
    monkeypatch.setattr(sheet_solid.synthetic_sheets, "sample",
                        lambda seed: {"image": f"image {seed}", "shape": f"shape {seed}"})

    def views_of(sample):
        now["seed"] = int(sample["image"].split()[1])
        if now["seed"] in missing:
            return None
        return tuple(SimpleNamespace(name=f"{role} {now['seed']}", box=f"{role} box", mask=f"{role} mask")
                     for role in ("front", "side", "top"))

    monkeypatch.setattr(sheet_solid, "views_of", views_of)
    vh = sheet_solid.visual_hull
    monkeypatch.setattr(vh, "projection", lambda front_box, top_box: calls.append(("projection", front_box, top_box))
                        or "third")
    monkeypatch.setattr(vh, "as_right_view", lambda x, side_box, front_box, angle: f"right({x}, {side_box}, "
                                                                                  f"{front_box}, {angle})")

    def carve(front, side, top, resolution):
        calls.append(("carve", front, side, top, resolution))
        now["hull"] = np.ones(10, bool)
        return now["hull"]

    monkeypatch.setattr(vh, "carve", carve)
    monkeypatch.setattr(sheet_solid, "truth_voxels", lambda shape, like: calls.append(("truth", shape, like is
                                                                                       now["hull"])) or "truth")
    monkeypatch.setattr(sheet_solid, "exact_nearness", lambda truth: {"truth": ("exact front", "exact side",
                                                                                "exact top")}[truth])
    monkeypatch.setattr(sheet_solid, "nearness", lambda engine, image, view: f"{engine} on {image}, {view.name}")
    refined = {}

    def refine(hull, front, side, top, tolerance):
        calls.append(("refine", front, side, top, tolerance))
        method = "exact" if front == "exact front" else front.split()[1]
        out = hull.copy()
        out[:plan[now["seed"], method][0]] = False
        refined[id(out)] = plan[now["seed"], method][1]
        return out

    monkeypatch.setattr(vh, "refine", refine)
    hull_iou = iter(hull_ious)

    def iou(a, b):
        assert b == "truth"
        return next(hull_iou) if a is now["hull"] else refined[id(a)]

    monkeypatch.setattr(vh, "iou", iou)
    monkeypatch.setattr(sys, "argv", ["sheet_solid", *argv])
    sheet_solid.main()
    return said, calls, threads


def test_the_command_scores_the_hull_and_each_refinement_per_sheet_and_sums_them_up(monkeypatch):
    plan = {(10, "exact"): (2, 0.6), (10, "depthy"): (1, 0.5), (12, "exact"): (3, 0.9), (12, "depthy"): (0, 0.6)}
    said, calls, threads = run_command(monkeypatch, ["--seeds", "3", "--start", "10", "--resolution", "8",
                                                     "--engines", "depthy", "--tolerance", "1.5"], plan, [0.5, 0.7])
    assert threads == [2]
    assert calls[:2] == [("projection", "front box", "top box"),
                         ("carve", "front mask", "right(side mask, side box, front box, third)", "top mask", 8)]
    assert calls[2] == ("truth", "shape 10", True)
    assert calls[3] == ("refine", "exact front", "exact side", "exact top", 1.5)        # the truth's own side view
    assert calls[4] == ("refine", "engine depthy on image 10, front 10",
                        "right(engine depthy on image 10, side 10, side box, front box, third)",
                        "engine depthy on image 10, top 10", 1.5)
    assert len(calls) == 10                                                    # seed 11 has no views: skipped
    lines = [line for line, _ in said]
    assert lines[:3] == ["seed  10: hull 0.500  +exact 0.600  +depthy 0.500",
                         "seed  12: hull 0.700  +exact 0.900  +depthy 0.600",
                         "2 sheets scored (1 without all three views found), 4 s, 8 voxels along the longest side, "
                         "tolerance 1.5 voxels"]
    assert said[0][1] == {"flush": True}
    table = [line.split() for line in lines[3:]]
    assert table == [["method", "mean", "IoU", "median", "min", "vs", "hull", "carved", "better/worse"],
                     ["visual", "hull", "0.600", "0.600", "0.500"],
                     ["hull", "+", "exact", "depth", "0.750", "0.750", "0.600", "1.250×", "25.0%", "2/0"],
                     ["hull", "+", "depthy", "depth", "0.550", "0.550", "0.500", "0.917×", "5.0%", "0/1"]]
    # the figures end where their column's name ends
    header = lines[3]
    for name in ("mean IoU", "median", "min"):
        end = header.index(name) + len(name)
        assert all(line[end - 1].isdigit() and line[end:end + 1] in ("", " ") for line in lines[4:]), name


def test_the_commands_defaults_are_twenty_sheets_from_seed_0_at_64_voxels_with_both_engines(monkeypatch):
    asked = []
    monkeypatch.setattr(sheet_solid.registry, "get", lambda name: asked.append(name) or name)
    monkeypatch.setattr(sheet_solid.synthetic_sheets, "sample", lambda seed: asked.append(seed) or {"image": seed})
    monkeypatch.setattr(sheet_solid, "views_of", lambda sample: None)
    monkeypatch.setattr(sheet_solid, "print", lambda *a, **kw: asked.append(a[0]), raising=False)
    monkeypatch.setattr(sys, "argv", ["sheet_solid"])
    sheet_solid.main()                                                         # no table of no sheets
    assert len(asked) == 23 and asked[:22] == ["depthy", "inflate", *range(20)]
    assert asked[22].startswith("0 sheets scored (20 without all three views found), ") and \
        asked[22].endswith(" s, 64 voxels along the longest side, tolerance 2 voxels")


def test_a_gain_or_loss_of_0_005_exactly_is_neither_better_nor_worse(monkeypatch):
    # 0.005 − 0 and 0 − 0.005 are ±0.005 exactly
    plan = {(0, "exact"): (0, 0.005), (1, "exact"): (0, 0.0), (0, "depthy"): (0, 0.0), (1, "depthy"): (0, 0.0)}
    said, _, _ = run_command(monkeypatch, ["--seeds", "2", "--engines", "depthy"], plan, [0.0, 0.005], missing=())
    assert said[-2][0].split()[-1] == "0/0" and said[-1][0].split()[-1] == "0/0"


def test_the_commands_help_is_its_modules_text_and_explains_the_tolerance(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["sheet_solid", "--help"])
    with pytest.raises(SystemExit):
        sheet_solid.main()
    text = capsys.readouterr().out
    assert says(sheet_solid.__doc__.strip().split("\n\n")[0], text)
    assert text.split("--tolerance TOLERANCE", 1)[1].strip()                 # the last option: its help follows

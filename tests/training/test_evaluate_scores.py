"""training/evaluate.py's scoring, checked against figures worked out by hand: which prediction, truth and
mask each measure is given, how a set's scores are averaged, Auto depth's estimates per method, the
cached sets, the table's ratios and the command line. Issue 51's targets are read from these numbers."""
import json
import sys

import numpy as np
import pytest

pytest.importorskip("torch")

H, W = 12, 24
ROWS, COLS = slice(2, 10), slice(6, 18)          # the figure: 8 rows × 12 columns, half the image's width


def figure():
    mask = np.zeros((H, W), bool)
    mask[ROWS, COLS] = True
    truth = np.zeros((H, W), np.float32)
    truth[ROWS, COLS] = np.linspace(0.0, 1.0, 12)[None, :]     # a plane rising left to right over the figure
    return mask, truth


def two_drawings():
    """A: an exact (scaled and shifted) guess, one flat face, proportion 0.25 of the figure's width.
    B: the ramp reversed, a mask missing 3 of the 12 columns, no flat faces, no known proportion."""
    mask, truth = figure()
    planes = np.stack([mask.astype(np.int32), np.zeros((H, W), np.int32)])
    data = {"nearness": np.stack([truth, truth]), "mask": np.stack([mask, mask]), "planes": planes,
            "proportion": np.array([0.25, np.nan])}
    short = mask.copy()
    short[:, 15:18] = False
    preds = [(np.where(mask, 3 * truth + 0.5, 0).astype(np.float32), mask),
             (np.where(mask, 1 - truth, 0).astype(np.float32), short)]
    return preds, data


def spread(values):
    """Population standard deviation, written out."""
    return float(np.sqrt(np.mean((values - np.mean(values)) ** 2)))


def test_each_drawing_is_scored_on_its_own_prediction_truth_and_masks():
    from training import evaluate as ev
    preds, data = two_drawings()
    mask, truth = figure()
    a, b = ev.drawing_scores(preds, data, estimates=[0.25, 0.5])
    ramp = truth[mask].astype(np.float64)
    # A: an affine copy of the truth is exact on every shape measure
    assert a["nrmse"] == pytest.approx(0, abs=1e-7) and a["acc5"] == 1.0
    assert a["normal_deg"] == pytest.approx(0, abs=1e-4) and a["planarity"] == pytest.approx(0, abs=1e-7)
    assert a["iou"] == 1.0
    # at the default ratio 0.2 the relief is 0.2 × 24 / 12 = 0.4 figure widths deep; the truth is 0.25 deep
    assert a["proportion"] == pytest.approx(0.15 * spread(ramp), rel=1e-6)
    # Auto depth at the estimate 0.25 builds exactly 0.25 figure widths
    assert a["proportion_auto"] == pytest.approx(0, abs=1e-7)
    # B: a reversed ramp is best fitted by a constant (the scale may not go negative)
    assert b["nrmse"] == pytest.approx(spread(ramp), rel=1e-6) and b["acc5"] == pytest.approx(2 / 12)
    assert b["iou"] == pytest.approx(9 / 12)
    assert np.isnan(b["planarity"]) and np.isnan(b["proportion"]) and np.isnan(b["proportion_auto"])
    assert b["normal_deg"] > 10


def test_without_estimates_auto_depth_falls_back_to_the_default_ratio():
    from training import evaluate as ev
    preds, data = two_drawings()
    a, _ = ev.drawing_scores(preds, data)
    assert a["proportion_auto"] == a["proportion"] > 0
    small = ev.drawing_scores(preds, data, estimates=[0.1, None])[0]["proportion_auto"]
    mask, truth = figure()
    assert small == pytest.approx(0.15 * spread(truth[mask].astype(np.float64)), rel=1e-6)   # 0.1 vs 0.25


def test_training_shards_without_faces_or_proportions_score_the_rest():
    from training import evaluate as ev
    preds, data = two_drawings()
    shard = {k: data[k] for k in ("nearness", "mask")}
    rows = ev.drawing_scores(preds, shard)
    assert all(np.isnan(r[k]) for r in rows for k in ("planarity", "proportion", "proportion_auto"))
    assert [r["nrmse"] for r in rows] == [r["nrmse"] for r in ev.drawing_scores(preds, data)]


def test_a_set_score_is_the_mean_over_drawings_where_each_measure_is_defined():
    from training import evaluate as ev
    preds, data = two_drawings()
    rows = ev.drawing_scores(preds, data, [0.25, 0.5])
    got = ev.score(preds, data, [0.25, 0.5])
    assert set(got) == set(ev.SCORES)
    assert got["nrmse"] == pytest.approx((rows[0]["nrmse"] + rows[1]["nrmse"]) / 2)
    assert got["iou"] == pytest.approx((1 + 9 / 12) / 2)
    assert got["planarity"] == rows[0]["planarity"] and got["proportion"] == rows[0]["proportion"]
    nothing = {k: data[k][1:] for k in data}
    assert np.isnan(ev.score(preds[1:], nothing)["planarity"])


def test_auto_depth_estimates_per_method():
    from depthy_blender.core import proportion
    from training import evaluate as ev
    mask, truth = figure()
    empty = np.zeros_like(mask)
    preds = [(truth * 0.3, mask), (truth, empty)]
    assert ev.auto_estimates("flat", preds) == [0.0, 0.0]
    assert ev.auto_estimates("luminance", preds) == [None, None]
    # inflation: the widest circle inside an 8 × 12 block has radius 4 (the distance to the paper)
    assert ev.auto_estimates("inflate", preds) == [pytest.approx(4 / 12), None]
    widths = ev.auto_estimates("depthy", preds[:1], proportion.FIGURE_WIDTHS)
    assert widths == [pytest.approx(0.3)]


def test_each_method_predicts_from_the_drawing_with_an_opaque_alpha(monkeypatch):
    from depthy_blender.core import images
    from depthy_blender.models import depthy_engine, engine, engines
    from training import evaluate as ev
    mask, _ = figure()
    image = np.ones((H, W, 3), np.float32)
    image[ROWS, COLS] = 0.0
    data = {"image": np.stack([image, image[:, ::-1]])}
    rgba = np.concatenate([image, np.ones((H, W, 1), np.float32)], -1)
    flat = ev.predict_all("flat", data)
    expected = images.figure_mask(rgba)
    assert len(flat) == 2 and expected.any() and np.array_equal(flat[0][1], expected)
    assert np.array_equal(flat[0][0], expected.astype(np.float32)) and flat[0][0].dtype == np.float32
    assert np.array_equal(flat[1][1], expected[:, ::-1])

    asked = []

    def network(rgb, device, size):
        asked.append((rgb.shape, device, size))
        return np.full((H, W), 0.5, np.float32), np.where(mask, 0.9, 0.5).astype(np.float32)  # 0.5: not figure
    monkeypatch.setattr(depthy_engine, "run_network", network)
    near, got = ev.predict_all("depthy", data)[0]
    assert asked[:2] == [((H, W, 3), "cpu", H)] * 2 and np.all(near == 0.5)
    assert np.array_equal(got, images.trim_to_drawing(mask, rgba))
    ev.predict_all("depthy", data, size=96)
    assert asked[-1][2] == 96

    seen = []

    class Engine:
        def __init__(self, name):
            self.name = name

        def predict(self, rgba):
            seen.append((self.name, rgba.shape, rgba.dtype, float(rgba[..., 3].min())))
            if self.name == "luminance":
                raise engine.EngineError("cannot")
            return engine.DepthResult(nearness=np.full((H, W), 0.25, np.float32), mask=mask)
    monkeypatch.setattr(engines, "get", Engine)
    near, got = ev.predict_all("inflate", data)[0]
    assert seen[0] == ("inflate", (H, W, 4), np.float32, 1.0) and np.all(near == 0.25) and got is mask
    near, got = ev.predict_all("luminance", data)[1]
    assert seen[-1][0] == "luminance" and near.shape == got.shape == (H, W) and not near.any() and not got.any()
    assert near.dtype == np.float32 and got.dtype == bool


def test_evaluate_scores_each_set_and_method_and_skips_absent_sets(monkeypatch, capsys):
    from depthy_blender.models import depthy_engine
    from training import evaluate as ev
    preds, data = two_drawings()
    data = dict(data, image=np.zeros((2, H, W, 3), np.float32))
    monkeypatch.setattr(ev, "evaluation_sets", lambda optional: {"tiny": data, "gone": None})
    calls = []
    monkeypatch.setattr(ev, "predict_all", lambda method, d, model=None, size=None:
                        calls.append((method, len(d["mask"]), model, size)) or preds[:len(d["mask"])])
    results = ev.evaluate(None, limit=1, methods=("depthy", "flat"), size=64)
    assert "gone: skipped" in capsys.readouterr().out
    assert list(results) == ["tiny"] and results["tiny"]["samples"] == 1 and list(results["tiny"]) == ["samples", "flat"]
    assert calls == [("flat", 1, None, 64)]
    flat = results["tiny"]["flat"]
    assert flat["nrmse"] == pytest.approx(0, abs=1e-7) and flat["seconds"] >= 0
    assert flat["proportion_auto"] == pytest.approx(0.25 * spread(figure()[1][figure()[0]].astype(np.float64)),
                                                    rel=1e-6)                   # flat's estimate: no depth at all
    used = []
    monkeypatch.setattr(ev, "load_depthy", lambda path: f"model of {path}")
    monkeypatch.setattr(depthy_engine, "use_model", used.append)
    results = ev.evaluate("w.pt", methods=("depthy",))
    assert used == ["model of w.pt"] and calls[-1] == ("depthy", 2, "model of w.pt", None)
    assert results["tiny"]["samples"] == 2


def test_the_table_prints_each_measure_and_the_ratios_the_targets_are_read_from(capsys):
    from training import evaluate as ev
    row = dict.fromkeys(ev.SCORES, 0.1) | {"iou": 0.97}
    results = {"set": {"samples": 3,
                       "depthy": row | {"nrmse": 0.05, "normal_deg": 8.0, "proportion": 0.3, "proportion_auto": 0.06},
                       "inflate": row | {"nrmse": 0.1, "normal_deg": 10.0, "proportion": 0.2},
                       "flat": row | {"proportion": 0.15}},
               "old": {"samples": 1, "inflate": {"nrmse": 0.2, "acc5": 0.5, "iou": 1.0}}}
    ev.print_table(results)
    out = capsys.readouterr().out
    assert "set (3 drawings)" in out and "old (1 drawings)" in out
    assert "Depthy nRMSE / inflate nRMSE = 0.500; normal error 0.800 of inflation's" in out
    assert "best of flat, inflate and Depthy at ratio 0.2 = 0.400" in out           # 0.06 / 0.15
    assert out.count("Depthy nRMSE") == 1
    old = [line for line in out.splitlines() if line.startswith("inflate")][-1]
    assert old.split() == ["inflate", "0.2000", "0.500", "nan", "nan", "nan", "nan", "1.000"]


def test_cached_sets_are_rebuilt_when_they_lack_the_shape_truth(tmp_path, monkeypatch):
    from training import evaluate as ev
    from training.synth import dataset
    monkeypatch.setattr(ev, "CACHE", tmp_path)
    monkeypatch.setattr(ev, "TEST_SEEDS", range(2))
    old = tmp_path / "test-32.npz"
    np.savez_compressed(old, image=np.zeros((1, 32, 32, 3)), nearness=np.zeros((1, 32, 32)))
    assert not ev._current(old)
    got = ev.synthetic_test_set(32)
    assert ev._current(old) and len(got["mask"]) == 2
    for seed in range(2):
        item = dataset.sample(seed, 32)
        assert np.array_equal(got["nearness"][seed], item["nearness"]) and got["info"][seed] == item["info"]
        assert np.array_equal(got["planes"][seed], item["planes"]) and got["image"].dtype == np.float32
        assert got["proportion"][seed] == item["proportion"] or np.isnan(item["proportion"])
    np.savez_compressed(old, **{k: v[:1] for k, v in got.items()})
    assert len(ev.synthetic_test_set(32)["mask"]) == 1                    # a current cache is read, not rebuilt


def test_mesh_views_take_every_mesh_file_in_order_and_drop_slivers(tmp_path, monkeypatch):
    from training import evaluate as ev
    from training.synth import meshes
    monkeypatch.setattr(ev, "MESH_DIR", tmp_path / "absent")
    assert ev._mesh_views(tmp_path / "cache.npz", None) is None and ev.mesh_test_set() is None
    monkeypatch.setattr(ev, "MESH_DIR", tmp_path)
    for name in ("b.OBJ", "a.stl", "notes.txt", "c.ply"):
        (tmp_path / name).write_text("")
    asked = []

    def sample(path, view, seed):
        asked.append((path.name, view, seed))
        mask = np.zeros((10, 10), bool)
        mask.flat[:seed % 4] = True               # covers 0 to 3 % of the image
        return {"image": np.zeros((10, 10, 3)), "nearness": mask * 1.0, "mask": mask, "info": path.name,
                "planes": np.zeros((10, 10), np.int32), "proportion": np.nan}
    got = ev._mesh_views(tmp_path / "cache.npz", sample)
    views = list(meshes.VIEWS)
    assert asked == [(name, view, 7000 + 10 * i + j) for i, name in enumerate(("a.stl", "b.OBJ", "c.ply"))
                     for j, view in enumerate(views)]
    kept = [seed for _, _, seed in asked if seed % 4 == 3]                 # only 3 % is more than 2 %
    assert len(got["mask"]) == len(kept) and all(m.sum() == 3 for m in got["mask"])


def test_the_command_line_scores_the_shipped_weights_unless_told_otherwise(tmp_path, monkeypatch, capsys):
    from depthy_blender.models import weights as shipped
    from training import evaluate as ev
    asked = []
    monkeypatch.setattr(ev, "evaluate", lambda *a, **k: asked.append((a, k)) or {"s": {"samples": 0}})
    out = tmp_path / "r.json"
    monkeypatch.setattr(sys, "argv", ["evaluate", "--limit", "3", "--size", "128", "--nearness", "figure widths",
                                      "--rods", "--json", str(out)])
    ev.main()
    assert asked[-1] == ((str(shipped.locate()[0]), 3), {"size": 128, "optional": ("rods",), "units": "figure widths"})
    assert json.loads(out.read_text()) == {"s": {"samples": 0}} and "s (0 drawings)" in capsys.readouterr().out

    def missing():
        raise shipped.WeightsError("no weights shipped")
    monkeypatch.setattr(shipped, "locate", missing)
    monkeypatch.setattr(sys, "argv", ["evaluate"])
    ev.main()
    assert asked[-1] == ((None, None), {"size": None, "optional": (), "units": None})
    assert "note: no weights shipped; scoring the baselines only" in capsys.readouterr().out


def test_each_set_is_cached_under_its_name_and_size_and_drawn_by_its_own_renderer(tmp_path, monkeypatch):
    from training import blender_drawings, evaluate as ev
    from training.synth import meshes
    monkeypatch.setattr(ev, "CACHE", tmp_path)
    monkeypatch.setattr(ev, "_current", lambda path: True)
    monkeypatch.setattr(ev, "_load", lambda path: path)
    assert ev.synthetic_test_set() == tmp_path / "test-256.npz"
    assert ev.single_figure_set("rods") == tmp_path / "rods-256.npz"
    made = []
    monkeypatch.setattr(ev, "_mesh_views", lambda path, sample: made.append((path, sample)) or path)
    monkeypatch.setattr(meshes, "view_sample", lambda *a, **k: ("ink", a, k))
    monkeypatch.setattr(blender_drawings, "view_sample", lambda *a, **k: ("freestyle", a, k))
    assert ev.mesh_test_set() == tmp_path / "meshes-256.npz" and ev.freestyle_test_set() == tmp_path / "freestyle-256.npz"
    ink, freestyle = (sample for _, sample in made)
    assert ink("part.stl", "front", 7003) == ("ink", ("part.stl", "front", 256, 7003), {})
    assert freestyle("part.stl", "top", 7012) == ("freestyle", ("part.stl", "top", 256, 7012),
                                                  {"style_seed": blender_drawings.STYLE_SEED + 7012})
    sets = []
    monkeypatch.setattr(ev, "freestyle_test_set", lambda: "freestyle drawings")
    monkeypatch.setattr(ev, "single_figure_set", lambda name: sets.append(name) or f"{name} drawings")
    monkeypatch.setattr(ev, "mesh_test_set", lambda: None)
    assert ev.evaluation_sets(("freestyle", "shells")) == {"synthetic": tmp_path / "test-256.npz", "meshes": None,
                                                           "shells": "shells drawings",
                                                           "freestyle": "freestyle drawings"}
    assert sets == ["shells"]


def test_a_single_figure_set_takes_consecutive_seeds_at_its_size_until_it_has_enough(tmp_path, monkeypatch):
    from training import evaluate as ev
    monkeypatch.setattr(ev, "CACHE", tmp_path / "new" / "cache")        # folders made as needed
    monkeypatch.setattr(ev, "SINGLE_FIGURE_COUNT", 3)
    asked = []
    mask = np.ones((4, 4), bool)

    def sample(seed, size, **option):
        asked.append((seed, size, option))
        info = ["shell: tray", "shell: cup | box", "box", "shell: bowl", "shell: cup"][seed - 9_900_000]
        return {"image": np.zeros((4, 4, 3)), "nearness": mask * 1.0, "mask": mask, "info": info,
                "planes": np.zeros((4, 4), np.int32), "proportion": 0.5}
    monkeypatch.setattr(ev.dataset, "sample", sample)
    got = ev.single_figure_set("shells", 48)
    assert asked == [(9_900_000 + k, 48, {"shells": True}) for k in range(5)]
    assert list(got["info"]) == ["shell: tray", "shell: bowl", "shell: cup"]


def test_a_cache_needs_both_the_flat_faces_and_the_proportions(tmp_path):
    from training import evaluate as ev
    for keys, current in (({"planes"}, False), ({"proportion"}, False), ({"planes", "proportion"}, True)):
        path = tmp_path / f"{len(keys)}-{sorted(keys)[0]}.npz"
        np.savez(path, mask=np.zeros(1), **{k: np.zeros(1) for k in keys})
        assert ev._current(path) is current


def test_weights_load_from_a_checkpoint_as_float32_and_refuse_pickled_objects(tmp_path):
    import argparse
    import pickle
    import torch
    from training import evaluate as ev
    state = {"w": torch.ones(2, dtype=torch.float16), "n": torch.tensor(7)}
    torch.save({"model": state, "state": {"step": 3}}, tmp_path / "last.pt")
    got = ev.depthy_weights(tmp_path / "last.pt")
    assert set(got) == {"w", "n"} and got["w"].dtype == torch.float32 and got["n"].dtype == torch.int64
    torch.save({"model": state, "extra": argparse.Namespace(run=print)}, tmp_path / "odd.pt")
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        ev.depthy_weights(tmp_path / "odd.pt")


def test_weights_of_another_architecture_are_refused_in_one_line(tmp_path):
    import torch
    from depthy_blender.models.depthy import Depthy
    from training import evaluate as ev
    state = Depthy().state_dict()
    state["decoder.extra"] = torch.zeros(1)
    torch.save(state, tmp_path / "other.pt")
    with pytest.raises(SystemExit) as stop:
        ev.load_depthy(tmp_path / "other.pt")
    said = str(stop.value)
    assert said.startswith(f"{tmp_path / 'other.pt'}: not weights of this Depthy (Unexpected key(s) in state_dict: "
                           '"decoder.extra"') and "\n" not in said
    del state["decoder.extra"]
    torch.save(state, tmp_path / "same.pt")
    assert not ev.load_depthy(tmp_path / "same.pt").training


def test_weights_saved_on_a_gpu_are_read_onto_the_cpu(tmp_path, monkeypatch):
    import torch
    from tests.training.loads import recorded_loads
    from training import evaluate as ev
    torch.save({"w": torch.ones(1)}, tmp_path / "w.pt")
    asked = recorded_loads(monkeypatch)
    ev.depthy_weights(tmp_path / "w.pt")
    assert asked == [{"map_location": "cpu", "weights_only": True}]


def test_a_run_folder_without_parts_is_only_a_missing_file(tmp_path):
    import argparse
    from training import evaluate as ev
    (tmp_path / "log.json").write_text("{}")
    with pytest.raises(argparse.ArgumentTypeError, match="no such weights file"):
        ev.weights_file(str(tmp_path / "depthy.pt"))


def test_units_come_from_the_run_log_or_the_shipped_card(tmp_path, monkeypatch):
    from depthy_blender.core import proportion
    from depthy_blender.models import depthy_engine, weights as shipped
    from training import evaluate as ev
    (tmp_path / "log.json").write_text('{"samples": 10}')                # a log from before the setting
    assert ev.nearness_units_of(tmp_path / "depthy.pt") == proportion.UNIT_RANGE
    monkeypatch.setattr(depthy_engine, "nearness_units", lambda: proportion.FIGURE_WIDTHS)
    assert ev.nearness_units_of(shipped.locate()[0]) == proportion.FIGURE_WIDTHS
    other = tmp_path / "elsewhere" / "depthy.pt"
    other.parent.mkdir()
    assert ev.nearness_units_of(other) == proportion.UNIT_RANGE


def test_evaluate_reads_depthys_units_and_times_each_method(monkeypatch, capsys):
    from depthy_blender.core import proportion
    from depthy_blender.models import depthy_engine
    from training import evaluate as ev
    preds, data = two_drawings()
    data = dict(data, image=np.zeros((2, H, W, 3), np.float32))
    asked = []
    monkeypatch.setattr(ev, "evaluation_sets", lambda optional: asked.append(optional) or {"gone": None, "tiny": data})
    monkeypatch.setattr(ev, "predict_all", lambda method, d, model=None, size=None: preds)
    monkeypatch.setattr(ev, "load_depthy", lambda path: "model")
    monkeypatch.setattr(depthy_engine, "use_model", lambda model: None)
    monkeypatch.setattr(ev, "nearness_units_of", lambda weights: f"units of {weights}")
    units = []
    real = ev.auto_estimates
    monkeypatch.setattr(ev, "auto_estimates", lambda method, p, u: units.append(u) or real(method, p,
                                                                                           proportion.UNIT_RANGE))
    clock = iter([100.0, 102.349])

    class Clock:
        @staticmethod
        def time():
            return next(clock)
    monkeypatch.setattr(ev, "time", Clock)
    results = ev.evaluate("w.pt", methods=("depthy",), optional=("rods",))
    assert asked == [("rods",)] and units == ["units of w.pt"] and list(results) == ["tiny"]
    assert results["tiny"]["depthy"]["seconds"] == 2.3
    clock = iter([0.0, 1.0])
    ev.evaluate("w.pt", methods=("depthy",), units=proportion.FIGURE_WIDTHS)
    assert units[-1] == proportion.FIGURE_WIDTHS


def test_the_table_prints_every_measure_in_its_column(capsys):
    from training import evaluate as ev
    full = {"nrmse": 0.1234, "acc5": 0.5, "normal_deg": 12.345, "planarity": 0.0321, "proportion": 0.111,
            "proportion_auto": 0.0555, "iou": 0.975}
    ev.print_table({"set": {"samples": 2, "depthy": full,
                            "inflate": full | {"nrmse": 0.2468, "normal_deg": 20.0, "proportion": 0.0925},
                            "flat": full | {"proportion": 0.3}}})
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split() == ["method", "nRMSE", "acc5", "normal°", "planar", "prop0.2", "propAuto", "mask", "IoU"]
    assert lines[3].split() == ["depthy", "0.1234", "0.500", "12.35", "0.0321", "0.1110", "0.0555", "0.975"]
    assert lines[-1].endswith("= 0.600")             # 0.0555 / 0.0925: inflation's proportion error is the best
    ev.print_table({"set": {"samples": 2, "depthy": full | {"proportion": 0.05}, "inflate": full, "flat": full}})
    assert capsys.readouterr().out.splitlines()[-1].endswith("= 1.110")    # 0.0555 / Depthy's own 0.05


def test_the_command_line_takes_named_weights_refuses_what_it_cannot_read_and_explains_itself(
        tmp_path, monkeypatch, capsys):
    from training import evaluate as ev
    asked = []
    monkeypatch.setattr(ev, "evaluate", lambda *a, **k: asked.append((a, k)) or {})
    (tmp_path / "w.pt").write_bytes(b"")
    monkeypatch.setattr(sys, "argv", ["evaluate", "--weights", str(tmp_path / "w.pt")])
    ev.main()
    assert asked[-1][0] == (str(tmp_path / "w.pt"), None)
    for args, says in ((["--weights", str(tmp_path / "absent.pt")], "absent.pt: no such weights file"),
                       (["--nearness", "metres"], "invalid choice: 'metres'")):
        monkeypatch.setattr(sys, "argv", ["evaluate", *args])
        with pytest.raises(SystemExit) as stop:
            ev.main()
        assert stop.value.code == 2 and says in capsys.readouterr().err
    monkeypatch.setattr(sys, "argv", ["evaluate", "--help"])
    with pytest.raises(SystemExit):
        ev.main()
    text = capsys.readouterr().out
    out = " ".join(text.split())
    usage = ev.__doc__.splitlines()[2].strip()
    assert usage.startswith("python -m training.evaluate") and usage in [line.strip() for line in text.splitlines()]
    for says in ("Depthy weights (.pt state dict or a training checkpoint); default: shipped",
                 "also write the results here", "only the first N drawings of each set (quick look)",
                 "Depthy's working resolution (default: the drawing's own, 256)",
                 "what the weights' raw nearness was taught (default: a gpu_run log.json beside them, the shipped "
                 "model card, else the unit range)", "also score the set of pins, shafts and tubes seen tilted",
                 "also score the meshes drawn by Blender's Freestyle (needs bpy; built on first use)"):
        assert says in out

"""training/compare_weights.py: the paired per-drawing test behind a shipping decision; and
training/select_checkpoint.py, which ranks checkpoints on the same scores."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")


def test_a_consistent_gain_is_called_better_and_a_shuffle_of_the_same_scores_is_not():
    from training.compare_weights import paired_summary, verdict
    rng = np.random.default_rng(1)
    old = rng.uniform(0.05, 0.3, 60)
    gain = paired_summary(old, old - rng.uniform(0.001, 0.01, 60))
    assert verdict(gain) == "better" and gain["high"] < 0 and gain["better"] == 60 and gain["worse"] == 0
    assert gain["low"] <= gain["difference"] <= gain["high"]
    noise = rng.normal(0, 0.02, 60)
    same = paired_summary(old, old + noise - noise.mean())   # differences with mean exactly 0
    assert verdict(same) == "no clear difference" and same["low"] < 0 < same["high"]
    assert verdict(paired_summary(old, old + 0.01)) == "worse"


def test_the_interval_is_seeded_and_undefined_scores_are_left_out():
    from training.compare_weights import paired_summary
    old = np.array([0.1, 0.2, np.nan, 0.3, 0.15])
    new = np.array([0.09, 0.21, 0.1, np.nan, 0.12])
    a, b = paired_summary(old, new), paired_summary(old, new)
    assert a == b and a["drawings"] == 3
    assert a["old"] == pytest.approx(0.15) and a["new"] == pytest.approx(0.14)


def test_the_command_scores_both_weights_on_the_same_drawings(tmp_path, monkeypatch):
    from depthy_blender.models.depthy import Depthy
    from training import compare_weights, evaluate
    from training.synth import dataset
    items = [dataset.sample(s, 64) for s in (3, 4)]
    data = {k: np.stack([i[k] for i in items]) for k in ("image", "nearness", "mask")}
    monkeypatch.setattr(evaluate, "evaluation_sets", lambda *a: {"tiny": data, "absent": None})
    torch.manual_seed(0)
    state = Depthy().state_dict()
    paths = [str(tmp_path / "w0.pt"), str(tmp_path / "w1.pt")]
    torch.save(state, paths[0])
    head = next(k for k in state if k.startswith("head") and k.endswith("weight"))
    state[head] = torch.randn_like(state[head])
    torch.save(state, paths[1])
    out = tmp_path / "cmp.json"
    monkeypatch.setattr(sys, "argv", ["compare_weights", paths[0], paths[0], "--json", str(out)])
    compare_weights.main()
    itself = json.loads(out.read_text())["tiny"]
    assert itself["difference"] == 0 and itself["better"] == itself["worse"] == 0
    monkeypatch.setattr(sys, "argv", ["compare_weights", paths[0], paths[1], "--json", str(out)])
    compare_weights.main()
    other = json.loads(out.read_text())
    assert set(other) == {"tiny"} and other["tiny"]["drawings"] == 2 and other["tiny"]["difference"] != 0


def test_a_missing_or_unjoined_weights_file_is_refused_in_one_line_before_any_drawing_is_made(
        tmp_path, monkeypatch, capsys):
    from depthy_blender.models.depthy import Depthy
    from training import compare_weights, evaluate
    made = []
    monkeypatch.setattr(evaluate, "evaluation_sets", lambda *a: made.append(a) or {})
    shipped = tmp_path / "old.pt"
    torch.save(Depthy().state_dict(), shipped)
    run = tmp_path / "run"
    run.mkdir()
    (run / "log.json").write_text("{}")
    (run / "depthy.pt.000").write_bytes(b"part")
    for new, says in ((run / "depthy.pt", f"python -m training.gpu_run --join {run}"),
                      (tmp_path / "absent.pt", "no such weights file")):
        monkeypatch.setattr(sys, "argv", ["compare_weights", str(shipped), str(new)])
        with pytest.raises(SystemExit) as stop:
            compare_weights.main()
        error = capsys.readouterr().err.strip().splitlines()[-1]
        assert stop.value.code == 2 and says in error and "Traceback" not in error
    assert not made
    (run / "depthy.pt").write_bytes(b"")
    assert evaluate.weights_file(str(run / "depthy.pt")) == str(run / "depthy.pt")


def test_select_checkpoint_refuses_a_missing_checkpoint_before_any_validation_drawing_is_made(
        tmp_path, monkeypatch, capsys):
    from depthy_blender.models.depthy import Depthy
    from training import evaluate, select_checkpoint
    made = []
    monkeypatch.setattr(select_checkpoint.dataset, "sample", lambda *a: made.append(a))
    monkeypatch.setattr(evaluate, "_current", lambda path: False)
    present = tmp_path / "best.pt"
    torch.save(Depthy().state_dict(), present)
    monkeypatch.setattr(sys, "argv", ["select_checkpoint", str(present), str(tmp_path / "last.pt")])
    with pytest.raises(SystemExit) as stop:
        select_checkpoint.main()
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2 and "last.pt: no such weights file" in error
    assert not made


def test_the_interval_of_two_drawings_is_worked_out_by_hand_and_is_the_same_each_time():
    from training.compare_weights import paired_summary
    # differences 1 and 0: a resample's mean is 0, 0.5 or 1 with chances 1/4, 1/2, 1/4, so the 2.5th and
    # 97.5th percentiles are 0 and 1 (any resample that left out the first drawing would give high 0)
    s = paired_summary([0.0, 0.0], [1.0, 0.0])
    assert (s["low"], s["high"], s["difference"]) == (0.0, 1.0, 0.5)
    rng = np.random.default_rng(5)
    old, new = rng.uniform(0.05, 0.3, 30), rng.uniform(0.05, 0.3, 30)
    assert paired_summary(old, new) == paired_summary(old, new, seed=0) == paired_summary(old, new)
    assert paired_summary(old, new, seed=1) != paired_summary(old, new)


def test_the_interval_is_the_central_95_percent_of_the_resampled_means():
    from training.compare_weights import paired_summary
    diff = np.random.default_rng(2).normal(0.0, 1.0, 400)
    s = paired_summary(np.zeros(400), diff)
    # the resampled means spread as the differences' (population) deviation ÷ √n, nearly normally
    half = 1.959964 * diff.std() / np.sqrt(len(diff))
    assert s["difference"] - s["low"] == pytest.approx(half, rel=0.03)
    assert s["high"] - s["difference"] == pytest.approx(half, rel=0.03)


def test_scores_are_read_in_double_precision_and_a_difference_of_exactly_the_tie_counts_neither_way():
    from training.compare_weights import TIE, paired_summary, verdict
    old = np.array([0.1, 0.2, 0.3], np.float32)
    assert paired_summary(old, old)["old"] == float(old.astype(np.float64).mean())
    assert paired_summary(old, old + np.float32(0.05))["new"] == float((old + np.float32(0.05)).astype(np.float64).mean())
    s = paired_summary([0.0, TIE, 0.0], [TIE, 0.0, 2 * TIE])
    assert (s["better"], s["worse"]) == (0, 1)
    assert verdict({"low": -1.0, "high": 0.0}) == verdict({"low": 0.0, "high": 1.0}) == "no clear difference"


def test_the_command_passes_its_set_flags_reports_each_set_and_refuses_a_missing_old_file(tmp_path, monkeypatch,
                                                                                           capsys):
    from training import compare_weights, evaluate
    asked = []
    monkeypatch.setattr(evaluate, "evaluation_sets", lambda optional: asked.append(optional) or {"gone": None,
                                                                                              "tiny": "data"})
    monkeypatch.setattr(compare_weights, "drawing_nrmse",
                        lambda weights, data: np.array([0.2, 0.3]) if weights.endswith("a.pt") else np.array([0.1, 0.2]))
    for name in ("a.pt", "b.pt"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(sys, "argv", ["compare_weights", str(tmp_path / "a.pt"), str(tmp_path / "b.pt"),
                                      "--freestyle", "--rods"])
    compare_weights.main()
    out = capsys.readouterr().out.splitlines()
    assert asked == [("rods", "freestyle")]
    assert out[0] == f"gone: skipped ({evaluate.MESH_DIR} not present)"
    assert out[1].split()[:8] == ["tiny", "2", "drawings", "nRMSE", "0.2500", "→", "0.1500", "difference"]
    assert out[1].endswith("better on 2, worse on 0: better") and "-0.1000 [-0.1000, -0.1000]" in out[1]
    monkeypatch.setattr(sys, "argv", ["compare_weights", str(tmp_path / "absent.pt"), str(tmp_path / "b.pt")])
    with pytest.raises(SystemExit) as stop:
        compare_weights.main()
    assert stop.value.code == 2 and "absent.pt: no such weights file" in capsys.readouterr().err


def test_help_shows_the_module_text_as_written_and_says_what_each_argument_is(monkeypatch, capsys):
    from training import compare_weights
    monkeypatch.setattr(sys, "argv", ["compare_weights", "--help"])
    with pytest.raises(SystemExit):
        compare_weights.main()
    out = capsys.readouterr().out
    usage = compare_weights.__doc__.splitlines()[3].strip()
    assert usage.startswith("python -m") and usage in [line.strip() for line in out.splitlines()]   # lines kept
    assert "the weights to beat (.pt state dict or a training checkpoint)" in out
    assert "also write the summaries here" in out


def test_select_checkpoint_ranks_on_pooled_drawings_and_writes_the_choice(tmp_path, monkeypatch, capsys):
    from training import evaluate, select_checkpoint
    mask = np.zeros((1, 8, 8), bool)
    mask[0, 2:6, 2:6] = True
    truth = np.where(mask, np.arange(8.0)[None, None, :], 0.0)
    data = {"nearness": truth, "mask": mask, "image": np.zeros((1, 8, 8, 3)),
            "planes": np.zeros((1, 8, 8), np.int32), "proportion": np.array([np.nan])}
    monkeypatch.setattr(evaluate, "CACHE", tmp_path)
    monkeypatch.setattr(select_checkpoint, "SEEDS", range(3, 5))
    made = []
    monkeypatch.setattr(select_checkpoint.dataset, "sample", lambda seed, size: made.append((seed, size)) or
                        {k: v[0] for k, v in data.items()} | {"info": "x", "proportion": np.nan})
    held = {k: np.concatenate([v] * 3) for k, v in data.items()}
    held["nearness"] = held["nearness"] ** 2                 # another truth, so the sets score differently
    monkeypatch.setattr(select_checkpoint, "shard_drawings", lambda folders: held if folders == ["held"] else None)
    monkeypatch.setattr(evaluate, "load_depthy", lambda path: path)
    used = []
    monkeypatch.setattr(select_checkpoint.depthy_engine, "use_model", used.append)
    guesses = {"good.pt": truth[0], "bad.pt": truth[0][:, ::-1].copy()}
    asked = []
    monkeypatch.setattr(evaluate, "predict_all", lambda method, d, model, size: asked.append((method, size)) or [
        (guesses[Path(model).name], mask[0])] * len(d["mask"]))
    paths = []
    for name in ("bad.pt", "good.pt"):
        paths.append(str(tmp_path / name))
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(sys, "argv", ["select_checkpoint", *paths, "--also", "held"])
    select_checkpoint.main()
    out = capsys.readouterr().out.splitlines()
    assert made == [(3, 256), (4, 256)] and used == paths
    assert out[0].startswith(f"{paths[0]}: selection nRMSE ") and " | held-out nRMSE " in out[0]
    assert out[1].startswith(f"{paths[1]}: selection nRMSE 0.0000 acc5 1.000 IoU 1.000 | held-out nRMSE ")
    assert " | pooled " in out[1] and out[2] == f"selected {paths[1]}"
    assert set(asked) == {("depthy", 256)}
    words = out[0].split()
    selection, held_out, pooled = (float(words[words.index(w) + 2 if w != "pooled" else words.index(w) + 1])
                                   for w in ("selection", "held-out", "pooled"))
    assert selection != held_out and pooled == pytest.approx((2 * selection + 3 * held_out) / 5, abs=1e-4)
    assert (tmp_path / "selected.txt").read_text() == paths[1]
    monkeypatch.setattr(sys, "argv", ["select_checkpoint", paths[0]])
    select_checkpoint.main()
    assert made == [(3, 256), (4, 256)]                           # the selection drawings are cached
    assert "pooled" not in capsys.readouterr().out


def test_comparing_leaves_the_engine_with_the_shipped_weights(tmp_path):
    """drawing_nrmse runs the weights it is given, then gives the engine back (a later Depthy predict in the
    same process reads with the shipped weights, not the compared ones)."""
    from depthy_blender.models import depthy_engine
    from depthy_blender.models.depthy import Depthy
    from training import compare_weights
    from training.synth import dataset
    torch.manual_seed(0)
    torch.save(Depthy().state_dict(), tmp_path / "w.pt")
    items = [dataset.sample(3, 64)]
    data = {k: np.stack([i[k] for i in items]) for k in ("image", "nearness", "mask")}
    compare_weights.drawing_nrmse(str(tmp_path / "w.pt"), data)
    assert depthy_engine._MODELS == {}

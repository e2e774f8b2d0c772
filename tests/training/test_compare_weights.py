"""training/compare_weights.py: the paired per-drawing test behind a shipping decision."""
import json
import sys

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

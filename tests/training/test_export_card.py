"""training/export_weights.py run as a program on a CPU run's folder: which weights it ships and what the
model card says about them (the checkpoint's row, the lineage's totals, the run's settings, the caches,
the evaluation), and the one-line refusals."""
import json
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

HISTORY = ("epoch,step,samples,wall_s,val_loss,val_nrmse,val_mask_iou\n"
           "1,300,3600,980.4,0.41,0.140,0.970\n"
           "2,600,7200,1950.0,0.40,0.150,0.975\n"
           "2,655,7860,2101.7,0.39,0.151,0.980\n")


@pytest.fixture(scope="module")
def state():
    from depthy_blender.models.depthy import Depthy
    torch.manual_seed(0)
    return Depthy().state_dict()


@pytest.fixture
def run(tmp_path, state):
    folder = tmp_path / "r9"
    folder.mkdir()
    (folder / "history.csv").write_text(HISTORY)
    torch.save(state, folder / "best.pt")
    settings = {"step": 655, "aligned": True, "freeze_stem": True, "lr_patience": 1000, "patience": 0}
    torch.save({"model": state, "opt": {}, "state": settings}, folder / "last.pt")
    return folder


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """weights.save writes into a scratch folder instead of the add-on's."""
    from depthy_blender.models import weights
    out = tmp_path / "shipped"
    real = weights.save
    monkeypatch.setattr(weights, "save", lambda state, card: real(state, card, folder=out))
    return out


def export(monkeypatch, *args):
    from training import export_weights
    monkeypatch.setattr(sys, "argv", ["export_weights", *map(str, args)])
    export_weights.main()


def card_of(folder):
    return json.loads(next(folder.glob("*.json")).read_text())


def test_the_last_checkpoint_ships_with_its_own_row_the_lineages_totals_and_the_runs_settings(
        tmp_path, monkeypatch, run, shipped, state, capsys):
    from depthy_blender.models import weights
    from depthy_blender.models.depthy import Depthy, parameter_count
    from training.export_weights import ALIGNED, LOSSES
    parent = tmp_path / "parent.json"
    parent.write_text(json.dumps({"name": "depthy-0.14.0", "training": {"samples_seen_total": 1_000_000,
                                                                      "wall_time_seconds_total": 90_000}}))
    via = tmp_path / "r8"
    via.mkdir()
    (via / "history.csv").write_text("epoch,step,samples,wall_s,val_nrmse\n1,10,500,60.9,0.2\n")
    carry = tmp_path / "carry.json"
    carry.write_text(json.dumps({"caches": [{"folder": "train256ak", "drawings": 2750}]}))
    evaluation = tmp_path / "eval.json"
    evaluation.write_text(json.dumps({"meshes": {"depthy": {"nrmse": 0.12}}}))
    export(monkeypatch, "--run", run, "--checkpoint", "last.pt", "--parent", parent, "--via", via,
           "--carried", carry, "--selection", "lowest validation nRMSE", "--nearness", "figure widths",
           "--eval-json", evaluation)
    card = card_of(shipped)
    t = card["training"]
    assert (t["checkpoint"], t["epoch"], t["samples_seen"], t["steps"]) == ("last.pt", 2, 7860, 655)
    assert t["best_validation_epoch"] == 1
    assert t["validation"] == {"loss": 0.39, "nrmse": 0.151, "mask_iou": 0.98}
    assert t["samples_seen_total"] == 7860 + 1_000_000 + 500 and t["wall_time_seconds_total"] == 2101 + 90_000 + 60
    assert t["losses"] == LOSSES + ALIGNED and "constant rate" in t["optimiser"] and "no early stop" in t["optimiser"]
    assert "--freeze-stem" in t["frozen"] and t["hardware"] == "2 CPU cores, no GPU"
    assert t["started_from"] == "depthy-0.14.0 (its 1,000,000 samples and 90,000 s are included in the totals)"
    assert t["via"] == "r8 (500 samples, 60 s, not shipped; included in the totals)"
    assert t["selection"] == "lowest validation nRMSE" and "averaged" not in t and "tail_mean" not in t
    assert "This run's caches: 2,750 drawings (train256ak)" in card["data"]
    assert card["inference"]["nearness"] == "figure widths" and card["inference"]["default_size"] == 256
    assert card["evaluation"]["meshes"] == {"depthy": {"nrmse": 0.12}} and "evaluate.py" in card["evaluation"]["method"]
    assert card["parameters"] == parameter_count(Depthy())
    assert set(card) == {"name", "architecture", "parameters", "precision", "data", "training", "inference",
                         "evaluation", "file", "sha256", "size_bytes"}
    assert set(t) == {"losses", "optimiser", "checkpoint", "epoch", "samples_seen", "steps", "best_validation_epoch",
                      "samples_seen_total", "wall_time_seconds_total", "hardware", "validation", "frozen",
                      "started_from", "via", "selection"}
    assert (card["name"], card["precision"]) == (weights.DEPTHY_NAME, "float16 (loaded as float32 on the CPU)")
    assert card["architecture"].startswith("Depthy: ResNet-50 encoder") and card["data"].startswith("Procedural")
    assert set(card["inference"]) == {"default_size", "note", "nearness"} and "mirror" in card["inference"]["note"]
    written = torch.load(next(shipped.glob("*.pt")), weights_only=True)
    assert all(torch.equal(written[k], v.half() if v.is_floating_point() else v) for k, v in state.items())
    pt = next(shipped.glob("*.pt"))
    assert capsys.readouterr().out == f"wrote {pt} ({pt.stat().st_size / 1e6:.1f} MB) and its model card\n"


def test_a_bare_best_checkpoint_reads_the_runs_settings_from_last_and_counts_its_cache(
        tmp_path, monkeypatch, run, shipped):
    from training.export_weights import LOSSES
    torch.save({"model": torch.load(run / "best.pt", weights_only=True), "state": {"step": 655}}, run / "last.pt")
    cache = tmp_path / "cache"
    cache.mkdir()
    for n, seeds in enumerate(([5, 6, 7], [8, 9])):
        np.savez(cache / f"shard-{n:03d}.npz", seeds=np.array(seeds))
    monkeypatch.chdir(tmp_path)                          # the default cache folder is read from where it runs
    (tmp_path / "training" / "cache").mkdir(parents=True)
    cache.rename(tmp_path / "training" / "cache" / "train128")
    export(monkeypatch, "--run", run, "--nearness", "unit range")
    card = card_of(shipped)
    t = card["training"]
    assert (t["checkpoint"], t["epoch"], t["steps"], t["samples_seen"]) == ("best.pt", 1, 300, 3600)
    assert t["validation"] == {"loss": 0.41, "nrmse": 0.14, "mask_iou": 0.97}
    assert t["samples_seen_total"] == 7860 and t["wall_time_seconds_total"] == 2101
    assert t["losses"] == LOSSES and "frozen" not in t and "ReduceLROnPlateau(0.5, patience 2)" in t["optimiser"]
    assert "started_from" not in t and "via" not in t and "selection" not in t and "evaluation" not in card
    assert "This run's cache: 5 drawings (2 shards)" in card["data"] and card["inference"]["nearness"] == "unit range"


def test_a_tail_mean_ships_with_its_own_validation_and_an_average_with_others_is_averaged(
        tmp_path, monkeypatch, run, shipped, state):
    (run / "average.csv").write_text("epoch,step,samples,epochs_averaged,val_nrmse,val_mask_iou\n"
                                     "2,600,7200,2,0.149,0.981\n")
    torch.save(state, run / "average.pt")
    export(monkeypatch, "--run", run, "--checkpoint", "average.pt")
    t = card_of(shipped)["training"]
    assert (t["epoch"], t["steps"], t["samples_seen"]) == (2, 600, 7200)
    assert t["validation"] == {"nrmse": 0.149, "mask_iou": 0.981}
    assert t["tail_mean"].startswith("mean of the weights at 2 epoch ends up to epoch 2")

    other = {k: v * 3 if v.is_floating_point() else v for k, v in state.items()}
    torch.save(other, tmp_path / "other.pt")
    export(monkeypatch, "--run", run, "--average-with", tmp_path / "other.pt")
    t = card_of(shipped)["training"]
    assert t["averaged"].startswith("uniform average of best.pt and other.pt")
    written = torch.load(next(shipped.glob("*.pt")), weights_only=True)
    name = next(k for k, v in state.items() if v.is_floating_point() and v.abs().max() > 0.1)
    assert torch.allclose(written[name].float(), 2 * state[name], rtol=1e-3, atol=1e-3)


def test_the_command_refuses_in_one_line_what_it_cannot_ship(tmp_path, monkeypatch, run, shipped, capsys):
    for args, says in (((), "give --run or --gpu-run"),
                       (("--gpu-run", run), "--gpu-run needs --gate")):
        with pytest.raises(SystemExit) as stop:
            export(monkeypatch, *args)
        assert stop.value.code == 2 and says in capsys.readouterr().err
    compare = tmp_path / "compare.json"
    compare.write_text(json.dumps({"meshes": {"verdict": "better", "low": -0.01, "high": -0.001}}))
    with pytest.raises(SystemExit, match="no freestyle set"):
        export(monkeypatch, "--run", run, "--gate", compare)
    empty = tmp_path / "empty"
    empty.mkdir()
    torch.save(torch.load(run / "last.pt", weights_only=True), empty / "last.pt")
    with pytest.raises(SystemExit) as stop:
        export(monkeypatch, "--run", empty, "--checkpoint", "last.pt")
    assert str(stop.value) == f"no training history in {empty / 'history.csv'}: is --run a training run folder?"
    for args, says in ((("--checkpoint", "average.pt"), f"no such checkpoint: {run / 'average.pt'}"),
                       (("--average-with", tmp_path / "gone.pt"), f"no such checkpoint: {tmp_path / 'gone.pt'}")):
        with pytest.raises(SystemExit) as stop:
            export(monkeypatch, "--run", run, *args)
        assert str(stop.value) == says
    torch.save({"head.weight": torch.zeros(1)}, run / "other.pt")
    with pytest.raises(SystemExit) as stop:
        export(monkeypatch, "--run", run, "--checkpoint", "other.pt")
    said = str(stop.value)
    start = f"{run / 'other.pt'}: not weights of this Depthy (Missing key(s) in state_dict: "
    assert said.startswith(start) and "\n" not in said
    assert len(said) == len(f"{run / 'other.pt'}: not weights of this Depthy (") + 200 + 1     # the first 200 characters
    torch.save(torch.load(run / "best.pt", weights_only=True), run / "average.pt")
    with pytest.raises(SystemExit) as stop:
        export(monkeypatch, "--run", run, "--checkpoint", "average.pt")
    assert str(stop.value).startswith(f"no tail mean logged in {run / 'average.csv'}: ")
    with pytest.raises(SystemExit) as stop:
        export(monkeypatch, "--run", run, "--nearness", "metres")
    assert stop.value.code == 2 and "invalid choice: 'metres'" in capsys.readouterr().err
    assert not shipped.exists()


def test_every_checkpoint_is_read_onto_the_cpu_without_running_pickled_code(tmp_path, monkeypatch, run, shipped):
    from tests.training.loads import recorded_loads
    asked = recorded_loads(monkeypatch)
    export(monkeypatch, "--run", run)                   # best.pt, then last.pt for the run's settings
    assert asked[:2] == [{"map_location": "cpu", "weights_only": True},
                         {"map_location": "cpu", "weights_only": True, "mmap": True}]


def test_a_checkpoints_own_settings_win_over_the_last_ones(monkeypatch, run, shipped, state):
    from training.export_weights import LOSSES, optimiser_description
    torch.save({"model": state, "state": {"step": 600, "aligned": False}}, run / "mid.pt")
    export(monkeypatch, "--run", run, "--checkpoint", "mid.pt")
    t = card_of(shipped)["training"]
    assert t["losses"] == LOSSES and (t["steps"], t["epoch"]) == (600, 2) and "frozen" not in t
    assert optimiser_description({"lr_patience": 1, "patience": 1}).endswith("early stop (patience 1) on validation nRMSE")


def test_a_gpu_window_is_shipped_from_the_command_line_into_the_add_ons_folder(tmp_path, monkeypatch, capsys):
    from training import export_weights
    asked = []
    made = tmp_path / "depthy.pt"
    made.write_bytes(b"x" * 2_345_678)
    monkeypatch.setattr(export_weights, "export_gpu_run", lambda *a: asked.append(a) or made)
    compare = tmp_path / "compare.json"
    export(monkeypatch, "--gpu-run", tmp_path / "window", "--gate", compare, "--parent", "p.json")
    assert asked == [(tmp_path / "window", compare, "p.json")]
    assert capsys.readouterr().out == f"wrote {made} (2.3 MB) and its model card\n"
    export(monkeypatch, "--gpu-run", tmp_path / "window", "--gate", compare)
    assert asked[-1] == (tmp_path / "window", compare, None)


def test_help_says_what_each_argument_is(monkeypatch, capsys):
    from training import export_weights
    with pytest.raises(SystemExit):
        export(monkeypatch, "--help")
    out = " ".join(capsys.readouterr().out.split())
    assert "Ship a trained checkpoint: fp16 state dict + model card" in out
    for says in ("a train.py run folder", "a training.gpu_run output folder (weight parts + log.json)",
                 "training.compare_weights --json of the shipped and the new weights; required with --gpu-run",
                 "results of training.evaluate for this checkpoint", "the shard folders trained on (counted)",
                 "carry cards of each session of the run (training.carry); replaces --cache",
                 "model card of the weights this run started from (--init)",
                 "runs between --parent and --run that were never shipped (their totals are added)",
                 "ship the average of --checkpoint and these checkpoints (same architecture)",
                 "how this checkpoint was chosen (e.g. training.select_checkpoint output)",
                 "what the raw nearness was taught: [0, 1] over each figure, or depth in figure widths"):
        assert says in out, says
    assert export_weights.__doc__.split()[0] == "Ship"

"""The CPU training loop's epoch ends and run state (training/train.py: `end_epoch`, `fold_tail`,
`start_or_resume`) with validation and the network stood in, so each number is worked out by hand: the
epoch counted, the schedule stepped, the best kept, bad epochs counted, the history row and line, the
tail mean folded in when due and saved with the run, early stopping, and a run started, initialised or
resumed with what is given now replacing what it began with."""
import argparse
import math

import pytest

torch = pytest.importorskip("torch")
from training import train  # noqa: E402


class Schedule:
    def __init__(self):
        self.steps, self.patience = [], None

    def step(self, value):
        self.steps.append(value)

    def state_dict(self):
        return {"steps": list(self.steps)}

    def load_state_dict(self, state):
        self.steps = state["steps"]


def _setup(monkeypatch, scores):
    scores = iter(scores)
    asked = []
    model = torch.nn.Linear(2, 1)
    monkeypatch.setattr(train, "validate", lambda net, val, aligned=False, parts=(): asked.append((val, aligned, parts)) or
                        asked.append(("model", net is model, type(net).__name__)) or next(scores))
    opt = torch.optim.SGD(model.parameters(), lr=0.25)
    return model, opt, Schedule(), asked


def _state(**extra):
    return {"step": 100, "samples": 6400, "epoch": 2, "wall": 12.6, "best": 0.2, "bad_epochs": 1} | extra


def test_a_better_epoch_is_kept_and_logged(tmp_path, monkeypatch, capsys):
    model, opt, sched, asked = _setup(monkeypatch, [(0.1234567, 0.1512345, 0.9012345, {"synthetic": 0.15, "held": 0.2})])
    state = _state(aligned=True)
    stop = train.end_epoch(model, opt, sched, state, "val", [("p", 0, 1)], tmp_path, [0.25, 0.5, 0.1234567])
    assert stop is False and asked == [("val", True, [("p", 0, 1)]), ("model", True, "Linear")]
    assert state["epoch"] == 3 and state["best"] == 0.1512345 and state["bad_epochs"] == 0 and sched.steps == [0.1512345]
    best = torch.load(tmp_path / "best.pt", weights_only=True)
    assert all(torch.equal(best[k], v) for k, v in model.state_dict().items())
    assert (tmp_path / "history.csv").read_text().splitlines() == [
        "epoch,step,samples,wall_s,lr,train_loss,val_loss,val_nrmse,val_mask_iou", "3,100,6400,13,0.25,0.29115,0.12346,0.1512,0.9012"]
    assert capsys.readouterr().out == "epoch 3: val loss 0.1235 nRMSE 0.1512 (synthetic 0.1500, held 0.2000) IoU 0.9012 (best)\n"
    last = torch.load(tmp_path / "last.pt", weights_only=True)
    assert set(last) == {"model", "opt", "sched", "state"} and last["state"] == state and last["sched"] == {"steps": [0.1512345]}
    assert last["opt"]["param_groups"][0]["lr"] == 0.25


def test_worse_epochs_count_until_the_patience_runs_out(tmp_path, monkeypatch, capsys):
    model, opt, sched, asked = _setup(monkeypatch, [(0.5, 0.2, 0.8, {}), (0.5, 0.3, 0.8, {}), (0.5, 0.3, 0.8, {}),
                                                    (0.5, 0.3, 0.8, {}), (0.5, 0.3, 0.8, {})])
    state = _state(patience=3)
    assert train.end_epoch(model, opt, sched, state, "val", [], tmp_path, []) is False   # 0.2 is no gain on 0.2
    assert asked[0] == ("val", False, [])                                # not aligned unless the run is
    assert state["bad_epochs"] == 2 and state["best"] == 0.2 and not (tmp_path / "best.pt").exists()
    assert train.end_epoch(model, opt, sched, state, "val", [], tmp_path, []) is True    # the third bad epoch
    assert state["epoch"] == 4 and sched.steps == [0.2, 0.3]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "epoch 3: val loss 0.5000 nRMSE 0.2000 IoU 0.8000"
    assert (tmp_path / "history.csv").read_text().splitlines()[1].split(",")[5] == "nan"   # no training losses
    state = _state(patience=0, bad_epochs=50)
    assert train.end_epoch(model, opt, sched, state, "val", [], tmp_path, []) is False    # 0: never stops
    assert train.end_epoch(model, opt, sched, _state(patience=1, bad_epochs=0), "val", [], tmp_path, []) is True


def test_the_final_row_counts_no_epoch(tmp_path, monkeypatch):
    model, opt, sched, _ = _setup(monkeypatch, [(0.5, 0.3, 0.8, {}), (0.5, 0.1, 0.8, {})])
    state = _state()
    assert train.end_epoch(model, opt, sched, state, "val", [], tmp_path, [1.0], final=True) is False
    assert state["epoch"] == 2 and state["bad_epochs"] == 1 and sched.steps == []
    train.end_epoch(model, opt, sched, state, "val", [], tmp_path, [1.0], final=True)
    assert state["best"] == 0.1 and state["bad_epochs"] == 0 and (tmp_path / "best.pt").exists()


def test_the_tail_mean_is_folded_in_when_due_and_saved_with_the_run(tmp_path, monkeypatch):
    folded = []

    def fold(tail, net, state, val, parts, run):
        assert net is model
        folded.append((state["epoch"], state["step"], val, parts, run))
        tail.update(mean={"w": torch.ones(1)}, count=tail["count"] + 1, step=state["step"])
    monkeypatch.setattr(train, "fold_tail", fold)
    model, opt, sched, _ = _setup(monkeypatch, [(0.5, 0.3, 0.8, {})] * 6)
    tail = {"from": 4, "mean": None, "count": 0, "step": None}
    state = _state()
    train.end_epoch(model, opt, sched, state, "val", ["parts"], tmp_path, [], tail)      # epoch 3: not yet
    assert folded == [] and "average" not in torch.load(tmp_path / "last.pt", weights_only=True)
    train.end_epoch(model, opt, sched, state, "val", ["parts"], tmp_path, [], tail)      # epoch 4: from here on
    assert folded == [(4, 100, "val", ["parts"], tmp_path)]
    assert torch.load(tmp_path / "last.pt", weights_only=True)["average"] == {"mean": {"w": torch.ones(1)}, "count": 1, "step": 100}
    train.end_epoch(model, opt, sched, state, "val", ["parts"], tmp_path, [], tail, final=True)   # same step: not twice
    assert len(folded) == 1
    state["step"] = 150
    train.end_epoch(model, opt, sched, state, "val", ["parts"], tmp_path, [], tail)
    assert len(folded) == 2
    for off in ({"from": 0, "mean": None, "count": 0, "step": None}, {}):
        folded.clear()
        train.end_epoch(model, opt, sched, _state(epoch=9), "val", [], tmp_path, [], off)
        assert folded == [] and "average" not in torch.load(tmp_path / "last.pt", weights_only=True)


def test_a_fold_validates_and_saves_the_mean(tmp_path, monkeypatch, capsys):
    given = []
    monkeypatch.setattr(train, "fold_in", lambda mean, weights, count: given.append((mean, count)) or {k: v * 2 for k, v in weights.items()})
    monkeypatch.setattr(train, "Depthy", lambda: torch.nn.Linear(2, 1))
    model, _, _, asked = _setup(monkeypatch, [(0.5, 0.12346, 0.87654, {"a": 0.11112})])
    tail = {"from": 1, "mean": "old", "count": 2, "step": None}
    state = _state(epoch=5, aligned=True)
    train.fold_tail(tail, model, state, "val", ["parts"], tmp_path)
    assert given == [("old", 2)] and tail["count"] == 3 and tail["step"] == 100
    assert all(torch.equal(tail["mean"][k], v * 2) for k, v in model.state_dict().items())
    assert asked == [("val", True, ["parts"]), ("model", False, "Linear")]   # the mean's own network
    saved = torch.load(tmp_path / "average.pt", weights_only=True)
    assert all(torch.equal(saved[k], v * 2) for k, v in model.state_dict().items())
    assert (tmp_path / "average.csv").read_text().splitlines() == [
        "epoch,step,samples,epochs_averaged,val_nrmse,val_mask_iou,a", "5,100,6400,3,0.1235,0.8765,0.1111"]
    assert capsys.readouterr().out == "  mean of 3 epoch ends: nRMSE 0.1235 (a 0.1111) IoU 0.8765\n"
    monkeypatch.setattr(train, "validate", lambda net, val, aligned=None, parts=(): given.append(aligned) or (0, 0.1, 0.9, {}))
    train.fold_tail(tail, model, _state(), "val", [], tmp_path)
    assert given[-1] is False                                            # not aligned unless the run is


def _args(**given):
    base = {"resume": False, "init": None, "aligned": False, "freeze_stem": False, "ssi_weight": 0.5, "lr": None,
            "patience": None, "lr_patience": None, "average_from": None}
    return argparse.Namespace(**(base | given))


def test_a_new_run_and_one_from_given_weights(tmp_path, monkeypatch, capsys):
    model, opt, sched, _ = _setup(monkeypatch, [])
    tail = {}
    state = train.start_or_resume(_args(aligned=True, patience=7), tmp_path, model, opt, sched, tail)
    assert state == {"step": 0, "samples": 0, "epoch": 0, "wall": 0.0, "best": math.inf, "bad_epochs": 0,
                     "aligned": True, "freeze_stem": False, "ssi_weight": 0.5, "patience": 7,
                     "lr_patience": train.LR_PATIENCE, "average_from": 0}
    assert sched.patience == train.LR_PATIENCE and tail == {"from": 0} and capsys.readouterr().out == ""
    loaded = []
    monkeypatch.setattr(train, "depthy_weights", lambda path: f"weights of {path}")
    monkeypatch.setattr(train, "load_into", lambda m, weights, where: loaded.append((m, weights, where)))
    train.start_or_resume(_args(init="w.pt", resume=True, lr_patience=2, average_from=3), tmp_path, model, opt, sched, tail)
    assert loaded == [(model, "weights of w.pt", "w.pt")] and sched.patience == 2 and tail == {"from": 3}
    assert capsys.readouterr().out == "initialised from w.pt\n"                     # --resume with nothing to resume


def test_a_resumed_run_keeps_its_own_unless_told_otherwise(tmp_path, monkeypatch, capsys):
    model, opt, sched, _ = _setup(monkeypatch, [])
    began = _state(aligned=True, freeze_stem=True, ssi_weight=0.2, patience=9, lr_patience=4, average_from=6)
    opt.param_groups[0]["lr"] = 0.125
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": {"steps": [0.3]}, "state": began,
                "average": {"mean": {"w": torch.ones(1)}, "count": 2, "step": 90}}, tmp_path / "last.pt")
    opt.param_groups[0]["lr"] = 1.0
    tail = {"mean": None}
    original, places = train.load_into, []
    monkeypatch.setattr(train, "load_into", lambda m, weights, where: places.append(where) or original(m, weights, where))
    state = train.start_or_resume(_args(resume=True, aligned=False, ssi_weight=0.9), tmp_path, model, opt, sched, tail)
    assert state == began and opt.param_groups[0]["lr"] == 0.125 and sched.steps == [0.3] and sched.patience == 4
    assert tail["count"] == 2 and tail["step"] == 90 and tail["from"] == 6
    assert capsys.readouterr().out == "resumed at step 100 (6400 samples), rate 0.125\n" and places == [tmp_path / "last.pt"]
    state = train.start_or_resume(_args(resume=True, lr=0.01, patience=2, lr_patience=1, average_from=8), tmp_path, model,
                                  opt, sched, {})
    assert opt.param_groups[0]["lr"] == 0.01 and (state["patience"], state["lr_patience"], state["average_from"]) == (2, 1, 8)
    assert capsys.readouterr().out == "resumed at step 100 (6400 samples), rate 0.01\n"

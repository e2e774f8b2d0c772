"""train.py --resume: a run comes back with its weights, step, schedule and --average-from; a --lr, --patience,
--lr-patience or --average-from given with --resume replaces the run's own, and without them the run keeps
its own."""
import argparse

import pytest

torch = pytest.importorskip("torch")
from depthy_blender.models.depthy import Depthy  # noqa: E402
from tests.training.tiny_validation import tiny_validation  # noqa: E402
from training.train import end_epoch, start_or_resume  # noqa: E402


def _args(**given):
    values = dict(resume=True, init=None, lr=None, patience=None, lr_patience=None, average_from=None, aligned=True,
                  freeze_stem=True, ssi_weight=1.0)
    return argparse.Namespace(**(values | given))


def _fresh(lr=1e-3, lr_patience=2):
    model = Depthy()
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    return model, opt, torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=lr_patience)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run whose last.pt was written at step 7 with rate 5e-5, no early stop and a constant rate."""
    path = tmp_path_factory.mktemp("run")
    torch.manual_seed(0)
    model, opt, sched = _fresh(lr=5e-5, lr_patience=1000)
    val = tiny_validation(1)
    state = {"step": 7, "samples": 84, "epoch": 0, "wall": 1.0, "best": float("inf"), "bad_epochs": 0,
             "aligned": True, "freeze_stem": True, "ssi_weight": 1.0, "patience": 0, "lr_patience": 1000,
             "average_from": 2}
    end_epoch(model, opt, sched, state, val, [], path, [1.0])
    return path, model.state_dict()


def test_a_resumed_run_keeps_its_own_rate_and_schedule(run):
    path, weights = run
    model, opt, sched = _fresh()
    tail = {"from": 0, "mean": None, "count": 0}
    state = start_or_resume(_args(), path, model, opt, sched, tail)
    assert state["step"] == 7 and state["patience"] == 0 and state["lr_patience"] == 1000 and tail["from"] == 2
    assert opt.param_groups[0]["lr"] == pytest.approx(5e-5) and sched.patience == 1000
    name = next(iter(weights))
    assert torch.equal(model.state_dict()[name], weights[name])


def test_a_rate_and_patience_given_with_resume_replace_the_runs_own(run):
    path, _ = run
    model, opt, sched = _fresh()
    tail = {"from": 0, "mean": None, "count": 0}
    given = _args(lr=2.5e-5, patience=4, lr_patience=1, average_from=5)
    state = start_or_resume(given, path, model, opt, sched, tail)
    assert opt.param_groups[0]["lr"] == pytest.approx(2.5e-5)
    assert state["patience"] == 4 and state["lr_patience"] == 1 and sched.patience == 1 and tail["from"] == 5


def test_a_new_run_takes_the_defaults(tmp_path):
    model, opt, sched = _fresh()
    state = start_or_resume(_args(resume=False), tmp_path, model, opt, sched, {"from": 0, "mean": None, "count": 0})
    assert state["step"] == 0 and state["patience"] == 5 and state["lr_patience"] == 2 and sched.patience == 2


def test_weights_of_another_architecture_are_refused_in_one_line_for_init_and_resume(run, tmp_path):
    path, weights = run
    other = {k: v for k, v in weights.items() if k != "encoder.conv1.weight"}
    torch.save(other, tmp_path / "other.pt")
    model, opt, sched = _fresh()
    with pytest.raises(SystemExit) as stop:
        start_or_resume(_args(resume=False, init=str(tmp_path / "other.pt")), tmp_path / "new", model, opt, sched,
                        {"from": 0, "mean": None, "count": 0})
    assert str(stop.value).startswith(f"{tmp_path / 'other.pt'}: not weights of this Depthy (Missing key(s)")
    resumed = tmp_path / "resumed"
    resumed.mkdir()
    checkpoint = torch.load(path / "last.pt", weights_only=True)
    torch.save(dict(checkpoint, model=other), resumed / "last.pt")
    with pytest.raises(SystemExit) as stop:
        start_or_resume(_args(), resumed, model, opt, sched, {"from": 0, "mean": None, "count": 0})
    said = str(stop.value)
    assert said.startswith(f"{resumed / 'last.pt'}: not weights of this Depthy (Missing key(s)") and "\n" not in said

"""train.py --patience and --lr-patience: the early stop comes after the chosen number of epochs without a
validation gain, never with 0 (a run resumed over many sessions), and the rate is halved only after
--lr-patience such epochs."""
import pytest

torch = pytest.importorskip("torch")
from depthy_blender.models.depthy import Depthy  # noqa: E402
from tests.training.tiny_validation import tiny_validation  # noqa: E402
from training.train import end_epoch  # noqa: E402


def _epochs_until_stop(tmp_path, patience, lr_patience, epochs=6):
    """Run end_epoch on unchanged weights (so no epoch after the first gains); the epoch that stops, or None,
    and the rate at the end."""
    tmp_path.mkdir()
    torch.manual_seed(0)
    model = Depthy()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=lr_patience)
    val = tiny_validation(1)
    state = {"step": 0, "samples": 0, "epoch": 0, "wall": 0.0, "best": float("inf"), "bad_epochs": 0,
             "patience": patience}
    for epoch in range(1, epochs + 1):
        state["step"] += 1
        if end_epoch(model, opt, sched, state, val, [], tmp_path, [1.0]):
            return epoch, opt.param_groups[0]["lr"]
    return None, opt.param_groups[0]["lr"]


def test_early_stop_follows_the_chosen_patience(tmp_path):
    stopped, _ = _epochs_until_stop(tmp_path / "a", patience=2, lr_patience=1000)
    assert stopped == 3          # epoch 1 sets the best; epochs 2 and 3 do not beat it


def test_patience_zero_never_stops_and_a_long_lr_patience_keeps_the_rate(tmp_path):
    stopped, lr = _epochs_until_stop(tmp_path / "b", patience=0, lr_patience=1000)
    assert stopped is None and lr == pytest.approx(1e-4)
    _, lr = _epochs_until_stop(tmp_path / "c", patience=0, lr_patience=1)
    assert lr < 1e-4

"""train.py --average-from: epoch ends from the given epoch on are folded into a mean of the weights that is
validated and saved (average.pt, average.csv) and carried in last.pt for --resume; earlier epochs are not."""
import csv

import pytest

torch = pytest.importorskip("torch")
from depthy_blender.models.depthy import Depthy  # noqa: E402
from tests.training.tiny_validation import tiny_validation  # noqa: E402
from training.train import end_epoch  # noqa: E402


def _nudge(model, amount):
    with torch.no_grad():
        for p in model.parameters():
            p.add_(amount)


def test_epoch_ends_from_the_chosen_epoch_on_are_averaged_and_checkpointed(tmp_path):
    torch.manual_seed(0)
    model = Depthy()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt)
    val = tiny_validation(2)
    state = {"step": 0, "samples": 0, "epoch": 0, "wall": 0.0, "best": float("inf"), "bad_epochs": 0}
    tail = {"from": 2, "mean": None, "count": 0}
    seen = []
    for epoch in range(3):
        _nudge(model, 0.01)
        state["step"] += 10
        seen.append({k: v.clone() for k, v in model.state_dict().items()})
        end_epoch(model, opt, sched, state, val, [], tmp_path, [1.0], tail)
    # the final time-box row after an early stop repeats the step: not folded in twice
    end_epoch(model, opt, sched, state, val, [], tmp_path, [], tail, final=True)

    assert tail["count"] == 2     # epochs 2 and 3; epoch 1 came before --average-from
    saved = torch.load(tmp_path / "average.pt", weights_only=True)
    name = next(name for name, _ in model.named_parameters())
    expected = (seen[1][name].float() + seen[2][name].float()) / 2
    assert torch.allclose(saved[name], expected, atol=1e-6)
    assert not torch.allclose(saved[name], seen[2][name].float())
    with (tmp_path / "average.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epochs_averaged"]) for r in rows] == [1, 2] and [r["epoch"] for r in rows] == ["2", "3"]
    last = torch.load(tmp_path / "last.pt", weights_only=True)
    assert last["average"]["count"] == 2 and last["average"]["step"] == 30
    assert torch.allclose(last["average"]["mean"][name], expected, atol=1e-6)

"""training.carry: a run saved at the end of one session and restored in an empty workspace resumes with its
weights, tail mean, step, schedule and logs; a modified carried file is refused; train.py --warmup ramps the
rate of the restored run's fresh optimiser."""
import argparse
import csv
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from depthy_blender.models.depthy import Depthy  # noqa: E402
from depthy_blender.models.weights import WeightsError  # noqa: E402
from tests.training.tiny_validation import tiny_validation  # noqa: E402
from training import carry  # noqa: E402
from training.train import end_epoch, start_or_resume, warmup_rates  # noqa: E402


def _fresh(lr=1e-3, lr_patience=2):
    model = Depthy()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    return model, opt, torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=lr_patience)


@pytest.fixture(scope="module")
def carried(tmp_path_factory):
    """A run with two epoch ends folded into its tail mean, saved to a carry folder with one cache."""
    root = tmp_path_factory.mktemp("session")
    run, folder, cache = root / "runs" / "r9", root / "carry", root / "cache" / "c1"
    run.mkdir(parents=True)
    cache.mkdir(parents=True)
    np.savez(cache / "shard-0000.npz", seeds=np.arange(500, 504))
    torch.manual_seed(0)
    model, opt, sched = _fresh(lr=5e-5, lr_patience=1000)
    state = {"step": 0, "samples": 0, "epoch": 0, "wall": 1.0, "best": float("inf"), "bad_epochs": 0,
             "aligned": True, "freeze_stem": True, "ssi_weight": 1.0, "patience": 0, "lr_patience": 1000,
             "average_from": 1}
    tail = {"from": 1, "mean": None, "count": 0}
    val = tiny_validation(1)
    for _ in range(2):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.01 * torch.randn_like(p))
        state["step"] += 5
        state["samples"] += 60
        end_epoch(model, opt, sched, state, val, [], run, [1.0], tail)
    pts = carry.save(run, folder, [cache], note="test run")
    return run, folder, pts, model.state_dict(), tail


def test_save_writes_fp16_weights_with_cards(carried):
    run, folder, pts, _, _ = carried
    assert [p.name for p in pts] == ["r9-last.pt", "r9-mean.pt"]
    for pt in pts:
        state = torch.load(pt, weights_only=True)
        assert all(v.dtype == torch.float16 for v in state.values() if v.is_floating_point())
        assert pt.with_suffix(".json").is_file()
    card = json.loads((folder / "r9-last.json").read_text())
    assert card["state"]["step"] == 10 and len(card["history"]) == 2 and len(card["tail_mean"]) == 2
    assert card["caches"] == [{"folder": "c1", "drawings": 4, "seeds": [500, 503]}]


def test_a_restored_run_resumes_where_it_was_saved(carried, tmp_path):
    _, folder, _, weights, tail = carried
    run = tmp_path / "r9"
    carry.restore(run, folder)
    model, opt, sched = _fresh()
    resumed_tail = {"from": 0, "mean": None, "count": 0}
    args = argparse.Namespace(resume=True, init=None, lr=None, patience=None, lr_patience=None, average_from=None,
                              aligned=False, freeze_stem=False, ssi_weight=2.0)
    state = start_or_resume(args, run, model, opt, sched, resumed_tail)
    assert state["step"] == 10 and state["samples"] == 120 and state["aligned"] and state["patience"] == 0
    assert opt.param_groups[0]["lr"] == pytest.approx(5e-5) and sched.patience == 1000
    assert resumed_tail["count"] == 2 and resumed_tail["from"] == 1
    for name in ("encoder.conv1.weight", "encoder.layer3.0.bn1.running_var"):
        assert torch.allclose(model.state_dict()[name], weights[name], rtol=2e-3, atol=1e-4)
        assert torch.allclose(resumed_tail["mean"][name], tail["mean"][name], rtol=2e-3, atol=1e-4)
    assert not torch.allclose(resumed_tail["mean"]["encoder.conv1.weight"], weights["encoder.conv1.weight"], rtol=2e-3, atol=1e-4)
    with (run / "history.csv").open() as f:
        assert [r["step"] for r in csv.DictReader(f)] == ["5", "10"]
    assert (run / "average.pt").is_file() and (run / "average.csv").is_file()


def test_a_modified_carried_file_is_refused(carried, tmp_path):
    _, folder, _, _, _ = carried
    copy = tmp_path / "carry"
    copy.mkdir()
    for f in folder.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    data = bytearray((copy / "r9-mean.pt").read_bytes())
    data[-100] ^= 0xFF
    (copy / "r9-mean.pt").write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="sha256"):
        carry.restore(tmp_path / "r9", copy)


def test_restore_does_not_overwrite_a_run_in_progress(carried, tmp_path):
    _, folder, _, _, _ = carried
    (tmp_path / "r9").mkdir()
    (tmp_path / "r9" / "last.pt").write_bytes(b"in progress")
    with pytest.raises(FileExistsError):
        carry.restore(tmp_path / "r9", folder)
    assert (tmp_path / "r9" / "last.pt").read_bytes() == b"in progress"


def test_warmup_ramps_the_rate_and_then_keeps_it():
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=4e-5)
    ramp = warmup_rates(opt, 4)
    seen = []
    for _ in range(6):
        next(ramp, None)
        seen.append(opt.param_groups[0]["lr"])
    assert seen == pytest.approx([1e-5, 2e-5, 3e-5, 4e-5, 4e-5, 4e-5])
    none = warmup_rates(opt, 0)
    next(none, None)
    assert opt.param_groups[0]["lr"] == pytest.approx(4e-5)

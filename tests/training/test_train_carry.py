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
from tests.training.loads import recorded_loads  # noqa: E402
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


def _copy(folder, to):
    to.mkdir(parents=True)
    for f in folder.iterdir():
        (to / f.name).write_bytes(f.read_bytes())
    return to


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
    assert resumed_tail["count"] == 2 and resumed_tail["step"] == 10 and resumed_tail["from"] == 1
    for name in ("encoder.conv1.weight", "encoder.layer3.0.bn1.running_var"):
        assert torch.allclose(model.state_dict()[name], weights[name], rtol=2e-3, atol=1e-4)
        assert torch.allclose(resumed_tail["mean"][name], tail["mean"][name], rtol=2e-3, atol=1e-4)
    assert not torch.allclose(resumed_tail["mean"]["encoder.conv1.weight"], weights["encoder.conv1.weight"], rtol=2e-3, atol=1e-4)
    with (run / "history.csv").open() as f:
        assert [r["step"] for r in csv.DictReader(f)] == ["5", "10"]
    assert (run / "average.pt").is_file() and (run / "average.csv").is_file()


def test_a_modified_carried_file_is_refused(carried, tmp_path):
    _, folder, _, _, _ = carried
    copy = _copy(folder, tmp_path / "carry")
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


def test_the_cards_say_what_each_file_is_and_hold_the_runs_state_schedule_and_logs(carried, tmp_path, monkeypatch):
    run, _, _, _, _ = carried
    checkpoint = torch.load(run / "last.pt", weights_only=True)
    folder = tmp_path / "new" / "carry"                  # folders that do not exist yet are made
    loads = recorded_loads(monkeypatch)
    carry.save(run, folder, [run.parents[1] / "cache" / "c1"], note="test run")
    assert loads == [{"map_location": "cpu", "weights_only": True}]
    card = json.loads((folder / "r9-last.json").read_text())
    assert set(card) == {"run", "role", "state", "optimiser", "schedule", "history", "tail_mean", "caches", "note",
                         "file", "sha256", "size_bytes"}
    assert card["run"] == "r9" and card["note"] == "test run" and card["file"] == "r9-last.pt"
    assert card["role"].startswith("latest weights of an unshipped training run")
    assert card["optimiser"] == {"lr": pytest.approx(5e-5), "weight_decay": pytest.approx(1e-4)}
    assert card["schedule"] == json.loads(json.dumps(checkpoint["sched"]))
    assert card["state"] == json.loads(json.dumps(checkpoint["state"]))
    assert card["history"] == carry.read_rows(run / "history.csv")
    assert card["tail_mean"] == carry.read_rows(run / "average.csv")
    mean = json.loads((folder / "r9-mean.json").read_text())
    assert set(mean) == {"run", "role", "epochs_averaged", "step", "file", "sha256", "size_bytes"}
    assert mean["run"] == "r9" and mean["epochs_averaged"] == 2 and mean["step"] == 10
    assert mean["role"].startswith("mean of the run's weights at 2 epoch ends") and "r9-last.pt" in mean["role"]


def test_restore_writes_the_carried_mean_as_the_runs_average_in_float32(carried, tmp_path):
    _, folder, _, _, _ = carried
    run = tmp_path / "sessions" / "new" / "r9"          # folders that do not exist yet are made
    assert carry.restore(run, folder)["step"] == 10
    average = torch.load(run / "average.pt", weights_only=True)
    carried_mean = torch.load(folder / "r9-mean.pt", weights_only=True)
    assert set(average) == set(carried_mean) == set(Depthy().state_dict())
    for name, value in carried_mean.items():
        expected = value.float() if value.is_floating_point() else value
        assert average[name].dtype == expected.dtype and torch.equal(average[name], expected)
    assert torch.load(run / "last.pt", weights_only=True)["average"]["count"] == 2


def test_a_run_is_restored_into_an_empty_folder_under_another_name(carried, tmp_path):
    _, folder, _, _, _ = carried
    (tmp_path / "r10").mkdir()
    assert carry.restore(tmp_path / "r10", folder, name="r9")["samples"] == 120
    assert (tmp_path / "r10" / "last.pt").is_file()


def test_a_run_without_a_tail_mean_carries_and_restores_only_its_weights(carried, tmp_path):
    run, _, _, _, _ = carried
    plain = tmp_path / "runs" / "r9"
    plain.mkdir(parents=True)
    checkpoint = torch.load(run / "last.pt", weights_only=True)
    del checkpoint["average"]
    torch.save(checkpoint, plain / "last.pt")
    first_epoch = b"".join((run / "history.csv").read_bytes().splitlines(keepends=True)[:2])   # header, one row
    (plain / "history.csv").write_bytes(first_epoch)
    out, empty = tmp_path / "carry", tmp_path / "cache" / "empty"
    empty.mkdir(parents=True)
    assert [p.name for p in carry.save(plain, out, [empty])] == ["r9-last.pt"]
    assert carry.save(plain, out)                       # a second save into the same folder replaces the first
    card = json.loads((out / "r9-last.json").read_text())
    assert card["tail_mean"] == [] and card["caches"] == [] and card["note"] == ""
    assert carry.cache_summary([empty]) == [{"folder": "empty", "drawings": 0, "seeds": []}]
    restored = tmp_path / "restored" / "r9"
    carry.restore(restored, out)
    assert sorted(p.name for p in restored.iterdir()) == ["history.csv", "last.pt"]
    assert (restored / "history.csv").read_bytes() == first_epoch          # as train.py's append_row writes it
    assert "average" not in torch.load(restored / "last.pt", weights_only=True)


def test_carried_weights_of_another_architecture_are_refused_in_one_line(carried, tmp_path):
    _, folder, _, _, _ = carried
    copy = _copy(folder, tmp_path / "carry")
    state = torch.load(copy / "r9-last.pt", weights_only=True)
    del state["encoder.conv1.weight"]
    card = {k: v for k, v in json.loads((copy / "r9-last.json").read_text()).items()
            if k not in ("file", "sha256", "size_bytes")}
    carry.weights.save(state, card, "r9-last", copy)
    with pytest.raises(SystemExit) as stop:
        carry.restore(tmp_path / "r9", copy)
    said = str(stop.value)
    assert said.startswith(f"{copy / 'r9-last.pt'}: not weights of this Depthy (Missing key(s) in state_dict: "
                           '"encoder.conv1.weight"') and "\n" not in said
    assert not (tmp_path / "r9").exists()                # nothing written


def _command(monkeypatch, *argv):
    monkeypatch.setattr("sys.argv", ["carry", *argv])
    carry.main()


def test_the_command_saves_and_restores_and_says_what_it_did(carried, tmp_path, monkeypatch, capsys):
    run, _, _, _, _ = carried
    out, cache = tmp_path / "carry", run.parents[1] / "cache" / "c1"
    _command(monkeypatch, "save", "--run", str(run), "--folder", str(out), "--cache", str(cache), "--note", "why")
    said = capsys.readouterr().out.splitlines()
    sizes = [f"{(out / name).stat().st_size / 1e6:.1f}" for name in ("r9-last.pt", "r9-mean.pt")]
    assert said == [f"wrote {out / 'r9-last.pt'} ({sizes[0]} MB) and r9-last.json",
                    f"wrote {out / 'r9-mean.pt'} ({sizes[1]} MB) and r9-mean.json"]
    card = json.loads((out / "r9-last.json").read_text())
    assert card["note"] == "why" and card["caches"] == [{"folder": "c1", "drawings": 4, "seeds": [500, 503]}]
    restored = tmp_path / "r9"
    _command(monkeypatch, "restore", "--run", str(restored), "--folder", str(out))
    assert capsys.readouterr().out == (f"restored {restored}: step 10, 120 samples, epoch 2; go on with: "
                                       f"python -m training.train --resume --run {restored} --warmup 100 ...\n")
    with pytest.raises(SystemExit) as stop:            # again: the run folder now has a last.pt
        _command(monkeypatch, "restore", "--run", str(restored), "--folder", str(out))
    assert str(stop.value) == f"{restored / 'last.pt'} exists: restore only into a run folder without one"


def test_the_command_uses_the_carry_folder_unless_told_and_refuses_in_one_line(carried, tmp_path, monkeypatch,
                                                                                capsys):
    run, _, _, _, _ = carried
    monkeypatch.setattr(carry, "CARRY_DIR", tmp_path / "default")
    _command(monkeypatch, "save", "--run", str(run))
    assert sorted(p.name for p in (tmp_path / "default").iterdir()) == ["r9-last.json", "r9-last.pt", "r9-mean.json",
                                                                       "r9-mean.pt"]
    card = json.loads((tmp_path / "default" / "r9-last.json").read_text())
    assert card["caches"] == [] and card["note"] == ""
    with pytest.raises(SystemExit) as stop:
        _command(monkeypatch, "save", "--run", str(tmp_path / "nowhere"))
    assert str(stop.value) == f"nothing to carry: {tmp_path / 'nowhere' / 'last.pt'} does not exist"
    with pytest.raises(SystemExit) as stop:
        _command(monkeypatch, "restore", "--run", str(tmp_path / "r7"))
    assert str(stop.value).startswith("Weights r7-last are not installed (expected r7-last.pt and r7-last.json in "
                                      f"{tmp_path / 'default'})")
    assert not (tmp_path / "r7").exists()
    capsys.readouterr()
    for wrong in (["save"], ["keep", "--run", str(run)]):
        with pytest.raises(SystemExit) as stop:
            _command(monkeypatch, *wrong)
        assert stop.value.code == 2
    assert "--run" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        _command(monkeypatch, "--help")
    shown = capsys.readouterr().out
    assert stop.value.code == 0 and "Carry a long training run" in shown
    assert "\n    python -m training.carry restore --run training/runs/r35          # then:" in shown   # as written
    options = " ".join(shown.split("options:")[-1].split())
    assert options == ("-h, --help show this help message and exit "
                       "--run RUN the run folder (its name names the carried files) "
                       "--folder FOLDER where carried files live "
                       "--cache [CACHE ...] save: the cache folders this session trained on "
                       "--note NOTE save: how the caches were made, what the run is for")

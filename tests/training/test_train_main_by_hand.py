"""training.train's `main`, the CPU training loop, with its parts stood in and a clock that moves only when a
step trains (25 s a step): the options it reads and refuses, what it builds and hands to each part, how it
counts steps and samples, when it prints, ends epochs, stops early and stops for time. The parts have their
own tests (test_train_helpers_by_hand.py, test_train_epochs_by_hand.py); the loop's runs (test_train_*.py)
run `main` whole, but in 5–14 s each and without seeing its wiring."""
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from tests.training.one_parameter import OneParameter
from tests.training.help_text import as_written, option_shown
from training import train

STEP_S = 25.0


def stand_in(monkeypatch, argv, *, native=True, state=None, stop_at=None, durations=()):
    """Every part main calls, recorded in order; `state` is what start_or_resume gives; end_epoch says
    "stop early" on its `stop_at`-th call; the steps take `durations` in turn, then 25 s each."""
    events, clock = [], SimpleNamespace(now=1000.0, durations=iter(durations))
    monkeypatch.setattr(sys, "argv", ["train", *argv])
    monkeypatch.setattr(train, "time", SimpleNamespace(time=lambda: clock.now))
    monkeypatch.setattr(train, "print", lambda *a, **kw: events.append(("print", " ".join(map(str, a)), kw)),
                        raising=False)
    monkeypatch.setattr(train, "native_bf16", lambda: native)
    monkeypatch.setattr(torch, "manual_seed", lambda seed: events.append(("manual_seed", seed)))
    monkeypatch.setattr(torch, "set_num_threads", lambda n: events.append(("set_num_threads", n)))
    net = OneParameter()
    monkeypatch.setattr(train, "Depthy", lambda: events.append(("Depthy",)) or net)
    monkeypatch.setattr(train, "channels_last", lambda model: events.append(("channels_last", model)) or model)
    given = dict(state or {"step": 10, "samples": 100, "wall": 50.0, "freeze_stem": False, "aligned": False,
                           "ssi_weight": 0.7, "patience": 5})

    def start_or_resume(args, run, model, opt, sched, tail):
        events.append(("start_or_resume", args, run, model, opt, sched, dict(tail)))
        return given

    monkeypatch.setattr(train, "start_or_resume", start_or_resume)
    monkeypatch.setattr(train, "freeze_stem", lambda model: events.append(("freeze_stem", model)))
    monkeypatch.setattr(train, "parameter_count", lambda model: {net: 12_250_001}[model])   # 12.3, not 12.2
    monkeypatch.setattr(train, "validation_set", lambda size, cache, extra: events.append(
        ("validation_set", size, cache, extra)) or ((["v"] * 7, "truth"), "val parts"))

    class Stream:
        def __init__(self, folders, batch, size, seed, scales):
            events.append(("ShardStream", folders, batch, size, seed, scales))
            self.batch = batch

        def batches(self):
            while True:
                yield torch.ones(self.batch, 3, 4, 4), "near", "mask"

    monkeypatch.setattr(train, "ShardStream", Stream)
    monkeypatch.setattr(train, "train_mode", lambda model: events.append(("train_mode", model)))

    def train_step(model, opt, img, near, mask, aligned, bf16, ssi_weight):
        clock.now += next(clock.durations, STEP_S)
        assert img.is_contiguous(memory_format=torch.channels_last) and (near, mask) == ("near", "mask")
        events.append(("train_step", model, opt.param_groups[0]["lr"], len(img), aligned, bf16, ssi_weight))
        return torch.tensor(float(given["step"] + 1)), f"parts of {given['step'] + 1}"

    monkeypatch.setattr(train, "train_step", train_step)
    ends = []

    def end_epoch(model, opt, sched, state, val, val_parts, run, running, tail=None, final=False):
        ends.append(1)
        events.append(("end_epoch", model, opt, sched, state["step"], state["samples"], state["wall"], val,
                       val_parts, run, list(running), dict(tail), final))
        return len(ends) == stop_at

    monkeypatch.setattr(train, "end_epoch", end_epoch)
    return events, net, given


def run_main(monkeypatch, argv, **kw):
    events, net, state = stand_in(monkeypatch, argv, **kw)
    train.main()
    return events, net, state


def kinds(events):
    return [event[0] for event in events]


def test_a_run_trains_until_its_time_is_up_ending_an_epoch_every_epoch_steps(monkeypatch, tmp_path):
    run = tmp_path / "deep" / "run"
    events, net, state = run_main(monkeypatch, [
        "--cache", str(tmp_path / "c" / "a"), str(tmp_path / "b"), "--val-cache", "v1", "v2", "--minutes", "2",
        "--run", str(run), "--size", "96", "--batch", "4", "--lr", "3e-4", "--weight-decay", "0.02",
        "--epoch-steps", "2", "--threads", "3", "--scales", "96", "128", "--seed", "5", "--warmup", "2"])
    assert kinds(events) == ["manual_seed", "set_num_threads", "Depthy", "channels_last", "start_or_resume",
                             "print", "validation_set", "print", "ShardStream", "train_mode",
                             "train_step", "train_step", "end_epoch", "train_step", "print", "train_step",
                             "end_epoch", "train_step", "end_epoch"]
    assert events[0] == ("manual_seed", 5) and events[1] == ("set_num_threads", 3) and run.is_dir()
    _, args, run_path, model, opt, sched, tail = events[4]
    assert run_path == run and model is net and tail == {"from": 0, "mean": None, "count": 0}
    assert args.cache == [str(tmp_path / "c" / "a"), str(tmp_path / "b")] and args.val_cache == ["v1", "v2"]
    assert isinstance(opt, torch.optim.AdamW) and opt.param_groups[0]["params"] == [net.weight]
    assert opt.defaults["lr"] == 3e-4 and opt.defaults["weight_decay"] == 0.02
    assert isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau) and sched.optimizer is opt
    assert sched.factor == 0.5 and sched.patience == train.LR_PATIENCE
    assert events[5] == ("print", "Depthy: 12.3 M parameters; batch 4 at 96²; nRMSE term weight 0.7", {})
    assert events[6] == ("validation_set", 96, tmp_path / "c", ["v1", "v2"])
    assert events[7] == ("print", "validation: 7 drawings", {})
    assert events[8] == ("ShardStream", args.cache, 4, 96, 15, [96, 128]) and events[9] == ("train_mode", net)
    steps = [event for event in events if event[0] == "train_step"]
    # the rate ramps over the first two steps; every step gets the run's losses and precision
    assert [s[2] for s in steps] == pytest.approx([1.5e-4, 3e-4, 3e-4, 3e-4, 3e-4])
    assert all(s[1] is net and s[3:] == (4, False, False, 0.7) for s in steps)
    # steps 11–15 at 25 s each: 125 s ≥ the 120 s box after the fifth; epochs end at steps 12 and 14
    assert state["step"] == 15 and state["samples"] == 120
    first, second, final = [event for event in events if event[0] == "end_epoch"]
    assert first[1:4] == (net, opt, sched) and first[7:10] == ((["v"] * 7, "truth"), "val parts", run)
    assert first[4:7] == (12, 108, 50.0 + 50) and first[10] == [11.0, 12.0] and first[12] is False
    assert second[4:7] == (14, 116, 50.0 + 100) and second[10] == [13.0, 14.0] and second[12] is False
    assert final[4:7] == (15, 120, 50.0 + 125) and final[10] == [15.0] and final[12] is True
    assert final[1:4] == (net, opt, sched) and final[7:10] == ((["v"] * 7, "truth"), "val parts", run)
    assert first[11] == {"from": 0, "mean": None, "count": 0}
    # a line once more than 60 s have passed since the last: at step 13 (75 s), with the rate over the
    # run's whole wall time (50 s before this session)
    assert events[14] == ("print", f"step 13 loss 13.0000 parts of 13 ({112 / 125:.1f} samples/s overall)",
                          {"flush": True})


def test_a_run_stops_early_when_an_epoch_end_says_so_and_still_writes_its_last_state(monkeypatch, tmp_path):
    events, net, state = run_main(monkeypatch, ["--cache", "c", "--minutes", "10", "--run", str(tmp_path),
                                                "--epoch-steps", "2"], stop_at=2)
    ends = [event for event in events if event[0] == "end_epoch"]
    assert [(e[4], e[12]) for e in ends] == [(12, False), (14, False), (14, True)]
    assert ends[2][10] == [13.0, 14.0] and ends[2][6] == 50.0 + 100   # the early stop's epoch, not reset
    assert ("print", "early stop: no validation improvement for 5 epochs", {}) in events
    assert kinds(events)[-3:] == ["end_epoch", "print", "end_epoch"]
    # the defaults: rate 5e-4 from the first step (no warm-up), batch 12 at 128², two threads, seed 0
    steps = [event for event in events if event[0] == "train_step"]
    assert {s[2] for s in steps} == {train.DEFAULT_LR} and {s[3] for s in steps} == {12}
    assert ("set_num_threads", 2) in events and ("manual_seed", 0) in events
    assert next(e for e in events if e[0] == "ShardStream")[1:] == (["c"], 12, 128, 10, [128, 128, 160, 192, 256])
    assert next(e for e in events if e[0] == "validation_set")[1:] == (128, Path("."), [])
    assert next(e for e in events if e[0] == "start_or_resume")[5].optimizer.defaults["weight_decay"] == 1e-4


def test_a_run_whose_state_says_so_freezes_the_stem_and_names_its_losses_and_precision(monkeypatch, tmp_path):
    state = {"step": 0, "samples": 0, "wall": 0.0, "freeze_stem": True, "aligned": True, "ssi_weight": 1.0,
             "patience": 5}
    events, net, _ = run_main(monkeypatch, ["--cache", "c", "--minutes", "2.5", "--run", str(tmp_path), "--bf16"],
                              state=state)
    assert kinds(events)[4:7] == ["start_or_resume", "freeze_stem", "print"] and events[5] == ("freeze_stem", net)
    assert events[6][1] == ("Depthy: 12.3 M parameters; batch 12 at 128²; aligned losses; stem frozen; "
                            "bfloat16 autocast; nRMSE term weight 1.0")
    steps = [event for event in events if event[0] == "train_step"]
    assert [s[4:] for s in steps] == [(True, True, 1.0)] * 6          # 150 s: the box is up after six steps
    assert next(e for e in events if e[0] == "ShardStream")[4] == 0


def test_bf16_on_a_cpu_without_it_is_dropped_with_a_line(monkeypatch, tmp_path):
    events, _, _ = run_main(monkeypatch, ["--cache", "c", "--minutes", "0.1", "--run", str(tmp_path), "--bf16"],
                            native=False)
    assert events[0] == ("print", "--bf16 ignored: this CPU has no native bfloat16 (avx512_bf16 or amx_bf16), "
                                  "where autocast emulates it and is far slower: training in float32", {})
    assert "bfloat16" not in next(e for e in events if e[1:2] and str(e[1]).startswith("Depthy:"))[1]
    assert {s[5] for s in events if s[0] == "train_step"} == {False}


def test_a_warm_up_longer_than_an_epoch_and_missing_options_are_refused(monkeypatch, tmp_path, capsys):
    for argv, says in ((["--cache", "c", "--minutes", "1", "--run", "r", "--epoch-steps", "10", "--warmup", "11"],
                        "error: --warmup must end within the first epoch (the plateau schedule acts at epoch ends)"),
                       (["--minutes", "1", "--run", "r"], "--cache"),
                       (["--cache", "c", "--run", "r"], "--minutes"),
                       (["--cache", "c", "--minutes", "1"], "--run")):
        events, _, _ = stand_in(monkeypatch, argv)
        with pytest.raises(SystemExit) as stopped:
            train.main()
        assert stopped.value.code == 2 and events == []
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert last.endswith(says) if says.startswith("error:") else says in last
    events, _, _ = stand_in(monkeypatch, ["--cache", "c", "--minutes", "0.1", "--run", str(tmp_path),
                                          "--epoch-steps", "10", "--warmup", "10"])
    train.main()                                                       # a warm-up of one whole epoch is fine
    assert [e[2] for e in events if e[0] == "train_step"] == [train.DEFAULT_LR / 10]


def test_a_line_comes_once_more_than_60_s_have_passed_with_the_mean_of_the_last_50_losses(monkeypatch, tmp_path):
    # steps end at 30, 60 (not more than 60: no line), 60.5 (a line), 90.5, 121 (60.5 after the last: a
    # line), then 131, past the 126 s box
    events, _, _ = run_main(monkeypatch, ["--cache", "c", "--minutes", "2.1", "--run", str(tmp_path)],
                            durations=[30, 30, 0.5, 30, 30.5, 10])
    lines = [e[1] for e in events if e[0] == "print" and e[1].startswith("step ")]
    assert lines == [f"step 13 loss 12.0000 parts of 13 ({(100 + 36) / 110.5:.1f} samples/s overall)",
                     f"step 15 loss 13.0000 parts of 15 ({(100 + 60) / 171:.1f} samples/s overall)"]
    # 61 one-second steps: the line at the 61st gives the mean loss of the last 50 steps (22 … 71)
    events, _, _ = run_main(monkeypatch, ["--cache", "c", "--minutes", "1.05", "--run", str(tmp_path)],
                            durations=[1.0] * 70)
    lines = [e[1] for e in events if e[0] == "print" and e[1].startswith("step ")]
    assert lines == [f"step 71 loss 46.5000 parts of 71 ({(100 + 61 * 12) / 111:.1f} samples/s overall)"]


def test_the_command_line_reads_each_option_as_its_type_and_its_help_keeps_the_modules_text(monkeypatch, tmp_path,
                                                                                             capsys):
    seen = []
    events, _, _ = stand_in(monkeypatch, [
        "--cache", "a", "b", "--val-cache", "v", "--size", "64", "--batch", "3", "--lr", "0.5", "--weight-decay",
        "0.25", "--epoch-steps", "7", "--minutes", "0.1", "--run", str(tmp_path), "--resume", "--init", "w.pt",
        "--threads", "1", "--scales", "64", "--seed", "9", "--aligned", "--freeze-stem", "--bf16",
        "--ssi-weight", "2.5", "--patience", "3", "--lr-patience", "4", "--average-from", "6", "--warmup", "5"])
    given = train.start_or_resume
    monkeypatch.setattr(train, "start_or_resume", lambda args, *rest: seen.append(vars(args).copy()) or given(args, *rest))
    train.main()
    assert seen == [{
        "cache": ["a", "b"], "val_cache": ["v"], "size": 64, "batch": 3, "lr": 0.5, "weight_decay": 0.25,
        "epoch_steps": 7, "minutes": 0.1, "run": str(tmp_path), "resume": True, "init": "w.pt", "threads": 1,
        "scales": [64], "seed": 9, "aligned": True, "freeze_stem": True, "bf16": True, "ssi_weight": 2.5,
        "patience": 3, "lr_patience": 4, "average_from": 6, "warmup": 5}]
    assert all(type(seen[0][key]) is float for key in ("lr", "weight_decay", "minutes", "ssi_weight"))
    seen.clear()
    stand_in(monkeypatch, ["--cache", "a", "--minutes", "1", "--run", str(tmp_path)])
    monkeypatch.setattr(train, "start_or_resume", lambda args, *rest: seen.append(vars(args).copy()) or given(args, *rest))
    train.main()
    assert seen == [{
        "cache": ["a"], "val_cache": [], "size": 128, "batch": 12, "lr": None, "weight_decay": 1e-4,
        "epoch_steps": 300, "minutes": 1.0, "run": str(tmp_path), "resume": False, "init": None, "threads": 2,
        "scales": [128, 128, 160, 192, 256], "seed": 0, "aligned": False, "freeze_stem": False, "bf16": False,
        "ssi_weight": train.losses.SSI_WEIGHT, "patience": None, "lr_patience": None, "average_from": None,
        "warmup": 0}]
    # --help: the module's text as written, every option explained but those its name says, the epochs and
    # steps named
    monkeypatch.setattr(sys, "argv", ["train", "--help"])
    with pytest.raises(SystemExit):
        train.main()
    text = capsys.readouterr().out
    assert text == train.parser().format_help()
    assert as_written(train.__doc__, text)
    for named in ("--patience EPOCHS", "--lr-patience EPOCHS", "--average-from EPOCH", "--warmup STEPS"):
        assert option_shown(named, text), named
    unexplained = {a.option_strings[0] for a in train.parser()._actions if not a.help}
    assert unexplained == {"--size", "--batch", "--weight-decay", "--epoch-steps", "--run", "--resume", "--threads",
                           "--seed"}

"""training.gpu_run's `main`, with its parts stood in: what it builds from the command line and hands to each
part, in which order, and what it prints and writes. The parts themselves have their own tests
(test_gpu_run.py); only its CPU smoke runs ran `main` until now, and they cannot tell most of its wiring."""
import json
import os
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from tests.training.one_parameter import OneParameter
from training import gpu_run


class Net(OneParameter):
    """The network, stood in: one parameter, and a record of what was done to it."""

    def __init__(self, events):
        super().__init__()
        self.events = events
        events.append(("Depthy",))

    def load_state_dict(self, state, strict=True):
        self.events.append(("load", state))

    def to(self, device):
        self.events.append(("to", device))
        return self

    def state_dict(self, *args, **kwargs):
        return {"written": "state"}


class StandInFeed:
    def __init__(self, events, name, stops):
        self.events, self.name, self.stops = events, name, stops
        self.stopping = threading.Event()

    def stop(self, timeout):
        self.events.append(("stop", self.name, timeout, self.stopping.is_set()))
        return self.stops


def stand_in(monkeypatch, *, native=True, stops=True, feeds=("device", "cpu")):
    """Every part main calls, recorded in order in the list returned; the clock gives 100, 160, 163.5 and
    170.26 s in turn."""
    events = []
    ticks = iter([100.0, 160.0, 163.5, 170.26])
    monkeypatch.setattr(gpu_run, "time", SimpleNamespace(perf_counter=lambda: next(ticks)))
    monkeypatch.setattr(gpu_run, "print", lambda *a, **kw: events.append(("print", a, kw)), raising=False)

    class Validation:
        def __init__(self, count, size, workers):
            events.append(("ValidationDrawings", count, size, workers))

        def items(self):
            return ["drawing 1", "drawing 2"]

    monkeypatch.setattr(gpu_run, "ValidationDrawings", Validation)
    monkeypatch.setattr(torch, "manual_seed", lambda seed: events.append(("manual_seed", seed)))
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)
    monkeypatch.setattr(gpu_run, "native_bf16", lambda: native)
    monkeypatch.setattr(gpu_run.weights, "locate", lambda: (Path("shipped.pt"), Path("shipped.json")))
    monkeypatch.setattr(gpu_run, "depthy_weights", lambda path: {"state of": str(path)})
    monkeypatch.setattr(gpu_run, "Depthy", lambda: Net(events))

    def channels_last(model):
        events.append(("channels_last", model))
        return model

    monkeypatch.setattr(gpu_run, "channels_last", channels_last)
    monkeypatch.setattr(gpu_run, "freeze_stem", lambda model: events.append(("freeze_stem", model)))
    monkeypatch.setattr(gpu_run, "train_mode", lambda model: events.append(("train_mode", model)))
    monkeypatch.setattr(gpu_run, "Pool", lambda size, side, device: events.append(("Pool", size, side, device))
                        or "the pool")
    made = [StandInFeed(events, name, stops) for name in feeds]

    def make_feeds(args, device):
        events.append(("make_feeds", args, device))
        return made

    monkeypatch.setattr(gpu_run, "make_feeds", make_feeds)
    tally = gpu_run.Tally(steps=3, samples=12)

    def train(model, opt, feeds, pool, args, device, bf16, deadline):
        events.append(("train", model, opt, feeds, pool, device, bf16, deadline))
        return tally

    monkeypatch.setattr(gpu_run, "train", train)
    monkeypatch.setattr(gpu_run, "rate_line", lambda args, t, bf16: f"rate of {t.samples} samples, bf16 {bf16}")
    scored = ({"nrmse": 0.1}, {"nrmse": 0.12}, {"nrmse": 0.2})

    def score(model, t, parent, parent_state, items, args, device, bf16):
        events.append(("score", model, t, parent, parent_state, items, device, bf16))
        return scored

    monkeypatch.setattr(gpu_run, "score", score)
    monkeypatch.setattr(gpu_run, "against_parent", lambda scores, parent: f"{scores['nrmse']} against "
                                                                           f"{parent['nrmse']}")
    parts = [{"file": "depthy.pt.000"}, {"file": "depthy.pt.001"}, {"whole_sha256": "ab"}]

    def write_parts(state, folder):
        events.append(("write_parts", state, folder))
        return parts

    monkeypatch.setattr(gpu_run, "write_parts", write_parts)

    def run_log(args, t, **kw):
        events.append(("run_log", t, kw))
        return {"settings": "all", "wall_seconds": round(kw["wall_s"], 1)}

    monkeypatch.setattr(gpu_run, "run_log", run_log)
    monkeypatch.setattr(os, "_exit", lambda code: events.append(("_exit", code)))
    return events, SimpleNamespace(tally=tally, scored=scored, parts=parts, feeds=made)


def kinds(events):
    return [event[0] for event in events]


def test_a_cpu_run_builds_everything_from_the_command_line_in_order_and_writes_its_log(monkeypatch, tmp_path):
    events, made = stand_in(monkeypatch)
    out = tmp_path / "deep" / "run"
    gpu_run.main(["--device", "cpu", "--out", str(out), "--seconds", "40", "--size", "64", "--batch", "16",
                  "--pool", "8", "--val", "6", "--val-workers", "3", "--seed", "7", "--lr", "2e-5"])
    cpu = torch.device("cpu")
    # the validation drawings' workers fork before the seed is set and anything touches the device
    assert kinds(events) == ["ValidationDrawings", "manual_seed", "Depthy", "load", "to", "channels_last",
                             "train_mode", "Pool", "make_feeds", "train", "stop", "print", "score", "print",
                             "write_parts", "run_log", "print"]
    assert events[0] == ("ValidationDrawings", 6, 64, 3) and events[1] == ("manual_seed", 7)
    net = events[5][1]
    assert events[3] == ("load", {"state of": "shipped.pt"}) and events[4] == ("to", cpu)
    assert events[6] == ("train_mode", net) and events[7] == ("Pool", 16, 64, cpu)   # at least one batch
    assert events[8][1].out == out and events[8][2] == cpu
    _, model, opt, feeds, pool, device, bf16, deadline = events[9]
    assert model is net and feeds == made.feeds and pool == "the pool" and device == cpu and bf16 is True
    assert isinstance(opt, torch.optim.AdamW) and opt.param_groups[0]["params"] == [net.weight]
    assert opt.defaults["lr"] == 2e-5 and opt.defaults["weight_decay"] == 1e-4
    assert deadline == pytest.approx(100 + 40 * (1 - gpu_run.RESERVE_S))
    # every feed is told to stop; only the device's is waited for, and it ended
    assert events[10] == ("stop", "device", gpu_run.FEED_STOP_S, True) and made.feeds[1].stopping.is_set()
    assert events[11] == ("print", ("rate of 12 samples, bf16 True",), {"flush": True})
    assert events[12] == ("score", net, made.tally, Path("shipped.pt"), {"state of": "shipped.pt"},
                          ["drawing 1", "drawing 2"], cpu, True)
    assert events[13] == ("print", ("0.1 against 0.2",), {"flush": True})
    assert events[14] == ("write_parts", {"written": "state"}, out)
    assert events[15][1] is made.tally
    assert events[15][2] == {"parent": Path("shipped.pt"), "device": cpu, "bf16": True, "pool": "the pool",
                             "scores": made.scored[0], "endpoint": made.scored[1], "parent_scores": made.scored[2],
                             "validation_s": pytest.approx(3.5), "parts": made.parts,
                             "wall_s": pytest.approx(70.26)}
    assert events[16] == ("print", (f"wrote 2 weight parts and log.json to {out} (70.3 s in all)",), {})
    assert (out / "log.json").read_text() == json.dumps({"settings": "all", "wall_seconds": 70.3}, indent=1) + "\n"
    assert torch.backends.cudnn.benchmark is False


def test_bfloat16_runs_on_cuda_and_on_a_cpu_that_computes_it_natively_only(monkeypatch, tmp_path):
    for device, native, expected in (("cpu", False, False), ("cpu", True, True), ("meta", True, False)):
        events, _ = stand_in(monkeypatch, native=native)
        gpu_run.main(["--device", device, "--out", str(tmp_path)])
        train = next(event for event in events if event[0] == "train")
        assert train[6] is expected, (device, native)
        assert train[5] == torch.device(device)


def test_a_cuda_run_from_a_named_parent_freezes_the_stem_and_exits_at_once_when_the_device_thread_hangs(
        monkeypatch, tmp_path):
    events, made = stand_in(monkeypatch, native=False, stops=False)
    parent = tmp_path / "parent.pt"
    gpu_run.main(["--device", "cuda", "--out", str(tmp_path), "--parent", str(parent), "--freeze-stem"])
    cuda = torch.device("cuda")
    assert torch.backends.cudnn.benchmark is True
    assert kinds(events) == ["ValidationDrawings", "manual_seed", "Depthy", "load", "to", "channels_last",
                             "freeze_stem", "train_mode", "Pool", "make_feeds", "train", "stop", "print", "score",
                             "print", "write_parts", "run_log", "print", "_exit"]
    assert events[0] == ("ValidationDrawings", 96, 256, 2) and events[1] == ("manual_seed", 0)
    assert events[3] == ("load", {"state of": str(parent)}) and events[4] == ("to", cuda)
    assert events[6] == ("freeze_stem", events[5][1]) and events[8] == ("Pool", 4096, 256, cuda)
    assert events[10][6] is True and events[10][7] == pytest.approx(100 + 480 * (1 - gpu_run.RESERVE_S))
    assert events[13][3] == parent and events[13][7] is True
    assert events[16][2]["parent"] == parent and events[16][2]["bf16"] is True
    assert events[-1] == ("_exit", 0) and (tmp_path / "log.json").is_file()


def test_only_device_feeds_are_waited_for(monkeypatch, tmp_path):
    events, made = stand_in(monkeypatch, stops=False, feeds=("cpu",))
    gpu_run.main(["--device", "cpu", "--out", str(tmp_path)])
    assert "stop" not in kinds(events) and "_exit" not in kinds(events)   # none to wait for: all stopped
    assert made.feeds[0].stopping.is_set()


def test_join_prints_the_joined_file_and_does_nothing_else(monkeypatch, tmp_path):
    events, _ = stand_in(monkeypatch)
    monkeypatch.setattr(gpu_run, "join", lambda folder: events.append(("join", folder)) or folder / "depthy.pt")
    gpu_run.main(["--join", str(tmp_path), "--out", str(tmp_path / "never")])
    assert events == [("join", tmp_path), ("print", (tmp_path / "depthy.pt",), {})]
    assert not (tmp_path / "never").exists()


def test_a_run_without_an_out_folder_is_refused_in_one_line(monkeypatch, capsys):
    events, _ = stand_in(monkeypatch)
    with pytest.raises(SystemExit) as stopped:
        gpu_run.main(["--device", "cpu"])
    assert stopped.value.code == 2 and events == []
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith("error: --out is required")

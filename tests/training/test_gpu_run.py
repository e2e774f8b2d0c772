"""training.gpu_run, the one-command GPU training window (issue 51), smoke-tested on the CPU: the help,
a 30-second run from the shipped weights, the weight parts and their joining."""
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from depthy_blender.core import metrics, proportion
from depthy_blender.models.depthy import Depthy
from tests.conftest import ROOT
from tests.training.help_text import as_written, option_shown
from training import gpu_data, gpu_run
from training.synth import dataset
from training.train import VAL_SEEDS


def run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "training.gpu_run", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_help_names_the_window_and_the_parts():
    done = run("--help")
    assert done.returncode == 0, done.stderr
    assert "--seconds" in done.stdout and "--join" in done.stdout and "16 MiB" in done.stdout


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu_run")
    done = run("--device", "cpu", "--seconds", "30", "--size", "64", "--batch", "2", "--reuse", "2",
               "--pool", "8", "--workers", "1", "--val", "4", "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    return out, done.stdout


def test_cpu_smoke_run_trains_validates_and_logs(smoke):
    out, stdout = smoke
    log = json.loads((out / "log.json").read_text())
    assert "training samples/s" in stdout
    assert log["samples"] > 0 and log["steps"] > 0 and log["samples_per_s"] > 0
    assert log["samples"] == log["steps"] * log["batch"]
    # batch 2, reuse 2: one fresh drawing per step, the other from the pool
    assert log["fresh_per_batch"] == 1 and log["fresh"] == log["steps"] and log["fresh_per_s"] > 0
    assert "fresh drawings" in stdout
    assert log["nearness"] == "figure widths" and log["widths_weight"] > 0
    assert log["channels_last"] and log["device"] == "cpu"
    assert 0 <= log["validation"]["nrmse"] < 1 and 0 <= log["validation"]["mask_iou"] <= 1
    parent = log["validation_parent"]            # the shipped weights on the same drawings
    assert parent["drawings"] == log["validation"]["drawings"] == 4 and 0 <= parent["nrmse"] < 1
    assert parent["nrmse"] != log["validation"]["nrmse"]          # trained weights differ from their parent
    assert "(parent " in stdout and log["validation_seconds"] >= 0 and log["val_workers"] == 2
    assert log["losses"] and all(entry["loss"] > 0 for entry in log["losses"])
    assert log["wall_seconds"] < 30 + 60          # the time box holds (start-up and validation beyond it)


def test_parts_are_small_and_join_into_fp16_weights_that_load(smoke):
    out, _ = smoke
    log = json.loads((out / "log.json").read_text())
    parts = log["weights"][1:]
    assert len(parts) >= 2 and all((out / p["file"]).stat().st_size <= 16 * 1024 * 1024 for p in parts)
    joined = gpu_run.join(out)
    state = torch.load(joined, weights_only=True)
    assert all(v.dtype == torch.float16 for v in state.values() if v.is_floating_point())
    model = Depthy()
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})


def test_a_damaged_part_is_refused(smoke, tmp_path):
    out, _ = smoke
    for f in out.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    first = json.loads((out / "log.json").read_text())["weights"][1]["file"]
    data = bytearray((tmp_path / first).read_bytes())
    data[100] ^= 0xFF
    (tmp_path / first).write_bytes(bytes(data))
    with pytest.raises(SystemExit, match="damaged"):
        gpu_run.join(tmp_path)


def test_device_data_smoke_run_makes_its_drawings_on_the_device(tmp_path):
    """Also with --freeze-stem: the stem and first stage come back as the parent had them (weights and
    batch-norm statistics), the rest has moved. And with --average-from: what comes back is the tail
    mean, whose validation differs from the endpoint's."""
    done = run("--device", "cpu", "--data", "device", "--views", "3", "--together", "2", "--seconds", "20",
               "--size", "48", "--batch", "2", "--reuse", "1", "--max-reuse", "1", "--pool", "4", "--workers", "0",
               "--val", "2", "--val-workers", "0", "--freeze-stem", "--average-from", "0.2", "--average-every", "1",
               "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    log = json.loads((tmp_path / "log.json").read_text())
    assert log["data"] == "device" and log["views"] == 3 and log["together"] == 2
    assert log["fresh_cpu"] == 0 and log["fresh_device"] == log["fresh"] == log["samples"] > 0
    assert "batch_views" in log["recipe"]["generator"]
    assert log["freeze_stem"] and log["steps"] > 0
    trained = torch.load(gpu_run.join(tmp_path), weights_only=True)
    parent = gpu_run.depthy_weights(log["parent"])
    stem = [k for k in trained if k.startswith(("encoder.conv1.", "encoder.bn1.", "encoder.layer1."))]
    assert stem and all(torch.equal(trained[k], parent[k].to(trained[k].dtype)) for k in stem)
    assert not torch.equal(trained["encoder.layer2.0.conv1.weight"],
                           parent["encoder.layer2.0.conv1.weight"].to(torch.float16))
    assert log["averaged_states"] >= 2 and "tail mean of" in done.stdout
    model = Depthy()
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in trained.items()})
    items = gpu_run.ValidationDrawings(2, 48, 0).items()
    again = gpu_run.validate(model, items, torch.device("cpu"), log["bf16"], proportion.FIGURE_WIDTHS)["nrmse"]
    mean, endpoint = log["validation"]["nrmse"], log["validation_endpoint"]["nrmse"]
    assert abs(again - mean) < abs(again - endpoint), (again, mean, endpoint)


def test_device_workers_trace_in_processes_of_their_own(tmp_path):
    done = run("--device", "cpu", "--data", "device", "--device-workers", "2", "--views", "2", "--together", "1",
               "--seconds", "25",
               "--size", "32", "--batch", "2", "--reuse", "1", "--max-reuse", "1", "--pool", "4", "--workers", "0",
               "--val", "2", "--val-workers", "0", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    log = json.loads((tmp_path / "log.json").read_text())
    assert log["device_workers"] == 2 and log["fresh_cpu"] == 0 and log["fresh_device"] == log["fresh"] > 0


def test_a_failing_device_generator_hands_over_to_the_cpu_workers(tmp_path, monkeypatch, capsys):
    def broken(self, n):
        raise RuntimeError("CUDA error: an illegal memory access was encountered\nmore lines")
    monkeypatch.setattr(gpu_data.DeviceDrawings, "take", broken)
    gpu_run.main(["--device", "cpu", "--data", "device", "--seconds", "15", "--size", "32", "--batch", "2",
                  "--reuse", "1", "--max-reuse", "1", "--pool", "4", "--workers", "1", "--val", "2",
                  "--out", str(tmp_path)])
    log = json.loads((tmp_path / "log.json").read_text())
    assert log["device_data_failure"] == "RuntimeError: CUDA error: an illegal memory access was encountered"
    assert log["fresh_device"] == 0 and log["fresh_cpu"] == log["fresh"] == log["samples"] > 0
    assert "the CPU workers make every drawing from here" in capsys.readouterr().out


def test_validation_drawings_made_beside_the_run_are_the_generators_own():
    made = gpu_run.ValidationDrawings(3, 40, workers=2).items()
    for seed, item in zip(list(VAL_SEEDS)[:3], made, strict=True):
        own = dataset.sample(seed, 40)
        for key in ("image", "nearness", "mask"):
            assert np.array_equal(item[key], own[key]), (seed, key)
    assert gpu_run.ValidationDrawings(0, 40, workers=2).items() == []


def test_validation_drawings_are_made_by_the_worker_processes_not_by_the_run(monkeypatch):
    """The workers are forked when the drawings are asked for, at the start: the training process never
    draws them itself, even with one worker (the stand-in put in after the fork would refuse)."""
    forked = gpu_run.ValidationDrawings(2, 24, workers=1)
    assert forked.pool is not None and forked.pool._max_workers == 1
    assert forked.pool._mp_context.get_start_method() == "fork"

    own = [dataset.sample(seed, 24) for seed in list(VAL_SEEDS)[:2]]

    def refuse(*args, **kwargs):
        raise AssertionError("drawn in the training process")
    monkeypatch.setattr(dataset, "sample", refuse)
    made = forked.items()
    assert [np.array_equal(m["nearness"], o["nearness"]) for m, o in zip(made, own, strict=True)] == [True, True]
    assert gpu_run.ValidationDrawings(5, 24, workers=3).pool._max_workers == 3
    assert gpu_run.ValidationDrawings(2, 24, workers=3).pool._max_workers == 2     # no more than the drawings
    assert gpu_run.ValidationDrawings(2, 24, workers=0).pool is None


class Fixed(torch.nn.Module):
    """A network whose raw nearness is always `field` (its one parameter, `near`, so a state dict loads into
    it) and whose mask logit is +5 on `mask`, -5 off it (a buffer); by default 32² zeros on a full mask."""

    def __init__(self, field=None, mask=None):
        super().__init__()
        field = np.zeros((32, 32)) if field is None else field
        mask = np.ones((32, 32), bool) if mask is None else mask
        self.near = torch.nn.Parameter(torch.as_tensor(field, dtype=torch.float32))
        self.register_buffer("logit", torch.where(torch.as_tensor(mask), 5.0, -5.0))

    def forward(self, img):
        return torch.stack([self.near, self.logit]).expand(len(img), -1, -1, -1)


def square_ramp():
    """A 24-pixel square on a 32² drawing (its widest inner circle: radius 12, half its width) whose true
    nearness rises from 0 at its left column to 1 at its right; its true depth is 0.4 of its width."""
    mask = np.zeros((32, 32), bool)
    mask[4:28, 4:28] = True
    ramp = np.where(mask, (np.arange(32) - 4) / 23.0, 0.0) * np.ones((32, 1))
    item = {"image": np.ones((32, 32, 3), np.float32), "nearness": ramp.astype(np.float32), "mask": mask,
            "proportion": 0.4}
    return item, mask, ramp


def test_validation_scores_the_truth_as_perfect_and_reads_proportion_in_the_weights_units():
    item, mask, ramp = square_ramp()
    cpu = torch.device("cpu")
    perfect = gpu_run.validate(Fixed(ramp, mask), [item, item], cpu, False, proportion.FIGURE_WIDTHS)
    assert perfect["drawings"] == 2 and perfect["nrmse"] == pytest.approx(0, abs=1e-6)
    assert perfect["mask_iou"] == 1.0
    # taught in figure widths, the raw output is the depth: 0.6 × the ramp against the truth's 0.4 × it
    raw = 0.6 * ramp + 3.0
    widths = gpu_run.validate(Fixed(raw, mask), [item], cpu, False, proportion.FIGURE_WIDTHS)
    assert widths["proportion_error"] == pytest.approx(metrics.proportion_error(0.2 * ramp, 0 * ramp, mask), rel=1e-5)
    # taught in [0, 1], Auto reads 1.5 round bodies per unit of spread, and the square's round body is half
    # its width: the spread 0.6 stands for 0.6 × 1.5 × 0.5 = 0.45 widths
    unit = gpu_run.validate(Fixed(raw, mask), [item], cpu, False, proportion.UNIT_RANGE)
    assert unit["proportion_error"] == pytest.approx(
        metrics.proportion_error(0.05 * ramp, 0 * ramp, mask), rel=1e-5)
    assert unit["nrmse"] == widths["nrmse"] == pytest.approx(0, abs=1e-6)   # scale + shift forgive both


def test_the_line_against_the_parent_gives_each_ratio():
    run = {"drawings": 96, "nrmse": 0.15, "mask_iou": 0.98, "proportion_error": 0.08}
    parent = {"drawings": 96, "nrmse": 0.2, "mask_iou": 0.97, "proportion_error": 0.1}
    line = gpu_run.against_parent(run, parent)
    assert "nRMSE 0.1500 (parent 0.2000, 0.750×)" in line and "(parent 0.9700)" in line
    assert "proportion error 0.0800 (parent 0.1000, 0.800×)" in line
    without = {k: v for k, v in run.items() if k != "proportion_error"}
    assert "proportion" not in gpu_run.against_parent(without, parent)


def test_a_step_optimises_the_aligned_loss_with_the_figures_widths():
    from training import losses
    torch.manual_seed(0)
    model = Depthy()
    img = torch.rand(2, 3, 64, 64)
    near = torch.rand(2, 64, 64)
    mask = torch.zeros(2, 64, 64, dtype=torch.bool)
    mask[:, 16:48, 16:48] = True
    widths = torch.tensor([0.4, float("nan")])
    with torch.no_grad():
        out = model(img).float()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)       # the weights stay; the loss is the one asked
    for given, weight in (({}, 0.0), ({"widths": widths, "widths_weight": 0.3}, 0.3)):
        want, _ = losses.total(out, near, mask, True, widths=given.get("widths"), widths_weight=weight)
        got = gpu_run.step(model, opt, img, near, mask, False, torch.device("cpu"), **given)
        assert torch.allclose(got, want, rtol=1e-4) and not got.requires_grad
    unaligned, _ = losses.total(out, near, mask, False, widths=widths, widths_weight=0.3)
    assert not torch.allclose(unaligned, want, rtol=1e-4)
    blind, _ = losses.total(out, near, mask, True)
    assert not torch.allclose(blind, want, rtol=1e-4)


def test_a_step_clips_the_gradient_to_a_norm_of_5_and_autocasts_to_bfloat16():
    torch.manual_seed(0)
    model = torch.nn.Conv2d(3, 2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    img, near = torch.rand(2, 3, 8, 8) * 1000, torch.rand(2, 8, 8)
    mask = torch.ones(2, 8, 8, dtype=torch.bool)
    gpu_run.step(model, opt, img, near, mask, False, torch.device("cpu"))
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in model.parameters()]))
    assert float(norm) == pytest.approx(5.0, rel=1e-4)
    # bfloat16 on the GPU too (float16, CUDA's own default, would need a loss scaler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                     # no CUDA here: torch disables it, keeping the type
        for device in (torch.device("cuda"), torch.device("cpu")):
            assert gpu_run.autocast(device, True).fast_dtype == torch.bfloat16


def test_weight_parts_are_named_after_depthy_unless_told(tmp_path):
    state = {"w": torch.ones(3), "n": torch.tensor(2)}
    listed = gpu_run.write_parts(state, tmp_path)
    assert [p["file"] for p in listed[1:]] == ["depthy.pt.000"]
    (tmp_path / "log.json").write_text(json.dumps({"weights": listed}))
    assert gpu_run.join(tmp_path) == tmp_path / "depthy.pt"
    assert [p["file"] for p in gpu_run.write_parts(state, tmp_path, "mean")[1:]] == ["mean.pt.000"]


def test_parts_cut_the_fp16_weights_at_the_part_size_and_list_every_size_and_checksum(tmp_path, monkeypatch):
    import hashlib
    monkeypatch.setattr(gpu_run, "PART_BYTES", 1000)
    state = {"w": torch.linspace(0, 1, 700), "n": torch.tensor([3, 4])}
    listed = gpu_run.write_parts(state, tmp_path)
    whole, parts = listed[0], listed[1:]
    assert len(parts) >= 2 and [p["file"] for p in parts] == [f"depthy.pt.{i:03d}" for i in range(len(parts))]
    assert all(p["bytes"] == 1000 for p in parts[:-1]) and 0 < parts[-1]["bytes"] <= 1000
    assert whole["whole_bytes"] == sum(p["bytes"] for p in parts)
    for p in parts:
        data = (tmp_path / p["file"]).read_bytes()
        assert len(data) == p["bytes"] and hashlib.sha256(data).hexdigest() == p["sha256"]
    (tmp_path / "log.json").write_text(json.dumps({"weights": listed}))
    joined = torch.load(gpu_run.join(tmp_path), weights_only=True)
    assert joined["w"].dtype == torch.float16 and torch.equal(joined["w"], state["w"].half())
    assert joined["n"].dtype == torch.int64 and joined["n"].tolist() == [3, 4]
    listed[0]["whole_sha256"] = "0" * 64                     # every part matches, the whole does not
    (tmp_path / "log.json").write_text(json.dumps({"weights": listed}))
    with pytest.raises(SystemExit) as stop:
        gpu_run.join(tmp_path)
    assert str(stop.value) == "the joined weights do not match log.json"




def options(**given):
    """gpu_run's parsed command line with `given` in place of its defaults."""
    args = gpu_run.parser().parse_args(["--out", "unused"])
    for key, value in given.items():
        setattr(args, key, value)
    return args


def test_the_command_lines_defaults_and_types(monkeypatch):
    """What a bare `gpu_run --out DIR` runs (gpu_window.sh train sets the recipe's own switches over these:
    test_gpu_window.py), and each option read as its type."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert vars(gpu_run.parser().parse_args(["--out", "o"])) == {
        "out": Path("o"), "join": None, "device": "cpu", "seconds": 480.0, "parent": None, "size": 256, "batch": 64,
        "reuse": 4, "max_reuse": 16, "pool": 4096, "widths_weight": 0.5, "workers": 14, "data": None, "views": 8,
        "together": 16, "device_workers": 0, "val": 96, "val_workers": 2, "lr": 1e-4, "warmup": 50,
        "plain_share": 0.5, "average_from": 0.0, "average_every": 50, "freeze_stem": False,
        "first_seed": 30_000_000, "seed": 0}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    given = gpu_run.parser().parse_args(
        "--join j --seconds 1.5 --parent p.pt --size 8 --batch 3 --reuse 2 --max-reuse 5 --pool 7 --widths-weight 0.25 "
        "--workers 1 --data device --views 2 --together 3 --device-workers 4 --val 6 --val-workers 0 --lr 0.5 "
        "--warmup 9 --plain-share 0.75 --average-from 0.25 --average-every 11 --freeze-stem --first-seed 12 "
        "--seed 13".split())
    assert vars(given) == {
        "out": None, "join": Path("j"), "device": "cuda", "seconds": 1.5, "parent": Path("p.pt"), "size": 8,
        "batch": 3, "reuse": 2, "max_reuse": 5, "pool": 7, "widths_weight": 0.25, "workers": 1, "data": "device",
        "views": 2, "together": 3, "device_workers": 4, "val": 6, "val_workers": 0, "lr": 0.5, "warmup": 9,
        "plain_share": 0.75, "average_from": 0.25, "average_every": 11, "freeze_stem": True, "first_seed": 12,
        "seed": 13}
    assert isinstance(given.seconds, float) and isinstance(given.size, int) and isinstance(given.lr, float)
    with pytest.raises(SystemExit):
        gpu_run.parser().parse_args(["--data", "gpu"])
    assert gpu_run.parser().parse_args(["--data", "cpu"]).data == "cpu"


def test_the_help_keeps_the_modules_text_as_written_and_explains_every_option():
    text = gpu_run.parser().format_help()
    # the description is the module's own text, its usage block and lists not re-wrapped
    assert as_written(gpu_run.__doc__, text)
    for named in ("--join FOLDER", "--plain-share P", "--average-from FRACTION", "--average-every STEPS"):
        assert option_shown(named, text), named                 # in the options: the module's text names --join too
    actions = [a for a in gpu_run.parser()._actions if a.dest != "help"]
    # every option says what it is for, but those whose name and default say it (--average-every is read
    # with --average-from's text)
    unexplained = {a.option_strings[0] for a in actions if not a.help}
    assert unexplained == {"--device", "--size", "--lr", "--first-seed", "--seed", "--average-every"}


def test_a_step_takes_batch_over_reuse_fresh_drawings_and_waits_for_batch_over_max_reuse():
    assert gpu_run.fresh_counts(options()) == (16, 4)                     # 64 ÷ 4, 64 ÷ 16
    assert gpu_run.fresh_counts(options(batch=64, reuse=4, max_reuse=4)) == (16, 16)
    assert gpu_run.fresh_counts(options(batch=64, reuse=4, max_reuse=2)) == (16, 16)
    assert gpu_run.fresh_counts(options(batch=8, reuse=0, max_reuse=1)) == (8, 8)
    assert gpu_run.fresh_counts(options(batch=2, reuse=4, max_reuse=16)) == (1, 1)
    assert gpu_run.fresh_counts(options(batch=12, reuse=1, max_reuse=5)) == (12, 2)


def test_drawings_are_made_on_the_device_on_cuda_and_by_the_cpu_workers_elsewhere_unless_told():
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    assert gpu_run.data_kind(options(), cuda) == "device" and gpu_run.data_kind(options(), cpu) == "cpu"
    assert gpu_run.data_kind(options(data="cpu"), cuda) == "cpu"
    assert gpu_run.data_kind(options(data="device"), cpu) == "device"


def test_the_feeds_are_the_device_generator_then_the_cpu_workers(monkeypatch):
    made = []
    monkeypatch.setattr(gpu_run, "Feed", lambda name, produce: made.append((name, produce)) or name)
    monkeypatch.setattr(gpu_run, "loader_drawings", lambda loader: ("loader", loader))
    monkeypatch.setattr(gpu_run, "device_drawings", lambda drawings: ("thread", drawings))
    monkeypatch.setattr(torch.utils.data, "DataLoader", lambda dataset, **kw: ("DataLoader", dataset, kw))
    cpu = torch.device("cpu")
    args = options(data="device", workers=3, views=5, together=2, plain_share=0.25, first_seed=7, size=32,
                   batch=8, reuse=2)
    assert gpu_run.make_feeds(args, cpu) == ["device", "cpu"]
    (_, (how, drawn)), (_, (_, (_, workers, kw))) = made
    assert how == "thread" and isinstance(drawn, gpu_data.DeviceDrawings)
    assert (drawn.seed, drawn.size, drawn.views, drawn.device, drawn.stride, drawn.together) == (7, 32, 5, cpu, 1, 2)
    assert drawn.options(40_000_000) == gpu_data.families(40_000_000, 0.25)
    assert isinstance(workers, gpu_data.Drawings)
    assert (workers.first_seed, workers.size, workers.plain_share) == (7, 32, 0.25)
    assert kw == {"batch_size": 4, "num_workers": 3, "pin_memory": False, "persistent_workers": True,
                  "prefetch_factor": 4}
    made.clear()
    args = options(data="device", device_workers=2, workers=0, views=5, together=3, plain_share=0.5,
                   first_seed=9, size=16, batch=6, reuse=3, device="cpu")
    assert gpu_run.make_feeds(args, cpu) == ["device"]
    (_, (how, (_, traced, kw))), = made
    assert how == "loader" and isinstance(traced, gpu_data.DeviceWorkerDrawings)
    assert (traced.first_seed, traced.size, traced.views, traced.device, traced.together, traced.plain_share) == (
        9, 16, 5, "cpu", 3, 0.5)
    assert kw == {"batch_size": 2, "num_workers": 2, "multiprocessing_context": "spawn", "persistent_workers": True,
                  "pin_memory": False, "prefetch_factor": 2}
    made.clear()
    assert gpu_run.make_feeds(options(data="cpu", workers=0, batch=4, reuse=4), cpu) == ["cpu"]
    (_, (_, (_, _, kw))), = made
    assert kw == {"batch_size": 1, "num_workers": 0, "pin_memory": False, "persistent_workers": False,
                  "prefetch_factor": None}
    made.clear()
    assert gpu_run.make_feeds(options(data="device", workers=0), cpu) == ["device"]
    # one device worker is a process too; one CPU worker keeps its process and prefetches; on CUDA the
    # loaders pin their batches, and without --data the drawings are made on the device
    made.clear()
    cuda = torch.device("cuda")
    assert gpu_run.make_feeds(options(data=None, device_workers=1, workers=1, batch=4, reuse=4), cuda) == [
        "device", "cpu"]
    (_, (how, (_, _, device_kw))), (_, (_, (_, _, cpu_kw))) = made
    assert how == "loader" and device_kw["num_workers"] == 1 and device_kw["pin_memory"] is True
    assert cpu_kw == {"batch_size": 1, "num_workers": 1, "pin_memory": True, "persistent_workers": True,
                      "prefetch_factor": 4}


class Ready:
    """A feed whose drawings are all ready from the start (8² drawings numbered from `first`)."""

    def __init__(self, name, first, count=1000, failure=None):
        self.name, self.failure, self.ready = name, failure, gpu_data.queue.Queue()
        for k in range(first, first + count):
            self.ready.put((torch.full((3, 8, 8), k / 1000), torch.rand(8, 8, generator=torch.Generator().manual_seed(k)),
                            torch.ones(8, 8, dtype=torch.bool), torch.tensor(0.5)))

    def alive(self):
        return not self.ready.empty()


STEP = gpu_run.step      # the real step, which small_run wraps


class Ticks:
    """A clock that starts at 100 s and moves on by a quarter of a second each time it is read."""

    def __init__(self):
        self.now = 100.0 - 0.25

    def __call__(self):
        self.now += 0.25
        return self.now


def small_run(monkeypatch, seen, feeds=None, seed=0, deadline=122.5, **given):
    """gpu_run.train on a one-layer network, ready feeds (by default one device and one CPU feed) and a
    clock of Ticks, each step's rate, loss, weights and proportion inputs noted in `seen`."""
    torch.manual_seed(0)
    model = torch.nn.Conv2d(3, 2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)

    def noting(model, opt, img, near, mask, bf16, device, widths, widths_weight):
        loss = STEP(model, opt, img, near, mask, bf16, device, widths, widths_weight)
        seen.append({"lr": opt.param_groups[0]["lr"], "loss": float(loss), "widths": widths.tolist(),
                     "widths_weight": widths_weight, "state": {k: v.clone() for k, v in model.state_dict().items()}})
        return loss
    monkeypatch.setattr(gpu_run, "step", noting)
    settings = dict(batch=4, reuse=2, max_reuse=2, lr=0.1, warmup=4, average_from=0.5, average_every=1,
                    widths_weight=0.3, seed=seed)
    args = options(**dict(settings, **given))
    feeds = [Ready("device", 0), Ready("cpu", 500)] if feeds is None else feeds
    pool = gpu_data.Pool(16, 8, torch.device("cpu"))
    return gpu_run.train(model, opt, feeds, pool, args, torch.device("cpu"), False, deadline=deadline, clock=Ticks())


def test_training_runs_to_its_deadline_and_tallies_its_steps(monkeypatch, capsys):
    """The clock is read three times a step (before and after gathering, after the step), from 100 s on,
    a quarter of a second each: step k ends at 100 + 0.75 k, and the deadline 122.5 is step 30's end;
    each step waits a quarter of a second for its drawings."""
    seen = []
    tally = small_run(monkeypatch, seen)
    assert (tally.steps, tally.samples, tally.fresh, tally.fresh_cpu) == (30, 120, 60, 30)   # one from each feed
    assert tally.waited == 7.5 and tally.seconds == 22.75 and tally.data_failure is None
    assert tally.rate == 120 / 22.75 and tally.fresh_rate == 60 / 22.75
    assert [s["lr"] for s in seen] == pytest.approx([0.025, 0.05, 0.075] + [0.1] * 27)
    assert all(s["widths"] == [0.5] * 4 and s["widths_weight"] == 0.3 for s in seen)
    # the loss about every 10 s, from the time of the entry before as written (0.75 s written 0.8: the
    # next at 10.8 s or later), each the mean loss of the last 20 steps
    assert [(e["t"], e["step"], e["samples"], e["fresh"], e["fresh_cpu"]) for e in tally.trace] == [
        (0.8, 1, 4, 2, 1), (11.2, 15, 60, 30, 15), (21.8, 29, 116, 58, 29)]
    for entry in tally.trace:
        last = seen[max(0, entry["step"] - 20):entry["step"]]
        assert entry["loss"] == pytest.approx(np.mean([s["loss"] for s in last]), rel=1e-6)
    # from half the time on (111.25 s, step 15's end), every step: the states after steps 15 to 30
    assert tally.folded == 16
    for key, value in tally.mean.items():
        assert torch.allclose(value, sum(seen[k - 1]["state"][key] for k in range(15, 31)) / 16, atol=1e-6)
    assert not torch.equal(tally.mean["weight"], seen[-1]["state"]["weight"])
    assert capsys.readouterr().out == ""                     # the device feed did not fail: nothing said


def test_training_is_the_same_for_a_seed_and_differs_with_another(monkeypatch):
    runs = [[], [], []]
    for seen, seed in zip(runs, (0, 0, 1)):
        small_run(monkeypatch, seen, seed=seed, deadline=107.5)
    assert all(torch.equal(a["state"]["weight"], b["state"]["weight"]) for a, b in zip(runs[0], runs[1]))
    assert not torch.equal(runs[0][-1]["state"]["weight"], runs[2][-1]["state"]["weight"])


def test_training_without_a_tail_mean_keeps_none_and_says_when_the_device_data_failed(monkeypatch):
    said = []
    monkeypatch.setattr(gpu_run, "print", lambda *a, **kw: said.append((a, kw)), raising=False)
    seen = []
    feeds = [Ready("device", 0, count=0, failure="RuntimeError: CUDA error"), Ready("cpu", 0)]
    tally = small_run(monkeypatch, seen, feeds=feeds, deadline=102.25, batch=2, reuse=1, max_reuse=1, warmup=1,
                      average_from=0.0)
    assert tally.mean is None and tally.folded == 0 and tally.steps == 3 and seen[0]["lr"] == 0.1
    assert tally.data_failure == "RuntimeError: CUDA error" and tally.fresh == tally.fresh_cpu == 6
    assert said == [(("device data failed (RuntimeError: CUDA error); the CPU workers make every drawing from here",),
                     {"flush": True})]


def test_the_rate_line_gives_samples_per_second_and_where_the_drawings_came_from():
    tally = gpu_run.Tally(steps=5, samples=640, fresh=80, fresh_cpu=30, waited=1.26, seconds=12.5)
    line = gpu_run.rate_line(options(size=256, batch=64, device="cuda"), tally, True)
    assert line == ("640 samples in 12.5 s: 51.2 training samples/s at 256² (data generation included; cuda, "
                    "batch 64, bf16); 80 fresh drawings, 6.4/s (50 traced and inked on cuda, 30 by CPU workers), "
                    "each trained on 8.0 times; steps waited 1.3 s for drawings")
    assert "(data generation included; cpu, batch 64, fp32);" in gpu_run.rate_line(options(device="cpu"),
                                                                                   gpu_run.Tally(), False)
    assert "each trained on 0.0 times" in gpu_run.rate_line(options(), gpu_run.Tally(), False)
    assert "each trained on 4.0 times" in gpu_run.rate_line(options(), gpu_run.Tally(samples=4, fresh=1), False)


def test_the_run_scores_its_tail_mean_its_endpoint_and_its_parent_on_the_same_drawings(monkeypatch, tmp_path):
    said = []
    monkeypatch.setattr(gpu_run, "print", lambda *a, **kw: said.append((a, kw)), raising=False)
    item, mask, ramp = square_ramp()
    cpu = torch.device("cpu")
    monkeypatch.setattr(gpu_run, "Depthy", Fixed)
    bumpy = ramp + np.where(mask, np.sin(np.arange(32) / 2.0), 0.0)
    parent_state = {"near": torch.as_tensor(bumpy, dtype=torch.float32),
                    "logit": torch.where(torch.as_tensor(mask), 5.0, -5.0)}
    endpoint_model = Fixed(ramp ** 2, mask)
    tally = gpu_run.Tally(mean={"near": torch.as_tensor(ramp, dtype=torch.float32),
                                "logit": torch.where(torch.as_tensor(mask), 5.0, -5.0)}, folded=3)
    args = options(widths_weight=0.5, average_every=7, average_from=0.5)
    scores, endpoint, parent = gpu_run.score(endpoint_model, tally, tmp_path / "parent.pt", parent_state,
                                             [item, item], args, cpu, False)
    assert scores == gpu_run.validate(Fixed(ramp, mask), [item, item], cpu, False, proportion.FIGURE_WIDTHS)
    assert scores["nrmse"] == pytest.approx(0, abs=1e-6)          # the mean: the truth itself
    assert endpoint == gpu_run.validate(Fixed(ramp ** 2, mask), [item, item], cpu, False, proportion.FIGURE_WIDTHS)
    assert endpoint["nrmse"] > 0.01 and torch.equal(endpoint_model.near.data, tally.mean["near"])
    # the parent, read in its own units ([0, 1]: no log.json beside it, not the shipped file)
    assert parent == gpu_run.validate(Fixed(bumpy, mask), [item, item], cpu, False, proportion.UNIT_RANGE)
    assert parent != gpu_run.validate(Fixed(bumpy, mask), [item, item], cpu, False, proportion.FIGURE_WIDTHS)
    assert said == [((f"tail mean of 3 states (every 7 steps from 50% of the time): nRMSE {scores['nrmse']:.4f}; "
                      f"the endpoint {endpoint['nrmse']:.4f}",), {"flush": True})]
    # without a mean the endpoint is what is written, scored once, in [0, 1] units when widths were not
    # taught; a parent from a GPU run is read in the units its log.json names
    said.clear()
    (tmp_path / "log.json").write_text(json.dumps({"nearness": proportion.FIGURE_WIDTHS}))
    alone, none, parent = gpu_run.score(Fixed(ramp ** 2, mask), gpu_run.Tally(), tmp_path / "depthy.pt",
                                        parent_state, [item], options(widths_weight=0.0), cpu, False)
    assert none is None and alone == gpu_run.validate(Fixed(ramp ** 2, mask), [item], cpu, False,
                                                      proportion.UNIT_RANGE)
    assert parent == gpu_run.validate(Fixed(bumpy, mask), [item], cpu, False, proportion.FIGURE_WIDTHS)
    assert said == []


def test_the_log_records_the_settings_the_tally_the_scores_and_the_parts(monkeypatch):
    args = options(size=128, batch=16, reuse=4, max_reuse=8, data="device", views=6, together=4, device_workers=2,
                   workers=5, widths_weight=0.5, lr=3e-5, warmup=20, freeze_stem=True, average_from=0.5,
                   average_every=25, plain_share=0.5, first_seed=31_000_000, val_workers=3, device="cpu")
    trace = [{"t": 0.1, "loss": 0.5}]
    tally = gpu_run.Tally(steps=10, samples=160, fresh=40, fresh_cpu=15, waited=2.345, seconds=20.44, trace=trace,
                          folded=2, data_failure="RuntimeError: no")
    pool = gpu_data.Pool(24, 4, torch.device("cpu"))
    scores, endpoint, parent = {"nrmse": 0.1}, {"nrmse": 0.12}, {"nrmse": 0.2}
    parts = [{"whole_sha256": "ab", "whole_bytes": 3}]
    log = gpu_run.run_log(args, tally, parent=Path("p.pt"), device=torch.device("cpu"), bf16=False, pool=pool,
                          scores=scores, endpoint=endpoint, parent_scores=parent, validation_s=3.06, parts=parts,
                          wall_s=40.44)
    recipe = log.pop("recipe")
    assert log == {
        "parent": "p.pt", "device": "cpu", "gpu": None, "torch": torch.__version__, "size": 128, "batch": 16,
        "workers": 5, "bf16": False, "channels_last": True, "lr": 3e-5, "warmup": 20, "freeze_stem": True,
        "average_from": 0.5, "plain_share": 0.5, "average_every": 25, "averaged_states": 2,
        "validation_endpoint": endpoint, "reuse": 4, "max_reuse": 8, "pool": 24, "fresh_per_batch": 4,
        "least_fresh_per_batch": 2, "waited_for_drawings_seconds": 2.3, "widths_weight": 0.5,
        "nearness": "figure widths", "first_seed": 31_000_000, "steps": 10, "samples": 160, "fresh": 40,
        "train_seconds": 20.4, "samples_per_s": 7.83, "fresh_per_s": 1.96, "data": "device", "views": 6,
        "device_workers": 2, "together": 4, "fresh_cpu": 15, "fresh_device": 25,
        "device_data_failure": "RuntimeError: no", "losses": trace, "validation": scores,
        "validation_parent": parent, "validation_seconds": 3.1, "val_workers": 3, "weights": parts,
        "wall_seconds": 40.4}
    assert recipe == {"generator": "training.synth.batch_views on the device, --views per solid, and "
                                   "training.synth.dataset.sample; a share --plain-share of the seeds with no "
                                   "family on, the rest with every option on: face_features, rods, perspective, "
                                   "blobs, ribs, vessels, clusters, shells, even_lines",
                      "losses": "training.losses.total, aligned"}
    cpu_log = gpu_run.run_log(options(data="cpu", widths_weight=0.0), gpu_run.Tally(), parent=Path("p.pt"),
                              device=torch.device("cpu"), bf16=True, pool=pool, scores={}, endpoint=None,
                              parent_scores={}, validation_s=0.0, parts=[], wall_s=0.0)
    assert cpu_log["recipe"]["generator"].startswith("training.synth.dataset.sample;")
    assert (cpu_log["views"], cpu_log["device_workers"], cpu_log["together"]) == (None, None, None)
    assert cpu_log["nearness"] == "unit range" and cpu_log["data"] == "cpu" and cpu_log["bf16"]
    # on CUDA: the GPU's name, and with --data left out the drawings are made on the device
    cuda = torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device: {cuda: "NVIDIA H200"}[device])
    cuda_log = gpu_run.run_log(options(data=None, views=8), gpu_run.Tally(), parent=Path("p.pt"), device=cuda,
                               bf16=True, pool=pool, scores={}, endpoint=None, parent_scores={}, validation_s=0.0,
                               parts=[], wall_s=0.0)
    assert cuda_log["gpu"] == "NVIDIA H200" and cuda_log["data"] == "device" and cuda_log["views"] == 8

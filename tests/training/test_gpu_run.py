"""training.gpu_run, the one-command GPU training window (issue 51), smoke-tested on the CPU: the help,
a 30-second run from the shipped weights, the weight parts and their joining."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from depthy_blender.core import metrics, proportion
from depthy_blender.models.depthy import Depthy
from tests.conftest import ROOT
from training import gpu_run
from training.synth import batch_views, dataset
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


def numbered(first, count, size=4):
    """Drawings whose every pixel holds their own number; the left half of the mask is set."""
    img = torch.arange(first, first + count, dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 3, size, size)
    near = img[:, 0] * 1.0
    mask = torch.zeros(count, size, size, dtype=torch.bool)
    mask[:, :, : size // 2] = True
    near = near + torch.arange(size, dtype=torch.float32) / 100   # rising to the right: mirrors show
    return img.clone(), near, mask, torch.arange(first, first + count, dtype=torch.float32) / 100


def test_the_pool_keeps_the_most_recent_drawings_and_mirrors_half_of_what_it_gives():
    pool = gpu_run.Pool(4, 4, torch.device("cpu"))
    pool.add(*numbered(0, 3))
    pool.add(*numbered(3, 3))                       # 6 in, 4 kept: 2, 3, 4, 5 (0 and 1 overwritten)
    assert pool.count == 4 and sorted(pool.img[:, 0, 0, 0].tolist()) == [2.0, 3.0, 4.0, 5.0]
    img, near, mask, widths = pool.draw(400, torch.Generator().manual_seed(1))
    numbers = img[:, 0, 0, 0]
    assert torch.allclose(widths, numbers / 100)      # each drawing keeps its own proportion
    assert set(numbers.tolist()) == {2.0, 3.0, 4.0, 5.0}
    mirrored = near[:, 0, 0] > near[:, 0, -1]       # the rise runs right to left
    assert 150 < int(mirrored.sum()) < 250
    assert mask[mirrored][:, :, 2:].all() and not mask[mirrored][:, :, :2].any()   # the mask turns with it
    assert mask[~mirrored][:, :, :2].all() and torch.equal(near[:, :, 0] // 1, numbers[:, None].expand(-1, 4))


def test_a_batch_is_the_fresh_drawings_and_the_rest_from_the_pool():
    pool = gpu_run.Pool(16, 4, torch.device("cpu"))
    img, near, mask, _ = gpu_run.batch_with_reuse(pool, numbered(10, 2), 8, torch.Generator().manual_seed(0))
    assert len(img) == 8 and img[:2, 0, 0, 0].tolist() == [10.0, 11.0]
    assert set(img[2:, 0, 0, 0].tolist()) <= {10.0, 11.0}          # only what the pool has seen
    img, _, _, _ = gpu_run.batch_with_reuse(pool, numbered(20, 8), 8, torch.Generator().manual_seed(0))
    assert img[:, 0, 0, 0].tolist() == [float(k) for k in range(20, 28)] and pool.count == 10


def test_device_drawings_come_in_the_numbers_asked_and_keep_the_rest():
    made = gpu_run.DeviceDrawings(40_000_000, 48, 2, torch.device("cpu"))
    img, near, mask, widths = made.take(3)
    assert img.shape == (3, 3, 48, 48) and near.shape == mask.shape == (3, 48, 48) and widths.shape == (3,)
    traced = made.made
    assert traced >= 3 and sum(len(r[0]) for r in made.ready) == traced - 3
    if traced - 3 >= 1:                         # a leftover view is used before any new solid is traced
        made.take(1)
        assert made.made == traced


def feed_of(items, then_block=False, fail=None):
    """A Feed that gives `items`, then blocks for good, raises `fail`, or stops."""
    stop = gpu_run.threading.Event()

    def produce():
        yield from items
        if fail is not None:
            raise fail
        if then_block:
            stop.wait()
    return gpu_run.Feed("test", produce)


def settled(feed):
    while feed.thread.is_alive() and feed.ready.qsize() < 1:
        pass
    feed.thread.join(timeout=0.5)


def test_a_step_takes_ready_drawings_in_turn_and_waits_only_for_the_least():
    a, b = feed_of(["a1", "a2", "a3"]), feed_of(["b1"], then_block=True)
    for feed in (a, b):
        settled(feed)
    got = gpu_run.gather([a, b], want=3, least=1)
    assert [item for _, item in got] == ["a1", "b1", "a2"]          # one from each feed in turn
    assert [feed for feed, _ in got] == [a, b, a]
    # b has nothing ready and never will: a step that wants 4 takes a's last one and goes on
    done = []
    runner = gpu_run.threading.Thread(target=lambda: done.append(gpu_run.gather([a, b], want=4, least=1)))
    runner.start()
    runner.join(timeout=30)
    assert not runner.is_alive() and [item for _, item in done[0]] == ["a3"]


def test_a_step_waits_for_the_least_and_a_dead_feed_says_why():
    go = gpu_run.threading.Event()

    def produce():
        yield "s0"
        go.wait()
        yield "s1"
    slow = gpu_run.Feed("slow", produce)
    settled(slow)                                     # s0 is ready, s1 comes once `go` is set
    gpu_run.threading.Timer(0.2, go.set).start()
    assert [item for _, item in gpu_run.gather([slow], want=2, least=2)] == ["s0", "s1"]   # waits for s1
    broken = feed_of([], fail=RuntimeError("CUDA error: out of memory\nmore"))
    broken.thread.join(timeout=30)
    assert broken.failure == "RuntimeError: CUDA error: out of memory" and not broken.alive()
    with pytest.raises(RuntimeError, match="every drawing feed stopped: test: RuntimeError: CUDA error"):
        gpu_run.gather([broken], want=1, least=1)


def test_a_stopped_feed_ends_even_when_its_queue_is_full():
    def endless():
        while True:
            yield 1
    feed = gpu_run.Feed("test", endless, capacity=2)
    while feed.ready.qsize() < 2:
        pass
    assert feed.stop(5.0) and feed.failure is None


def test_gathered_drawings_become_one_batch_of_the_training_types():
    drawing = (torch.ones(3, 4, 4, dtype=torch.float64), torch.zeros(4, 4, dtype=torch.float64),
               torch.ones(4, 4, dtype=torch.bool), torch.tensor(0.25, dtype=torch.float64))
    img, near, mask, widths = gpu_run.on_device([(None, drawing), (None, drawing)], torch.device("cpu"))
    assert img.shape == (2, 3, 4, 4) and img.dtype == near.dtype == widths.dtype == torch.float32
    assert mask.dtype == torch.bool and widths.tolist() == [0.25, 0.25]


def test_ready_cpu_drawings_are_taken_without_waiting():
    ready = gpu_run.queue.Queue()
    for k in range(3):
        ready.put(k)
    assert gpu_run.take_ready(ready, 2) == [0, 1]
    assert gpu_run.take_ready(ready, 5) == [2]
    assert gpu_run.take_ready(ready, 5) == []


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


def test_device_workers_take_every_nth_seed():
    """Worker k of n traces seeds first + k, first + k + n, …: worker 1 of 2 here, seeds 40,000,001 and
    40,000,003, their views in order."""
    from training.synth import batch_views
    cpu = torch.device("cpu")
    worker = gpu_run.DeviceDrawings(40_000_001, 32, 2, cpu, stride=2)
    img, near, _, _ = worker.take(3)
    assert worker.seed == 40_000_005
    traced = [batch_views.views(seed, 2, 32, cpu) for seed in (40_000_001, 40_000_003)]
    assert torch.equal(img, torch.cat([v["image"].permute(0, 3, 1, 2) for v in traced])[:3])
    assert torch.equal(near, torch.cat([v["nearness"] for v in traced])[:3])


def test_solids_traced_together_are_the_seeds_one_at_a_time_would_trace():
    """With together = 2, worker 1 of 2 traces seeds 40,000,001 and 40,000,003 in one batch_views.many
    call: the same drawings, in the same order, as tracing them one at a time."""
    from training.synth import batch_views
    cpu = torch.device("cpu")
    worker = gpu_run.DeviceDrawings(40_000_001, 32, 2, cpu, stride=2, together=2)
    img, near, mask, widths = worker.take(3)
    assert worker.seed == 40_000_005 and worker.made == 4
    traced = [batch_views.views(seed, 2, 32, cpu) for seed in (40_000_001, 40_000_003)]
    assert torch.equal(img, torch.cat([v["image"].permute(0, 3, 1, 2) for v in traced])[:3])
    assert torch.equal(mask, torch.cat([v["mask"] for v in traced])[:3])


def test_a_failing_device_generator_hands_over_to_the_cpu_workers(tmp_path, monkeypatch, capsys):
    def broken(self, n):
        raise RuntimeError("CUDA error: an illegal memory access was encountered\nmore lines")
    monkeypatch.setattr(gpu_run.DeviceDrawings, "take", broken)
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


class Fixed(torch.nn.Module):
    """A network whose raw nearness is always `field` and whose mask logit is +5 on `mask`, -5 off it."""

    def __init__(self, field, mask):
        super().__init__()
        self.out = torch.stack([torch.as_tensor(field, dtype=torch.float32),
                                torch.where(torch.as_tensor(mask), 5.0, -5.0)])

    def forward(self, img):
        return self.out.expand(len(img), -1, -1, -1)


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


def test_a_share_of_the_seeds_is_drawn_plain_and_each_seed_always_the_same_way():
    seeds = range(40_000_000, 40_001_000)
    assert all(all(gpu_run.families(s, 0.0).values()) for s in seeds[:50])
    assert not any(any(gpu_run.families(s, 1.0).values()) for s in seeds[:50])
    plain = [not any(gpu_run.families(s, 0.5).values()) for s in seeds]
    assert 430 < sum(plain) < 570                                  # about half of 1,000
    assert plain == [not any(gpu_run.families(s, 0.5).values()) for s in seeds]
    assert set(gpu_run.families(1, 0.5)) == set(batch_views.FAMILIES)


def test_the_device_generator_draws_each_seed_with_its_own_families():
    """batch_views.many with the options as a function of the seed gives each seed the drawings of its
    own fixed options, and the CPU workers' seeds are drawn with the same flags as dataset.sample."""
    seeds = [40_000_000 + k for k in range(6)]
    of = {s: gpu_run.families(s, 0.5) for s in seeds}
    assert len({any(f.values()) for f in of.values()}) == 2           # both kinds among these seeds
    both = batch_views.many(seeds, 2, 32, options=lambda s: of[s])
    for seed in seeds:
        alone = batch_views.views(seed, 2, 32, options=of[seed])
        mine = both["seed"] == seed
        assert torch.equal(both["nearness"][mine], alone["nearness"])
        assert torch.equal(both["mask"][mine], alone["mask"])
    seed = next(s for s in seeds if not any(of[s].values()))
    plain = next(iter(gpu_run.Drawings(seed, 32, plain_share=1.0)))
    expected = dataset.sample(seed, 32, even_lines=True)
    assert np.array_equal(plain[1].numpy(), expected["nearness"]) and np.array_equal(plain[2].numpy(), expected["mask"])


def _drawn(seed, size, **flags):
    """A stand-in for dataset.sample: a drawing whose pixels hold its seed."""
    return {"image": np.full((size, size, 3), seed, np.float32), "nearness": np.zeros((size, size), np.float32),
            "mask": np.ones((size, size), bool), "proportion": 0.25}


def test_each_loader_worker_draws_every_nth_seed_with_every_option_and_the_seeds_families(monkeypatch):
    import types

    from training.make_cache import OPTIONS
    asked, threads = [], []
    monkeypatch.setattr(gpu_run.dataset, "sample", lambda seed, size, **flags: asked.append((seed, size, flags))
                        or _drawn(seed, size))
    monkeypatch.setattr(torch, "set_num_threads", lambda n: threads.append(n))
    alone = iter(gpu_run.Drawings(100, 8))
    assert [float(next(alone)[0][0, 0, 0]) for _ in range(2)] == [100.0, 101.0] and threads == [1]
    monkeypatch.setattr(torch.utils.data, "get_worker_info", lambda: types.SimpleNamespace(id=1, num_workers=3))
    asked.clear()
    second = iter(gpu_run.Drawings(100, 8, plain_share=0.5))
    img, near, mask, widths = next(second)
    assert img.shape == (3, 8, 8) and near.shape == mask.shape == (8, 8) and mask.dtype == torch.bool
    assert widths.dtype == torch.float32 and float(widths) == 0.25
    for _ in range(29):
        next(second)
    assert [seed for seed, _, _ in asked] == list(range(101, 191, 3)) and {size for _, size, _ in asked} == {8}
    for seed, _, flags in asked:
        assert flags == dict({name: True for name in OPTIONS}, **gpu_run.families(seed, 0.5))
    plain = [flags for _, _, flags in asked if not flags["rods"]]
    assert 0 < len(plain) < 30 and all(f["even_lines"] for f in plain)     # even lines are not a family


def test_device_drawings_trace_each_seed_with_its_families_on_their_device(monkeypatch):
    traced = []

    def views(seed, count, size, device, options):
        traced.append(("views", seed, count, size, device, options(seed)))
        return {"image": torch.full((count, size, size, 3), float(seed)), "nearness": torch.zeros(count, size, size),
                "mask": torch.ones(count, size, size, dtype=torch.bool), "proportion": torch.zeros(count)}

    def many(seeds, count, size, device, options):
        traced.append(("many", seeds, count, size, device, [options(s) for s in seeds]))
        parts = [views(s, count, size, device, options) for s in seeds]
        del traced[-len(seeds):]
        return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}

    monkeypatch.setattr(gpu_run.batch_views, "views", views)
    monkeypatch.setattr(gpu_run.batch_views, "many", many)
    device = torch.device("cpu")
    one = gpu_run.DeviceDrawings(50, 8, 2, device, stride=3, plain_share=0.5)
    img, _, _, _ = one.take(4)
    assert img.shape == (4, 3, 8, 8) and img[:, 0, 0, 0].tolist() == [50.0, 50.0, 53.0, 53.0]
    assert traced == [("views", 50, 2, 8, device, gpu_run.families(50, 0.5)),
                      ("views", 53, 2, 8, device, gpu_run.families(53, 0.5))]
    assert one.ready == [] and one.made == 4 and one.seed == 56      # nothing left over
    traced.clear()
    together = gpu_run.DeviceDrawings(50, 8, 2, device, stride=2, together=3)
    img, _, _, _ = together.take(5)
    assert img[:, 0, 0, 0].tolist() == [50.0, 50.0, 52.0, 52.0, 54.0]
    assert traced == [("many", [50, 52, 54], 2, 8, device, [gpu_run.families(s, 0.0) for s in (50, 52, 54)])]
    assert together.seed == 56 and len(together.ready) == 1 and float(together.ready[0][0][0, 0, 0, 0]) == 54.0


def test_the_pool_mirrors_a_drawing_left_to_right_as_a_whole_and_draws_by_its_generator():
    pool = gpu_run.Pool(2, 4, torch.device("cpu"))
    img = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).view(2, 3, 4, 4)
    near = torch.arange(2 * 4 * 4, dtype=torch.float32).view(2, 4, 4)
    mask = torch.zeros(2, 4, 4, dtype=torch.bool)
    mask[:, 1:, :1] = True                                  # the left column below the top row
    pool.add(img, near, mask, torch.tensor([0.5, 0.75]))
    got = pool.draw(64, torch.Generator().manual_seed(3))
    flipped = 0
    for i, n, m, w in zip(*got):
        k = 0 if w == 0.5 else 1
        if torch.equal(i, img[k]):
            assert torch.equal(n, near[k]) and torch.equal(m, mask[k])
        else:
            flipped += 1
            assert torch.equal(i, img[k].flip(-1)) and torch.equal(n, near[k].flip(-1))
            assert torch.equal(m, mask[k].flip(-1))
    assert 10 < flipped < 54
    torch.manual_seed(11)                                   # the global stream plays no part
    again = pool.draw(64, torch.Generator().manual_seed(3))
    assert all(torch.equal(a, b) for a, b in zip(got, again))
    other = pool.draw(64, torch.Generator().manual_seed(4))
    assert not torch.equal(got[3], other[3])


def test_a_batch_one_short_takes_one_from_the_pool_and_is_the_same_for_the_same_generator():
    pool = gpu_run.Pool(16, 4, torch.device("cpu"))
    gpu_run.batch_with_reuse(pool, numbered(0, 8), 8, torch.Generator())
    first = gpu_run.batch_with_reuse(pool, numbered(8, 3), 4, torch.Generator().manual_seed(2))
    assert len(first[0]) == 4 and first[0][:3, 0, 0, 0].tolist() == [8.0, 9.0, 10.0]
    pool = gpu_run.Pool(16, 4, torch.device("cpu"))
    gpu_run.batch_with_reuse(pool, numbered(0, 8), 8, torch.Generator())
    torch.manual_seed(5)
    second = gpu_run.batch_with_reuse(pool, numbered(8, 3), 4, torch.Generator().manual_seed(2))
    assert all(torch.equal(a, b) for a, b in zip(first, second))


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


def test_the_pool_keeps_drawings_in_float32_on_the_cpu():
    pool = gpu_run.Pool(3, 4, torch.device("cpu"))
    assert pool.img.dtype == pool.near.dtype == pool.widths.dtype == torch.float32 and pool.mask.dtype == torch.bool
    assert pool.img.shape == (3, 3, 4, 4) and pool.near.shape == pool.mask.shape == (3, 4, 4) and pool.count == 0

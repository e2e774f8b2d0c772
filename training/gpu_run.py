"""One Depthy training run that fits a GPU window (issue 51): start from weights, train for a fixed time,
validate, and leave fp16 weights in parts small enough to come back from the GPU machine.

    python -m training.gpu_run --out $OUT [--device cuda] [--seconds 480] [--parent WEIGHTS.pt]
                               [--size 256] [--batch 64] [--reuse 4] [--max-reuse 16] [--pool 4096]
                               [--workers 14] [--data device|cpu] [--views 8] [--together 16] [--device-workers 0]
                               [--val 96] [--val-workers 2] [--lr 1e-4]
    python -m training.gpu_run --join FOLDER     # the parts back into one .pt, checked against the log

The drawings come from the seeded CPU generator (training/synth, every family the shipped weights saw;
a `--plain-share` of the seeds with none, as half their caches were) in DataLoader worker processes,
seeds from `--first-seed` on, so a run's data never meets the test (0–299) or validation
(900,000–900,159) seeds. The step runs under bfloat16 autocast on CUDA (and on a CPU that computes
bfloat16 natively) with channels-last weights; the optimiser is AdamW at a constant
rate after a short warm-up. At the end the model and its parent are scored on the same `--val` fixed
validation drawings, made by `--val-workers` processes while it trains (nRMSE after scale + shift, mask
IoU and the proportion error of the depth Auto reads, the metrics of training.evaluate), so the log says
at once whether the run beat where it started. The model is written as a float16 state dict split into
parts of at most 16 MiB (`depthy.pt.000`, …), with `log.json`: samples, samples/s (data included), the
loss every few seconds, both validation scores, the parts' sha256 and the recipe.

Where the drawings come from (`--data`; the generators, feeds and pool are training/gpu_data.py):
- `device` (the default on CUDA): training.synth.batch_views traces `--views` views of each random solid
  in one march and inks them together on the training device, in a thread of the training process (on
  CUDA, on a stream of its own), or in `--device-workers` processes of their own. The CPU workers run
  beside it; their drawings (the only ones with two or three figures side by side) and the device's
  are taken in turn.
- `cpu`: only the CPU workers (`--workers` processes of training.synth.dataset.sample).
Neither makes drawings as fast as a GPU trains: the CPU generator makes a few dozen a second on 16 cores,
and the device generator is bound by launching operations, not by rays (a mean of 211,840 per solid of
8 views at 256² traced one at a time, `training.data_speed --count-ops`, training/README.md). It traces
`--together` (16) solids at once (batch_views.many: one batched CSG program per march step for all of
them, training/synth/program.py), which divides the operations per solid (data_speed --together). A step
therefore takes up to batch ÷ `--reuse` fresh drawings, those that are ready, and waits only while it
has fewer than batch ÷ `--max-reuse`; the rest of the batch is drawn at random from a pool of the
`--pool` most recent drawings kept on the device, half of them mirrored. The log gives training
samples/s, fresh drawings/s, how often each drawing was trained on, and how long steps waited for data.
Everything runs on a CPU too (`--device cpu`), which is how the tests smoke-test it.
"""
import argparse
import hashlib
import io
import json
import math
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from depthy_blender.core import metrics, proportion  # noqa: E402
from depthy_blender.core.relief import normalise  # noqa: E402
from depthy_blender.models import weights  # noqa: E402
from depthy_blender.models.depthy import Depthy  # noqa: E402
from training import losses  # noqa: E402
from training.average_weights import fold_in  # noqa: E402
from training.evaluate import depthy_weights, nearness_units_of  # noqa: E402
from training.gpu_data import (DeviceDrawings, DeviceWorkerDrawings, Drawings, Feed, Pool,  # noqa: E402
                               batch_with_reuse, device_drawings, gather, loader_drawings, on_device)
from training.make_cache import OPTIONS  # noqa: E402
from training.synth import dataset  # noqa: E402
from training.train import VAL_SEEDS, channels_last, freeze_stem, native_bf16, train_mode  # noqa: E402

PART_BYTES = 16 * 1024 * 1024 - 4096      # under the GPU machine's 16 MiB per returned file
FIRST_SEED = 30_000_000                   # above every cache made so far (training/HISTORY.md)
RESERVE_S = 0.15                          # share of --seconds kept for validation and writing
FEED_STOP_S = 20.0                        # how long the end of training waits for the device thread's last drawing


def autocast(device: torch.device, enabled: bool):
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)


def step(model, opt, img, near, mask, bf16, device, widths=None, widths_weight=0.0) -> torch.Tensor:
    """One optimiser step; the loss comes back as a tensor on the device, so reading it (a wait for the
    GPU) is left to the log every few seconds and the next step is queued while this one runs."""
    with autocast(device, bf16):
        out = model(img)
    loss, _ = losses.total(out.float(), near, mask, True, widths=widths, widths_weight=widths_weight)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    return loss.detach()


def _validation_drawing(seed_and_size: tuple) -> dict:
    torch.set_num_threads(1)
    return dataset.sample(*seed_and_size)


class ValidationDrawings:
    """The first `count` validation seeds' drawings, made by `workers` processes from the run's start so
    that they are ready when training stops (0: made in the training process when asked)."""

    def __init__(self, count: int, size: int, workers: int):
        self.jobs = [(seed, size) for seed in list(VAL_SEEDS)[:count]]
        self.pool, self.pending, self.made = None, None, None
        if workers > 0 and self.jobs:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            self.pool = ProcessPoolExecutor(min(workers, len(self.jobs)), mp_context=context)
            self.pending = self.pool.map(_validation_drawing, self.jobs)

    def items(self) -> list[dict]:
        if self.made is None:
            self.made = list(self.pending) if self.pending is not None else [_validation_drawing(j) for j in self.jobs]
            if self.pool is not None:
                self.pool.shutdown()
        return self.made


@torch.no_grad()
def validate(model, items: list[dict], device, bf16: bool, units: str, batch: int = 16) -> dict:
    """nRMSE (after scale + shift on the true mask) and mask IoU on the validation drawings, and where the
    truth has a proportion, the proportion error of the depth Auto reads from the raw output (`units`:
    what the weights' raw nearness was taught, as core.proportion.from_nearness takes it) against the
    true depth in figure widths, after the best shift."""
    was_training = model.training
    model.eval()
    errors, ious, proportion_errors = [], [], []
    for i in range(0, len(items), batch):
        chunk = items[i:i + batch]
        img = torch.from_numpy(np.stack([d["image"] for d in chunk])).permute(0, 3, 1, 2).to(device)
        with autocast(device, bf16):
            out = model(img.contiguous(memory_format=torch.channels_last)).float().cpu().numpy()
        for d, o in zip(chunk, out):
            errors.append(metrics.depth_errors(o[0], d["nearness"], d["mask"])["nrmse"])
            ious.append(metrics.mask_iou(o[1] > 0, d["mask"]))
            if np.isfinite(d["proportion"]):
                depth = normalise(o[0], d["mask"]) * proportion.from_nearness(o[0], d["mask"], units=units)
                proportion_errors.append(metrics.proportion_error(depth, d["nearness"] * d["proportion"],
                                                                  d["mask"]))
    model.train(was_training)
    scores = {"drawings": len(items), "nrmse": float(np.nanmean(errors)), "mask_iou": float(np.mean(ious))}
    if proportion_errors:
        scores["proportion_error"] = float(np.mean(proportion_errors))
    return scores


def against_parent(scores: dict, parent: dict) -> str:
    """One line: the run's validation scores beside its parent's on the same drawings."""
    line = (f"validation ({scores['drawings']} drawings; the parent on the same ones): "
            f"nRMSE {scores['nrmse']:.4f} (parent {parent['nrmse']:.4f}, {scores['nrmse'] / parent['nrmse']:.3f}×), "
            f"mask IoU {scores['mask_iou']:.4f} (parent {parent['mask_iou']:.4f})")
    if "proportion_error" in scores and "proportion_error" in parent:
        line += (f", proportion error {scores['proportion_error']:.4f} (parent {parent['proportion_error']:.4f}, "
                 f"{scores['proportion_error'] / parent['proportion_error']:.3f}×)")
    return line


def write_parts(state: dict, folder: Path, name: str = "depthy") -> list[dict]:
    """The state dict as float16, serialised once and cut into files of at most PART_BYTES."""
    half = {k: (v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()) for k, v in state.items()}
    buffer = io.BytesIO()
    torch.save(half, buffer)
    data = buffer.getvalue()
    parts = []
    for i in range(math.ceil(len(data) / PART_BYTES)):
        chunk = data[i * PART_BYTES:(i + 1) * PART_BYTES]
        path = folder / f"{name}.pt.{i:03d}"
        path.write_bytes(chunk)
        parts.append({"file": path.name, "bytes": len(chunk), "sha256": hashlib.sha256(chunk).hexdigest()})
    return [{"whole_sha256": hashlib.sha256(data).hexdigest(), "whole_bytes": len(data)}] + parts


def join(folder: Path) -> Path:
    """The parts listed in folder/log.json joined into folder/<name>.pt, every checksum verified."""
    log = json.loads((folder / "log.json").read_text())
    whole, *parts = log["weights"]
    data = b""
    for part in parts:
        chunk = (folder / part["file"]).read_bytes()
        if hashlib.sha256(chunk).hexdigest() != part["sha256"]:
            raise SystemExit(f"{part['file']} does not match log.json: damaged in transfer")
        data += chunk
    if hashlib.sha256(data).hexdigest() != whole["whole_sha256"]:
        raise SystemExit("the joined weights do not match log.json")
    out = folder / parts[0]["file"].rsplit(".", 1)[0]
    out.write_bytes(data)
    return out


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, help="folder for the weight parts and log.json")
    p.add_argument("--join", type=Path, metavar="FOLDER", help="join a run's parts into one .pt and stop")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--seconds", type=float, default=480, help="the whole run, validation and writing included")
    p.add_argument("--parent", type=Path, help="starting weights (.pt); default: the shipped weights")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--batch", type=int, default=64, help="drawings per optimiser step")
    p.add_argument("--reuse", type=int, default=4, help="a step takes up to batch ÷ reuse fresh drawings, the "
                   "rest from the pool (with --max-reuse 1 and --reuse 1: every drawing once)")
    p.add_argument("--max-reuse", type=int, default=16, help="when fewer fresh drawings are ready, a step "
                   "takes those and waits only for batch ÷ max-reuse (≤ --reuse: always wait for batch ÷ reuse)")
    p.add_argument("--pool", type=int, default=4096, help="recent drawings kept on the device for reuse")
    p.add_argument("--widths-weight", type=float, default=0.5,
                   help="teach the raw nearness depth in figure widths (Auto depth reads it; export with "
                        "--nearness 'figure widths'); 0: the [0, 1] anchor of earlier releases")
    p.add_argument("--workers", type=int, default=14, help="CPU generator processes (0: none with --data "
                   "device; in the training process with --data cpu)")
    p.add_argument("--data", choices=("device", "cpu"), default=None,
                   help="fresh drawings traced and inked on the training device (default on CUDA) or only from "
                        "the CPU workers (default elsewhere)")
    p.add_argument("--views", type=int, default=8, help="with --data device: views traced together per solid")
    p.add_argument("--together", type=int, default=16, help="with --data device: solids traced together "
                   "(batch_views.many: one batched program per march step for all of them; 1: one at a time)")
    p.add_argument("--device-workers", type=int, default=0, help="with --data device: processes tracing on the "
                   "device, each with its own CUDA context (0: a thread of the training process)")
    p.add_argument("--val", type=int, default=96, help="validation drawings scored at the end, by the run "
                   "and by its parent")
    p.add_argument("--val-workers", type=int, default=2, help="processes making the validation drawings "
                   "while the run trains (0: in the training process, after training)")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--warmup", type=int, default=50, help="optimiser steps of linear warm-up")
    p.add_argument("--plain-share", type=float, default=0.5, metavar="P",
                   help="share of the seeds drawn plain, with no drawing family on, the rest with every one "
                   "(as the shipped weights' caches alternated); 0: every drawing with every family")
    p.add_argument("--average-from", type=float, default=0.0, metavar="FRACTION",
                   help="from this fraction of the training time on, fold the weights (batch-norm statistics "
                   "too) every --average-every steps into a uniform mean, and write that mean (stochastic "
                   "weight averaging over the run's tail; the endpoint is validated too); 0: the endpoint")
    p.add_argument("--average-every", type=int, default=50, metavar="STEPS")
    p.add_argument("--freeze-stem", action="store_true", help="keep the encoder's stem and first stage fixed, "
                   "weights and batch-norm statistics (train.py --freeze-stem, as the CPU fine-tunes since "
                   "0.8.0 ran)")
    p.add_argument("--first-seed", type=int, default=FIRST_SEED)
    p.add_argument("--seed", type=int, default=0)
    return p


def fresh_counts(args) -> tuple[int, int]:
    """How many fresh drawings a step takes at most (batch ÷ --reuse) and waits for at least (batch ÷
    --max-reuse; all of them when --max-reuse ≤ --reuse)."""
    want = max(1, args.batch // max(1, args.reuse))
    least = want if args.max_reuse <= args.reuse else max(1, args.batch // args.max_reuse)
    return want, least


def data_kind(args, device: torch.device) -> str:
    """Where the fresh drawings are made: --data, else on the device on CUDA and by the CPU workers elsewhere."""
    return args.data or ("device" if device.type == "cuda" else "cpu")


def make_feeds(args, device: torch.device) -> list:
    """The feeds of fresh drawings, each started: with --data device the device generator (a thread, or
    --device-workers spawned processes), then the CPU workers' DataLoader when there are any workers (with
    --data cpu and none, the generator runs in the loader's thread)."""
    want, _ = fresh_counts(args)
    data = data_kind(args, device)
    feeds = []
    if data == "device" and args.device_workers > 0:
        traced = torch.utils.data.DataLoader(
            DeviceWorkerDrawings(args.first_seed, args.size, args.views, args.device, args.together,
                                 args.plain_share),
            batch_size=want,
            num_workers=args.device_workers, multiprocessing_context="spawn", persistent_workers=True,
            pin_memory=device.type == "cuda", prefetch_factor=2)
        feeds.append(Feed("device", loader_drawings(traced)))
    elif data == "device":
        feeds.append(Feed("device", device_drawings(DeviceDrawings(args.first_seed, args.size, args.views, device,
                                                                   together=args.together,
                                                                   plain_share=args.plain_share))))
    if data == "cpu" or args.workers > 0:
        loader = torch.utils.data.DataLoader(Drawings(args.first_seed, args.size, args.plain_share),
                                             batch_size=want,
                                             num_workers=args.workers, pin_memory=device.type == "cuda",
                                             persistent_workers=args.workers > 0,
                                             prefetch_factor=4 if args.workers > 0 else None)
        feeds.append(Feed("cpu", loader_drawings(loader)))
    return feeds


@dataclass
class Tally:
    """What a run's training loop did: its steps, samples (fresh and from the pool), fresh drawings (those
    of the CPU workers apart), how long the steps waited for drawings and trained in all, the loss every
    10 s, the tail mean and how many states it holds, and why the device's drawings stopped, if they did."""
    steps: int = 0
    samples: int = 0
    fresh: int = 0
    fresh_cpu: int = 0
    waited: float = 0.0
    seconds: float = 0.0
    trace: list = field(default_factory=list)
    mean: dict | None = None
    folded: int = 0
    data_failure: str | None = None

    @property
    def rate(self) -> float:
        return self.samples / max(self.seconds, 1e-9)

    @property
    def fresh_rate(self) -> float:
        return self.fresh / max(self.seconds, 1e-9)


def train(model, opt, feeds: list, pool: Pool, args, device: torch.device, bf16: bool, deadline: float,
          clock=time.perf_counter) -> Tally:
    """Optimiser steps until `deadline` (a time on `clock`). Each step takes the fresh drawings `gather`
    gives and fills the batch from the pool; the rate rises linearly over --warmup steps; from
    --average-from of the time on, every --average-every steps fold the weights into the tail mean; the
    mean loss of the last 20 steps is noted at the first step and then every 10 s."""
    tally = Tally()
    want, least = fresh_counts(args)
    picks = torch.Generator().manual_seed(args.seed)
    losses_seen = []
    start = clock()
    average_start = start + (deadline - start) * args.average_from if args.average_from > 0 else math.inf
    while True:
        for group in opt.param_groups:
            group["lr"] = args.lr * min(1.0, (tally.steps + 1) / max(1, args.warmup))
        wait_start = clock()
        got = gather(feeds, want, least)
        tally.waited += clock() - wait_start
        failed = [f for f in feeds if f.failure and f.name == "device"]
        if failed and tally.data_failure is None:
            tally.data_failure = failed[0].failure
            print(f"device data failed ({tally.data_failure}); the CPU workers make every drawing from here",
                  flush=True)
        moved = on_device(got, device)
        tally.fresh_cpu += sum(1 for feed, _ in got if feed.name == "cpu")
        tally.fresh += len(moved[0])
        img, near, mask, widths = batch_with_reuse(pool, moved, args.batch, picks)
        img = img.contiguous(memory_format=torch.channels_last)
        losses_seen.append(step(model, opt, img, near, mask, bf16, device, widths, args.widths_weight))
        tally.steps += 1
        tally.samples += len(img)
        now = clock()
        if now >= average_start and tally.steps % max(1, args.average_every) == 0:
            tally.mean, tally.folded = fold_in(tally.mean, model.state_dict(), tally.folded), tally.folded + 1
        if not tally.trace or now - tally.trace[-1]["t"] - start >= 10:
            tally.trace.append({"t": round(now - start, 1), "step": tally.steps, "samples": tally.samples,
                                "fresh": tally.fresh, "fresh_cpu": tally.fresh_cpu,
                                "loss": float(torch.stack(losses_seen[-20:]).mean())})
            del losses_seen[:-20]
        if now >= deadline:
            break
    if device.type == "cuda":
        torch.cuda.synchronize(device)         # the last queued steps count in the time they took
    tally.seconds = clock() - start
    return tally


def rate_line(args, tally: Tally, bf16: bool) -> str:
    """One line: training samples/s (the issue's figure), fresh drawings/s and where they were made, how
    often each was trained on and how long the steps waited for them."""
    return (f"{tally.samples} samples in {tally.seconds:.1f} s: {tally.rate:.1f} training samples/s at "
            f"{args.size}² (data generation included; {args.device}, batch {args.batch}, "
            f"{'bf16' if bf16 else 'fp32'}); {tally.fresh} fresh drawings, {tally.fresh_rate:.1f}/s "
            f"({tally.fresh - tally.fresh_cpu} traced and inked on {args.device}, {tally.fresh_cpu} by CPU "
            f"workers), each trained on {tally.samples / max(tally.fresh, 1):.1f} times; steps waited "
            f"{tally.waited:.1f} s for drawings")


def score(model, tally: Tally, parent: Path, parent_state: dict, items: list[dict], args, device: torch.device,
          bf16: bool) -> tuple[dict, dict | None, dict]:
    """The validation scores of what the run writes (the tail mean when there is one, loaded into `model`;
    else the endpoint), of the endpoint when a mean was written, and of the parent, all on `items`."""
    units = proportion.FIGURE_WIDTHS if args.widths_weight > 0 else proportion.UNIT_RANGE
    scores = validate(model, items, device, bf16, units)
    endpoint = None
    if tally.mean is not None:
        endpoint = scores
        model.load_state_dict(tally.mean)
        scores = validate(model, items, device, bf16, units)
        print(f"tail mean of {tally.folded} states (every {args.average_every} steps from "
              f"{args.average_from:.0%} of the time): nRMSE {scores['nrmse']:.4f}; the endpoint "
              f"{endpoint['nrmse']:.4f}", flush=True)
    before = Depthy()
    before.load_state_dict(parent_state)
    parent_scores = validate(channels_last(before.to(device)), items, device, bf16, nearness_units_of(parent))
    return scores, endpoint, parent_scores


def run_log(args, tally: Tally, *, parent: Path, device: torch.device, bf16: bool, pool: Pool,
            scores: dict, endpoint: dict | None, parent_scores: dict, validation_s: float, parts: list[dict],
            wall_s: float) -> dict:
    """log.json: the run's settings, what it did, its validation beside its parent's, and its weight parts."""
    want, least = fresh_counts(args)
    data = data_kind(args, device)
    return {"parent": str(parent), "device": args.device,
            "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
            "torch": torch.__version__, "size": args.size, "batch": args.batch, "workers": args.workers,
            "bf16": bf16, "channels_last": True, "lr": args.lr, "warmup": args.warmup,
            "freeze_stem": args.freeze_stem, "average_from": args.average_from, "plain_share": args.plain_share,
            "average_every": args.average_every, "averaged_states": tally.folded, "validation_endpoint": endpoint,
            "reuse": args.reuse, "max_reuse": args.max_reuse, "pool": len(pool.img),
            "fresh_per_batch": want, "least_fresh_per_batch": least,
            "waited_for_drawings_seconds": round(tally.waited, 1),
            "widths_weight": args.widths_weight,
            "nearness": "figure widths" if args.widths_weight > 0 else "unit range",
            "first_seed": args.first_seed, "steps": tally.steps, "samples": tally.samples, "fresh": tally.fresh,
            "train_seconds": round(tally.seconds, 1), "samples_per_s": round(tally.rate, 2),
            "fresh_per_s": round(tally.fresh_rate, 2), "data": data,
            "views": args.views if data == "device" else None,
            "device_workers": args.device_workers if data == "device" else None,
            "together": args.together if data == "device" else None,
            "fresh_cpu": tally.fresh_cpu, "fresh_device": tally.fresh - tally.fresh_cpu,
            "device_data_failure": tally.data_failure,
            "losses": tally.trace, "validation": scores, "validation_parent": parent_scores,
            "validation_seconds": round(validation_s, 1), "val_workers": args.val_workers, "weights": parts,
            "recipe": {"generator": ("training.synth.batch_views on the device, --views per solid, and "
                                     if data == "device" else "") +
                                    "training.synth.dataset.sample; a share --plain-share of the seeds with no "
                                    "family on, the rest with every option on: " + ", ".join(OPTIONS),
                       "losses": "training.losses.total, aligned"},
            "wall_seconds": round(wall_s, 1)}


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    if args.join:
        print(join(args.join))
        return
    if args.out is None:
        p.error("--out is required")
    start = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    validation = ValidationDrawings(args.val, args.size, args.val_workers)   # forked before CUDA starts
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    bf16 = device.type == "cuda" or (device.type == "cpu" and native_bf16())
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    parent = args.parent or weights.locate()[0]
    parent_state = depthy_weights(parent)
    model = Depthy()
    model.load_state_dict(parent_state)
    model = channels_last(model.to(device))
    if args.freeze_stem:
        freeze_stem(model)
    train_mode(model)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    pool = Pool(max(args.pool, args.batch), args.size, device)
    feeds = make_feeds(args, device)
    tally = train(model, opt, feeds, pool, args, device, bf16, deadline=start + args.seconds * (1 - RESERVE_S))
    for feed in feeds:                         # the device thread frees the device for validation
        feed.stopping.set()
    stopped = all(feed.stop(FEED_STOP_S) for feed in feeds if feed.name == "device")
    print(rate_line(args, tally, bf16), flush=True)
    validation_start = time.perf_counter()
    scores, endpoint, parent_scores = score(model, tally, parent, parent_state, validation.items(), args, device,
                                            bf16)
    print(against_parent(scores, parent_scores), flush=True)
    validation_s = time.perf_counter() - validation_start
    parts = write_parts(model.state_dict(), args.out)
    log = run_log(args, tally, parent=parent, device=device, bf16=bf16, pool=pool, scores=scores,
                  endpoint=endpoint, parent_scores=parent_scores, validation_s=validation_s, parts=parts,
                  wall_s=time.perf_counter() - start)
    (args.out / "log.json").write_text(json.dumps(log, indent=1) + "\n")
    print(f"wrote {len(parts) - 1} weight parts and log.json to {args.out} ({log['wall_seconds']} s in all)")
    if not stopped:                            # everything is written; a thread inside torch would abort the exit
        sys.stdout.flush()
        os._exit(0)


if __name__ == "__main__":
    main()

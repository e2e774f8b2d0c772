"""Train Depthy on cached synthetic drawings, time-boxed, with checkpoints and resume.

    python -m training.train --cache training/cache/train128 --minutes 60 --run training/runs/main
    python -m training.train ... --resume            # continue from <run>/last.pt
    python -m training.train ... --init depthy_blender/weights/depthy-0.3.0.pt   # start from shipped weights
    python -m training.train ... --freeze-stem       # keep the encoder's stem and layer1 fixed (faster steps)
    python -m training.train ... --val-cache training/cache/libval256   # also validate on held-out meshes
    python -m training.train ... --bf16              # bfloat16 autocast: faster steps on CPUs with AVX512-BF16/AMX
                                                     # (ignored, with a message, on a CPU without them)
    python -m training.train ... --average-from 6    # also keep the mean of the weights at each epoch end from epoch 6
    python -m training.train ... --patience 0 --lr-patience 1000   # constant rate, no early stop (a run resumed
                                                                   # over many sessions; the mean is its product)
    python -m training.train ... --resume --lr 2.5e-5  # go on at a lower rate (given with --resume, --lr,
                                                       # --patience, --lr-patience and --average-from replace
                                                       # the run's own)
    python -m training.train ... --resume --warmup 100  # after training.carry restore: the optimiser's moments
                                                        # start afresh, so the rate ramps up over 100 steps

An "epoch" is --epoch-steps optimiser steps; after each one the model is scored on a fixed validation set,
ReduceLROnPlateau(0.5, patience 2; --lr-patience) and early stopping (patience 5; --patience) act on its
validation nRMSE (the figure we report), and <run>/last.pt, <run>/best.pt (lowest validation nRMSE) and
<run>/history.csv are written.
With --average-from N, every epoch end from the N-th on is also folded into a uniform mean of the weights
(stochastic weight averaging over the run's tail), which is validated too: <run>/average.pt and
<run>/average.csv.
"""
import argparse
import csv
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from depthy_blender.core import metrics
from depthy_blender.models.depthy import Depthy, parameter_count
from training import losses
from training.average_weights import fold_in
from training.evaluate import depthy_weights, load_into
from training.synth import dataset

VAL_SEEDS = range(900_000, 900_160)
STEM = ("conv1", "bn1", "layer1")   # encoder modules --freeze-stem keeps fixed
DEFAULT_LR = 5e-4
LR_PATIENCE = 2                        # epochs without a validation gain before the rate is halved
EARLY_STOP_PATIENCE = 5                # epochs without a validation gain before a run stops
RUN_SCHEDULE = {"patience": EARLY_STOP_PATIENCE, "lr_patience": LR_PATIENCE, "average_from": 0}   # their defaults


def shard_files(folders) -> list[Path]:
    """The finished shards of make_cache folders, folder by folder in the order given, each sorted
    (a shard still being written is named *.tmp.npz and left out)."""
    return [path for folder in folders for path in sorted(Path(folder).glob("shard-*[0-9].npz"))]


def cache_seeds(folders) -> np.ndarray:
    """The seeds of every drawing in the finished shards of make_cache folders."""
    seeds = []
    for shard in shard_files(folders):
        with np.load(shard) as z:
            seeds.append(z["seeds"])
    return np.concatenate(seeds) if seeds else np.zeros(0, np.int64)


class ShardStream:
    """Random batches from every shard in the cache folders (new shards are picked up as they land)."""

    def __init__(self, folders, batch, size, seed, scales=()):
        self.folders, self.batch, self.size = [Path(f) for f in folders], batch, size
        self.scales = list(scales)
        self.rng = np.random.default_rng(seed)
        self.loaded: dict[Path, dict] = {}

    def _refresh(self):
        for path in shard_files(self.folders):
            if path not in self.loaded:
                with np.load(path) as z:
                    self.loaded[path] = {k: z[k] for k in ("image", "nearness", "mask")}

    def batches(self):
        while True:
            self._refresh()
            shards = list(self.loaded.values())
            sizes = np.array([len(s["mask"]) for s in shards])
            order = self.rng.permutation(sizes.sum())
            starts = np.concatenate([[0], np.cumsum(sizes)])
            for i in range(0, len(order) - self.batch + 1, self.batch):
                idx = order[i:i + self.batch]
                which = np.searchsorted(starts, idx, side="right") - 1
                rows = [(shards[w], j - starts[w]) for w, j in zip(which, idx)]
                yield self._collate(rows)
            if len(order) < self.batch:
                time.sleep(10)

    def _collate(self, rows):
        img = np.stack([s["image"][j] for s, j in rows]).astype(np.float32) / 255
        near = np.stack([s["nearness"][j] for s, j in rows]).astype(np.float32) / 65535
        mask = np.stack([s["mask"][j] for s, j in rows])
        flip = self.rng.random(len(rows)) < 0.5            # mirror images: depth does not care
        img[flip], near[flip], mask[flip] = img[flip, :, ::-1], near[flip, :, ::-1], mask[flip, :, ::-1]
        img = torch.from_numpy(np.ascontiguousarray(img)).permute(0, 3, 1, 2)
        if img.shape[-1] != self.size:
            raise ValueError(f"cache is {img.shape[-1]}², training asked for {self.size}²")
        near = torch.from_numpy(np.ascontiguousarray(near))
        mask = torch.from_numpy(np.ascontiguousarray(mask))
        if self.scales:   # the add-on runs at larger sizes than the cache: teach the network bigger drawings
            side = int(self.rng.choice(self.scales))
            if side != self.size:
                keep = max(1, round(len(rows) * (self.size / side) ** 2))   # about the same pixels per batch
                smooth = side < self.size   # shrinking: average, as the engine's own resize does, not alias lines
                img = F.interpolate(img[:keep], size=(side, side), mode="bilinear", align_corners=False,
                                    antialias=smooth)
                near = F.interpolate(near[:keep, None], size=(side, side), mode="bilinear", align_corners=False,
                                     antialias=smooth)[:, 0]
                mask = F.interpolate(mask[:keep, None].float(), size=(side, side), mode="nearest")[:, 0] > 0.5
        return img, near, mask


def validation_set(size, cache_dir: Path, extra=()):
    """The fixed synthetic validation drawings, plus every drawing in the shard folders `extra` (e.g. a
    make_cache --library --part val cache: meshes that training never sees), as (images, nearness, mask),
    and the parts to report on their own: (name, start, stop) of the synthetic drawings and of each extra
    folder's, named after the folder (no parts without extra folders)."""
    path = cache_dir / f"val-{size}.npz"
    if not path.exists():
        items = [dataset.sample(s, size) for s in VAL_SEEDS]
        np.savez(path, image=np.stack([i["image"] for i in items]), nearness=np.stack([i["nearness"] for i in items]),
                 mask=np.stack([i["mask"] for i in items]))
    with np.load(path) as z:
        image, near, mask = [z["image"]], [z["nearness"]], [z["mask"]]
    parts = [("synthetic", 0, len(mask[0]))]
    for folder in extra:
        more = shard_drawings([folder])
        image, near, mask = image + [more["image"]], near + [more["nearness"]], mask + [more["mask"]]
        parts.append((Path(folder).name, parts[-1][2], parts[-1][2] + len(more["mask"])))
    images = torch.from_numpy(np.concatenate(image)).permute(0, 3, 1, 2)   # (N, H, W, 3) is already channels-last
    tensors = (images.contiguous(memory_format=torch.channels_last), torch.from_numpy(np.concatenate(near)),
               torch.from_numpy(np.concatenate(mask)))
    return tensors, parts if extra else []


def shard_drawings(folders) -> dict:
    """Every drawing in the cache shard folders as float arrays: image (N, S, S, 3) and nearness in [0, 1], mask."""
    image, near, mask = [], [], []
    for path in shard_files(folders):
        with np.load(path) as z:
            image.append(z["image"].astype(np.float32) / 255)
            near.append(z["nearness"].astype(np.float32) / 65535)
            mask.append(z["mask"])
    return {"image": np.concatenate(image), "nearness": np.concatenate(near), "mask": np.concatenate(mask)}


def freeze_stem(model) -> None:
    """Fix the encoder's stem and first stage (their weights, and through train_mode their batch-norm
    statistics). They run at the two largest resolutions, so leaving them out of the backward pass saves
    a fifth to a quarter of a 256² step on this CPU (training/train_step_speed.py); on a trained model they are
    edge and line detectors that no longer need to move. Their parameters keep no gradient, which the
    optimiser skips."""
    for name in STEM:
        getattr(model.encoder, name).requires_grad_(False)


def train_mode(model) -> None:
    """model.train(), except that frozen stem modules stay in eval mode (batch-norm statistics kept)."""
    model.train()
    for name in STEM:
        module = getattr(model.encoder, name)
        if not any(p.requires_grad for p in module.parameters()):
            module.eval()


def channels_last(model):
    """The network with its weights stored channels-last, the layout oneDNN's CPU convolutions run fastest
    on (the same numbers, in another memory order; training/train_step_speed.py). Depth-wise
    convolutions (the EESP skip branches) stay in the plain layout and get plain inputs: on this PyTorch
    (2.13, CPU) the bfloat16 backward of a dilated depth-wise convolution on channels-last tensors
    crashes or returns NaN (tests/models/test_train_precision.py)."""
    model.to(memory_format=torch.channels_last)
    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d) and module.groups > 1:
            # a (C, 1, k, k) weight passes for contiguous in either layout: copy it into fresh plain strides
            module.weight.data = module.weight.data.new_empty(module.weight.shape).copy_(module.weight.data)
            module.register_forward_pre_hook(lambda _, args: tuple(a.contiguous() for a in args))
    return model


BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def native_bf16(cpuinfo: str | None = None) -> bool:
    """Whether this CPU computes bfloat16 natively (Linux /proc/cpuinfo flags). Without it autocast emulates
    bfloat16 and steps crawl (measured on an AVX2-only AMD EPYC, batch 12 at 256², frozen stem, 2 threads: 0.14
    samples/s with autocast, 1.45 in float32)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines() if line.startswith("flags")), [])
    return any(flag in flags for flag in BF16_FLAGS)


def train_step(model, opt, img, near, mask, aligned, bf16=False, ssi_weight=losses.SSI_WEIGHT):
    """One optimiser step on a batch; returns the loss and its parts. bf16: the forward pass runs under
    bfloat16 autocast (weights, optimiser state and the losses stay float32)."""
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        out = model(img)
    loss, parts = losses.total(out.float(), near, mask, aligned, ssi_weight)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    return loss, parts


@torch.no_grad()
def validate(model, val, batch=16, aligned=False, parts=()):
    """Validation loss, nRMSE and mask IoU over all of val, and {name: nRMSE} of each range of drawings
    in parts ((name, start, stop), …)."""
    model.eval()
    total, errs, ious = 0.0, [], []
    for i in range(0, len(val[0]), batch):
        img, near, mask = (v[i:i + batch] for v in val)
        out = model(img)
        loss, _ = losses.total(out, near, mask, aligned)
        total += float(loss) * len(img)
        for k in range(len(img)):
            m = mask[k].numpy()
            errs.append(metrics.depth_errors(out[k, 0].numpy(), near[k].numpy(), m)["nrmse"])
            ious.append(metrics.mask_iou(out[k, 1].numpy() > 0, m))
    train_mode(model)
    return total / len(val[0]), float(np.nanmean(errs)), float(np.mean(ious)), \
        {name: float(np.nanmean(errs[a:b])) for name, a, b in parts}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cache", nargs="+", required=True, help="shard folders from training.make_cache")
    p.add_argument("--val-cache", nargs="*", default=[],
                   help="shard folders whose drawings join the validation set (not trained on)")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--batch", type=int, default=12)
    p.add_argument("--lr", type=float,
                   help=f"learning rate (default {DEFAULT_LR:g}; given with --resume, it replaces the run's own)")
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--epoch-steps", type=int, default=300)
    p.add_argument("--minutes", type=float, required=True, help="time box; a checkpoint is written at the end")
    p.add_argument("--run", required=True)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--init", help="start from these weights (a shipped .pt, or a run's best.pt / last.pt)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--scales", type=int, nargs="*", default=[128, 128, 160, 192, 256],
                   help="batch sides drawn at random (cache images are upsampled)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--aligned", action="store_true",
                   help="SSIM/BerHu/gradient after the evaluation's scale ≥ 0 + shift fit (training.losses.total)")
    p.add_argument("--freeze-stem", action="store_true",
                   help="keep the encoder's conv1, bn1 and layer1 fixed (for runs that continue trained weights)")
    p.add_argument("--bf16", action="store_true",
                   help="bfloat16 autocast in training steps (validation stays float32)")
    p.add_argument("--ssi-weight", type=float, default=losses.SSI_WEIGHT,
                   help="weight of the scale-and-shift-invariant RMSE (the evaluation's nRMSE) in the loss")
    p.add_argument("--patience", type=int, metavar="EPOCHS",
                   help=f"stop after this many epochs without a validation gain (default {EARLY_STOP_PATIENCE}; 0: "
                        "never, for a run continued over many sessions)")
    p.add_argument("--lr-patience", type=int, metavar="EPOCHS",
                   help=f"halve the rate after this many epochs without a validation gain (default {LR_PATIENCE}; "
                        "a large value keeps it)")
    p.add_argument("--average-from", type=int, metavar="EPOCH",
                   help="from this epoch on, keep and validate the mean of the epoch-end weights (default 0: off; "
                        "a resumed run keeps its own)")
    p.add_argument("--warmup", type=int, default=0, metavar="STEPS",
                   help="ramp the rate linearly up to its value over this session's first STEPS steps (for a run "
                        "restored by training.carry, whose optimiser moments start afresh)")
    return p


def main():
    p = parser()
    args = p.parse_args()
    if args.warmup > args.epoch_steps:
        p.error("--warmup must end within the first epoch (the plateau schedule acts at epoch ends)")
    if args.bf16 and not native_bf16():
        print("--bf16 ignored: this CPU has no native bfloat16 (avx512_bf16 or amx_bf16), where autocast "
              "emulates it and is far slower: training in float32")
        args.bf16 = False

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    run = Path(args.run)
    run.mkdir(parents=True, exist_ok=True)
    model = channels_last(Depthy())
    lr = DEFAULT_LR if args.lr is None else args.lr
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=args.weight_decay)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=LR_PATIENCE)
    tail = {"from": 0, "mean": None, "count": 0}
    state = start_or_resume(args, run, model, opt, sched, tail)
    if state["freeze_stem"]:
        freeze_stem(model)
    print(f"Depthy: {parameter_count(model) / 1e6:.1f} M parameters; batch {args.batch} at {args.size}²"
          f"{'; aligned losses' if state['aligned'] else ''}{'; stem frozen' if state['freeze_stem'] else ''}"
          f"{'; bfloat16 autocast' if args.bf16 else ''}; nRMSE term weight {state['ssi_weight']}")

    val, val_parts = validation_set(args.size, Path(args.cache[0]).parent, args.val_cache)
    print(f"validation: {len(val[0])} drawings")
    stream = ShardStream(args.cache, args.batch, args.size, args.seed + state["step"], args.scales).batches()
    deadline = time.time() + args.minutes * 60
    start, last_print = time.time(), time.time()
    base_wall = state["wall"]
    wall = lambda: base_wall + time.time() - start  # noqa: E731
    train_mode(model)
    running = []
    ramp = warmup_rates(opt, args.warmup)
    while time.time() < deadline:
        next(ramp, None)
        img, near, mask = next(stream)
        img = img.contiguous(memory_format=torch.channels_last)
        loss, parts = train_step(model, opt, img, near, mask, state["aligned"], args.bf16, state["ssi_weight"])
        state["step"] += 1
        state["samples"] += len(img)
        running.append(float(loss.detach()))
        if time.time() - last_print > 60:
            rate = state["samples"] / max(1e-9, wall())
            print(f"step {state['step']} loss {np.mean(running[-50:]):.4f} {parts} ({rate:.1f} samples/s overall)", flush=True)
            last_print = time.time()
        if state["step"] % args.epoch_steps == 0:
            state["wall"] = wall()
            if end_epoch(model, opt, sched, state, val, val_parts, run, running, tail):
                print(f"early stop: no validation improvement for {state['patience']} epochs")
                break
            running = []
    state["wall"] = wall()
    end_epoch(model, opt, sched, state, val, val_parts, run, running, tail, final=True)


def warmup_rates(opt, steps: int):
    """A generator that, advanced once before each of the first `steps` steps, sets the rate to k/steps of the
    optimiser's present rate (k = 1 … steps), and then leaves it at that rate."""
    rates = [group["lr"] for group in opt.param_groups]
    for k in range(1, steps + 1):
        for group, rate in zip(opt.param_groups, rates):
            group["lr"] = rate * k / steps
        yield


def start_or_resume(args, run, model, opt, sched, tail) -> dict:
    """The run's state. With --resume, everything from <run>/last.pt: weights, optimiser, schedule, tail mean,
    and the losses, schedule and --average-from the run began with, except that a --lr, --patience,
    --lr-patience or --average-from given now replaces its own (to lower the rate of a run continued over
    many sessions). Otherwise a new run, from the --init weights if given."""
    state = {"step": 0, "samples": 0, "epoch": 0, "wall": 0.0, "best": math.inf, "bad_epochs": 0}
    if args.resume and (run / "last.pt").exists():
        ck = torch.load(run / "last.pt", weights_only=True)
        load_into(model, ck["model"], run / "last.pt")
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])
        state = ck["state"]
        if ck.get("average"):
            tail.update(ck["average"])
        if args.lr is not None:
            for group in opt.param_groups:
                group["lr"] = args.lr
        print(f"resumed at step {state['step']} ({state['samples']} samples), rate {opt.param_groups[0]['lr']:g}")
    elif args.init:
        load_into(model, depthy_weights(args.init), args.init)
        print(f"initialised from {args.init}")
    state.setdefault("aligned", args.aligned)
    state.setdefault("freeze_stem", args.freeze_stem)
    state.setdefault("ssi_weight", args.ssi_weight)
    for key, default in RUN_SCHEDULE.items():   # given now: replaces; else the run's own, or the default
        if getattr(args, key) is not None:
            state[key] = getattr(args, key)
        state.setdefault(key, default)
    sched.patience = state["lr_patience"]
    tail["from"] = state["average_from"]
    return state


def end_epoch(model, opt, sched, state, val, val_parts, run, running, tail=None, final=False):
    val_loss, nrmse, iou, by_part = validate(model, val, aligned=state.get("aligned", False), parts=val_parts)
    if not final:
        state["epoch"] += 1
        sched.step(nrmse)
    improved = nrmse < state["best"]
    if improved:
        state["best"], state["bad_epochs"] = nrmse, 0
        torch.save(model.state_dict(), run / "best.pt")
    elif not final:
        state["bad_epochs"] += 1
    append_row(run / "history.csv",
               ["epoch", "step", "samples", "wall_s", "lr", "train_loss", "val_loss", "val_nrmse", "val_mask_iou"],
               [state["epoch"], state["step"], state["samples"], round(state["wall"]), opt.param_groups[0]["lr"],
                round(float(np.mean(running)) if running else float("nan"), 5), round(val_loss, 5),
                round(nrmse, 4), round(iou, 4)])
    print(f"epoch {state['epoch']}: val loss {val_loss:.4f} nRMSE {nrmse:.4f}{parts_text(by_part)} IoU {iou:.4f}"
          f"{' (best)' if improved else ''}", flush=True)
    checkpoint = {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "state": state}
    # (after an early stop the time-box row would fold the same weights twice)
    if tail and tail["from"] and state["epoch"] >= tail["from"] and tail.get("step") != state["step"]:
        fold_tail(tail, model, state, val, val_parts, run)
    if tail and tail["mean"] is not None:
        checkpoint["average"] = {"mean": tail["mean"], "count": tail["count"], "step": tail["step"]}
    torch.save(checkpoint, run / "last.pt")
    patience = state.get("patience", EARLY_STOP_PATIENCE)
    return patience > 0 and state["bad_epochs"] >= patience


def fold_tail(tail, model, state, val, val_parts, run) -> None:
    """Fold the model's weights into the run's tail mean; validate the mean and write <run>/average.pt (a bare
    state dict, like best.pt) and a row of <run>/average.csv. The batch-norm statistics are averaged too, as
    training.average_weights does for checkpoints of one lineage."""
    tail["mean"] = fold_in(tail["mean"], model.state_dict(), tail["count"])
    tail["count"] += 1
    tail["step"] = state["step"]
    mean_model = Depthy()
    mean_model.load_state_dict(tail["mean"])
    _, nrmse, iou, by_part = validate(mean_model, val, aligned=state.get("aligned", False), parts=val_parts)
    torch.save(mean_model.state_dict(), run / "average.pt")
    append_row(run / "average.csv", ["epoch", "step", "samples", "epochs_averaged", "val_nrmse", "val_mask_iou", *by_part],
               [state["epoch"], state["step"], state["samples"], tail["count"], round(nrmse, 4), round(iou, 4),
                *(round(v, 4) for v in by_part.values())])
    print(f"  mean of {tail['count']} epoch ends: nRMSE {nrmse:.4f}{parts_text(by_part)} IoU {iou:.4f}", flush=True)


def read_rows(path: Path) -> list[dict]:
    """The rows of a csv log written by append_row ([] when there is none yet)."""
    if not path.exists():
        return []
    with path.open() as f:
        return list(csv.DictReader(f))


def append_row(path: Path, header: list, row: list) -> None:
    """One row of a run's csv log, the header first when the file is new."""
    new = not path.exists()
    with path.open("a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(header)
        w.writerow(row)


def parts_text(by_part: dict) -> str:
    """' (synthetic 0.1443, extra 0.1566)' for validation nRMSE by part; '' without parts."""
    return " (" + ", ".join(f"{k} {v:.4f}" for k, v in by_part.items()) + ")" if by_part else ""


if __name__ == "__main__":
    main()

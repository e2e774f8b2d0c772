"""Ship a trained checkpoint: fp16 state dict + model card (data recipe, samples, wall time, metrics).

    python -m training.export_weights --run training/runs/main [--checkpoint best.pt] [--eval-json EVAL.json]
        [--cache training/cache/train128 ...] [--selection "how the checkpoint was chosen"]
        [--parent depthy_blender/weights/depthy-0.3.0.json]   # the shipped card the run continued from
        [--average-with depthy_blender/weights/depthy-0.3.0.pt training/runs/main/best.pt]
        [--via training/runs/r1]     # unshipped runs between --parent and --run (--init from their last.pt)
        [--carried r35-last.json ...]  # a run carried across sessions: its carry cards name its caches

With --average-with, the shipped weights are the uniform average of --checkpoint and those files
(training.average_weights); the card's epoch, samples and validation stay those of --checkpoint's row.

With --carried, the run's caches are counted from the carry cards (training.carry) of each of its
sessions, since the caches of earlier sessions are gone; each folder is counted once.

With --parent, the card's totals (samples seen, wall time) include the parent's, and it names the parent;
--via adds each named run's final history row too.

A GPU window's run (training.gpu_run) ships only when it is better (issue 51):

    python -m training.export_weights --gpu-run FOLDER --gate COMPARE.json [--parent SHIPPED.json]

COMPARE.json is `training.compare_weights SHIPPED.pt FOLDER/depthy.pt --freestyle --json COMPARE.json`;
the export is refused unless the meshes and Freestyle sets both say "better" (the 95 % interval of the
nRMSE difference lies below 0). The card records the GPU, its minutes, the samples seen, the recipe and
the comparison; the parts are joined and checked against the run's log first.
"""
import argparse
import json
from pathlib import Path

import torch

from depthy_blender.models import weights
from depthy_blender.models.depthy import Depthy, parameter_count
from training import average_weights
from training.evaluate import depthy_weights, load_into
from training.train import EARLY_STOP_PATIENCE, LR_PATIENCE, cache_seeds, read_rows, shard_files

DATA_RECIPE = (
    "Procedural technical drawings from training/synth (seeded): CSG solids of box, rounded box, cylinder, "
    "cone, sphere, ellipsoid, torus, capsule, extruded polygon and revolved profile, with unions (some "
    "filleted) and subtracted holes, slots and pockets; sphere-traced exact depth; views mostly orthographic "
    "front/side/top/back, also oblique/isometric and perspective; ink from silhouettes (heavier), occlusion "
    "boundaries and creases, optional dash-dot centre lines and (on 30 % of single-figure drawings, in "
    "caches rendered from seed 3,000,000 on) dashed hidden lines; styles line art / flat fill / shaded / "
    "sketchy on toned paper with noise, blur and JPEG; 1–3 figures per image; rendered at 128² (cache "
    "seeds 1,000,000+, 2,000,000+, 3,000,000+), horizontal flips. Caches from seed 3,100,000 on "
    "(make_cache --face-features) also cut blind pockets, pocket grids, counterbores and steps into 40 % "
    "of the figures; caches from seed 3,200,000 on (--rods) make 15 % of the figures pins, shafts or "
    "tubes 3–14 times as long as they are thick. Caches from seed 4,000,000 on are rendered at 256² for a "
    "finish at the add-on's working size: seeds 4,000,000+ with --face-features --rods --blobs (--blobs: "
    "15 % of the figures smooth organic shapes of blended ellipsoids and capsules), 4,100,000+ plain; "
    "seeds 4,200,000+ with --face-features --rods --blobs --ribs (--ribs: 15 % of the figures plates "
    "facing the camera with a lattice of square or hexagonal lightening pockets between thin ribs) and "
    "4,300,000+ with --ribs only; seeds 4,400,000+, 4,600,000+, 4,800,000+, 5,100,000+, 5,300,000+ and "
    "5,500,000+ with --face-features --rods --blobs --ribs, and 4,500,000+, 4,700,000+, 4,900,000+, 5,200,000+, "
    "5,400,000+ and 5,600,000+ plain. 0.14.0 adds caches from seeds 5,900,000+ (--face-features --rods "
    "--blobs --ribs --vessels; --vessels: 15 % of the figures smooth turned pots, bottles and jugs), 6,000,000+ "
    "(plain), 6,100,000+ (as 5,900,000+), 6,200,000+ (plain), 6,300,000+ (all five and --clusters: 25 % of "
    "the figures a rounded body with 2–6 parts standing out of it), 6,400,000+ (--clusters only), 6,500,000+ "
    "(all six) and 6,600,000+ (plain), and 2,000 drawings of third-party meshes (make_cache --library: the "
    "pybullet 3.2.7 wheel's meshes without its random block objects, seeds 7,100,000+). 0.15.0 adds run r35's "
    "caches at 256²: seeds 15,400,000+, 15,600,000+, 15,800,000+ and 16,000,000+ with all six options, "
    "15,500,000+, 15,700,000+, 15,900,000+ and 16,100,000+ plain, and 2,000 drawings of the same meshes "
    "(seeds 13,000,000+, make_cache --library --upright 0.8: 80 % of them keep the mesh's own up axis, turned "
    "about it by quarter turns).")


ARCHITECTURE = ("Depthy: ResNet-50 encoder (from scratch), ASPP (1, 6, 12, 18 + pooling), Pixel-Shuffle + SE "
                "decoder with EESP-refined skips; outputs nearness + figure mask")

LOSSES = ("SSIM 1.0 + BerHu 0.6 (c = 0.2·max|err|) + gradient 0.2 on nearness in the mask; BCE + Dice on "
          "the mask; scale-and-shift-invariant RMSE 1.0 on nearness in the mask (training.losses)")
ALIGNED = ("; run with --aligned: SSIM, BerHu and gradient taken after the least-squares scale (≥ 0) + shift "
           "fit of the prediction to the truth, the invariant RMSE with that scale clamped too, plus absolute "
           "BerHu 0.1 as a scale anchor")


def carried_caches(cards) -> list[dict]:
    """The caches a run trained on across sessions, from its carry cards: one entry per folder (a folder
    remade in a later session from the same seeds is the same drawings)."""
    folders = {}
    for card in cards:
        for cache in json.loads(Path(card).read_text())["caches"]:
            folders.setdefault(cache["folder"], cache)
    return list(folders.values())


def cache_description(caches: list[dict]) -> str:
    drawings = sum(c["drawings"] for c in caches)
    return f"This run's caches: {drawings:,} drawings ({', '.join(c['folder'] for c in caches)})"


def optimiser_description(run_state: dict) -> str:
    """The optimiser and schedule a run's last settings name (train.py's defaults where a state predates them)."""
    lr_patience = run_state.get("lr_patience", LR_PATIENCE)
    patience = run_state.get("patience", EARLY_STOP_PATIENCE)
    rate = ("a constant rate (the plateau schedule's patience outlasts the run)" if lr_patience >= 1000 else
            f"ReduceLROnPlateau(0.5, patience {lr_patience}) on validation nRMSE")
    stop = "no early stop" if patience <= 0 else f"early stop (patience {patience}) on validation nRMSE"
    return f"AdamW (weight decay 1e-4), {rate}, {stop}"


def read_history(run: Path) -> list[dict]:
    rows = read_rows(run / "history.csv")
    if not rows:
        raise SystemExit(f"no training history in {run / 'history.csv'}: is --run a training run folder?")
    return rows


def run_totals(history: list[dict]) -> tuple[int, int]:
    """(samples seen, wall seconds) of a whole run: its final history row (resumed runs keep counting)."""
    return int(history[-1]["samples"]), int(float(history[-1]["wall_s"]))


def checkpoint_row(history: list[dict], state: dict | None) -> dict:
    """The history row a checkpoint was written at. last.pt carries its state and is found by its step (not
    its epoch: the time box's final row repeats the epoch number of the row before it); best.pt is a bare
    state dict, written at the row with the lowest validation nRMSE."""
    if state is not None:
        return next(r for r in history if int(r["step"]) == state["step"])
    return min(history, key=lambda r: float(r["val_nrmse"]))


def tail_mean_row(run: Path) -> dict:
    """The newest row of <run>/average.csv: what <run>/average.pt (train.py --average-from) holds."""
    rows = read_rows(run / "average.csv")
    if not rows:
        raise SystemExit(f"no tail mean logged in {run / 'average.csv'}: train with --average-from to make average.pt")
    return rows[-1]


GATED_SETS = ("meshes", "freestyle")


def gate(comparison: dict, sets=GATED_SETS) -> None:
    """Refuse (one line) unless every one of `sets` is in the compare_weights results and says "better"."""
    missing = [name for name in sets if name not in comparison]
    if missing:
        raise SystemExit(f"not shipped: the comparison has no {' or '.join(missing)} set "
                         "(run training.compare_weights with --freestyle and the meshes folder present)")
    short = [f"{name} ({comparison[name]['verdict']}, interval [{comparison[name]['low']:+.4f}, "
             f"{comparison[name]['high']:+.4f}])" for name in sets if comparison[name]["verdict"] != "better"]
    if short:
        raise SystemExit("not shipped: no gain whose 95 % interval excludes 0 on " + "; ".join(short))


def gpu_card(log: dict, parameters: int, comparison: dict, parent: dict | None = None) -> dict:
    """The model card of a training.gpu_run window's weights, from its log.json."""
    before = (parent["training"]["samples_seen_total"], parent["training"]["wall_time_seconds_total"]) \
        if parent else (0, 0)
    training = {
        "losses": log["recipe"]["losses"] + f" (training.losses.total, widths weight {log['widths_weight']})",
        "optimiser": f"AdamW (weight decay 1e-4), {log['lr']} after a {log['warmup']}-step warm-up, constant",
        "hardware": f"{log.get('gpu') or log['device']} (training.gpu_run, torch {log['torch']})",
        "gpu_minutes": round(log["wall_seconds"] / 60, 2),
        "samples_seen": log["samples"],
        "fresh_drawings": log["fresh"],
        "steps": log["steps"],
        "samples_per_second": log["samples_per_s"],
        "batch": log["batch"], "reuse": log["reuse"], "size": log["size"],
        "precision_in_training": "bfloat16 autocast, channels-last" if log["bf16"] else "float32, channels-last",
        "samples_seen_total": before[0] + log["samples"],
        "wall_time_seconds_total": before[1] + int(log["wall_seconds"]),
        "validation": log["validation"],
    }
    if "validation_parent" in log:          # the parent scored on the same validation drawings in the run
        training["validation_parent"] = log["validation_parent"]
    if parent:
        training["started_from"] = (f"{parent['name']} (its {before[0]:,} samples and {before[1]:,} s are "
                                    "included in the totals)")
    return {
        "name": weights.DEPTHY_NAME,
        "architecture": ARCHITECTURE,
        "parameters": parameters,
        "precision": "float16 (loaded as float32 on the CPU)",
        "data": log["recipe"]["generator"] + f"; seeds from {log['first_seed']:,} on",
        "training": training,
        "inference": {"default_size": 256, "nearness": log["nearness"]},
        "comparison": {"method": "training.compare_weights: per-drawing nRMSE, new − old, seeded bootstrap 95 % "
                                 "interval; shipped only when meshes and Freestyle both say better",
                       "sets": comparison},
    }


def export_gpu_run(folder: Path, comparison_path: Path, parent_path: Path | None = None,
                   out: Path = weights.WEIGHTS_DIR) -> Path:
    """Gate, join, check and ship a training.gpu_run folder's weights with their card."""
    from training import gpu_run
    comparison = json.loads(Path(comparison_path).read_text())
    gate(comparison)
    log = json.loads((folder / "log.json").read_text())
    joined = gpu_run.join(folder)                 # every part's checksum and the whole's checked
    model = Depthy()
    load_into(model, depthy_weights(joined), joined)
    parent = json.loads(Path(parent_path).read_text()) if parent_path else None
    card = gpu_card(log, parameter_count(model), comparison, parent)
    return weights.save(model.state_dict(), card, folder=out)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--run", help="a train.py run folder")
    p.add_argument("--gpu-run", type=Path, help="a training.gpu_run output folder (weight parts + log.json)")
    p.add_argument("--gate", type=Path, help="training.compare_weights --json of the shipped and the new weights; "
                   "required with --gpu-run")
    p.add_argument("--checkpoint", default="best.pt")
    p.add_argument("--eval-json", help="results of training.evaluate for this checkpoint")
    p.add_argument("--cache", nargs="+", default=["training/cache/train128"],
                   help="the shard folders trained on (counted)")
    p.add_argument("--carried", nargs="+", default=[],
                   help="carry cards of each session of the run (training.carry); replaces --cache")
    p.add_argument("--parent", help="model card of the weights this run started from (--init)")
    p.add_argument("--via", nargs="+", default=[],
                   help="runs between --parent and --run that were never shipped (their totals are added)")
    p.add_argument("--average-with", nargs="+", default=[],
                   help="ship the average of --checkpoint and these checkpoints (same architecture)")
    p.add_argument("--selection", help="how this checkpoint was chosen (e.g. training.select_checkpoint output)")
    p.add_argument("--nearness", choices=("unit range", "figure widths"), default="unit range",
                   help="what the raw nearness was taught: [0, 1] over each figure, or depth in figure widths "
                        "(gpu_run --widths-weight > 0); Auto depth reads the proportion accordingly")
    args = p.parse_args()
    if args.gpu_run:
        if args.gate is None:
            p.error("--gpu-run needs --gate: weights ship only when compare_weights shows them better")
        path = export_gpu_run(args.gpu_run, args.gate, args.parent)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) and its model card")
        return
    if args.run is None:
        p.error("give --run or --gpu-run")
    if args.gate:
        gate(json.loads(args.gate.read_text()))
    run = Path(args.run)
    for file in (run / args.checkpoint, *map(Path, args.average_with)):
        if not file.is_file():
            raise SystemExit(f"no such checkpoint: {file}")
    checkpoint = torch.load(run / args.checkpoint, map_location="cpu", weights_only=True)
    state = checkpoint.get("model", checkpoint)
    # best.pt is a bare state dict: the run's settings (e.g. --aligned) are in last.pt; mmap reads only them
    run_state = checkpoint.get("state") or torch.load(run / "last.pt", map_location="cpu", weights_only=True,
                                                      mmap=True)["state"]
    if args.average_with:
        state = average_weights.average([run / args.checkpoint, *args.average_with])
    model = Depthy()
    load_into(model, state, run / args.checkpoint)
    history = read_history(run)
    best = min(history, key=lambda r: float(r["val_nrmse"]))
    tail = tail_mean_row(run) if Path(args.checkpoint).name == "average.pt" else None
    exported = checkpoint_row(history, {"step": int(tail["step"])} if tail else checkpoint.get("state"))
    if args.carried:
        caches = cache_description(carried_caches(args.carried))
    else:
        caches = (f"This run's cache: {len(cache_seeds(args.cache)):,} drawings "
                  f"({len(shard_files(args.cache))} shards)")
    parent_totals = (0, 0)
    if args.parent:
        parent = json.loads(Path(args.parent).read_text())
        parent_totals = (parent["training"]["samples_seen_total"], parent["training"]["wall_time_seconds_total"])
    via_totals = [run_totals(read_history(Path(v))) for v in args.via]
    samples_total, wall_total = (sum(t) for t in zip(run_totals(history), parent_totals, *via_totals))
    card = {
        "name": weights.DEPTHY_NAME,
        "architecture": ARCHITECTURE,
        "parameters": parameter_count(model),
        "precision": "float16 (loaded as float32 on the CPU)",
        "data": DATA_RECIPE + f" {caches}; multi-scale "
                              "batches (128² caches upsampled to 128–256², 256² caches shrunk to 192–256²).",
        "training": {
            "losses": LOSSES + (ALIGNED if run_state.get("aligned") else ""),
            "optimiser": optimiser_description(run_state),
            "checkpoint": args.checkpoint,
            "epoch": int(exported["epoch"]),
            "samples_seen": int(exported["samples"]),
            "steps": int(exported["step"]),
            "best_validation_epoch": int(best["epoch"]),
            "samples_seen_total": samples_total,
            "wall_time_seconds_total": wall_total,
            "hardware": "2 CPU cores, no GPU",
            "validation": {"loss": float(exported["val_loss"]), "nrmse": float(exported["val_nrmse"]),
                           "mask_iou": float(exported["val_mask_iou"])} if not tail else
                          {"nrmse": float(tail["val_nrmse"]), "mask_iou": float(tail["val_mask_iou"])},
        },
    }
    if tail:
        card["training"]["tail_mean"] = (f"mean of the weights at {int(tail['epochs_averaged'])} epoch ends up to "
                                         f"epoch {int(tail['epoch'])} (train.py --average-from; batch-norm "
                                         "statistics averaged too); validation is the mean's")
    if run_state.get("freeze_stem"):
        card["training"]["frozen"] = ("encoder conv1, bn1 and layer1 kept as in the starting weights, batch-norm "
                                      "statistics included (--freeze-stem)")
    if args.parent:
        card["training"]["started_from"] = (f"{parent['name']} (its {parent_totals[0]:,} samples and "
                                            f"{parent_totals[1]:,} s are included in the totals)")
    if args.via:
        card["training"]["via"] = "; ".join(
            f"{Path(v).name} ({n:,} samples, {t:,} s, not shipped; included in the totals)"
            for v, (n, t) in zip(args.via, via_totals))
    if args.average_with:
        card["training"]["averaged"] = (f"uniform average of {args.checkpoint} and "
                                        + ", ".join(Path(a).name for a in args.average_with)
                                        + " (weights and batch-norm statistics; training.average_weights)")
    if args.selection:
        card["training"]["selection"] = args.selection
    card["inference"] = {"default_size": 256, "note": "trained mostly on 128² drawings upsampled to "
                                                      "128–256², finished on drawings rendered at 256²; "
                                                      "measured worse at 512²; up to 256² the engine averages "
                                                      "the drawing and its mirror image, each read at the "
                                                      "working size and at 0.75 of it (four passes)",
                         "nearness": args.nearness}
    if args.eval_json:
        card["evaluation"] = json.loads(Path(args.eval_json).read_text())
        card["evaluation"]["method"] = ("training/evaluate.py at 256²: nRMSE after the best non-negative "
                                        "scale + shift on the true mask ÷ true range; acc5 = share within 5 % "
                                        "of the range; mask IoU (network mask checked by "
                                        "core.images.trim_to_drawing). Synthetic test seeds 0–299; meshes = "
                                        "../shared/data/meshes, 4 seeded views each (slivers dropped); plates = "
                                        "40 single-plate --ribs drawings, seeds 5,000,000+; vessels = 40 "
                                        "single-vessel --vessels drawings, seeds 5,050,000+; clusters = 40 "
                                        "single-cluster --clusters drawings, seeds 5,080,000+; shells = 40 "
                                        "single-shell --shells drawings, seeds 9,900,000+; freestyle = the "
                                        "meshes set's views drawn by Blender Cycles + Freestyle "
                                        "(training/blender_drawings.py)")
    path = weights.save(model.state_dict(), card)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) and its model card")


if __name__ == "__main__":
    main()

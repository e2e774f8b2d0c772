"""Carry a long training run from one session to the next through git, since a session's workspace (caches,
training/runs/) may be gone when the next one starts.

    python -m training.carry save --run training/runs/r35 --cache training/cache/train256ak ... [--note "..."]
    python -m training.carry restore --run training/runs/r35          # then: python -m training.train --resume
                                                                      #   --run training/runs/r35 --warmup 100 ...

save writes training/carry/<run>-last.pt (the run's latest weights) and, when the run keeps a tail mean
(train.py --average-from), <run>-mean.pt (that mean), both fp16 state dicts with a card each (sha256, the
run's state and schedule, its history and tail-mean rows, the drawings it was trained on). restore checks
both files against their cards and rebuilds the run folder (last.pt, average.pt, history.csv, average.csv), so
that train.py --resume goes on and export_weights ships from it as from a run that never left the machine.

What is not carried: the optimiser's moments (twice the weights' size; the resumed run starts them afresh,
hence --warmup), best.pt, and the caches (each session renders fresh drawings; the cards name the old ones).
fp16 rounds the weights (about 5e-4 relative), far below what one training step changes.
"""
import argparse
import csv
from pathlib import Path

import torch

from depthy_blender.models import weights
from depthy_blender.models.depthy import Depthy
from training.evaluate import load_into
from training.train import cache_seeds, read_rows

CARRY_DIR = Path(__file__).resolve().parent / "carry"


def _write_rows(path: Path, rows: list[dict]) -> None:
    if not rows:
        return
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def cache_summary(folders) -> list[dict]:
    """Per make_cache folder: its name, how many drawings its finished shards hold, and their seed range."""
    summary = []
    for folder in folders:
        seeds = cache_seeds([folder])
        summary.append({"folder": Path(folder).name, "drawings": int(len(seeds)),
                        "seeds": [int(seeds.min()), int(seeds.max())] if len(seeds) else []})
    return summary


def save(run: Path, folder: Path = CARRY_DIR, caches=(), note: str = "") -> list[Path]:
    """Write <folder>/<run name>-last.pt (and -mean.pt) with their cards; returns the .pt paths."""
    ck = torch.load(run / "last.pt", map_location="cpu", weights_only=True)
    folder.mkdir(parents=True, exist_ok=True)
    name = run.name
    group = ck["opt"]["param_groups"][0]
    card = {
        "run": name,
        "role": "latest weights of an unshipped training run, carried to the next session (training/carry.py)",
        "state": ck["state"],
        "optimiser": {"lr": group["lr"], "weight_decay": group["weight_decay"]},
        "schedule": ck["sched"],
        "history": read_rows(run / "history.csv"),
        "tail_mean": read_rows(run / "average.csv"),
        "caches": cache_summary(caches),
        "note": note,
    }
    written = [weights.save(ck["model"], card, f"{name}-last", folder)]
    if ck.get("average"):
        average = ck["average"]
        written.append(weights.save(average["mean"], {
            "run": name,
            "role": f"mean of the run's weights at {average['count']} epoch ends (train.py --average-from), "
                    f"carried with {name}-last.pt, whose card holds the run's history and data",
            "epochs_averaged": average["count"], "step": average["step"]}, f"{name}-mean", folder))
    return written


def _verified(name: str, folder: Path) -> tuple[dict, dict]:
    """(float32 state dict, card) of a carried file; refuses one that does not match its card's sha256."""
    state, card = weights.load_verified(name, folder)
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}, card


def restore(run: Path, folder: Path = CARRY_DIR, name: str | None = None) -> dict:
    """Rebuild <run> from the carried files of the run of that name (default: the run folder's name); returns
    the run's state. Refuses to overwrite a run folder that already has a last.pt."""
    name = name or run.name
    if (run / "last.pt").exists():
        raise FileExistsError(f"{run / 'last.pt'} exists: restore only into a run folder without one")
    last, card = _verified(f"{name}-last", folder)
    model = Depthy()
    load_into(model, last, folder / f"{name}-last.pt")      # strict: this architecture only
    opt = torch.optim.AdamW(model.parameters(), **card["optimiser"])
    checkpoint = {"model": model.state_dict(), "opt": opt.state_dict(), "sched": card["schedule"],
                  "state": card["state"]}
    run.mkdir(parents=True, exist_ok=True)
    if (folder / f"{name}-mean.pt").exists():
        mean, mean_card = _verified(f"{name}-mean", folder)
        checkpoint["average"] = {"mean": mean, "count": mean_card["epochs_averaged"], "step": mean_card["step"]}
        torch.save(mean, run / "average.pt")
    torch.save(checkpoint, run / "last.pt")
    _write_rows(run / "history.csv", card["history"])
    _write_rows(run / "average.csv", card["tail_mean"])
    return card["state"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=("save", "restore"))
    p.add_argument("--run", required=True, help="the run folder (its name names the carried files)")
    p.add_argument("--folder", default=str(CARRY_DIR), help="where carried files live")
    p.add_argument("--cache", nargs="*", default=[], help="save: the cache folders this session trained on")
    p.add_argument("--note", default="", help="save: how the caches were made, what the run is for")
    args = p.parse_args()
    run, folder = Path(args.run), Path(args.folder)
    if args.action == "save":
        if not (run / "last.pt").is_file():
            raise SystemExit(f"nothing to carry: {run / 'last.pt'} does not exist")
        for pt in save(run, folder, args.cache, args.note):
            print(f"wrote {pt} ({pt.stat().st_size / 1e6:.1f} MB) and {pt.with_suffix('.json').name}")
    else:
        try:
            state = restore(run, folder)
        except (weights.WeightsError, FileExistsError) as exc:
            raise SystemExit(str(exc)) from None
        print(f"restored {run}: step {state['step']}, {state['samples']:,} samples, epoch {state['epoch']}; "
              f"go on with: python -m training.train --resume --run {run} --warmup 100 ...")


if __name__ == "__main__":
    main()

"""Is one set of Depthy weights really better than another? Scores both on the same evaluation drawings
and tests the per-drawing differences, so a shipping decision rests on more than two means.

    python -m training.compare_weights OLD.pt NEW.pt [--plates] [--vessels] [--clusters] [--shells] [--rods] [--freestyle] [--json OUT]

Per set: each one's mean nRMSE, the mean paired difference NEW − OLD with a seeded bootstrap 95 %
interval over the drawings, and on how many drawings NEW is better or worse (by more than 1e-4). An
interval that holds 0 means the sets cannot tell the two apart.
"""
import argparse
import json
from pathlib import Path

import numpy as np

from depthy_blender.models import depthy_engine
from training import evaluate

RESAMPLES = 10_000
TIE = 1e-4


def paired_summary(old: np.ndarray, new: np.ndarray, resamples: int = RESAMPLES, seed: int = 0) -> dict:
    """Means, mean difference new − old with a bootstrap 95 % interval, wins and losses; drawings where
    either score is undefined (NaN) are left out."""
    old, new = np.asarray(old, np.float64), np.asarray(new, np.float64)
    keep = ~(np.isnan(old) | np.isnan(new))
    old, new = old[keep], new[keep]
    diff = new - old
    picks = np.random.default_rng(seed).integers(0, len(diff), size=(resamples, len(diff)))
    low, high = np.percentile(diff[picks].mean(axis=1), [2.5, 97.5])
    return {"drawings": int(len(diff)), "old": float(old.mean()), "new": float(new.mean()),
            "difference": float(diff.mean()), "low": float(low), "high": float(high),
            "better": int((diff < -TIE).sum()), "worse": int((diff > TIE).sum())}


def verdict(summary: dict) -> str:
    if summary["high"] < 0:
        return "better"
    if summary["low"] > 0:
        return "worse"
    return "no clear difference"


def drawing_nrmse(weights: str, data: dict) -> np.ndarray:
    """Each drawing's nRMSE with `weights`; the engine has the shipped weights again afterwards."""
    depthy_engine.use_model(evaluate.load_depthy(weights))
    try:
        preds = evaluate.predict_all("depthy", data)
    finally:
        depthy_engine.free_models()
    return np.array([row["nrmse"] for row in evaluate.drawing_scores(preds, data)])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("old", type=evaluate.weights_file,
                   help="the weights to beat (.pt state dict or a training checkpoint)")
    p.add_argument("new", type=evaluate.weights_file)
    evaluate.add_set_arguments(p)
    p.add_argument("--json", help="also write the summaries here")
    args = p.parse_args()
    evaluate.limit_threads()
    sets = evaluate.evaluation_sets(evaluate.chosen_sets(args))
    results = {}
    for name, data in sets.items():
        if data is None:
            print(f"{name}: skipped ({evaluate.MESH_DIR} not present)")
            continue
        s = paired_summary(drawing_nrmse(args.old, data), drawing_nrmse(args.new, data))
        s = results[name] = s | {"verdict": verdict(s)}
        print(f"{name:10s} {s['drawings']:4d} drawings  nRMSE {s['old']:.4f} → {s['new']:.4f}  "
              f"difference {s['difference']:+.4f} [{s['low']:+.4f}, {s['high']:+.4f}]  "
              f"better on {s['better']}, worse on {s['worse']}: {s['verdict']}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

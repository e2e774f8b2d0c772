"""How close to issue 3's target (Depthy nRMSE ≤ 0.7 × inflation's) can the shipped network get without
new training, by mixing its answer with the inflation baseline? Oracle figures choose with the truth, so
no rule used at inference can do better than they do.

    python -m training.target_bounds [--weights PT] [--limit N] [--plates] [--vessels] [--clusters] [--freestyle]

Per set: Depthy (the engine's own reading), inflation and the target; the best single blend
a·Depthy + (1 − a)·inflation of the two range-normalised answers, chosen on the set itself; the oracle that
picks, per drawing, the better of Depthy, inflation and a flat figure; and the oracle that picks, per
drawing, the best blend weight. Blend weights run over 0, 0.1, …, 1.
"""
import argparse

import numpy as np

from depthy_blender.core import metrics
from training import evaluate

BLEND_WEIGHTS = np.linspace(0.0, 1.0, 11)
TARGET_RATIO = 0.7


def normalised(pred: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """pred mapped to [0, 1] over the mask, so two answers of any scale can be blended."""
    values = pred[mask]
    return (pred - values.min()) / max(float(np.ptp(values)), 1e-6)


def drawing_table(depthy: list, inflate: list, data: dict) -> np.ndarray:
    """One row per drawing with a figure: nRMSE of each blend weight (columns follow BLEND_WEIGHTS, so
    the first is inflation and the last Depthy), then of a flat figure."""
    rows = []
    for (d, _), (i, _), true, mask in zip(depthy, inflate, data["nearness"], data["mask"]):
        if not mask.any():
            continue
        d, i = normalised(d, mask), normalised(i, mask)
        row = [metrics.depth_errors(a * d + (1 - a) * i, true, mask)["nrmse"] for a in BLEND_WEIGHTS]
        rows.append(row + [metrics.depth_errors(mask.astype(np.float32), true, mask)["nrmse"]])
    return np.array(rows)


def bounds(table: np.ndarray) -> dict:
    blends = table[:, :len(BLEND_WEIGHTS)]
    by_weight = blends.mean(axis=0)
    best = int(by_weight.argmin())
    depthy, inflate, flat = blends[:, -1], blends[:, 0], table[:, -1]
    return {"drawings": len(table), "depthy": float(depthy.mean()), "inflate": float(inflate.mean()),
            "target": TARGET_RATIO * float(inflate.mean()),
            "best_blend_weight": float(BLEND_WEIGHTS[best]), "best_blend": float(by_weight[best]),
            "oracle_best_of_three": float(np.minimum(np.minimum(depthy, inflate), flat).mean()),
            "oracle_blend": float(blends.min(axis=1).mean())}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", type=evaluate.weights_file,
                   help="Depthy weights (.pt state dict or a training checkpoint); default: shipped")
    p.add_argument("--limit", type=int, help="only the first N drawings of each set (quick look)")
    evaluate.add_set_arguments(p)
    args = p.parse_args()
    evaluate.limit_threads()
    if args.weights:
        from depthy_blender.models import depthy_engine
        depthy_engine.use_model(evaluate.load_depthy(args.weights))
    print(f"{'set':10s} {'drawings':>8s} {'Depthy':>7s} {'inflate':>7s} {'target':>7s} {'best blend (a)':>15s} "
          f"{'oracle best of D/I/flat':>23s} {'oracle blend':>12s}")
    for name, data in evaluate.evaluation_sets(evaluate.chosen_sets(args)).items():
        if data is None:   # a set that cannot be made here (no meshes folder, no Blender)
            continue
        if args.limit:
            data = {k: v[:args.limit] for k, v in data.items()}
        b = bounds(drawing_table(evaluate.predict_all("depthy", data), evaluate.predict_all("inflate", data), data))
        print(f"{name:10s} {b['drawings']:8d} {b['depthy']:7.4f} {b['inflate']:7.4f} {b['target']:7.4f} "
              f"{b['best_blend']:8.4f} ({b['best_blend_weight']:.1f}) {b['oracle_best_of_three']:23.4f} "
              f"{b['oracle_blend']:12.4f}", flush=True)


if __name__ == "__main__":
    main()

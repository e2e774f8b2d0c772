"""Fit the one constant of Depthy's Auto depth (core/proportion.DEPTH_PER_SPREAD) on drawings of their own
seeds, apart from every evaluation set, and print the proportion error for each candidate.

    python -m training.fit_proportion [--count 100] [--weights PT] [--set meshes|freestyle]

The proportion error is the relief's depth against the true depth, both in units of the figure's width,
after the best shift (training/evaluate.py). Single orthographic figures only (the others have no
proportion). Depthy's estimate is its raw nearness range × the widest inscribed circle ÷ the figure's
width × the constant; the default Depth ratio (0.2) and the truth's own proportion (the best any
constant could do with this shape) are printed beside it. `--set` scores an evaluation set's single
orthographic views instead (training/evaluate.py's meshes or Freestyle drawings), to read off how far
its best Auto depth, the truth's own proportion, is from a target; nothing is fitted on it.
"""
import argparse

import numpy as np

from depthy_blender.core import metrics, proportion
from depthy_blender.models import depthy_engine
from training import evaluate
from training.synth import dataset

FIT_SEEDS = 30_000_000   # first seed of the fitting drawings; no cache or evaluation set starts near it
CANDIDATES = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
FIELDS = ("image", "nearness", "mask", "proportion")   # what errors() and predict_all read of a drawing


def fitting_set(count: int, size: int = 256) -> dict:
    items, seed = [], FIT_SEEDS
    while len(items) < count:
        item = dataset.sample(seed, size)
        if np.isfinite(item["proportion"]):
            items.append(item)
        seed += 1
    return {key: np.stack([i[key] for i in items]) for key in FIELDS}


def evaluation_set(name: str) -> dict:
    """The single orthographic views (those with a proportion) of evaluate.py's `name` set."""
    data = evaluate.freestyle_test_set() if name == "freestyle" else evaluate.mesh_test_set()
    keep = np.isfinite(data["proportion"])
    return {key: data[key][keep] for key in FIELDS}


def errors(data: dict, preds) -> dict:
    """Mean proportion error per candidate constant, at the default ratio and with the true proportion."""
    rows: dict = {}
    for (near, pred_mask), true, mask, ratio in zip(preds, data["nearness"], data["mask"], data["proportion"]):
        truth = true * ratio
        spread_body = proportion.from_nearness(near, pred_mask, 1.0)

        def error(depth_ratio):
            return metrics.proportion_error(proportion.in_widths(near, pred_mask, depth_ratio, mask), truth, mask)
        rows.setdefault("default 0.2", []).append(error(evaluate.DEFAULT_RATIO))
        rows.setdefault("true proportion", []).append(error(proportion.ratio_for(ratio, pred_mask)))
        for k in CANDIDATES:
            rows.setdefault(k, []).append(error(proportion.ratio_for(k * spread_body, pred_mask)))
    return {key: float(np.mean(v)) for key, v in rows.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=100, help="single-figure drawings to fit on (default 100)")
    p.add_argument("--weights", type=evaluate.weights_file, help="Depthy weights (default: shipped)")
    p.add_argument("--set", choices=("meshes", "freestyle"), help="score this evaluation set instead (no fitting)")
    args = p.parse_args(argv)
    evaluate.limit_threads()
    if args.weights:
        depthy_engine.use_model(evaluate.load_depthy(args.weights))
    data = evaluation_set(args.set) if args.set else fitting_set(args.count)
    preds = evaluate.predict_all("depthy", data, size=256)
    table = errors(data, preds)
    print(f"{args.set or 'fitting drawings'}: {len(data['mask'])} single orthographic views")
    for key, value in table.items():
        print(f"{key!s:>16}: proportion error {value:.4f}")
    if args.set:
        return
    best = min(CANDIDATES, key=table.get)
    print(f"best constant: {best} (core/proportion.DEPTH_PER_SPREAD is {proportion.DEPTH_PER_SPREAD})")


if __name__ == "__main__":
    main()

"""View finding on synthetic sheets: box IoU of found views against the known ones, over seeded sheets.

    python -m training.sheet_views [--seeds 50] [--start 0] [--threshold 0.9]

Each sheet (training/synth/sheets.py) draws one random solid in front, top and side views with blue
dimensions, notes, a frame, a title block and a QR-like block. For every known view the best-matching
found view is scored by box IoU; a view counts as found when its IoU reaches the threshold and the role
agrees. Found views that match no known view (text, dimensions, title block …) are counted as spurious.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from depthy_blender.core import sheets  # noqa: E402
from training.synth import sheets as synthetic_sheets  # noqa: E402


def box_iou(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def score_sheet(seed: int, threshold: float) -> dict:
    sample = synthetic_sheets.sample(seed)
    found = sheets.find_views(sample["image"])
    per_view, matched = [], set()
    for truth in sample["views"]:
        ious = [box_iou(truth["box"], f.box) for f in found]
        best = int(np.argmax(ious)) if ious else -1
        iou = ious[best] if ious else 0.0
        role_ok = best >= 0 and found[best].role == truth["role"]
        if iou > 0.5:
            matched.add(best)
        per_view.append({"role": truth["role"], "iou": iou, "role_ok": role_ok,
                         "found": iou >= threshold and role_ok})
    spurious = [f for i, f in enumerate(found) if i not in matched]
    return {"seed": seed, "views": per_view, "spurious": spurious}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--verbose", action="store_true", help="one line per sheet")
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    results = [score_sheet(s, args.threshold) for s in range(args.start, args.start + args.seeds)]
    views = [v for r in results for v in r["views"]]
    ious = np.array([v["iou"] for v in views])
    found = sum(v["found"] for v in views)
    perfect = sum(all(v["found"] for v in r["views"]) and not r["spurious"] for r in results)
    spurious = sum(len(r["spurious"]) for r in results)
    for r in results:
        if args.verbose or not all(v["found"] for v in r["views"]) or r["spurious"]:
            cells = " ".join(f"{v['role']}={v['iou']:.2f}{'' if v['role_ok'] else '(role!)'}" for v in r["views"])
            extra = ", ".join(f"{f.role}@{f.box}" for f in r["spurious"])
            print(f"seed {r['seed']:>4}: {cells}" + (f"  spurious: {extra}" if extra else ""))
    print(f"{args.seeds} sheets, {len(views)} known views, {time.perf_counter() - start:.0f} s")
    print(f"views found (IoU ≥ {args.threshold}, right role): {found}/{len(views)} = {found / len(views):.1%}")
    print(f"box IoU: mean {ious.mean():.3f}, median {np.median(ious):.3f}, min {ious.min():.3f}")
    print(f"spurious views: {spurious}; sheets with every view found and nothing spurious: {perfect}/{args.seeds}")


if __name__ == "__main__":
    main()

"""Pick the checkpoint to ship by validation nRMSE at the add-on's working size (256²), on seeded
validation drawings that neither training nor the test split use.

    python -m training.select_checkpoint training/runs/main/best.pt training/runs/main/last.pt
"""
import sys
from pathlib import Path

import numpy as np
import torch

from depthy_blender.models import depthy_engine
from training import evaluate
from training.synth import dataset

SEEDS = range(950_000, 950_120)


def main():
    torch.set_num_threads(2)
    path = evaluate.CACHE / "select-256.npz"
    if not path.exists():
        evaluate._save(path, [dataset.sample(s, 256) for s in SEEDS])
    data = evaluate._load(path)
    scores = {}
    for ck in sys.argv[1:]:
        model = evaluate.load_depthy(ck)
        depthy_engine.use_model(model)
        scores[ck] = evaluate.score(evaluate.predict_all("depthy", data, model, 256), data)
        print(f"{ck}: nRMSE {scores[ck]['nrmse']:.4f} acc5 {scores[ck]['acc5']:.3f} IoU {scores[ck]['iou']:.3f}")
    best = min(scores, key=lambda k: scores[k]["nrmse"])
    print(f"selected {best}")
    Path(evaluate.CACHE / "selected.txt").write_text(best)


if __name__ == "__main__":
    main()

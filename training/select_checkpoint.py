"""Pick the checkpoint to ship by validation nRMSE at the add-on's working size (256²), on seeded
validation drawings that neither training nor the test split use, and optionally on the drawings of
shard folders that training never saw (a make_cache --library --part val cache of held-out meshes).

    python -m training.select_checkpoint training/runs/main/best.pt training/runs/main/last.pt
    python -m training.select_checkpoint CK1 CK2 --also training/cache/libval256   # ranked on both, pooled
"""
import argparse
from pathlib import Path

from depthy_blender.models import depthy_engine
from training import evaluate
from training.synth import dataset
from training.train import shard_drawings

SEEDS = range(950_000, 950_120)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="+", type=evaluate.weights_file)
    p.add_argument("--also", nargs="*", default=[], help="shard folders scored too; the ranking pools all drawings")
    args = p.parse_args()
    evaluate.limit_threads()
    path = evaluate.CACHE / "select-256.npz"
    if not evaluate._current(path):
        evaluate._save(path, [dataset.sample(s, 256) for s in SEEDS])
    sets = {"selection": evaluate._load(path)}
    if args.also:
        sets["held-out"] = shard_drawings(args.also)
    pooled = {}
    for ck in args.checkpoints:
        model = evaluate.load_depthy(ck)
        depthy_engine.use_model(model)
        parts, total, count = [], 0.0, 0
        for name, data in sets.items():
            s = evaluate.score(evaluate.predict_all("depthy", data, model, 256), data)
            parts.append(f"{name} nRMSE {s['nrmse']:.4f} acc5 {s['acc5']:.3f} IoU {s['iou']:.3f}")
            total, count = total + s["nrmse"] * len(data["mask"]), count + len(data["mask"])
        pooled[ck] = total / count
        print(f"{ck}: " + " | ".join(parts) + (f" | pooled {pooled[ck]:.4f}" if len(sets) > 1 else ""), flush=True)
    best = min(pooled, key=pooled.get)
    print(f"selected {best}")
    Path(evaluate.CACHE / "selected.txt").write_text(best)


if __name__ == "__main__":
    main()

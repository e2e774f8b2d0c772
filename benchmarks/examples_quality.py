"""Depthy against silhouette inflation on the shipped examples, whose true depth is known
(examples/NAME-truth.npz, made with the drawings by examples/make_examples.py).

    python benchmarks/examples_quality.py

Per example and engine, through the engine's own `predict` on the PNG as the add-on reads it: nRMSE
(after the best non-negative scale + shift, ÷ the true range), the normal error in degrees, mask IoU,
and the proportion error of the relief Auto depth builds (depth in figure widths, after the best
shift). The last columns are Depthy ÷ inflation; issue 51 asks that Depthy beat inflation on nRMSE and
normal error on every example. The Turned engine's row shows what revolving the outline gives on each
(it is meant for the bottle and the turned part only; training/turned_parts.py measures it further);
the "flat" row is Depthy read as flat faces, the panel's Faces: Flat (meant for parts drawn square-on,
the gear and the plate; benchmarks/flat_faces.py measures it further), the "planar" row as planar
faces, Faces: Planar (meant for machined parts in pictorial views, the bracket;
training/pictorial_parts.py measures it further). On the plate with a pocket, which Depthy reads the wrong
way round, the "flipped" row is the flat reading with the pocket flipped as the Relief panel's Flip
Selected Areas does it from one vertex selected on it.
"""
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from depthy_blender.core import flip, metrics, proportion, relief  # noqa: E402
from depthy_blender.models import engine as engine_api, engines  # noqa: E402
from depthy_blender.pipeline import drawing  # noqa: E402

EXAMPLES = ROOT / "examples"


def examples() -> list[str]:
    return sorted(p.name[:-len("-truth.npz")] for p in EXAMPLES.glob("*-truth.npz"))


def load(name: str) -> tuple[np.ndarray, dict]:
    rgba = np.asarray(Image.open(EXAMPLES / f"{name}.png").convert("RGBA"), np.float32) / 255.0
    with np.load(EXAMPLES / f"{name}-truth.npz") as z:
        truth = {"nearness": z["nearness"].astype(np.float64) / 65535.0, "mask": z["mask"],
                 "proportion": float(z["proportion"])}
    return rgba, truth


def scores(result, truth: dict) -> dict:
    true, mask = truth["nearness"], truth["mask"]
    auto = proportion.ratio_for(result.proportion, result.mask)
    depth = proportion.in_widths(result.nearness, result.mask, auto, mask)
    return {"nrmse": metrics.depth_errors(result.nearness, true, mask)["nrmse"],
            "normal": metrics.normal_error(result.nearness, true, mask),
            "iou": metrics.mask_iou(result.mask, mask),
            "proportion": metrics.proportion_error(depth, true * truth["proportion"], mask)}


def engine_scores(name: str, engine: str, faces: str = "engine") -> dict:
    """scores() of `engine`'s own predict on example `name`'s PNG, against its truth; with `faces` flat
    or planar, read as the panel's Faces setting reads it (pipeline/drawing.as_faces)."""
    rgba, truth = load(name)
    result = engines.get(engine).predict(rgba, lambda f, s: None, lambda: False)
    if faces != "engine":
        result, _ = drawing.as_faces(result, rgba, result.mask, faces)
    return scores(result, truth)


FLIPS = {"pocket_plate": "flat"}   # an example with an area read the wrong way round: the reading to flip it in


def flip_areas(result, areas: np.ndarray, labels) -> np.ndarray:
    """`result`'s nearness with the drawn areas `labels` (of `areas`, the image's own grid: flip.areas at
    its shape) flipped as Flip Selected Areas flips them (core/flip), normalised over the figure as a
    relief's heights are."""
    mask = result.mask
    cells = np.flatnonzero(mask)
    chosen = cells[np.isin(areas.ravel()[cells], labels)]
    raw = result.nearness.ravel()[cells].astype(np.float32)
    new, _ = flip.flipped(raw, cells, mask.shape, chosen)
    nearness = np.zeros(mask.size, np.float32)
    nearness[cells] = new
    kept = None if result.proportion is None else result.proportion * flip.span_scale(raw, new)
    return engine_api.DepthResult(relief.normalise(nearness.reshape(mask.shape), mask), mask, {}, kept)


def flipped_scores(name: str, faces: str = "flat", point: tuple[int, int] | None = None) -> dict:
    """scores() of Depthy read as `faces`, then the drawn area under `point` (row, column; the image's
    centre by default) flipped as Flip Selected Areas flips it from one vertex selected there."""
    rgba, truth = load(name)
    result = engines.get("depthy").predict(rgba, lambda f, s: None, lambda: False)
    if faces != "engine":
        result, _ = drawing.as_faces(result, rgba, result.mask, faces)
    areas = flip.areas(rgba, result.mask, result.mask.shape)
    row, col = point or (areas.shape[0] // 2, areas.shape[1] // 2)
    return scores(flip_areas(result, areas, [areas[row, col]]), truth)


def main():
    print(f"{'example':<13} {'engine':<8} {'nRMSE':>7} {'normal°':>8} {'IoU':>6} {'proport':>8}")
    wins = 0
    names = examples()
    for name in names:
        rows = {}
        for engine in ("depthy", "inflate", "turned", "flat", "planar"):
            faces = engine if engine in ("flat", "planar") else "engine"
            rows[engine] = engine_scores(name, "depthy" if faces != "engine" else engine, faces=faces)
            r = rows[engine]
            print(f"{name:<13} {engine:<8} {r['nrmse']:7.4f} {r['normal']:8.2f} {r['iou']:6.3f} {r['proportion']:8.4f}")
        if name in FLIPS:
            r = flipped_scores(name, FLIPS[name])
            print(f"{name:<13} {'flipped':<8} {r['nrmse']:7.4f} {r['normal']:8.2f} {r['iou']:6.3f} {r['proportion']:8.4f}")
        d, i = rows["depthy"], rows["inflate"]
        better = d["nrmse"] < i["nrmse"] and d["normal"] < i["normal"]
        wins += better
        print(f"{'':<13} {'ratio':<8} {d['nrmse'] / i['nrmse']:7.3f} {d['normal'] / i['normal']:8.3f} "
              f"{'':>6} {d['proportion'] / i['proportion']:8.3f}   Depthy beats inflation on both: {better}")
    print(f"Depthy beats inflation on nRMSE and normal error on {wins} of {len(names)} examples")


if __name__ == "__main__":
    main()

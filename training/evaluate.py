"""Score Depthy against the classic baselines on the synthetic test split and the real-mesh set.

    python -m training.evaluate [--weights PT] [--json OUT.json] [--limit N] [--plates] [--vessels] [--clusters] [--shells]
                                [--rods] [--freestyle]

Per set and method: nRMSE (RMSE after the best non-negative scale + shift on the true mask, divided by
the true depth range; lower is better), acc5 (share of true-mask pixels within 5 % of the range), the
normal error (degrees), planarity (how far the prediction bends on the truth's flat faces, in units of
the depth range), the proportion error (the relief at the default Depth ratio against the true depth,
both in units of the figure's width, after the best shift; single orthographic figures only) and mask IoU. Baselines: inflate, luminance, flat (a constant on the flood-fill mask). --plates adds a third
set: 40 single-figure drawings of ribbed plates (make_cache --ribs figures), the meshes set's worst kind;
--vessels one of 40 smooth turned pots and jugs (make_cache --vessels figures); --clusters one of 40 bodies
with parts standing out of them, whose order in depth only line junctions tell (make_cache --clusters figures);
--shells one of 40 hollow open trays, boxes, cups and bowls, mostly seen into (make_cache --shells figures);
--rods one of 40 pins, shafts and tubes seen obliquely or in perspective (make_cache --rods figures), whose
slope toward the camera only the ends' ellipses tell.
--freestyle adds the meshes set drawn by another renderer (Blender Freestyle, training/blender_drawings.py),
a style Depthy never trained on.
"""
import argparse
import json
import time
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from depthy_blender.core import images, metrics, proportion
from depthy_blender.models import depthy_engine, engine, engines
from depthy_blender.models.depthy import Depthy
from training.synth import dataset, meshes

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "training" / "cache"
MESH_DIR = ROOT.parent / "shared" / "data" / "meshes"
TEST_SEEDS = range(0, 300)
SINGLE_FIGURE_COUNT = 40
MESH_SUFFIXES = {".stl", ".obj", ".ply"}


class SingleFigureSet(NamedTuple):
    first_seed: int
    option: str             # the dataset.sample option that makes such figures
    word: str               # the word in their "info"
    views: tuple | None     # the views kept ("@ oblique", …); None for any
    about: str              # what its command-line flag scores


SINGLE_FIGURE_SETS = {
    "plates": SingleFigureSet(5_000_000, "ribs", "ribbed", None, "the ribbed-plate set"),
    "vessels": SingleFigureSet(5_050_000, "vessels", "vessel:", None, "the set of turned pots and jugs"),
    "clusters": SingleFigureSet(5_080_000, "clusters", "cluster:", None, "the set of bodies with parts standing out"),
    "shells": SingleFigureSet(9_900_000, "shells", "shell:", None, "the set of hollow open trays, boxes and bowls"),
    "rods": SingleFigureSet(11_000_000, "rods", "rod:", ("@ oblique", "@ perspective"),
                            "the set of pins, shafts and tubes seen tilted"),
}
# every optional set, in the order they are scored: the single-figure ones, then the Freestyle drawings
OPTIONAL_SETS = (*SINGLE_FIGURE_SETS, "freestyle")


def synthetic_test_set(size=256):
    path = CACHE / f"test-{size}.npz"
    if not _current(path):
        items = [dataset.sample(s, size) for s in TEST_SEEDS]
        _save(path, items)
    return _load(path)


def mesh_test_set(size=256):
    """Four seeded views of every mesh in ../shared/data/meshes (views that show a sliver are left out)."""
    return _mesh_views(CACHE / f"meshes-{size}.npz", lambda path, view, seed: meshes.view_sample(path, view, size, seed))


def freestyle_test_set(size=256):
    """The meshes set's views, cameras and truth, drawn by Blender's Freestyle instead of our ink."""
    from training import blender_drawings
    return _mesh_views(CACHE / f"freestyle-{size}.npz", lambda path, view, seed: blender_drawings.view_sample(
        path, view, size, seed, style_seed=blender_drawings.STYLE_SEED + seed))


def _mesh_views(path, sample, min_cover=0.02):
    if not MESH_DIR.is_dir():
        return None
    if not _current(path):
        items = []
        files = sorted(p for p in MESH_DIR.iterdir() if p.suffix.lower() in MESH_SUFFIXES)
        for i, mesh_path in enumerate(files):
            for j, view in enumerate(meshes.VIEWS):
                item = sample(mesh_path, view, 7000 + 10 * i + j)
                if item["mask"].mean() > min_cover:
                    items.append(item)
        _save(path, items)
    return _load(path)


def single_figure_set(name, size=256):
    """The first SINGLE_FIGURE_COUNT drawings from the set's first seed on that are one figure of its kind
    and nothing else: ribbed plates (pockets seen square-on, which read as bumps unless the lines say
    otherwise), vessels, clusters, shells or tilted rods."""
    path = CACHE / f"{name}-{size}.npz"
    if not _current(path):
        seed, option, word, views, _ = SINGLE_FIGURE_SETS[name]
        items = []
        while len(items) < SINGLE_FIGURE_COUNT:
            item = dataset.sample(seed, size, **{option: True})
            seen_as_wanted = views is None or any(view in item["info"] for view in views)
            if word in item["info"] and "|" not in item["info"] and seen_as_wanted:
                items.append(item)
            seed += 1
        _save(path, items)
    return _load(path)


def _save(path, items):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, image=np.stack([i["image"] for i in items]).astype(np.float32),
                        nearness=np.stack([i["nearness"] for i in items]), mask=np.stack([i["mask"] for i in items]),
                        info=np.array([i["info"] for i in items]), planes=np.stack([i["planes"] for i in items]),
                        proportion=np.array([i["proportion"] for i in items], np.float64))


def _load(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def _current(path: Path) -> bool:
    """A cached set exists and holds the truth the shape metrics need (sets cached before them do not)."""
    if not path.exists():
        return False
    with np.load(path) as z:
        return "planes" in z.files and "proportion" in z.files


def depthy_weights(path) -> dict:
    """float32 weights from a shipped .pt (a bare state dict) or a run's checkpoint (weights under "model");
    integer buffers (batch-norm step counts) stay integers."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = state.get("model", state)
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}


def load_into(model, state: dict, source) -> None:
    """Load strictly; weights of another architecture are refused in one line naming the first difference
    (cut to 200 characters: PyTorch lists every missing key)."""
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        detail = [line.strip() for line in str(exc).splitlines()[1:] if line.strip()]
        raise SystemExit(f"{source}: not weights of this Depthy ({detail[0][:200] if detail else exc})") from None


def weights_file(path: str) -> str:
    """argparse type for a weights path: refuses a missing file at once, in one line, before any drawing
    is made; a GPU run's folder whose parts were not joined yet says how to join them."""
    file = Path(path)
    if file.is_file():
        return path
    if (file.parent / "log.json").is_file() and any(file.parent.glob(file.name + ".[0-9][0-9][0-9]")):
        raise argparse.ArgumentTypeError(f"{path} is not there yet, only its parts: "
                                         f"python -m training.gpu_run --join {file.parent}")
    raise argparse.ArgumentTypeError(f"{path}: no such weights file")


def load_depthy(weights_path):
    model = Depthy()
    load_into(model, depthy_weights(weights_path), weights_path)
    return model.eval()


def predict_all(method, data, model=None, size=None):
    out = []
    for image in data["image"]:
        rgba = np.concatenate([image, np.ones(image.shape[:2] + (1,), np.float32)], -1)
        if method == "depthy":   # the engine's own inference path (resize, paper veto on the mask)
            near, prob = depthy_engine.run_network(image, "cpu", size or image.shape[0])
            out.append((near, images.trim_to_drawing(prob > 0.5, rgba)))
            continue
        if method == "flat":
            mask = images.figure_mask(rgba)
            out.append((mask.astype(np.float32), mask))
            continue
        try:
            r = engines.get(method).predict(rgba)
            out.append((r.nearness, r.mask))
        except engine.EngineError:
            out.append((np.zeros(image.shape[:2], np.float32), np.zeros(image.shape[:2], bool)))
    return out


def drawing_scores(preds, data, estimates=None) -> list[dict]:
    """nRMSE, acc5, normal error (degrees), planarity, proportion error (at the default ratio, and with
    Auto depth from the method's own estimates when given) and mask IoU of each drawing (planarity is NaN
    without flat faces, the proportion errors NaN where the truth has no proportion)."""
    count = len(data["mask"])
    flat_faces = data["planes"] if "planes" in data else np.zeros(data["mask"].shape, np.int32)   # training shards
    proportions = data["proportion"] if "proportion" in data else np.full(count, np.nan)   # have neither
    rows = []
    estimates = [None] * count if estimates is None else estimates
    for (p, pm), t, m, planes, ratio, guess in zip(preds, data["nearness"], data["mask"], flat_faces, proportions,
                                                  estimates):
        row = metrics.depth_errors(p, t, m)
        row["normal_deg"] = metrics.normal_error(p, t, m)
        row["planarity"] = metrics.planarity(p, t, m, planes) if planes.any() else float("nan")
        known = np.isfinite(ratio) and m.any()
        row["proportion"] = metrics.proportion_error(proportion.in_widths(p, pm, DEFAULT_RATIO, m), t * ratio, m) \
            if known else float("nan")
        row["proportion_auto"] = metrics.proportion_error(proportion.in_widths(p, pm, proportion.ratio_for(guess, pm), m),
                                                          t * ratio, m) if known else float("nan")
        row["iou"] = metrics.mask_iou(pm, m)
        rows.append(row)
    return rows


SCORES = ("nrmse", "acc5", "normal_deg", "planarity", "proportion", "proportion_auto", "iou")
DEFAULT_RATIO = 0.2   # the panel's default Depth ratio: thickness ÷ the image's width


def auto_estimates(method, preds, units: str = proportion.UNIT_RANGE) -> list:
    """Each prediction's proportion as the add-on's Auto depth reads it: Depthy's from its raw nearness
    (taught in `units`, as the weights' model card or run log says), inflation's from its round profile,
    flat's none at all (0); luminance cannot tell (the default ratio)."""
    if method == "depthy":
        return [proportion.from_nearness(p, pm, units=units) for p, pm in preds]
    if method == "inflate":
        return [proportion.round_body(pm) if pm.any() else None for _, pm in preds]
    return [0.0 if method == "flat" else None for _ in preds]


def score(preds, data, estimates=None):
    rows = drawing_scores(preds, data, estimates)
    with warnings.catch_warnings():   # a set without flat faces or proportions has NaN there
        warnings.simplefilter("ignore", RuntimeWarning)
        return {k: float(np.nanmean([r[k] for r in rows])) for k in SCORES}


def evaluation_sets(optional=()) -> dict:
    """name → drawings (None where the meshes folder is absent): the synthetic split and the meshes set,
    then each of the OPTIONAL_SETS named in `optional`."""
    sets = {"synthetic": synthetic_test_set(), "meshes": mesh_test_set()}
    for name in OPTIONAL_SETS:
        if name in optional:
            sets[name] = freestyle_test_set() if name == "freestyle" else single_figure_set(name)
    return sets


def nearness_units_of(weights) -> str:
    """What a weights file's raw nearness was taught: the "nearness" of the training.gpu_run log.json
    beside it, else of the shipped model card when it is the shipped file, else [0, 1]
    (proportion.UNIT_RANGE, every release so far)."""
    if weights is None:
        return proportion.UNIT_RANGE
    log = Path(weights).parent / "log.json"
    if log.is_file():
        return json.loads(log.read_text()).get("nearness", proportion.UNIT_RANGE)
    from depthy_blender.models import weights as shipped
    try:
        if Path(weights).resolve() == shipped.locate()[0].resolve():
            return depthy_engine.nearness_units()
    except shipped.WeightsError:
        pass
    return proportion.UNIT_RANGE


def limit_threads(most: int = 2) -> None:
    """Scores use at most `most` torch threads (this machine has two cores), and never more than the
    process already has: under OMP_NUM_THREADS=1 (mutation testing forks its tests) no thread pool starts."""
    torch.set_num_threads(min(most, torch.get_num_threads()))


def evaluate(weights=None, limit=None, methods=("depthy", "inflate", "luminance", "flat"), size=None, optional=(),
             units: str | None = None):
    """Scores of every method on every set; `units`: how Depthy's raw nearness is read for Auto depth
    (default: nearness_units_of(weights))."""
    limit_threads()
    sets = evaluation_sets(optional)
    model = load_depthy(weights) if weights else None
    units = units or nearness_units_of(weights)
    if model is not None:   # score exactly what the add-on runs
        depthy_engine.use_model(model)
    results = {}
    for name, data in sets.items():
        if data is None:
            print(f"{name}: skipped ({MESH_DIR} not present)")
            continue
        if limit:
            data = {k: v[:limit] for k, v in data.items()}
        results[name] = {"samples": int(len(data["mask"]))}
        for method in methods:
            if method == "depthy" and model is None:
                continue
            t0 = time.time()
            preds = predict_all(method, data, model, size)
            results[name][method] = score(preds, data, auto_estimates(method, preds, units))
            results[name][method]["seconds"] = round(time.time() - t0, 1)
    return results


def print_table(results):
    for name, r in results.items():
        print(f"\n{name} ({r['samples']} drawings)")
        print(f"{'method':<10} {'nRMSE':>7} {'acc5':>7} {'normal°':>8} {'planar':>7} {'prop0.2':>7} {'propAuto':>8} "
              f"{'mask IoU':>9}")
        for method, m in r.items():
            if method != "samples":
                print(f"{method:<10} {m['nrmse']:7.4f} {m['acc5']:7.3f} {m.get('normal_deg', float('nan')):8.2f} "
                      f"{m.get('planarity', float('nan')):7.4f} {m.get('proportion', float('nan')):7.4f} "
                      f"{m.get('proportion_auto', float('nan')):8.4f} "
                      f"{m['iou']:9.3f}")
        if "depthy" in r and "inflate" in r:
            print(f"Depthy nRMSE / inflate nRMSE = {r['depthy']['nrmse'] / r['inflate']['nrmse']:.3f}; "
                  f"normal error {r['depthy']['normal_deg'] / r['inflate']['normal_deg']:.3f} of inflation's")
        if all(m in r for m in ("depthy", "inflate", "flat")) and np.isfinite(r["depthy"]["proportion_auto"]):
            best = min(r["flat"]["proportion"], r["inflate"]["proportion"], r["depthy"]["proportion"])
            print(f"Depthy Auto depth proportion error / best of flat, inflate and Depthy at ratio 0.2 = "
                  f"{r['depthy']['proportion_auto'] / best:.3f}")


def add_set_arguments(p: argparse.ArgumentParser) -> None:
    """A flag per optional set (--plates, --rods, --freestyle, …); chosen_sets() reads them back."""
    for name, table in SINGLE_FIGURE_SETS.items():
        p.add_argument(f"--{name}", action="store_true", help=f"also score {table.about}")
    p.add_argument("--freestyle", action="store_true",
                   help="also score the meshes drawn by Blender's Freestyle (needs bpy; built on first use)")


def chosen_sets(args: argparse.Namespace) -> tuple:
    """The optional sets whose flags add_set_arguments() saw."""
    return tuple(name for name in OPTIONAL_SETS if getattr(args, name))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", type=weights_file,
                   help="Depthy weights (.pt state dict or a training checkpoint); default: shipped")
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--limit", type=int, help="only the first N drawings of each set (quick look)")
    p.add_argument("--size", type=int, help="Depthy's working resolution (default: the drawing's own, 256)")
    p.add_argument("--nearness", choices=(proportion.UNIT_RANGE, proportion.FIGURE_WIDTHS),
                   help="what the weights' raw nearness was taught (default: a gpu_run log.json beside them, "
                        "the shipped model card, else the unit range)")
    add_set_arguments(p)
    args = p.parse_args()
    weights = args.weights
    if weights is None:
        from depthy_blender.models import weights as shipped
        try:
            weights = str(shipped.locate()[0])
        except shipped.WeightsError as exc:
            print(f"note: {exc}; scoring the baselines only")
    results = evaluate(weights, args.limit, size=args.size, optional=chosen_sets(args), units=args.nearness)
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

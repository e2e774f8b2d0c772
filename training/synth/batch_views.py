"""Training drawings made on the training device (issue 51, GPU data): several views of one random
solid per seed, traced together and inked together.

On a GPU the cost of sphere tracing is in launching each step's operations, not in the rays, so one
march for all of a solid's views costs about what one view costs. `views(seed, count, size, device)`:
- draws a solid and its first camera as dataset.sample does (every family, its own generators), then
  count − 1 more cameras, all from the seed's own streams ([seed, 20 …]): never the drawings of
  dataset.sample(seed), and never a test or validation drawing;
- frames and traces every view at once (render.frame_views, render.trace_views);
- inks them with batch_ink (the same random choices ink.draw makes, the maths in torch);
- gives the truth dataset.sample gives: nearness in [0, 1] on the mask, the mask, and the proportion
  (depth range ÷ width; NaN in perspective).
A view whose figure covers under 1 % of the image is left out, so a seed may give fewer than `count`.
`many(seeds, count, size, device)` gives views() of several seeds, their solids traced together: each
march step evaluates all of them with one batched CSG program (program.py), so on a GPU, where the
cost is in launching operations, a step costs about what one solid's does. The drawings are views()'s,
bit for bit (tests/training/test_program.py).

Dashed hidden lines are drawn on dataset.HIDDEN_SHARE of the views, as on the CPU generator's single
figures (two more marches, for those views together). What the CPU generator draws and these do not:
drawings of two or three figures side by side (a fifth there); training.gpu_run mixes in the CPU
workers' drawings, which have them.
Against the CPU reference (tests/training/test_batch_views.py): the same solid and cameras give
identical G-buffers, the drawings agree within batch_ink's tolerance, the truth exactly.
"""
from __future__ import annotations

import numpy as np
import torch

from . import batch_ink, dataset, ink, render, truth

STREAM = 20         # the seed's generators: [seed, 20] the solid and cameras, [seed, 21, k] view k's ink,
OPTION_STREAM = 30  # [seed, 22, k] its even pen, [seed, 23, k] its hidden lines, [seed, 32 …] the options'
                    # own (dataset.options_for)
TRIES = 8           # solids drawn for a seed before giving up on one that a camera sees


def solids(seed: int, count: int, options: dict, device=None):
    """Endless (shape, framed cameras, info) of a seed, from one generator: a solid, its first camera and
    count − 1 more, framed by a coarse trace on `device` (views takes the first that a camera sees)."""
    for shape, cams, info, rng in drawn(seed, count, options):
        yield shape, render.frame_views(shape, cams, rng, device=device), info


def drawn(seed: int, count: int, options: dict):
    """Endless (shape, cameras before framing, info, the generator that frames them) of a seed. Each
    must be framed from that generator before the next is drawn, as solids() does."""
    rng = np.random.default_rng([seed, STREAM])
    opts = dataset.options_for(seed, offset=OPTION_STREAM, **options)
    while True:
        shape, cam, info, view = dataset.figure(rng, opts)
        cams = [cam] + [dataset.camera(rng, opts.viewer)[0] for _ in range(count - 1)]
        yield shape, cams, info, rng


def plans(seed: int, masks: np.ndarray, even_lines: bool) -> list:
    """batch_ink plans of a seed's views (masks (V, H, W) on the CPU)."""
    out = []
    for k, mask in enumerate(masks):
        pen = np.random.default_rng([seed, STREAM + 2, k]) if even_lines else None
        if pen is not None and not pen.random() < ink.EVEN_SHARE:
            pen = None
        out.append(batch_ink.plan(mask, np.random.default_rng([seed, STREAM + 1, k]), pen=pen))
    return out


def hidden_cells(seed: int, views: int, size: int) -> list:
    """For each view, the cells its hidden lines are dashed in (ink._cells_on, as dataset.sample draws
    them), or None for the views drawn without hidden lines (1 − dataset.HIDDEN_SHARE of them)."""
    out = []
    for k in range(views):
        side = np.random.default_rng([seed, STREAM + 3, k])
        out.append(ink._cells_on((size, size), side, max(3.0, size / 50), 0.65)
                   if side.random() < dataset.HIDDEN_SHARE else None)
    return out


def _options_of(options):
    """`options` as a function of the seed: a callable is one already; a dict holds for every seed; None
    is every family on (as training.make_cache.OPTIONS)."""
    if callable(options):
        return options
    fixed = dict(options if options is not None else {name: True for name in FAMILIES})
    return lambda seed: fixed


def views(seed: int, count: int, size: int, device=None, options: dict | None = None,
          even_lines: bool = True) -> dict:
    """{"image": (V, size, size, 3) float32, "nearness": (V, size, size) float32, "mask": bool,
    "proportion": (V,) float32} on `device`, V ≤ count. `options`: dataset.sample's family flags (default:
    every one on, as training.make_cache.OPTIONS), or a function of the seed that gives them."""
    options = _options_of(options)(seed)
    for _, (shape, cams, _) in zip(range(TRIES), solids(seed, count, options, device)):
        mask, depth, normals = render.trace_views(shape, cams, size, device=device)
        keep = mask.sum((1, 2)) > 0.01 * size * size
        if keep.any():
            break
    idx = torch.nonzero(keep).squeeze(1)
    return _inked([seed], [shape], [[cams[int(k)] for k in idx.cpu()]], mask[idx], depth[idx], normals[idx],
                  size, even_lines, lambda shapes, cams, *a: render.hidden_layers_views(shapes[0], cams[0], *a))


def many(seeds: list, count: int, size: int, device=None, options: dict | None = None,
         even_lines: bool = True) -> dict:
    """views() of several seeds, their solids traced together (render.trace_solids: one batched program
    per march step for all of them, so on a GPU a step costs about what one solid's does). The same
    drawings as views(seed) for each seed in turn, concatenated, plus "seed" (V,) long: each view's seed."""
    options_of = _options_of(options)
    streams = {seed: drawn(seed, count, options_of(seed)) for seed in seeds}
    chosen = {}
    pending = list(seeds)
    for _ in range(TRIES):
        if not pending:
            break
        picks = {seed: next(streams[seed]) for seed in pending}
        shapes = [picks[s][0] for s in pending]
        framed = render.frame_solids(shapes, [picks[s][1] for s in pending], [picks[s][3] for s in pending],
                                     device=device)
        mask, depth, normals = render.trace_solids(shapes, framed, size, device=device)
        at, still = 0, []
        for seed, shape, cams in zip(pending, shapes, framed):
            part = slice(at, at + len(cams))
            at += len(cams)
            keep = mask[part].sum((1, 2)) > 0.01 * size * size
            chosen[seed] = (shape, cams, keep, mask[part], depth[part], normals[part])
            if not keep.any():
                still.append(seed)
        pending = still
    used, shapes, cams, parts = [], [], [], []
    for seed in seeds:
        shape, seed_cams, keep, mask, depth, normals = chosen[seed]
        idx = torch.nonzero(keep).squeeze(1)
        if idx.numel() == 0:
            continue
        used.append(seed)
        shapes.append(shape)
        cams.append([seed_cams[int(k)] for k in idx.cpu()])
        parts.append((mask[idx], depth[idx], normals[idx]))
    if not used:
        return _empty(size, device)
    mask, depth, normals = (torch.cat([p[k] for p in parts]) for k in range(3))
    out = _inked(used, shapes, cams, mask, depth, normals, size, even_lines, render.hidden_layers_solids)
    out["seed"] = torch.tensor([seed for seed, c in zip(used, cams) for _ in c], dtype=torch.long, device=mask.device)
    return out


def _empty(size: int, device) -> dict:
    return {"image": torch.zeros((0, size, size, 3), device=device), "nearness": torch.zeros((0, size, size), device=device),
            "mask": torch.zeros((0, size, size), dtype=torch.bool, device=device),
            "proportion": torch.zeros((0,), device=device), "seed": torch.zeros((0,), dtype=torch.long, device=device)}


def _inked(seeds: list, shapes: list, cams: list, mask, depth, normals, size: int, even_lines: bool,
           layers_of) -> dict:
    """The drawings and truth of traced views: cams[i] are seeds[i]'s kept cameras (shapes[i] its solid),
    and mask, depth and normals all their views in that order. `layers_of(shapes, cams, size, depth,
    mask)` traces the hidden layers of the dashed views (cams: per solid, only its dashed cameras)."""
    masks_cpu, depth_cpu = mask.cpu().numpy(), depth.cpu().numpy()
    hidden = torch.zeros_like(mask)
    dashed, dashed_shapes, dashed_cams, cells_on, all_plans, at = [], [], [], [], [], 0
    for seed, shape, seed_cams in zip(seeds, shapes, cams):
        n = len(seed_cams)
        cells = hidden_cells(seed, n, size)
        mine = [k for k, c in enumerate(cells) if c is not None]
        if mine:
            dashed += [at + k for k in mine]
            dashed_shapes.append(shape)
            dashed_cams.append([seed_cams[k] for k in mine])
            cells_on += [cells[k] for k in mine]
        all_plans += plans(seed, masks_cpu[at:at + n], even_lines)
        at += n
    if dashed:
        idx = torch.tensor(dashed, device=mask.device)
        layers = layers_of(dashed_shapes, dashed_cams, size, depth[idx], mask[idx])
        on = torch.as_tensor(np.stack(cells_on), device=mask.device)
        hidden[idx] = batch_ink.hidden_lines(mask[idx], depth[idx], normals[idx], layers, on)
    image = batch_ink.draw(mask, depth, normals, all_plans, hidden)
    flat = [c for seed_cams in cams for c in seed_cams]
    proportion = torch.tensor([_proportion(m, d, c) for m, d, c in zip(masks_cpu, depth_cpu, flat)],
                              dtype=torch.float32, device=mask.device)
    return {"image": image, "nearness": nearness(depth, mask), "mask": mask, "proportion": proportion}


FAMILIES = ("face_features", "rods", "blobs", "ribs", "vessels", "clusters", "shells", "perspective")


def nearness(depth: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """dataset._nearness for views: nearer = larger, [0, 1] over each mask, 0 outside; a view with no
    depth range is all near."""
    inf = torch.tensor(float("inf"), device=depth.device)
    lo = torch.where(mask, depth, inf).amin((1, 2), keepdim=True)
    hi = torch.where(mask, depth, -inf).amax((1, 2), keepdim=True)
    spread = hi - lo
    unit = torch.where(spread > 1e-4, (hi - depth) / spread.clamp(min=1e-12), torch.ones_like(depth))
    return torch.where(mask, unit, torch.zeros_like(depth)).float()


def _proportion(mask: np.ndarray, depth: np.ndarray, cam) -> float:
    if cam.perspective > 0:
        return float("nan")
    return truth.proportion(mask, depth, 2.0 * cam.half_size / mask.shape[1])

"""Render synthetic drawings ahead of training into shards (so the 2 CPU cores train, not render).

    python -m training.make_cache --size 128 --start 1000000 --count 40000 --out training/cache/train128
    python -m training.make_cache ... --face-features     # pockets, grids, counterbores, steps (synth/faces.py)
    python -m training.make_cache ... --rods              # long thin pins, shafts, tubes (solids.random_rod)
    python -m training.make_cache ... --rods --rod-share 0.6   # most figures rods, not 15 %
    python -m training.make_cache ... --perspective       # 40 % of the figures seen in perspective
    python -m training.make_cache ... --blobs             # smooth organic figures (solids.random_blob)
    python -m training.make_cache ... --ribs              # plates with square/honeycomb pockets (faces.rib_lattice)
    python -m training.make_cache ... --vessels           # smooth turned pots and jugs (solids.random_vessel)
    python -m training.make_cache ... --clusters          # bodies with parts standing out (solids.random_cluster)
    python -m training.make_cache ... --shells            # hollow open trays, boxes, cups, bowls (shells.random_shell)
    python -m training.make_cache ... --even-lines        # half the drawings with every line one thin weight
    python -m training.make_cache ... --library DIR       # every drawing one mesh from a folder (synth/library.py)

A mesh library to hand: the pybullet wheel holds ~1,200 meshes (robot links, gears, props, random objects):
    pip download --no-deps pybullet==3.2.7 -d /tmp/pb && unzip -q /tmp/pb/pybullet-*.whl 'pybullet_data/*' -d LIB
    python -m training.make_cache ... --library LIB/pybullet_data   # its folders are the weighting's groups
    python -m training.make_cache ... --library LIB/pybullet_data --skip-folder random_urdfs  # no block objects
    python -m training.make_cache ... --library LIB/pybullet_data --upright 0.8   # 80 % standing as modelled
A second one, ~840 meshes (a dog's bones, household props, robot arms and hands), from three more wheels:
    pip download --no-deps robosuite==1.5.2 metaworld==3.1.1 dm-control==1.0.50 -d /tmp/mw
    for w in /tmp/mw/*.whl; do unzip -q $w '*.stl' '*.STL' '*.obj' '*.ply' -d /tmp/mw/x; done
    cd /tmp/mw/x && mkdir LIB2 && mv dm_control/suite/dog_assets LIB2/dog && \
        mv dm_control/third_party/kinova/meshes_decimated LIB2/kinova && mv metaworld/assets/objects/meshes LIB2/metaworld && \
        mv robosuite/models/assets/objects/meshes LIB2/objects && mv robosuite/models/assets/robots LIB2/robots && \
        mv robosuite/models/assets/grippers LIB2/grippers

Shard k holds seeds start + k·shard … : image uint8 (N, S, S, 3), nearness uint16 (N, S, S),
mask bool (N, S, S). Existing shards are kept, so an interrupted run resumes.
"""
import argparse
import time
from pathlib import Path

import numpy as np
import torch

from training.synth import dataset, library


# dataset.sample's drawing options, each a flag (--face-features, …) with what it does
OPTIONS = {
    "face_features": "cut machined features into some faces",
    "rods": "make some figures long thin pins, shafts or tubes",
    "perspective": "see some figures in perspective instead",
    "blobs": "make some figures smooth organic shapes",
    "ribs": "make some figures plates with lattices of pockets",
    "vessels": "make some figures smooth turned pots and jugs",
    "clusters": "make some figures bodies with parts standing out of them",
    "shells": "make some figures hollow open trays, boxes, cups and bowls",
    "even_lines": "ink half the drawings with every line at one thin weight (also with --library)",
}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--start", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--shard", type=int, default=500)
    p.add_argument("--out", required=True)
    for name, about in OPTIONS.items():
        p.add_argument("--" + name.replace("_", "-"), action="store_true", help=about)
    p.add_argument("--rod-share", type=float, default=dataset.ROD_SHARE, help="with --rods: the share of figures made rods")
    p.add_argument("--library", help="draw meshes from this folder instead (the evaluation meshes left out)")
    p.add_argument("--part", choices=("train", "val"), default="train",
                   help="with --library: the training meshes or the held-out tenth (for validation)")
    p.add_argument("--skip-folder", action="append", default=[], metavar="NAME",
                   help="with --library: leave out this top-level folder (repeatable)")
    p.add_argument("--upright", type=float, default=0.0, metavar="SHARE",
                   help="with --library: this share of the drawings keep the mesh's +z up, seen level or from above")
    args = p.parse_args()
    if args.library:
        from training.evaluate import MESH_DIR
        evaluation = [path.stem for path in MESH_DIR.iterdir()] if MESH_DIR.is_dir() else []
        files, odds = library.catalogue(Path(args.library), evaluation, args.part, args.skip_folder)
        print(f"{len(files)} {args.part} meshes in {args.library}", flush=True)
        draw = lambda seed: library.sample(seed, files, odds, args.size, args.upright, args.even_lines)  # noqa: E731
    else:
        chosen = {name: getattr(args, name) for name in OPTIONS}
        draw = lambda seed: dataset.sample(seed, args.size, rod_share=args.rod_share, **chosen)  # noqa: E731
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for k in range((args.count + args.shard - 1) // args.shard):
        path = out / f"shard-{k:04d}.npz"
        if path.exists():
            continue
        t0 = time.time()
        seeds = range(args.start + k * args.shard, args.start + min(args.count, (k + 1) * args.shard))
        items = [draw(s) for s in seeds]
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, seeds=np.array(list(seeds)),
                 image=np.stack([(i["image"] * 255 + 0.5).astype(np.uint8) for i in items]),
                 nearness=np.stack([(i["nearness"] * 65535 + 0.5).astype(np.uint16) for i in items]),
                 mask=np.stack([i["mask"] for i in items]), info=np.array([i["info"] for i in items]))
        tmp.rename(path)
        print(f"{path.name}: {len(items)} samples in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()

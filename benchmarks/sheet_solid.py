"""Three-view sheet → solid: volume IoU against the true part, with the ceilings beside it.

    python benchmarks/sheet_solid.py [--sheets 56] [--real ../shared/data/three_view]
                                     [--meshes ../shared/data/meshes] [--resolution 128]

Generated sheets (benchmarks/three_view_parts.py: eight families of machined parts, drawn third-angle as
PNGs with hidden lines dashed) and the shared real parts (a 1:1 mm DXF and a PNG of each, with the true
STL), and the closed meshes in ../shared/data/meshes drawn the same way as the generated parts (their
crossings along each ray instead of exact intervals) go through the add-on's own sheet path (pipeline/sheet.py, `--solid`), views found on the sheet.
For each, the table gives the IoU of:
  ours         the solid the add-on builds (silhouette hull with holes, slots and pockets cut from lines);
  hull         the same run with the lines inside the views ignored (the previous method), measured here;
  outline hull the best a hull of the drawn outlines can do: the hull of the true part's filled silhouettes
               (the "silhouette-hull ceiling");
  with holes   the hull of the true silhouettes keeping the through-holes (what holes seen end-on add);
  box          the part's filled bounding box.
IoU is taken on the solid's voxel grid over the part's bounding box; a sheet with no solid scores 0.
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import three_view_parts as parts  # noqa: E402
from depthy_blender.core import visual_hull  # noqa: E402
from depthy_blender.pipeline import sheet  # noqa: E402


def solid_of(path: Path, resolution: int, lines: bool):
    """The add-on's solid (occupancy) for a sheet, or None with the reason."""
    request = sheet.SheetRequest(str(path), "inflate", solid=True, resolution=24, solid_resolution=resolution,
                                 read_lines=lines)
    outcome = sheet.compute(request, lambda f, s: None, lambda: False)
    if outcome.solid is None:
        return None, "; ".join(outcome.messages)
    return outcome.solid.occupancy, ""


def hull_ceiling(truth: np.ndarray, filled: bool) -> float:
    """IoU of the hull of the true part's three silhouettes, outlines filled or through-holes kept."""
    f, s, t = truth.any(axis=1), truth.any(axis=0), truth.any(axis=2)
    if filled:
        f, s, t = (ndimage.binary_fill_holes(m) for m in (f, s, t))
    return visual_hull.iou(f[:, None, :] & s[None, :, :] & t[:, :, None], truth)


def score(path: Path, truth_of, resolution: int) -> dict:
    row = {}
    for key, lines in (("ours", True), ("hull", False)):
        occ, why = solid_of(path, resolution, lines)
        if occ is None:
            row[key], row["why"] = 0.0, why
            continue
        truth = truth_of(occ.shape)
        row[key] = visual_hull.iou(occ, truth)
        row["outline hull"] = hull_ceiling(truth, filled=True)
        row["with holes"] = hull_ceiling(truth, filled=False)
        row["box"] = float(truth.mean())
        if key == "ours" and row["ours"] <= row["outline hull"]:
            row["layer"] = worst_layer(occ, truth, truth_of)
    return row


def worst_layer(occ: np.ndarray, truth: np.ndarray, truth_of) -> str:
    """Where a solid below the ceiling goes wrong, when one voxel layer holds most of its wrong cells:
    how far from that layer's middle the true surface runs (the truth sampled 16 times finer across
    the layer). A surface through a layer's middle is decided by the drawing's last half pixel."""
    wrong = occ ^ truth
    for ax in range(3):
        profile = wrong.sum(axis=tuple(a for a in range(3) if a != ax))
        k = int(np.argmax(profile))
        if profile[k] < 0.5 * wrong.sum():
            continue
        fine = list(occ.shape)
        fine[ax] *= 16
        layer = np.take(truth_of(tuple(fine)), np.arange(16 * k, 16 * k + 16), axis=ax).mean(axis=ax)
        share = float(layer[np.take(wrong, k, axis=ax)].mean())
        return (f"{profile[k]} of {wrong.sum()} wrong cells lie in one layer (axis {'xyz'[ax]}, {k}); the true "
                f"surface crosses it {abs(share - 0.5):.2f} of a cell from its middle")
    return f"{wrong.sum()} wrong cells, in no single layer"


def generated_rows(count: int, resolution: int, folder: Path) -> list:
    rows = []
    for seed in range(count):
        part = parts.generated(seed)
        path = folder / f"{part.name}.png"
        parts.save_sheet(part, path)
        row = score(path, part.occupancy, resolution)
        rows.append({"name": part.name, "family": part.name.rsplit("-", 1)[0], "holes": part.holes, **row})
    return rows


def real_rows(folder: Path, resolution: int) -> list:
    import trimesh
    rows = []
    for stl in sorted(folder.glob("*.stl")):
        mesh = trimesh.load(stl)
        lo, hi = mesh.bounds

        def truth_of(shape, mesh=mesh, lo=lo, hi=hi):
            return parts.mesh_occupancy(mesh.vertices, mesh.faces, shape, lo, hi)
        for ext in ("dxf", "png"):
            path = stl.with_suffix("." + ext)
            if path.exists():
                rows.append({"name": f"{stl.stem}.{ext}", "family": f"real {ext}", "holes": 1,
                             **score(path, truth_of, resolution)})
    return rows


def mesh_rows(folder: Path, resolution: int, tmp: Path) -> list:
    """The closed (watertight) meshes of a folder, each drawn as a three-view sheet and scored."""
    import trimesh
    rows = []
    for path in sorted(folder.iterdir()):
        try:
            mesh = trimesh.load(path, force="mesh")
        except Exception:   # not a mesh (a licence file)
            continue
        if not mesh.is_watertight:
            continue
        part = parts.MeshPart(path.stem, np.asarray(mesh.vertices, np.float64), np.asarray(mesh.faces))
        sheet_path = tmp / f"{path.stem}.png"
        parts.save_sheet(part, sheet_path)
        rows.append({"name": path.stem, "family": "real meshes", "holes": 1,
                     **score(sheet_path, part.occupancy, resolution)})
    return rows


def table(rows: list, title: str) -> None:
    print(f"\n{title}")
    columns = ("ours", "hull", "outline hull", "with holes", "box")
    print(f"{'family':<16}{'n':>4}" + "".join(f"{c:>14}" for c in columns) + f"{'ours > outline hull':>22}")
    families = sorted({r["family"] for r in rows})
    for fam in families + ["all"]:
        sel = [r for r in rows if fam in ("all", r["family"])]
        holed = [r for r in sel if r["holes"]]
        above = sum(r["ours"] > r.get("outline hull", 1.0) for r in holed)
        print(f"{fam:<16}{len(sel):>4}" + "".join(f"{np.mean([r.get(c, 0.0) for r in sel]):>14.3f}" for c in columns)
              + f"{f'{above}/{len(holed)}':>22}")
    for r in rows:
        if r.get("why"):
            print(f"  {r['name']}: no solid: {r['why']}")
        elif r.get("layer") and r["holes"]:
            print(f"  {r['name']} at or below the outline hull ({r['ours']:.3f} vs {r['outline hull']:.3f}): {r['layer']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sheets", type=int, default=56, help="generated sheets (seeds 0 …)")
    parser.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "data" / "three_view")
    parser.add_argument("--meshes", type=Path, default=ROOT.parent / "shared" / "data" / "meshes")
    parser.add_argument("--resolution", type=int, default=128, help="voxels along the longest side")
    args = parser.parse_args()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        rows = generated_rows(args.sheets, args.resolution, Path(tmp))
    table(rows, f"{len(rows)} generated three-view sheets (PNG, hidden lines dashed)")
    if args.real.is_dir():
        real = real_rows(args.real, args.resolution)
        table(real, f"real parts in {args.real}")
    else:
        print(f"\n({args.real} not present: real parts skipped)")
    if args.meshes.is_dir():
        with tempfile.TemporaryDirectory() as tmp:
            meshes = mesh_rows(args.meshes, args.resolution, Path(tmp))
        table(meshes, f"closed meshes in {args.meshes}, drawn as three-view PNGs")
        for r in meshes:
            print(f"  {r['name']:<20} ours {r.get('ours', 0):.3f}  hull {r.get('hull', 0):.3f}  "
                  f"outline hull {r.get('outline hull', 0):.3f}")
    else:
        print(f"\n({args.meshes} not present: meshes skipped)")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

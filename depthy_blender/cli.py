"""Headless commands: `depth` (image → nearness .npy) and `mesh` (image or folder → .glb/.obj/.blend).

`mesh` needs Blender's Python module (bpy); `depth` needs only numpy/scipy (and torch for learned engines).
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

import numpy as np

from .errors import DepthyError, described, first_line
from .core import options, proportion
from .core.relief import BACKS, BASE, MAX_RESOLUTION, MIN_RESOLUTION
from .models import engine, engines
from .models.engine import EngineOptions
from .pipeline import drawing, sheet

MESH_FORMATS = (".glb", ".obj", ".blend")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


DEPTH_MAX_SIDE = 4096   # `depth` reads larger images downscaled to this and writes nearness at that size


def main(argv=None) -> int:
    """Run one command. A user error is one line on stderr and exit code 2; Ctrl-C exits 130."""
    args = _parser().parse_args(argv)
    try:
        _check_options(args)
        _check_outputs(args)
        code = args.func(args)
    except DepthyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    except OSError as exc:   # an output folder that cannot be written, a full disk
        print(f"error: cannot write {exc.filename or 'the output'}: {exc.strerror or exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        code = 130
    return code


def run_as_program(argv=None) -> int:
    """`python -m depthy_blender`: main(), then, where Blender 4.2's module would crash at interpreter
    exit, leave at once (never from main() itself, which tests and scripts call in-process)."""
    code = main(argv)
    if "bpy" in sys.modules:
        from .blender import headless
        headless.end_process(code)
    return code


class CliError(DepthyError):
    pass


def _check_options(args) -> None:
    """Every numeric option against its one range (core/options.py), before any work starts."""
    if isinstance(getattr(args, "ratio", None), str):   # --ratio: "auto" or a number
        args.ratio = "auto" if args.ratio.strip().lower() == "auto" else float(options.check("ratio", args.ratio, as_flag=True))
    for name in ("base", "smoothing", "size", "depthy_resolution", "foreground_ratio", "mc_resolution",
                 "solid_resolution", "background_tolerance", "mm_per_px", "resolution"):
        if getattr(args, name, None) is not None:
            options.check(name, getattr(args, name), as_flag=True)


def _outputs(args) -> list[str]:
    outs = args.output if isinstance(args.output, list) else [args.output]
    return [o for o in outs + [getattr(args, k, None) for k in ("mask", "render", "render_side", "json")] if o]


def _check_outputs(args) -> None:
    """No output may be an input, or a folder holding one, and no two outputs may be the same file."""
    source = Path(args.image if hasattr(args, "image") else args.input)
    inputs = [source] + ([Path(args.views)] if getattr(args, "views", None) else [])
    if source.is_dir():
        inputs += [p for p in source.iterdir() if p.is_file()]
    seen = set()
    for out in _outputs(args):
        target = Path(out).resolve()
        if target in seen:
            raise CliError(f"{out} is given twice as an output")
        seen.add(target)
        for item in inputs:
            item = item.resolve()
            if target == item or (target.exists() and item.exists() and os.path.samefile(target, item)):
                raise CliError(f"{out} is an input; writing it would destroy it (choose another output)")
            if item.is_file() and target in item.parents:
                raise CliError(f"{out} holds the input {item.name}; choose an output folder of its own")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m depthy_blender", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    depth = sub.add_parser("depth", help="image → float32 nearness (.npy, larger = nearer)")
    depth.add_argument("image", help="a drawing or photo (PNG, JPEG, BMP, TIFF, WebP)")
    depth.add_argument("-o", "--output", required=True, help="OUT.npy")
    depth.add_argument("--mask", help="also write the figure mask (bool .npy)")
    _engine_args(depth)
    _faces_arg(depth)
    depth.set_defaults(func=_cmd_depth)

    mesh = sub.add_parser("mesh", help="image or folder → relief mesh (.glb, .obj, .blend)")
    mesh.add_argument("input", help="an image, or a folder of images (batch)")
    mesh.add_argument("-o", "--output", required=True, action="append",
                      help="OUT.glb|.obj|.blend (repeat for several); a folder when the input is a folder")
    mesh.add_argument("--format", choices=[f[1:] for f in MESH_FORMATS], default="glb",
                      help="output type for folder input (default glb)")
    _engine_args(mesh)
    _faces_arg(mesh)
    mesh.add_argument("--ratio", default="auto",
                      help="depth ratio: thickness / width, or auto: as deep as the engine sees the figure drawn "
                           "(default auto; 0.2 where the engine cannot tell)")
    mesh.add_argument("--smoothing", type=float, default=1.0, help="Gaussian sigma in grid cells (default 1)")
    mesh.add_argument("--resolution", type=int, default=256,
                      help=f"grid samples on the longer side ({MIN_RESOLUTION}–{MAX_RESOLUTION}, default 256)")
    mesh.add_argument("--back", choices=BACKS, default="none",
                      help="none: an open relief surface; flat: a closed solid with a flat back; mirror: a closed solid "
                           "with the relief mirrored on its back (default none)")
    mesh.add_argument("--base", type=float, default=BASE,
                      help=f"a closed back's distance behind the relief, ÷ the width (default {BASE})")
    mesh.add_argument("--triangles", action="store_true", help="triangles instead of quads")
    mesh.add_argument("--background", choices=("auto", "border"), default="auto",
                      help="auto: the engine's figure; border: flood fill from the image border, for photos "
                           "(default auto)")
    mesh.add_argument("--background-tolerance", type=float, default=0.03,
                      help="largest colour step the border fill crosses (default 0.03)")
    mesh.add_argument("--size", type=float, default=1.0, help="longer side of the mesh in metres (default 1)")
    mesh.add_argument("--flip", action="append", type=_pixel, metavar="X,Y",
                      help="flip the drawn area under this pixel of the image (x right, y down) about the level "
                           "round it, as the panel's Flip Selected Areas does: a pocket the engine raised sinks "
                           "(repeat for several; single image only)")
    mesh.add_argument("--fill", action="append", type=_pixel, metavar="X,Y",
                      help="fill the hole under this pixel of the image, as the panel's Fill Holes does: a boss "
                           "the engine left out as a hole joins the figure at the depth it reads there (then "
                           "--flip X,Y raises it; repeat for several; single image only)")
    mesh.add_argument("--cut", action="append", type=_pixel, metavar="X,Y",
                      help="cut the drawn area under this pixel out of the figure, as the panel's Cut Selected "
                           "Areas does: a hole the engine read as a face (repeat for several; single image only)")
    mesh.add_argument("--render", help="also write a preview PNG (single image only)")
    mesh.add_argument("--render-side", help="also write a PNG of the relief's profile seen from the right")
    mesh.set_defaults(func=_cmd_mesh)

    sheet = sub.add_parser("sheet", help="drawing sheet (image or DXF) → one relief per view (+ solid)")
    sheet.add_argument("input", help="a sheet image or .dxf, or a folder of them (batch)")
    sheet.add_argument("-o", "--output", required=True, action="append",
                       help="OUT.blend|.glb|.obj (repeat for several); a folder when the input is a folder")
    sheet.add_argument("--json", help="write the views found ({views: [{box, role}]}, input pixels)")
    sheet.add_argument("--views", help="use these views (same JSON) instead of finding them")
    sheet.add_argument("--solid", action="store_true", help="also carve one solid from front, side and top, "
                       "with the holes, slots and pockets the lines inside the views show")
    sheet.add_argument("--outline-only", action="store_true",
                       help="carve the solid from the views' outlines alone (the lines inside are not read)")
    sheet.add_argument("--solid-resolution", type=int, default=128,
                       help="least voxels along the solid's longest side; raised for a wall under three voxels "
                            "(default 128)")
    sheet.add_argument("--refine-depth", action="store_true",
                       help="also carve the solid with each view's estimated depth (see README: lowers IoU today)")
    sheet.add_argument("--flat-faces", action=argparse.BooleanOptionalAction, default=True,
                       help="each view's areas closed by lines are flat faces, as a machined part's square-on views "
                            "show them (default True); --no-flat-faces: each view's depth as the engine reads it, "
                            "for round parts")
    sheet.add_argument("--render", help="also write a preview PNG")
    sheet.add_argument("--resolution", type=int, default=192, help="relief grid per view (default 192)")
    sheet.add_argument("--mm-per-px", type=float, default=None,
                       help="a raster sheet's scale, for a true-size solid (a DXF's units set its own)")
    _engine_args(sheet)
    sheet.set_defaults(func=_cmd_sheet)
    return parser


def _faces_arg(p):
    p.add_argument("--faces", default="engine", choices=tuple(drawing.FACES),
                   help="how each area the lines close is read: engine = as the engine reads it (default); flat = "
                        "one flat face, for a part drawn square-on (a plate, a gear); planar = one plane, joined to "
                        "its neighbours at creases, for a machined part drawn in a pictorial view (a bracket, a block)")


def _engine_args(p):
    p.add_argument("--engine", "--backend", dest="engine", default="auto",
                   help="engine name, or auto = best available (default); --backend is the old name")
    p.add_argument("--device", default="AUTO", choices=("AUTO", "CPU", "CUDA", "MPS", "DIRECTML"),
                   help="where learned engines run (default AUTO: a GPU if the package has one and it is here)")
    p.add_argument("--depthy-resolution", "--depthy-size", dest="depthy_resolution", type=int, default=256,
                   help="pixels on the longer side Depthy reads (default 256; --depthy-size is the old name)")
    p.add_argument("--triposr-folder", default="", help="folder with TripoSR's config.yaml and model.ckpt "
                   "(default: the Hugging Face cache)")
    p.add_argument("--triposr-output", choices=("full", "relief"), default="full",
                   help="TripoSR: full object (marching cubes) or input-view relief (default full)")
    p.add_argument("--foreground-ratio", type=float, default=0.85, help="TripoSR framing, 0.5–1.0 (default 0.85)")
    p.add_argument("--mc-resolution", type=int, default=256, help="TripoSR marching cubes grid, 32–512 (default 256)")


def engine_options(args) -> EngineOptions:
    """The engines' options from the command line (the add-on builds the same from its preferences)."""
    return EngineOptions(device=args.device, depthy_resolution=args.depthy_resolution, triposr_folder=args.triposr_folder,
                         triposr_output=args.triposr_output.upper(), foreground_ratio=args.foreground_ratio,
                         mc_resolution=args.mc_resolution,
                         relief_resolution=max(64, min(512, getattr(args, "resolution", 256))))


def _pixel(text: str) -> tuple[float, float]:
    """"X,Y" → (x, y), a pixel of the input image."""
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected X,Y (a pixel, e.g. 250,180), not {text!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise argparse.ArgumentTypeError(f"expected X,Y as finite numbers, not {text!r}")
    return x, y


def _points(path: Path, pixels, flag: str) -> tuple:
    """The pixels given with `flag` (--flip, --fill, --cut) as points (u, v) on the drawing, checked against the
    image's size."""
    if not pixels:
        return ()
    from PIL import Image
    try:
        with Image.open(path) as img:
            width, height = img.size
    except (OSError, ValueError) as exc:   # missing, unreadable or not an image
        raise CliError(f"{path}: cannot read the image the {flag} pixels are on ({first_line(exc)})") from None
    for x, y in pixels:
        if not (0 <= x < width and 0 <= y < height):
            raise CliError(f"{flag} {x:g},{y:g} is outside the image ({width}×{height} px)")
    return tuple(((x + 0.5) / width, (y + 0.5) / height) for x, y in pixels)


def _engine(args) -> engine.Engine:
    return engines.best_available(engine_options(args)) if args.engine == "auto" else engines.get(args.engine)


def _progress(fraction, stage):
    print(f"  {fraction:4.0%} {stage}", file=sys.stderr)


def _cmd_depth(args) -> int:
    loaded = drawing.read(args.image, DEPTH_MAX_SIDE)
    for message in loaded.messages:
        print(f"note: {message}", file=sys.stderr)
    result = drawing.estimate(loaded.rgba, _engine(args).name, engine_options(args), _progress)
    if "note" in result.meta:
        print(f"note: {result.meta['note']}", file=sys.stderr)
    if args.faces != "engine":
        result, note = drawing.as_faces(result, loaded.rgba, result.mask, args.faces)
        if note:
            print(f"note: {note}", file=sys.stderr)
    nearness, mask = result.nearness, result.mask
    height, width = nearness.shape   # the image's size, or its downscaled size when it was larger
    if (width, height) != tuple(loaded.source_size):
        print(f"note: nearness written at {width}×{height}, the size the image was read at", file=sys.stderr)
    _ensure_parent(args.output)
    np.save(args.output, nearness.astype(np.float32))
    if args.mask:
        _ensure_parent(args.mask)
        np.save(args.mask, mask.astype(bool))
    where = result.meta.get("where") or f"engine {result.meta.get('engine', args.engine)}"
    if result.meta.get("why_cpu"):
        where += f" ({result.meta['why_cpu']})"
    print(f"wrote {args.output} ({width}×{height}, {where})")
    return 0


def _cmd_mesh(args) -> int:
    try:
        from .blender import headless
    except ImportError as exc:
        raise CliError(f"the mesh command needs Blender's Python module (pip install bpy): {exc}") from None
    chosen = _engine(args).name
    auto = args.ratio == "auto"
    options = dict(engine=chosen, options=engine_options(args), ratio=proportion.FALLBACK_RATIO if auto else args.ratio,
                   auto_ratio=auto, smoothing=args.smoothing, base=args.base, resolution=args.resolution,
                   back=args.back, triangles=args.triangles, size=args.size, background=args.background,
                   background_tolerance=args.background_tolerance, faces=args.faces)
    source = Path(args.input)
    if source.is_dir():
        for flag, given in (("--flip", args.flip), ("--fill", args.fill), ("--cut", args.cut)):
            if given:
                raise CliError(f"{flag} names a pixel of one image: give an image, not a folder")
        return _batch(headless, source, args, options)
    options["flips"] = _points(source, args.flip, "--flip")
    options["fills"] = _points(source, args.fill, "--fill")
    options["cuts"] = _points(source, args.cut, "--cut")
    outputs = args.output
    for out in outputs:
        if Path(out).suffix.lower() not in MESH_FORMATS:
            raise CliError(f"{out}: output must end in one of {', '.join(MESH_FORMATS)}")
    obj = headless.make_relief_files(str(source), outputs, options, render=args.render, progress=_progress,
                                     render_side=args.render_side)
    if obj.depthy.ran_on:
        why = f" ({obj.depthy.why_cpu})" if obj.depthy.why_cpu else ""
        print(f"  {obj.depthy.ran_on}{why}", file=sys.stderr)
    for out in outputs + [r for r in (args.render, args.render_side) if r]:
        print(f"wrote {out}")
    return 0


def _cmd_sheet(args) -> int:
    try:
        from .blender import headless
    except ImportError as exc:
        raise CliError(f"the sheet command needs Blender's Python module (pip install bpy): {exc}") from None
    chosen = _engine(args).name
    views = _read_views(args.views) if args.views else None
    source = Path(args.input)

    def request(path):
        return sheet.SheetRequest(str(path), chosen, views=views, solid=args.solid,
                                           options=engine_options(args),
                                           solid_resolution=args.solid_resolution, mm_per_px=args.mm_per_px or 0.0,
                                           read_lines=not args.outline_only,
                                           refine_depth=args.refine_depth, resolution=args.resolution,
                                           flat_faces=args.flat_faces)
    if not source.is_dir():
        if not source.is_file():
            raise CliError(f"Sheet file not found: {source}")
        headless.make_sheet_files(request(source), args.output, render=args.render, json_out=args.json,
                                  progress=_progress)
        for out in args.output + [o for o in (args.render, args.json) if o]:
            print(f"wrote {out}")
        return 0
    files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES | {".dxf"})
    if not files:
        raise CliError(f"no sheets (images or .dxf) in {source}")
    out_dir = Path(args.output[0])
    names = batch_names(files, ".blend")
    failed = []
    for i, path in enumerate(files, 1):
        print(f"[{i}/{len(files)}] {path.name}", file=sys.stderr)
        try:
            headless.make_sheet_files(request(path), [str(out_dir / names[path])], progress=_progress)
        except KeyboardInterrupt:
            raise
        except Exception as exc:   # one sheet's failure never stops the batch
            failed.append(path.name)
            print(f"  failed: {_one_line(exc)}", file=sys.stderr)
    return _summary(len(files), failed, out_dir)


def _read_views(path: str) -> list:
    import json
    try:
        views = json.loads(Path(path).read_text())["views"]
        if not isinstance(views, list) or not all(isinstance(v, dict) and "box" in v for v in views):
            raise ValueError("each view needs a box")
        return views
    except OSError as exc:
        raise CliError(f"--views {path}: cannot read it ({exc.strerror or exc})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise CliError(f"--views {path}: not a views file ({{\"views\": [{{\"box\": …, \"role\": …}}]}}): {exc}") from None


def batch_names(files: list[Path], suffix: str) -> dict[Path, str]:
    """One output name per input: the stem, or stem-extension where two inputs share a stem
    (part.png and part.jpg → part-png.glb and part-jpg.glb), so no output overwrites another."""
    stems: dict[str, int] = {}
    for path in files:
        stems[path.stem.lower()] = stems.get(path.stem.lower(), 0) + 1
    return {p: (f"{p.stem}-{p.suffix[1:].lower()}" if stems[p.stem.lower()] > 1 else p.stem) + suffix
            for p in files}


def _batch(headless, folder: Path, args, options) -> int:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise CliError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {folder}")
    out_dir = Path(args.output[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    names = batch_names(files, f".{args.format}")
    failed = []
    for i, path in enumerate(files, 1):
        target = out_dir / names[path]
        print(f"[{i}/{len(files)}] {path.name} → {target}", file=sys.stderr)
        try:
            headless.make_relief_files(str(path), [str(target)], options)
        except KeyboardInterrupt:
            raise
        except Exception as exc:   # one file's failure, whatever it is, never stops the batch
            failed.append(path.name)
            print(f"  failed: {_one_line(exc)}", file=sys.stderr)
    return _summary(len(files), failed, out_dir)


def _one_line(exc: BaseException) -> str:
    return first_line(exc) if isinstance(exc, DepthyError) else described(exc)


def _summary(total: int, failed: list[str], out_dir) -> int:
    """The batch's last line, and its exit code: 0 when every file was converted, 1 otherwise."""
    print(f"done: {total - len(failed)} of {total} converted into {out_dir}"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def _ensure_parent(path: str):
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)

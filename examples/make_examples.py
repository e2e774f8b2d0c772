"""Draws the example drawings in this folder, each with its true depth (deterministic).

Each example is a solid built and sphere-traced by the training generator (training/synth) in one
orthographic view and inked as a drawing, saved as NAME.png beside NAME-truth.npz: the true nearness
(uint16, 0–65535 for far–near over the figure), the figure mask and the figure's depth ÷ width
(`proportion`). tests/models/test_examples.py scores Depthy and inflation on them.

    python examples/make_examples.py             # from the repository root (needs torch, like training/)
    python examples/make_examples.py --renders   # then docs/examples.png: each drawing, and its relief from
                                                 # the front and the side (Depthy, Auto depth, flat back)
    python examples/make_examples.py --turned-renders   # docs/turned.png: the same for the two lathe parts
                                                        # with the Turned engine and a mirrored back
"""
from __future__ import annotations

import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from training.synth import framed, sdf  # noqa: E402

SIZE = 512


def bottle():
    """A perfume bottle, seen across its axis: body, rounded shoulder, neck and cap."""
    profile = sdf.polygon2d([(0.0, -0.85), (0.40, -0.85), (0.45, -0.75), (0.45, 0.05), (0.38, 0.18),
                             (0.16, 0.28), (0.13, 0.30), (0.13, 0.48), (0.20, 0.48), (0.20, 0.78),
                             (0.0, 0.78)])
    return sdf.revolve(profile), ((0.0, 0.0, -1.0), (0.0, 1.0, 0.0)), "lines"


def gear():
    """A spur gear, seen square-on: 14 teeth, a raised hub and a bore."""
    teeth, points = 14, []
    for k in range(teeth * 4):
        angle = 2 * math.pi * k / (teeth * 4)
        r = 0.80 if k % 4 in (1, 2) else 0.66
        points.append((r * math.cos(angle), r * math.sin(angle)))
    body = sdf.extrude(sdf.polygon2d(points), 0.12)
    hub = sdf.transform(sdf.cylinder(0.32, 0.12), sdf.rotation_matrix((math.pi / 2, 0.0, 0.0)), (0.0, 0.0, 0.12))
    bore = sdf.transform(sdf.cylinder(0.16, 0.5), sdf.rotation_matrix((math.pi / 2, 0.0, 0.0)), (0.0, 0.0, 0.0))
    return sdf.subtract(sdf.union(body, hub), bore), ((0.0, 0.0, -1.0), (0.0, 1.0, 0.0)), "lines"


def bracket():
    """An L-bracket with a hole in each leg, seen from a corner (isometric), flat colour fill."""
    legs = sdf.extrude(sdf.polygon2d([(-0.7, -0.5), (0.7, -0.5), (0.7, -0.32), (-0.52, -0.32),
                                      (-0.52, 0.6), (-0.7, 0.6)]), 0.35)
    upright_hole = sdf.transform(sdf.cylinder(0.12, 0.5), sdf.rotation_matrix((0.0, 0.0, math.pi / 2)),
                                 (-0.6, 0.2, 0.0))
    base_hole = sdf.transform(sdf.cylinder(0.12, 0.5), torch.eye(3), (0.25, -0.4, 0.0))
    shape = sdf.subtract(sdf.subtract(legs, upright_hole), base_hole)
    forward = -np.array([1.0, 1.0, 1.0]) / math.sqrt(3)
    return shape, (tuple(forward), (0.0, 1.0, 0.0)), "fill"


def turned_part():
    """A stepped shaft with a collar and a chamfered end, seen from the side (axis across)."""
    profile = sdf.polygon2d([(0.0, -0.9), (0.14, -0.9), (0.18, -0.86), (0.18, -0.4), (0.30, -0.4),
                             (0.30, -0.25), (0.40, -0.25), (0.40, -0.1), (0.24, -0.1), (0.24, 0.55),
                             (0.16, 0.55), (0.16, 0.9), (0.0, 0.9)])
    shaft = sdf.transform(sdf.revolve(profile), sdf.rotation_matrix((0.0, 0.0, math.pi / 2)), (0.0, 0.0, 0.0))
    return shaft, ((0.0, 0.0, -1.0), (0.0, 1.0, 0.0)), "lines"


def pocket_plate():
    """A plate with a rounded pocket and four corner holes, seen square-on."""
    plate = sdf.round_box([0.8, 0.55, 0.1], 0.03)
    pocket = sdf.extrude(sdf.rounded_rect2d(0.42, 0.25, 0.08), 0.1)
    pocket = sdf.transform(pocket, torch.eye(3), (0.0, 0.0, 0.12))
    holes = sdf.extrude(sdf.repeat2d(sdf.rounded_rect2d(0.06, 0.06, 0.06), (2, 2), (1.3, 0.8)), 0.3)
    return sdf.subtract(sdf.subtract(plate, pocket), holes), ((0.0, 0.0, -1.0), (0.0, 1.0, 0.0)), "lines"


def casting():
    """A cast body with two bosses and a lug, filleted, seen obliquely."""
    body = sdf.round_box([0.55, 0.35, 0.3], 0.08)
    boss = sdf.transform(sdf.cylinder(0.2, 0.18), torch.eye(3), (-0.25, 0.45, 0.0))
    boss2 = sdf.transform(sdf.cylinder(0.14, 0.12), sdf.rotation_matrix((math.pi / 2, 0.0, 0.0)), (0.3, 0.0, 0.38))
    lug = sdf.transform(sdf.round_box([0.22, 0.08, 0.2], 0.03), torch.eye(3), (0.62, -0.27, 0.0))
    shape = sdf.union(sdf.union(sdf.union(body, boss, 0.08), boss2, 0.06), lug, 0.05)
    bore = sdf.transform(sdf.cylinder(0.09, 0.8), torch.eye(3), (-0.25, 0.45, 0.0))
    az, el = math.radians(35), math.radians(28)
    forward = -np.array([math.cos(el) * math.sin(az), -math.sin(el), math.cos(el) * math.cos(az)])
    return sdf.subtract(shape, bore), (tuple(forward), (0.0, 1.0, 0.0)), "shaded"


EXAMPLES = {"bottle": bottle, "gear": gear, "bracket": bracket, "turned_part": turned_part,
            "pocket_plate": pocket_plate, "casting": casting}


def make(name: str, size: int = SIZE) -> dict:
    """The example's drawing (RGB uint8) and truth, framed so the figure fills about 85 % of the image."""
    shape, (forward, up), style = EXAMPLES[name]()
    return framed.draw(shape, forward, up, style, np.random.default_rng(sorted(EXAMPLES).index(name)), size)


TURNED = ("bottle", "turned_part")   # the lathe parts drawn from the side


def renders(out: Path = HERE.parent / "docs" / "examples.png", tile: int = 320, engine: str = "depthy",
            back: str = "flat", names=tuple(EXAMPLES)) -> None:
    """One row per example: the drawing, the relief seen from the front and from the side, made by the
    add-on's own command line with Auto depth (by default as an artist's first click would: Depthy, flat
    back)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            front, side = Path(tmp) / f"{name}.png", Path(tmp) / f"{name}-side.png"
            subprocess.run([sys.executable, "-m", "depthy_blender", "mesh", str(HERE / f"{name}.png"),
                            "-o", str(Path(tmp) / f"{name}.glb"), "--engine", engine, "--back", back,
                            "--render", str(front), "--render-side", str(side)], check=True, cwd=HERE.parent)
            row = []
            for path in (HERE / f"{name}.png", front, side):
                img = Image.open(path).convert("RGB")
                img.thumbnail((tile, tile))
                canvas = Image.new("RGB", (tile, tile), "white")
                canvas.paste(img, ((tile - img.width) // 2, (tile - img.height) // 2))
                row.append(np.asarray(canvas))
            rows.append(np.concatenate(row, 1))
    # 256 colours: the renders are shades of grey with the drawings' few inks, and the tracked tree has a
    # size limit (tests/test_repository.py)
    Image.fromarray(np.concatenate(rows, 0)).quantize(256, dither=Image.Dither.NONE).save(out, optimize=True)
    print(f"wrote {out}")


def main():
    if "--renders" in sys.argv:
        renders()
        return
    if "--turned-renders" in sys.argv:
        renders(HERE.parent / "docs" / "turned.png", engine="turned", back="mirror", names=TURNED)
        return
    torch.manual_seed(0)
    for name in EXAMPLES:
        item = make(name)
        Image.fromarray(item["image"]).save(HERE / f"{name}.png", optimize=True)
        np.savez_compressed(HERE / f"{name}-truth.npz", nearness=(item["nearness"] * 65535 + 0.5).astype(np.uint16),
                            mask=item["mask"], proportion=np.float64(item["proportion"]))
        print(f"wrote {name}.png and {name}-truth.npz")


if __name__ == "__main__":
    main()

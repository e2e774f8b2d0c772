"""Training drawings of a library of third-party meshes: a folder of .obj/.stl/.ply files (for instance the
~1,200 robot parts, props and random objects inside the pybullet wheel, see training/make_cache.py). One
seed picks a mesh, an orientation and an orthographic view; meshes.rasterise and ink.draw make the drawing
with exact nearness, as for the meshes evaluation set, but of objects that set does not contain.

Files named like a mesh of the evaluation set (../shared/data/meshes) are left out, so it stays unseen."""
from __future__ import annotations

import hashlib
import itertools
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import ink, meshes
from .render import Camera, camera_basis

SUFFIXES = (".obj", ".stl", ".ply")
# collision hulls and convex decompositions duplicate a visual mesh; the rest are ground planes and scenes
SKIP_WORDS = ("coll", "vhacd", "plane", "cloth", "stadium", "monastry", "terrain", "checker", "part0", "part1", "part2")
MAX_FACES = 40_000
MIN_COVER = 0.02   # views whose figure covers less of the frame are redrawn (the evaluation set drops them)
HELD_OUT = 10      # one mesh in HELD_OUT (by a hash of its path) is kept for validation, never trained on


def catalogue(folder: Path, exclude_stems=(), part: str = "train",
              skip_folders=()) -> tuple[list[Path], np.ndarray]:
    """The usable mesh files of one part ("train" or "val") under folder, sorted, so that a seed means
    the same mesh on every machine, and how often to draw each: 1/√n for a file among n in its top-level
    folder, so a folder of a thousand look-alike objects does not drown the two hundred others.
    Top-level folders named in skip_folders are left out whole."""
    folder, banned = Path(folder), {s.lower() for s in exclude_stems}
    files, groups = [], []
    for path in sorted(folder.rglob("*")):
        stem, relative = path.stem.lower(), path.relative_to(folder)
        if path.suffix.lower() not in SUFFIXES or any(w in stem for w in SKIP_WORDS):
            continue
        if relative.parts[0] in skip_folders or any(b in stem or stem in b for b in banned):
            continue
        if (part == "val") != _held_out(relative):
            continue
        files.append(path)
        groups.append(relative.parts[0])
    count = {g: groups.count(g) for g in set(groups)}
    weight = np.array([1 / math.sqrt(count[g]) for g in groups])
    return files, weight / weight.sum()


def _held_out(relative: Path) -> bool:
    return int(hashlib.sha1(relative.as_posix().encode()).hexdigest(), 16) % HELD_OUT == 0


def _rotations() -> list[np.ndarray]:
    """The 24 rotations that map the axes onto the axes (meshes come z-up or y-up, facing any way)."""
    out = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((-1.0, 1.0), repeat=3):
            m = np.zeros((3, 3))
            m[range(3), perm] = signs
            if np.linalg.det(m) > 0:
                out.append(m)
    return out


ROTATIONS = _rotations()
SPINS = [m for m in ROTATIONS if m[2, 2] == 1.0]   # the quarter turns about z


@lru_cache(maxsize=64)
def _load(path: str):
    """Unit-sphere vertices and faces, or None for a mesh too big or too small to use."""
    try:
        verts, faces = meshes.load_unit(Path(path))
    except Exception:   # a file trimesh cannot read (textures, empty scenes) is simply not drawn
        return None
    return (verts, faces) if 4 <= len(faces) <= MAX_FACES else None


def random_camera(verts: np.ndarray, rng: np.random.Generator, from_above: bool = False) -> tuple[Camera, str]:
    """Mostly principal views, some isometric and a few tilted ones; zoomed so the figure spans 50–90 %
    of the frame, shifted at random inside the margin that leaves. from_above: never look up at the
    figure (a top view but no bottom view, isometric and tilted views from above), as drawings show a
    standing object; the random draws are the same either way."""
    kind = rng.choice(["principal", "iso", "tilted"], p=[0.6, 0.25, 0.15])
    if kind == "principal":
        forward = np.zeros(3)
        forward[int(rng.integers(0, 3))] = rng.choice([-1.0, 1.0])
    elif kind == "iso":
        forward = rng.choice([-1.0, 1.0], size=3) / math.sqrt(3)
    else:
        az, el = rng.uniform(0, 2 * math.pi), rng.uniform(-1.2, 1.2)
        forward = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
    if from_above:
        forward[2] = -abs(forward[2])
    up = np.array([0.0, 0.0, 1.0]) if abs(forward[2]) < 0.9 else np.array([0.0, 1.0, 0.0])
    cam = Camera(forward, up, 1.0, np.zeros(3))
    _, r, u = camera_basis(cam)
    x, y = verts @ r, verts @ u
    lo, hi = np.array([x.min(), y.min()]), np.array([x.max(), y.max()])
    half = max((hi - lo).max() / 2, 1e-3) / rng.uniform(0.5, 0.9)
    slack = np.maximum(half - (hi - lo) / 2, 0)
    shift = (lo + hi) / 2 - slack * rng.uniform(-0.8, 0.8, size=2)
    return Camera(forward, up, half, shift[0] * r + shift[1] * u), str(kind)


def sample(seed: int, files: list[Path], odds: np.ndarray, size: int = 256, upright: float = 0.0,
           even_lines: bool = False) -> dict:
    """{"image", "nearness", "mask", "info"} for one seeded drawing of one library mesh (odds: catalogue's).
    upright: the share of drawings that keep the mesh's own +z up (turned about it by quarter turns) and
    look at it level or from above, as the meshes set does; the rest turn it onto any axis.
    even_lines: a share of drawings (ink.EVEN_SHARE) ink every line at one thin weight, by a generator of its own."""
    rng = np.random.default_rng(seed)
    for _ in range(12):   # re-draw unreadable files and views that show a sliver
        path = files[int(rng.choice(len(files), p=odds))]
        standing = upright > 0 and rng.random() < upright   # no draw at 0, so older caches keep their seeds
        rotation = ROTATIONS[int(rng.integers(0, len(ROTATIONS)))]
        if standing:   # replaces the turn drawn above; both are drawn so the upright caches keep their seeds
            rotation = SPINS[int(rng.integers(0, len(SPINS)))]
        loaded = _load(str(path))
        # the camera is drawn even for an unusable file, so the generator's sequence does not depend on it
        cam, view = random_camera(loaded[0] @ rotation.T if loaded else np.zeros((1, 3)), rng, standing)
        view += " upright" if standing else ""
        if loaded is None:
            continue
        verts, faces = loaded[0] @ rotation.T, loaded[1]
        mask, depth, normals = meshes.rasterise(verts, faces, cam, size)
        if mask.mean() >= MIN_COVER:
            break
    else:
        raise RuntimeError(f"seed {seed}: no usable mesh in 12 draws (is the library folder right?)")
    pen = ink.even_pen(seed) if even_lines else None
    image = ink.draw(mask, depth, normals, rng, pen=pen)
    return {"image": image, "nearness": meshes.nearness_of(depth, mask), "mask": mask,
            "info": f"{path.name} @ {view}" + (" + even lines" if pen is not None else "")}

"""Shared fixtures: small drawings made on the fly, the shared data folder when present, and a stand-in engine."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from depthy_blender.core import images
from depthy_blender.models import engine, engines

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
TIERS = {"core": "core", "models": "engines", "blender": "blender", "install": "install", "training": "training",
         "fuzz": "fuzz"}


def pytest_collection_modifyitems(config, items):
    """Each test carries its folder's tier marker (pyproject.toml declares them): `pytest -m core` …"""
    for item in items:
        try:
            folder = item.path.relative_to(ROOT / "tests").parts[0]
        except ValueError:
            continue
        if folder in TIERS or folder.endswith(".py"):   # files at the top: the repository's own checks
            item.add_marker(TIERS.get(folder, "core"))


def outline_drawing(size=(160, 120), box=(30, 25, 130, 95), width=3) -> Image.Image:
    """Black rectangle outline on white paper: the figure is the rectangle, inside included."""
    img = Image.new("RGB", size, "white")
    ImageDraw.Draw(img).rectangle(box, outline="black", width=width)
    return img


@pytest.fixture
def drawing_path(tmp_path) -> Path:
    path = tmp_path / "drawing.png"
    outline_drawing().save(path)
    return path


def pocket_plate_drawing() -> Image.Image:
    """A plate with a pocket drawn square-on, 160 × 120 px: black 2-px outlines on white, the plate's
    (20, 20)–(139, 99) and the pocket's (60, 40)–(99, 79)."""
    img = outline_drawing(box=(20, 20, 139, 99), width=2)
    ImageDraw.Draw(img).rectangle((60, 40, 99, 79), outline="black", width=2)
    return img


@pytest.fixture
def pocket_plate_path(tmp_path) -> Path:
    path = tmp_path / "plate.png"
    pocket_plate_drawing().save(path)
    return path


@pytest.fixture(scope="session")
def huge_drawing_path(tmp_path_factory) -> Path:
    """20000 × 20000 px, a filled square in the middle (compresses to a small PNG)."""
    path = tmp_path_factory.mktemp("huge") / "huge.png"
    img = Image.new("L", (20000, 20000), 255)
    ImageDraw.Draw(img).rectangle((6000, 6000, 14000, 14000), fill=0)
    img.save(path, compress_level=1)
    return path


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not present at {SHARED_DATA}")
    return SHARED_DATA


def disk(shape=(64, 80), radius=20):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    cy, cx = shape[0] / 2, shape[1] / 2
    mask = (yy - cy) ** 2 + (xx - cx) ** 2 < radius ** 2
    nearness = np.where(mask, radius ** 2 - (yy - cy) ** 2 - (xx - cx) ** 2, 0).astype(np.float32)
    return nearness, mask


class StandIn:
    """An engine that records what it is given and returns a ramp over the drawing's figure."""

    def __init__(self, proportion=0.3, meta=None, whole=None):
        self.proportion, self.meta, self.whole, self.calls = proportion, meta or {}, whole, []

    def __call__(self, rgba, progress, cancel, options):
        self.calls.append((rgba, cancel, options))
        progress(0.0, "Starting")
        progress(1.0, "Done")
        if self.whole is not None:
            return self.whole
        mask = images.figure_mask(rgba)
        ramp = np.broadcast_to(np.linspace(0.0, 1.0, rgba.shape[1], dtype=np.float32), mask.shape).copy()
        return engine.DepthResult(ramp, mask, dict(self.meta), self.proportion)


@pytest.fixture
def stand_in_engine():
    """Registers `fn`, or a StandIn made with the keywords, as the engine "stand-in" for one test."""
    def register(fn=None, **kwargs):
        fn = fn or StandIn(**kwargs)
        engines.register(engine.Engine("stand-in", "Stand-in", "test engine", fn))
        return fn
    yield register
    engines._REGISTRY.pop("stand-in", None)

"""Depthy end to end on the CPU with the shipped weights: operator (background mode) and CLI."""
import subprocess
import sys

import bpy
import numpy as np
import pytest
from PIL import Image

from depthy_blender.models import depthy_engine, engines, weights
from tests.blender.conftest import generate, image_empty
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(depthy_engine.available() is not None,
                                reason=f"Depthy not ready: {depthy_engine.available()}")


def test_depthy_is_the_default_engine():
    bpy.ops.wm.read_homefile(use_empty=True)
    assert bpy.context.scene.depthy.engine == "depthy"
    assert engines.best_available().name == "depthy"


def test_generate_with_depthy_through_the_operator(drawing_path):
    image_empty(drawing_path)
    obj = generate(source="EMPTY", engine="depthy")
    assert obj.depthy.engine == "depthy" and len(obj.data.vertices) > 500
    # the panel names where it ran; this machine has no GPU and this torch build none either
    assert obj.depthy.ran_on.startswith("Depthy · CPU fp32 · ") and obj.depthy.ran_on.endswith(" s")
    assert obj.depthy.why_cpu == "this package has no GPU support"
    z = np.array([v.co.z for v in obj.data.vertices])
    assert np.isfinite(z).all() and np.ptp(z) > 0


def test_cli_depth_uses_the_shipped_weights(tmp_path):
    out = tmp_path / "near.npy"
    result = subprocess.run([sys.executable, "-m", "depthy_blender", "depth", str(ROOT / "examples" / "gear.png"),
                             "-o", str(out), "--engine", "depthy", "--device", "CPU"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    near = np.load(out)
    with Image.open(ROOT / "examples" / "gear.png") as drawing:
        assert near.shape == drawing.size[::-1]                         # the drawing's own size
    assert np.isfinite(near).all() and "Depthy · CPU fp32 · " in result.stdout
    assert "(CPU chosen in the preferences)" in result.stdout


def test_shipped_card_matches_the_file():
    card = weights.model_card()
    pt, _ = weights.locate()
    assert card["sha256"] == weights.sha256(pt) and pt.stat().st_size <= 60e6
    assert card["parameters"] <= 30_000_000 and "evaluation" in card

"""The shipped examples and their truth (examples/make_examples.py): the drawing and its truth come
from one traced solid, and the figure the add-on finds on the drawing is the truth's figure."""
import importlib.util

import numpy as np
import pytest
from PIL import Image

from tests.conftest import ROOT

pytest.importorskip("torch")
spec = importlib.util.spec_from_file_location("make_examples", ROOT / "examples" / "make_examples.py")
make_examples = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_examples)

NAMES = sorted(make_examples.EXAMPLES)


def stored(name):
    with np.load(ROOT / "examples" / f"{name}-truth.npz") as z:
        return {k: z[k] for k in z.files}


def test_every_example_has_a_drawing_and_its_truth():
    assert len(NAMES) >= 6
    for name in NAMES:
        truth = stored(name)
        with Image.open(ROOT / "examples" / f"{name}.png") as img:
            assert img.size[::-1] == truth["mask"].shape
        near = truth["nearness"][truth["mask"]]
        assert near.max() == 65535 and (near.min() == 0 or near.min() == 65535)   # spans far … near
        assert not truth["nearness"][~truth["mask"]].any()
        assert 0.0 <= float(truth["proportion"]) < 2.0


@pytest.mark.parametrize("name", ["pocket_plate", "turned_part"])
def test_the_script_makes_the_stored_example(name):
    item = make_examples.make(name)
    truth = stored(name)
    assert np.array_equal(item["mask"], truth["mask"])
    assert np.abs((item["nearness"] * 65535 + 0.5).astype(np.uint16).astype(int) - truth["nearness"]).max() <= 1
    with Image.open(ROOT / "examples" / f"{name}.png") as img:
        assert np.abs(np.asarray(img.convert("RGB")).astype(int) - item["image"]).max() <= 1


@pytest.mark.parametrize("name", NAMES)
def test_the_figure_found_on_the_drawing_is_the_truths(name):
    from depthy_blender.core import images, metrics
    rgba = np.asarray(Image.open(ROOT / "examples" / f"{name}.png").convert("RGBA"), np.float32) / 255
    assert metrics.mask_iou(images.figure_mask(rgba), stored(name)["mask"]) >= 0.9

"""The second renderer of the real-mesh evaluation set (training/blender_drawings.py): Blender's drawing
lines up with the exact truth of our own rasteriser, and the style is the one asked for."""
import numpy as np
import pytest
from scipy import ndimage

pytest.importorskip("bpy")
trimesh = pytest.importorskip("trimesh")

from depthy_blender.core import metrics  # noqa: E402
from training import blender_drawings  # noqa: E402
from training.synth import meshes  # noqa: E402
from training.synth.render import Camera  # noqa: E402

SIZE = 96


def _l_block():
    """Two boxes, an L seen from any side: no symmetry that would hide a mirrored or turned camera."""
    foot = trimesh.creation.box(extents=(0.9, 0.6, 0.25), transform=trimesh.transformations.translation_matrix((0, 0, -0.1)))
    post = trimesh.creation.box(extents=(0.25, 0.6, 0.5), transform=trimesh.transformations.translation_matrix((0.32, 0, 0.2)))
    return trimesh.util.concatenate([foot, post])


def _l_block_seen_from_a_corner():
    box = _l_block()
    verts = np.asarray(box.vertices, np.float64)
    verts /= np.linalg.norm(verts, axis=1).max()
    forward, up = meshes.VIEWS["iso"]
    return verts, np.asarray(box.faces, np.int64), Camera(np.array(forward), np.array(up), 1.2, np.zeros(3))


def _style(kind, **extra):
    style = blender_drawings.choose_style(np.random.default_rng(0))
    return style | {"kind": kind, "hidden": False, "paper": 1.0, "thickness": 1.5} | extra


def test_drawing_lines_up_with_the_rasterised_truth():
    verts, faces, cam = _l_block_seen_from_a_corner()
    mask, _, _ = meshes.rasterise(verts, faces, cam, SIZE)
    image, alpha = blender_drawings.draw(verts, faces, cam, SIZE, _style("lines"))
    assert image.shape == (SIZE, SIZE, 3) and image.dtype == np.float32
    covered = alpha > 0.5
    assert metrics.mask_iou(covered, mask) > 0.9     # the outline adds a rim of about half its width
    shift = np.array(np.nonzero(covered)).mean(1) - np.array(np.nonzero(mask)).mean(1)
    assert np.abs(shift).max() < 0.3                  # same camera, same pixel centres
    ink = image.mean(-1) < 0.5
    assert ink[mask].mean() > 0.03            # outline and edges are drawn ...
    near_figure = ndimage.binary_dilation(mask, iterations=2)
    assert not ink[~near_figure].any()        # ... and off the figure only paper


def test_fill_style_paints_the_figure_in_its_colour():
    verts, faces, cam = _l_block_seen_from_a_corner()
    mask, _, _ = meshes.rasterise(verts, faces, cam, SIZE)
    fill = (0.9, 0.3, 0.3)
    image, _ = blender_drawings.draw(verts, faces, cam, SIZE, _style("fill", fill=fill))
    inside = np.median(image[mask], axis=0)
    assert np.allclose(inside, fill, atol=0.08)
    assert np.allclose(image[0, 0], 1.0, atol=0.02)   # paper


def test_same_seeds_same_drawing_and_same_truth_as_the_meshes_set(tmp_path):
    path = tmp_path / "box.stl"
    _l_block().export(path)
    a = blender_drawings.view_sample(path, "iso", SIZE, seed=7003, style_seed=11)
    b = blender_drawings.view_sample(path, "iso", SIZE, seed=7003, style_seed=11)
    ours = meshes.view_sample(path, "iso", SIZE, seed=7003)
    assert np.array_equal(a["image"], b["image"])
    assert np.array_equal(a["nearness"], ours["nearness"]) and np.array_equal(a["mask"], ours["mask"])

"""The meshes set's z-buffer and views (training/synth/meshes.py) on scenes small enough to work out by hand:
a front camera four pixels wide looking at one or two triangles, so every pixel's cover, depth and
normal, the nearer face winning, a tie going to the face listed first, faces running off the frame
and flat triangles are known; nearness, the named views' cameras, unit loading and how a view's
drawing is put together."""
import math

import numpy as np
import pytest

trimesh = pytest.importorskip("trimesh")

from tests.training.draws import Scripted  # noqa: E402
from training.synth import meshes  # noqa: E402
from training.synth.render import Camera, camera_basis  # noqa: E402

# looking along +y with z up: a pixel column i sees x = (i − 1.5) / 2, a row j sees z = (1.5 − j) / 2,
# and depth is y (four pixels across ±1)
FRONT = Camera(np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]), 1.0, np.zeros(3))
COLUMN_X = (np.arange(4) - 1.5) / 2
# the upper-left half, y = 0.5 + 0.25 x: pixel corners (−0.5, −0.5), (3.5, −0.5), (−0.5, 3.5), so it
# covers the pixel centres with i + j ≤ 3; its normal (−1, 4, 0) / √17 turned to face the camera
SLOPE = np.array([(-1.0, 0.25, 1.0), (1.0, 0.75, 1.0), (-1.0, 0.25, -1.0)])
SLOPE_NORMAL = np.array([1.0, -4.0, 0.0]) / math.sqrt(17)
ROWS, COLUMNS = np.mgrid[0:4, 0:4]
UPPER_LEFT = ROWS + COLUMNS <= 3


def _scene(*triangles):
    verts = np.concatenate(triangles)
    return verts, np.arange(len(verts)).reshape(-1, 3)


def test_one_sloped_triangle_pixel_by_pixel():
    mask, depth, normals = meshes.rasterise(*_scene(SLOPE), FRONT, 4)
    assert mask.dtype == bool and depth.dtype == np.float32 and normals.dtype == np.float32
    assert np.array_equal(mask, UPPER_LEFT)                                      # the diagonal's centres count
    assert depth == pytest.approx(np.where(UPPER_LEFT, 0.5 + 0.25 * COLUMN_X[COLUMNS], 0.0))
    assert normals[mask] == pytest.approx(np.tile(SLOPE_NORMAL, (10, 1)), abs=1e-6)
    assert not normals[~mask].any()


def test_the_same_triangle_wound_the_other_way_or_listed_from_another_corner():
    _, _, normals = meshes.rasterise(*_scene(SLOPE[[0, 2, 1]]), FRONT, 4)
    assert normals[UPPER_LEFT] == pytest.approx(np.tile(SLOPE_NORMAL, (10, 1)), abs=1e-6)
    for order in ([1, 2, 0], [2, 0, 1]):        # the diagonal's centres lie on the edge facing each corner in turn
        mask, depth, _ = meshes.rasterise(*_scene(SLOPE[order]), FRONT, 4)
        assert np.array_equal(mask, UPPER_LEFT) and depth[mask] == pytest.approx(0.5 + 0.25 * COLUMN_X[COLUMNS[mask]])


def test_a_camera_off_the_origin_and_small_faces():
    # the camera moved by (0.5, 0.3, −0.5) and the slope with it: the same picture and depths
    moved = Camera(FRONT.forward, FRONT.up, 1.0, np.array([0.5, 0.3, -0.5]))
    here, there = meshes.rasterise(*_scene(SLOPE), FRONT, 4), meshes.rasterise(*_scene(SLOPE + moved.center), moved, 4)
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(here, there))
    # a quarter-size slope (its cross product shorter than 1) still has unit normals
    _, _, normals = meshes.rasterise(*_scene(SLOPE * 0.25), FRONT, 4)
    assert np.linalg.norm(normals[normals.any(-1)], axis=-1) == pytest.approx(1.0)
    # a triangle 0.8 pixel across around pixel (1, 1)'s centre: pixel corners (0.7, 0.7) (1.5, 0.8) (0.8, 1.5)
    tiny = np.array([(-0.4, 0.0, 0.4), (0.0, 0.0, 0.35), (-0.35, 0.0, 0.0)])
    mask, _, _ = meshes.rasterise(*_scene(tiny), FRONT, 4)
    assert np.array_equal(mask, (ROWS == 1) & (COLUMNS == 1))


def test_the_nearer_face_wins_and_a_tie_goes_to_the_face_listed_first():
    # the lower-right half (i + j ≥ 3) flat at y = 0.1: nearer than the slope everywhere, the diagonal too
    flat = np.array([(1.0, 0.1, 1.0), (1.0, 0.1, -1.0), (-1.0, 0.1, -1.0)])
    for order in ((SLOPE, flat), (flat, SLOPE)):
        mask, depth, normals = meshes.rasterise(*_scene(*order), FRONT, 4)
        assert mask.all()
        assert depth == pytest.approx(np.where(UPPER_LEFT & (ROWS + COLUMNS < 3), 0.5 + 0.25 * COLUMN_X[COLUMNS], 0.1))
        assert normals[~UPPER_LEFT | (ROWS + COLUMNS == 3)] == pytest.approx(np.tile([0, -1, 0], (10, 1)), abs=1e-6)
    # a lower-right half meeting the slope along the diagonal at its depth (y = 0.5 + 0.05 x + 0.2 z, equal
    # where x = z), nearer below it: on the diagonal, the face listed first
    meeting = np.array([(1.0, 0.75, 1.0), (1.0, 0.35, -1.0), (-1.0, 0.25, -1.0)])
    diagonal = ROWS + COLUMNS == 3
    alone = [meshes.rasterise(*_scene(t), FRONT, 4)[1] for t in (SLOPE, meeting)]
    assert np.array_equal(alone[0][diagonal], alone[1][diagonal])                 # a true tie
    meeting_normal = -np.cross(meeting[1] - meeting[0], meeting[2] - meeting[0])
    meeting_normal /= np.linalg.norm(meeting_normal)
    for first, normal in ((SLOPE, SLOPE_NORMAL), (meeting, meeting_normal)):
        second = meeting if first is SLOPE else SLOPE
        _, _, normals = meshes.rasterise(*_scene(first, second), FRONT, 4)
        assert normals[diagonal] == pytest.approx(np.tile(normal, (4, 1)), abs=1e-6)
    assert meeting_normal @ FRONT.forward < 0 and not np.allclose(meeting_normal, SLOPE_NORMAL, atol=0.1)


def test_faces_running_off_the_frame_and_flat_faces():
    # the slope three times as big, its long edge at i + j = 7: past the frame's last pixel (3, 3)
    big = SLOPE * [3.0, 1.0, 3.0] + [1.0, 0.0, -1.0]
    mask, _, _ = meshes.rasterise(*_scene(big), FRONT, 4)
    assert mask.all()
    # corners (−1.5, −0.5) (1.5, −0.5) (−1.5, 3.5): past the left edge, the centres at i = −1 of rows 0–2
    # must not wrap onto the row above's last pixel; corners (−0.5, −1.5) (2.5, −1.5) (−0.5, 1.5): past the
    # top, row −1 must not wrap onto the last row; both leave (0, 0), (0, 1) and (1, 0)
    corner = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], bool)
    for cut in ([(-1.5, 0.0, 1.0), (0.0, 0.0, 1.0), (-1.5, 0.0, -1.0)], [(-1.0, 0.0, 1.5), (0.5, 0.0, 1.5), (-1.0, 0.0, 0.0)]):
        mask, _, _ = meshes.rasterise(*_scene(np.array(cut)), FRONT, 4)
        assert np.array_equal(mask, corner)
    # corners (1.5, −0.5) (5.5, −0.5) (5.5, 3.5): past the right edge (i − j ≥ 2), nothing onto the next row
    mask, _, _ = meshes.rasterise(*_scene(np.array([(0.0, 0.0, 1.0), (2.0, 0.0, 1.0), (2.0, 0.0, -1.0)])), FRONT, 4)
    assert np.array_equal(mask, COLUMNS - ROWS >= 2)
    # wholly right of the frame (pixel corners (4.5, −0.5) (7.5, −0.5) (4.5, 3.5)) or below it: nothing at all
    right = np.array([(1.5, 0.0, 1.0), (3.0, 0.0, 1.0), (1.5, 0.0, -1.0)])
    below = np.array([(-1.0, 0.0, -1.5), (1.0, 0.0, -1.5), (-1.0, 0.0, -3.0)])
    for outside in (right, below):
        assert not meshes.rasterise(*_scene(outside), FRONT, 4)[0].any()
    # from row 1.5 down past the bottom (corners (−0.5, 1.5) (3.5, 1.5) (−0.5, 5.5)): rows 2 and 3 to i + j = 5
    mask, _, _ = meshes.rasterise(*_scene(np.array([(-1.0, 0.0, 0.0), (1.0, 0.0, 0.0), (-1.0, 0.0, -2.0)])), FRONT, 4)
    assert np.array_equal(mask, (ROWS >= 2) & (ROWS + COLUMNS <= 5))
    # a triangle seen edge-on, its three corners on row 1's centres, covers nothing (not row 1's last pixel)
    edge_on = np.array([(-1.0, 0.0, 0.25), (1.0, 0.5, 0.25), (0.0, 0.9, 0.25)])
    mask, _, _ = meshes.rasterise(*_scene(edge_on, SLOPE), FRONT, 4)
    assert np.array_equal(mask, UPPER_LEFT)


def test_a_big_face_and_small_faces_go_through_both_paths_alike():
    # at 12 pixels the slope's box holds 12 × 12 pixels (over SMALL_FACE): the one-by-one path; its four
    # halves-of-sides pieces hold 7 × 7 each: the batched path; both give the same cover and depth
    assert meshes.SMALL_FACE == 64
    big = meshes.rasterise(*_scene(SLOPE), FRONT, 12)
    a, b, c = SLOPE
    ab, ac, bc = (a + b) / 2, (a + c) / 2, (b + c) / 2
    pieces = meshes.rasterise(*_scene(np.array([a, ab, ac]), np.array([ab, b, bc]), np.array([ac, bc, c]),
                                      np.array([ab, bc, ac])), FRONT, 12)
    assert big[0].sum() == 12 * 13 / 2 and np.array_equal(big[0], pieces[0])
    assert big[1] == pytest.approx(pieces[1], abs=1e-6)
    assert big[1][big[0]] == pytest.approx((0.5 + 0.25 * (np.nonzero(big[0])[1] - 5.5) / 6))


def test_nearness_by_hand():
    depth = np.array([[1.0, 2.0], [3.0, 9.0]])
    mask = np.array([[True, True], [True, False]])
    assert np.array_equal(meshes.nearness_of(depth, mask), [[1.0, 0.5], [0.0, 0.0]])
    flat = meshes.nearness_of(np.array([[0.0, 1e-4], [5.0, 5.0]]), np.array([[True, True], [False, False]]))
    assert np.array_equal(flat, [[1.0, 1.0], [0.0, 0.0]])                         # a range of 1e-4: all near
    steep = meshes.nearness_of(np.array([[0.0, 2e-4]]), np.array([[True, True]]))
    assert steep == pytest.approx(np.array([[1.0, 0.0]]))
    assert not meshes.nearness_of(depth, np.zeros((2, 2), bool)).any()


@pytest.mark.parametrize("view, right, up", [("front", (1, 0, 0), (0, 0, 1)), ("side", (0, 1, 0), (0, 0, 1)),
                                             ("top", (1, 0, 0), (0, 1, 0)), ("iso", (1, 1, 0), (-1, 1, 2))])
def test_named_views_and_their_zoom(view, right, up):
    rng = Scripted(0.8)
    cam = meshes.view_camera(view, rng)
    assert rng.calls == [("uniform", (0.6, 0.9))]
    assert cam.half_size == pytest.approx(1.25) and np.array_equal(cam.center, np.zeros(3)) and cam.perspective == 0
    _, r, u = camera_basis(cam)
    assert r == pytest.approx(np.array(right) / np.linalg.norm(right)) and u == pytest.approx(np.array(up) / np.linalg.norm(up))
    assert np.linalg.norm(cam.forward) == pytest.approx(1.0)


def test_a_mesh_is_loaded_centred_in_the_unit_sphere(tmp_path):
    box = trimesh.creation.box(extents=(2.0, 1.0, 0.5))
    box.apply_translation((3.0, -1.0, 2.0))
    box.export(tmp_path / "block.stl")
    verts, faces = meshes.load_unit(tmp_path / "block.stl")
    assert verts.dtype == np.float64 and faces.dtype == np.int64 and faces.shape == (12, 3)
    corner = np.array([1.0, 0.5, 0.25]) / math.sqrt(1 + 0.25 + 0.0625)
    assert np.abs(verts) == pytest.approx(np.tile(corner, (8, 1)))


def test_a_scene_of_several_bodies_is_loaded_as_one_mesh(tmp_path):
    box = trimesh.creation.box()
    ball = trimesh.creation.icosphere(subdivisions=1).apply_translation((3.0, 0.0, 0.0))
    trimesh.Scene([box, ball]).export(tmp_path / "two.glb")
    verts, faces = meshes.load_unit(tmp_path / "two.glb")
    assert len(faces) == 12 + 80 and np.linalg.norm(verts, axis=1).max() == pytest.approx(1.0)
    # the x extent −0.5 … 4 is centred: ±2.25, then divided by the farthest corner's distance
    assert verts[:, 0].min() == pytest.approx(-verts[:, 0].max())


def test_a_view_is_the_seeds_camera_then_its_drawing_and_truth(tmp_path, monkeypatch):
    verts, faces = np.eye(3), np.array([[0, 1, 2]])
    mask, depth = np.array([[True, False], [True, True]]), np.array([[1.0, 0.0], [2.0, 3.0]])
    normals = np.ones((2, 2, 3))
    asked = {}
    monkeypatch.setattr(meshes, "load_unit", lambda path: asked.setdefault("path", path) and (verts, faces))

    def rasterise(v, f, cam, size):
        asked["raster"] = (v, f, cam, size)
        return mask, depth, normals

    def draw(m, d, n, rng):
        asked["draw"] = (m, d, n, rng.random())
        return "drawing"

    def of_view(m, d, n, cam):
        asked["truth"] = (m, d, n, cam)
        return "planes", 0.25
    monkeypatch.setattr(meshes, "rasterise", rasterise)
    monkeypatch.setattr(meshes.ink, "draw", draw)
    monkeypatch.setattr(meshes.truth, "of_view", of_view)
    got = meshes.view_sample(tmp_path / "part.stl", "side", 2, seed=5)
    reference = np.random.default_rng(5)
    half = 1.0 / reference.uniform(0.6, 0.9)
    assert asked["path"] == tmp_path / "part.stl"
    v, f, cam, size = asked["raster"]
    assert v is verts and f is faces and size == 2 and cam.half_size == half
    assert np.array_equal(cam.forward, meshes.VIEWS["side"][0]) and asked["truth"][3] is cam
    assert asked["draw"][3] == reference.random()                                # the seed's next draws ink it
    assert all(a is b for a, b in zip(asked["draw"][:3], (mask, depth, normals)))
    assert all(a is b for a, b in zip(asked["truth"][:3], (mask, depth, normals)))
    assert set(got) == {"image", "nearness", "mask", "info", "planes", "proportion"}
    assert got["image"] == "drawing" and got["mask"] is mask and got["info"] == "part.stl @ side"
    assert got["planes"] == "planes" and got["proportion"] == 0.25
    assert np.array_equal(got["nearness"], [[1.0, 0.0], [0.5, 0.0]])

"""The mesh library's drawings (training/synth/library.py) worked out by hand: which files a folder gives
and how often each is drawn, the held-out split pinned to file paths, the 24 axis turns and the quarter
turns about z in their order, which files load, the camera from given draws, and how one seed's drawing
is put together, redrawn and given up on, with the meshing, tracing and inking stood in."""
import math
from pathlib import Path

import numpy as np
import pytest

trimesh = pytest.importorskip("trimesh")

from tests.training.draws import Scripted  # noqa: E402
from training.synth import library, meshes  # noqa: E402
from training.synth.render import Camera, camera_basis  # noqa: E402


# ---- the catalogue -----------------------------------------------------------------------------------

def test_the_held_out_split_is_fixed_by_each_files_path():
    # a sha1 of the path inside the folder: the same split on every machine, whatever else is there
    assert [k for k in range(30) if library._held_out(Path(f"gear{k}.stl"))] == [10, 13, 16, 26]
    assert [k for k in range(30) if library._held_out(Path(f"bolts/b{k}.obj"))] == [16]
    assert library.HELD_OUT == 10


def test_a_folder_catalogued_by_hand(tmp_path):
    names = ["gear1.stl", "gear2.OBJ", "gear3.ply", "gear4.txt", "gear_coll.stl", "GroundPlane.obj", "bunny_low.stl",
             "tea.stl", "gear10.stl", "bolts/b0.obj", "bolts/b1.obj", "bolts/b2.obj", "bolts/b3.obj", "skip/x.stl"]
    for name in names:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("")
    files, odds = library.catalogue(tmp_path, ["Bunny", "teapot"], skip_folders=["skip"])
    # a file alone in its place weighs 1, each of the four bolts 1/√4: 3 + 4 · 0.5 = 5 in all
    assert [p.relative_to(tmp_path).as_posix() for p in files] == [
        "bolts/b0.obj", "bolts/b1.obj", "bolts/b2.obj", "bolts/b3.obj", "gear1.stl", "gear2.OBJ", "gear3.ply"]
    assert odds == pytest.approx([0.1] * 4 + [0.2] * 3)
    held, odds = library.catalogue(tmp_path, ["Bunny", "teapot"], part="val", skip_folders=["skip"])
    assert [p.name for p in held] == ["gear10.stl"] and odds == pytest.approx([1.0])
    every = library.catalogue(tmp_path)[0] + library.catalogue(tmp_path, part="val")[0]
    assert sorted(p.name for p in every) == ["b0.obj", "b1.obj", "b2.obj", "b3.obj", "bunny_low.stl", "gear1.stl",
                                             "gear10.stl", "gear2.OBJ", "gear3.ply", "tea.stl", "x.stl"]
    assert [p.name for p in library.catalogue(tmp_path, skip_folders=["bolts", "skip"])[0]] == [
        "bunny_low.stl", "gear1.stl", "gear2.OBJ", "gear3.ply", "tea.stl"]


# ---- turns and loading -------------------------------------------------------------------------------

def test_the_axis_turns_in_their_order():
    turns = np.array(library._rotations())
    assert all(np.array_equal(a, b) for a, b in zip(library.ROTATIONS, turns))
    assert turns.shape == (24, 3, 3) and len({t.tobytes() for t in turns}) == 24
    assert all(np.linalg.det(t) == pytest.approx(1.0) and set(np.abs(t).sum(0)) == {1.0} for t in turns)
    assert np.array_equal(turns[0], np.diag([-1.0, -1.0, 1.0]))               # the first sign pattern with det +1
    assert np.array_equal(turns[-1], [[0, 0, 1], [0, 1, 0], [-1, 0, 0]])
    quarter = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    spins = [np.diag([-1.0, -1.0, 1.0]), np.eye(3), quarter, quarter.T]
    assert len(library.SPINS) == 4 and all(np.array_equal(a, b) for a, b in zip(library.SPINS, spins))


def test_which_files_load(tmp_path, monkeypatch):
    library._load.cache_clear()
    tetra = trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    tetra.export(tmp_path / "tetra.stl")
    trimesh.Trimesh(tetra.vertices, tetra.faces[:3]).export(tmp_path / "open.stl")   # three faces: too few
    trimesh.creation.box().export(tmp_path / "box.stl")
    (tmp_path / "junk.obj").write_text("not a mesh at all\n")
    verts, faces = library._load(str(tmp_path / "tetra.stl"))
    want = meshes.load_unit(tmp_path / "tetra.stl")
    assert np.array_equal(verts, want[0]) and np.array_equal(faces, want[1]) and len(faces) == 4
    assert library._load(str(tmp_path / "open.stl")) is None and library._load(str(tmp_path / "junk.obj")) is None
    assert library._load(str(tmp_path / "missing.stl")) is None
    monkeypatch.setattr(library, "MAX_FACES", 12)
    assert len(library._load(str(tmp_path / "box.stl"))[1]) == 12
    library._load.cache_clear()
    monkeypatch.setattr(library, "MAX_FACES", 11)
    assert library._load(str(tmp_path / "box.stl")) is None
    library._load.cache_clear()


# ---- cameras -----------------------------------------------------------------------------------------

# looking along −y (right is −x, up is z), two points span 0.6 both ways around (0.1, 0.2)
POINTS = np.array([[0.2, 0.0, -0.1], [-0.4, 0.3, 0.5]])
ZERO2 = np.zeros(2)


def test_a_principal_view_zoomed_and_shifted_by_hand():
    rng = Scripted("principal", -1.0, 1, 0.5, np.array([0.5, -1.0]))
    cam, kind = library.random_camera(POINTS, rng)
    assert kind == "principal" and not rng.values
    # the sign is drawn before the axis it goes on (the right side of the assignment runs first)
    assert rng.calls == [("choice", (["principal", "iso", "tilted"],), {"p": [0.6, 0.25, 0.15]}),
                         ("choice", ([-1.0, 1.0],)), ("integers", (0, 3)), ("uniform", (0.5, 0.9)), ("uniform", (-0.8, 0.8), {"size": 2})]
    assert np.array_equal(cam.forward, [0, -1, 0]) and np.array_equal(cam.up, [0, 0, 1])
    # half 0.3 / 0.5 = 0.6, slack 0.6 − 0.3 = 0.3 both ways, centre (0.1, 0.2) − 0.3 · (0.5, −1) = (−0.05, 0.5)
    # in (right, up) = (−x, z)
    assert cam.half_size == pytest.approx(0.6) and cam.center == pytest.approx(np.array([0.05, 0.0, 0.5]))


def test_views_from_a_corner_tilted_and_from_above():
    rng = Scripted("iso", np.array([1.0, -1.0, -1.0]), 0.9, ZERO2)
    cam, kind = library.random_camera(POINTS, rng)
    assert rng.calls[1] == ("choice", ([-1.0, 1.0],), {"size": 3})
    assert kind == "iso" and cam.forward == pytest.approx(np.array([1, -1, -1]) / math.sqrt(3))
    assert np.array_equal(cam.up, [0, 0, 1])
    rng = Scripted("tilted", 0.5, 1.0, 0.9, ZERO2)
    cam, kind = library.random_camera(POINTS, rng)
    assert kind == "tilted" and [c[1] for c in rng.calls[1:3]] == [(0, 2 * math.pi), (-1.2, 1.2)]
    assert cam.forward == pytest.approx(np.array([math.cos(1) * math.cos(0.5), math.cos(1) * math.sin(0.5), math.sin(1)]))
    assert np.array_equal(cam.up, [0, 0, 1])                                   # sin 1 = 0.84: under 0.9
    steep = library.random_camera(POINTS, Scripted("tilted", 0.0, 1.2, 0.9, ZERO2))[0]
    assert np.array_equal(steep.up, [0, 1, 0])                                 # sin 1.2 = 0.93: over 0.9
    edge = math.asin(0.9)
    assert math.sin(edge) == 0.9
    steep = library.random_camera(POINTS, Scripted("tilted", 0.0, edge, 0.9, ZERO2))[0]
    assert np.array_equal(steep.up, [0, 1, 0])                                 # 0.9 is not under 0.9
    # from above: the up view looks down instead, a low view stays level, and the draws are the same
    for draws in (("principal", 1.0, 2, 0.9, ZERO2), ("iso", np.array([1.0, 1.0, 1.0]), 0.9, ZERO2)):
        plain, above = Scripted(*draws), Scripted(*draws)
        cam = library.random_camera(POINTS, plain)[0]
        down = library.random_camera(POINTS, above, from_above=True)[0]
        assert cam.forward[2] > 0 and down.forward[2] == -cam.forward[2] and plain.calls == above.calls
    level = library.random_camera(POINTS, Scripted("principal", 1.0, 0, 0.9, ZERO2), from_above=True)[0]
    assert np.array_equal(level.forward, [1, 0, 0])


def test_a_point_is_framed_at_the_smallest_size_and_a_wide_one_keeps_its_margin():
    cam = library.random_camera(np.zeros((1, 3)), Scripted("principal", 1.0, 1, 0.5, ZERO2))[0]
    assert cam.half_size == pytest.approx(2e-3)
    # zoomed in past the figure (a draw of 2): no slack to shift in, whatever the shift drawn
    cam = library.random_camera(POINTS, Scripted("principal", -1.0, 1, 2.0, np.array([0.8, 0.8])))[0]
    _, r, u = camera_basis(cam)
    assert cam.half_size == pytest.approx(0.15) and [cam.center @ r, cam.center @ u] == pytest.approx([0.1, 0.2])



# ---- one seed's drawing ------------------------------------------------------------------------------

class Stand:
    """Loading, the camera, the z-buffer and the ink stood in, each call recorded."""

    def __init__(self, monkeypatch, rng, loads, covers):
        self.rng, self.loads, self.covers, self.asked = rng, dict(loads), list(covers), []
        monkeypatch.setattr(np.random, "default_rng", self.seeded)
        monkeypatch.setattr(library, "_load", lambda path: self.note("load", Path(path).name) or self.loads[Path(path).name])
        monkeypatch.setattr(library, "random_camera", self.camera)
        monkeypatch.setattr(library.meshes, "rasterise", self.rasterise)
        monkeypatch.setattr(library.ink, "draw", lambda m, d, n, rng, pen: self.note("draw", rng, pen) or "drawing")
        monkeypatch.setattr(library.ink, "even_pen", lambda seed: self.note("pen", seed) or (seed if seed % 2 else None))

    def note(self, *what):
        self.asked.append(what)

    def seeded(self, seed):
        self.note("seed", seed)
        return self.rng

    def camera(self, verts, rng, from_above):
        self.note("camera", verts, rng, from_above)
        return Camera(np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]), 1.0, np.zeros(3)), "principal"

    def rasterise(self, verts, faces, cam, size):
        self.note("raster", verts, faces, size)
        cover = self.covers.pop(0)
        mask = np.zeros((10, 10), bool)
        mask.flat[:cover] = True
        return mask, np.where(mask, np.arange(100.0).reshape(10, 10), 0.0), np.zeros((10, 10, 3))


VERTS, FACES = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]]), np.array([[0, 1, 1]])
FILES, ODDS = [Path("lib/a.stl"), Path("lib/b.stl")], np.array([0.25, 0.75])


def test_one_seeds_drawing_by_hand(monkeypatch):
    rng = Scripted(1, 5)
    stand = Stand(monkeypatch, rng, {"b.stl": (VERTS, FACES)}, [2])       # 2 of 100 pixels: just enough
    got = library.sample(7, FILES, ODDS, size=10)
    assert rng.calls == [("choice", (2,), {"p": ODDS}), ("integers", (0, 24))]   # no upright draw at 0
    turned = VERTS @ library.ROTATIONS[5].T
    seed, load, camera, raster, draw = stand.asked
    assert seed == ("seed", 7) and load == ("load", "b.stl")
    assert np.array_equal(camera[1], turned) and camera[2] is rng and camera[3] is False
    assert np.array_equal(raster[1], turned) and raster[2] is FACES and raster[3] == 10
    assert draw == ("draw", rng, None)
    assert got["image"] == "drawing" and got["info"] == "b.stl @ principal" and set(got) == {"image", "nearness", "mask", "info"}
    assert got["mask"].sum() == 2 and np.array_equal(got["nearness"][0, :2], [1.0, 0.0])


def test_unreadable_files_and_slivers_are_drawn_again(monkeypatch):
    rng = Scripted(0, 3, 1, 4, 1, 6)
    stand = Stand(monkeypatch, rng, {"a.stl": None, "b.stl": (VERTS, FACES)}, [1, 2])   # 1 pixel: a sliver
    got = library.sample(8, FILES, ODDS, size=10)
    assert not rng.values and got["info"] == "b.stl @ principal"
    cameras = [a for a in stand.asked if a[0] == "camera"]
    rasters = [a for a in stand.asked if a[0] == "raster"]
    # the camera is drawn for the unreadable file too, around one point at the origin
    assert len(cameras) == 3 and np.array_equal(cameras[0][1], np.zeros((1, 3))) and len(rasters) == 2
    assert np.array_equal(rasters[0][1], VERTS @ library.ROTATIONS[4].T)
    assert np.array_equal(rasters[1][1], VERTS @ library.ROTATIONS[6].T)


def test_twelve_failures_give_one_line(monkeypatch):
    rng = Scripted(*[0, 0] * 12)
    stand = Stand(monkeypatch, rng, {"a.stl": None}, [])
    with pytest.raises(RuntimeError) as failed:
        library.sample(9, FILES, ODDS)
    assert str(failed.value) == "seed 9: no usable mesh in 12 draws (is the library folder right?)"
    assert not rng.values and sum(a[0] == "load" for a in stand.asked) == 12


def test_upright_drawings_spin_about_z_and_are_seen_from_above(monkeypatch):
    rng = Scripted(1, 0.4, 5, 2)                   # 0.4 < 0.5: upright, the turn drawn then replaced
    stand = Stand(monkeypatch, rng, {"b.stl": (VERTS, FACES)}, [50])
    got = library.sample(10, FILES, ODDS, upright=0.5)
    assert next(a for a in stand.asked if a[0] == "raster")[3] == 256          # the default size
    assert [c[:2] for c in rng.calls] == [("choice", (2,)), ("random", ()), ("integers", (0, 24)), ("integers", (0, 4))]
    camera = next(a for a in stand.asked if a[0] == "camera")
    assert np.array_equal(camera[1], VERTS @ library.SPINS[2].T) and camera[3] is True
    assert got["info"] == "b.stl @ principal upright"
    rng = Scripted(1, 0.5, 5)                      # 0.5 is not under 0.5: turned onto any axis
    stand = Stand(monkeypatch, rng, {"b.stl": (VERTS, FACES)}, [50])
    got = library.sample(10, FILES, ODDS, size=10, upright=0.5)
    camera = next(a for a in stand.asked if a[0] == "camera")
    assert np.array_equal(camera[1], VERTS @ library.ROTATIONS[5].T) and camera[3] is False
    assert got["info"] == "b.stl @ principal" and not rng.values


def test_even_lines_ink_with_the_seeds_own_pen(monkeypatch):
    for seed, suffix in ((11, " + even lines"), (12, "")):   # the stand-in pen: odd seeds only
        rng = Scripted(1, 5)
        stand = Stand(monkeypatch, rng, {"b.stl": (VERTS, FACES)}, [50])
        got = library.sample(seed, FILES, ODDS, size=10, even_lines=True)
        assert ("pen", seed) in stand.asked and stand.asked[-1] == ("draw", rng, seed if seed % 2 else None)
        assert got["info"] == "b.stl @ principal" + suffix

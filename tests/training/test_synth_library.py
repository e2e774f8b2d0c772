"""Training drawings of a third-party mesh library (training.synth.library) and the z-buffer they share
with the meshes evaluation set (training.synth.meshes.rasterise)."""
import numpy as np
import pytest

trimesh = pytest.importorskip("trimesh")

from training.synth import library, meshes  # noqa: E402
from training.synth.render import Camera  # noqa: E402


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("library")
    (root / "many").mkdir()
    for k in range(4):
        trimesh.creation.box(extents=(1.0, 0.5 + 0.2 * k, 0.3)).export(root / "many" / f"block{k}.stl")
    trimesh.creation.icosphere(subdivisions=2).export(root / "ball.obj")
    trimesh.creation.cylinder(radius=0.3, height=1.5, sections=24).export(root / "pin.stl")
    trimesh.creation.box().export(root / "ball_coll.obj")     # a collision hull: skipped
    trimesh.creation.box().export(root / "teapot.stl")         # named like an evaluation mesh: left out
    return root


def test_catalogue_skips_hulls_and_evaluation_meshes_and_weighs_folders(folder):
    files, odds = library.catalogue(folder, ["teapot", "bunny"], part="train")
    val, _ = library.catalogue(folder, ["teapot", "bunny"], part="val")
    names = sorted(p.name for p in files + val)
    assert names == ["ball.obj", "block0.stl", "block1.stl", "block2.stl", "block3.stl", "pin.stl"]
    assert not {p.name for p in files} & {p.name for p in val}       # held-out meshes are never trained on
    assert odds.sum() == pytest.approx(1.0)
    weight = dict(zip((p.name for p in files), odds))
    single = [weight[n] for n in ("ball.obj", "pin.stl") if n in weight]
    block = [weight[n] for n in weight if n.startswith("block")]
    if single and block:   # a file among four in its folder is drawn half as often as one alone
        assert single[0] == pytest.approx(2 * block[0])


def test_catalogue_leaves_out_skipped_folders(folder):
    kept = library.catalogue(folder, part="train", skip_folders=["many"])[0]
    kept += library.catalogue(folder, part="val", skip_folders=["many"])[0]
    assert sorted(p.name for p in kept) == ["ball.obj", "pin.stl", "teapot.stl"]


def test_same_seed_same_drawing_with_exact_nearness(folder):
    files, odds = library.catalogue(folder, part="train")
    a, b = library.sample(11, files, odds, 96), library.sample(11, files, odds, 96)
    assert np.array_equal(a["image"], b["image"]) and np.array_equal(a["nearness"], b["nearness"])
    assert a["image"].shape == (96, 96, 3) and a["mask"].mean() >= library.MIN_COVER
    near = a["nearness"][a["mask"]]
    assert near.max() == pytest.approx(1.0) and near.min() >= 0 and not a["nearness"][~a["mask"]].any()
    others = [library.sample(s, files, odds, 96)["nearness"] for s in range(12, 16)]
    assert not all(np.array_equal(a["nearness"], o) for o in others)


def test_even_lines_change_only_the_ink_of_the_drawings_they_pick(folder):
    files, odds = library.catalogue(folder, part="train")
    picked = 0
    for seed in range(10):
        plain, even = library.sample(seed, files, odds, 64), library.sample(seed, files, odds, 64, even_lines=True)
        assert np.array_equal(plain["nearness"], even["nearness"]) and np.array_equal(plain["mask"], even["mask"])
        if even["info"].endswith(" + even lines"):
            picked += 1
            assert even["info"] == plain["info"] + " + even lines" and not np.array_equal(plain["image"], even["image"])
            assert np.array_equal(library.sample(seed, files, odds, 64, even_lines=True)["image"], even["image"])
        else:
            assert even["info"] == plain["info"] and np.array_equal(plain["image"], even["image"])
    assert 0 < picked < 10


def _extent(mask):
    rows, cols = np.nonzero(mask)
    return rows.ptp() + 1, cols.ptp() + 1


def test_upright_drawings_keep_the_mesh_standing_and_never_look_up_at_it(tmp_path):
    trimesh.creation.cylinder(radius=0.2, height=1.5, sections=24).export(tmp_path / "post.stl")  # along z
    files, odds = [tmp_path / "post.stl"], np.ones(1)
    standing = [library.sample(s, files, odds, 64, upright=1.0) for s in range(24)]
    assert all(d["info"].endswith("upright") for d in standing)
    assert all(h >= 0.95 * w for h, w in map(_extent, (d["mask"] for d in standing)))   # tall, or the top view
    turned = [library.sample(s, files, odds, 64) for s in range(24)]
    assert any(w > 1.5 * h for h, w in map(_extent, (d["mask"] for d in turned)))        # some lie on their side
    rng = np.random.default_rng(3)
    assert all(library.random_camera(np.eye(3), rng, from_above=True)[0].forward[2] <= 0 for _ in range(200))


def _reference_zbuffer(verts, faces, cam, size):
    """Pixel by pixel: the nearest face whose triangle holds the pixel centre."""
    from training.synth.render import camera_basis
    f, r, u = camera_basis(cam)
    rel = verts - cam.center
    px = (rel @ r / cam.half_size + 1) / 2 * size - 0.5
    py = (1 - rel @ u / cam.half_size) / 2 * size - 0.5
    pz = rel @ f
    depth = np.full((size, size), np.inf)
    for j in range(size):
        for i in range(size):
            for tri in faces:
                (ax, bx, cx), (ay, by, cy) = px[tri], py[tri]
                det = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy)
                if abs(det) < 1e-12:
                    continue
                w0 = ((by - cy) * (i - cx) + (cx - bx) * (j - cy)) / det
                w1 = ((cy - ay) * (i - cx) + (ax - cx) * (j - cy)) / det
                if min(w0, w1, 1 - w0 - w1) >= -1e-9:
                    depth[j, i] = min(depth[j, i], w0 * pz[tri[0]] + w1 * pz[tri[1]] + (1 - w0 - w1) * pz[tri[2]])
    return depth


def test_rasterised_depth_matches_a_pixel_by_pixel_reference():
    mesh = trimesh.creation.icosphere(subdivisions=1)
    verts = mesh.vertices * np.random.default_rng(0).uniform(0.7, 1.0, (len(mesh.vertices), 1))
    # big faces (the one-by-one path) and small ones (the batched path) in one scene
    big = trimesh.creation.box(extents=(1.6, 1.6, 0.2))
    verts = np.vstack([verts, big.vertices + [0, 0, -0.9]])
    faces = np.vstack([mesh.faces, big.faces + len(mesh.vertices)])
    cam = Camera(np.array([0.3, 1.0, -0.4]), np.array([0.0, 0.0, 1.0]), 1.3, np.zeros(3))
    mask, depth, normals = meshes.rasterise(verts, faces, cam, 24)
    ref = _reference_zbuffer(verts, faces, cam, 24)
    assert np.array_equal(mask, np.isfinite(ref)) and mask.sum() > 100
    assert np.allclose(depth[mask], ref[mask], atol=1e-5)
    assert (normals[mask] @ (cam.forward / np.linalg.norm(cam.forward)) <= 1e-6).all()   # facing the viewer

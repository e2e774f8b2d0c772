"""The generator's sphere tracer (training/synth/render.py) against G-buffers worked out by hand.

Every training drawing's truth (which pixels hold the figure, their depth along the view, their normals,
the surfaces behind for hidden lines) comes from render.py. The other tests compare its batched paths
with its one-view path; this file checks the one-view path itself against spheres, whose hits, depths
and normals are known in closed form, and the cameras against their definitions."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tests.training.draws import Scripted  # noqa: E402
from training.synth import render, sdf  # noqa: E402

SIZE = 40


def _camera(forward, up=(0.0, 0.0, 1.0), half=1.0, perspective=0.0):
    return render.Camera(np.array(forward, float), np.array(up, float), half, np.zeros(3), perspective)


def _plane(size=SIZE, half=1.0):
    """Pixel centres on the image plane: (right, up) coordinates, row 0 at the top."""
    s = ((np.arange(size) + 0.5) / size * 2 - 1) * half
    return np.meshgrid(s, -s)


def _moved(shape, at):
    return sdf.transform(shape, torch.eye(3), at)


def test_an_orthographic_sphere_front_on():
    mask, depth, normals = render.trace(sdf.sphere(0.8), _camera((0, 1, 0)), SIZE)
    x, z = _plane()
    r = np.hypot(x, z)
    clear = np.abs(r - 0.8) > 0.02                  # pixels not on the rim, where 96 steps may not reach
    assert np.array_equal(mask[clear], (r < 0.8)[clear])
    inner = r < 0.7
    y = -np.sqrt(np.clip(0.64 - r ** 2, 0, None))   # the near side: the camera looks along +y
    assert np.abs(depth[inner] - y[inner]).max() < 3e-3
    want = np.stack([x, y, z], -1) / 0.8
    assert np.abs(normals[inner] - want[inner]).max() < 1e-2
    assert not normals[~mask].any()
    assert mask.dtype == bool and depth.dtype == np.float32 and normals.shape == (SIZE, SIZE, 3)


def test_image_right_and_up_for_the_front_and_side_views():
    up_right = _moved(sdf.sphere(0.3), (0.4, 0.0, 0.4))    # +x, +z
    mask = render.trace(up_right, _camera((0, 1, 0)), SIZE)[0]
    rows, cols = np.nonzero(mask)
    assert rows.max() < SIZE // 2 and cols.min() >= SIZE // 2   # top right
    # looking along +x with z up, image right is −y (right = forward × up)
    left_of_y = _moved(sdf.sphere(0.3), (0.0, -0.4, -0.4))
    rows, cols = np.nonzero(render.trace(left_of_y, _camera((1, 0, 0)), SIZE)[0])
    assert rows.min() >= SIZE // 2 and cols.min() >= SIZE // 2  # bottom right
    f, r, u = render.camera_basis(_camera((1, 0, 0)))
    assert np.allclose(r, (0, -1, 0)) and np.allclose(u, (0, 0, 1)) and np.allclose(f, (1, 0, 0))


def test_the_basis_of_a_camera_looking_along_its_up():
    f, r, u = render.camera_basis(_camera((0, 0, -2.0), up=(0, 0, 1)))   # up parallel to the view: z is no help
    assert np.allclose(f, (0, 0, -1))
    assert np.allclose(r, (0, -1, 0)) and np.allclose(u, (1, 0, 0))     # f × x, then r × f
    f, r, u = render.camera_basis(_camera((3.0, 0, 0), up=(1, 0, 0)))
    assert np.allclose(r, (0, -1, 0)) and np.allclose(u, (0, 0, 1))     # f × z
    f, r, u = render.camera_basis(_camera((0, 0.6, -0.8), up=(0, 3, -4)))   # |f_z| < 0.9: f × z
    assert np.allclose(r, (1, 0, 0)) and np.allclose(u, (0, 0.8, 0.6))
    f, r, u = render.camera_basis(_camera((0, 0.28, -0.96), up=(0, 0.28, -0.96)))   # |f_z| ≥ 0.9: f × x
    assert np.allclose(r, (0, -0.96, -0.28)) and np.allclose(u, (1, 0, 0))
    for vector in (f, r, u):
        assert np.linalg.norm(vector) == pytest.approx(1.0)


def test_a_perspective_sphere_hits_where_the_rays_from_the_eye_meet_it():
    eye_distance, radius = 3.0, 0.5
    mask, depth, _ = render.trace(sdf.sphere(radius), _camera((0, 1, 0), perspective=eye_distance), SIZE)
    x, z = _plane()
    eye = np.array([0.0, -eye_distance, 0.0])
    d = np.stack([x, np.full_like(x, eye_distance), z], -1)
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    b = d @ eye
    disc = b ** 2 - (eye @ eye - radius ** 2)
    t = -b - np.sqrt(np.clip(disc, 0, None))
    y = eye[1] + t * d[..., 1]                    # depth along the view axis of the first hit
    # the silhouette on the image plane is 3·tan(asin(0.5 / 3)) = 0.5071 wide, more than the radius
    plane_r = np.hypot(x, z)
    assert np.array_equal(mask[np.abs(plane_r - 0.5071) > 0.02], (disc > 0)[np.abs(plane_r - 0.5071) > 0.02])
    inner = plane_r < 0.4
    assert np.abs(depth[inner] - y[inner]).max() < 3e-3
    # seen orthographically the same pixels hit farther back
    ortho = render.trace(sdf.sphere(radius), _camera((0, 1, 0)), SIZE)[1]
    assert (ortho[inner] > depth[inner] + 1e-4).sum() > 0.8 * inner.sum()


def test_rays_start_outside_the_bound_and_run_along_the_view():
    origins, dirs, forward = render.rays(_camera((0, 1, 0), half=1.0), 4)
    assert origins.shape == (16, 3) and dirs.shape == (16, 3) and origins.dtype == torch.float32
    assert torch.allclose(dirs, torch.tensor([0.0, 1.0, 0.0]).expand(16, 3))
    assert torch.allclose(origins[:, 1], torch.full((16,), -render.BOUND * 2.5))
    # row 0 at the top (z = 0.75), columns from the left (x = −0.75)
    assert origins[0, [0, 2]].tolist() == pytest.approx([-0.75, 0.75])
    assert origins[3, [0, 2]].tolist() == pytest.approx([0.75, 0.75])
    assert origins[12, [0, 2]].tolist() == pytest.approx([-0.75, -0.75])
    assert forward.tolist() == [0.0, 1.0, 0.0]
    origins, dirs, _ = render.rays(_camera((0, 1, 0), half=1.0, perspective=2.0), 2)
    assert torch.allclose(origins, torch.tensor([0.0, -2.0, 0.0]).expand(4, 3))
    want = torch.tensor([-0.5, 2.0, 0.5]) / math.sqrt(4.5)
    assert torch.allclose(dirs[0], want, atol=1e-6)
    origins, dirs, _ = render.rays(_camera((0, 1, 0), half=1.0, perspective=0.8), 2)   # an eye nearer than 1
    assert torch.allclose(origins, torch.tensor([0.0, -0.8, 0.0]).expand(4, 3))
    assert torch.allclose(dirs[3], torch.tensor([0.5, 0.8, -0.5]) / math.sqrt(1.14), atol=1e-6)


def test_the_bounding_sphere_by_hand():
    origins = torch.tensor([[0.0, -5.0, 0.0], [2.0, -5.0, 0.0], [0.0, 0.0, 0.0], [0.0, 5.0, 0.0],
                            [1.3, -5.0, 0.0]])
    dirs = torch.tensor([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    enter, leave, meets = render._bounding_sphere(origins, dirs)
    # 5 − 1.6 and 5 + 1.6; past it by 2 > 1.6; from inside: 0 and 1.6; behind the ray (it meets the
    # sphere's line, at t = −6.6 and −3.4: enter clamps to 0); 1.3 off the centre, a chord of half
    # √(1.6² − 1.3²) = √0.87
    half = math.sqrt(0.87)
    assert enter[[0, 2, 3, 4]].tolist() == pytest.approx([3.4, 0.0, 0.0, 5 - half], abs=1e-5)
    assert leave[[0, 2, 3, 4]].tolist() == pytest.approx([6.6, 1.6, -3.4, 5 + half], abs=1e-5)
    assert meets.tolist() == [True, False, True, True, True]


def test_the_surfaces_behind_two_spheres_in_line():
    pair = sdf.union(_moved(sdf.sphere(0.3), (0.0, -0.5, 0.0)), _moved(sdf.sphere(0.3), (0.0, 0.5, 0.0)))
    cam = _camera((0, 1, 0))
    mask, depth, normals = render.trace(pair, cam, SIZE)
    (out_mask, out_depth, out_normals, out_facing), (in_mask, in_depth, in_normals, in_facing) = \
        render.hidden_layers(pair, cam, SIZE, depth, mask)
    x, z = _plane()
    r = np.hypot(x, z)
    core = r < 0.2
    s = np.sqrt(np.clip(0.09 - r ** 2, 0, None))
    assert np.abs(depth[core] - (-0.5 - s[core])).max() < 3e-3       # the front sphere's near side
    assert out_mask[core].all() and in_mask[core].all()
    assert np.abs(out_depth[core] - (-0.5 + s[core])).max() < 5e-3   # leaving the front sphere
    assert np.abs(in_depth[core] - (0.5 - s[core])).max() < 5e-3     # entering the back one
    # the exit faces away from the camera (its normal leaves the front sphere backwards), the entry
    # towards it: each is the point's offset from its own sphere's centre over the radius
    leaving = np.stack([x, s, z], -1) / 0.3
    entering = np.stack([x, -s, z], -1) / 0.3
    assert np.abs(out_normals[core] - leaving[core]).max() < 2e-2
    assert np.abs(in_normals[core] - entering[core]).max() < 2e-2
    assert np.abs(out_facing[core] - s[core] / 0.3).max() < 2e-2     # |normal · ray|: the normal's y
    assert np.abs(in_facing[core] - s[core] / 0.3).max() < 2e-2
    assert not out_mask[~mask].any() and not in_mask[~mask].any()
    # in perspective a ray's depth and its length differ (by the cosine of its angle to the axis): a pair
    # off the axis on one ray from the eye (0, −3, 0), seen 11° aside, still shows the front sphere's back
    # and the back sphere's front (the ray through both centres meets it 0.3 before (0.7, 0.5, 0), at a
    # depth of 0.5 − 0.3 · 2.5 / √6.5 = 0.206)
    aside = sdf.union(_moved(sdf.sphere(0.3), (0.5, -0.5, 0.0)), _moved(sdf.sphere(0.3), (0.7, 0.5, 0.0)))
    eye = _camera((0, 1, 0), perspective=3.0)
    mask, depth, _ = render.trace(aside, eye, SIZE)
    leave, enter = render.hidden_layers(aside, eye, SIZE, depth, mask)
    front = mask & (depth < -0.78)                 # rays near the one through both centres
    assert front.sum() >= 4 and leave[0][front].all() and enter[0][front].all()
    assert (leave[1][front] - depth[front]).min() > 0.3       # through the sphere, not stopped at its face
    assert np.abs(enter[1][front] - 0.206).max() < 0.05      # the rays beside it meet it a little deeper
    one = sdf.sphere(0.3)
    m, d, _ = render.trace(one, cam, SIZE)
    leave, enter = render.hidden_layers(one, cam, SIZE, d, m)
    assert leave[0][m].mean() > 0.95 and not enter[0].any()             # one sphere: nothing behind its back


def test_random_cameras_of_each_kind():
    rng = np.random.default_rng(3)
    drawn = [render.random_camera(rng) for _ in range(3000)]
    kinds = [name if name in ("oblique", "perspective") else "principal" for _, name in drawn]
    for kind, share in (("principal", 0.6), ("oblique", 0.3), ("perspective", 0.1)):
        assert kinds.count(kind) / len(kinds) == pytest.approx(share, abs=0.03)
    names = {name for _, name in drawn}
    assert names == {"side", "front", "back", "top", "oblique", "perspective"}
    for cam, name in drawn:
        assert cam.half_size == render.BOUND and np.array_equal(cam.center, np.zeros(3))
        assert np.linalg.norm(cam.forward) == pytest.approx(1.0)
        assert (cam.perspective > 0) == (name == "perspective")
        if name == "perspective":
            assert 3.0 <= cam.perspective < 6.0
        if name in ("side", "front", "back", "top"):
            axis = {"side": 0, "front": 1, "back": 1, "top": 2}[name]
            assert abs(cam.forward[axis]) == 1.0 and np.count_nonzero(cam.forward) == 1
            assert name != "front" or cam.forward[1] == 1.0
            assert name != "back" or cam.forward[1] == -1.0
            assert cam.up.tolist() == ([0.0, 1.0, 0.0] if name == "top" else [0.0, 0.0, 1.0])
        else:
            elevation = math.degrees(math.asin(abs(cam.forward[2])))
            assert 15 <= elevation <= 50 and cam.up.tolist() == [0.0, 0.0, 1.0]
    sides = [cam.forward[0] for cam, name in drawn if name == "side"]
    assert min(sides) == -1.0 and max(sides) == 1.0
    tops = [cam.forward[2] for cam, name in drawn if name == "top"]
    assert min(tops) == -1.0 and max(tops) == 1.0
    below = [cam for cam, name in drawn if name in ("oblique", "perspective") and cam.forward[2] > 0]
    above = [cam for cam, name in drawn if name in ("oblique", "perspective") and cam.forward[2] < 0]
    assert len(below) / (len(below) + len(above)) == pytest.approx(1 / 3 * 0.7, abs=0.05)  # isometric is always from above
    iso = [cam for cam, name in drawn if name == "oblique"
           and abs(math.degrees(math.asin(-cam.forward[2])) - math.degrees(math.atan(1 / math.sqrt(2)))) < 1e-9]
    oblique = sum(name == "oblique" for _, name in drawn)
    assert len(iso) / oblique == pytest.approx(0.4, abs=0.05)
    for cam in iso:                                      # its azimuth is a diagonal
        assert abs(cam.forward[0]) == pytest.approx(abs(cam.forward[1]))
    diagonals = [(bool(cam.forward[0] > 0), bool(cam.forward[1] > 0)) for cam in iso]
    for corner in ((True, True), (True, False), (False, True), (False, False)):   # all four, alike
        assert diagonals.count(corner) / len(iso) == pytest.approx(0.25, abs=0.08)
    iso_ids = {id(cam) for cam in iso}
    free = [cam for cam, name in drawn if name in ("oblique", "perspective") and id(cam) not in iso_ids]
    azimuths = np.array([math.atan2(-cam.forward[1], -cam.forward[0]) % (2 * math.pi) for cam in free])
    quarters = np.histogram(azimuths, bins=4, range=(0, 2 * math.pi))[0] / len(free)
    assert quarters == pytest.approx([0.25] * 4, abs=0.05)          # the azimuth is uniform round the circle
    assert (azimuths < 1.0).mean() == pytest.approx(1 / (2 * math.pi), abs=0.04)
    elevations = np.degrees(np.arcsin(np.abs([cam.forward[2] for cam in free])))
    assert elevations.min() < 15.5 and elevations.max() > 49.5      # 15° to 50°
    eyes = [cam.perspective for cam, name in drawn if name == "perspective"]
    assert min(eyes) < 3.2 and max(eyes) > 5.8                      # 3 to 6


@pytest.mark.parametrize("kind", ["principal", "oblique", "perspective"])
def test_a_camera_of_the_kind_asked_for(kind):
    rng = np.random.default_rng(5)
    for _ in range(20):
        cam, name = render.random_camera(rng, kind)
        assert (name in ("side", "front", "back", "top")) == (kind == "principal")
        assert kind == "principal" or name == kind


def test_framing_by_hand_from_a_probe_mask():
    """A 48-px probe of a 1.6 half-size front camera whose figure fills rows 2–40 and columns 20–27:
    a pixel i's centre is ((i + 0.5) / 24 − 1) · 1.6 from the middle, and the figure's box takes one pixel
    more each side: x from −0.3 to 0.3, y (up) from −7/6 to 1.5. Its larger half-extent, 4/3, drawn to
    fill 0.5 of the new half-size, gives 8/3; the slack 4/3, shifted by 0.9 of it right (+1) and down (−1),
    moves the centre from the box's middle (0, 0, 1/6) by (−1.2, 0, +1.2)."""
    mask = np.zeros((48, 48), bool)
    mask[2:41, 20:28] = True
    cam = _camera((0, 1, 0), half=1.6, perspective=4.0)
    draws = Scripted(0.5, np.array([1.0, -1.0]))
    framed = render._framed(cam, mask, draws, 48)
    assert draws.calls == [("uniform", (0.35, 0.9)), ("uniform", (-1, 1, 2))]
    assert framed.half_size == pytest.approx(8 / 3)
    assert framed.center == pytest.approx([-1.2, 0.0, 1 / 6 + 1.2])
    assert framed.perspective == 4.0 and framed.forward is cam.forward and framed.up is cam.up


def test_framing_fits_the_solid_into_35_to_90_percent_of_the_image():
    shape = _moved(sdf.box([0.3, 0.2, 0.1]), (0.5, 0.0, -0.4))
    rng = np.random.default_rng(11)
    spans = []
    for _ in range(12):
        cam = render.frame(shape, _camera((0, 1, 0), half=render.BOUND), rng)
        mask = render.trace(shape, cam, 96)[0]
        rows, cols = np.nonzero(mask)
        assert rows.min() > 0 and cols.min() > 0 and rows.max() < 95 and cols.max() < 95   # never cut
        spans.append(max(rows.ptp(), cols.ptp()) / 96)
        assert cam.forward is not None and cam.perspective == 0.0
    assert 0.3 <= min(spans) and max(spans) <= 0.92
    assert max(spans) - min(spans) > 0.2                  # the zoom is drawn, not fixed
    empty = _camera((0, 1, 0), half=render.BOUND)
    far = _moved(sdf.sphere(0.1), (10.0, 0.0, 0.0))       # nothing in view: the camera is kept
    assert render.frame(far, empty, np.random.default_rng(0)) is empty

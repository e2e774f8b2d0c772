"""TripoSR's triplane field (models/triposr/nerf.py) against hand-worked answers: which plane a point's
coordinates index and in what order the features come, the decoder's density and colour, the input
camera's rays, and volume rendering of a uniform fog against the continuous integral."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from depthy_blender.models.triposr import nerf  # noqa: E402

R = 0.87   # the official radius


def test_each_plane_is_indexed_by_its_two_axes_and_features_come_plane_by_plane():
    """4 × 4 planes, two channels: with align_corners off, ±0.75 of the radius is the centre of the
    first or last pixel; plane 0 is (x, y), 1 is (x, z), 2 is (y, z), the first coordinate across."""
    planes = torch.zeros(3, 2, 4, 4)
    planes[0, 1, 3, 0] = 1.0     # plane 0, channel 1: row from y = +0.75, column from x = −0.75
    planes[1, 0, 0, 3] = 2.0     # plane 1, channel 0: row from z = −0.75, column from x = +0.75
    planes[2, 1, 3, 0] = 3.0     # plane 2, channel 1: row from z = +0.75, column from y = −0.75
    a = 0.75 * R
    points = torch.tensor([[-a, a, 0.0], [a, 0.0, -a], [0.0, -a, a], [1.2 * R, 0.0, 0.0]])
    feats = nerf.sample_planes(planes, points, R)
    assert feats.shape == (4, 6)
    # each point's (plane 0 ch 0, ch 1, plane 1 ch 0, ch 1, plane 2 ch 0, ch 1); the rest read between pixels
    assert feats[0, 1] == pytest.approx(1.0) and feats[1, 2] == pytest.approx(2.0) and feats[2, 5] == pytest.approx(3.0)
    assert feats[0, [0, 2, 3, 4]].abs().max() == 0 and feats[1, [0, 1, 3]].abs().max() == 0
    assert feats[3].abs().max() == 0                      # outside the planes: zero


def test_between_pixels_the_planes_are_read_bilinearly():
    planes = torch.zeros(3, 1, 2, 2)
    planes[0, 0] = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    feats = nerf.sample_planes(planes, torch.tensor([[0.0, 0.0, 0.0]]), R)
    assert feats[0, 0] == pytest.approx(1.5)             # the middle: the mean of the four


def test_the_decoder_gives_density_from_the_first_output_and_colour_from_the_next_three():
    raw = torch.tensor([[0.5, 0.0, 2.0, -2.0, 9.0]])
    density, colour = nerf.decode(lambda features: features, raw)
    assert density.item() == pytest.approx(math.exp(0.5 - 1.0))
    assert colour[0].tolist() == pytest.approx([0.5, 1 / (1 + math.exp(-2)), 1 / (1 + math.exp(2))])
    density, _ = nerf.decode(lambda features: features, raw, density_bias=0.0)
    assert density.item() == pytest.approx(math.exp(0.5))


def test_the_mlp_alternates_linear_layers_and_silu_as_the_checkpoint_names_them():
    mlp = nerf.NeRFMLP(6, 8, 3, out_channels=4)
    kinds = [type(m).__name__ for m in mlp.layers]
    assert kinds == ["Linear", "SiLU", "Linear", "SiLU", "Linear", "SiLU", "Linear"]
    assert [(m.in_features, m.out_features) for m in mlp.layers if isinstance(m, torch.nn.Linear)] == \
        [(6, 8), (8, 8), (8, 8), (8, 4)]
    x = torch.randn(5, 6)
    assert torch.equal(mlp(x), mlp.layers(x))


def test_the_input_camera_looks_down_minus_x_with_row_0_at_the_top_and_plus_y_to_the_right():
    origins, dirs = nerf.input_view_rays(2, distance=1.9, fov_deg=40.0)
    assert origins.numpy() == pytest.approx(np.array([[1.9, 0.0, 0.0]] * 4))
    h = math.tan(math.radians(20.0)) * 0.5                 # pixel centres at ±half of the half-width
    expected = np.array([[-1, -h, h], [-1, h, h], [-1, -h, -h], [-1, h, -h]])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert dirs.numpy() == pytest.approx(expected, abs=1e-6)
    assert torch.equal(nerf.input_view_rays(2)[1], dirs)     # the official camera is the default
    _, dirs = nerf.input_view_rays(3, fov_deg=90.0)        # the centre ray straight ahead, the corner at 45° wide
    assert dirs[4].tolist() == pytest.approx([-1.0, 0.0, 0.0])
    assert dirs[0].numpy() == pytest.approx(np.array([-1.0, -2 / 3, 2 / 3]) / math.sqrt(1 + 8 / 9), abs=1e-6)


def fog(sigma):
    return lambda points: torch.full((points.shape[0],), float(sigma))


def continuous(sigma, t_near, t_far):
    """Expected depth and opacity of a uniform fog whose optical depth over the box is σ (δ = 1/samples
    per sample, whatever the chord): the samples' continuous limit."""
    length = t_far - t_near
    opacity = 1 - math.exp(-sigma)
    mean_u = 1 / sigma - math.exp(-sigma) / opacity       # E[u] for a density ∝ σ·e^(−σu) on [0, 1]
    return t_near + length * mean_u, opacity


def test_a_uniform_fog_renders_as_the_volume_integral_says():
    box = R * 0.999
    slant = math.sqrt(1.01)
    origins = torch.tensor([[1.9, 0.0, 0.0], [1.9, 0.95, 0.0], [0.0, 0.0, 0.0], [0.3, 0.2, 1.9], [1.9, 0.0, 0.0]])
    dirs = torch.tensor([[-1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0],
                         [-1 / slant, 0.1 / slant, 0.0]])
    calls = []
    depth, opacity = nerf.render_depth(fog(2.0), origins, dirs, R, samples=512, chunk=1,
                                       cancel=lambda: calls.append(1))
    d, o = continuous(2.0, 1.9 - box, 1.9 + box)           # through the middle
    assert depth[0].item() == pytest.approx(d, abs=2e-3) and opacity[0].item() == pytest.approx(o, abs=2e-3)
    assert depth[1].item() == 0 and opacity[1].item() == 0  # passes beside the box
    d, o = continuous(2.0, 0.0, box)                        # starts inside: from where it starts
    assert depth[2].item() == pytest.approx(d, abs=2e-3) and opacity[2].item() == pytest.approx(o, abs=2e-3)
    d, _ = continuous(2.0, 1.9 - box, 1.9 + box)            # straight down from above
    assert depth[3].item() == pytest.approx(d, abs=2e-3)
    d, _ = continuous(2.0, (1.9 - box) * slant, (1.9 + box) * slant)   # slanted: enters and leaves at x = ±box
    assert depth[4].item() == pytest.approx(d, abs=2e-3)
    assert len(calls) == 4                                  # once per chunk: a ray each, 4 of them hit


def test_empty_space_renders_nothing_and_dense_matter_its_surface():
    origins, dirs = torch.tensor([[1.9, 0.0, 0.0]]), torch.tensor([[-1.0, 0.0, 0.0]])
    depth, opacity = nerf.render_depth(fog(0.0), origins, dirs, R, samples=64)
    assert opacity.item() == 0 and depth.item() == 0
    depth, opacity = nerf.render_depth(fog(1e4), origins, dirs, R)
    first = 1.9 - R * 0.999 + 2 * R * 0.999 * 0.5 / 128     # the first of the 128 samples takes it all
    assert opacity.item() == pytest.approx(1.0) and depth.item() == pytest.approx(first, abs=1e-5)

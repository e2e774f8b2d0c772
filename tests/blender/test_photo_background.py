"""Photos: the artist's background cut (flood fill from the border) keeps the whole object — its
highlights too — and none of a backdrop's gradient."""
import numpy as np
from PIL import Image

from tests.blender.conftest import generate


def photo(path):
    """A reddish ball with a white highlight on a grey sweep that darkens toward the bottom."""
    h, w = 300, 400
    yy, xx = np.mgrid[:h, :w]
    rgb = np.empty((h, w, 3), np.float32)
    rgb[...] = (0.35 + 0.4 * yy / h)[..., None]
    ball = (yy - 150) ** 2 + (xx - 200) ** 2 < 90 ** 2
    rgb[ball] = np.array([0.55, 0.3, 0.2]) * (0.7 + 0.3 * np.cos(xx[ball] / 40.0))[:, None]
    rgb[(yy - 120) ** 2 + (xx - 170) ** 2 < 15 ** 2] = 1.0
    rgb += np.random.default_rng(0).normal(0, 0.01, rgb.shape)
    Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8)).save(path)
    return ball


def covered(obj, shape):
    """Which image pixels the relief's front grid covers (from its stored grid cells)."""
    from depthy_blender.blender import mesh_io
    _, cells, sides = mesh_io.read_slider_data(obj.data)
    s = obj.depthy
    grid = np.zeros(s.grid_rows * s.grid_cols, bool)
    grid[cells[sides > 0]] = True
    grid = grid.reshape(s.grid_rows, s.grid_cols)
    rows = np.arange(shape[0]) * s.grid_rows // shape[0]
    cols = np.arange(shape[1]) * s.grid_cols // shape[1]
    return grid[rows][:, cols]


def test_border_fill_keeps_the_object_and_drops_the_backdrop(tmp_path):
    ball = photo(tmp_path / "ball.jpg")
    obj = generate(source="FILE", filepath=str(tmp_path / "ball.jpg"), engine="inflate", resolution=100,
                   background="BORDER")
    got = covered(obj, ball.shape)
    assert (got & ball).sum() / ball.sum() > 0.97          # the ball, highlight included: no hole
    assert (got & ~ball).sum() / ball.sum() < 0.08         # the backdrop is gone (a thin rim at most)


def test_auto_background_on_this_photo_is_the_whole_frame(tmp_path):
    """The baseline the option exists for: on a backdrop with a gradient the paper fill sees no paper."""
    ball = photo(tmp_path / "ball.jpg")
    obj = generate(source="FILE", filepath=str(tmp_path / "ball.jpg"), engine="inflate", resolution=100)
    assert (covered(obj, ball.shape) & ~ball).sum() > ball.sum()

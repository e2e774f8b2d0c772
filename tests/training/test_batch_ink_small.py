"""The device-side inking (training/synth/batch_ink.py) against ink.py, the CPU reference tested by hand,
on small made-up views that take milliseconds: a plate with a step and a crease and a ball. Each piece
(line maps, depth steps, the cross dilation, soft lines of any width, the sketchy warp, the blur, hidden
lines) is compared with ink's own or scipy's, the plan is shown to make exactly ink.draw's draws in
ink.draw's order, and whole drawings of every style agree within batch_ink's stated 1e-5."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from scipy import ndimage  # noqa: E402

from tests.training.draws import Scripted  # noqa: E402
from training.synth import batch_ink, ink  # noqa: E402

TOLERANCE = 1e-5


def _views(size, width=None):
    """Two views (mask, depth, normals) of size × width (width = size by default): a plate whose right part
    steps back by 0.2 and turns 45° (a depth jump and a crease) with a notch cut in its top, and a ball."""
    width = width or size
    yy, xx = np.mgrid[:size, :width] / np.array([size, width])[:, None, None]
    plate = (yy > 0.15) & (yy < 0.85) & (xx > 0.1) & (xx < 0.9) & ~((yy < 0.35) & (np.abs(xx - 0.5) < 0.1))
    right = xx > 0.55
    plate_depth = 1.0 + 0.1 * yy + np.where(right, 0.2 + 0.3 * (xx - 0.55), 0.0)
    plate_normals = np.where(right[..., None], [0.7071, 0.0, -0.7071], [0.0, 0.0, -1.0])
    r2 = (yy - 0.5) ** 2 + (xx - 0.45) ** 2
    ball = r2 < 0.3 ** 2
    bulge = np.sqrt(np.clip(0.09 - r2, 0, None))
    ball_normals = np.stack([(xx - 0.45), (yy - 0.5), -bulge], -1) / 0.3
    mask = np.stack([plate, ball])
    depth = np.stack([np.where(plate, plate_depth, 0.0), np.where(ball, 1.5 - bulge, 0.0)]).astype(np.float32)
    normals = np.stack([plate_normals, ball_normals]).astype(np.float32) * mask[..., None]
    return torch.from_numpy(mask), torch.from_numpy(depth), torch.from_numpy(normals)


def _corner(size):
    """A view whose figure runs off the bottom right corner, with two steps back side by side (columns
    size − 8 and − 7), a step on the last column, a turn of 30.5° at column size − 4 and a turn of 45°
    on the last row left of it."""
    mask = np.zeros((size, size), bool)
    mask[size // 2:, size // 2:] = True
    cols = np.arange(size)[None, :].repeat(size, 0)
    depth = 1.0 + 0.3 * (cols >= size - 8) + 0.3 * (cols >= size - 7) + 0.3 * (cols == size - 1)
    turn = np.radians(30.5)
    normals = np.where((cols >= size - 4)[..., None], [np.sin(turn), 0.0, -np.cos(turn)], [0.0, 0.0, -1.0])
    normals[-1, :size - 4] = [0.0, 0.7071, -0.7071]
    return (torch.from_numpy(mask[None]), torch.from_numpy((depth * mask)[None].astype(np.float32)),
            torch.from_numpy((normals * mask[..., None])[None].astype(np.float32)))


def test_line_maps_and_depth_steps_are_inks_own():
    mask, depth, normals = (torch.cat(pair) for pair in zip(_views(40), _corner(40)))
    outline, inner = batch_ink.line_maps(mask, depth, normals)
    jumps = batch_ink.depth_jump(mask, depth)
    for k in range(3):
        m, d, n = mask[k].numpy(), depth[k].numpy(), normals[k].numpy()
        assert float(jumps[k]) == pytest.approx(ink._depth_jump(d, m))
        o, i = ink.visible_lines(m, d, n)
        assert np.array_equal(outline[k].numpy(), o) and np.array_equal(inner[k].numpy(), i)
        assert i.any() and o.any()
    # a finer crease angle, a given step and steps judged against their neighbours: still ink's own
    steps = torch.tensor([0.3, 0.01, 0.1])
    for slope_aware in (False, True):
        o, i = batch_ink.line_maps(mask, depth, normals, crease_deg=10.0, jump_at=steps, slope_aware=slope_aware)
        for k in range(3):
            want = ink.line_maps(mask[k].numpy(), depth[k].numpy(), normals[k].numpy(), crease_deg=10.0,
                                 depth_jump=float(steps[k]), slope_aware=slope_aware)
            assert np.array_equal(o[k].numpy(), want[0]) and np.array_equal(i[k].numpy(), want[1])
    # the corner: each step's line on its nearer side (columns 31 and 32, and 38 before the last), both
    # side-by-side steps still lines when judged against their neighbours (each has a flat one); the
    # 30.5° turn is a crease at 30°, not at 31°
    corner = [a[2:] for a in (mask, depth, normals)]
    assert inner[2, 30, 31:33].all() and inner[2, 30, 35] and inner[2, 30, 38] and not inner[2, 30, 33]
    assert inner[2, 38, 22:30].all()                                     # the last row's turn, on the row before
    aware = batch_ink.line_maps(*corner, jump_at=torch.tensor([0.1]), slope_aware=True)[1][0]
    assert aware[30, 31] and aware[30, 32]
    assert not batch_ink.line_maps(*corner, crease_deg=31.0)[1][0, 30, 35]
    # the plate's step is about 0.2 deep: with the crease left out (one normal), a line under a step of 0.1,
    # none over 0.3
    flat = torch.zeros_like(normals[:1])
    flat[..., 2] = -1.0
    assert batch_ink.line_maps(mask[:1], depth[:1], flat, jump_at=torch.tensor([0.1]))[1].sum() >= 15
    assert not batch_ink.line_maps(mask[:1], depth[:1], flat, jump_at=torch.tensor([0.3]))[1].any()


def test_depth_steps_of_flat_deep_and_empty_views():
    mask = torch.zeros(3, 4, 4, dtype=torch.bool)
    mask[:2, 1:3, 1:3] = True
    depth = torch.zeros(3, 4, 4)
    depth[0, 1:3, 1:3] = torch.tensor([[1.0, 1.1], [1.2, 1.3]])     # range 0.3: 5 % is 0.015, under 0.02
    depth[1, 1:3, 1:3] = torch.tensor([[1.0, 3.0], [2.0, 5.0]])     # range 4: 0.2
    depth[2] = 9.0                                                  # no figure: 0.02
    assert batch_ink.depth_jump(mask, depth).tolist() == pytest.approx([0.02, 0.2, 0.02])


@pytest.mark.parametrize("iterations", [1, 2, 3])
def test_dilation_is_scipys_cross(iterations):
    maps = torch.from_numpy(np.random.default_rng(iterations).random((3, 9, 11)) < 0.08)
    grown = batch_ink.dilate(maps, iterations)
    for k in range(3):
        assert np.array_equal(grown[k].numpy(), ndimage.binary_dilation(maps[k].numpy(), iterations=iterations))


def test_soft_lines_of_every_width_are_inks_own():
    mask, depth, normals = _views(40)
    outline, _ = batch_ink.line_maps(mask, depth, normals)
    lines = torch.cat([outline, outline, outline, torch.zeros_like(outline[:1])])
    widths = torch.tensor([0.6, 1.0, 1.01, 2.0, 3.3, 6.0, 2.5])
    faint = torch.tensor([True, False, True, False, True, False, False])
    soft = batch_ink.thick(lines, widths, faint)
    assert soft.shape == lines.shape and soft.dtype == torch.float32
    for k in range(7):
        want = ink._thick(lines[k].numpy(), float(widths[k]), bool(faint[k]))
        assert np.abs(soft[k].numpy() - want).max() <= TOLERANCE, k
    assert soft[6].sum() == 0 and soft[0].max() == pytest.approx(0.6)      # no line; a faint one 0.6 dark
    # a single pixel at width 3: full within 1 px, 3 / 2 + 0.5 − √2 at √2 px, none at 2
    dot = torch.zeros(1, 9, 9, dtype=torch.bool)
    dot[0, 4, 4] = True
    one = batch_ink.thick(dot, torch.tensor([3.0]), torch.tensor([False]))[0]
    assert float(one[4, 5]) == 1.0 and float(one[5, 5]) == pytest.approx(2.0 - 2 ** 0.5)
    assert float(one[4, 6]) == 0.0 and float(one[4, 4]) == 1.0
    assert batch_ink.thick(dot[:0], torch.zeros(0), torch.zeros(0, dtype=torch.bool)).shape == (0, 9, 9)


def test_the_sketchy_warp_and_the_blur_are_scipys():
    # lines kept 2 px off the image's edge, as a framed figure's are: a line on the edge warped out by
    # under a pixel is kept by torch's zero padding and dropped by scipy's constant mode
    rng = np.random.default_rng(3)
    lines = np.pad(rng.random((10, 13)) < 0.2, 2)
    dy, dx = rng.normal(0, 1.5, (2, 14, 17))
    warped = batch_ink._warp(torch.from_numpy(lines), torch.from_numpy(dy), torch.from_numpy(dx))
    yy, xx = np.mgrid[:14, :17]
    want = ndimage.map_coordinates(lines.astype(np.float32), [yy + dy, xx + dx], order=1) > 0.3
    assert np.array_equal(warped.numpy(), want)
    image = rng.random((13, 16, 3)).astype(np.float32)
    for sigma in (0.3, 0.65, 1.0):
        blurred = batch_ink._blur(torch.from_numpy(image), sigma)
        assert blurred.dtype == torch.float32
        assert np.abs(blurred.numpy() - ndimage.gaussian_filter(image, (sigma, sigma, 0))).max() <= TOLERANCE


def _layers(h, w):
    """The two views at h × w and four made-up layers behind them (render.hidden_layers' order)."""
    mask, depth, normals = _views(h, w)
    rows, cols = torch.arange(h)[:, None] / h, torch.arange(w)[None, :] / w
    flat = torch.zeros_like(normals)
    flat[..., 2] = -1.0
    nothing = torch.zeros_like(depth)

    def disk(cy, cx, r):
        return (rows - cy) ** 2 + ((cols - cx) * w / h) ** 2 < r ** 2
    # the first layer behind: each figure less a disk (the first layer's outline does not count, only its
    # inner lines), stepping back 0.5 from x = 0.3 on
    hole = torch.stack([disk(0.5, 0.75, 0.05), disk(0.45, 0.5, 0.04)])
    first_mask = mask & ~hole
    first = (first_mask, torch.where(first_mask, depth + 0.5 + 0.5 * (cols >= 0.3), nothing), flat, first_mask * 0.9)
    empty = (torch.zeros_like(mask), nothing, torch.zeros_like(normals), nothing)
    # a band falling steeply (0.1 a pixel: steps that are no edges when judged against their neighbours)
    band = mask & (rows > 0.7) & (rows < 0.75) & (cols > 0.2) & (cols < 0.45)
    ramp = (band, torch.where(band, depth + 1.0 + 0.1 * torch.arange(w)[None, :], nothing), flat, band * 0.9)
    # a disk behind each figure (its outline counts), grazed across its top in the ball, with a step of
    # 0.04 (a line at the visible figure's step, 0.02, not at the layer's own, 5 % of its range of 1.24)
    behind = torch.stack([disk(0.6, 0.3, 0.05), disk(0.5, 0.45, 0.05)])
    facing = behind * 0.9
    facing[1, int(0.46 * h):int(0.475 * h)] = 0.2
    stepped = depth + 1.0 + 0.04 * (cols >= torch.tensor([0.35, 0.5])[:, None, None]) + 1.2 * (rows >= torch.tensor([0.64, 0.54])[:, None, None])
    later = (behind, torch.where(behind, stepped, nothing), flat, facing)
    return mask, depth, normals, [first, empty, ramp, later]


@pytest.mark.parametrize("h, w", [(224, 48), (48, 48)])
def test_hidden_lines_of_made_up_layers_are_inks_own(monkeypatch, h, w):
    # tall views keep lines round(224 / 64) = 4 px clear of the outline, square ones 2 px
    mask, depth, normals, layers = _layers(h, w)
    cells = torch.from_numpy(np.stack([ink._cells_on((h, w), np.random.default_rng([4, k]), 5.0, 0.65)
                                       for k in range(2)]))
    got = batch_ink.hidden_lines(mask, depth, normals, layers, cells)
    as_numpy = [[tuple(a[k].numpy() for a in layer) for layer in layers] for k in range(2)]
    for k in range(2):
        want = ink.hidden_lines(mask[k].numpy(), depth[k].numpy(), normals[k].numpy(), as_numpy[k],
                                np.random.default_rng([4, k]))
        assert np.array_equal(got[k].numpy(), want) and want.sum() >= 3
    # every line, undashed: the same as ink's with its dashes all on
    every = batch_ink.hidden_lines(mask, depth, normals, layers, torch.ones_like(cells))
    monkeypatch.setattr(ink, "_cells_on", lambda shape, rng, period, keep: np.ones(shape, bool))
    for k in range(2):
        want = ink.hidden_lines(mask[k].numpy(), depth[k].numpy(), normals[k].numpy(), as_numpy[k], None)
        assert np.array_equal(every[k].numpy(), want)
    assert every[:, :, int(0.3 * w)].any()                                   # the first layer's step
    if h == 224:
        assert every[0, int(0.55 * h):int(0.65 * h)].any()                  # a disk behind
        assert not every[0, int(0.47 * h):int(0.53 * h), int(0.7 * w):int(0.8 * w)].any()   # not the hole
        assert not every[:, int(0.72 * h), 16:21].any()   # not the ramp (its ends 10 and 21, the step 14)
        assert every[0, int(0.56 * h):int(0.64 * h), 16].any()             # the disk's step of 0.04


def _recorded(seed, pen_seed):
    rng = Scripted(then=np.random.default_rng(seed))
    pen = Scripted(then=np.random.default_rng(pen_seed)) if pen_seed is not None else None
    return rng, pen


@pytest.mark.parametrize("style", [None, "lines", "fill", "shaded", "sketchy"])
def test_a_plan_makes_ink_draws_draws_in_its_order(style):
    mask, depth, normals = _views(32)
    for seed in range(12):
        pen_seed = seed + 100 if seed % 3 == 0 else None
        rng, pen = _recorded(seed, pen_seed)
        batch_ink.plan(mask[seed % 2].numpy(), rng, style, pen)
        rng_ref, pen_ref = _recorded(seed, pen_seed)
        ink.draw(*(a[seed % 2].numpy() for a in (mask, depth, normals)), rng_ref, style, pen=pen_ref)
        assert repr(rng.calls) == repr(rng_ref.calls)
        assert pen is None or repr(pen.calls) == repr(pen_ref.calls)


@pytest.mark.parametrize("even", [False, True])
@pytest.mark.parametrize("style", [None, "lines", "fill", "shaded", "sketchy"])
def test_whole_drawings_agree_with_ink_draw(style, even):
    # 128 px: lines 0.75 to 1.75 px wide, so both the thin and the soft line paths are drawn
    mask, depth, normals = _views(128)
    for seed in range(3):
        pens = [np.random.default_rng([seed, 9, k]) if even else None for k in range(2)]
        plans = [batch_ink.plan(mask[k].numpy(), np.random.default_rng([seed, k]), style, pens[k]) for k in range(2)]
        drawn = batch_ink.draw(mask, depth, normals, plans)
        assert drawn.shape == (2, 128, 128, 3) and drawn.dtype == torch.float32
        for k in range(2):
            pen = np.random.default_rng([seed, 9, k]) if even else None
            want = ink.draw(mask[k].numpy(), depth[k].numpy(), normals[k].numpy(), np.random.default_rng([seed, k]),
                            style, pen=pen)
            assert np.abs(drawn[k].numpy() - want).max() <= TOLERANCE, (seed, k, plans[k])


@pytest.mark.parametrize("style", ["lines", "fill", "shaded", "sketchy"])
def test_hidden_dashes_are_inked_as_ink_draw_inks_them(style):
    mask, depth, normals = _views(96)
    hidden = torch.zeros_like(mask)
    hidden[0, 40:70:2, 30] = hidden[0, 60, 20:50] = True
    hidden[1, 30:60, 50] = True
    plans = [batch_ink.plan(mask[k].numpy(), np.random.default_rng([5, k]), style) for k in range(2)]
    drawn = batch_ink.draw(mask, depth, normals, plans, hidden)
    for k in range(2):
        want = ink.draw(mask[k].numpy(), depth[k].numpy(), normals[k].numpy(), np.random.default_rng([5, k]), style,
                        hidden=hidden[k].numpy())
        assert np.abs(drawn[k].numpy() - want).max() <= TOLERANCE
    plain = batch_ink.draw(mask, depth, normals, plans)
    assert (plain != drawn).any() == (style != "shaded")                  # shaded drawings leave hidden lines out


def test_centre_lines_are_as_wide_as_inner_lines():
    # at 256 px inner lines are 0.8 to 1.8 px wide, so centre lines are drawn over 2 × 2 px when over 1
    mask, depth, normals = (a[:1] for a in _views(256))
    drawn = 0
    for seed in range(40):
        plan = batch_ink.plan(mask[0].numpy(), np.random.default_rng([seed, 1]), "lines")
        if plan.centre is None or plan.w_in <= 1.0 or not plan.centre.any():
            continue
        drawn += 1
        got = batch_ink.draw(mask, depth, normals, [plan])[0]
        want = ink.draw(mask[0].numpy(), depth[0].numpy(), normals[0].numpy(), np.random.default_rng([seed, 1]), "lines")
        assert np.abs(got.numpy() - want).max() <= TOLERANCE
        if drawn == 2:
            break
    assert drawn == 2

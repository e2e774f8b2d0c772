"""The generator's inking (training/synth/ink.py) against line maps and pixels worked out by hand.

What the network sees as a drawing comes from ink.py: which pixels are outline, inner edge or hidden
line, how thick each is inked, where the centre lines and dashes fall, and the paper and ink colours.
test_batch_views.py checks the device inking (batch_ink.py) against ink.py; this file checks ink.py
itself on buffers small enough to draw on paper, and runs the line maps through batch_ink as well."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tests.training.draws import Scripted as _Draws  # noqa: E402
from training.synth import batch_ink, ink  # noqa: E402


def _maps(mask, depth, normals, **options):
    """ink.line_maps, checked against batch_ink.line_maps on the same buffers (one view)."""
    outline, inner = ink.line_maps(mask, depth, normals, **options)
    jump = options.get("depth_jump", 0.04)
    b_out, b_in = batch_ink.line_maps(torch.from_numpy(mask)[None], torch.from_numpy(depth)[None],
                                      torch.from_numpy(normals)[None], options.get("crease_deg", 30.0),
                                      torch.tensor([jump], dtype=torch.float32), options.get("slope_aware", False))
    assert np.array_equal(b_out[0].numpy(), outline) and np.array_equal(b_in[0].numpy(), inner)
    return outline, inner


def _grid(rows):
    """A bool map from strings of '#' and '.'."""
    return np.array([[c == "#" for c in row] for row in rows])


def _square(size=8, lo=2, hi=6):
    mask = np.zeros((size, size), bool)
    mask[lo:hi, lo:hi] = True
    depth = np.zeros((size, size), np.float32)
    normals = np.zeros((size, size, 3), np.float32)
    normals[..., 2] = -1.0
    return mask, depth, normals


def test_edges_mark_both_sides_of_every_change_across_four_neighbours():
    a = _grid([".....",
               ".##..",
               ".##..",
               ".....",
               "....."])
    assert np.array_equal(ink._edges(a), _grid([".##..",
                                                "####.",
                                                "####.",
                                                ".##..",
                                                "....."]))
    assert not ink._edges(np.ones((4, 4), bool)).any()


def test_thick_lines_by_distance():
    line = np.zeros((5, 5), bool)
    line[2, 2] = True
    soft = ink._thick(line, 3.0)     # clip(3 / 2 + 0.5 − distance, 0, 1)
    assert soft.dtype == np.float32
    assert soft[2, 2] == 1.0 and soft[2, 3] == 1.0 and soft[2, 4] == 0.0
    assert soft[3, 3] == pytest.approx(2 - np.sqrt(2))
    assert ink._thick(line, 2.0)[2, 3] == pytest.approx(0.5)
    thin = ink._thick(line, 0.6, faint=True)   # under 1 px: the 1-px line, lighter by its width
    assert thin[2, 2] == pytest.approx(0.6) and thin.sum() == pytest.approx(0.6)
    assert ink._thick(line, 0.6)[2, 2] == 1.0 and ink._thick(line, 1.0, faint=True)[2, 2] == 1.0
    assert not ink._thick(np.zeros((5, 5), bool), 3.0).any()   # no line: no distance transform


def test_outline_depth_step_and_crease_of_a_square():
    mask, depth, normals = _square()
    depth[:, 4:] = 0.5                     # the right half steps back
    outline, inner = _maps(mask, depth, normals)
    ring = mask & ~np.pad(np.ones((2, 2), bool), 3)
    assert np.array_equal(outline, ring)
    step = np.zeros_like(mask)
    step[3:5, 3] = True                    # on the nearer (left) side of the step, inside the ring
    assert np.array_equal(inner, step)
    depth[:, 4:] = 0.03                    # under the default 0.04: no edge
    assert not _maps(mask, depth, normals)[1].any()
    depth[:, 4:] = -0.5                    # the right half comes forward: the line moves to it
    step = np.zeros_like(mask)
    step[3:5, 4] = True
    assert np.array_equal(_maps(mask, depth, normals)[1], step)

    mask, depth, normals = _square()
    normals[4:] = (np.sin(np.radians(31)), 0.0, -np.cos(np.radians(31)))   # the lower half turned 31°
    crease = np.zeros_like(mask)
    crease[3, 3:5] = True                  # the upper side of the fold, inside the ring
    assert np.array_equal(_maps(mask, depth, normals)[1], crease)
    normals[4:] = (np.sin(np.radians(29)), 0.0, -np.cos(np.radians(29)))   # 29°: under the 30° limit
    assert not _maps(mask, depth, normals)[1].any()
    assert np.array_equal(_maps(mask, depth, normals, crease_deg=25.0)[1], crease)
    mask, depth, normals = _square()
    normals[:, 4:] = (np.sin(np.radians(31)), 0.0, -np.cos(np.radians(31)))   # a vertical fold instead
    fold = np.zeros_like(mask)
    fold[3:5, 3] = True                    # its left side
    assert np.array_equal(_maps(mask, depth, normals)[1], fold)


def test_a_steady_slope_is_no_edge_when_slope_aware():
    mask, depth, normals = _square(10, 1, 9)
    depth[:] = np.arange(10, dtype=np.float32)[None, :] * 0.1       # 0.1 per column: each step > 0.04
    plain = _maps(mask, depth, normals)[1]
    assert plain[2:8, 2:8].all()           # every column is a step
    assert not _maps(mask, depth, normals, slope_aware=True)[1].any()
    depth[:, 5:] += 0.5                    # one step of 0.6 among steps of 0.1: 6× its neighbours
    aware = _maps(mask, depth, normals, slope_aware=True)[1]
    want = np.zeros_like(mask)
    want[2:8, 4] = True
    assert np.array_equal(aware, want)
    depth[:, 5:] -= 0.25                   # a step of 0.35: 3.5× still counts; 0.3 would be 3×, not more
    assert np.array_equal(_maps(mask, depth, normals, slope_aware=True)[1], want)
    depth[:, 5:] -= 0.05
    assert not _maps(mask, depth, normals, slope_aware=True)[1].any()


def test_the_depth_step_that_counts_is_five_percent_of_the_figure_at_least_0_02():
    mask, depth, _ = _square()
    depth[mask] = np.linspace(0, 1, 16)
    depth[~mask] = 50.0                     # the background does not count
    assert ink._depth_jump(depth, mask) == pytest.approx(0.05)
    depth[mask] *= 0.1
    assert ink._depth_jump(depth, mask) == pytest.approx(0.02)
    assert ink._depth_jump(depth, np.zeros_like(mask)) == 0.02
    depth[mask] *= 100
    got = batch_ink.depth_jump(torch.from_numpy(np.stack([mask, mask, np.zeros_like(mask)])),
                               torch.from_numpy(np.stack([depth, depth * 0.01, depth])))
    assert got.tolist() == pytest.approx([0.5, 0.02, 0.02])


def _degraded(blur=False, noise=False, jpeg=False):
    """The draws _degrade makes, in order, for the degradations asked for."""
    calls = [("random", ())] + ([("uniform", (0.3, 1.0))] if blur else [])
    calls += [("random", ())] + ([("uniform", (0.005, 0.03)), ("normal", (0, 0.02, (32, 32, 3)))] if noise else [])
    return calls + [("random", ())] + ([("integers", (30, 95))] if jpeg else [])


def test_centre_lines_by_hand():
    mask = np.zeros((64, 64), bool)
    mask[10:20, 20:40] = True               # centre at row int(14.5) = 14, column int(29.5) = 29
    lines = ink.centre_lines((64, 64), mask, _Draws(0.5, 0.5))
    # past the outline by int(0.06 · 64) = 3 px; dashes of period 8: on at 0–4 and at 6
    pattern = np.array([1, 1, 1, 1, 1, 0, 1, 0] * 4, np.float32)
    assert np.array_equal(lines[14, 17:29], pattern[:12]) and lines[14, 17:43][25] == 0
    assert not lines[14, :17].any() and not lines[14, 42:].any()
    assert np.array_equal(lines[7:23, 29], pattern[:16]) and not lines[:7, 29].any() and not lines[23:, 29].any()
    assert np.array_equal(lines[14, 30:42], pattern[13:25])
    assert lines[14, 29] == pattern[7] == 0                      # the vertical line drawn last, over it
    assert lines.sum() == pattern[:25].sum() - pattern[12] + pattern[:16].sum()
    assert not ink.centre_lines((64, 64), mask, _Draws(0.8, 0.8)).any()   # each line at 80 %
    only_down = ink.centre_lines((64, 64), mask, _Draws(0.9, 0.1))
    assert not only_down[14, :29].any() and only_down[:, 29].sum() == pattern[:16].sum()
    wide = ink.centre_lines((64, 64), mask, _Draws(0.5, 0.5), width=2.0)   # thickened 2 × 2
    assert wide[13, 17] == 1 and wide[14, 16] == 1 and wide[13, 16] == 1 and wide[15, 17] == 0
    assert not ink.centre_lines((64, 64), np.zeros((64, 64), bool), _Draws()).any()
    big = np.zeros((300, 300), bool)
    big[100:200, 100:200] = True            # period int(0.06 · 300) = 18, past by 18 px
    tall = ink.centre_lines((300, 300), big, _Draws(0.9, 0.1))[:, 149]
    assert np.nonzero(tall)[0].min() == 82 and np.nonzero(tall)[0].max() <= 217
    assert tall[82:82 + 18].tolist() == [1] * 11 + [0] * 3 + [1] + [0] * 3


def test_dash_cells():
    on = ink._cells_on((10, 10), _Draws(np.array([[0.1, 0.9], [0.7, 0.5]])), 5.0, 0.65)
    want = np.zeros((10, 10), bool)
    want[:5, :5] = want[5:, 5:] = True
    assert np.array_equal(on, want)
    rng = np.random.default_rng(0)
    share = ink._cells_on((200, 200), rng, 4.0, 0.65).mean()
    assert share == pytest.approx(0.65, abs=0.03)
    assert ink._cells_on((7, 3), _Draws(np.arange(9).reshape(3, 3) / 10), 2.5, 0.45).tolist() == \
        [[True, True, True], [True, True, True], [True, True, True], [True, True, True],
         [True, True, True], [False, False, False], [False, False, False]]


def test_even_pens_for_half_the_seeds_each_its_own():
    pens = [ink.even_pen(seed) for seed in range(400)]
    assert sum(p is not None for p in pens) / 400 == pytest.approx(ink.EVEN_SHARE, abs=0.07)
    seed = next(s for s, p in enumerate(pens) if p is not None)
    mine = np.random.default_rng([seed, 10])
    assert mine.random() < ink.EVEN_SHARE
    assert ink.even_pen(seed).random() == mine.random()          # handed on after its one draw
    assert ink.even_pen(next(s for s, p in enumerate(pens) if p is None)) is None


class _Cells:
    """A stand-in generator whose random arrays are all `value`."""

    def __init__(self, value):
        self.value = value

    def random(self, size):
        return np.full(size, self.value)


def _behind(size=24):
    """A flat square in front (depth 0) and, behind it, a surface whose right part steps back by 1."""
    mask, depth, normals = _square(size, 4, 20)
    m = mask.copy()
    d = np.where(mask, 0.5, 0.0).astype(np.float32)
    d[:, 12:] += 1.0
    facing = np.ones((size, size), np.float32)
    return mask, depth, normals, m, d, facing


def test_hidden_lines_by_hand():
    mask, depth, normals, m, d, facing = _behind()
    every = _Cells(0.0)                            # every dash cell on
    got = ink.hidden_lines(mask, depth, normals, [(m, d, normals, facing)], every)
    want = np.zeros_like(mask)
    # the step behind, on its near side (column 11), kept off the visible outline by
    # max(2, round(24 / 64)) = 2 px: rows 4 + 1 + 2 … 19 − 1 − 2
    want[7:17, 11] = True
    assert np.array_equal(got, want)
    # the first layer (the exit) adds its inner lines only; the second its outline too
    two = ink.hidden_lines(mask, depth, normals, [(np.zeros_like(m), d, normals, facing), (m, d, normals, facing)],
                           every)
    assert np.array_equal(two, want)
    small = m.copy()
    small[:, 16:] = False                   # a surface behind that ends at column 15: its outline shows
    edge = ink.hidden_lines(mask, depth, normals, [(np.zeros_like(m), d, normals, facing),
                                                   (small, d, normals, facing)], every)
    assert edge[7:17, 15].all() and edge[7:17, 11].all()
    grazing = facing.copy()
    grazing[:, 10:14] = 0.2                 # seen edge-on there: no line within a pixel of it
    assert not ink.hidden_lines(mask, depth, normals, [(m, d, normals, grazing)], every).any()
    _, inner = ink.visible_lines(mask, depth, normals)
    assert not inner.any()
    visible_inner = np.zeros_like(mask)
    visible_inner[:, 13] = True             # a visible line 2 columns away covers it
    assert not ink.hidden_lines(mask, depth, normals, [(m, d, normals, facing)], every,
                                visible=(ink.line_maps(mask, depth, normals)[0], visible_inner & mask)).any()
    none = _Cells(1.0)                             # every dash cell off
    assert not ink.hidden_lines(mask, depth, normals, [(m, d, normals, facing)], none).any()
    dashes = ink.hidden_lines(mask, depth, normals, [(m, d, normals, facing)], np.random.default_rng(1), period=2.0)
    assert 0 < dashes.sum() < want.sum() and not (dashes & ~want).any()


def test_a_line_drawing_by_hand():
    """Style "lines", widths 3 (outline) and 1 (inner), no centre line, paper 0.9 + (0.01, −0.02, 0), ink
    0.1, no blue, no blur, noise or JPEG: every pixel follows from the buffers."""
    mask, depth, normals = _square(32, 8, 24)
    depth[:, 16:] = 0.5
    # the widths are drawn at 256² and scaled by 32 / 256: 24 and 8 give 3 and 1
    draws = _Draws(24.0, 8.0, 0.9, 0.9, np.array([0.01, -0.02, 0.0]), 0.1, 0.5, 0.9, 0.9, 0.9)
    img = ink.draw(mask, depth, normals, draws, "lines")
    assert not draws.values
    assert draws.calls == [("uniform", (1.5, 3.5)), ("uniform", (0.8, 1.8)), ("random", ()),
                           ("uniform", (0.85, 1.0)), ("uniform", (-0.03, 0.03, 3)),
                           ("uniform", (0.0, 0.25)), ("random", ())] + _degraded()
    paper = np.array([0.91, 0.88, 0.90], np.float32)
    assert img.dtype == np.float32 and img.shape == (32, 32, 3)
    assert img[0, 0] == pytest.approx(paper) and img[16, 12] == pytest.approx(paper)   # off every line
    assert img[8, 12] == pytest.approx([0.1] * 3)            # on the outline: all ink
    assert img[7, 12] == pytest.approx([0.1] * 3)            # a pixel off it, within 3 / 2 + 0.5
    assert img[6, 12] == pytest.approx(paper)               # two off: clear
    assert img[12, 15] == pytest.approx([0.1] * 3)           # the step's inner line, 1 px, on its near side
    assert img[12, 14] == pytest.approx(paper) and img[12, 16] == pytest.approx(paper)


def test_fill_shading_and_a_blue_ink():
    mask, depth, normals = _square(32, 8, 24)
    fill = np.array([0.6, 0.7, 0.8])
    draws = _Draws(8.0, 8.0, 0.9, 1.0, np.zeros(3), fill, 0.0, 0.05, 0.9, 0.9, 0.9)
    img = ink.draw(mask, depth, normals, draws, "fill")
    assert not draws.values
    assert draws.calls[5] == ("uniform", (0.55, 0.95, 3))
    assert img[16, 16] == pytest.approx(fill) and img[0, 0] == pytest.approx([1.0] * 3)
    assert img[8, 16] == pytest.approx([0.0, 0.0, 0.2])      # ink 0 with the blue tint
    light = np.array([0.0, -1.0, 0.0])                       # from the camera's side: |y| made negative, unit
    draws = _Draws(8.0, 8.0, 0.9, 1.0, np.zeros(3), np.array([0.0, 0.5, 0.0]), 0.4,
                   np.array([0.5, 0.5, 0.5]), 0.5, 0.1, 0.5, 0.9, 0.9, 0.9)
    normals[..., :] = (0.0, 0.0, -1.0)
    normals[8:24, 8:16] = -light                             # the left half faces the light
    normals[8:24, 16:24] = light                             # the right half faces away: no light, not less
    img = ink.draw(mask, depth, normals, draws, "shaded")
    assert not draws.values
    assert draws.calls[5:9] == [("standard_normal", (3,)), ("random", ()), ("uniform", (0.4, 0.95, 3)), ("random", ())]
    assert img[16, 12] == pytest.approx([0.5] * 3)           # (0.35 + 0.65 · 1) × 0.5
    assert img[16, 20] == pytest.approx([0.175] * 3)         # (0.35 + 0) × 0.5: turned away, clipped at 0
    assert img[8, 20] == pytest.approx([0.1] * 3)            # lines kept (drawn at 0.4 or more)
    draws = _Draws(8.0, 8.0, 0.9, 1.0, np.zeros(3), np.array([0.0, 2.0, 0.0]), 0.6, 0.7, 0.1, 0.1, 0.5,
                   0.9, 0.9, 0.9)
    img = ink.draw(mask, depth, normals, draws, "shaded")
    assert not draws.values
    assert draws.calls[6:9] == [("random", ()), ("uniform", (0.5, 0.9)), ("random", ())]
    assert img[8, 20] == pytest.approx([0.7 * 0.35] * 3)     # a grey base 0.7, drawn without lines (0.1 < 0.4)


def test_degradations_by_hand():
    img = np.full((16, 16, 3), 0.5, np.float32)
    img[8] = 1.0
    kept = ink._degrade(img.copy(), _Draws(0.5, 0.6, 0.35))   # none of blur (< 0.5), noise (< 0.6), JPEG (< 0.35)
    assert np.array_equal(kept, img)
    blurred = ink._degrade(img.copy(), _Draws(0.4, 0.8, 0.6, 0.9))
    assert blurred[8, 4, 0] < 1.0 and blurred[7, 4, 0] > 0.5 and blurred[0, 4, 0] == pytest.approx(0.5)
    assert np.allclose(blurred[..., 0], blurred[..., 1])     # no blur across the colours
    noisy = ink._degrade(img.copy(), _Draws(0.9, 0.5, 0.02, np.full(img.shape, 0.7), 0.9))
    assert noisy[0, 0] == pytest.approx([1.0] * 3) and noisy[8, 0] == pytest.approx([1.0] * 3)   # clipped to 1
    jpeg = ink._degrade(img.copy(), _Draws(0.9, 0.9, 0.3, 50))
    assert jpeg.dtype == np.float32 and not np.array_equal(jpeg, img) and np.abs(jpeg - img).max() < 0.2
    assert np.allclose(jpeg * 255, np.round(jpeg * 255), atol=1e-3)   # back from 8-bit levels


def test_a_pen_hidden_dashes_and_a_centre_line():
    """A pen of width 8 at 256² (1 px at 32²) draws the outline 1 px wide whatever rng asks; the hidden
    map's pixel and the centre line's dashes are inked at 0.9."""
    mask, depth, normals = _square(32, 8, 24)
    hidden = np.zeros((32, 32), bool)
    hidden[16, 16] = True
    pen = _Draws(8.0, 0.9)                     # its width, then no breaks (0.9 ≥ 0.5)
    # widths asked for (ignored), a centre line (0.1 < 0.3) across only (0.5, then 0.9), paper 0.9,
    # ink 0, no blue, no degradation
    draws = _Draws(24.0, 8.0, 0.1, 0.5, 0.9, 0.9, np.zeros(3), 0.0, 0.5, 0.9, 0.9, 0.9)
    img = ink.draw(mask, depth, normals, draws, "lines", hidden=hidden, pen=pen)
    assert not draws.values and not pen.values
    assert pen.calls == [("uniform", ink.EVEN_WIDTH), ("random", ())]
    grey = img[..., 0]
    assert grey[8, 16] == pytest.approx(0.0) and grey[7, 16] == pytest.approx(0.9)   # 1 px, not 3
    assert grey[16, 16] == pytest.approx(0.09)            # hidden: 0.9 × ink over 0.1 × paper
    # the centre line: row int(15.5) = 15, from column 8 − int(0.06 · 32) = 7, dashes of 8 (0–4 and 6 on)
    assert grey[15, 7] == pytest.approx(0.09) and grey[15, 12] == pytest.approx(0.9)
    assert grey[15, 13] == pytest.approx(0.09) and grey[15, 14] == pytest.approx(0.9)
    assert grey[10, 16] == pytest.approx(0.9)             # no line down (0.9 ≥ 0.8)
    breaking = _Draws(8.0, 0.1, np.full((86, 86), 0.95))   # breaks (0.1 < 0.5): cells of 3 × 32 / 256 px, all off
    draws = _Draws(24.0, 8.0, 0.9, 0.9, np.zeros(3), 0.0, 0.5, 0.9, 0.9, 0.9)
    img = ink.draw(mask, depth, normals, draws, "lines", pen=breaking)
    assert not breaking.values and img[8, 16, 0] == pytest.approx(0.9)   # the outline broken away
    assert breaking.calls[2] == ("random", ((86, 86),))


def test_steps_along_rows_and_columns_together_and_small_steps_on_a_flat_when_slope_aware():
    mask, depth, normals = _square(10, 1, 9)
    depth[5:, :] = 0.5                     # the lower half steps back …
    depth[:, 5:] += 1.0                    # … and the right half further
    inner = _maps(mask, depth, normals)[1]
    want = np.zeros_like(mask)
    want[4, 2:5] = True                    # the row step on its near (upper) side, left half
    want[4, 5:8] = True                    # and right half
    want[2:8, 4] = True                    # the column step on its near (left) side
    assert np.array_equal(inner, want)
    mask, depth, normals = _square(10, 1, 9)
    depth[:, 5:] = 0.01                    # a step of 0.01 on a flat: 3× its neighbours (0) but under 0.04
    assert not _maps(mask, depth, normals, slope_aware=True)[1].any()


def test_thin_lines_keep_float32_and_soft_ones_never_go_below_0():
    line = np.zeros((7, 7), bool)
    line[3, 3] = True
    assert ink._thick(line, 0.5, faint=True).dtype == np.float32 and ink._thick(line, 1.0).dtype == np.float32
    assert ink._thick(line, 3.0).min() == 0.0     # 2.8 px away: 2 − 2.8, clipped


def test_centre_lines_at_the_image_edge_on_a_wide_image_and_a_period_of_10():
    mask = np.zeros((40, 64), bool)
    mask[1:39, 1:10] = True                 # near the top, left and bottom edges
    lines = ink.centre_lines((40, 64), mask, _Draws(0.5, 0.5))
    assert lines.dtype == np.float32
    row, col = int(np.mean(np.arange(1, 39))), int(np.mean(np.arange(1, 10)))   # 19, 5
    over = int(0.06 * 64)                   # 3: the line starts at the edge, not past it
    assert lines[row, 0] == 1 and lines[0, col] == 1
    assert np.nonzero(lines[row])[0].max() <= 9 + over
    assert lines[38, col] == 1 and lines[39, col] == 0   # down to the last row (the dash there is off)
    big = np.zeros((170, 170), bool)
    big[40:130, 40:130] = True              # period int(0.06 · 170) = 10: on at 0–5 (0.6 · 10 = 6 is off) and 8
    across = ink.centre_lines((170, 170), big, _Draws(0.5, 0.9))[int(np.mean(np.arange(40, 130)))]
    start = 40 - 10
    assert across[start:start + 10].tolist() == [1, 1, 1, 1, 1, 1, 0, 0, 1, 0]
    wide = ink.centre_lines((64, 64), _square(64, 10, 20)[0], _Draws(0.5, 0.9), width=2.0)
    end = np.nonzero(ink.centre_lines((64, 64), _square(64, 10, 20)[0], _Draws(0.5, 0.9))[14])[0].max()
    assert end == 21 and wide[14, end] == 1 and wide[14, end + 1] == 0   # a 2 × 2 dilation reaches up and left only


def test_visible_lines_count_steps_of_5_percent_of_the_figure():
    mask, depth, normals = _square(12, 2, 10)
    depth[:, 2:4] = 10.0                    # the figure spans 10: steps under 0.5 are no edges
    depth[:, 6:] = 0.3
    assert not ink.visible_lines(mask, depth, normals)[1][:, 5:7].any()
    depth[:, 6:] = 0.6
    assert ink.visible_lines(mask, depth, normals)[1][3:9, 5].all()


def test_smooth_noise_by_hand():
    draws = _Draws(np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]))
    noise = ink._smooth_noise((8, 12), draws, 4)
    assert draws.calls == [("standard_normal", ((2, 3),))]   # one value per 4 × 4 px
    assert noise.shape == (8, 12)
    # zoomed ×4 with linear interpolation, corners on the corners
    assert noise[0, 0] == pytest.approx(0.0) and noise[7, 11] == pytest.approx(5.0)
    assert noise[0, 11] == pytest.approx(2.0) and noise[7, 0] == pytest.approx(3.0)
    assert noise[0, :].tolist() == pytest.approx(np.linspace(0, 2, 12).tolist(), abs=1e-9)   # linear, not a spline
    assert noise[:, 0].tolist() == pytest.approx(np.linspace(0, 3, 8).tolist(), abs=1e-9)
    few = _Draws(np.ones((2, 2)))
    assert ink._smooth_noise((5, 7), few, 16).shape == (5, 7) and few.calls == [("standard_normal", ((2, 2),))]


def test_sketchy_lines_move_with_the_warp_and_fade_with_the_wobble():
    mask, depth, normals = _square(64, 16, 48)
    hidden = np.zeros((64, 64), bool)
    hidden[40, 24:40] = True

    def sketch(noise):
        """A sketchy drawing at 64² (res 0.25) whose smooth noises are all `noise`, lines 1 px (4 × 0.25),
        a hidden line; no centre line, paper 1, ink 0, no degradation."""
        constant = lambda size: np.full(size, noise)   # noqa: E731
        draws = _Draws(4.0, 4.0, constant, constant, constant, 0.9, 1.0, np.zeros(3), 0.0, 0.5, 0.9, 0.9, 0.9)
        img = ink.draw(mask, depth, normals, draws, "sketchy", hidden=hidden)
        assert not draws.values
        # the warp's two noises at one value per 16 px, the wobble's at one per 8
        assert [c for c in draws.calls if c[0] == "standard_normal"] == \
            [("standard_normal", ((4, 4),))] * 2 + [("standard_normal", ((8, 8),))]
        return img[..., 0]

    moved = sketch(8.0)                     # each line read 8 · 1.5 · 0.25 = 3 px further down and right
    assert moved[13, 32] == pytest.approx(0.0) and moved[12, 32] == 1.0 and moved[14, 32] == 1.0   # the top outline, up 3
    assert moved[32, 13] == pytest.approx(0.0) and moved[32, 16] == 1.0                             # the left one, left 3
    assert moved[37, 30] == pytest.approx(0.1) and moved[40, 30] == 1.0   # the hidden line (0.9 of the ink) too
    faded = sketch(-0.5)                    # wobble clip(−0.5 · 0.8 + 1.2, 0.3, 1) = 0.8; a shift of 0.19 px
    assert faded[16, 32] == pytest.approx(0.2, abs=1e-6)
    assert sketch(-1.5)[16, 32] == pytest.approx(0.7, abs=1e-6)   # −1.2 + 1.2 = 0, clipped to 0.3
    assert sketch(0.5)[16, 32] == pytest.approx(0.0, abs=1e-6)    # 1.6, clipped to 1


def test_wider_inner_lines_widen_hidden_and_centre_lines_and_a_faint_pen():
    mask, depth, normals = _square(32, 8, 24)
    hidden = np.zeros((32, 32), bool)
    hidden[20, 16] = True
    # outline 3 px, inner 2 px (16 × 32 / 256); a centre line across only; paper 0.9, ink 0
    draws = _Draws(24.0, 16.0, 0.1, 0.5, 0.9, 0.9, np.zeros(3), 0.0, 0.5, 0.9, 0.9, 0.9)
    grey = ink.draw(mask, depth, normals, draws, "lines", hidden=hidden)[..., 0]
    # the hidden line 0.8 · 2 = 1.6 px wide: a pixel beside it gets clip(0.8 + 0.5 − 1) = 0.3 of 0.9
    assert grey[20, 16] == pytest.approx(0.09) and grey[20, 17] == pytest.approx(0.9 * (1 - 0.27))
    assert grey[14, 10] == pytest.approx(0.09) and grey[13, 10] == pytest.approx(0.9)   # the centre line at row 15, 2 px
    shaded = _Draws(24.0, 16.0, 0.9, 0.9, np.zeros(3), np.array([0.0, 1.0, 0.0]), 0.6, 0.7, 0.9, 0.0, 0.5,
                    0.9, 0.9, 0.9)
    grey = ink.draw(mask, depth, normals, shaded, "shaded", hidden=hidden)[..., 0]
    assert grey[20, 16] == pytest.approx(0.7 * 0.35)     # shaded drawings ink no hidden lines
    pen = _Draws(4.0, 0.9)                               # 0.5 px: inked at half strength
    draws = _Draws(24.0, 16.0, 0.9, 1.0, np.array([0.03, 0.0, 0.0]), 0.0, 0.5, 0.9, 0.9, 0.9)
    depth[:, 16:] = 0.5                                  # a step: an inner line at column 15
    img = ink.draw(mask, depth, normals, draws, "lines", pen=pen)
    assert img[8, 16] == pytest.approx([0.5, 0.5, 0.5])  # the paper 1.03 clipped to 1 before the ink
    assert img[7, 16] == pytest.approx([1.0, 1.0, 1.0])
    assert img[12, 15] == pytest.approx([0.5, 0.5, 0.5]) and img[12, 14] == pytest.approx([1.0, 1.0, 1.0])


def test_the_style_is_drawn_with_its_shares():
    mask, depth, normals = _square(32, 8, 24)
    draws = _Draws("fill", 8.0, 8.0, 0.9, 1.0, np.zeros(3), np.array([0.6, 0.7, 0.8]), 0.0, 0.5, 0.9, 0.9, 0.9)
    img = ink.draw(mask, depth, normals, draws)
    assert draws.calls[0] == ("choice", (["lines", "fill", "shaded", "sketchy"],), {"p": [0.55, 0.15, 0.15, 0.15]})
    assert img[16, 16] == pytest.approx([0.6, 0.7, 0.8])


def test_degradations_draw_their_strengths_from_their_ranges():
    img = np.zeros((32, 32, 3), np.float32)
    img[:, :, 0] = 0.5
    img[16, 16] = 1.0
    rng = np.random.default_rng(0)
    draws = _Draws(0.1, 0.6, 0.1, 0.02, lambda mean, sd, size: rng.normal(mean, sd, size), 0.1, 60)
    out = ink._degrade(img.copy(), draws)
    assert draws.calls == _degraded(blur=True, noise=True, jpeg=True)
    assert out.dtype == np.float32 and out.min() >= 0 and np.ptp(out[:4, :4, 0]) > 0    # noise per pixel
    noisy = ink._degrade(img.copy(), _Draws(0.9, 0.1, 0.02, lambda mean, sd, size: rng.normal(mean, sd, size), 0.9))
    assert noisy.min() == 0.0 and (noisy[..., 1] == 0).mean() > 0.3   # noise below black clipped to 0
    blurred = ink._degrade(img.copy(), _Draws(0.1, 0.6, 0.9, 0.9))
    assert blurred[..., 1].max() > 0 and blurred[16, 16, 0] < 1.0
    assert blurred[0, 0, 0] == pytest.approx(0.5) and blurred[0, 0, 2] == pytest.approx(0.0)   # no colour bleeds
    assert blurred[16, 16, 1] == pytest.approx(blurred[16, 16, 2])


def test_hidden_lines_of_ramps_thresholds_and_bands():
    every = _Cells(0.0)
    mask, depth, normals, m, d, facing = _behind()
    ramp = np.where(m, np.arange(24, dtype=np.float32)[None, :] * 0.1 + 0.5, 0).astype(np.float32)
    assert not ink.hidden_lines(mask, depth, normals, [(m, ramp, normals, facing)], every).any()   # a slope, no edge
    small = np.where(m, 0.5, 0.0).astype(np.float32)
    small[:, 12:] += 0.03                   # over the visible figure's 0.02 (flat: the floor), under 0.04
    assert ink.hidden_lines(mask, depth, normals, [(m, small, normals, facing)], every)[7:17, 11].all()
    # the exit layer's own outline is not drawn, even where it is not the visible one
    part = m.copy()
    part[:, 16:] = False
    flat = np.where(m, 0.5, 0.0).astype(np.float32)
    assert not ink.hidden_lines(mask, depth, normals, [(part, flat, normals, facing)], every).any()
    # two layers: each one's lines
    first = np.where(m, 0.5, 0.0).astype(np.float32)
    first[:, 9:] += 1.0                     # a step at column 8 in the exit layer
    both = ink.hidden_lines(mask, depth, normals, [(m, first, normals, facing), (part, flat, normals, facing)], every)
    assert both[7:17, 8].all() and both[7:17, 15].all()
    # a visible inner line 3 columns away no longer covers it
    near = np.zeros_like(mask)
    near[:, 14] = True
    kept = ink.hidden_lines(mask, depth, normals, [(m, d, normals, facing)], every,
                            visible=(ink.line_maps(mask, depth, normals)[0], near & mask))
    assert kept[7:17, 11].all()
    # the band kept off the outline is round(size / 64): 4 px at 224
    mask, depth, normals = _square(224, 20, 204)
    behind = np.where(mask, 0.5, 0.0).astype(np.float32)
    behind[:, 25:] += 1.0                   # a step at column 24, 4 px inside the outline at 20
    far = ink.hidden_lines(mask, depth, normals, [(mask, behind, normals, np.ones((224, 224), np.float32))], every)
    assert not far[:, 24].any()
    behind[:, 25:] -= 1.0
    behind[:, 26:] += 1.0                   # at column 25, 5 px in
    assert ink.hidden_lines(mask, depth, normals, [(mask, behind, normals, np.ones((224, 224), np.float32))],
                            every)[30:190, 25].all()

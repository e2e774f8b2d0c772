"""training/losses.py against answers worked out another way: BerHu and the gradient loss element by
element in plain Python, SSIM pixel by pixel over its 7 × 7 window in numpy (edges averaged over the
pixels inside the image only), the mask's BCE + Dice from their formulas, and `total`'s weights
(SSIM 1, BerHu 0.6, gradient 0.2, mask 1, nRMSE `ssi_weight`, anchor 0.1). A slip in a loss trains the
network toward the wrong thing without any error, so each is pinned here."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training import losses  # noqa: E402


def test_berhu_is_l1_up_to_a_fifth_of_the_largest_error_and_quadratic_beyond():
    pred = torch.tensor([[[0.0, 1.0, 3.0, 10.0], [2.0, 0.5, 0.0, 0.0]]])
    target = torch.zeros(1, 2, 4)
    mask = torch.tensor([[[True, True, True, True], [True, True, False, False]]])
    errors = [0.0, 1.0, 3.0, 10.0, 2.0, 0.5]               # c = 0.2 × 10 = 2
    c = 2.0
    by_hand = [e if e <= c else (e * e + c * c) / (2 * c) for e in errors]
    assert float(losses.berhu(pred, target, mask)) == pytest.approx(sum(by_hand) / len(by_hand))
    assert by_hand[4] == 2.0 and by_hand[2] == pytest.approx(3.25)      # at c and beyond it
    tiny = torch.full((1, 1, 2), 1e-9)                                   # c never falls below 1e-6
    assert float(losses.berhu(tiny, torch.zeros(1, 1, 2), torch.ones(1, 1, 2, dtype=torch.bool))) == \
        pytest.approx(1e-9)
    small = torch.tensor([[[0.1, 0.5]]])                                # c = 0.1: small errors go quadratic too
    assert float(losses.berhu(small, torch.zeros(1, 1, 2), torch.ones(1, 1, 2, dtype=torch.bool))) == \
        pytest.approx((0.1 + (0.25 + 0.01) / 0.2) / 2)
    empty = losses.berhu(pred.clone().requires_grad_(), target, torch.zeros_like(mask))
    assert float(empty.detach()) == 0 and empty.requires_grad          # still part of the graph


def test_the_gradient_loss_compares_neighbour_differences_inside_the_figure_across_and_down():
    pred = torch.tensor([[[0.0, 1.0, 4.0], [2.0, 2.0, 0.0], [5.0, 0.0, 1.0]]])
    target = torch.tensor([[[0.0, 2.0, 2.0], [1.0, 1.0, 1.0], [0.0, 3.0, 0.0]]])
    mask = torch.tensor([[[True, True, True], [True, True, False], [False, True, True]]])
    p, t, m = pred[0].tolist(), target[0].tolist(), mask[0].tolist()
    across = [abs((p[r][c + 1] - p[r][c]) - (t[r][c + 1] - t[r][c]))
              for r in range(3) for c in range(2) if m[r][c] and m[r][c + 1]]
    down = [abs((p[r + 1][c] - p[r][c]) - (t[r + 1][c] - t[r][c]))
            for r in range(2) for c in range(3) if m[r][c] and m[r + 1][c]]
    assert len(across) == 4 and len(down) == 3
    expected = (sum(across) / len(across) + sum(down) / len(down)) / 2
    assert float(losses.gradient(pred, target, mask)) == pytest.approx(expected)
    column = torch.tensor([[[True, False, False], [True, False, False], [False, False, False]]])
    only_down = abs((p[1][0] - p[0][0]) - (t[1][0] - t[0][0]))          # no pair across: one direction counts
    assert float(losses.gradient(pred, target, column)) == pytest.approx(only_down)
    assert float(losses.gradient(pred, target, torch.zeros_like(mask))) == 0


def ssim_by_hand(pred, target, mask, window=7, c1=1e-4, c2=9e-4):
    """(1 − SSIM) / 2 at each pixel from the window's in-image pixels, clipped to [0, 1], averaged over
    the mask; both maps zeroed outside the mask first."""
    x, y = pred * mask, target * mask
    h, w = x.shape
    r = window // 2
    total = 0.0
    for i in range(h):
        for j in range(w):
            if not mask[i, j]:
                continue
            a = x[max(0, i - r):i + r + 1, max(0, j - r):j + r + 1]
            b = y[max(0, i - r):i + r + 1, max(0, j - r):j + r + 1]
            mx, my = a.mean(), b.mean()
            vx, vy = (a * a).mean() - mx * mx, (b * b).mean() - my * my
            cxy = (a * b).mean() - mx * my
            s = (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2))
            total += min(max((1 - s) / 2, 0.0), 1.0)
    return total / mask.sum()


def test_ssim_is_the_windowed_structural_similarity_over_the_figure():
    rng = np.random.default_rng(4)
    pred, target = rng.uniform(0, 1, (2, 12, 15)), rng.uniform(0, 1, (2, 12, 15))
    target[1] = 0.7 * pred[1] + 0.1                                     # a closer pair
    mask = rng.uniform(size=(2, 12, 15)) > 0.25
    got = float(losses.ssim(torch.from_numpy(pred).double(), torch.from_numpy(target).double(), torch.from_numpy(mask)))
    expected = sum(ssim_by_hand(pred[k], target[k], mask[k]) * mask[k].sum() for k in range(2)) / mask.sum()
    assert got == pytest.approx(expected, rel=1e-9)
    same = torch.from_numpy(pred).double()
    assert float(losses.ssim(same, same, torch.from_numpy(mask))) == pytest.approx(0, abs=1e-12)
    assert float(losses.ssim(same, same, torch.zeros(2, 12, 15, dtype=torch.bool))) == 0   # no figure: 0, not NaN
    one = np.zeros((1, 12, 15), bool)
    one[0, 5, 6] = True                                                 # a one-pixel figure: its own value
    got = float(losses.ssim(torch.from_numpy(pred[:1]).double(), torch.from_numpy(target[:1]).double(),
                            torch.from_numpy(one)))
    assert got == pytest.approx(ssim_by_hand(pred[0], target[0], one[0]), rel=1e-9) and got > 0


def test_the_mask_loss_is_binary_cross_entropy_plus_dice():
    logit = torch.tensor([[[2.0, -1.0], [0.5, -3.0]], [[-2.0, 1.0], [0.0, 4.0]]])
    mask = torch.tensor([[[True, False], [True, False]], [[False, False], [True, True]]])
    p = [[1 / (1 + math.exp(-v)) for row in img for v in row] for img in logit.tolist()]
    t = [[float(v) for row in img for v in row] for img in mask.tolist()]
    bce = -sum(ti * math.log(pi) + (1 - ti) * math.log(1 - pi) for pk, tk in zip(p, t) for pi, ti in zip(pk, tk)) / 8
    dice = [1 - (2 * sum(a * b for a, b in zip(pk, tk)) + 1) / (sum(pk) + sum(tk) + 1) for pk, tk in zip(p, t)]
    assert float(losses.mask_loss(logit, mask)) == pytest.approx(bce + sum(dice) / 2, rel=1e-6)


def test_the_total_weighs_its_parts_as_the_thesis_does_and_aligns_before_comparing():
    torch.manual_seed(2)
    out, near = torch.rand(2, 2, 16, 16), torch.rand(2, 16, 16)
    mask = torch.zeros(2, 16, 16, dtype=torch.bool)
    mask[:, 3:13, 2:14] = True
    loss, parts = losses.total(out, near, mask)
    pred, logit = out[:, 0], out[:, 1]
    assert parts == pytest.approx({"ssim": float(losses.ssim(pred, near, mask)),
                                   "berhu": float(losses.berhu(pred, near, mask)),
                                   "grad": float(losses.gradient(pred, near, mask)),
                                   "mask": float(losses.mask_loss(logit, mask)),
                                   "ssi": float(losses.scale_shift_invariant(pred, near, mask))})
    assert float(loss) == pytest.approx(parts["ssim"] + 0.6 * parts["berhu"] + 0.2 * parts["grad"] + parts["mask"]
                                        + 1.0 * parts["ssi"], rel=1e-6)
    loss, parts = losses.total(out, near, mask, aligned=True)
    shaped = losses.fit_scale_shift(pred, near, mask, nonnegative=True)
    assert parts["ssim"] == pytest.approx(float(losses.ssim(shaped, near, mask)))
    assert parts["berhu"] == pytest.approx(float(losses.berhu(shaped, near, mask)))
    assert parts["grad"] == pytest.approx(float(losses.gradient(shaped, near, mask)))
    assert parts["ssi"] == pytest.approx(float(losses.scale_shift_invariant(pred, near, mask, nonnegative=True)))
    assert parts["anchor"] == pytest.approx(float(losses.berhu(pred, near, mask)))      # the raw output
    assert float(loss) == pytest.approx(parts["ssim"] + 0.6 * parts["berhu"] + 0.2 * parts["grad"] + parts["mask"]
                                        + parts["ssi"] + 0.1 * parts["anchor"], rel=1e-6)
    widths = torch.tensor([0.5, float("nan")])
    loss, parts = losses.total(out, near, mask, aligned=True, widths=widths, widths_weight=0.3)
    assert "anchor" not in parts
    assert parts["widths"] == pytest.approx(float(losses.shift_invariant_berhu(pred[:1], near[:1] * 0.5, mask[:1])))
    assert float(loss) == pytest.approx(parts["ssim"] + 0.6 * parts["berhu"] + 0.2 * parts["grad"] + parts["mask"]
                                        + parts["ssi"] + 0.3 * parts["widths"], rel=1e-6)
    _, parts = losses.total(out, near, mask, aligned=True, widths=widths, widths_weight=0.0)
    assert "widths" not in parts and "anchor" in parts                  # a zero weight: the anchor as before
    _, parts = losses.total(out, near, mask, aligned=True, widths=widths)
    assert "widths" not in parts                                        # widths alone teach nothing: weight 0


def test_aligned_training_fits_with_a_scale_of_zero_or_more_as_the_evaluation_does():
    """An inverted guess: the evaluation's fit (scale ≥ 0) makes it a constant, so SSIM, BerHu, the
    gradient and nRMSE all see a flat answer; a free fit would turn it back the right way up."""
    torch.manual_seed(3)
    near = torch.rand(2, 16, 16)
    mask = torch.zeros(2, 16, 16, dtype=torch.bool)
    mask[:, 2:14, 3:13] = True
    out = torch.stack([-near, torch.zeros_like(near)], 1)
    _, parts = losses.total(out, near, mask, aligned=True)
    flat = losses.fit_scale_shift(-near, near, mask, nonnegative=True)
    assert all(float(flat[k][mask[k]].std()) < 1e-6 for k in range(2))
    assert parts["grad"] == pytest.approx(float(losses.gradient(flat, near, mask)), rel=1e-5) and parts["grad"] > 0.05
    assert parts["ssi"] == pytest.approx(float(losses.scale_shift_invariant(-near, near, mask, nonnegative=True)))
    assert parts["ssi"] > 0.2
    assert float(losses.scale_shift_invariant(-near, near, mask)) == pytest.approx(0, abs=1e-4)   # free fit


def test_the_shift_and_the_scale_fits_are_per_image_and_in_the_mask():
    near = torch.tensor([[[0.0, 1.0], [2.0, 9.0]], [[1.0, 1.0], [3.0, 5.0]]])
    mask = torch.tensor([[[True, True], [True, False]], [[True, True], [True, True]]])
    shifted = near + torch.tensor([5.0, -2.0])[:, None, None]
    shifted[0, 1, 1] += 100.0                                           # outside the first image's figure
    # each image's own shift; the unmasked 100 in the first image must not move it
    assert float(losses.shift_invariant_berhu(shifted, near, mask)) == pytest.approx(0, abs=1e-6)
    pred = torch.tensor([[[1.0, 2.0], [0.0, 7.0]], [[0.0, 1.0], [2.0, 3.0]]])
    fitted = losses.fit_scale_shift(pred, near, mask)
    for k in range(2):
        m = mask[k].flatten()
        p, t = pred[k].flatten()[m].double().numpy(), near[k].flatten()[m].double().numpy()
        s, c = np.polyfit(p, t, 1)                                      # least squares by another route
        assert np.allclose(fitted[k].flatten()[m].numpy(), s * p + c, atol=1e-5)
    one = torch.zeros(1, 2, 2, dtype=torch.bool)
    one[0, 0, 0] = True                                                 # a single pixel cannot be scored
    assert float(losses.scale_shift_invariant(pred[:1], near[:1], one)) == 0
    # … nor does it count in a batch's mean; it is fitted exactly (its own value) and its shift is exact
    both = torch.cat([mask[1:], one])                                  # image 0 scored in the full mask
    assert float(losses.scale_shift_invariant(pred, near, both)) == \
        pytest.approx(float(losses.scale_shift_invariant(pred[:1], near[:1], mask[1:])))
    assert float(losses.fit_scale_shift(pred[:1], near[:1], one)[0, 0, 0]) == pytest.approx(float(near[0, 0, 0]))
    assert float(losses.shift_invariant_berhu(pred[:1] + 3, near[:1], one)) == pytest.approx(0, abs=1e-6)
    spread = torch.tensor([[[0.0, 0.0005], [5.0, 0.0]]])                # a span under 1e-3 counts as 1e-3; the
    two = torch.tensor([[[True, True], [False, False]]])                # 5 outside the figure is not in it
    assert float(losses.scale_shift_invariant(torch.tensor([[[0.0, 0.0], [0.0, 0.0]]]), spread, two)) == \
        pytest.approx(math.sqrt(0.00025 ** 2 + 1e-10) / 1e-3, rel=1e-4)
    low = torch.tensor([[[0.0, 0.5], [-5.0, 0.0]]])                     # nor a −5 below it
    assert float(losses.scale_shift_invariant(torch.zeros(1, 2, 2), low, two)) == \
        pytest.approx(math.sqrt(0.25 ** 2 + 1e-10) / 0.5, rel=1e-4)

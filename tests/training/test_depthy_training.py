"""Depthy training: a few training steps, starting weights, the losses against the metric, seeded
synthetic data and its hidden lines."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from depthy_blender.models.depthy import Depthy  # noqa: E402
from training import losses  # noqa: E402


def test_training_steps_lower_the_loss():
    from training import losses
    torch.manual_seed(0)
    net = Depthy().train()
    img = torch.rand(2, 3, 64, 64)
    mask = torch.zeros(2, 64, 64, dtype=torch.bool)
    mask[:, 16:48, 12:52] = True
    near = torch.linspace(0, 1, 64).view(1, 1, 64).expand(2, 64, 64) * mask
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    first = None
    for _ in range(8):
        loss, _ = losses.total(net(img), near, mask)
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = first if first is not None else float(loss.detach())
    assert float(loss.detach()) < 0.7 * first


def test_training_starts_from_shipped_weights_or_a_run_checkpoint(tmp_path):
    from training.evaluate import depthy_weights
    state = {"w": torch.randn(3, 3).half(), "b": torch.randn(3).half()}
    torch.save(state, tmp_path / "shipped.pt")
    torch.save({"model": state, "opt": {}, "state": {"step": 7}}, tmp_path / "last.pt")
    for name in ("shipped.pt", "last.pt"):
        got = depthy_weights(tmp_path / name)
        assert set(got) == {"w", "b"} and got["w"].dtype == torch.float32
        assert torch.equal(got["w"], state["w"].float())


def test_same_seed_same_sample():
    from training.synth import dataset
    a, b = dataset.sample(123, 64), dataset.sample(123, 64)
    assert np.array_equal(a["image"], b["image"]) and np.array_equal(a["nearness"], b["nearness"])
    assert np.array_equal(a["mask"], b["mask"]) and a["info"] == b["info"]
    c = dataset.sample(124, 64)
    assert not np.array_equal(a["image"], c["image"])


def test_sample_targets_are_consistent():
    from training.synth import dataset
    s = dataset.sample(7, 96)
    near, mask = s["nearness"], s["mask"]
    assert s["image"].shape == (96, 96, 3) and 0 <= s["image"].min() and s["image"].max() <= 1
    assert mask.any() and (near[~mask] == 0).all() and near[mask].max() == pytest.approx(1.0)


def test_scale_shift_invariant_loss_matches_the_reported_metric():
    from depthy_blender.core import metrics
    from training import losses
    gen = torch.Generator().manual_seed(3)
    true = torch.rand(2, 16, 16, generator=gen)
    mask = torch.rand(2, 16, 16, generator=gen) > 0.3
    assert float(losses.scale_shift_invariant(4 * true + 2, true, mask)) == pytest.approx(0, abs=1e-4)
    pred = true + 0.3 * torch.rand(2, 16, 16, generator=gen)   # aligned scale stays positive: same as the metric
    expected = np.mean([metrics.depth_errors(pred[k].numpy(), true[k].numpy(), mask[k].numpy())["nrmse"]
                        for k in range(2)])
    assert float(losses.scale_shift_invariant(pred, true, mask)) == pytest.approx(expected, rel=1e-3)


def test_nonnegative_fit_is_the_evaluation_alignment():
    from depthy_blender.core import metrics
    from training import losses
    gen = torch.Generator().manual_seed(5)
    true = torch.rand(3, 20, 20, generator=gen)
    mask = torch.rand(3, 20, 20, generator=gen) > 0.3
    pred = torch.randn(3, 20, 20, generator=gen)
    pred[0] = -true[0]                                  # inverted depth: the fit must fall back to a constant
    fitted = losses.fit_scale_shift(pred, true, mask, nonnegative=True)
    for k in range(3):
        expected = metrics.align_scale_shift(pred[k].numpy(), true[k].numpy(), mask[k].numpy())
        assert np.allclose(fitted[k].numpy()[mask[k].numpy()], expected[mask[k].numpy()], atol=1e-5)
    assert float(fitted[0][mask[0]].std()) < 1e-5


def test_ssi_weight_scales_only_the_nrmse_term():
    """train.py --ssi-weight: the loss grows by exactly the extra weight times the nRMSE term."""
    from training import losses
    torch.manual_seed(0)
    out, near = torch.rand(2, 2, 24, 24), torch.rand(2, 24, 24)
    mask = torch.zeros(2, 24, 24, dtype=torch.bool)
    mask[:, 4:20, 4:20] = True
    base, parts = losses.total(out, near, mask, aligned=True)
    heavier, _ = losses.total(out, near, mask, aligned=True, ssi_weight=losses.SSI_WEIGHT + 3)
    assert parts["ssi"] > 0.05
    assert float(heavier - base) == pytest.approx(3 * parts["ssi"], rel=1e-5)


def test_aligned_losses_prefer_a_committed_guess_to_a_flat_hedge():
    """Two drawings that look the same, with the step in front in one and behind in the other: after the
    non-negative fit, guessing one answer costs less on average than the flat mean of both."""
    from training import losses
    mask = torch.ones(2, 32, 32, dtype=torch.bool)
    step = torch.zeros(32, 32)
    step[:, 16:] = 1.0
    truths = torch.stack([step, 1 - step])
    committed = torch.stack([step, step])
    hedge = torch.full((2, 32, 32), 0.5) + 1e-3 * torch.rand(2, 32, 32)

    def cost(pred, anchor=True):
        out = torch.stack([pred, torch.full_like(pred, 9.0)], 1)    # the mask channel is certain
        loss, parts = losses.total(out, truths, mask, aligned=True)
        return float(loss) - (0 if anchor else losses.ANCHOR_WEIGHT * parts["anchor"])
    assert cost(committed) < cost(hedge) - 0.1
    shifted = torch.stack([3 * step - 1, 3 * step - 1])             # apart from the small anchor, only shape counts
    assert cost(shifted, anchor=False) == pytest.approx(cost(committed, anchor=False), abs=1e-4)


def _front_view(shape, size=128, perspective=0.0):
    from training.synth import render, ink
    cam = render.Camera(np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]), 1.2, np.zeros(3), perspective)
    mask, depth, normals = render.trace(shape, cam, size)
    layers = render.hidden_layers(shape, cam, size, depth, mask)
    return mask, ink.hidden_lines(mask, depth, normals, layers, np.random.default_rng(0), period=3.0)


def test_hidden_lines_show_a_blind_hole_from_behind_and_nothing_else():
    from training.synth import sdf
    block = sdf.box([0.8, 0.4, 0.8])
    hole = sdf.transform(sdf.cylinder(0.3, 0.3), torch.eye(3), (0.0, 0.4, 0.0))   # drilled from the back
    mask, hidden = _front_view(sdf.subtract(block, hole))
    assert mask.any() and hidden.sum() > 30
    ys, xs = np.nonzero(hidden)
    radius = np.hypot(ys + 0.5 - 64, xs + 0.5 - 64)
    assert np.abs(radius - 0.3 / 1.2 * 64).max() < 2.5   # only on the hole's circle
    # a plain block, and a sphere in perspective (back silhouette differs from the front one), have none
    assert not _front_view(block)[1].any()
    assert not _front_view(sdf.sphere(0.9), perspective=3.0)[1].any()


def test_hidden_lines_do_not_change_drawings_without_them():
    from training.synth import dataset
    seeds = [s for s in range(40) if "hidden" not in dataset.sample(s, 48)["info"]]
    assert 0 < len(seeds) < 40
    share = dataset.HIDDEN_SHARE
    try:   # with hidden lines switched off, every other drawing is the same as before
        dataset.HIDDEN_SHARE = 0.0
        before = {s: dataset.sample(s, 48)["image"] for s in seeds[:5]}
    finally:
        dataset.HIDDEN_SHARE = share
    assert all(np.array_equal(before[s], dataset.sample(s, 48)["image"]) for s in before)


def test_the_widths_loss_teaches_depth_in_figure_widths_up_to_a_shift():
    """With widths, the raw output is compared with nearness × the figure's proportion after a shift:
    the right depth at any level costs nothing, the [0, 1] nearness costs its excess, and a drawing
    without a proportion adds nothing (nor the [0, 1] anchor)."""
    mask = torch.zeros(2, 8, 8, dtype=torch.bool)
    mask[:, 2:6, 2:6] = True
    near = torch.linspace(0, 1, 8).expand(2, 8, 8).clone() * mask
    widths = torch.tensor([0.25, float("nan")])
    logit = torch.where(mask, 5.0, -5.0)
    right = torch.stack([near * 0.25 + 3.0, logit], 1)             # depth in figure widths, shifted
    loss_right, parts = losses.total(right, near, mask, aligned=True, widths=widths, widths_weight=0.5)
    assert parts["widths"] == pytest.approx(0.0, abs=1e-6) and "anchor" not in parts
    unit = torch.stack([near, logit], 1)                            # the [0, 1] nearness: four times too deep
    loss_unit, parts = losses.total(unit, near, mask, aligned=True, widths=widths, widths_weight=0.5)
    assert parts["widths"] > 0.01 and float(loss_unit) > float(loss_right)
    assert float(losses.shift_invariant_berhu(near[:1] * 0.25 - 7, near[:1] * 0.25, mask[:1])) == pytest.approx(0, abs=1e-6)
    # none of the drawings has a proportion: no widths term, and no anchor either
    _, parts = losses.total(unit, near, mask, aligned=True, widths=torch.full((2,), float("nan")), widths_weight=0.5)
    assert "widths" not in parts and "anchor" not in parts

"""Depthy the engine: shapes at odd sizes, weights verification, the engine's reading (mirror, scales)."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from depthy_blender.models import weights  # noqa: E402
from depthy_blender.models.depthy import Depthy, parameter_count  # noqa: E402


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return Depthy().eval()


def test_parameter_budget(model):
    assert parameter_count(model) <= 30_000_000      # ≤ 60 MB in fp16


def test_encoder_uses_torchvision_names(model):
    names = set(model.encoder.state_dict())
    for key in ("conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight", "layer1.0.downsample.0.weight",
                "layer1.0.downsample.1.weight", "layer4.2.bn3.weight", "layer3.5.conv2.weight"):
        assert key in names
    assert not any(k.startswith("fc.") for k in names)
    assert model.encoder.layer4[0].conv3.weight.shape == (2048, 512, 1, 1)


@pytest.mark.parametrize("h, w", [(333, 517), (64, 64), (97, 41)])
def test_any_input_size(model, h, w):
    with torch.no_grad():
        out = model(torch.rand(1, 3, h, w))
    assert out.shape == (1, 2, h, w) and torch.isfinite(out).all()


def test_weights_round_trip_and_tamper_refused(tmp_path):
    state = {"a": torch.randn(4, 4), "steps": torch.tensor(3)}
    path = weights.save(state, {"note": "test"}, name="tiny", folder=tmp_path)
    card = json.loads((tmp_path / "tiny.json").read_text())
    assert card["sha256"] == weights.sha256(path) and card["note"] == "test"
    loaded = weights.load_state_dict("tiny", tmp_path)
    assert loaded["a"].dtype == torch.float16 and torch.allclose(loaded["a"].float(), state["a"], atol=1e-2)
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(weights.WeightsError, match="modified or damaged"):
        weights.load_state_dict("tiny", tmp_path)


def test_missing_weights_message(tmp_path):
    with pytest.raises(weights.WeightsError, match="not installed"):
        weights.load_state_dict("nothing", tmp_path)


def test_metrics_alignment():
    from depthy_blender.core import metrics
    true = np.linspace(0, 1, 100).reshape(10, 10)
    mask = np.ones((10, 10), bool)
    assert metrics.depth_errors(3 * true + 5, true, mask)["nrmse"] == pytest.approx(0, abs=1e-9)
    assert metrics.depth_errors(-true, true, mask)["nrmse"] == pytest.approx(true.std(), rel=1e-6)  # no flips
    assert metrics.mask_iou(mask, mask) == 1.0


def test_engine_answers_a_mirrored_drawing_with_the_mirrored_depth(model):
    from depthy_blender.models import depthy_engine
    rgb = np.random.default_rng(2).random((48, 80, 3)).astype(np.float32)
    depthy_engine.use_model(model)
    try:
        near, prob = depthy_engine.run_network(rgb, "cpu", 64)
        near_m, prob_m = depthy_engine.run_network(np.ascontiguousarray(rgb[:, ::-1]), "cpu", 64)
    finally:
        depthy_engine.free_models()
    assert np.allclose(near_m[:, ::-1], near, atol=1e-5) and np.allclose(prob_m[:, ::-1], prob, atol=1e-5)
    assert not np.allclose(near[:, ::-1], near, atol=1e-3)      # the drawing itself is not symmetric


def test_engine_averages_two_scales_up_to_the_default_size_and_reads_larger_sizes_once():
    from depthy_blender.models import depthy_engine
    seen = []

    def width_reporter(x):      # answers every pixel with the width it was given, so averages show
        seen.append(tuple(x.shape[-2:]))
        return torch.full((1, 2, *x.shape[-2:]), float(x.shape[-1]))
    rgb = np.zeros((100, 200, 3), np.float32)
    depthy_engine.use_model(width_reporter)
    try:
        near, _ = depthy_engine.run_network(rgb, "cpu", 256)
        assert seen == [(128, 256), (128, 256), (96, 192), (96, 192)]     # each scale with its mirror image
        assert np.allclose(near, (256 + 192) / 2)
        seen.clear()
        near, _ = depthy_engine.run_network(rgb, "cpu", 512)
        assert seen == [(256, 512)] and np.allclose(near, 512)
    finally:
        depthy_engine.free_models()


def test_the_engine_says_how_deep_the_figure_is_drawn(drawing_path):
    """Auto depth's input: a network whose nearness rises 0.3 from the image's top to its bottom and whose
    figure is the drawn 101 × 71 px rectangle. Its spread on the figure (rows 25–95 of 120) is 0.3 · 70/120,
    and the widest circle inside the rectangle has a radius of 36 px: proportion = spread × 1.5 × 36/101."""
    from PIL import Image

    from depthy_blender.models import depthy_engine, engine

    def ramp(x):
        h, w = x.shape[-2:]
        rows = torch.arange(h, dtype=torch.float32).view(h, 1).expand(h, w)
        cols = torch.arange(w, dtype=torch.float32).view(1, w).expand(h, w)
        inside = (rows >= 25 * h / 120) & (rows < 96 * h / 120) & (cols >= 30 * w / 160) & (cols < 131 * w / 160)
        return torch.stack([0.3 * (rows + 0.5) / h, torch.where(inside, 10.0, -10.0)])[None]
    rgba = np.asarray(Image.open(drawing_path).convert("RGBA"), np.float32) / 255
    depthy_engine.use_model(ramp)
    try:
        options = engine.EngineOptions(mirror_average=False, scale_average=False)
        result = depthy_engine.predict(rgba, lambda f, s: None, lambda: False, options)
    finally:
        depthy_engine.free_models()
    assert result.mask.sum() == pytest.approx(101 * 71, rel=0.03)
    assert result.proportion == pytest.approx(0.3 * 70 / 120 * 1.5 * 36 / 101, rel=0.03)


def test_the_shipped_weights_say_how_their_nearness_was_taught(tmp_path, monkeypatch):
    from depthy_blender.core import proportion
    from depthy_blender.models import depthy_engine, weights
    assert depthy_engine.nearness_units() == proportion.UNIT_RANGE      # every release so far
    card = weights.model_card()
    card["inference"]["nearness"] = proportion.FIGURE_WIDTHS
    monkeypatch.setattr(weights, "model_card", lambda *a, **k: card)
    assert depthy_engine.nearness_units() == proportion.FIGURE_WIDTHS

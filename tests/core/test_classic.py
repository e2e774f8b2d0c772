"""Classic engines and the engine registry."""
import numpy as np
import pytest

from depthy_blender.core import images, proportion
from depthy_blender.models import classic, engine, engines
from tests.conftest import outline_drawing


def test_inflate_is_round_and_peaks_inside():
    yy, xx = np.mgrid[:101, :101]
    mask = (yy - 50) ** 2 + (xx - 50) ** 2 <= 40 ** 2
    h = classic.inflate(mask)
    assert h[50, 50] == h.max()
    assert (h[~mask] == 0).all()
    # circular cross-section: halfway to the centre is sqrt(3)/2 of the peak, not 1/2 like a cone
    assert h[50, 30] / h[50, 50] == pytest.approx(np.sqrt(3) / 2, abs=0.05)


def test_inflate_each_component_gets_its_own_peak():
    mask = np.zeros((40, 100), bool)
    mask[10:30, 5:25] = True
    mask[15:25, 60:70] = True
    h = classic.inflate(mask)
    assert h[20, 15] == pytest.approx(h[20, 65] * 2, rel=0.15)


def test_luminance_darker_is_nearer_and_invertible():
    rgba = images.grey_to_rgba(np.array([[0.0, 0.5, 1.0]] * 4, np.float32))
    n = classic.luminance_nearness(rgba)
    assert n[0, 0] > n[0, 1] > n[0, 2]
    assert np.allclose(classic.luminance_nearness(rgba, invert=True), 1 - n)


def test_registry_and_predict():
    assert {"inflate", "turned", "luminance"} <= set(engines.names())
    rgba = images.pil_to_rgba(outline_drawing())
    result = engines.get("inflate").predict(rgba)
    assert result.nearness.shape == result.mask.shape == (120, 160)
    assert result.mask[60, 80] and result.nearness[60, 80] > 0


def test_unknown_engine_message():
    with pytest.raises(engine.EngineError, match="^Unknown engine 'nope'; choose one of: inflate, turned, luminance, depthy, "):
        engines.get("nope")


def test_blank_image_is_a_clear_error():
    with pytest.raises(engine.EngineError, match="No figure"):
        engines.get("inflate").predict(np.ones((50, 50, 4), np.float32))


def test_cancel_stops_prediction():
    rgba = images.pil_to_rgba(outline_drawing())
    with pytest.raises(engine.Cancelled):
        engines.get("luminance").predict(rgba, cancel=lambda: True)


def test_progress_is_reported():
    seen = []
    engines.get("inflate").predict(images.pil_to_rgba(outline_drawing()), lambda f, s: seen.append((f, s)))
    assert seen and all(0 <= f <= 1 for f, _ in seen)


def test_inflate_without_a_figure_is_flat_and_both_engines_give_float32():
    empty = classic.inflate(np.zeros((7, 9), bool))
    assert empty.shape == (7, 9) and empty.dtype == np.float32 and not empty.any()
    mask = np.zeros((20, 20), bool)
    mask[5:15, 5:15] = True
    assert classic.inflate(mask).dtype == np.float32
    rgba = images.grey_to_rgba(np.array([[0.0, 0.5, 1.0]] * 4))
    assert classic.luminance_nearness(rgba).dtype == np.float32


def test_each_classic_engine_returns_its_own_reading_of_the_figure():
    """Inflate: the round profile of the figure's mask, and its round body as the drawn proportion (so
    Auto depth has an answer); Luminance: the image's darkness over the same mask, and no proportion."""
    rgba = images.pil_to_rgba(outline_drawing())
    mask = images.figure_mask(rgba)
    inflated = engines.get("inflate").predict(rgba)
    assert np.array_equal(inflated.mask, mask) and np.array_equal(inflated.nearness, classic.inflate(mask))
    assert inflated.meta == {"engine": "inflate"}
    assert inflated.proportion == proportion.round_body(mask) > 0
    lit = engines.get("luminance").predict(rgba)
    assert np.array_equal(lit.mask, mask) and np.array_equal(lit.nearness, classic.luminance_nearness(rgba))
    assert lit.meta == {"engine": "luminance"} and lit.proportion is None
    with pytest.raises(engine.EngineError, match="^No figure found: the image looks like blank paper$"):
        engines.get("luminance").predict(np.ones((50, 50, 4), np.float32))


@pytest.mark.parametrize("name", ["inflate", "turned", "luminance"])
def test_progress_rises_within_zero_to_one_with_a_stage_for_each_step(name):
    seen = []
    engines.get(name).predict(images.pil_to_rgba(outline_drawing()), lambda f, s: seen.append((f, s)))
    fractions = [f for f, _ in seen]
    assert len(seen) == 2 and fractions == sorted(set(fractions)) and 0 < fractions[0] and fractions[-1] < 1
    assert all(isinstance(stage, str) and stage[:1].isupper() for _, stage in seen)


def test_an_engine_that_cannot_run_says_why_and_is_never_the_default():
    asked = []
    options = engine.EngineOptions(device="CPU")

    def why_not(opts):
        asked.append(opts)
        return "its weights are missing"
    blocked = engine.Engine("blocked", "Blocked", "never ready", lambda *a: None, why_not, quality_rank=1001)
    ready = engine.Engine("ready", "Ready", "always", lambda rgba, p, c, o: ("ran", o), quality_rank=1000)
    engines.register(blocked)
    engines.register(ready)
    try:
        with pytest.raises(engine.EngineError, match="^Blocked is not available: its weights are missing$"):
            blocked.predict(np.ones((4, 4, 4), np.float32), options=options)
        assert asked == [options]
        assert ready.predict(np.ones((4, 4, 4), np.float32), options=options) == ("ran", options)
        assert engines.best_available(options) is ready
        assert engines.get("blocked") is blocked and blocked in engines.all_engines()
    finally:
        engines._REGISTRY.pop("blocked")
        engines._REGISTRY.pop("ready")
    assert "blocked" not in engines.names()

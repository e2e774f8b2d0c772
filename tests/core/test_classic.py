"""Classic engines and the engine registry."""
import numpy as np
import pytest

from depthy_blender.core import images
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
    assert {"inflate", "luminance"} <= set(engines.names())
    rgba = images.pil_to_rgba(outline_drawing())
    result = engines.get("inflate").predict(rgba)
    assert result.nearness.shape == result.mask.shape == (120, 160)
    assert result.mask[60, 80] and result.nearness[60, 80] > 0


def test_unknown_engine_message():
    with pytest.raises(engine.EngineError, match="Unknown engine 'nope'"):
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

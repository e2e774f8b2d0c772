"""training/target_bounds.py: blends of Depthy and inflation, and the oracles that bound them."""
import numpy as np
import pytest

pytest.importorskip("torch")


def _figure(size=64):
    yy, xx = np.mgrid[:size, :size]
    mask = (yy - 32) ** 2 + (xx - 32) ** 2 < 24 ** 2
    return mask, xx.astype(np.float32), yy.astype(np.float32)


def test_normalised_spans_zero_to_one_over_the_mask_whatever_the_scale():
    from training.target_bounds import normalised
    mask, xx, _ = _figure()
    for scale in (7.0, 0.01):
        out = normalised(scale * xx - 3.0, mask)
        assert out[mask].min() == pytest.approx(0.0) and out[mask].max() == pytest.approx(1.0)


def test_the_table_ends_in_inflation_depthy_and_flat_and_skips_empty_drawings():
    from depthy_blender.core import metrics
    from training.target_bounds import BLEND_WEIGHTS, drawing_table, normalised
    mask, xx, yy = _figure()
    true = xx + 0.5 * yy
    depthy = [(true.copy(), mask), (true.copy(), np.zeros_like(mask))]
    inflate = [(yy, mask), (yy, np.zeros_like(mask))]
    data = {"nearness": np.stack([true, true, true]), "mask": np.stack([mask, np.zeros_like(mask), mask])}
    table = drawing_table(depthy + depthy[:1], inflate + inflate[:1], data)
    assert table.shape == (2, len(BLEND_WEIGHTS) + 1) and np.array_equal(table[0], table[1])   # the empty one left out
    # halfway, the blend is (depthy + inflation) / 2 of the two range-normalised answers
    half = (normalised(true, mask) + normalised(yy, mask)) / 2
    assert table[0, 5] == pytest.approx(metrics.depth_errors(half, true, mask)["nrmse"])
    assert table[0, -2] == pytest.approx(0.0, abs=1e-6)        # Depthy is the truth here
    assert table[0, 0] > 0.1 and table[0, -1] > table[0, -2]  # inflation and a flat figure are not


def test_bounds_pick_the_best_weight_and_the_oracles_are_never_worse():
    from training.target_bounds import BLEND_WEIGHTS, bounds
    n = len(BLEND_WEIGHTS)
    a = np.linspace(0.30, 0.20, n).tolist() + [0.25]    # Depthy (last blend) best here
    b = np.linspace(0.10, 0.40, n).tolist() + [0.05]    # inflation best, a flat figure better still
    b[3] = 0.08                                          # a blend beats both here
    out = bounds(np.array([a, b]))
    assert out["depthy"] == pytest.approx((0.20 + 0.40) / 2)
    assert out["inflate"] == pytest.approx((0.30 + 0.10) / 2)
    assert out["target"] == pytest.approx(0.7 * out["inflate"])
    means = np.array([a[:n], b[:n]]).mean(axis=0)
    assert out["best_blend"] == pytest.approx(means.min())
    assert out["best_blend_weight"] == pytest.approx(BLEND_WEIGHTS[means.argmin()])
    assert out["oracle_best_of_three"] == pytest.approx((0.20 + 0.05) / 2)
    assert out["oracle_blend"] == pytest.approx((0.20 + 0.08) / 2)


def test_the_command_prints_a_row_per_set_and_skips_sets_it_cannot_make(monkeypatch, capsys, tmp_path):
    import sys
    from training import evaluate, target_bounds
    mask, xx, yy = _figure()
    data = {"nearness": np.stack([xx * mask] * 3), "mask": np.stack([mask] * 3), "image": np.zeros((3, 64, 64, 3))}
    asked = []
    monkeypatch.setattr(evaluate, "evaluation_sets", lambda optional: asked.append(optional) or {"gone": None,
                                                                                              "tiny": data})
    answers = {"depthy": (xx * mask, mask), "inflate": (yy * mask, mask)}
    monkeypatch.setattr(evaluate, "predict_all",
                        lambda method, d: asked.append((method, len(d["mask"]))) or [answers[method]] * len(d["mask"]))
    monkeypatch.setattr(sys, "argv", ["target_bounds", "--limit", "2", "--rods"])
    target_bounds.main()
    out = capsys.readouterr().out.splitlines()
    assert asked == [("rods",), ("depthy", 2), ("inflate", 2)]
    assert out[0].split()[:4] == ["set", "drawings", "Depthy", "inflate"] and len(out) == 2
    b = target_bounds.bounds(target_bounds.drawing_table([answers["depthy"]] * 2, [answers["inflate"]] * 2,
                                                          {k: v[:2] for k, v in data.items()}))
    assert out[1].split() == ["tiny", "2", f"{b['depthy']:.4f}", f"{b['inflate']:.4f}", f"{b['target']:.4f}",
                              f"{b['best_blend']:.4f}", f"({b['best_blend_weight']:.1f})",
                              f"{b['oracle_best_of_three']:.4f}", f"{b['oracle_blend']:.4f}"]
    assert b["depthy"] == pytest.approx(0, abs=1e-6)
    used = []
    from depthy_blender.models import depthy_engine
    monkeypatch.setattr(evaluate, "load_depthy", lambda path: f"model {path}")
    monkeypatch.setattr(depthy_engine, "use_model", used.append)
    (tmp_path / "w.pt").write_bytes(b"")
    monkeypatch.setattr(sys, "argv", ["target_bounds", "--weights", str(tmp_path / "w.pt")])
    target_bounds.main()
    assert used == [f"model {tmp_path / 'w.pt'}"] and asked[-1] == ("inflate", 3)

"""training/fit_proportion.py: with the true proportion, a prediction of the true shape has no
proportion error; the candidates are scored on the same drawings."""
import numpy as np
import pytest

pytest.importorskip("torch")
from training import fit_proportion  # noqa: E402


def test_the_true_proportion_with_the_true_shape_scores_zero():
    rows, cols = np.indices((40, 60))
    mask = (rows >= 5) & (rows < 35) & (cols >= 10) & (cols < 50)
    near = np.where(mask, (cols - 10) / 39.0, 0.0)        # a ramp over the figure, 0 … 1
    data = {"nearness": near[None], "mask": mask[None], "proportion": np.array([0.8])}
    table = fit_proportion.errors(data, [(near, mask)])
    assert table["true proportion"] == pytest.approx(0.0, abs=1e-9)
    # at the default ratio the relief is 0.2 × 60/40 = 0.3 of the figure's width deep, not 0.8: the
    # error is the missing 0.5 of the ramp's spread
    assert table["default 0.2"] == pytest.approx(0.5 * near[mask].std(), rel=1e-9)
    assert set(fit_proportion.CANDIDATES) <= set(table)


def test_an_evaluation_set_keeps_only_its_views_with_a_proportion(monkeypatch):
    """--set scores evaluate.py's drawings as they are; views with no proportion (several figures, a
    perspective view) are left out, the rest kept in order."""
    fake = {"image": np.zeros((3, 4, 4, 3)), "nearness": np.arange(3.0)[:, None, None] * np.ones((3, 4, 4)),
            "mask": np.ones((3, 4, 4), bool), "proportion": np.array([0.4, np.nan, 0.9]), "info": np.array(["a", "b", "c"])}
    monkeypatch.setattr(fit_proportion.evaluate, "freestyle_test_set", lambda: fake)
    monkeypatch.setattr(fit_proportion.evaluate, "mesh_test_set", lambda: {k: v[::-1] for k, v in fake.items()})
    kept = fit_proportion.evaluation_set("freestyle")
    assert kept["proportion"].tolist() == [0.4, 0.9] and kept["nearness"][:, 0, 0].tolist() == [0.0, 2.0]
    assert fit_proportion.evaluation_set("meshes")["proportion"].tolist() == [0.9, 0.4]

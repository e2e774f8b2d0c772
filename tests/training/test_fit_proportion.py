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


def test_the_fitting_drawings_are_consecutive_seeds_with_a_proportion(monkeypatch):
    asked = []

    def sample(seed, size):
        asked.append((seed, size))
        ratio = np.nan if seed % 2 else 0.1 * (seed - fit_proportion.FIT_SEEDS)
        return {"image": np.zeros((2, 2, 3)), "nearness": np.zeros((2, 2)), "mask": np.ones((2, 2), bool),
                "proportion": ratio, "info": "x", "planes": np.zeros((2, 2))}
    monkeypatch.setattr(fit_proportion.dataset, "sample", sample)
    got = fit_proportion.fitting_set(3, 32)
    assert asked == [(fit_proportion.FIT_SEEDS + k, 32) for k in range(5)]
    assert got["proportion"] == pytest.approx([0.0, 0.2, 0.4]) and set(got) == set(fit_proportion.FIELDS)
    assert fit_proportion.fitting_set(1)["image"].shape == (1, 2, 2, 3) and asked[-1][1] == 256


def test_the_command_prints_each_candidates_error_and_the_best_constant(monkeypatch, capsys, tmp_path):
    rows, cols = np.indices((40, 60))
    mask = (rows >= 5) & (rows < 35) & (cols >= 10) & (cols < 50)
    near = np.where(mask, (cols - 10) / 39.0, 0.0)
    data = {"image": np.zeros((1, 40, 60, 3)), "nearness": near[None], "mask": mask[None],
            "proportion": np.array([0.8])}
    made = []
    monkeypatch.setattr(fit_proportion, "fitting_set", lambda count: made.append(count) or data)
    monkeypatch.setattr(fit_proportion, "evaluation_set", lambda name: made.append(name) or data)
    asked = []
    monkeypatch.setattr(fit_proportion.evaluate, "predict_all",
                        lambda method, d, size=None: asked.append((method, size)) or [(near, mask)])
    fit_proportion.main(["--count", "7"])
    out = capsys.readouterr().out.splitlines()
    table = fit_proportion.errors(data, [(near, mask)])
    best = min(fit_proportion.CANDIDATES, key=table.get)
    assert made == [7] and asked == [("depthy", 256)]
    assert out[0] == "fitting drawings: 1 single orthographic views"
    assert out[1] == f"     default 0.2: proportion error {table['default 0.2']:.4f}"
    assert f"             1.5: proportion error {table[1.5]:.4f}" in out
    assert out[-1] == f"best constant: {best} (core/proportion.DEPTH_PER_SPREAD is 1.5)"
    fit_proportion.main(["--set", "freestyle"])
    out = capsys.readouterr().out.splitlines()
    assert made[-1] == "freestyle" and out[0] == "freestyle: 1 single orthographic views"
    assert not any(line.startswith("best constant") for line in out)
    used = []
    monkeypatch.setattr(fit_proportion.evaluate, "load_depthy", lambda path: f"model {path}")
    monkeypatch.setattr(fit_proportion.depthy_engine, "use_model", used.append)
    (tmp_path / "w.pt").write_bytes(b"")
    fit_proportion.main(["--weights", str(tmp_path / "w.pt")])
    assert used == [f"model {tmp_path / 'w.pt'}"] and made[-1] == 100
    with pytest.raises(SystemExit):
        fit_proportion.main(["--set", "synthetic"])


def test_each_candidate_scales_depthys_spread_times_the_widest_circle():
    rows, cols = np.indices((40, 60))
    mask = (rows >= 5) & (rows < 35) & (cols >= 10) & (cols < 50)       # 30 rows × 40 columns
    near = np.where(mask, (cols - 10) / 39.0, 0.0)                      # spread 1
    data = {"nearness": near[None], "mask": mask[None], "proportion": np.array([0.8])}
    table = fit_proportion.errors(data, [(near, mask)])
    # the widest circle inside a 30-row block has radius 15, 15 / 40 of the figure's width: candidate k
    # builds the relief k × 0.375 widths deep against the true 0.8
    for k in fit_proportion.CANDIDATES:
        assert table[k] == pytest.approx(abs(k * 0.375 - 0.8) * near[mask].std(), rel=1e-6), k

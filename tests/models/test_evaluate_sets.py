"""The single-figure evaluation sets of training/evaluate.py (--plates, --vessels, --clusters, --shells,
--rods): one figure of their kind
per drawing, built once and read back from the cache."""
import numpy as np
import pytest

pytest.importorskip("torch")


@pytest.mark.parametrize("name, word, views", [("plates", "ribbed", None), ("vessels", "vessel:", None),
                                               ("clusters", "cluster:", None), ("shells", "shell:", None),
                                               ("rods", "rod:", ("@ oblique", "@ perspective"))])
def test_single_figure_evaluation_sets_hold_one_figure_of_their_kind_and_are_cached(tmp_path, monkeypatch,
                                                                                     name, word, views):
    from training import evaluate
    monkeypatch.setattr(evaluate, "CACHE", tmp_path)
    monkeypatch.setattr(evaluate, "SINGLE_FIGURE_COUNT", 2)
    first = evaluate.single_figure_set(name, size=64)
    assert len(first["info"]) == 2 and (tmp_path / f"{name}-64.npz").exists()
    for info, mask in zip(first["info"], first["mask"]):
        assert word in str(info) and "|" not in str(info) and mask.any()
        assert views is None or any(view in str(info) for view in views)
    again = evaluate.single_figure_set(name, size=64)
    assert np.array_equal(first["nearness"], again["nearness"])

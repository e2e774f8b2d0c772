"""The optional evaluation sets of training/evaluate.py: the single-figure ones (--plates, --vessels,
--clusters, --shells, --rods) hold one figure of their kind per drawing, built once and read back from
the cache; each set has its flag, and the flags pick exactly their sets. Also how many threads scoring
takes."""
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


def test_every_optional_set_has_a_flag_and_the_flags_pick_exactly_their_sets(monkeypatch):
    import argparse
    from training import evaluate
    built = []
    monkeypatch.setattr(evaluate, "synthetic_test_set", lambda: "synthetic drawings")
    monkeypatch.setattr(evaluate, "mesh_test_set", lambda: "mesh drawings")
    monkeypatch.setattr(evaluate, "single_figure_set", lambda name: built.append(name) or f"{name} drawings")
    monkeypatch.setattr(evaluate, "freestyle_test_set", lambda: built.append("freestyle") or "freestyle drawings")
    p = argparse.ArgumentParser()
    evaluate.add_set_arguments(p)
    assert evaluate.evaluation_sets(evaluate.chosen_sets(p.parse_args([]))) == {
        "synthetic": "synthetic drawings", "meshes": "mesh drawings"} and built == []
    every = p.parse_args([f"--{name}" for name in evaluate.OPTIONAL_SETS])
    assert evaluate.chosen_sets(every) == evaluate.OPTIONAL_SETS
    assert set(evaluate.SINGLE_FIGURE_SETS) < set(evaluate.OPTIONAL_SETS)
    sets = evaluate.evaluation_sets(evaluate.chosen_sets(p.parse_args(["--freestyle", "--rods"])))
    assert sets == {"synthetic": "synthetic drawings", "meshes": "mesh drawings", "rods": "rods drawings",
                    "freestyle": "freestyle drawings"} and built == ["rods", "freestyle"]


def test_auto_depth_reads_the_raw_nearness_in_the_units_the_weights_were_taught(tmp_path):
    from depthy_blender.core import proportion
    from training import evaluate as ev
    mask = np.zeros((8, 8), bool)
    mask[2:6, 2:6] = True
    raw = np.where(mask, np.linspace(0.0, 0.3, 8)[None, :], 0.0)      # a spread of 0.2 over the figure's columns
    spread = float(raw[mask].max() - raw[mask].min())
    assert ev.auto_estimates("depthy", [(raw, mask)], proportion.FIGURE_WIDTHS) == [pytest.approx(spread)]
    unit = ev.auto_estimates("depthy", [(raw, mask)])[0]
    assert unit == pytest.approx(spread * proportion.DEPTH_PER_SPREAD * proportion.round_body(mask))
    run = tmp_path / "run"
    run.mkdir()
    (run / "depthy.pt").write_bytes(b"")
    (run / "log.json").write_text('{"nearness": "figure widths"}')
    assert ev.nearness_units_of(run / "depthy.pt") == proportion.FIGURE_WIDTHS
    (tmp_path / "other.pt").write_bytes(b"")
    assert ev.nearness_units_of(tmp_path / "other.pt") == proportion.UNIT_RANGE
    assert ev.nearness_units_of(None) == proportion.UNIT_RANGE


def test_scoring_uses_at_most_two_threads_and_never_more_than_the_process_has():
    import torch
    from training import evaluate as ev
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)        # as under OMP_NUM_THREADS=1: no pool may start in a process that forks
        ev.limit_threads()
        assert torch.get_num_threads() == 1
        torch.set_num_threads(3)
        ev.limit_threads()
        assert torch.get_num_threads() == 2
        ev.limit_threads(most=1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)

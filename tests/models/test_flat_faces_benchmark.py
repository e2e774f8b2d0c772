"""benchmarks/flat_faces.py runs end to end on a few parts and prints the figures docs/benchmarks.md
quotes: the means per reading, the ratios against each engine's own reading and the wins."""
import re

import pytest

pytest.importorskip("torch")
from benchmarks import flat_faces  # noqa: E402


def test_the_benchmark_prints_its_table_and_ratios(capsys):
    flat_faces.main(["--parts", "2", "--size", "160", "--sheets", "1"])
    out = capsys.readouterr().out
    assert out.startswith("6 square-on views of 2 parts (")
    for reading in ("depthy", "depthy + flat faces", "inflate", "inflate + flat faces"):
        assert re.search(rf"^{re.escape(reading)} +\d\.\d{{4}} ", out, re.M)
    assert re.search(r"^flat faces ÷ depthy: nRMSE \d\.\d{3}, normal error \d\.\d{3}, .*better on all three on \d of 6 "
                     r"views$", out, re.M)
    assert re.search(r"^pocket block +\d", out, re.M)
    assert re.search(r"^time: flat faces \d+\.\d ms per view, \d\.\d{3}× Depthy's own predict \(\d+\.\d ms\) in the "
                     r"same run$", out, re.M)
    assert "\nsheets: 3 views of 1 parts, " in out
    assert re.search(r"^flat faces on \(default\) +\d\.\d{4} ", out, re.M)
    figure = r"(\d\.\d{3}|n/a \(both 0\))"                   # the plate seen three ways: one flat face each
    assert re.search(rf"^on ÷ off: nRMSE {figure}, normal error {figure}, proportion error {figure}$", out, re.M)


def test_ratios_and_wins_by_hand():
    a, b = {"nrmse": 0.1, "normal": 5.0, "proportion": 0.02}, {"nrmse": 0.2, "normal": 10.0, "proportion": 0.0}
    assert flat_faces.ratio(a, b, "nrmse") == "0.500" and flat_faces.ratio(a, b, "proportion") == "n/a (both 0)"
    zero = dict.fromkeys(a, 0.0)
    rows = {"x": [b, zero, a], "x + flat faces": [a, zero, b]}
    assert flat_faces.wins(rows, "x") == 1           # the view of one flat face counts; the worse one does not
    assert flat_faces.wins({"x": [b], "x + flat faces": [dict(a, proportion=0.0)]}, "x") == 1   # both 0: a tie
    assert flat_faces.wins({"x": [a], "x + flat faces": [dict(a, nrmse=0.05)]}, "x") == 0       # equal, not 0

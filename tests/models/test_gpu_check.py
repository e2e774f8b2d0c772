"""The GPU check script runs end to end on the CPU (its smoke mode), so it is ready when a GPU is lent."""
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytest.importorskip("torch")


def test_gpu_check_smoke_on_the_cpu(tmp_path):
    result = subprocess.run([sys.executable, "benchmarks/gpu_check.py", "--device", "cpu", "--small",
                             "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    log = json.loads((tmp_path / "gpu_check.json").read_text())
    assert set(log["depthy"]["max_diff"]) == {"bracket", "gear", "bottle"}
    assert max(log["depthy"]["max_diff"].values()) == 0.0          # CPU against itself
    assert log["depthy_out_of_memory"] == {"skipped": "no CUDA"}
    extraction = log["triposr"]["extraction"]
    assert extraction["coarse_to_fine"]["faces"] == extraction["dense"]["faces"] > 0
    assert "Depthy CPU fp32 128²: one pass" in result.stdout

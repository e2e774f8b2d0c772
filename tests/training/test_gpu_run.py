"""training.gpu_run, the one-command GPU training window (issue 51), smoke-tested on the CPU: the help,
a 30-second run from the shipped weights, the weight parts and their joining."""
import json
import subprocess
import sys

import pytest
import torch

from depthy_blender.models.depthy import Depthy
from tests.conftest import ROOT
from training import gpu_run


def run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "training.gpu_run", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_help_names_the_window_and_the_parts():
    done = run("--help")
    assert done.returncode == 0, done.stderr
    assert "--seconds" in done.stdout and "--join" in done.stdout and "16 MiB" in done.stdout


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu_run")
    done = run("--device", "cpu", "--seconds", "30", "--size", "64", "--batch", "2", "--workers", "1",
               "--val", "4", "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    return out, done.stdout


def test_cpu_smoke_run_trains_validates_and_logs(smoke):
    out, stdout = smoke
    log = json.loads((out / "log.json").read_text())
    assert "training samples/s" in stdout
    assert log["samples"] > 0 and log["steps"] > 0 and log["samples_per_s"] > 0
    assert log["samples"] == log["steps"] * log["batch"]
    assert log["channels_last"] and log["device"] == "cpu"
    assert 0 <= log["validation"]["nrmse"] < 1 and 0 <= log["validation"]["mask_iou"] <= 1
    assert log["losses"] and all(entry["loss"] > 0 for entry in log["losses"])
    assert log["wall_seconds"] < 30 + 60          # the time box holds (start-up and validation beyond it)


def test_parts_are_small_and_join_into_fp16_weights_that_load(smoke):
    out, _ = smoke
    log = json.loads((out / "log.json").read_text())
    parts = log["weights"][1:]
    assert len(parts) >= 2 and all((out / p["file"]).stat().st_size <= 16 * 1024 * 1024 for p in parts)
    joined = gpu_run.join(out)
    state = torch.load(joined, weights_only=True)
    assert all(v.dtype == torch.float16 for v in state.values() if v.is_floating_point())
    model = Depthy()
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})


def test_a_damaged_part_is_refused(smoke, tmp_path):
    out, _ = smoke
    for f in out.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    first = json.loads((out / "log.json").read_text())["weights"][1]["file"]
    data = bytearray((tmp_path / first).read_bytes())
    data[100] ^= 0xFF
    (tmp_path / first).write_bytes(bytes(data))
    with pytest.raises(SystemExit, match="damaged"):
        gpu_run.join(tmp_path)

"""training/gpu_window.sh's train step: it must start within the GPU machine's 30 s of warm time, so it
reads check's data advice from a file instead of numbers copied by hand. A stand-in `python3` on PATH
records the arguments gpu_run would get, so nothing trains here."""
import os
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _train(tmp_path, advice: str | None, **env) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "python3"
    fake.write_text('#!/usr/bin/env bash\necho "ARGS $*"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    advice_file = tmp_path / "gpu_advice.env"
    if advice is not None:
        advice_file.write_text(advice)
    elif advice_file.exists():
        advice_file.unlink()
    run_env = {k: v for k, v in os.environ.items() if k not in ("DATA", "DEVICE_WORKERS", "WORKERS", "LR")}
    run_env.update(PATH=f"{bin_dir}:{os.environ['PATH']}", OUT=str(out), ADVICE=str(advice_file), **env)
    done = subprocess.run(["bash", str(ROOT / "training" / "gpu_window.sh"), "train"], cwd=ROOT, env=run_env,
                          capture_output=True, text=True, check=True)
    return next(line for line in done.stdout.splitlines() if line.startswith("ARGS "))


def _value(args: str, option: str) -> str:
    words = args.split()
    return words[words.index(option) + 1]


def test_train_takes_checks_advice(tmp_path):
    args = _train(tmp_path, "DATA=device\nDEVICE_WORKERS=8\nWORKERS=6\n", SECONDS_TRAIN="400")
    assert "-m training.gpu_run" in args
    assert (_value(args, "--data"), _value(args, "--device-workers"), _value(args, "--workers")) == ("device", "8", "6")
    assert _value(args, "--seconds") == "400"
    assert _value(args, "--lr") == "3e-5"                 # training/README.md: the safer start for a first window


def test_settings_given_on_the_command_line_win_over_the_advice(tmp_path):
    args = _train(tmp_path, "DATA=device\nDEVICE_WORKERS=8\nWORKERS=6\n", DATA="cpu", WORKERS="12")
    assert (_value(args, "--data"), _value(args, "--device-workers"), _value(args, "--workers")) == ("cpu", "0", "12")


def test_without_advice_train_uses_its_defaults(tmp_path):
    args = _train(tmp_path, None)
    assert (_value(args, "--data"), _value(args, "--device-workers"), _value(args, "--workers")) == ("device", "0", "14")
    assert _value(args, "--seconds") == "480"

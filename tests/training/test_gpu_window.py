"""training/gpu_window.sh's two calls. train must go out within the GPU machine's 30 s of warm time, so it
reads check's data advice from a file instead of numbers copied by hand; check gives that advice even
when its CUDA check fails, and never leaves an older window's. Stand-in `python3` and `nvidia-smi` on
PATH record or fake what the real programs would do, so nothing traces or trains here."""
import os
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _stand_in(bin_dir: Path, name: str, body: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / name
    fake.write_text("#!/usr/bin/env bash\n" + body)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)


def _train(tmp_path, advice: str | None, **env) -> str:
    bin_dir = tmp_path / "bin"
    _stand_in(bin_dir, "python3", 'echo "ARGS $*"\n')
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    advice_file = tmp_path / "gpu_advice.env"
    if advice is not None:
        advice_file.write_text(advice)
    elif advice_file.exists():
        advice_file.unlink()
    settings = ("DATA", "DEVICE_WORKERS", "WORKERS", "LR", "FREEZE_STEM", "AVERAGE_FROM")
    run_env = {k: v for k, v in os.environ.items() if k not in settings}
    run_env.update(PATH=f"{bin_dir}:{os.environ['PATH']}", OUT=str(out), ADVICE=str(advice_file), **env)
    done = subprocess.run(["bash", str(ROOT / "training" / "gpu_window.sh"), "train"], cwd=ROOT, env=run_env,
                          capture_output=True, text=True, check=True)
    return next(line for line in done.stdout.splitlines() if line.startswith("ARGS "))


def _value(args: str, option: str) -> str:
    words = args.split()
    return words[words.index(option) + 1]


def _data(args: str) -> tuple:
    """The data settings gpu_run gets: (--data, --device-workers, --workers)."""
    return tuple(_value(args, option) for option in ("--data", "--device-workers", "--workers"))


def test_train_takes_checks_advice(tmp_path):
    args = _train(tmp_path, "DATA=device\nDEVICE_WORKERS=8\nWORKERS=6\n", SECONDS_TRAIN="400")
    assert "-m training.gpu_run" in args
    assert _data(args) == ("device", "8", "6")
    assert _value(args, "--seconds") == "400"
    assert _value(args, "--lr") == "3e-5"                 # training/README.md: the safer start for a first window


def test_the_recipe_switches_reach_gpu_run(tmp_path):
    args = _train(tmp_path, None)                  # the window's recipe: stem frozen, the tail mean from half-way
    assert "--freeze-stem" in args.split() and _value(args, "--average-from") == "0.5"
    args = _train(tmp_path, None, FREEZE_STEM="", AVERAGE_FROM="0")
    assert "--freeze-stem" not in args.split() and _value(args, "--average-from") == "0"


def test_settings_given_on_the_command_line_win_over_the_advice(tmp_path):
    args = _train(tmp_path, "DATA=device\nDEVICE_WORKERS=8\nWORKERS=6\n", DATA="cpu", WORKERS="12")
    assert _data(args) == ("cpu", "0", "12")


def test_without_advice_train_uses_its_defaults(tmp_path):
    args = _train(tmp_path, None)
    assert _data(args) == ("device", "0", "14")
    assert _value(args, "--seconds") == "480"


def test_check_gives_the_data_advice_even_when_the_cuda_check_fails(tmp_path):
    bin_dir = tmp_path / "bin"
    _stand_in(bin_dir, "nvidia-smi", 'echo "name, memory.total"\n')
    # gpu_check fails; data_speed writes its advice where --advice-file says
    _stand_in(bin_dir, "python3", 'case "$*" in *gpu_check*) echo boom; exit 3;; esac\n'
              'while [ $# -gt 0 ]; do [ "$1" = --advice-file ] && '
              'printf "DATA=cpu\\nDEVICE_WORKERS=0\\nWORKERS=14\\n" > "$2"; shift; done\n')
    out = tmp_path / "out"
    out.mkdir()
    advice_file = tmp_path / "runs" / "gpu_advice.env"
    advice_file.parent.mkdir()
    advice_file.write_text("DATA=device\nDEVICE_WORKERS=8\nWORKERS=6\n")       # an older window's
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", OUT=str(out), ADVICE=str(advice_file))
    subprocess.run(["bash", str(ROOT / "training" / "gpu_window.sh"), "check"], cwd=ROOT, env=env,
                   capture_output=True, text=True, check=True)
    assert "gpu_check failed (exit 3)" in (out / "failed.txt").read_text()
    assert advice_file.read_text() == "DATA=cpu\nDEVICE_WORKERS=0\nWORKERS=14\n"
    assert (out / "gpu_advice.env").read_text() == advice_file.read_text()


def test_check_leaves_no_stale_advice_when_data_speed_fails(tmp_path):
    bin_dir = tmp_path / "bin"
    _stand_in(bin_dir, "nvidia-smi", 'echo "name, memory.total"\n')
    _stand_in(bin_dir, "python3", 'case "$*" in *data_speed*) exit 4;; esac\n')
    out = tmp_path / "out"
    out.mkdir()
    advice_file = tmp_path / "gpu_advice.env"
    advice_file.write_text("DATA=device\nDEVICE_WORKERS=8\nWORKERS=6\n")
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", OUT=str(out), ADVICE=str(advice_file))
    subprocess.run(["bash", str(ROOT / "training" / "gpu_window.sh"), "check"], cwd=ROOT, env=env,
                   capture_output=True, text=True, check=True)
    assert "data_speed failed (exit 4)" in (out / "failed.txt").read_text()
    assert not advice_file.exists()

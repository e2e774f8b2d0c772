"""Build the real extension zip, validate it, install it into a fresh Blender profile, and use it.

The zip is the linux-x64 package (Depthy on ONNX Runtime, wheels for Python 3.11 and 3.13). Set
DEPTHY_ZIP to test a zip built before (`make test-latest` builds it once with Python 3.11, which has
torch and onnx for the export, then installs it into Blender 5.3's Python 3.13).
"""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from depthy_blender.models.weights import DEPTHY_NAME
from tests.conftest import ROOT

pytest.importorskip("bpy")


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory):
    if os.environ.get("DEPTHY_ZIP"):
        return Path(os.environ["DEPTHY_ZIP"]).resolve()
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "build.py", "--package", "linux-x64", "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Success parsing TOML" in result.stdout + result.stderr   # bl_pkg validate ran and passed
    (zip_path,) = out.glob("depthy_blender-*-linux-x64.zip")
    return zip_path


def test_zip_contents(built_zip):
    archive = zipfile.ZipFile(built_zip)
    names = archive.namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names
    assert "core/relief.py" in names and "blender/operators.py" in names
    shipped = [n for n in names if n.startswith("weights/")]
    # one set of weights, in the runtime this package carries: the ONNX graph, no PyTorch file
    assert sorted(shipped) == [f"weights/{DEPTHY_NAME}.json", f"weights/{DEPTHY_NAME}.onnx"]
    card = json.loads(archive.read(f"weights/{DEPTHY_NAME}.json"))
    assert card["onnx"]["file"] == f"{DEPTHY_NAME}.onnx" and len(card["onnx"]["sha256"]) == 64
    assert json.loads(archive.read("package.json")) == {"name": "linux-x64", "gpu": None}
    wheels = [n for n in names if n.startswith("wheels/")]
    for tag in ("cp311", "cp313"):   # Blender 4.2–5.0 and 5.1–5.3
        assert any(f"onnxruntime-1.32.0-{tag}-" in w for w in wheels) and any(f"scipy-1.17.1-{tag}-" in w for w in wheels)
    assert not any(w.startswith(("wheels/numpy-", "wheels/torch-", "wheels/nvidia")) for w in wheels)
    assert not any("tests/" in n or "training/" in n or "__pycache__" in n for n in names)
    manifest = archive.read("blender_manifest.toml").decode()
    assert 'platforms = ["linux-x64"]' in manifest and all(f'"./{w}"' in manifest for w in wheels)


def test_install_into_fresh_profile_and_generate(built_zip, tmp_path, drawing_path):
    env = dict(os.environ)
    for key in ("CONFIG", "SCRIPTS", "EXTENSIONS"):
        env[f"BLENDER_USER_{key}"] = str(tmp_path / key.lower())
    script = ROOT / "tests" / "install" / "install_and_run.py"
    result = subprocess.run([sys.executable, str(script), str(built_zip), str(drawing_path)], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=900)
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("SUMMARY ")]
    assert result.returncode == 0 and lines, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads(lines[-1][len("SUMMARY "):])
    assert summary["python"] == list(sys.version_info[:2])
    assert summary["install"] == ["FINISHED"] and summary["enabled"]
    assert summary["generate"] == ["FINISHED"] and summary["is_result"] and summary["vertices"] > 1000
    assert summary["default_engine"] == "depthy" and summary["engine"] == "depthy"   # shipped weights, offline
    assert summary["ran_on"].startswith("Depthy · CPU fp32 (ONNX Runtime) · ")
    assert summary["why_cpu"] == "this package has no GPU support"
    assert {"scipy", "PIL", "skimage", "onnxruntime", "ezdxf"} <= set(summary["bundled"])
    # what ran was imported from the zip's wheels in the profile, not from the test environment
    assert {"scipy", "PIL", "onnxruntime"} <= set(summary["loaded_from"])
    assert "torch" not in summary["loaded_from"]
    assert (tmp_path / "extensions" / "user_default" / "depthy_blender" / "blender_manifest.toml").exists()

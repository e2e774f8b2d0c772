"""Build the real extension zip, validate it, install it into a fresh Blender profile, and use it."""
import json
import os
import subprocess
import sys
import zipfile

import pytest

from depthy_blender.models.weights import DEPTHY_NAME
from tests.conftest import ROOT

pytest.importorskip("bpy")


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "build.py", "--platform", "linux-x64", "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Success parsing TOML" in result.stdout + result.stderr   # bl_pkg validate ran and passed
    (zip_path,) = out.glob("depthy_blender-*-linux-x64.zip")
    return zip_path


def test_zip_contents(built_zip):
    names = zipfile.ZipFile(built_zip).namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names
    assert "core/relief.py" in names and "blender/operators.py" in names
    shipped = [n for n in names if n.startswith("weights/")]
    assert sorted(shipped) == [f"weights/{DEPTHY_NAME}.json", f"weights/{DEPTHY_NAME}.pt"]   # one set, the default
    wheels = [n for n in names if n.startswith("wheels/")]
    assert any("torch-" in w for w in wheels) and any("scipy-" in w for w in wheels)
    assert not any(w.startswith("wheels/numpy-") for w in wheels)
    assert not any("tests/" in n or "training/" in n or "__pycache__" in n for n in names)
    manifest = zipfile.ZipFile(built_zip).read("blender_manifest.toml").decode()
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
    assert summary["install"] == ["FINISHED"] and summary["enabled"]
    assert summary["generate"] == ["FINISHED"] and summary["is_result"] and summary["vertices"] > 1000
    assert summary["default_engine"] == "depthy" and summary["engine"] == "depthy"   # shipped weights, offline
    assert {"torch", "scipy", "PIL", "skimage", "yaml", "huggingface_hub", "ezdxf"} <= set(summary["bundled"])
    assert (tmp_path / "extensions" / "user_default" / "depthy_blender" / "blender_manifest.toml").exists()

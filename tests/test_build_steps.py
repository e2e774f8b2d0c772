"""build.py's steps, run in this process with no network: the resolver's command line and what is kept of
its answer, the lock it writes, downloads checked against their sha256, the staged and built zip for each
Python's Blender releases, Blender's extension tool found in the bpy module, and the command line."""
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.build_script import load_build
from tests.conftest import ROOT

build = load_build()

PYLOCK = '''
[[packages]]
name = "Pillow"
version = "13.0.0"
wheels = [{url = "https://files.example/pillow-13.0.0-cp313-cp313-win_amd64.whl", size = 30, hashes = {sha256 = "p1"}}]

[[packages]]
name = "numpy"
version = "2.2.6"
wheels = [{url = "https://files.example/numpy-2.2.6-cp313-cp313-win_amd64.whl", size = 99, hashes = {sha256 = "n1"}}]

[[packages]]
name = "SetupTools"
version = "80.0"
wheels = [{url = "https://files.example/setuptools-80.0-py3-none-any.whl", size = 9, hashes = {sha256 = "s1"}}]

[[packages]]
name = "ezdxf"
version = "1.4.5"
wheels = [{url = "https://files.example/ezdxf-1.4.5-py3-none-any.whl", size = 20, hashes = {sha256 = "e0"}},
          {url = "https://files.example/ezdxf-1.4.5-cp313-cp313-win_amd64.whl", size = 21, hashes = {sha256 = "e1"}}]

[[packages]]
name = "fonttools"
version = "4.60.0"
wheels = [{url = "https://files.example/fonttools-4.60.0-py3-none-any.whl", size = 10, hashes = {sha256 = "f0"}}]
'''


def test_resolve_asks_uv_for_the_target_platform_from_the_registry_alone(monkeypatch):
    monkeypatch.setenv("PIP_FIND_LINKS", "/local/wheels")
    monkeypatch.setenv("PIP_INDEX_URL", "http://mirror.local")
    monkeypatch.setenv("PIP_CERT", "/etc/cert.pem")
    monkeypatch.setenv("PIP_DEFAULT_TIMEOUT", "60")
    seen = {}

    def uv(command, **options):
        seen.update(command=command, options=options, wanted=Path(command[-5]).read_text(),
                    pinned=Path(command[-3]).read_text())
        Path(command[-1]).write_text(PYLOCK)

    monkeypatch.setattr(build.subprocess, "run", uv)
    package = build.PACKAGES["windows-x64-gpu"]
    wheels = build.resolve(package, "3.13", ["fonttools==4.60.0", "idna==3.10"])
    command = seen["command"]
    assert command[:-5] == [sys.executable, "-m", "uv", "pip", "compile", "--quiet", "--no-config", "--python-version",
                            "3.13", "--python-platform", "x86_64-pc-windows-msvc", "--only-binary", ":all:"]
    assert command[-4] == "--constraint" and command[-2] == "-o" and Path(command[-1]).name == "pylock.toml"
    assert seen["wanted"] == "\n".join(package.requirements("3.13")) + "\n"
    assert seen["wanted"].splitlines()[-1] == "numpy==2.2.6"          # resolved against Blender's own numpy
    assert seen["pinned"] == "fonttools==4.60.0\nidna==3.10\n"
    env = seen["options"].pop("env")
    assert seen["options"] == {"check": True}
    assert "PIP_FIND_LINKS" not in env and "PIP_INDEX_URL" not in env
    assert env["PIP_CERT"] == "/etc/cert.pem" and env["PIP_DEFAULT_TIMEOUT"] == "60"
    assert env["MACOSX_DEPLOYMENT_TARGET"] == "14.0" and env["PIP_DISABLE_PIP_VERSION_CHECK"] == "1"
    assert not Path(command[-1]).exists()                               # its folder is gone afterwards
    assert wheels == [      # numpy and setuptools left out; the compiled ezdxf over its pure wheel; by file name
        {"file": "ezdxf-1.4.5-cp313-cp313-win_amd64.whl", "url": "https://files.example/ezdxf-1.4.5-cp313-cp313-win_amd64.whl",
         "size": 21, "sha256": "e1"},
        {"file": "fonttools-4.60.0-py3-none-any.whl", "url": "https://files.example/fonttools-4.60.0-py3-none-any.whl",
         "size": 10, "sha256": "f0"},
        {"file": "pillow-13.0.0-cp313-cp313-win_amd64.whl", "url": "https://files.example/pillow-13.0.0-cp313-cp313-win_amd64.whl",
         "size": 30, "sha256": "p1"},
    ]


def test_each_platform_is_resolved_as_uv_names_it(monkeypatch):
    platforms = []

    def uv(command, **options):
        platforms.append(command[command.index("--python-platform") + 1])
        Path(command[-1]).write_text("packages = []\n")

    monkeypatch.setattr(build.subprocess, "run", uv)
    for name in ("linux-x64", "windows-x64", "macos-arm64"):
        assert build.resolve(build.PACKAGES[name], "3.11") == []
    assert platforms == ["x86_64-manylinux_2_28", "x86_64-pc-windows-msvc", "aarch64-apple-darwin"]


def _wheel(file, sha="0"):
    return {"file": file, "url": f"https://files.example/{file}", "size": 1, "sha256": sha}


def test_the_lock_pins_pure_wheels_to_the_oldest_pythons_choice_and_keeps_other_packages(monkeypatch, tmp_path,
                                                                                          capsys):
    lock = tmp_path / "packages.lock.json"
    lock.write_text(json.dumps({"packages": {"windows-x64": {"3.11": [_wheel("old-1-py3-none-any.whl")]}}}))
    monkeypatch.setattr(build, "LOCK", lock)
    asked = []
    answers = {"3.11": [_wheel("networkx-3.4-py3-none-any.whl"), _wheel("scipy-1.17.1-cp311-cp311-x.whl")],
               "3.13": [_wheel("networkx-3.4-py3-none-any.whl")]}

    def resolve(package, python, constraints=()):
        asked.append((package.name, python, list(constraints)))
        return answers[python]

    monkeypatch.setattr(build, "resolve", resolve)
    build.write_lock(["linux-x64"])
    assert asked == [("linux-x64", "3.11", []), ("linux-x64", "3.13", ["networkx==3.4"])]
    text = lock.read_text()
    written = json.loads(text)
    assert list(written["packages"]) == ["linux-x64", "windows-x64"]            # sorted, the other one kept
    assert written["packages"]["linux-x64"] == answers
    assert written["packages"]["windows-x64"] == {"3.11": [_wheel("old-1-py3-none-any.whl")]}
    assert text == json.dumps(written, indent=1) + "\n"
    assert capsys.readouterr().err == "locked linux-x64: cp311 2 wheels, cp313 1 wheels\n"
    lock.unlink()                                                                # no lock yet: a new one
    build.write_lock(["windows-x64"])
    assert list(json.loads(lock.read_text())["packages"]) == ["windows-x64"]


def test_pure_pins_come_from_every_python_already_resolved():
    resolved = {"3.11": [_wheel("a_b-1.0-py3-none-any.whl"), _wheel("c-2-cp311-cp311-x.whl")],
                "3.13": [_wheel("z-3-py2.py3-none-any.whl"), _wheel("a_b-1.0-py3-none-any.whl")]}
    assert build.shared_pure(resolved) == ["a_b==1.0", "z==3"]
    assert build.shared_pure({}) == []


def test_a_missing_lock_or_package_says_how_to_make_it(monkeypatch, tmp_path):
    monkeypatch.setattr(build, "LOCK", tmp_path / "packages.lock.json")
    with pytest.raises(SystemExit) as stop:
        build.read_lock()
    assert str(stop.value) == "packages.lock.json is missing: run python build.py --lock"
    with pytest.raises(SystemExit) as stop:
        build.locked_wheels(build.PACKAGES["macos-arm64"], {"packages": {}})
    assert str(stop.value) == ("macos-arm64 is not in packages.lock.json: "
                               "run python build.py --lock --package macos-arm64")


def test_locked_wheels_are_each_file_once_for_the_pythons_asked():
    both = _wheel("pure-1-py3-none-any.whl")
    lock = {"packages": {"linux-x64": {"3.11": [_wheel("c-1-cp311.whl"), both],
                                       "3.13": [both, _wheel("b-1-cp313.whl")]}}}
    package = build.PACKAGES["linux-x64"]
    assert [w["file"] for w in build.locked_wheels(package, lock)] == ["b-1-cp313.whl", "c-1-cp311.whl",
                                                                       "pure-1-py3-none-any.whl"]
    assert [w["file"] for w in build.locked_wheels(package, lock, ["3.13"])] == ["b-1-cp313.whl",
                                                                               "pure-1-py3-none-any.whl"]


def test_the_list_gives_each_package_its_releases_gpu_runtime_and_wheels():
    lock = {"packages": {"linux-x64": {
        "3.11": [dict(_wheel("onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl"), size=2_400_000),
                 dict(_wheel("scipy-1.17.1-cp311-cp311-manylinux_2_28_x86_64.whl"), size=1_100_000)],
        "3.13": []}}}
    lines = build.describe(lock).splitlines()
    assert lines[:4] == [
        "linux-x64  (Blender 4.2 LTS – 5.0 and 5.1 – 5.3; GPU: none; on the GPU: none; Depthy on ONNX Runtime)",
        "    CPU. Depthy and Inflate on ONNX Runtime; no PyTorch, so no TripoSR (take linux-x64-cuda)",
        "    cp311: 2 wheels, 4 MB; onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl",
        "    cp313: 0 wheels, 0 MB; "]
    assert lines[4:6] == [
        "linux-x64-cuda  (Blender 4.2 LTS – 5.0 and 5.1 – 5.3; GPU: CUDA; on the GPU: Depthy, TripoSR; "
        "Depthy on PyTorch)",
        "    PyTorch's CUDA build from the registry with its NVIDIA runtime wheels; also runs on the CPU"]
    assert len(lines) == 4 + 2 * (len(build.PACKAGES) - 1)                      # unlocked ones: no wheel lines
    gpu = {"packages": {"windows-x64-gpu": {"3.11": [_wheel("onnxruntime_directml-1.24.4-cp311-x.whl"),
                                                     _wheel("torch-2.13.0-cp311-x.whl")]}}}
    assert build.describe(gpu).splitlines()[8] == ("    cp311: 2 wheels, 0 MB; onnxruntime_directml-1.24.4-cp311-x.whl, "
                                                    "torch-2.13.0-cp311-x.whl")
    thousands = {"packages": {"macos-arm64": {"3.13": [dict(_wheel("torch-2.13.0-cp313-x.whl"), size=1_234_567_890)]}}}
    assert build.describe(thousands).splitlines()[-1] == "    cp313: 1 wheels, 1,235 MB; torch-2.13.0-cp313-x.whl"


@pytest.fixture
def sources(tmp_path, monkeypatch):
    """Two wheel files to be had from file:// addresses, and an empty wheels/ folder to fetch them into."""
    src = tmp_path / "registry"
    src.mkdir()
    wheels = []
    for name, body in (("a-1-py3-none-any.whl", b"first"), ("b-2-py3-none-any.whl", b"second")):
        (src / name).write_bytes(body)
        wheels.append({"file": name, "url": (src / name).as_uri(), "size": len(body),
                       "sha256": hashlib.sha256(body).hexdigest()})
    monkeypatch.setattr(build, "WHEELS", tmp_path / "wheels")
    opened = []
    real = build.urllib.request.urlopen
    monkeypatch.setattr(build.urllib.request, "urlopen", lambda url, **k: opened.append((url, k)) or real(url, **k))
    lock = {"packages": {"linux-x64": {"3.11": wheels[:1], "3.13": wheels}}}
    return build.PACKAGES["linux-x64"], lock, wheels, opened


def test_wheels_are_downloaded_once_and_checked(sources):
    package, lock, wheels, opened = sources
    paths = build.fetch_wheels(package, lock, offline=False)
    assert paths == [build.WHEELS / "a-1-py3-none-any.whl", build.WHEELS / "b-2-py3-none-any.whl"]
    assert [p.read_bytes() for p in paths] == [b"first", b"second"]
    assert opened == [(wheels[0]["url"], {"timeout": 180}), (wheels[1]["url"], {"timeout": 180})]
    assert build.fetch_wheels(package, lock, offline=True) == paths        # there and matching: not fetched again
    assert len(opened) == 2
    paths[1].write_bytes(b"damaged")                                          # there but not matching: fetched
    assert build.fetch_wheels(package, lock, offline=False, pythons=["3.13"]) == paths
    assert paths[1].read_bytes() == b"second" and len(opened) == 3
    assert sorted(p.name for p in build.WHEELS.iterdir()) == ["a-1-py3-none-any.whl", "b-2-py3-none-any.whl"]


def test_offline_a_missing_or_damaged_wheel_is_refused(sources):
    package, lock, _, opened = sources
    with pytest.raises(SystemExit) as stop:
        build.fetch_wheels(package, lock, offline=True, pythons=["3.11"])
    assert str(stop.value) == f"a-1-py3-none-any.whl is not in {build.WHEELS} (run without --offline)"
    (build.WHEELS / "a-1-py3-none-any.whl").write_bytes(b"damaged")
    with pytest.raises(SystemExit):
        build.fetch_wheels(package, lock, offline=True, pythons=["3.11"])
    assert opened == []


def test_a_download_whose_sha256_differs_keeps_nothing(sources):
    package, lock, wheels, _ = sources
    lock["packages"]["linux-x64"]["3.11"] = [dict(wheels[0], sha256="0" * 64)]
    with pytest.raises(SystemExit) as stop:
        build.fetch_wheels(package, lock, offline=False, pythons=["3.11"])
    assert str(stop.value) == "a-1-py3-none-any.whl: sha256 differs from packages.lock.json; nothing was kept"
    assert list(build.WHEELS.iterdir()) == []


def _tiny_wheel(folder: Path, name: str) -> Path:
    """A real (if empty) wheel: a zip with its dist-info."""
    path = folder / name
    dist, version = name.split("-")[:2]
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{dist}-{version}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        z.writestr(f"{dist}-{version}.dist-info/RECORD", "")
    return path


@pytest.fixture
def staged_root(tmp_path, monkeypatch):
    """build.py's root in a temporary folder (the add-on's code linked in, its manifest copied), so that
    staging writes nothing into the repository; weights stand in for the shipped ones."""
    root = tmp_path / "root"
    code = root / "depthy_blender"
    shutil.copytree(ROOT / "depthy_blender", code, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "weights"))
    for stray in ("__pycache__/cli.cpython-311.pyc", "core/relief.pyc", "weights/depthy-0.1.0.pt"):   # never staged
        (code / stray).parent.mkdir(exist_ok=True)
        (code / stray).write_bytes(b"stray")
    (code / "package.json").write_text('{"name": "a developer checkout"}')
    (root / "blender_manifest.toml").write_bytes((ROOT / "blender_manifest.toml").read_bytes())
    monkeypatch.setattr(build, "ROOT", root)
    wheels = [_tiny_wheel(tmp_path, "tinyone-1.0-py3-none-any.whl"), _tiny_wheel(tmp_path, "tinytwo-2.0-py3-none-any.whl")]
    return root, wheels


def _manifest(zip_path: Path) -> str:
    with zipfile.ZipFile(zip_path) as z:
        return z.read("blender_manifest.toml").decode()


def test_a_built_zip_carries_the_code_its_weights_and_wheels_for_every_blender(staged_root, tmp_path, capfd):
    root, wheels = staged_root
    package = build.PACKAGES["linux-x64-cuda"]
    out = tmp_path / "dist" / "new"                                       # made when missing
    zip_path = build.build_zip(package, wheels, out)
    assert capfd.readouterr().out == ""                                   # Blender's tool building says nothing
    stage = root / "build" / "linux-x64-cuda"
    assert not list(stage.rglob("__pycache__")) and not list(stage.rglob("*.pyc"))
    assert sorted(p.name for p in (stage / "weights").iterdir()) == ["depthy-0.15.0.json", "depthy-0.15.0.pt"]
    assert json.loads((stage / "package.json").read_text()) == {"name": "linux-x64-cuda", "gpu": "CUDA"}
    assert zip_path == out / "depthy_blender-0.1.0-linux-x64-cuda.zip"
    with zipfile.ZipFile(zip_path) as z:
        names = set(z.namelist())
        assert json.loads(z.read("package.json")) == {"name": "linux-x64-cuda", "gpu": "CUDA"}
        pt = z.read("weights/depthy-0.15.0.pt")
    assert {"__init__.py", "blender_manifest.toml", "package.json", "weights/depthy-0.15.0.pt",
            "weights/depthy-0.15.0.json", "wheels/tinyone-1.0-py3-none-any.whl",
            "wheels/tinytwo-2.0-py3-none-any.whl", "models/depthy_engine.py", "core/relief.py"} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert sorted(n for n in names if n.startswith("weights/")) == ["weights/depthy-0.15.0.json",
                                                                    "weights/depthy-0.15.0.pt"]
    assert hashlib.sha256(pt).hexdigest() == json.loads((ROOT / "depthy_blender/weights/depthy-0.15.0.json").read_text())["sha256"]
    manifest = _manifest(zip_path)
    assert ('platforms = ["linux-x64"]\nwheels = [\n  "./wheels/tinyone-1.0-py3-none-any.whl",\n'
            '  "./wheels/tinytwo-2.0-py3-none-any.whl",\n]\n\n[permissions]') in manifest
    assert 'blender_version_min = "4.2.0"' in manifest and "blender_version_max" not in manifest
    assert manifest.count("[permissions]") == 1
    build.validate(zip_path)                                              # Blender's own check passes


def test_one_pythons_zip_is_limited_to_the_blender_releases_that_run_it(staged_root, tmp_path, monkeypatch):
    root, wheels = staged_root
    small = tmp_path / "weights"
    small.mkdir()
    for name in ("depthy-0.15.0.pt", "depthy-0.15.0.json"):
        (small / name).write_text(name)
    monkeypatch.setattr(build.weights, "locate", lambda: (small / "depthy-0.15.0.pt", small / "depthy-0.15.0.json"))
    package = build.PACKAGES["macos-arm64"]
    (tmp_path / "dist").mkdir()
    stale = tmp_path / "dist" / "depthy_blender-0.1.0-macos-arm64-cp311.zip"
    stale.write_bytes(b"an older build")
    old = build.build_zip(package, wheels[:1], tmp_path / "dist", "3.11")
    assert old == stale and zipfile.is_zipfile(old)                        # replaced, not appended to
    manifest = _manifest(old)
    assert 'blender_version_min = "4.2.0"\nblender_version_max = "5.1.0"\n' in manifest
    assert 'platforms = ["macos-arm64"]\nwheels = [\n  "./wheels/tinyone-1.0-py3-none-any.whl",\n]' in manifest
    new = build.build_zip(package, wheels[1:], tmp_path / "dist", "3.13")
    assert new.name == "depthy_blender-0.1.0-macos-arm64-cp313.zip"
    manifest = _manifest(new)
    assert 'blender_version_min = "5.1.0"\n' in manifest and "blender_version_max" not in manifest
    with zipfile.ZipFile(new) as z:
        assert sorted(n for n in z.namelist() if n.startswith("wheels/")) == ["wheels/tinytwo-2.0-py3-none-any.whl"]
        assert z.read("weights/depthy-0.15.0.pt") == b"depthy-0.15.0.pt"  # the stage was emptied between builds
        assert json.loads(z.read("package.json")) == {"name": "macos-arm64", "gpu": "Metal"}


def test_a_build_that_blenders_tool_refuses_stops_the_build(staged_root, tmp_path, monkeypatch):
    _, wheels = staged_root
    refusing = tmp_path / "refusing.py"
    refusing.write_text("import sys\nsys.exit(1)\n")
    monkeypatch.setattr(build, "blender_ext_tool", lambda: refusing)
    with pytest.raises(subprocess.CalledProcessError):
        build.build_zip(build.PACKAGES["linux-x64-cuda"], wheels, tmp_path / "dist")


def test_a_damaged_zip_fails_blenders_check(tmp_path):
    broken = tmp_path / "depthy_blender-0.1.0-linux-x64.zip"
    broken.write_bytes(b"not a zip")
    with pytest.raises(subprocess.CalledProcessError):
        build.validate(broken)


def test_onnx_packages_stage_the_graph_exported_from_the_weights(tmp_path, monkeypatch):
    from depthy_blender.models import depthy_onnx
    exported = []
    monkeypatch.setattr(depthy_onnx, "export", lambda folder: exported.append(folder))
    build.stage_weights(build.PACKAGES["windows-x64-gpu"], tmp_path / "a" / "weights")
    assert exported == [tmp_path / "a" / "weights"] and (tmp_path / "a" / "weights").is_dir()
    from depthy_blender import models
    monkeypatch.delattr(models, "depthy_onnx")                  # as if it could not be imported (no onnx here)
    monkeypatch.setitem(sys.modules, "depthy_blender.models.depthy_onnx", None)
    with pytest.raises(SystemExit) as stop:
        build.stage_weights(build.PACKAGES["linux-x64"], tmp_path / "b")
    assert str(stop.value).startswith("linux-x64 carries Depthy as ONNX, exported here from the weights; that "
                                      "needs torch and onnx in this Python (")


def test_blenders_extension_tool_comes_from_the_newest_bpy_release_folder(tmp_path, monkeypatch):
    import importlib.machinery
    import importlib.util
    assert build.blender_ext_tool().name == "blender_ext.py" and build.blender_ext_tool().is_file()
    spec = importlib.machinery.ModuleSpec("bpy", None, is_package=True)
    spec.submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec if name == "bpy" else None)
    with pytest.raises(SystemExit) as stop:
        build.blender_ext_tool()
    assert str(stop.value) == f"blender_ext.py not found under {tmp_path}"
    for release in ("4.5", "5.0"):
        tool = tmp_path / release / "scripts" / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"
        tool.parent.mkdir(parents=True)
        tool.write_text("")
    assert build.blender_ext_tool() == tmp_path / "5.0" / "scripts" / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SystemExit) as stop:
        build.blender_ext_tool()
    assert str(stop.value) == "build.py needs the bpy module for Blender's extension tool: pip install bpy==5.0.1"


@pytest.fixture
def steps(monkeypatch):
    """build.py's steps replaced by stand-ins that note how main calls them."""
    calls = []
    monkeypatch.setattr(build, "write_lock", lambda names: calls.append(("lock", names)))
    monkeypatch.setattr(build, "read_lock", lambda: calls.append(("read",)) or {"packages": "the lock"})
    monkeypatch.setattr(build, "describe", lambda lock: f"described {lock['packages']}")

    def fetch(package, lock, offline, pythons):
        calls.append(("fetch", package.name, lock, offline, pythons))
        return [Path("w1.whl"), Path("w2.whl")]

    def build_zip(package, wheels, out_dir, python):
        calls.append(("zip", package.name, wheels, out_dir, python))
        return Path(__file__)                                   # any existing file: its size is printed

    monkeypatch.setattr(build, "fetch_wheels", fetch)
    monkeypatch.setattr(build, "build_zip", build_zip)
    monkeypatch.setattr(build, "validate", lambda path: calls.append(("validate", path)))
    return calls


def test_the_command_builds_one_package_for_both_pythons_or_one(steps, tmp_path, capsys):
    assert build.main(["--package", "windows-x64-gpu"]) == 0
    lock = {"packages": "the lock"}
    assert steps == [("read",), ("fetch", "windows-x64-gpu", lock, False, ["3.11", "3.13"]),
                     ("zip", "windows-x64-gpu", [Path("w1.whl"), Path("w2.whl")], build.ROOT / "dist", None),
                     ("validate", Path(__file__))]
    size = Path(__file__).stat().st_size / 1e6
    assert capsys.readouterr().out == f"built and validated {Path(__file__)} ({size:.0f} MB, 2 wheels)\n"
    steps.clear()
    assert build.main(["--platform", "linux-x64", "--python", "3.13", "--offline", "--out", str(tmp_path)]) == 0
    assert steps[1] == ("fetch", "linux-x64", lock, True, ["3.13"])
    assert steps[2] == ("zip", "linux-x64", [Path("w1.whl"), Path("w2.whl")], tmp_path, "3.13")


def test_the_command_locks_lists_and_refuses_nothing_to_do(steps, capsys):
    assert build.main(["--lock"]) == 0
    assert steps == [("lock", sorted(build.PACKAGES))]
    steps.clear()
    assert build.main(["--lock", "--package", "macos-arm64", "--list"]) == 0   # locked first, then listed and built
    assert [c[0] for c in steps] == ["lock", "read", "read", "fetch", "zip", "validate"]
    assert steps[0] == ("lock", ["macos-arm64"])
    assert capsys.readouterr().out.splitlines()[0] == "described the lock"
    for wrong in ([], ["--package", "linux-arm64"], ["--python", "3.12", "--list"]):
        with pytest.raises(SystemExit) as stop:
            build.main(wrong)
        assert stop.value.code == 2
        said = capsys.readouterr().err
    assert said.endswith("error: argument --python: invalid choice: '3.12' (choose from '3.11', '3.13')\n")
    with pytest.raises(SystemExit):
        build.main([])
    assert capsys.readouterr().err.endswith("error: give --package NAME, --list or --lock\n")
    with pytest.raises(SystemExit) as stop:
        build.main(["--help"])
    shown = capsys.readouterr().out
    assert stop.value.code == 0
    assert "\n    python build.py --list                       every package, what it carries" in shown   # as written
    options = " ".join(shown.split("options:")[-1].split())
    assert options == ("-h, --help show this help message and exit "
                       "--package {linux-x64,linux-x64-cuda,macos-arm64,windows-x64,windows-x64-gpu}, "
                       "--platform {linux-x64,linux-x64-cuda,macos-arm64,windows-x64,windows-x64-gpu} "
                       "the package to build (see --list) "
                       "--list show every package and its pinned wheels "
                       "--lock resolve the pins again into packages.lock.json "
                       "--offline use only wheels already in wheels/ "
                       "--out OUT output folder (default dist/) "
                       "--python {3.11,3.13} one Python's wheels only, in a zip limited to that Python's Blender "
                       "releases (default: both, one zip for Blender 4.2–5.3)")

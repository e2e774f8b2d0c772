"""The packages build.py makes: each carries exactly its pinned runtime, for both of Blender's Pythons,
and nothing of another package's (read from packages.lock.json; no download)."""
import re

import pytest

from tests.build_script import load_build

build = load_build()
LOCK = build.read_lock()


def files(package: str, python: str) -> list[str]:
    return [w["file"] for w in LOCK["packages"][package][python]]


def dists(package: str, python: str) -> dict[str, str]:
    return {build.dist_name(f): f.split("-")[1] for f in files(package, python)}


def test_every_package_is_locked_for_both_pythons():
    assert set(LOCK["packages"]) == set(build.PACKAGES)
    for name in build.PACKAGES:
        assert set(LOCK["packages"][name]) == {"3.11", "3.13"}


@pytest.mark.parametrize("name", sorted(build.PACKAGES))
@pytest.mark.parametrize("python", ["3.11", "3.13"])
def test_lock_holds_the_pins(name, python):
    """Every pinned requirement is in the lock at its pinned version, so the lock cannot drift from
    build.py; numpy (Blender's own) and setuptools never are."""
    have = dists(name, python)
    for pin in build.PACKAGES[name].requirements(python):
        dist, version = pin.split("==")
        dist = build.normalise(dist)
        if dist in build.LEFT_OUT:
            assert dist not in have
        else:
            assert have.get(dist) == version, (pin, have.get(dist))


@pytest.mark.parametrize("python, abi", [("3.11", "cp311"), ("3.13", "cp313")])
def test_chosen_runtime_wheels(python, abi):
    """The exact torch / ONNX Runtime wheel each package carries."""
    runtime = {name: sorted(f for f in files(name, python) if build.dist_name(f) in build.RUNTIME_DISTS)
               for name in build.PACKAGES}
    assert runtime == {
        "linux-x64": [f"onnxruntime-1.32.0-{abi}-{abi}-manylinux_2_28_x86_64.whl"],
        "linux-x64-cuda": [f"torch-2.13.0-{abi}-{abi}-manylinux_2_28_x86_64.whl"],
        "windows-x64": [f"onnxruntime-1.32.0-{abi}-{abi}-win_amd64.whl"],
        "windows-x64-gpu": [f"onnxruntime_directml-1.24.4-{abi}-{abi}-win_amd64.whl",
                            f"torch-2.13.0-{abi}-{abi}-win_amd64.whl"],
        "macos-arm64": [f"torch-2.13.0-{abi}-{abi}-macosx_14_0_arm64.whl"],
    }


@pytest.mark.parametrize("python", ["3.11", "3.13"])
def test_cpu_packages_hold_no_cuda_and_the_cuda_package_does(python):
    for name in ("linux-x64", "windows-x64"):
        assert not [f for f in files(name, python) if f.startswith(("nvidia", "torch-", "triton-", "cuda_"))]
    cuda = files("linux-x64-cuda", python)
    torch_wheel = next(f for f in cuda if f.startswith("torch-"))
    assert "+cpu" not in torch_wheel   # the registry's CUDA build, not a local CPU wheel
    for runtime in ("nvidia_cublas", "nvidia_cudnn_cu13", "nvidia_cuda_runtime", "nvidia_nccl_cu13"):
        assert any(f.startswith(runtime + "-") for f in cuda), runtime
    assert not [f for f in files("windows-x64-gpu", python) + files("macos-arm64", python) if f.startswith("nvidia")]


@pytest.mark.parametrize("name", sorted(build.PACKAGES))
def test_wheels_fit_their_platform_and_python(name):
    platform_tag = {"linux-x64": "manylinux", "windows-x64": "win_amd64", "macos-arm64": "macosx"}
    package = build.PACKAGES[name]
    for python, abi in (("3.11", "cp311"), ("3.13", "cp313")):
        for f in files(name, python):
            python_tag, abi_tag, plat = f[:-4].split("-")[-3:]
            assert plat == "any" or platform_tag[package.platform] in plat, f
            assert abi_tag in ("none", "abi3", abi), f


@pytest.mark.parametrize("name", sorted(build.PACKAGES))
def test_pure_python_wheels_are_one_version_for_both_pythons(name):
    """Blender installs the newest version of a distribution among the wheels that fit its Python; a
    pure-Python wheel fits both, so two versions would put the 3.13-only one into Python 3.11."""
    versions = {}
    for python in ("3.11", "3.13"):
        for f in files(name, python):
            if f.endswith("-none-any.whl"):
                versions.setdefault(build.dist_name(f), set()).add(f.split("-")[1])
    assert {d: v for d, v in versions.items() if len(v) > 1} == {}


def test_list_names_every_package_and_its_runtime(capsys):
    assert build.main(["--list"]) == 0
    out = capsys.readouterr().out
    for name, package in build.PACKAGES.items():
        assert re.search(rf"^{re.escape(name)}  \(Blender 4\.2 LTS – 5\.0 and 5\.1 – 5\.3; GPU: {package.gpu or 'none'};",
                         out, re.M), name
    assert "torch-2.13.0-cp313-cp313-manylinux_2_28_x86_64.whl" in out


def test_pip_sees_no_local_sources():
    env = build.registry_env()
    assert "PIP_FIND_LINKS" not in env and "PIP_EXTRA_INDEX_URL" not in env and "PIP_INDEX_URL" not in env
    assert env["PIP_CONFIG_FILE"] == __import__("os").devnull

"""The tracked tree stays small enough to travel to the GPU machine, and carries no checkpoints."""
import subprocess

import pytest

from tests.conftest import ROOT

MiB = 1 << 20


def tracked_sizes() -> dict[str, int]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    names = [n for n in out.decode().split("\0") if n]
    return {n: (ROOT / n).stat().st_size for n in names if (ROOT / n).is_file()}


def test_tracked_tree_at_most_60_mib():
    total = sum(tracked_sizes().values())
    assert total <= 60 * MiB, f"tracked files take {total / MiB:.1f} MiB (limit 60)"


def test_no_large_file_under_training():
    large = {n: s for n, s in tracked_sizes().items() if n.startswith("training/") and s > MiB}
    assert not large, f"checkpoints or data tracked under training/: {large}"


def test_one_shipped_weights_version():
    weights = [n for n in tracked_sizes() if n.startswith("depthy_blender/weights/") and n.endswith(".pt")]
    assert len(weights) == 1, weights


def test_readme_is_short_and_its_links_resolve_inside_the_repository():
    import re
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 150
    links = re.findall(r"\]\(([^)#]+)\)", text)
    assert links, "no links found"
    for link in links:
        assert not link.startswith(("http:", "https:", "..")), link
        target = (ROOT / link).resolve()
        assert target.exists() and ROOT in target.parents, link

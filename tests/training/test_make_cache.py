"""The drawing cache command (training/make_cache.py) with the drawing stood in: shards of the asked
size holding their seeds' drawings quantised as stated (8-bit images, 16-bit nearness, rounded), the
last shard short, shards already there kept (an interrupted run resumes), the options and the mesh
library handed on, and its progress lines."""
import sys

import numpy as np
import pytest

from training import make_cache


def _drawing(seed, size):
    value = (seed % 7) / 6
    mask = np.zeros((size, size), bool)
    mask[0, : seed % size] = True
    return {"image": np.full((size, size, 3), value, np.float32), "nearness": np.full((size, size), value, np.float32),
            "mask": mask, "info": f"seed {seed}"}


def _run(monkeypatch, *args):
    monkeypatch.setattr(sys, "argv", ["make_cache", *args])
    make_cache.main()


@pytest.fixture
def drawn(monkeypatch):
    asked = []

    def sample(seed, size, rod_share, **options):
        asked.append((seed, size, rod_share, options))
        return _drawing(seed, size)
    monkeypatch.setattr(make_cache.dataset, "sample", sample)
    return asked


def test_shards_hold_their_seeds_quantised_and_the_last_is_short(tmp_path, monkeypatch, capsys, drawn):
    out = tmp_path / "cache" / "c"
    _run(monkeypatch, "--size", "4", "--start", "100", "--count", "7", "--shard", "3", "--out", str(out), "--rods")
    assert sorted(p.name for p in out.iterdir()) == ["shard-0000.npz", "shard-0001.npz", "shard-0002.npz"]
    assert [s for s, *_ in drawn] == list(range(100, 107))
    assert {(size, share) for _, size, share, _ in drawn} == {(4, make_cache.dataset.ROD_SHARE)}
    assert drawn[0][3] == {name: name == "rods" for name in make_cache.OPTIONS}
    for k, seeds in enumerate(([100, 101, 102], [103, 104, 105], [106])):
        shard = np.load(out / f"shard-{k:04d}.npz")
        assert shard["seeds"].tolist() == seeds and shard["info"].tolist() == [f"seed {s}" for s in seeds]
        assert shard["image"].dtype == np.uint8 and shard["image"].shape == (len(seeds), 4, 4, 3)
        assert shard["nearness"].dtype == np.uint16 and shard["mask"].dtype == bool
        for j, seed in enumerate(seeds):
            value = (seed % 7) / 6                                  # rounded, not cut: 255 · v + 0.5
            assert shard["image"][j, 0, 0, 0] == int(255 * value + 0.5)
            assert shard["nearness"][j, 0, 0] == int(65535 * value + 0.5)
            assert shard["mask"][j, 0].sum() == seed % 4
    assert not list(out.glob("*.tmp.npz"))
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["shard-0000.npz", "shard-0001.npz", "shard-0002.npz"]
    assert lines[0].startswith("shard-0000.npz: 3 samples in ") and lines[2].startswith("shard-0002.npz: 1 samples in ")
    assert all(line.endswith(" s") for line in lines)


def test_an_interrupted_run_resumes_at_the_first_missing_shard(tmp_path, monkeypatch, drawn):
    out = tmp_path / "c"
    _run(monkeypatch, "--start", "0", "--count", "4", "--shard", "2", "--size", "2", "--out", str(out))
    (out / "shard-0001.npz").unlink()
    drawn.clear()
    _run(monkeypatch, "--start", "0", "--count", "4", "--shard", "2", "--size", "2", "--out", str(out))
    assert [s for s, *_ in drawn] == [2, 3]


def test_the_defaults_and_every_option(tmp_path, monkeypatch, drawn):
    flags = ["--" + name.replace("_", "-") for name in make_cache.OPTIONS]
    _run(monkeypatch, "--start", "5", "--count", "1", "--out", str(tmp_path), "--rod-share", "0.7", *flags)
    assert drawn == [(5, 128, 0.7, {name: True for name in make_cache.OPTIONS})]   # 128 px by default
    drawn.clear()
    _run(monkeypatch, "--start", "0", "--count", "501", "--size", "1", "--out", str(tmp_path / "d"))
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["shard-0000.npz", "shard-0001.npz"]   # 500 a shard
    assert len(np.load(tmp_path / "d" / "shard-0001.npz")["seeds"]) == 1
    for missing in (["--count", "1", "--out", "x"], ["--start", "1", "--out", "x"], ["--start", "1", "--count", "1"]):
        monkeypatch.setattr(sys, "argv", ["make_cache", *missing])
        with pytest.raises(SystemExit):
            make_cache.main()


def test_the_mesh_library_leaves_the_evaluation_meshes_out(tmp_path, monkeypatch, capsys):
    meshes = tmp_path / "meshes"
    meshes.mkdir()
    for name in ("bunny.obj", "teapot.stl"):
        (meshes / name).write_text("")
    from training import evaluate
    monkeypatch.setattr(evaluate, "MESH_DIR", meshes)
    asked = []
    monkeypatch.setattr(make_cache.library, "catalogue",
                        lambda folder, exclude, part, skip: asked.append((folder, sorted(exclude), part, skip)) or (["a", "b"], "odds"))
    monkeypatch.setattr(make_cache.library, "sample",
                        lambda seed, files, odds, size, upright, even: asked.append((seed, files, odds, size, upright, even)) or _drawing(seed, size))
    _run(monkeypatch, "--start", "9", "--count", "1", "--size", "3", "--out", str(tmp_path / "c"), "--library", str(tmp_path / "lib"),
         "--part", "val", "--skip-folder", "x", "--skip-folder", "y", "--upright", "0.8", "--even-lines")
    assert asked == [(tmp_path / "lib", ["bunny", "teapot"], "val", ["x", "y"]), (9, ["a", "b"], "odds", 3, 0.8, True)]
    assert capsys.readouterr().out.splitlines()[0] == f"2 val meshes in {tmp_path / 'lib'}"
    asked.clear()
    monkeypatch.setattr(evaluate, "MESH_DIR", tmp_path / "absent")
    _run(monkeypatch, "--start", "9", "--count", "1", "--size", "3", "--out", str(tmp_path / "e"), "--library", str(tmp_path / "lib"))
    assert asked == [(tmp_path / "lib", [], "train", []), (9, ["a", "b"], "odds", 3, 0.0, False)]
    monkeypatch.setattr(sys, "argv", ["make_cache", "--start", "1", "--count", "1", "--out", "x", "--part", "test"])
    with pytest.raises(SystemExit):
        make_cache.main()


def test_the_help_names_every_option_and_the_run_keeps_to_one_thread(tmp_path, monkeypatch, capsys, drawn):
    monkeypatch.setattr(sys, "argv", ["make_cache", "--help"])
    with pytest.raises(SystemExit):
        make_cache.main()
    text = "".join(capsys.readouterr().out.split())                 # the help's words, however it wraps them
    wanted = list(make_cache.OPTIONS.values()) + [
        "with --rods: the share of figures made rods", "draw meshes from this folder instead (the evaluation meshes left out)",
        "with --library: the training meshes or the held-out tenth (for validation)", "--part {train,val}",
        "with --library: leave out this top-level folder (repeatable)", "--skip-folder NAME", "--upright SHARE",
        "with --library: this share of the drawings keep the mesh's +z up, seen level or from above",
        "Render synthetic drawings ahead of training into shards"]
    assert all("".join(w.split()) in text for w in wanted)
    threads = make_cache.torch.get_num_threads()
    try:
        _run(monkeypatch, "--start", "0", "--count", "1", "--size", "2", "--part", "train", "--out", str(tmp_path))
        assert make_cache.torch.get_num_threads() == 1
    finally:
        make_cache.torch.set_num_threads(threads)
    assert capsys.readouterr().out == "shard-0000.npz: 1 samples in 0 s\n"

"""The headless `depth` command (no bpy needed)."""
import numpy as np
import pytest

from depthy_blender import cli


def test_depth_writes_nearness_at_image_size(tmp_path, drawing_path):
    out = tmp_path / "d" / "near.npy"
    assert cli.main(["depth", str(drawing_path), "-o", str(out), "--engine", "inflate",
                     "--mask", str(tmp_path / "m.npy")]) == 0
    near = np.load(out)
    assert near.shape == (120, 160) and near.dtype == np.float32
    assert near[60, 80] > near[27, 80] > 0 == near[5, 5]


def test_huge_image_is_written_at_the_size_it_was_read(tmp_path, huge_drawing_path, capsys):
    """20000² px in: the nearness is written at 4000² (64 MB), not blown back up to 20000² (1.6 GB)."""
    out = tmp_path / "near.npy"
    assert cli.main(["depth", str(huge_drawing_path), "-o", str(out), "--engine", "inflate"]) == 0
    assert np.load(out, mmap_mode="r").shape == (4000, 4000)
    assert "written at 4000×4000" in capsys.readouterr().err


def test_depth_bad_input_is_a_message_not_a_traceback(tmp_path, capsys):
    assert cli.main(["depth", str(tmp_path / "missing.png"), "-o", str(tmp_path / "x.npy")]) == 2
    assert "error: Image file not found" in capsys.readouterr().err


@pytest.mark.parametrize("flag, value, says", [
    ("--depthy-resolution", "100000", "between 128 and 2048"),
    ("--foreground-ratio", "nan", "finite"),
    ("--mc-resolution", "8", "between 32 and 512"),
])
def test_bad_options_are_one_line(tmp_path, drawing_path, capsys, flag, value, says):
    out = tmp_path / "x.npy"
    assert cli.main(["depth", str(drawing_path), "-o", str(out), "--engine", "inflate", flag, value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {flag}") and says in err[0]
    assert not out.exists()


def test_outputs_never_overwrite_inputs(tmp_path, drawing_path, capsys):
    before = drawing_path.read_bytes()
    assert cli.main(["depth", str(drawing_path), "-o", str(drawing_path), "--engine", "inflate"]) == 2
    assert cli.main(["depth", str(drawing_path), "-o", str(tmp_path / "n.npy"), "--mask", str(drawing_path)]) == 2
    assert cli.main(["depth", str(drawing_path), "-o", str(tmp_path / "n.npy"), "--mask", str(tmp_path / "n.npy")]) == 2
    assert drawing_path.read_bytes() == before and not (tmp_path / "n.npy").exists()
    # the sheet command refuses before it needs Blender: --json onto the sheet itself
    assert cli.main(["sheet", str(drawing_path), "-o", str(tmp_path / "s.blend"), "--json", str(drawing_path)]) == 2
    assert drawing_path.read_bytes() == before
    assert capsys.readouterr().err.count("is an input") == 3


def test_option_ranges_are_one_table():
    from depthy_blender.core import options
    from depthy_blender.errors import OptionError
    assert options.check("ratio", 0.2) == 0.2 and options.check("resolution", 16) == 16
    for name, bad in (("ratio", float("nan")), ("ratio", float("inf")), ("size", 0.0), ("smoothing", 1e6),
                      ("resolution", 0), ("resolution", 12.5), ("size", "big")):
        with pytest.raises(OptionError):
            options.check(name, bad)


def test_option_messages_name_the_setting_or_the_flag_and_both_ends_are_allowed():
    from depthy_blender.core import options
    from depthy_blender.errors import OptionError
    assert (options.low("ratio"), options.high("ratio")) == (0.0, 2.0)
    assert (options.low("resolution"), options.high("resolution")) == options.RANGES["resolution"][:2]
    for name, (lowest, highest, _) in options.RANGES.items():
        assert options.check(name, lowest) == lowest and options.check(name, highest) == highest
    for name, value, as_flag, message in (
            ("ratio", "deep", False, "Depth ratio (thickness ÷ width) must be a number, not 'deep'"),
            ("ratio", None, True, "--ratio: depth ratio (thickness ÷ width) must be a number, not None"),
            ("mc_resolution", 100.5, True,
             "--mc-resolution: TripoSR mesh resolution must be a whole number, not 100.5"),
            ("smoothing", 21, False, "Smoothing (grid cells) must be between 0.0 and 20.0, not 21"),
            ("size", float("nan"), False, "Size (metres) must be a finite number, not nan")):
        with pytest.raises(OptionError) as refused:
            options.check(name, value, as_flag)
        assert str(refused.value) == message
    options.check_all(ratio=2.0, smoothing=0, resolution=options.high("resolution"))
    with pytest.raises(OptionError, match="^Base .* must be between 0.0 and 1.0, not 1.5$"):
        options.check_all(ratio=0.2, base=1.5)


def test_the_engines_note_is_printed(tmp_path, capsys):
    """Turned on an L (no mirror axis) notes it; the note is the warning the add-on shows, one line."""
    from PIL import Image, ImageDraw
    path = tmp_path / "l.png"
    img = Image.new("RGB", (240, 160), "white")
    ImageDraw.Draw(img).polygon([(20, 20), (60, 20), (60, 100), (200, 100), (200, 139), (20, 139)],
                                outline="black", width=2)
    img.save(path)
    assert cli.main(["depth", str(path), "-o", str(tmp_path / "near.npy"), "--engine", "turned"]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and notes[0].startswith("note: Turned: the outline is only ")
    assert notes[0].endswith("its own mirror image; Turned is meant for a lathe part drawn from the side")


def test_faces_flat_makes_each_closed_area_one_height_planar_one_plane_and_says_when_there_are_none(tmp_path, capsys):
    """--faces flat: a plate with a hub drawn square-on is two heights (inflation's medians); --faces
    planar: each face inflation's plane there (core/planar_faces on the same answer); a shaded figure is
    written as the engine read it, with the note on stderr."""
    from PIL import Image, ImageDraw
    from depthy_blender.core import images, planar_faces
    from tests.core.test_flat_faces import areas, shaded
    path, filled = tmp_path / "plate.png", tmp_path / "shaded.png"
    img = Image.new("RGB", (160, 120), "white")
    for box in ((20, 20, 139, 99), (60, 40, 99, 79)):
        ImageDraw.Draw(img).rectangle(box, outline="black", width=2)
    img.save(path)
    Image.fromarray((shaded()[..., :3] * 255).round().astype(np.uint8)).save(filled)
    plain, flat, planar, mask = (tmp_path / f"{n}.npy" for n in ("plain", "flat", "planar", "mask"))
    assert cli.main(["depth", str(path), "-o", str(plain), "--engine", "inflate", "--mask", str(mask)]) == 0
    assert cli.main(["depth", str(path), "-o", str(flat), "--engine", "inflate", "--faces", "flat"]) == 0
    assert cli.main(["depth", str(path), "-o", str(planar), "--engine", "inflate", "--faces", "planar"]) == 0
    ring, hub = areas()
    raw, near = np.load(plain), np.load(flat)
    assert np.allclose(near[ring], np.median(raw[ring])) and np.allclose(near[hub], np.median(raw[hub]))
    rgba = images.load_image(str(path)).rgba
    assert np.array_equal(np.load(planar), planar_faces.read(raw, rgba, np.load(mask))[0])
    assert not np.allclose(np.load(planar), near)
    assert "note:" not in capsys.readouterr().err
    assert cli.main(["depth", str(filled), "-o", str(flat), "--engine", "inflate", "--faces", "flat"]) == 0
    assert "note: Flat faces found no areas closed by lines" in capsys.readouterr().err
    assert cli.main(["depth", str(filled), "-o", str(plain), "--engine", "inflate"]) == 0
    assert np.array_equal(np.load(flat), np.load(plain))
    with pytest.raises(SystemExit):
        cli.main(["depth", str(path), "-o", str(flat), "--faces", "curved"])

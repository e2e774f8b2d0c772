"""The headless `depth` command (no bpy needed)."""
import numpy as np

from depthy_blender import cli


def test_depth_writes_nearness_at_image_size(tmp_path, drawing_path):
    out = tmp_path / "d" / "near.npy"
    assert cli.main(["depth", str(drawing_path), "-o", str(out), "--backend", "inflate",
                     "--mask", str(tmp_path / "m.npy")]) == 0
    near = np.load(out)
    assert near.shape == (120, 160) and near.dtype == np.float32
    assert near[60, 80] > near[27, 80] > 0 == near[5, 5]


def test_depth_downscaled_image_comes_back_full_size(tmp_path, huge_drawing_path):
    out = tmp_path / "near.npy"
    assert cli.main(["depth", str(huge_drawing_path), "-o", str(out), "--backend", "inflate"]) == 0
    assert np.load(out, mmap_mode="r").shape == (20000, 20000)


def test_depth_bad_input_is_a_message_not_a_traceback(tmp_path, capsys):
    assert cli.main(["depth", str(tmp_path / "missing.png"), "-o", str(tmp_path / "x.npy")]) == 1
    assert "error: Image file not found" in capsys.readouterr().err

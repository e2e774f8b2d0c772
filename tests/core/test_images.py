"""Decoding every image mode and format, figure masks, and clear errors for bad files."""
import numpy as np
import pytest
from PIL import Image

from depthy_blender.core import images
from tests.conftest import outline_drawing


def _grey_ramp(w=32, h=16):
    return np.tile(np.linspace(0, 255, w, dtype=np.uint8), (h, 1))


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I", "F", "CMYK", "PA"])
def test_every_mode_decodes_to_float_rgba(tmp_path, mode):
    base = Image.fromarray(_grey_ramp()).convert("RGB")
    if mode == "I;16":
        img = Image.fromarray((_grey_ramp().astype(np.uint16) * 257))
        assert img.mode == "I;16"
    elif mode == "PA":
        img = base.convert("P")
        img = img.convert("PA")
    else:
        img = base.convert(mode)
    rgba = images.pil_to_rgba(img)
    assert rgba.shape == (16, 32, 4) and rgba.dtype == np.float32
    assert rgba.min() >= 0.0 and rgba.max() <= 1.0
    if mode not in ("1",):   # bilevel loses the ramp; everything else keeps dark → light
        assert rgba[0, 0, :3].mean() < 0.1 and rgba[0, -1, :3].mean() > 0.9


def test_sixteen_bit_keeps_precision(tmp_path):
    ramp = np.linspace(0, 65535, 64).astype(np.uint16).reshape(8, 8)
    path = tmp_path / "deep.png"
    Image.fromarray(ramp).save(path)
    rgba = images.load_image(path).rgba
    assert np.allclose(rgba[..., 0], ramp / 65535.0, atol=1e-6)


def test_palette_transparency_becomes_alpha(tmp_path):
    img = Image.new("P", (20, 20), 0)
    img.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    img.paste(1, (5, 5, 15, 15))
    img.info["transparency"] = 0
    path = tmp_path / "pal.png"
    img.save(path, transparency=0)
    rgba = images.load_image(path).rgba
    assert rgba[0, 0, 3] == 0.0 and rgba[10, 10, 3] == 1.0


@pytest.mark.parametrize("ext", ["png", "jpg", "bmp", "tif", "webp"])
def test_file_formats(tmp_path, ext):
    path = tmp_path / f"d.{ext}"
    outline_drawing().save(path)
    loaded = images.load_image(path)
    assert loaded.rgba.shape == (120, 160, 4)
    mask = images.figure_mask(loaded.rgba)
    assert mask[60, 80] and not mask[5, 5]


def test_outline_interior_is_figure():
    rgba = images.pil_to_rgba(outline_drawing())
    mask = images.figure_mask(rgba)
    assert mask[25:96, 30:131].all()            # the outline and everything inside it
    assert mask.sum() == 71 * 101
    assert not mask[:20].any()


def test_alpha_wins_over_paper():
    rgba = np.ones((40, 40, 4), np.float32)
    rgba[..., 3] = 0
    rgba[10:30, 5:15, 3] = 1
    assert images.figure_mask(rgba).sum() == 200


def test_blank_paper_has_no_figure():
    assert not images.figure_mask(np.ones((50, 60, 4), np.float32)).any()


def test_specks_are_dropped_and_paper_tone_tolerated():
    rgba = np.full((200, 200, 4), 0.93, np.float32)   # off-white paper
    rgba[..., 3] = 1
    rgba[100, 100, :3] = 0                             # one dust speck
    rgba[20:60, 20:60, :3] = 0.1                       # a real figure
    mask = images.figure_mask(rgba)
    assert mask[40, 40] and not mask[100, 100]


def test_full_frame_photo_is_all_figure():
    rng = np.random.default_rng(0)
    rgba = np.concatenate([rng.random((30, 30, 3)), np.ones((30, 30, 1))], -1).astype(np.float32)
    assert images.figure_mask(rgba).all()


def _rectangle_mask(shape=(120, 160), box=(25, 30, 96, 131)):
    mask = np.zeros(shape, bool)
    mask[box[0]:box[2], box[1]:box[3]] = True
    return mask


def test_trim_keeps_a_figure_whose_outline_has_a_gap():
    drawing = np.asarray(outline_drawing(width=1), np.float32) / 255
    drawing[60:64, 30] = 1.0                      # a gap in the left edge: the paper fill runs inside
    rgba = np.concatenate([drawing, np.ones((120, 160, 1), np.float32)], -1)
    assert images.figure_mask(rgba).sum() < 1000  # the flood fill alone loses the figure
    net = _rectangle_mask()
    assert np.array_equal(images.trim_to_drawing(net, rgba), net)


def test_trim_cuts_bleed_to_the_outline_and_drops_parts_on_blank_paper():
    rgba = images.pil_to_rgba(outline_drawing())
    net = _rectangle_mask(box=(22, 27, 99, 134))   # 3 px of bleed onto the paper all round
    net[2:12, 2:12] = True                          # and a blob on blank paper
    trimmed = images.trim_to_drawing(net, rgba)
    assert np.array_equal(trimmed, images.figure_mask(rgba))


def test_missing_file(tmp_path):
    with pytest.raises(images.ImageError, match="not found"):
        images.load_image(tmp_path / "nope.png")


def test_zero_bytes(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(images.ImageError) as err:
        images.load_image(path)
    assert str(err.value) == "Image file is empty (0 bytes): empty.png"


def test_corrupt_bytes(tmp_path):
    path = tmp_path / "corrupt.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(images.ImageError, match="Cannot read"):
        images.load_image(path)


def test_truncated_png(tmp_path, drawing_path):
    data = drawing_path.read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(images.ImageError):
        images.load_image(path)


def test_one_pixel(tmp_path):
    path = tmp_path / "dot.png"
    Image.new("L", (1, 1), 0).save(path)
    with pytest.raises(images.ImageError, match="1×1"):
        images.load_image(path)


def test_non_ascii_path(tmp_path):
    path = tmp_path / "чертёж 図面 é.png"
    outline_drawing().save(path)
    assert images.load_image(path).rgba.shape == (120, 160, 4)


def test_huge_image_is_downscaled_with_message(huge_drawing_path):
    loaded = images.load_image(huge_drawing_path)
    assert max(loaded.rgba.shape[:2]) <= images.MAX_SIDE
    assert loaded.source_size == (20000, 20000)
    assert any("downscaled" in m for m in loaded.messages)
    assert images.figure_mask(loaded.rgba)[loaded.rgba.shape[0] // 2, loaded.rgba.shape[1] // 2]


def test_pil_limit_is_restored(drawing_path, monkeypatch):
    from PIL import Image as PILImage
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 12_345_678)   # whatever it was, it comes back
    images.load_image(drawing_path)
    assert PILImage.MAX_IMAGE_PIXELS == 12_345_678


def test_array_downscale():
    rgba = np.zeros((9000, 30, 4), np.float32)
    small, message = images.downscale(rgba)
    assert small.shape[0] <= images.MAX_SIDE and "downscaled" in message
    assert images.downscale(np.zeros((10, 10, 4), np.float32))[1] is None


def test_trim_leaves_the_mask_of_a_full_frame_photo_alone():
    rng = np.random.default_rng(1)
    rgba = np.concatenate([rng.random((60, 80, 3)), np.ones((60, 80, 1))], -1).astype(np.float32)
    net = np.zeros((60, 80), bool)
    net[10:40, 20:50] = True
    assert np.array_equal(images.trim_to_drawing(net, rgba), net)


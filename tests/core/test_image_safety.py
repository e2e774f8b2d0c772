"""Image reading that keeps its promises on awkward files: a byte budget checked before decoding, large
images reduced band by band exactly as a whole, 16-bit images over the size limit, and line drawings on
transparent paper."""
import numpy as np
import pytest
from PIL import Image, ImageDraw

from depthy_blender.core import images


def test_decoded_size_is_checked_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "rgb.png"
    Image.new("RGB", (300, 200), "white").save(path)
    monkeypatch.setattr(images, "MAX_DECODE_BYTES", 300 * 200 * 4 - 1)   # Pillow holds RGB in 4 bytes
    with pytest.raises(images.ImageError, match=r"300×200 px \(RGB\): decoding it needs"):
        images.load_image(path)
    monkeypatch.setattr(images, "MAX_DECODE_BYTES", 300 * 200 * 4)
    assert images.load_image(path).rgba.shape == (200, 300, 4)


@pytest.mark.parametrize("mode", ["P", "PA-like", "L"])
def test_band_reduction_equals_reducing_the_whole_image(tmp_path, monkeypatch, mode):
    """An independent oracle: Pillow converting and reducing the whole image at once."""
    monkeypatch.setattr(images, "BAND_ROWS", 7)      # many bands, and a partial last one
    rng = np.random.default_rng(1)
    grey = Image.fromarray((rng.random((203, 331)) * 255).astype(np.uint8), "L")
    img = grey.convert("P") if mode != "L" else grey
    if mode == "PA-like":
        img.info["transparency"] = 0
    path = tmp_path / "img.png"
    img.save(path)
    got = images.load_image(path, max_side=60).rgba          # factor ceil(331 / 60) = 6
    with Image.open(path) as whole:
        target = "RGBA" if mode == "PA-like" else ("RGB" if mode == "P" else "L")
        expected = images.pil_to_rgba(whole.convert(target).reduce(6))
    assert got.shape == expected.shape == (34, 56, 4)
    assert np.abs(got - expected).max() == 0


def test_16_bit_image_over_the_size_limit_is_downscaled_not_refused(tmp_path):
    values = np.tile(np.linspace(0, 65535, 9000), (40, 1)).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    assert Image.open(path).mode == "I;16"
    loaded = images.load_image(path)
    assert loaded.rgba.shape == (20, 4500, 4) and "downscaled" in loaded.messages[0]
    # the mean of each 2×2 block of the ramp, scaled by 65535: the same numbers, read back as 0–1
    expected = values.reshape(20, 2, 4500, 2).mean(axis=(1, 3)) / 65535
    assert np.abs(loaded.rgba[..., 0] - expected).max() < 1e-4


def _outlines(img):
    draw = ImageDraw.Draw(img)
    draw.rectangle((50, 40, 350, 260), outline=(0, 0, 0, 255), width=3)
    draw.ellipse((120, 90, 280, 210), outline=(0, 0, 0, 255), width=3)
    return img


def test_line_drawing_on_transparent_paper_reads_like_white_paper(tmp_path):
    clear = _outlines(Image.new("RGBA", (400, 300), (0, 0, 0, 0)))
    clear.save(tmp_path / "clear.png")
    white = Image.new("RGB", (400, 300), "white")
    white.paste(clear, (0, 0), clear)
    white.save(tmp_path / "white.png")
    on_clear = images.load_image(tmp_path / "clear.png")
    on_white = images.load_image(tmp_path / "white.png")
    assert on_clear.messages == ["clear.png: a line drawing on transparent paper, read as on white paper"]
    # the figure is the whole rectangle (301 × 221 px with its outline), not just the ink
    assert images.figure_mask(on_clear.rgba).sum() == images.figure_mask(on_white.rgba).sum() == 301 * 221


def test_a_cut_out_keeps_its_alpha(tmp_path):
    cut = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    ImageDraw.Draw(cut).ellipse((100, 50, 300, 250), fill=(200, 100, 50, 255))
    cut.save(tmp_path / "cut.png")
    loaded = images.load_image(tmp_path / "cut.png")
    assert loaded.messages == [] and images.has_alpha_mask(loaded.rgba)
    assert images.figure_mask(loaded.rgba).sum() == (loaded.rgba[..., 3] > 0.5).sum()

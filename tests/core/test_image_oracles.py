"""Image decoding and figure finding against values worked out by hand: each PIL mode's scale, the box
filter, luma weights, the transparent-paper test and the network-mask trim (core/images.py)."""
import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from depthy_blender.core import images

F32 = np.float32


def rgba_of(img):
    out = images.pil_to_rgba(img)
    assert out.dtype == np.float32 and out.shape == img.size[::-1] + (4,)
    return out


def test_one_bit_and_grey_are_read_on_the_0_to_255_scale():
    one = Image.new("1", (4, 4), 0)
    one.putpixel((1, 2), 1)
    out = rgba_of(one)
    assert out[2, 1].tolist() == [1, 1, 1, 1] and out[0, 0].tolist() == [0, 0, 0, 1]
    out = rgba_of(Image.new("L", (4, 4), 51))
    assert out[0, 0].tolist() == [F32(51 / 255)] * 3 + [1.0]


def test_grey_with_alpha_keeps_its_alpha():
    out = rgba_of(Image.new("LA", (4, 4), (51, 102)))
    assert out[1, 1].tolist() == [F32(51 / 255)] * 3 + [F32(102 / 255)]


def test_32_bit_integers_are_8_bit_values_unless_one_exceeds_255():
    small = rgba_of(Image.fromarray(np.array([[0, 102], [200, 255]] * 2, np.int32).repeat(2, 1)))
    assert small[0, 2, 0] == F32(102 / 255)
    big = rgba_of(Image.fromarray(np.array([[256, 128]] * 4, np.int32).repeat(2, 1)))   # 256: the 16-bit scale
    assert big[0, 0, 0] == F32(256 / 65535) and big[0, 2, 0] == F32(128 / 65535)


def test_16_bit_is_read_on_the_0_to_65535_scale():
    img = Image.fromarray(np.array([[65535, 32768, 200, 0]] * 4, np.uint16))
    assert img.mode.startswith("I;16")
    out = rgba_of(img)
    assert out[0, :, 0].tolist() == [1.0, F32(32768 / 65535), F32(200 / 65535), 0.0]


def test_floats_are_taken_as_they_are_and_clipped():
    out = rgba_of(Image.fromarray(np.array([[0.25, 1.5, -0.5, 1.0]] * 4, np.float32)))
    assert out[0, :, 0].tolist() == [0.25, 1.0, 0.0, 1.0] and (out[..., 3] == 1).all()


def test_colour_and_transparency_modes():
    assert rgba_of(Image.new("RGB", (4, 4), (51, 102, 153)))[0, 0].tolist() == \
        [F32(0.2), F32(0.4), F32(0.6), 1.0]
    assert rgba_of(Image.new("RGBA", (4, 4), (51, 102, 153, 0)))[0, 0, 3] == 0.0
    pal = Image.new("P", (4, 4), 1)
    pal.putpalette([255, 255, 255, 51, 102, 153] + [0] * 762)
    pal.info["transparency"] = 1
    assert rgba_of(pal)[0, 0].tolist() == [F32(0.2), F32(0.4), F32(0.6), 0.0]
    pa = pal.convert("PA")
    assert pa.mode == "PA" and rgba_of(pa)[0, 0, 3] == 0.0


def test_which_modes_carry_transparency():
    assert not images._has_transparency(Image.new("RGB", (4, 4)))
    assert not images._has_transparency(Image.new("P", (4, 4)))
    assert images._has_transparency(Image.new("PA", (4, 4)))
    pal = Image.new("P", (4, 4))
    pal.info["transparency"] = 0
    assert images._has_transparency(pal)


@pytest.mark.parametrize("mode,size", [("1", 1), ("L", 1), ("P", 1), ("I;16", 2), ("I;16B", 2),
                                       ("RGB", 4), ("RGBA", 4), ("I", 4), ("F", 4)])
def test_decoded_bytes_per_pixel(mode, size):
    assert images._stored_bytes(mode) == size


@pytest.mark.parametrize("mode", ["1", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV"])
def test_modes_numpy_cannot_read_are_converted_to_rgb(mode):
    img = Image.new("RGB", (6, 6), (51, 102, 153)).convert(mode) if mode != "PA" else \
        Image.new("P", (6, 6)).convert("PA")
    for factor in (1, 2):
        out = images._reduce(img, factor)
        assert out.mode == ("RGBA" if mode == "PA" else "RGB"), (mode, factor, out.mode)


def test_16_bit_keeps_its_scale_through_reduction():
    """Reduced or not, 16-bit values stay on the 0–65535 scale: 200 reads as 200/65535 (a 32-bit
    image whose values are all ≤ 255 would read as 200/255), and 0 stays 0."""
    img = Image.fromarray(np.array([[200, 0, 0, 0]] * 4, np.uint16).repeat(2, 1))   # 8 × 4
    for factor in (1, 2):
        out = images.pil_to_rgba(images._reduce(img, factor))[..., 0]
        assert out[0, 0] == F32(200 / 65535) and out[0, -1] == 0.0, factor


def test_downscale_is_a_box_filter():
    """A 4 × 6 image with max side 3: factor 2, so 2 × 3 blocks of four pixels averaged, by hand."""
    rgba = np.zeros((4, 6, 4), np.float32)
    rgba[..., 0] = np.arange(24).reshape(4, 6)
    rgba[..., 3] = 1.0
    out, note = images.downscale(rgba, max_side=3)
    assert out.dtype == np.float32 and out.shape == (2, 3, 4)
    assert out[..., 0].tolist() == [[3.5, 5.5, 7.5], [15.5, 17.5, 19.5]]   # (0+1+6+7)/4 …
    assert (out[..., 3] == 1).all() and note == "image is 6×4 px; downscaled to 3×2"


def test_luma_weights():
    rgba = np.zeros((1, 3, 4), np.float32)
    rgba[0, 0, 0] = rgba[0, 1, 1] = rgba[0, 2, 2] = 1.0
    rgba[..., 3] = 1.0
    luma = images.luminance(rgba)
    assert luma.dtype == np.float32
    assert luma[0].tolist() == pytest.approx([0.2126, 0.7152, 0.0722], abs=1e-7)


def test_the_smallest_image_allowed():
    images.check_size(np.zeros((4, 4, 4), np.float32))
    with pytest.raises(images.ImageError, match="3×4"):
        images.check_size(np.zeros((4, 3, 4), np.float32))


def transparent(strokes: np.ndarray, grey: float = 0.2, alpha: float = 1.0) -> np.ndarray:
    rgba = np.zeros(strokes.shape + (4,), np.float32)
    rgba[..., :3] = grey
    rgba[..., 3] = np.where(strokes, alpha, 0.0)
    return rgba


def test_thick_bars_on_transparent_paper_are_a_drawing():
    """Four parallel bars 4 px wide enclose nothing, but a 2-pixel erosion leaves nothing of them: a
    drawing's strokes, put on white (0.2 grey ink stays 0.2; paper becomes 1)."""
    strokes = np.zeros((40, 40), bool)
    for x in (4, 14, 24, 34):
        strokes[4:36, x:x + 4] = True
    out, note = images.on_paper(transparent(strokes))
    assert note and out.dtype == np.float32
    assert out[10, 5].tolist() == [F32(0.2)] * 3 + [1.0] and out[10, 10].tolist() == [1.0] * 4


def test_half_transparent_ink_is_composited_on_white():
    strokes = np.zeros((40, 40), bool)
    for x in (4, 14, 24, 34):
        strokes[4:36, x:x + 2] = True
    rgba = transparent(strokes)
    rgba[10, 4, 3] = 0.75                           # an anti-aliased edge: 0.2 × 0.75 + 0.25
    out, _ = images.on_paper(rgba)
    assert out[10, 4, 0] == pytest.approx(0.4, abs=1e-6)


def test_a_thick_ring_is_a_drawing_and_a_disc_is_a_cut_out():
    """A ring 7.5 px wide (radii 25.5 to 33): it encloses about 2.5 times what it covers, so it is
    strokes, though a 2-pixel erosion leaves nearly half of it. A disc encloses only itself and keeps
    its core: a cut-out."""
    y, x = np.mgrid[:80, :80]
    r = np.hypot(y - 40, x - 40)
    ring = (r >= 25.5) & (r < 33)
    filled = ring | (r < 25.5)
    assert 2.2 < filled.sum() / ring.sum() < 2.8
    assert images.on_paper(transparent(ring))[1] is not None
    disc = transparent(r < 30)
    out, note = images.on_paper(disc)
    assert note is None and out is disc


def paper_with_box(bleed: int = 3):
    """A white sheet with a black 20 × 20 square outline (2 px); the network's mask over it bleeds
    `bleed` px onto the paper all round."""
    rgba = np.ones((60, 60, 4), np.float32)
    rgba[10:30, 10:30, :3] = 0.0
    rgba[12:28, 12:28, :3] = 1.0
    net = np.zeros((60, 60), bool)
    net[10 - bleed:30 + bleed, 10 - bleed:30 + bleed] = True
    return rgba, net


def test_one_part_is_trimmed_to_the_drawing():
    rgba, net = paper_with_box()
    out = images.trim_to_drawing(net, rgba)
    assert out.sum() == 400 and out[10:30, 10:30].all()      # the square, filled: 20 × 20


def test_parts_are_judged_one_at_a_time():
    """The square (trimmed to its 400 px) and a second part of the mask on a broken outline, whose
    paper fill ran in: kept whole (576 px). Judged against both parts' area together, the square would
    count as mostly missed and be kept with its bleed."""
    rgba, net = paper_with_box()
    rgba[40:56, 36:38, :3] = 0.0                    # a stroke: an outline with its other sides missing
    net[36:60, 34:58] = True                         # 24 × 24
    out = images.trim_to_drawing(net, rgba)
    assert out[:34, :34].sum() == 400 and out[36:60, 34:58].all() and out.sum() == 400 + 576


def test_a_part_on_blank_paper_is_dropped_and_the_fill_outside_the_mask_ignored():
    """A part of the mask with one ink pixel in 225 (0.44 %, under the 0.5 % that holds ink) is
    dropped; a drawn square the mask does not cover stays out."""
    rgba, net = paper_with_box()
    net[:] = False
    net[40:55, 40:55] = True                         # 15 × 15 = 225 px of paper …
    rgba[47, 47, :3] = 0.0                           # … and one ink pixel
    assert not images.trim_to_drawing(net, rgba).any()


def test_the_ink_share_limit_is_strict():
    """Exactly 0.5 % ink (1 of 200 px) is not enough; 2 of 200 is."""
    rgba = np.ones((60, 60, 4), np.float32)
    net = np.zeros((60, 60), bool)
    net[20:30, 20:40] = True                         # 200 px
    rgba[25, 25, :3] = 0.0
    assert not images.trim_to_drawing(net, rgba).any()
    rgba[25, 30, :3] = 0.0
    assert images.trim_to_drawing(net, rgba).sum() == 200


def test_a_part_half_covered_by_the_drawing_is_trimmed():
    """Exactly half the part is figure (covered = 0.5): trimmed to the figure, not kept whole."""
    rgba = np.ones((60, 60, 4), np.float32)
    rgba[20:30, 20:30, :3] = 0.0                     # a solid black 10 × 10 block
    net = np.zeros((60, 60), bool)
    net[20:30, 20:40] = True                         # 200 px, 100 of them the block
    out = images.trim_to_drawing(net, rgba)
    assert out.sum() == 100 and out[20:30, 20:30].all()


def test_a_premultiplied_image_keeps_its_alpha():
    img = Image.new("RGBA", (4, 4), (51, 102, 153, 0)).convert("RGBa")
    assert img.mode == "RGBa" and rgba_of(img)[0, 0, 3] == 0.0


def test_the_default_name_in_the_size_message():
    with pytest.raises(images.ImageError) as err:
        images.check_size(np.zeros((2, 3, 4), np.float32))
    assert str(err.value) == "image is only 3×2 px; at least 4×4 px is needed"


def test_a_downscaled_file_is_named_with_both_sizes(tmp_path):
    Image.new("L", (300, 40), 255).save(tmp_path / "wide.png")
    loaded = images.load_image(tmp_path / "wide.png", max_side=100)
    assert loaded.rgba.shape[:2] == (14, 100)                      # ceil(40 / 3) × 300 / 3
    assert loaded.messages == ["wide.png is 300×40 px; downscaled to 100×14"]


def png_header(width, height, colour=0):
    """A PNG that claims `width` × `height` 8-bit pixels, grey (colour 0) or RGB (colour 2, which Pillow
    holds in 4 bytes): its signature, header chunk and end, no pixels."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    head = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path):
    """40000 × 40000 is over 32768²; a 1 × 1600000000 strip has as many pixels and is refused too."""
    (tmp_path / "bomb.png").write_bytes(png_header(40000, 40000))
    with pytest.raises(images.ImageError) as err:
        images.load_image(tmp_path / "bomb.png")
    assert str(err.value) == "bomb.png is 40000×40000 px, too large to decode"
    (tmp_path / "strip.png").write_bytes(png_header(1_600_000_000, 1))
    with pytest.raises(images.ImageError, match="too large to decode"):
        images.load_image(tmp_path / "strip.png")


@pytest.fixture
def drafts(monkeypatch):
    """The (mode, size) of every draft a JPEG decoder is asked for, the draft still made."""
    from PIL import JpegImagePlugin
    asked = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        asked.append((mode, size))
        return original(self, mode, size)
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    return asked


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(tmp_path, drafts):
    """A JPEG 4 times over the side limit asks its decoder for a quarter-size draft (the DCT scales
    down while decoding, so the full-size pixels are never held); other formats have no draft."""
    asked = drafts
    Image.new("RGB", (400, 300), (255, 255, 255)).save(tmp_path / "big.jpg")
    loaded = images.load_image(tmp_path / "big.jpg", max_side=100)
    assert asked == [("RGB", (100, 75))] and loaded.rgba.shape[:2] == (75, 100)
    asked.clear()
    Image.new("RGB", (400, 300)).save(tmp_path / "big.png")
    images.load_image(tmp_path / "big.png", max_side=100)
    Image.new("RGB", (100, 75)).save(tmp_path / "small.jpg")
    images.load_image(tmp_path / "small.jpg", max_side=100)
    assert asked == []


def test_the_trim_uses_the_callers_tolerance_for_the_fill():
    """A pale grey (0.8) square outline: at a tolerance of 0.3 it is paper, so the fill finds no figure
    and the part (no ink at that tolerance either) is dropped; at 0.12 it is a figure."""
    rgba, net = paper_with_box()
    rgba[10:30, 10:30, :3] = 0.8
    rgba[12:28, 12:28, :3] = 1.0
    assert images.trim_to_drawing(net, rgba).sum() == 400
    assert not images.trim_to_drawing(net, rgba, tolerance=0.3).any()


def photo(box_rgb=(1.0, 0.0, 0.0), backdrop=0.7, h=120, w=140):
    rgba = np.ones((h, w, 4), np.float32)
    rgba[..., :3] = backdrop
    rgba[40:80, 45:95, :3] = box_rgb                  # 40 × 50
    return rgba


def test_a_photos_figure_has_the_same_rim_on_every_side():
    """The blur spreads a box's edge over a few pixels, and the closed band round it belongs to the
    figure: as many rows above the box as below it, as many columns left as right."""
    mask = images.flood_from_border(photo())
    rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
    above, below = 40 - rows.min(), rows.max() + 1 - 80
    left, right = 45 - cols.min(), cols.max() + 1 - 95
    assert above == below == left == right and above >= 1


def test_an_edge_at_the_border_does_not_take_the_figures_rim_with_it():
    """A dark band along the left edge makes closed pixels on the border; the box keeps its rim."""
    plain = images.flood_from_border(photo())
    rgba = photo()
    rgba[:, :4, :3] = 0.0
    mask = images.flood_from_border(rgba)
    assert mask[30:90, 30:110].sum() == plain[30:90, 30:110].sum() and mask[40:80, 45:95].all()


def test_an_object_that_differs_in_one_channel_is_found():
    """A box 0.1 bluer than a grey backdrop: blurred in space only, the step at its edge is
    0.1 × 0.38 = 0.038, over the 0.03 tolerance (but at the four corner pixels, where the blur spreads
    it both ways); mixed across colour channels it would be under it, and the box lost."""
    mask = images.flood_from_border(photo(box_rgb=(0.5, 0.5, 0.6), backdrop=0.5))
    assert mask[40:80, 45:95].sum() == 2000 - 4


def test_coloured_paper_is_paper_channel_by_channel():
    """Cream paper (1.0, 0.93, 0.70) with a black 20 × 20 square outline: the paper's colour is taken
    per channel, so the figure is the square (400 px by hand), not the whole sheet."""
    rgba = np.ones((60, 60, 4), np.float32)
    rgba[..., :3] = (1.0, 0.93, 0.70)
    rgba[10:30, 10:30, :3] = 0.0
    rgba[12:28, 12:28, :3] = (1.0, 0.93, 0.70)
    mask = images.figure_mask(rgba)
    assert mask.sum() == 400 and mask[10:30, 10:30].all()


def test_an_image_without_a_paper_border_is_all_figure():
    rgba = np.random.default_rng(0).random((30, 40, 4)).astype(np.float32)
    rgba[..., 3] = 1.0
    mask = images.figure_mask(rgba)
    assert mask.dtype == bool and mask.shape == (30, 40) and mask.all()


def test_the_border_ring_by_hand():
    a = np.arange(20).reshape(4, 5)
    assert images._border(a).tolist() == [0, 1, 2, 3, 4, 15, 16, 17, 18, 19, 5, 10, 9, 14]


def test_a_lone_speck_is_dropped():
    mask = np.zeros((100, 100), bool)
    mask[50, 50] = True                       # 1 px, under 1e-3 of 10000
    assert not images.drop_specks(mask, 1e-3).any()
    mask[10:20, 10:20] = True                 # 100 px: kept, the speck still dropped
    assert images.drop_specks(mask, 1e-3).sum() == 100


def test_open_strokes_of_a_five_pixel_pen_are_a_drawing_named_image_by_default():
    """Three open bars 5 px wide enclose nothing, and a 2-pixel erosion leaves only their 1-pixel middle
    line short of the ends: (32 − 4) of 5 × 32 pixels each, under a fifth. So they are strokes, not a
    cut-out, and with no name given the note calls the file "image"."""
    strokes = np.zeros((40, 40), bool)
    for x in (4, 16, 28):
        strokes[4:36, x:x + 5] = True
    assert ndimage.binary_erosion(strokes, iterations=2).sum() == 3 * 28
    out, note = images.on_paper(transparent(strokes))
    assert note == "image: a line drawing on transparent paper, read as on white paper"
    assert out[10, 10].tolist() == [1.0] * 4


def test_a_speck_is_kept_from_exactly_the_least_area_and_a_lone_pixel_counts():
    """`min_area` × the image's size is the least area kept, counted as is: on 100 × 100 pixels,
    4e-4 (exactly 4 pixels) keeps a 4-pixel speck and drops a 3-pixel one. Below one pixel the least is one pixel, so a
    lone pixel stays."""
    mask = np.zeros((100, 100), bool)
    mask[10, 10:14] = True                    # 4 px
    mask[50, 50:53] = True                    # 3 px
    assert 4e-4 * mask.size == 4.0
    kept = images.drop_specks(mask, 4e-4)
    assert kept.sum() == 4 and kept[10, 10:14].all()
    lone = np.zeros((50, 50), bool)
    lone[20, 20] = True                       # 1 px, over 1e-4 of 2500 (a quarter of a pixel)
    assert images.drop_specks(lone, 1e-4).sum() == 1


def test_a_file_too_large_to_hold_names_both_sizes_to_a_tenth_of_a_gb(tmp_path, monkeypatch):
    """18750 × 18000 RGB needs 4 × 337.5 M = 1.35 GB, which rounds up to 1.4 (1.35 lies just above it
    in binary) against the 1.2 GB allowed; a limit of exactly 1.35 GB reads 1.4 too."""
    (tmp_path / "scan.png").write_bytes(png_header(18750, 18000, colour=2))
    with pytest.raises(images.ImageError) as error:
        images.load_image(tmp_path / "scan.png")
    assert str(error.value) == ("scan.png is 18750×18000 px (RGB): decoding it needs 1.4 GB, over the 1.2 GB "
                                "allowed; save it smaller or as JPEG")
    monkeypatch.setattr(images, "MAX_DECODE_BYTES", 1_350_000_000)
    (tmp_path / "big.png").write_bytes(png_header(20000, 20000, colour=2))
    with pytest.raises(images.ImageError, match=r"needs 1\.6 GB, over the 1\.4 GB allowed;"):
        images.load_image(tmp_path / "big.png")


def test_exactly_the_largest_pixel_count_is_decoded_and_a_damaged_file_says_why(tmp_path, monkeypatch):
    """32768² pixels is allowed: a header claiming it, with no pixel data, gets as far as decoding and
    fails there, with Pillow's own reason (read here straight from Pillow) in the one line."""
    path = tmp_path / "hollow.png"
    path.write_bytes(png_header(32768, 32768))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with Image.open(path) as img, pytest.raises(Exception) as direct:
        img.load()
    reason = str(direct.value).strip().splitlines()[0]
    with pytest.raises(images.ImageError) as error:
        images.load_image(path)
    assert str(error.value) == f"Cannot read hollow.png: not a supported or intact image ({reason})"


def test_a_long_decoder_message_is_cut_at_200_characters(tmp_path, monkeypatch):
    Image.new("L", (8, 8)).save(tmp_path / "ok.png")

    def refuse(*args, **kwargs):
        raise OSError("x" * 300 + "\nsecond line")
    monkeypatch.setattr(Image, "open", refuse)
    with pytest.raises(images.ImageError) as error:
        images.load_image(tmp_path / "ok.png")
    assert str(error.value) == "Cannot read ok.png: not a supported or intact image (" + "x" * 200 + ")"


def test_a_file_too_small_is_named_in_its_message(tmp_path):
    Image.new("L", (3, 9), 255).save(tmp_path / "tiny.png")
    with pytest.raises(images.ImageError) as error:
        images.load_image(tmp_path / "tiny.png")
    assert str(error.value) == "tiny.png is only 3×9 px; at least 4×4 px is needed"


def test_a_jpeg_twice_the_limit_is_drafted_at_half_size_in_whole_pixels(tmp_path, drafts):
    asked = drafts
    Image.new("RGB", (201, 151), (255, 255, 255)).save(tmp_path / "twice.jpg")
    loaded = images.load_image(tmp_path / "twice.jpg", max_side=101)
    assert asked == [("RGB", (100, 75))] and all(type(v) is int for v in asked[0][1])
    assert loaded.rgba.shape[:2] == (76, 101)         # the decoder's half scale rounds up

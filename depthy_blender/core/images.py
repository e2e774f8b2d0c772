"""Decode image files to float RGBA and find the drawn figure (alpha, else paper flood-fill).

Everything the engines see is an RGBA float32 array of shape (H, W, 4) in [0, 1], row 0 at the top.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from ..errors import DepthyError, first_line

MAX_SIDE = 8192                 # longer images are downscaled to this (with a message)
MAX_DECODE_PIXELS = 32768 ** 2  # refuse to decode anything larger than this
MAX_DECODE_BYTES = 1_200_000_000  # the decoded file before downscaling (Pillow's own pixel storage)
BAND_ROWS = 64                  # output rows converted and reduced at a time from a large decoded image
MIN_SIDE = 4                    # smaller images carry no usable drawing


class ImageError(DepthyError, ValueError):
    """An image that cannot be used, with a message meant for the user."""


@dataclass
class LoadedImage:
    rgba: np.ndarray
    source_size: tuple[int, int]          # (width, height) of the file before any downscaling
    messages: list[str] = field(default_factory=list)


def load_image(path: str | os.PathLike, max_side: int = MAX_SIDE) -> LoadedImage:
    """Read an image file into float RGBA; raise ImageError with a clear message on any failure."""
    from PIL import Image, UnidentifiedImageError

    path = os.fspath(path)
    name = os.path.basename(path)
    if not os.path.isfile(path):
        raise ImageError(f"Image file not found: {path}")
    if os.path.getsize(path) == 0:
        raise ImageError(f"Image file is empty (0 bytes): {name}")
    previous_limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # our own limit below; PIL's global guard is restored after
    try:
        with Image.open(path) as img:
            width, height = img.size
            if width * height > MAX_DECODE_PIXELS:
                raise ImageError(f"{name} is {width}×{height} px, too large to decode")
            messages = []
            factor = int(np.ceil(max(width, height) / max_side))
            if factor > 1 and img.format == "JPEG":   # JPEG decodes at 1/2, 1/4 or 1/8 size directly
                img.draft(img.mode, (width // factor, height // factor))
                factor = int(np.ceil(max(img.size) / max_side))
            decoded = img.size[0] * img.size[1] * _stored_bytes(img.mode)
            if decoded > MAX_DECODE_BYTES:   # checked before anything is allocated
                raise ImageError(f"{name} is {width}×{height} px ({img.mode}): decoding it needs "
                                 f"{decoded / 1e9:.1f} GB, over the {MAX_DECODE_BYTES / 1e9:.1f} GB allowed; "
                                 "save it smaller or as JPEG")
            img.load()
            decoded_image, img = img, _reduce(img, factor)
            if img is not decoded_image:
                decoded_image.close()   # release the full-size pixels before the float copy is made
            if factor > 1:
                messages.append(f"{name} is {width}×{height} px; downscaled to {img.size[0]}×{img.size[1]}")
            rgba = pil_to_rgba(img)
            rgba, note = on_paper(rgba, name)
            if note:
                messages.append(note)
    except ImageError:
        raise
    except (UnidentifiedImageError, Exception) as exc:   # a damaged file fails anywhere in a decoder
        raise ImageError(f"Cannot read {name}: not a supported or intact image ({first_line(exc, 200)})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous_limit
    check_size(rgba, name)
    return LoadedImage(rgba, (width, height), messages)


def _stored_bytes(mode: str) -> int:
    """Bytes per pixel Pillow holds for a decoded image of this mode (RGB is stored in 4)."""
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def _reduce(img, factor: int):
    """Convert modes numpy cannot take to RGB(A) and shrink by `factor` (box filter). A large image is
    converted and reduced a band of rows at a time, so no full-size converted copy is ever made."""
    target = None
    if img.mode in ("1", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV"):
        target = "RGBA" if _has_transparency(img) else "RGB"
    sixteen = img.mode.startswith("I;16")   # Pillow cannot reduce 16-bit images: reduce them as 32-bit
    if sixteen and factor > 1:
        target = "I"
    if factor <= 1:
        return img.convert(target) if target else img
    if target is None:
        return img.reduce(factor)
    from PIL import Image
    width, height = img.size
    out = Image.new(target, (-(-width // factor), -(-height // factor)))
    band = BAND_ROWS * factor
    for top in range(0, height, band):
        piece = img.crop((0, top, width, min(height, top + band))).convert(target).reduce(factor)
        out.paste(piece, (0, top // factor))
    if sixteen:   # back to 16 bits, so the value scale (0–65535) is read as before
        out = Image.fromarray(np.clip(np.asarray(out), 0, 65535).astype(np.uint16))
    return out


def _has_transparency(img) -> bool:
    return img.mode in ("PA",) or "transparency" in img.info


def pil_to_rgba(img) -> np.ndarray:
    """Any PIL image (1, L, LA, P, RGB, RGBA, I;16, I, F, ...) → float32 RGBA (H, W, 4) in [0, 1]."""
    mode = img.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        grey = np.asarray(img, dtype=np.float64)
        if mode.startswith("I;16"):
            grey = grey / 65535.0
        elif mode == "I":
            grey = grey / (65535.0 if grey.max(initial=0) > 255 else 255.0)
        return grey_to_rgba(np.clip(grey, 0.0, 1.0))
    if mode in ("1", "L"):
        return grey_to_rgba(np.asarray(img.convert("L"), dtype=np.float32) / 255.0)
    if mode == "LA":
        la = np.asarray(img, dtype=np.float32) / 255.0
        rgba = grey_to_rgba(la[..., 0])
        rgba[..., 3] = la[..., 1]
        return rgba
    target = "RGBA" if (mode in ("RGBA", "PA", "RGBa") or _has_transparency(img)) else "RGB"
    arr = np.asarray(img.convert(target), dtype=np.float32) / 255.0
    if target == "RGB":
        arr = np.concatenate([arr, np.ones(arr.shape[:2] + (1,), np.float32)], axis=-1)
    return np.ascontiguousarray(arr, dtype=np.float32)


def grey_to_rgba(grey: np.ndarray) -> np.ndarray:
    grey = grey.astype(np.float32)
    return np.stack([grey, grey, grey, np.ones_like(grey)], axis=-1)


def check_size(rgba: np.ndarray, name: str = "image") -> None:
    h, w = rgba.shape[:2]
    if min(h, w) < MIN_SIDE:
        raise ImageError(f"{name} is only {w}×{h} px; at least {MIN_SIDE}×{MIN_SIDE} px is needed")


def downscale(rgba: np.ndarray, max_side: int = MAX_SIDE) -> tuple[np.ndarray, str | None]:
    """Shrink an array image by an integer box filter so its longer side is ≤ max_side."""
    h, w = rgba.shape[:2]
    factor = int(np.ceil(max(h, w) / max_side))
    if factor <= 1:
        return rgba, None
    hh, ww = h // factor, w // factor
    boxed = rgba[: hh * factor, : ww * factor].reshape(hh, factor, ww, factor, -1).mean(axis=(1, 3))
    return boxed.astype(np.float32), f"image is {w}×{h} px; downscaled to {ww}×{hh}"


def on_white(rgba: np.ndarray) -> np.ndarray:
    """The RGB colour composited on white paper."""
    return rgba[..., :3] * rgba[..., 3:4] + (1.0 - rgba[..., 3:4])


def luminance(rgba: np.ndarray) -> np.ndarray:
    """Rec. 709 luma of the colour composited on white paper."""
    rgb = on_white(rgba)
    return (rgb @ np.array([0.2126, 0.7152, 0.0722], np.float32)).astype(np.float32)


def on_paper(rgba: np.ndarray, name: str = "image") -> tuple[np.ndarray, str | None]:
    """A line drawing on transparent paper, put on white paper; anything else as it is.

    Its alpha covers the strokes only, so reading alpha as the figure would keep the ink and lose every
    area the outlines enclose. It is told from a cut-out (alpha = the object's silhouette) by the shape
    of the opaque part: strokes enclose far more than they cover, or are so thin that a 2-pixel erosion
    leaves little of them."""
    if not has_alpha_mask(rgba):
        return rgba, None
    opaque = rgba[..., 3] > 0.5
    area = opaque.sum()
    enclosed = ndimage.binary_fill_holes(opaque).sum()
    core = ndimage.binary_erosion(opaque, iterations=2).sum()
    if enclosed < 2 * area and core > 0.2 * area:
        return rgba, None
    flat = np.concatenate([on_white(rgba), np.ones_like(rgba[..., 3:4])], -1)
    return flat.astype(np.float32), f"{name}: a line drawing on transparent paper, read as on white paper"


def has_alpha_mask(rgba: np.ndarray) -> bool:
    alpha = rgba[..., 3]
    return bool((alpha < 0.5).any() and (alpha > 0.5).any())


def figure_mask(rgba: np.ndarray, tolerance: float = 0.12, min_area: float = 1e-4) -> np.ndarray:
    """Pixels that belong to the drawn figure.

    From alpha when the image has transparency; otherwise the paper is the colour of the border, and
    everything not connected to the border through paper-coloured pixels is the figure (so areas
    enclosed by an outline count as figure). Specks smaller than `min_area` of the image are dropped.
    If the border is not one paper colour (a photo filling the frame), the whole image is the figure.
    """
    if has_alpha_mask(rgba):
        mask = rgba[..., 3] > 0.5
    else:
        mask = _paper_flood_fill(rgba[..., :3], tolerance)
    return drop_specks(mask, min_area)


def bridge_for(shape) -> int:
    """The widest break (pixels) in a drawn line that is taken for a gap to close, for an image of this
    shape: 1 % of its diagonal, at least 4 (a sketchy or Freestyle outline, dashes)."""
    return max(4, round(0.01 * float(np.hypot(*shape[:2]))))


def figure_mask_bridged(rgba: np.ndarray, gap: int, tolerance: float = 0.12, min_area: float = 1e-4) -> np.ndarray:
    """figure_mask; but where the paper ran in through a broken outline and left only lines (the figure
    on average thinner than `gap`), the same with the outline's breaks of up to `gap` pixels drawn shut
    first (each free end of a stroke carried on along its direction: cavities.bridged). A figure whose
    outline held is left as it is, so the small gap drawn between an extension line and the outline
    stays open."""
    from .cavities import bridged, pen_width
    mask = figure_mask(rgba, tolerance, min_area)
    paper = None if has_alpha_mask(rgba) else _paper_colour(rgba[..., :3], tolerance)
    if paper is None or not mask.any() or pen_width(mask) >= gap:
        return mask
    return drop_specks(mask | ndimage.binary_fill_holes(bridged(_off_paper(rgba, paper, tolerance), gap)), min_area)


def ink(rgba: np.ndarray, tolerance: float = 0.12) -> np.ndarray:
    """Pixels drawn on the paper: off the paper's colour (the border's) by more than `tolerance`; where
    there is no paper colour (a cut-out on transparency, a photo filling the frame), those darker than
    mid-grey."""
    paper = None if has_alpha_mask(rgba) else _paper_colour(rgba[..., :3], tolerance)
    if paper is None:
        return luminance(rgba) < 0.5
    return _off_paper(rgba, paper, tolerance)


GROUND_SHARE = 0.7   # a figure whose one colour covers this share of it is drawn on that colour (its ground)


def lines(rgba: np.ndarray, mask: np.ndarray, tolerance: float = 0.12) -> np.ndarray:
    """The lines drawn inside a figure: pixels off its ground colour by more than `tolerance`. The ground
    is the colour between the lines, the paper's on a line drawing and the fill's on a figure coloured in
    and outlined; it is the figure's commonest colour when that covers GROUND_SHARE of `mask`. A figure
    with no such colour (shaded, photographed) has no ground: its lines are all its ink (`ink`)."""
    ground = ground_colour(rgba, mask, tolerance)
    return ink(rgba, tolerance) if ground is None else _off_paper(rgba, ground, tolerance)


def ground_colour(rgba: np.ndarray, mask: np.ndarray, tolerance: float = 0.12):
    """The colour that covers GROUND_SHARE of the figure `mask` to within `tolerance`: the median colour
    of the figure's commonest colour (RGB in steps of 1/16); None when that covers less, or no figure."""
    rgb = rgba[..., :3][mask]
    if not len(rgb):
        return None
    steps = np.clip(np.rint(rgb * 16), 0, 16).astype(np.int64) @ np.array([289, 17, 1])
    common = np.bincount(steps).argmax()
    ground = np.median(rgb[steps == common], axis=0)
    close = np.abs(rgb - ground).max(axis=-1) <= tolerance
    return ground if close.mean() >= GROUND_SHARE else None


def _off_paper(rgba: np.ndarray, paper: np.ndarray, tolerance: float) -> np.ndarray:
    """Pixels whose colour is off the paper's (or another ground's) by more than `tolerance` in some
    channel: the ink."""
    return np.abs(rgba[..., :3] - paper).max(axis=-1) > tolerance


def _border(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]], axis=0)


def trim_to_drawing(net_mask: np.ndarray, rgba: np.ndarray, tolerance: float = 0.12,
                    min_ink: float = 0.005) -> np.ndarray:
    """A network's figure mask on an opaque drawing, checked against the paper flood fill, one connected
    part at a time.

    A part that the flood-fill figure mostly covers is trimmed to it (pixel-exact outlines, no bleed onto
    the paper). A part the fill mostly misses but that holds ink is kept whole: its outline is thin or
    broken and the paper fill ran in through a gap. A part on blank paper (no ink) is dropped.
    """
    paper = _paper_colour(rgba[..., :3], tolerance)
    labels, count = ndimage.label(net_mask)
    if paper is None or count == 0:   # no paper to check against (a photo filling the frame), or nothing
        return net_mask
    fill = figure_mask(rgba, tolerance)
    ink = _off_paper(rgba, paper, tolerance)
    parts = np.arange(1, count + 1)
    area = ndimage.sum_labels(net_mask, labels, parts)
    covered = ndimage.sum_labels(fill, labels, parts) / area
    inked = ndimage.sum_labels(ink, labels, parts) / area
    whole = np.concatenate([[False], (covered < 0.5) & (inked > min_ink)])[labels]
    trimmed = np.concatenate([[False], covered >= 0.5])[labels] & fill
    return whole | trimmed


def _paper_colour(rgb: np.ndarray, tolerance: float):
    """The border's median colour, or None when the border is not mostly one paper colour."""
    border = _border(rgb)
    paper = np.median(border, axis=0)
    if (np.abs(border - paper).max(axis=-1) <= tolerance).mean() < 0.5:
        return None
    return paper


def _paper_flood_fill(rgb: np.ndarray, tolerance: float) -> np.ndarray:
    paper = _paper_colour(rgb, tolerance)
    if paper is None:
        return np.ones(rgb.shape[:2], bool)
    paperlike = np.abs(rgb - paper).max(axis=-1) <= tolerance
    labels, _ = ndimage.label(paperlike)
    outside = np.unique(_border(labels))
    outside = outside[outside > 0]
    return ~np.isin(labels, outside)


def flood_from_border(rgba: np.ndarray, tolerance: float = 0.03, min_area: float = 1e-3) -> np.ndarray:
    """The figure of a photo: everything a flood fill from the image border cannot reach.

    The fill spreads between neighbouring pixels whose colours differ by at most `tolerance` (after a
    light blur against noise), so it follows a backdrop's smooth gradient and stops at the object's edge.
    Holes inside the figure (highlights, reflections) are filled; specks under `min_area` are dropped.
    Transparent pixels are background whatever their colour."""
    rgb = on_white(rgba)
    smooth = ndimage.gaussian_filter(rgb, sigma=(1.0, 1.0, 0))
    step = np.zeros(rgb.shape[:2], np.float32)   # the largest colour change to a 4-neighbour
    dy = np.abs(np.diff(smooth, axis=0)).max(-1)
    dx = np.abs(np.diff(smooth, axis=1)).max(-1)
    step[1:] = np.maximum(step[1:], dy)
    step[:-1] = np.maximum(step[:-1], dy)
    step[:, 1:] = np.maximum(step[:, 1:], dx)
    step[:, :-1] = np.maximum(step[:, :-1], dx)
    open_ground = (step <= tolerance) | (rgba[..., 3] < 0.5)
    labels, _ = ndimage.label(open_ground)
    outside = np.unique(_border(labels))
    background = np.isin(labels, outside[outside > 0])
    figure = ndimage.binary_fill_holes(~background)
    return drop_specks(figure, min_area)


def drop_specks(mask: np.ndarray, min_area: float) -> np.ndarray:
    labels, count = ndimage.label(mask)
    if count == 0:
        return mask
    sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, count + 1))
    keep = np.concatenate([[False], sizes >= max(1.0, min_area * mask.size)])
    return keep[labels]

"""bpy Image ↔ numpy RGBA (row 0 at the top, float32 in [0, 1])."""
from __future__ import annotations

import os

import bpy
import numpy as np

from ..core import images


def image_to_rgba(image: bpy.types.Image) -> tuple[np.ndarray, list[str]]:
    """Pixels of a loaded image datablock; raises ImageError when it has none."""
    width, height = image.size
    if width == 0 or height == 0:
        where = f" ({image.filepath})" if image.filepath else ""
        raise images.ImageError(f"Image '{image.name}' has no pixels; is its file missing?{where}")
    channels = image.channels
    buf = np.empty(width * height * channels, np.float32)
    image.pixels.foreach_get(buf)
    arr = buf.reshape(height, width, channels)[::-1]
    if channels == 4:
        rgba = arr
    elif channels == 3:
        rgba = np.concatenate([arr, np.ones((height, width, 1), np.float32)], axis=-1)
    elif channels == 2:
        rgba = images.grey_to_rgba(arr[..., 0])
        rgba[..., 3] = arr[..., 1]
    else:
        rgba = images.grey_to_rgba(arr[..., 0])
    rgba = np.clip(np.ascontiguousarray(rgba), 0.0, 1.0)
    rgba, message = images.downscale(rgba)
    images.check_size(rgba, image.name)
    rgba, note = images.on_paper(rgba, f"'{image.name}'")
    return rgba, [m for m in (f"'{image.name}': {message}" if message else None, note) if m]


def unchanged_file(image: bpy.types.Image) -> str | None:
    """The file an image datablock shows, when its pixels are that file's as saved (not edited, packed,
    generated, a sequence or a movie); else None."""
    if image.source != "FILE" or image.packed_file is not None or image.is_dirty or not image.filepath:
        return None
    path = bpy.path.abspath(image.filepath, library=image.library)
    return path if os.path.isfile(path) else None


def load_file_image(path: str, rgba: np.ndarray | None = None) -> bpy.types.Image | None:
    """The file as a datablock for the material (reusing an already loaded copy). Where Blender cannot
    read the format (GIF on Blender 5.0, for one) it is made from `rgba`, the pixels our decoder read,
    and packed into the .blend; None when neither works."""
    try:
        image = bpy.data.images.load(path, check_existing=True)
    except RuntimeError:
        image = None
    if image is not None and image.size[0] > 0:
        return image
    if image is not None:
        bpy.data.images.remove(image)
    if rgba is None:
        return None
    return rgba_to_image(rgba, os.path.basename(path))


def rgba_to_image(rgba: np.ndarray, name: str) -> bpy.types.Image:
    """A packed image datablock holding `rgba` (row 0 at the top)."""
    height, width = rgba.shape[:2]
    image = bpy.data.images.new(name, width, height, alpha=True)
    image.pixels.foreach_set(np.ascontiguousarray(rgba[::-1], np.float32).ravel())
    image.pack()
    return image

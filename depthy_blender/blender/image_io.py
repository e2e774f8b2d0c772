"""bpy Image ↔ numpy RGBA (row 0 at the top, float32 in [0, 1])."""
from __future__ import annotations

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
    return rgba, [f"'{image.name}': {message}"] if message else []


def load_file_image(path: str) -> bpy.types.Image | None:
    """The file as a datablock for the material (reusing an already loaded copy), or None."""
    try:
        return bpy.data.images.load(path, check_existing=True)
    except RuntimeError:
        return None

"""The range of every numeric option, in one place: the CLI checks its arguments here and the Blender
properties take their min/max from here, and a request is checked again before any work starts, so a
NaN, an infinity or a value out of range is one clear line, never a collapsed or endless job."""
from __future__ import annotations

import math

from ..errors import OptionError
from .relief import MAX_RESOLUTION, MIN_RESOLUTION

# name: (lowest, highest, what it is)
RANGES = {
    "ratio": (0.0, 2.0, "depth ratio (thickness ÷ width)"),
    "base": (0.0, 1.0, "base (closed back's thickness ÷ width)"),
    "smoothing": (0.0, 20.0, "smoothing (grid cells)"),
    "size": (0.001, 1000.0, "size (metres)"),
    "resolution": (MIN_RESOLUTION, MAX_RESOLUTION, "resolution (grid samples)"),
    "depthy_resolution": (128, 2048, "Depthy resolution (pixels on the longer side)"),
    "foreground_ratio": (0.5, 1.0, "TripoSR foreground ratio"),
    "mc_resolution": (32, 512, "TripoSR mesh resolution"),
    "solid_resolution": (16, 512, "solid resolution (voxels)"),
    "background_tolerance": (0.005, 0.5, "background tolerance (colour step)"),
    "mm_per_px": (0.001, 1000.0, "sheet scale (millimetres per pixel)"),
}


def low(name: str):
    return RANGES[name][0]


def high(name: str):
    return RANGES[name][1]


def check(name: str, value, as_flag: bool = False):
    """`value` if it is a finite number within the option's range, else OptionError with one line
    (naming the command-line flag when `as_flag`, the setting otherwise)."""
    lowest, highest, what = RANGES[name]
    subject = f"--{name.replace('_', '-')}: {what}" if as_flag else what[0].upper() + what[1:]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise OptionError(f"{subject} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise OptionError(f"{subject} must be a finite number, not {value}")
    if isinstance(lowest, int) and number != int(number):
        raise OptionError(f"{subject} must be a whole number, not {value}")
    if not lowest <= number <= highest:
        raise OptionError(f"{subject} must be between {lowest} and {highest}, not {value}")
    return value


def check_all(**values) -> None:
    for name, value in values.items():
        check(name, value)

"""A turned (lathe) part drawn from the side, across its axis: the outline revolved about that axis.

Seen square-on from the side, a body of revolution shows its profile twice, mirrored about the axis, and
the point drawn at distance d from the axis on a section of radius r is sqrt(r² − d²) nearer than the
outline. So the outline alone gives the whole visible depth. The axis is the line, up the image or across
it, about which the figure is most nearly its own mirror image: one for the whole drawing when it runs
through every connected piece (a part its shading splits), else one per piece.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

VERTICAL, HORIZONTAL = "vertical", "horizontal"
SYMMETRIC = 0.9          # a figure less than this much its own mirror image (IoU) is not a turned part
MARK = 0.02             # a figure under this share of the largest one's area is a mark (a dash, a dot), not a part
LINE = 1.5              # a section this thin (3 px across, in pixels of radius) is a drawn line, not body
ROWS_PER_MEDIAN = 64     # the profile's median filter spans the figure's length ÷ this (at least 3 rows)


@dataclass(frozen=True)
class Axis:
    direction: str       # VERTICAL: the axis runs up the image; HORIZONTAL: across it
    position: float      # its column (vertical) or row (horizontal), in pixels; a half means between two
    symmetry: float      # IoU of the figure with its mirror image about the axis (1: exactly symmetric)


def _across(mask: np.ndarray, direction: str) -> np.ndarray:
    """The mask turned so that the axis runs down its rows' index (each row a section across it)."""
    return mask if direction == VERTICAL else mask.T


def _mirrored(sections: np.ndarray, twice_position: int) -> np.ndarray:
    """`sections` mirrored about column twice_position ÷ 2 (what falls outside the array is lost)."""
    columns = twice_position - np.arange(sections.shape[1])
    inside = (columns >= 0) & (columns < sections.shape[1])
    out = np.zeros_like(sections)
    out[:, inside] = sections[:, columns[inside]]
    return out


def _axis_along(mask: np.ndarray, direction: str) -> Axis:
    sections = _across(mask, direction)
    rows = np.flatnonzero(sections.any(1))
    first = sections[rows].argmax(1)
    last = sections.shape[1] - 1 - sections[rows, ::-1].argmax(1)
    twice = int(round(float(np.median(first + last))))   # the middle of most sections
    both = int((sections & _mirrored(sections, twice)).sum())
    area = int(sections.sum())
    return Axis(direction, twice / 2, both / (2 * area - both))   # what mirrors off the image counts too


def find_axis(mask: np.ndarray) -> Axis:
    """The axis a single figure is turned about: of the vertical and the horizontal one through the
    middle of its sections, the one it is more nearly symmetric about; when both are alike (within 0.01),
    the one along its longer extent, as a shaft or a bottle is drawn."""
    if not mask.any():
        raise ValueError("no figure to find an axis in")
    vertical, horizontal = _axis_along(mask, VERTICAL), _axis_along(mask, HORIZONTAL)
    if abs(vertical.symmetry - horizontal.symmetry) > 0.01:
        return max(vertical, horizontal, key=lambda a: a.symmetry)
    tall = np.ptp(np.flatnonzero(mask.any(1))) >= np.ptp(np.flatnonzero(mask.any(0)))
    return vertical if tall else horizontal


def radii(mask: np.ndarray, axis: Axis) -> np.ndarray:
    """The section's radius at each row along the axis (pixels, 0 where the figure has none): the farther
    of its outline's two sides, to the pixel's outer edge, median-filtered along the axis so a thin line
    drawn across the figure (a centre line, a dimension) is not taken for a flange; sections no wider than
    a line (LINE) are 0, so a centre line drawn along the axis past the part's ends is no rod."""
    sections = _across(mask, axis.direction)
    distance = np.abs(np.arange(sections.shape[1]) - axis.position) + 0.5
    radius = np.where(sections, distance, 0.0).max(1)
    rows = np.flatnonzero(radius)
    length = rows[-1] - rows[0] + 1 if rows.size else 0
    window = 2 * (length // (2 * ROWS_PER_MEDIAN)) + 1
    radius = ndimage.median_filter(radius, size=max(3, window), mode="constant")
    return np.where(radius > LINE, radius, 0.0)


def revolve(mask: np.ndarray, axis: Axis) -> tuple[np.ndarray, np.ndarray]:
    """(nearness, figure) of one figure turned about `axis`: nearness sqrt(r² − d²) in pixels at distance
    d from the axis of a section of radius r, 0 outside; the figure is the mask within the revolved
    outline (a line sticking out of it is left out)."""
    sections = _across(mask, axis.direction)
    radius = radii(mask, axis)[:, None]
    distance = np.abs(np.arange(sections.shape[1]) - axis.position)[None, :]
    inside = sections & (distance < radius)
    nearness = np.where(inside, np.sqrt(np.maximum(radius ** 2 - distance ** 2, 0.0)), 0.0)
    if axis.direction == HORIZONTAL:
        nearness, inside = nearness.T, inside.T
    return nearness.astype(np.float32), inside


def turned(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[Axis]]:
    """(nearness in pixels, figure, the axes) of the connected figures in `mask`, marks left out (figures
    under MARK of the largest one's area: the dashes of a centre line, a dot). When the figures together
    are a mirror-symmetric whole whose axis runs through each of them (a part its shading or a seam
    splits), they turn about that one axis; otherwise each turns about its own (two bottles side by side
    are two parts, not one ring)."""
    nearness = np.zeros(mask.shape, np.float32)
    figure = np.zeros(mask.shape, bool)
    labels, count = ndimage.label(mask)
    if count == 0:
        return nearness, figure, []
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    areas[0] = 0                                  # the background is no part (and not the largest)
    parts = areas >= MARK * areas.max()
    whole = parts[labels]
    boxes = [box for k, box in enumerate(ndimage.find_objects(labels), 1) if parts[k]]
    axis = find_axis(whole)
    across = [box[1] if axis.direction == VERTICAL else box[0] for box in boxes]
    if axis.symmetry >= SYMMETRIC and all(span.start <= axis.position < span.stop for span in across):
        nearness, figure = revolve(whole, axis)   # the axis runs through every piece: one part
        return nearness, figure, [axis]
    axes = []
    for k in np.flatnonzero(parts):   # each in the whole image, so that its ends are read as the whole's
        part = labels == k
        axis = find_axis(part)
        near, inside = revolve(part, axis)
        nearness = np.where(inside, near, nearness)
        figure |= inside
        axes.append(axis)
    return nearness, figure, axes

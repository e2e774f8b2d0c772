"""Flat faces (core/flat_faces.py, pipeline/drawing.as_faces): a part drawn square-on becomes one
flat height per area its lines close, the engine's median there; the lines take the nearest face's."""
import numpy as np
import pytest
from PIL import Image, ImageDraw

from depthy_blender.core import flat_faces, images
from depthy_blender.models import engine
from depthy_blender.pipeline import drawing

OUTER, INNER = (20, 20, 139, 99), (60, 40, 99, 79)   # a plate and a hub on it, seen square-on


def plate(*extra, fill=None) -> np.ndarray:
    """Black 2-px outlines on white paper: the plate, the hub, and any `extra` boxes."""
    img = Image.new("RGB", (160, 120), "white")
    draw = ImageDraw.Draw(img)
    for box in (OUTER, INNER, *extra):
        draw.rectangle(box, outline="black", width=2, fill=fill)
    return images.pil_to_rgba(img)


def shaded() -> np.ndarray:
    """The plate's outline filled with a grey ramp from left to right and no lines inside: a shaded
    figure, no one colour of which is its ground."""
    rgba = plate(fill="black")
    ramp = np.linspace(0.1, 0.7, 160, dtype=np.float32)[None, :, None]
    inside = images.figure_mask(rgba)
    rgba[..., :3] = np.where(inside[..., None], ramp, rgba[..., :3])
    return rgba


def dome(shape=(120, 160)) -> np.ndarray:
    """A bent answer: high in the middle, falling off to the edges, and tilted."""
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    return (1.0 - ((yy - 60) / 60.0) ** 2 - ((xx - 80) / 80.0) ** 2 + 0.002 * xx).astype(np.float32)


def areas():
    """The plate's face (between its outline and the hub's) and the hub's face, by hand."""
    ring = np.zeros((120, 160), bool)
    ring[22:98, 22:138] = True
    hub = np.zeros_like(ring)
    hub[42:78, 62:98] = True
    ring[40:80, 60:100] = False
    return ring, hub


def test_the_areas_the_lines_close_are_the_faces():
    rgba = plate()
    mask = images.figure_mask(rgba)
    labels = flat_faces.faces(rgba, mask)
    ring, hub = areas()
    assert labels.max() == 2 and labels.dtype == np.int32
    assert np.array_equal(labels > 0, ring | hub)
    assert len(np.unique(labels[ring])) == 1 and len(np.unique(labels[hub])) == 1
    assert labels[ring][0] != labels[hub][0]


def test_each_face_is_the_median_of_the_engines_answer_on_it_and_the_lines_take_the_nearest_face():
    rgba = plate()
    mask = images.figure_mask(rgba)
    near = dome()
    flat, note = flat_faces.read(near, rgba, mask)
    ring, hub = areas()
    assert note is None and flat.dtype == np.float32
    low, high = np.median(near[ring]), np.median(near[hub])
    assert np.allclose(flat[ring], low) and np.allclose(flat[hub], high) and high > low
    assert np.all(flat[~mask] == 0)
    assert np.allclose(flat[50, [20, 21, 60]], low)      # the outline; the hub's line on the plate's side
    assert np.allclose(flat[50, 61], high)                # ... and on the hub's side
    assert set(np.unique(flat[mask])) == {np.float32(low), np.float32(high)}


def test_an_area_too_small_to_be_a_face_takes_its_surroundings_height():
    speck = (30, 30, 34, 34)                         # a closed square round 1 × 1 paper pixel (2-px pen)
    big = (110, 30, 125, 45)                         # a closed square round 12 × 12 pixels: a face
    rgba = plate(speck, big)
    mask = images.figure_mask(rgba)
    labels = flat_faces.faces(rgba, mask)
    assert not images.ink(rgba)[32, 32] and labels[32, 32] == 0
    assert len(np.unique(labels)) == 4 and labels[35, 115] > 0
    assert 1 < flat_faces.SMALLEST * mask.sum() <= 144
    flat, _ = flat_faces.read(dome(), rgba, mask)
    assert flat[32, 32] == flat[25, 25]


def test_a_face_is_an_area_of_at_least_the_smallest_share_of_the_figure():
    """1000 figure pixels: an area of 2 (the SMALLEST share) is a face, one of 1 is not, whatever else
    the figure holds."""
    rgba = np.ones((60, 60, 4), np.float32)
    rgba[10:35, 10:50, :3] = 0.0                    # the figure: all ink, of two colours in stripes (no
    rgba[10:35, 10:50:2, 0] = 0.5                   # ground colour: images.lines is images.ink) ...
    rgba[12, 12:14, :3] = 1.0                       # ... but for two paper pixels side by side
    rgba[20, 20, :3] = 1.0                          # ... and one alone
    mask = np.zeros((60, 60), bool)
    mask[10:35, 10:50] = True
    assert mask.sum() * flat_faces.SMALLEST == 2
    labels = flat_faces.faces(rgba, mask)
    assert labels[12, 12] == labels[12, 13] > 0 and labels[20, 20] == 0 and np.count_nonzero(labels) == 2
    flat, note = flat_faces.read(np.arange(3600, dtype=np.float32).reshape(60, 60), rgba, mask)
    assert note is None and np.all(flat[mask] == np.float32(12 * 60 + 12.5)) and np.all(flat[~mask] == 0)
    rgba[12, 13, :3] = 0.0                          # only single pixels left: no face at all
    assert not flat_faces.faces(rgba, mask).any()
    assert flat_faces.read(np.ones((60, 60), np.float32), rgba, mask)[1].startswith("Flat faces found no areas")


def test_a_shaded_figure_closes_no_areas_and_is_left_as_the_engine_read_it():
    rgba = shaded()
    mask = images.figure_mask(rgba)
    assert images.ground_colour(rgba, mask) is None
    near = dome()
    flat, note = flat_faces.read(near, rgba, mask)
    assert flat is near
    assert note == ("Flat faces found no areas closed by lines (a shaded figure, or strokes that close nothing): "
                    "the depth is as the engine read it")


def test_a_figure_coloured_in_has_its_faces_where_its_lines_divide_the_fill():
    """The fill is the ground: its lines are what is off the fill, so a coloured-in plate and hub have
    the faces of the plate drawn on paper; a silhouette filled with no lines is one face."""
    rgba = plate(fill=(90, 200, 170))
    mask = images.figure_mask(rgba)
    assert np.allclose(images.ground_colour(rgba, mask), np.array([90, 200, 170]) / 255)
    labels = flat_faces.faces(rgba, mask)
    ring, hub = areas()
    assert np.array_equal(labels > 0, ring | hub) and labels.max() == 2
    lines = images.lines(rgba, mask)
    assert lines[50, 20] and lines[50, 61] and not lines[50, 40]
    silhouette = plate(fill="black")
    solid = images.figure_mask(silhouette)
    assert np.array_equal(flat_faces.faces(silhouette, solid), solid.astype(np.int32))
    flat, note = flat_faces.read(dome(), silhouette, solid)
    assert note is None and np.all(flat[solid] == np.float32(np.median(dome()[solid])))


def test_the_ground_is_the_commonest_colour_when_it_covers_the_share_and_its_median():
    """GROUND_SHARE of the figure within the tolerance of the commonest colour (in steps of 1/16) makes
    it the ground, the median of that commonest colour's pixels; one pixel fewer, and there is none."""
    mask = np.ones((10, 10), bool)
    rgba = np.ones((10, 10, 4), np.float32)
    covered = int(images.GROUND_SHARE * mask.size)
    flat = rgba.reshape(-1, 4)
    flat[:covered, :3] = 0.5
    flat[:10, :3] = 0.52                            # the same step of 1/16: the median is still 0.5
    flat[covered:, :3] = np.linspace(0.0, 0.3, mask.size - covered)[:, None]   # far off, no colour twice
    assert np.allclose(images.ground_colour(rgba, mask), 0.5)
    flat[covered - 1, :3] = 0.9
    assert images.ground_colour(rgba, mask) is None
    assert images.ground_colour(rgba, np.zeros((10, 10), bool)) is None
    # the commonest step of 1/16 decides, not the median of all: 40 % at 0.5, 35 % at 0.56, 25 % white
    flat[:40, :3], flat[40:75, :3], flat[75:, :3] = 0.5, 0.56, 1.0
    assert np.allclose(images.ground_colour(rgba, mask), 0.5)
    assert images.ground_colour(rgba, mask, tolerance=0.05) is None       # 0.56 is then off it: 40 % alone
    flat[40:70, :3], flat[70:, :3] = 0.625, 1.0                           # exactly the tolerance off: close
    assert np.allclose(images.ground_colour(rgba, mask, tolerance=0.125), 0.5)


def test_the_lines_tolerance_reaches_the_ground_and_the_ink():
    rgba = plate(fill=(90, 200, 170))
    rgba[30, 30:50, :3] = np.array([90, 200, 170]) / 255 - 0.3        # a line 0.3 off the fill
    mask = images.figure_mask(rgba)
    assert images.lines(rgba, mask)[30, 40] and not images.lines(rgba, mask, tolerance=0.35)[30, 40]
    assert images.lines(rgba, mask, tolerance=0.35)[50, 20]            # the black outline still is
    dim = shaded()                                  # a ramp 0.1–0.7: a ground at 0.3 (0.25), none at 0.12
    inside = images.figure_mask(dim)
    assert images.ground_colour(dim, inside, 0.3) is not None and images.ground_colour(dim, inside) is None
    assert 0 < images.lines(dim, inside, tolerance=0.3)[inside].mean() < 0.5   # off the ground, not the paper
    stripes = np.ones((40, 40, 4), np.float32)                           # no ground: the ink, off the paper
    stripes[10:30, 10:30, :3] = 0.3
    stripes[10:30, 10:30:2, :3] = 0.8                                     # 0.2 off the white paper
    inside = np.zeros((40, 40), bool)
    inside[10:30, 10:30] = True
    assert images.ground_colour(stripes, inside) is None and images.ground_colour(stripes, inside, 0.25) is None
    assert images.lines(stripes, inside)[inside].all()
    assert np.array_equal(images.lines(stripes, inside, tolerance=0.25)[inside], stripes[inside][:, 0] < 0.5)


def test_ink_is_what_is_off_the_papers_colour_or_dark_without_paper():
    rgba = plate()
    rgba[..., :3] = rgba[..., :3] * 0.8 + 0.1          # grey paper, grey ink: off the paper by 0.8
    ink = images.ink(rgba)
    assert ink[50, 20] and ink[50, 61] and not ink[50, 40] and not ink[5, 5]
    assert not images.ink(rgba, tolerance=0.85).any()
    edge = np.ones((20, 20, 4), np.float32)         # white paper; a pixel exactly `tolerance` off it is paper
    edge[5, 5, :3], edge[6, 6, :3] = 0.75, 0.7421875
    assert np.argwhere(images.ink(edge, tolerance=0.25)).tolist() == [[6, 6]]
    cut_out = np.zeros((40, 40, 4), np.float32)        # transparent round a grey square with a dark line
    cut_out[10:30, 10:30] = (0.6, 0.6, 0.6, 1.0)
    cut_out[20, 10:30, :3] = 0.2
    assert np.array_equal(images.ink(cut_out)[10:30, 10:30], cut_out[10:30, 10:30, 0] < 0.5)


def test_as_faces_keeps_the_depth_the_engine_gave_the_flat_faces():
    """The proportion shrinks as the nearness range does: the bends flattened away were part of it."""
    rgba = plate()
    mask = images.figure_mask(rgba)
    near = dome()
    told = engine.DepthResult(near, mask, {"engine": "x"}, 0.4)
    flat, note = drawing.as_faces(told, rgba, mask)
    ring, hub = areas()
    spread = np.median(near[hub]) - np.median(near[ring])
    assert note is None and flat.meta == {"engine": "x"} and flat.mask is mask
    assert flat.proportion == pytest.approx(0.4 * spread / np.ptp(near[mask]))
    assert np.array_equal(flat.nearness, flat_faces.read(near, rgba, mask)[0])
    unknown = drawing.as_faces(engine.DepthResult(near, mask, {}, None), rgba, mask)[0]
    assert unknown.proportion is None
    level = drawing.as_faces(engine.DepthResult(np.ones_like(near), mask, {}, 0.4), rgba, mask)[0]
    assert level.proportion == 0.4                       # nothing to shrink: as told
    filled = shaded()
    same, said = drawing.as_faces(told, filled, images.figure_mask(filled))
    assert same is told and said.startswith("Flat faces found no areas")


def test_the_pipeline_builds_the_flat_faces_and_says_so(stand_in_engine):
    """The stand-in's ramp across the plate becomes two heights; Auto depth builds them as deep as the
    faces' difference, and the status line names the reading."""
    fn = stand_in_engine(proportion=0.3, meta={"where": "Stand-in · CPU"})
    rgba = plate()
    req = drawing.Request("part", "stand-in", resolution=80, rgba=rgba, smoothing=0.0, faces="flat")
    outcome = drawing.compute(req, lambda f, s: None, lambda: False)
    told = fn(rgba, lambda f, s: None, lambda: False, None)
    flat, _ = drawing.as_faces(told, rgba, told.mask)
    assert outcome.where == "Stand-in · CPU · flat faces" and outcome.notes == []
    assert outcome.drawn_ratio == pytest.approx(flat.proportion * 120 / 160)
    plain = drawing.compute(drawing.Request("part", "stand-in", resolution=80, rgba=rgba, smoothing=0.0),
                            lambda f, s: None, lambda: False)
    assert plain.where == "Stand-in · CPU" and outcome.drawn_ratio < plain.drawn_ratio
    stand_in_engine(proportion=0.3)                       # an engine that does not say where it ran
    unnamed = drawing.compute(req, lambda f, s: None, lambda: False)
    assert unnamed.where == "Stand-in · flat faces"
    stand_in_engine(proportion=0.3, meta={"note": "from the engine"})
    seen = []
    filled = drawing.compute(drawing.Request("part", "stand-in", resolution=80, rgba=shaded(), faces="flat"),
                             lambda f, s: seen.append((f, s)), lambda: False)
    assert filled.where == "" and filled.notes[0] == "from the engine"
    assert len(filled.notes) == 2 and filled.notes[1].startswith("Flat faces found no areas")
    assert seen[-2:] == [(0.87, "Flattening the faces"), (0.88, "Building the relief")]

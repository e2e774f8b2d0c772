"""DXF reading in this process, against counts and sizes worked out by hand: nested blocks and their
depth limit, the entity and point budgets, what is left out, units, and the rendered pixels
(core/dxf.py). The hostile files of test_dxf_bounds.py run in child processes with a time limit; these
run here, so mutation testing sees them."""
import numpy as np
import pytest

ezdxf = pytest.importorskip("ezdxf")

from depthy_blender.core import dxf  # noqa: E402


def new(units=4):
    doc = ezdxf.new()
    doc.header["$INSUNITS"] = units
    return doc


def save(doc, tmp_path, name="drawing.dxf"):
    doc.saveas(tmp_path / name)
    return tmp_path / name


def nested(tmp_path):
    """A line in model space and one in each of three blocks nested C → B → A, C inserted in model
    space: the line of A lies three inserts deep. Seven entities in all (four lines, three inserts)."""
    doc = new()
    a = doc.blocks.new("A")
    a.add_line((0, 3), (10, 3))
    b = doc.blocks.new("B")
    b.add_line((0, 2), (10, 2))
    b.add_blockref("A", (0, 0))
    c = doc.blocks.new("C")
    c.add_line((0, 1), (10, 1))
    c.add_blockref("B", (0, 0))
    doc.modelspace().add_line((0, 0), (10, 0))
    doc.modelspace().add_blockref("C", (0, 0))
    return save(doc, tmp_path, "nested.dxf")


def heights(path):
    lines, _ = dxf.polylines(path)
    return sorted(round(float(p[0, 1])) for p in lines)


def test_nested_blocks_are_followed_to_the_depth_limit(tmp_path, monkeypatch):
    path = nested(tmp_path)
    assert heights(path) == [0, 1, 2, 3]
    monkeypatch.setattr(dxf, "MAX_DEPTH", 2)          # C at depth 1, B at 2: A's insert is not followed
    assert heights(path) == [0, 1, 2]


def test_the_entity_budget_counts_inside_blocks(tmp_path, monkeypatch):
    path = nested(tmp_path)
    monkeypatch.setattr(dxf, "MAX_ENTITIES", 7)
    assert heights(path) == [0, 1, 2, 3]
    monkeypatch.setattr(dxf, "MAX_ENTITIES", 6)
    with pytest.raises(dxf.DxfError, match="more than 6 entities"):
        dxf.polylines(path)


def test_what_is_left_out_does_not_stop_what_follows(tmp_path):
    """An annotation layer's line, an inserted title block and a reference to a missing block come
    first; the part's two lines after them are still read."""
    doc = new()
    title = doc.blocks.new("TITLE_BLOCK")
    title.add_line((0, -50), (100, -50))
    msp = doc.modelspace()
    msp.add_line((0, -20), (100, -20), dxfattribs={"layer": "DIMENSIONS"})
    msp.add_blockref("TITLE_BLOCK", (0, 0))
    msp.add_blockref("MISSING", (0, 0))
    msp.add_line((0, 0), (10, 0))
    msp.add_line((0, 5), (10, 5))
    assert heights(save(doc, tmp_path)) == [0, 5]


def test_an_entity_without_a_layer_is_on_layer_0(tmp_path):
    """A minimal DXF from another program may leave out an entity's layer (group code 8)."""
    doc = new()
    doc.modelspace().add_line((0, 0), (10, 0))
    text = save(doc, tmp_path).read_text()
    head, _, tail = text.partition("LINE\n")
    at = tail.index("\n  8\n")
    tail = tail[:at + 1] + tail[tail.index("\n", at + 5) + 1:]    # drop the code 8 and its value
    (tmp_path / "nolayer.dxf").write_text(head + "LINE\n" + tail)
    assert heights(tmp_path / "nolayer.dxf") == [0]


def with_bad_end(tmp_path, value, units=4):
    """A 100 mm square and a LINE whose end x is `value`, written into the file as text."""
    doc = new(units)
    doc.modelspace().add_lwpolyline([(0, 0), (100, 0), (100, 100), (0, 100)], close=True)
    doc.modelspace().add_line((0, 0), (1, 1))
    text = save(doc, tmp_path, "good.dxf").read_text()
    head, line, tail = text.partition("LINE\n")
    at = tail.index("\n 11\n") + len("\n 11\n")
    (tmp_path / "bad.dxf").write_text(head + line + tail[:at] + value + tail[tail.index("\n", at):])
    return tmp_path / "bad.dxf"


@pytest.mark.parametrize("value", ["nan", "inf", "1e8"])
def test_a_line_that_is_not_finite_or_too_far_is_left_out(tmp_path, value):
    lines, _ = dxf.polylines(with_bad_end(tmp_path, value))
    assert len(lines) == 1 and np.ptp(lines[0], axis=0).tolist() == [100.0, 100.0]


def test_too_far_is_measured_in_millimetres(tmp_path):
    """10 km is the limit: 1e6 inches is 25 km, left out; 1e5 inches (2.5 km) is kept."""
    lines, scale = dxf.polylines(with_bad_end(tmp_path, "1e6", units=1))
    assert scale == 25.4 and len(lines) == 1
    lines, _ = dxf.polylines(with_bad_end(tmp_path, "1e5", units=1))
    assert len(lines) == 2


def test_an_empty_polyline_is_skipped(tmp_path):
    """(ezdxf itself drops an LWPOLYLINE without points when it reads the file.)"""
    doc = new()
    doc.modelspace().add_lwpolyline([])
    doc.modelspace().add_line((0, 0), (10, 0))
    assert heights(save(doc, tmp_path)) == [0]


def test_a_large_curve_far_from_the_origin_is_flattened_by_its_own_size(tmp_path):
    """A 2 m circle 50 m up: its tolerance is its extent / 2000 = 2 mm (by hand), whatever its distance
    from the origin; each chord's sagitta stays within it."""
    doc = new()
    doc.modelspace().add_circle((0, 50_000), 2000)
    (points,), _ = dxf.polylines(save(doc, tmp_path))
    r = np.hypot(points[:, 0], points[:, 1] - 50_000)
    chords = np.hypot(*np.diff(points, axis=0).T)
    sagitta = 2000 - np.sqrt(2000 ** 2 - chords ** 2 / 4)
    assert sagitta.max() <= 2.0 + 3e-4 * 2000 and np.allclose(r, 2000, rtol=3e-4)


def test_the_point_budget_is_exact_and_shared(tmp_path, monkeypatch):
    """Three lines of two points each: six points fit a budget of six; a budget of five refuses."""
    doc = new()
    for y in (0, 1, 2):
        doc.modelspace().add_line((0, y), (10, y))
    path = save(doc, tmp_path)
    monkeypatch.setattr(dxf, "MAX_POINTS", 6)
    assert heights(path) == [0, 1, 2]
    monkeypatch.setattr(dxf, "MAX_POINTS", 5)
    with pytest.raises(dxf.DxfError) as err:
        dxf.polylines(path)
    assert str(err.value) == ("The DXF's curves flatten to more than 5 points; it is not a drawing this "
                              "add-on can read")


@pytest.mark.parametrize("units, mm", [(4, 1.0), (1, 25.4), (6, 1000.0), (3, 1_609_344.0), (13, 0.001),
                                       (99, 1.0)])
def test_units(tmp_path, units, mm):
    doc = new(units)
    doc.modelspace().add_line((0, 0), (1, 0))
    lines, scale = dxf.polylines(save(doc, tmp_path))
    assert scale == mm and lines[0][1, 0] == pytest.approx(mm)


def test_a_file_without_units_is_in_millimetres(tmp_path):
    doc = new()
    del doc.header["$INSUNITS"]
    doc.modelspace().add_line((0, 0), (1, 0))
    assert dxf.polylines(save(doc, tmp_path))[1] == 1.0


def rectangle(tmp_path, x0=100.0, y0=20.0, w=100.0, h=50.0):
    doc = new()
    doc.modelspace().add_lwpolyline([(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)], close=True)
    return save(doc, tmp_path, "rect.dxf")


def test_render_at_the_default_scale(tmp_path):
    """150 dpi (5.906 px/mm), a 10 % margin of the longer side: (50 + 20) mm × (100 + 20) mm →
    ceil(413.4) × ceil(708.7) px; a 2 px pen (0.35 mm); black ink, white paper, float32 RGBA. The
    rectangle does not start at the origin, so its margin comes from its own extent."""
    rgba = dxf.render(rectangle(tmp_path))
    assert rgba.dtype == np.float32 and rgba.shape == (414, 709, 4)
    grey = rgba[..., 0]
    assert grey.max() == 1.0 and grey.min() == 0.0 and (rgba[..., 3] == 1).all()
    assert set(np.unique(grey).tolist()) == {0.0, 1.0}
    column = grey[:, 354]                              # through the middle: the top and bottom edges
    assert (column == 0).sum() == 4                     # 2 px each
    _, mm_per_px = dxf.render_to_scale(rectangle(tmp_path))
    assert mm_per_px == pytest.approx(25.4 / 150)


def test_render_pen_at_one_pixel_per_millimetre(tmp_path):
    grey = dxf.render(rectangle(tmp_path), dpi=25.4)[..., 0]
    assert grey.shape == (70, 120) and (grey[:, 60] == 0).sum() == 2     # a 1 px pen: one per edge


def test_the_default_size_cap(tmp_path):
    """1400 mm at 150 dpi would be 9921 px with its margins: capped at 8192."""
    rgba = dxf.render(rectangle(tmp_path, w=1400.0, h=10.0))
    assert rgba.shape[1] == 8192


def test_a_tiny_drawing_is_at_least_4_px(tmp_path):
    assert dxf.render(rectangle(tmp_path, w=1.0, h=1.0), dpi=25.4).shape[:2] == (4, 4)


def test_corners_are_joined_round_with_a_thick_pen(tmp_path):
    """At 1270 dpi (50 px/mm) the pen is 18 px: an L's outer corner is filled by the round join (a
    mitre-less polyline leaves a notch there)."""
    doc = new()
    doc.modelspace().add_lwpolyline([(0, 0), (10, 0), (10, 10)])
    grey = dxf.render(save(doc, tmp_path), dpi=1270, margin=0.2)[..., 0]
    h = grey.shape[0]
    # the corner (10, 0) mm is at column 100 + 500, row h − 100; 4 px out along the diagonal, inside the
    # pen's 9 px radius but past both segments' ends
    assert grey[h - 100 + 4, 600 + 4] == 0.0


def test_the_size_cap_is_8192_by_default_for_render_to_scale_too(tmp_path):
    rgba, _ = dxf.render_to_scale(rectangle(tmp_path, w=1400.0, h=10.0))
    assert rgba.shape[1] == 8192


def test_a_damaged_file_names_its_error_in_one_line_of_at_most_200_characters(tmp_path):
    """A group code of 300 letters where a number belongs: ezdxf's message quotes it; ours gives the
    error's type and its first line cut at 200 characters."""
    doc = new()
    doc.modelspace().add_line((0, 0), (10, 0))
    text = save(doc, tmp_path).read_text().replace("AcDbLine\n 10\n", "AcDbLine\n" + "Q" * 300 + "\n", 1)
    (tmp_path / "damaged.dxf").write_text(text)
    with pytest.raises(dxf.DxfError) as err:
        dxf.polylines(tmp_path / "damaged.dxf")
    message = str(err.value)
    head = f"Cannot read {tmp_path / 'damaged.dxf'}: not an intact DXF file ("
    assert message.startswith(head) and message.endswith(")") and "\n" not in message
    kind, _, said = message[len(head):-1].partition(": ")
    assert kind.endswith("Error") and len(said) == 200 and "QQQ" in said


def test_an_unexpected_failure_inside_an_entity_is_one_line(tmp_path, monkeypatch):
    path = rectangle(tmp_path)

    def broken(*_):
        raise RuntimeError("Z" * 300 + "\nsecond line")
    monkeypatch.setattr(dxf, "_flattened", broken)
    with pytest.raises(dxf.DxfError) as err:
        dxf.polylines(path)
    assert str(err.value) == f"Cannot read {path}: damaged entities (RuntimeError: {'Z' * 200})"

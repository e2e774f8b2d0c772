"""DXF input: geometry is drawn, annotation (text, dimensions, annotation layers) is not."""
import numpy as np
import pytest

ezdxf = pytest.importorskip("ezdxf")

from depthy_blender.core import dxf, images  # noqa: E402


def _doc(tmp_path, with_geometry=True):
    doc = ezdxf.new("R2010", setup=True)
    doc.header["$INSUNITS"] = 4     # millimetres
    msp = doc.modelspace()
    if with_geometry:
        msp.add_lwpolyline([(0, 0), (60, 0), (60, 20), (20, 20), (20, 40), (0, 40)], close=True)
        msp.add_circle((10, 10), 4)
        msp.add_arc((40, 10), 5, 0, 180)
        msp.add_line((30, 5), (50, 5))
        msp.add_spline([(0, 50), (10, 55), (20, 50), (30, 55)])
    msp.add_text("PART 7", height=5, dxfattribs={"insert": (70, 30)})
    msp.add_mtext("NOTE: deburr", dxfattribs={"insert": (70, 10), "char_height": 3})
    dim = msp.add_linear_dim(base=(0, -10), p1=(0, 0), p2=(60, 0))
    dim.render()
    msp.add_line((-20, -30), (100, -30), dxfattribs={"layer": "DIMENSIONS"})
    path = tmp_path / "part.dxf"
    doc.saveas(path)
    return path


def test_only_geometry_is_rendered(tmp_path):
    path = _doc(tmp_path)
    rgba = dxf.render(path, dpi=100)
    ink = rgba[..., 0] < 0.5
    lines, _ = dxf.polylines(path)
    allpts = np.concatenate(lines)
    # extent = the part (0..60 × 0..55 mm) plus margins: no text at x = 70+, no dimension at y = −10/−30
    assert allpts[:, 0].max() <= 60.01 and allpts[:, 1].min() >= -0.01
    assert ink.any()
    mask = images.figure_mask(rgba)
    assert mask.any()
    h, w = ink.shape
    px = 100 / 25.4
    pad = 0.1 * 60
    assert w == pytest.approx((60 + 2 * pad) * px, abs=2) and h == pytest.approx((55 + 2 * pad) * px, abs=3)


def test_annotation_only_file_is_a_clear_error(tmp_path):
    path = _doc(tmp_path, with_geometry=False)
    with pytest.raises(dxf.DxfError, match="no drawing geometry"):
        dxf.render(path)


def test_unreadable_file(tmp_path):
    bad = tmp_path / "bad.dxf"
    bad.write_text("this is not a dxf")
    with pytest.raises(dxf.DxfError, match="Cannot read"):
        dxf.render(bad)


def _lines(tmp_path, count, units=4):
    doc = ezdxf.new()
    doc.header["$INSUNITS"] = units
    msp = doc.modelspace()
    for i in range(count):
        msp.add_line((0, i), (10, i))
    doc.saveas(tmp_path / f"lines{count}.dxf")
    return tmp_path / f"lines{count}.dxf"


def test_the_entity_budget_is_exact(tmp_path, monkeypatch):
    """With the budget set to 5 here: five entities are read, the sixth is one line of refusal."""
    monkeypatch.setattr(dxf, "MAX_ENTITIES", 5)
    lines, _ = dxf.polylines(_lines(tmp_path, 5))
    assert len(lines) == 5
    with pytest.raises(dxf.DxfError, match="more than 5 entities, counting those inside nested blocks"):
        dxf.polylines(_lines(tmp_path, 6))


@pytest.mark.parametrize("units, mm, radius", [(4, 1.0, 40.0), (1, 25.4, 0.5), (4, 1.0, 2000.0)])
def test_curves_are_flattened_to_a_twentieth_of_a_millimetre(tmp_path, units, mm, radius):
    """A circle: every chord's middle lies within 0.05 mm of it (by hand: the sagitta of a chord c on
    radius r is r − √(r² − c²/4)), or within 1/2000 of its extent on a curve so large that 0.05 mm would
    cost too many points; in inches the tolerance is still 0.05 mm, not 0.05 inch. ezdxf's own Bézier
    form of a circle is off by up to 3e-4 of the radius, which the bounds allow."""
    doc = ezdxf.new()
    doc.header["$INSUNITS"] = units
    doc.modelspace().add_circle((0, 0), radius)
    doc.saveas(tmp_path / "circle.dxf")
    (points,), scale = dxf.polylines(tmp_path / "circle.dxf")
    assert scale == mm
    r = radius * mm
    assert np.allclose(np.hypot(*points.T), r, rtol=3e-4)
    chords = np.hypot(*np.diff(points, axis=0).T)
    sagitta = r - np.sqrt(r * r - chords ** 2 / 4)
    tolerance = max(0.05, 2 * r / 2000)
    assert sagitta.max() <= tolerance + 3e-4 * r
    assert sagitta.max() >= tolerance / 5          # and not needlessly fine: the budget of points is shared


def test_render_honours_resolution_and_margin(tmp_path):
    """A 100 × 50 mm rectangle at 25.4 dpi (1 px per mm) with a 10 % margin: (50 + 2·10) × (100 + 2·10) px
    by hand; at 50.8 dpi twice that; capped by max_side."""
    doc = ezdxf.new()
    doc.header["$INSUNITS"] = 4
    doc.modelspace().add_lwpolyline([(0, 0), (100, 0), (100, 50), (0, 50)], close=True)
    doc.saveas(tmp_path / "rect.dxf")
    assert dxf.render(tmp_path / "rect.dxf", dpi=25.4).shape[:2] == (70, 120)
    assert dxf.render(tmp_path / "rect.dxf", dpi=50.8).shape[:2] == (140, 240)
    assert dxf.render(tmp_path / "rect.dxf", dpi=25.4, margin=0.0).shape[:2] == (50, 100)
    assert max(dxf.render(tmp_path / "rect.dxf", dpi=254, max_side=300).shape[:2]) == 300

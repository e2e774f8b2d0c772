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

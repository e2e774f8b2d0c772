"""Three-view sheets: a 1:1 mm DXF gives a solid of true size in metres, and views that disagree give
one line naming them and no stretched solid (pipeline.sheet, no Blender)."""
import numpy as np
import pytest
from PIL import Image, ImageDraw

from depthy_blender.pipeline import sheet

ezdxf = pytest.importorskip("ezdxf")


def plate_sheet(path, units=4, width=250.0, depth=190.0, height=35.0, gap=40.0):
    """A plate drawn third-angle at 1:1 in the DXF's units: front (width × height), the plan above it
    (width × depth), the right view beside it (depth × height)."""
    doc = ezdxf.new()
    doc.header["$INSUNITS"] = units
    msp = doc.modelspace()

    def rect(x, y, w, h):
        msp.add_lwpolyline([(x, y), (x + w, y), (x + w, y + h), (x, y + h)], close=True)
    rect(0, 0, width, height)                        # front
    rect(0, height + gap, width, depth)              # plan, above
    rect(width + gap, 0, depth, height)              # right view, beside
    doc.saveas(path)


def run(path):
    request = sheet.SheetRequest(str(path), "inflate", solid=True, solid_resolution=96, resolution=48)
    return sheet.compute(request, lambda f, s: None, lambda: False)


def test_millimetre_dxf_gives_a_true_size_solid(tmp_path):
    plate_sheet(tmp_path / "plate.dxf")
    outcome = run(tmp_path / "plate.dxf")
    assert outcome.solid is not None, outcome.messages
    extent = np.ptp(outcome.solid.vertices, axis=0)
    assert extent[0] == pytest.approx(0.250, rel=0.01)          # 250 mm → 0.25 m
    # each axis keeps its drawn length though its cells are rounded (35 mm is 13.4 cells at 96 per 250 mm)
    assert extent[1] == pytest.approx(0.190, rel=0.01)
    assert extent[2] == pytest.approx(0.035, rel=0.02)


def test_units_set_the_size(tmp_path):
    plate_sheet(tmp_path / "plate_cm.dxf", units=5, width=25.0, depth=19.0, height=3.5, gap=4.0)   # centimetres
    outcome = run(tmp_path / "plate_cm.dxf")
    assert np.ptp(outcome.solid.vertices[:, 0]) == pytest.approx(0.250, rel=0.01)


def test_disagreeing_views_are_one_line_and_no_solid(tmp_path):
    """A raster sheet whose plan is drawn 15 % narrower than the front view."""
    img = Image.new("RGB", (900, 700), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((100, 400, 500, 470), outline="black", width=3)     # front: 400 wide
    draw.rectangle((130, 100, 470, 340), outline="black", width=3)     # plan: 340 wide
    draw.rectangle((560, 400, 800, 470), outline="black", width=3)     # right view
    img.save(tmp_path / "sheet.png")
    outcome = run(tmp_path / "sheet.png")
    roles = {v["role"] for v in outcome.views}
    assert {"front", "top", "side"} <= roles, roles
    assert outcome.solid is None
    (line,) = [m for m in outcome.messages if "disagree" in m]
    assert "front and top views disagree on the width" in line and "\n" not in line


def test_raster_sheet_takes_the_artists_scale(tmp_path):
    """The same plate drawn at 2 px per mm; told 0.5 mm per px, the solid is 0.25 m wide."""
    img = Image.new("RGB", (1300, 1000), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((100, 800, 600, 870), outline="black", width=3)      # front: 250 × 35 mm
    draw.rectangle((100, 330, 600, 710), outline="black", width=3)      # plan: 250 × 190 mm
    draw.rectangle((700, 800, 1080, 870), outline="black", width=3)     # right view: 190 × 35 mm
    img.save(tmp_path / "plate.png")
    request = sheet.SheetRequest(str(tmp_path / "plate.png"), "inflate", solid=True, solid_resolution=96,
                                 resolution=48, mm_per_px=0.5)
    outcome = sheet.compute(request, lambda f, s: None, lambda: False)
    assert outcome.solid is not None, outcome.messages
    assert np.ptp(outcome.solid.vertices[:, 0]) == pytest.approx(0.2515, rel=0.01)   # 503 px incl. the pen

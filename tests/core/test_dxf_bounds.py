"""Hostile DXF files: every loop over their structure is bounded, every bad number is left out, and the
answer is a drawing or one DxfError line — never a hang or a traceback. Each case runs in a child process
with a time limit, so a regression fails the test instead of stalling the suite."""
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT

ezdxf = pytest.importorskip("ezdxf")

READ = textwrap.dedent("""
    import sys
    from depthy_blender.core import dxf
    try:
        rgba = dxf.render(sys.argv[1])
        print("IMAGE", rgba.shape[0], rgba.shape[1], int((rgba[..., 0] < 0.5).sum()))
    except dxf.DxfError as exc:
        print("ERROR", exc)
""")


def read(path, limit=120):
    done = subprocess.run([sys.executable, "-c", READ, str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=limit)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    kind, _, rest = done.stdout.strip().splitlines()[-1].partition(" ")
    return kind, rest


def square(msp, size=100.0):
    msp.add_lwpolyline([(0, 0), (size, 0), (size, size), (0, size)], close=True)


def test_circle_of_radius_1e300_is_left_out(tmp_path):
    doc = ezdxf.new()
    square(doc.modelspace())
    doc.modelspace().add_circle((50, 50), 1e300)
    doc.saveas(tmp_path / "huge.dxf")
    kind, rest = read(tmp_path / "huge.dxf")
    assert kind == "IMAGE" and int(rest.split()[2]) > 100   # the square is drawn, the circle is not


def test_nested_blocks_are_bounded(tmp_path):
    doc = ezdxf.new()
    previous = None
    for level in range(8):          # 10 inserts per level, 8 levels: 10^8 lines if followed
        block = doc.blocks.new(f"B{level}")
        for i in range(10):
            if previous is None:
                block.add_line((i, 0), (i, 1))
            else:
                block.add_blockref(previous, (i * 20, 0))
        previous = block.name
    doc.modelspace().add_blockref(previous, (0, 0))
    doc.saveas(tmp_path / "nested.dxf")
    assert (tmp_path / "nested.dxf").stat().st_size < 100_000
    kind, rest = read(tmp_path / "nested.dxf")
    assert kind == "ERROR" and "more than 200,000 entities" in rest


@pytest.mark.parametrize("value", ["1e308", "-1e308", "nan", "inf"])
def test_absurd_coordinates_are_left_out(tmp_path, value):
    doc = ezdxf.new()
    square(doc.modelspace())
    doc.modelspace().add_line((0, 0), (1, 1))
    doc.saveas(tmp_path / "good.dxf")
    text = (tmp_path / "good.dxf").read_text()
    # the LINE's end point x (group code 11) becomes the absurd value, written into the file as text
    head, line, tail = text.partition("LINE\n")
    marker = "\n 11\n"
    at = tail.index(marker) + len(marker)
    end = tail.index("\n", at)
    (tmp_path / "bad.dxf").write_text(head + line + tail[:at] + value + tail[end:])
    kind, rest = read(tmp_path / "bad.dxf")
    assert kind in ("IMAGE", "ERROR")
    if kind == "IMAGE":
        assert int(rest.split()[0]) <= 8192 and int(rest.split()[1]) <= 8192


def test_only_absurd_geometry_is_one_line(tmp_path):
    doc = ezdxf.new()
    doc.modelspace().add_circle((0, 0), 1e300)
    doc.saveas(tmp_path / "only.dxf")
    kind, rest = read(tmp_path / "only.dxf")
    assert kind == "ERROR" and "no drawing geometry" in rest

"""Fuzz tier: random bytes, mutated PNG/JPEG/DXF/YAML files and random option values through the image
and DXF readers, the TripoSR config reader and the `depth` command. Whatever comes in, the answer is a
result or one user-facing error line: no traceback, no hang (a minute per example at most: a hang guard,
not a speed test; a loaded 2-core machine took 7 s on one), no output larger
than 4 × the input's pixels, and the input file untouched. Seeded (derandomize), bounded to well under
a minute in all."""
import hashlib
import io
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image, ImageDraw

from depthy_blender import cli
from depthy_blender.core import dxf, images
from depthy_blender.errors import DepthyError

FUZZ = settings(derandomize=True, deadline=60_000, max_examples=150, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _drawing_bytes(fmt: str) -> bytes:
    img = Image.new("RGB", (96, 72), "white")
    ImageDraw.Draw(img).rectangle((16, 12, 80, 60), outline="black", width=2)
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


SEEDS = {"png": _drawing_bytes("PNG"), "jpg": _drawing_bytes("JPEG"), "gif": _drawing_bytes("GIF")}


def mutated(data: bytes):
    """A file made from `data` by flipping bytes, cutting it short, or splicing in random bytes."""
    return st.one_of(
        st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)), min_size=1, max_size=8)
        .map(lambda flips: bytes(_flip(data, flips))),
        st.integers(0, len(data)).map(lambda n: data[:n]),
        st.tuples(st.integers(0, len(data)), st.binary(max_size=64)).map(lambda p: data[:p[0]] + p[1] + data[p[0]:]),
    )


def _flip(data, flips):
    out = bytearray(data)
    for at, value in flips:
        out[at] = value
    return out


def _read_image(tmp_path, name, payload):
    path = tmp_path / name
    path.write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    try:
        loaded = images.load_image(path)
    except DepthyError as exc:
        assert str(exc) and "\n" not in str(exc)
        loaded = None
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest       # the input is never changed
    if loaded is not None:
        h, w = loaded.rgba.shape[:2]
        assert max(h, w) <= images.MAX_SIDE and np.isfinite(loaded.rgba).all()
        assert loaded.rgba.min() >= 0 and loaded.rgba.max() <= 1


@FUZZ
@given(kind=st.sampled_from(sorted(SEEDS)), data=st.data())
def test_mutated_images_are_read_or_refused_in_one_line(tmp_path, kind, data):
    _read_image(tmp_path, f"drawing.{kind}", data.draw(mutated(SEEDS[kind])))


@FUZZ
@given(payload=st.binary(max_size=512), name=st.sampled_from(["x.png", "x.jpg", "x.tif", "x.webp", "x.bmp"]))
def test_random_bytes_are_refused_in_one_line(tmp_path, payload, name):
    _read_image(tmp_path, name, payload)


DXF_SEED = None


def _dxf_text() -> str:
    global DXF_SEED
    if DXF_SEED is None:
        ezdxf = pytest.importorskip("ezdxf")
        doc = ezdxf.new()
        msp = doc.modelspace()
        msp.add_lwpolyline([(0, 0), (100, 0), (100, 60), (0, 60)], close=True)
        msp.add_circle((50, 30), 12)
        msp.add_arc((20, 20), 8, 0, 90)
        buf = io.StringIO()
        doc.write(buf)
        DXF_SEED = buf.getvalue()
    return DXF_SEED


@FUZZ
@given(data=st.data())
def test_mutated_dxf_is_drawn_or_refused_in_one_line(tmp_path, data):
    lines = _dxf_text().split("\n")
    edits = data.draw(st.lists(st.tuples(st.integers(0, len(lines) - 1),
                                         st.sampled_from(["1e308", "-1e308", "nan", "inf", "0", "-1", "999999999",
                                                          "", "LINE", "INSERT", "SECTION", "EOF", "x"])),
                               min_size=1, max_size=6))
    for at, value in edits:
        lines[at] = value
    path = tmp_path / "sheet.dxf"
    path.write_text("\n".join(lines))
    try:
        rgba = dxf.render(path)
    except DepthyError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert max(rgba.shape[:2]) <= 8192 and np.isfinite(rgba).all()


CONFIG = """cond_image_size: 512
tokenizer: {plane_size: 32, num_channels: 1024}
backbone: {in_channels: ${tokenizer.num_channels}, num_attention_heads: 16, attention_head_dim: 64}
renderer: {radius: 0.87, density_bias: -1.0}
"""


@FUZZ
@given(data=st.data())
def test_mutated_triposr_config_is_read_or_refused_in_one_line(tmp_path, data):
    pytest.importorskip("yaml")
    from depthy_blender.models.triposr.system import read_config
    text = data.draw(mutated(CONFIG.encode()).filter(lambda b: True))
    extra = data.draw(st.sampled_from(["", "a: &x [1, 2]\nb: *x\n", "x: ${x}\n", "y: ${tokenizer}\n",
                                       "z: ${missing.key}\n", "- list\n"]))
    path = tmp_path / "config.yaml"
    path.write_bytes(text + extra.encode())
    try:
        cfg = read_config(path)
    except DepthyError as exc:
        assert str(exc)
        return
    assert isinstance(cfg, dict)


NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10 ** 9, 10 ** 9),
                    st.sampled_from(["nan", "inf", "-inf", "1e308", "0", "-0", "abc", ""]))


@FUZZ
@given(depthy_size=NUMBERS, foreground=NUMBERS, mc=NUMBERS)
def test_random_option_values_give_a_result_or_one_line(tmp_path, capsys, depthy_size, foreground, mc):
    source = tmp_path / "drawing.png"
    source.write_bytes(SEEDS["png"])
    out = tmp_path / "near.npy"
    out.unlink(missing_ok=True)
    argv = ["depth", str(source), "-o", str(out), "--engine", "inflate", "--depthy-resolution", str(depthy_size),
            "--foreground-ratio", str(foreground), "--mc-resolution", str(mc)]
    try:
        code = cli.main(argv)
    except SystemExit as exc:   # argparse refusing a value it cannot parse: its own one-line usage error
        code = exc.code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert code in (0, 2), err
    assert source.read_bytes() == SEEDS["png"]
    if code == 0:
        near = np.load(out)
        assert near.size <= 4 * 96 * 72 and np.isfinite(near).all()
    else:
        assert not out.exists()


@FUZZ
@given(ratio=NUMBERS, smoothing=NUMBERS, size=NUMBERS, resolution=NUMBERS)
def test_relief_options_are_checked_in_one_place(ratio, smoothing, size, resolution):
    from depthy_blender.core import options
    for name, value in (("ratio", ratio), ("smoothing", smoothing), ("size", size), ("resolution", resolution)):
        try:
            options.check(name, value)
        except DepthyError as exc:
            assert "\n" not in str(exc)
            continue
        number = float(value)
        low, high, _ = options.RANGES[name]
        assert math.isfinite(number) and low <= number <= high

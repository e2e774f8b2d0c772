"""Arrays ↔ Blender datablocks (blender/mesh_io.py, blender/image_io.py), read back through bpy and
compared with the arrays that went in: every vertex, edge, face corner, UV and slider attribute of a
relief; TripoSR's coloured mesh; the heights the sliders write and how an artist's edit is told apart;
an image's pixels (row 0 at the top), channels and refusals; which image files are the file as saved."""
import types

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from PIL import Image  # noqa: E402

from depthy_blender.blender import image_io, mesh_io  # noqa: E402
from depthy_blender.core import images, relief  # noqa: E402


def small_relief(back="none", triangles=False):
    """A 5 × 4 sample mound, built as the add-on builds it on its smallest grid."""
    near = np.array([[0, 1, 1, 0], [1, 2, 3, 1], [1, 3, 4, 1], [1, 2, 2, 1], [0, 1, 1, 0]], np.float32)
    return relief.build(near, near > 0, ratio=0.5, resolution=relief.MIN_RESOLUTION, back=back, triangles=triangles)


def attribute(mesh, name, prop, dtype, width=1):
    attr = mesh.attributes[name]
    values = np.empty(len(attr.data) * width, dtype)
    attr.data.foreach_get(prop, values)
    return attr.domain, attr.data_type, values.reshape(-1, width) if width > 1 else values


@pytest.mark.parametrize("back, triangles", [("none", False), ("flat", True), ("mirror", False)])
def test_a_relief_mesh_holds_exactly_the_arrays_it_was_made_from(back, triangles):
    r = small_relief(back, triangles)
    mesh = mesh_io.create_mesh(r, "relief")
    assert mesh.name == "relief" and not mesh.validate()          # validate() is True only when it had to repair
    assert np.array_equal(mesh_io.get_positions(mesh), r.verts)
    edges = np.empty(len(mesh.edges) * 2, np.int32)
    mesh.edges.foreach_get("vertices", edges)
    assert np.array_equal(edges.reshape(-1, 2), r.edges)
    corners = r.faces.shape[1]
    assert [list(p.vertices) for p in mesh.polygons] == r.faces.tolist()
    assert [p.loop_start for p in mesh.polygons] == list(range(0, r.faces.size, corners))
    loop_edges = np.empty(len(mesh.loops), np.int32)
    mesh.loops.foreach_get("edge_index", loop_edges)
    assert np.array_equal(loop_edges, r.corner_edges.ravel())
    domain, kind, uv = attribute(mesh, "UVMap", "vector", np.float32, 2)
    assert (domain, kind) == ("CORNER", "FLOAT2") and np.array_equal(uv, r.uvs)
    for name, kind, values, dtype in ((mesh_io.RAW, "FLOAT", r.raw, np.float32), (mesh_io.CELL, "INT", r.cells, np.int32),
                                      (mesh_io.SIDE, "FLOAT", r.sides, np.float32),
                                      (mesh_io.WRITTEN, "FLOAT", r.verts[:, 2], np.float32)):
        assert attribute(mesh, name, "value", dtype)[:2] == ("POINT", kind)
        assert np.array_equal(attribute(mesh, name, "value", dtype)[2], values)
    assert all(p.use_smooth for p in mesh.polygons)
    raw, cells, sides = mesh_io.read_slider_data(mesh)
    assert np.array_equal(raw, r.raw) and np.array_equal(cells, r.cells) and np.array_equal(sides, r.sides)
    assert cells.dtype == np.int32 and raw.dtype == sides.dtype == np.float32


def test_slider_data_that_is_missing_or_on_another_domain_is_none():
    mesh = mesh_io.create_mesh(small_relief(), "relief")
    for name in (mesh_io.RAW, mesh_io.CELL, mesh_io.SIDE):
        copy = mesh.copy()
        copy.attributes.remove(copy.attributes[name])
        assert mesh_io.read_slider_data(copy) is None
        copy.attributes.new(name, "FLOAT", "FACE")
        assert mesh_io.read_slider_data(copy) is None
    assert mesh_io.read_slider_data(mesh) is not None


def test_tripos_coloured_mesh_has_its_triangles_edges_and_opaque_vertex_colours():
    """A tetrahedron: 4 vertices, 4 triangles, 6 edges derived by Blender."""
    verts = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32)
    faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]], np.int32)
    colours = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.5, 0.5, 0.5]], np.float32)
    mesh = mesh_io.create_coloured_mesh(verts, faces, colours, "object")
    assert len(mesh.edges) == 6 and mesh.name == "object" and not mesh.validate()
    assert np.array_equal(mesh_io.get_positions(mesh), verts)
    assert [list(p.vertices) for p in mesh.polygons] == faces.tolist()
    colour = mesh.color_attributes[mesh_io.COLOUR]
    assert (colour.domain, colour.data_type) == ("POINT", "FLOAT_COLOR")
    assert mesh.color_attributes.active_color.name == mesh_io.COLOUR
    rgba = np.empty(16, np.float32)
    colour.data.foreach_get("color", rgba)
    assert np.array_equal(rgba.reshape(4, 4), np.concatenate([colours, np.ones((4, 1), np.float32)], 1))
    assert all(p.use_smooth for p in mesh.polygons)


def test_new_heights_move_only_z_and_are_remembered_as_written():
    r = small_relief()
    mesh = mesh_io.create_mesh(r, "relief")
    obj = bpy.data.objects.new("relief", mesh)
    bpy.context.scene.collection.objects.link(obj)
    z = np.linspace(0, 3, len(r.verts)).astype(np.float32)
    mesh_io.set_z(mesh, z)
    positions = mesh_io.get_positions(mesh)
    assert np.array_equal(positions[:, :2], r.verts[:, :2]) and np.array_equal(positions[:, 2], z)
    assert np.array_equal(attribute(mesh, mesh_io.WRITTEN, "value", np.float32)[2], z)
    bpy.context.view_layer.update()
    assert obj.dimensions.z == pytest.approx(3.0)          # Blender's bounds follow the new heights
    assert not mesh_io.heights_edited(mesh)


def test_heights_written_before_the_attribute_existed_are_remembered_from_now_on():
    mesh = mesh_io.create_mesh(small_relief(), "relief")
    mesh.attributes.remove(mesh.attributes[mesh_io.WRITTEN])
    assert not mesh_io.heights_edited(mesh)                # a relief from before: counts as unedited
    z = np.full(len(mesh.vertices), 0.25, np.float32)
    mesh_io.set_z(mesh, z)
    assert attribute(mesh, mesh_io.WRITTEN, "value", np.float32)[:2] == ("POINT", "FLOAT")
    assert np.array_equal(attribute(mesh, mesh_io.WRITTEN, "value", np.float32)[2], z)


@pytest.mark.parametrize("highest, moved, edited", [
    (0.5, 0.9e-5, False), (0.5, 1.1e-5, True),     # heights under 1: 1e-5 is the tolerance
    (10.0, 0.9e-4, False), (10.0, 1.1e-4, True),   # heights up to 10: ten times that
])
def test_an_artists_edit_is_a_height_off_what_was_written_by_more_than_the_tolerance(highest, moved, edited):
    mesh = mesh_io.create_mesh(small_relief(), "relief")
    z = np.linspace(0, highest, len(mesh.vertices)).astype(np.float32)
    mesh_io.set_z(mesh, z)
    mesh.vertices[3].co.z = float(z[3]) + moved
    assert mesh_io.heights_edited(mesh) is edited


def test_an_edit_of_x_or_y_alone_is_not_a_height_edit():
    mesh = mesh_io.create_mesh(small_relief(), "relief")
    mesh.vertices[0].co.x += 0.5
    mesh.vertices[1].co.y -= 0.5
    assert not mesh_io.heights_edited(mesh)


def test_stripping_removes_the_slider_attributes_and_nothing_else():
    mesh = mesh_io.create_mesh(small_relief(), "relief")
    before = mesh_io.get_positions(mesh).copy()
    mesh_io.strip_slider_data(mesh)
    names = {a.name for a in mesh.attributes}
    assert not names & set(mesh_io.SLIDER_ATTRIBUTES) and "UVMap" in names
    assert np.array_equal(mesh_io.get_positions(mesh), before)
    mesh_io.strip_slider_data(mesh)                         # a second time: nothing to remove, no error


# --- images ------------------------------------------------------------------------------------------

class FakeImage:
    """What image_to_rgba reads of an Image datablock, for channel counts Blender's loaders do not give."""

    def __init__(self, rows, name="drawing", filepath=""):
        rows = np.asarray(rows, np.float32)
        self.size = (rows.shape[1], rows.shape[0])
        self.channels = rows.shape[2]
        self.name, self.filepath = name, filepath
        flat = np.ascontiguousarray(rows[::-1]).ravel()          # Blender stores the bottom row first
        self.pixels = types.SimpleNamespace(foreach_get=lambda out: out.__setitem__(slice(None), flat))


def rows_of(channels, h=6, w=8):
    """Distinct values; an alpha channel between 1/2 and 1, so no part of the image is transparent paper."""
    values = ((np.arange(h * w * channels, dtype=np.float32) % 17) / 16).reshape(h, w, channels)
    if channels in (2, 4):
        values[..., -1] = 0.5 + values[..., -1] / 2
    return values


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_an_images_pixels_come_out_as_rgba_with_row_0_at_the_top(channels):
    rows = rows_of(channels)
    rgba, messages = image_io.image_to_rgba(FakeImage(rows))
    assert rgba.shape == (6, 8, 4) and rgba.dtype == np.float32 and messages == []
    expected = {1: lambda r: np.concatenate([r, r, r, np.ones_like(r)], -1),
                2: lambda r: np.concatenate([r[..., :1]] * 3 + [r[..., 1:]], -1),
                3: lambda r: np.concatenate([r, np.ones_like(r[..., :1])], -1),
                4: lambda r: r}[channels](rows)
    assert np.array_equal(rgba, expected)


def test_values_outside_0_to_1_are_clipped():
    rows = np.full((6, 8, 4), 0.5, np.float32)
    rows[0, 0] = [2.0, -1.0, 1.5, 3.0]
    assert image_io.image_to_rgba(FakeImage(rows))[0][0, 0].tolist() == [1.0, 0.0, 1.0, 1.0]


def test_a_real_image_datablock_reads_as_its_file(tmp_path):
    picture = (np.arange(5 * 7 * 3) % 251).reshape(5, 7, 3).astype(np.uint8)
    Image.fromarray(picture).save(tmp_path / "part.png")
    image = bpy.data.images.load(str(tmp_path / "part.png"))
    image.colorspace_settings.name = "Non-Color"            # the raw values, as the file has them
    rgba, _ = image_io.image_to_rgba(image)
    assert np.allclose(rgba[..., :3], picture / 255, atol=1e-6) and np.all(rgba[..., 3] == 1)


def test_what_reading_an_image_noticed_is_said_with_its_name():
    big = np.ones((40, 8200, 4), np.float32)                 # longer than images.MAX_SIDE: box-filtered by 2
    rgba, messages = image_io.image_to_rgba(FakeImage(big, name="wide"))
    assert rgba.shape == (20, 4100, 4) and messages == ["'wide': image is 8200×40 px; downscaled to 4100×20"]
    strokes = np.zeros((40, 40, 4), np.float32)              # black strokes on transparent paper
    strokes[5:35, 5:7, 3] = strokes[5:35, 33:35, 3] = strokes[5:7, 5:35, 3] = strokes[33:35, 5:35, 3] = 1
    rgba, messages = image_io.image_to_rgba(FakeImage(strokes, name="outline"))
    assert messages == ["'outline': a line drawing on transparent paper, read as on white paper"]
    assert np.all(rgba[..., 3] == 1) and rgba[20, 20, :3].tolist() == [1, 1, 1]


def test_an_image_without_pixels_or_too_small_is_one_line():
    empty = FakeImage(np.zeros((1, 1, 4)), name="scan", filepath="//scans/scan.png")
    empty.size = (0, 0)
    with pytest.raises(images.ImageError) as caught:
        image_io.image_to_rgba(empty)
    assert str(caught.value) == "Image 'scan' has no pixels; is its file missing? (//scans/scan.png)"
    empty.filepath, empty.size = "", (5, 0)
    with pytest.raises(images.ImageError) as caught:
        image_io.image_to_rgba(empty)
    assert str(caught.value) == "Image 'scan' has no pixels; is its file missing?"
    with pytest.raises(images.ImageError, match=r"^tiny is only 1×8 px"):     # pixels, but too few
        image_io.image_to_rgba(FakeImage(np.ones((8, 1, 4)), name="tiny"))


def test_only_an_image_as_saved_in_its_file_is_that_file(tmp_path):
    Image.new("RGB", (6, 4), (200, 10, 10)).save(tmp_path / "part.png")
    image = bpy.data.images.load(str(tmp_path / "part.png"))
    assert image_io.unchanged_file(image) == str(tmp_path / "part.png")
    image.pixels[0] = 0.5                                    # painted in Blender, not saved
    assert image.is_dirty and image_io.unchanged_file(image) is None
    image.reload()
    assert image_io.unchanged_file(image) == str(tmp_path / "part.png")
    image.pack()
    assert image_io.unchanged_file(image) is None
    assert image_io.unchanged_file(bpy.data.images.new("generated", 4, 4)) is None
    gone = bpy.data.images.load(str(tmp_path / "part.png"), check_existing=False)
    (tmp_path / "part.png").unlink()
    assert image_io.unchanged_file(gone) is None
    blank = bpy.data.images.new("no file", 4, 4)
    blank.source = "FILE"
    assert image_io.unchanged_file(blank) is None


def test_a_file_blender_reads_is_loaded_once_and_one_it_cannot_is_made_from_our_pixels(tmp_path):
    """Blender 4.2 reads GIF and 5.0 does not, so the unreadable file is bytes no version reads."""
    Image.new("RGB", (6, 4), (200, 10, 10)).save(tmp_path / "part.png")
    first = image_io.load_file_image(str(tmp_path / "part.png"))
    assert first.size[:] == (6, 4) and image_io.load_file_image(str(tmp_path / "part.png")) == first
    Image.new("RGB", (1, 4), (200, 10, 10)).save(tmp_path / "line.png")          # one pixel wide is a file too
    line = image_io.load_file_image(str(tmp_path / "line.png"), np.zeros((4, 1, 4), np.float32))
    assert line.size[:] == (1, 4) and line.packed_file is None
    (tmp_path / "part.gif").write_bytes(b"GIF89a, but not for Blender")   # a file Blender cannot read
    count = len(bpy.data.images)
    assert image_io.load_file_image(str(tmp_path / "part.gif")) is None and len(bpy.data.images) == count
    rgba = np.zeros((4, 6, 4), np.float32)
    rgba[0] = [1, 0, 0, 1]                                   # the top row red, the rest transparent black
    made = image_io.load_file_image(str(tmp_path / "part.gif"), rgba)
    assert made.name == "part.gif" and made.packed_file is not None and made.size[:] == (6, 4)
    assert len(bpy.data.images) == count + 1
    made.reload()                                            # as saved in the .blend and opened again
    pixels = np.empty(6 * 4 * 4, np.float32)
    made.pixels.foreach_get(pixels)
    assert np.array_equal(pixels.reshape(4, 6, 4)[::-1], rgba)      # rows bottom-up; transparency kept
    assert image_io.load_file_image(str(tmp_path / "missing.png")) is None

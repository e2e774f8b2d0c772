"""Engine-side functions against independent oracles: the dense field as the reference for coarse-to-fine
extraction on shapes that break it (a rod thinner than a coarse cell, a surface at the grid's edge), and
weights whose card carries no checksum."""
import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from depthy_blender.models import weights  # noqa: E402
from depthy_blender.models.triposr import extract  # noqa: E402


def _rod(points):
    """A rod along z, 0.05 thick (two grid steps at 64³; the coarse lattice, step 4, is 0.11 apart)."""
    d = torch.sqrt(points[:, 0] ** 2 + points[:, 1] ** 2)
    return torch.where((d < 0.025) & (points[:, 2].abs() < 0.5), 50.0, 0.0)


def _tilted_rod(points):
    """A rod 0.08 thick, tilted off every axis (at 48³ the coarse lattice is 0.15 apart): found by a
    seeded search as a case the coarse cells alone miss in places and their one-cell margin catches."""
    centre = torch.tensor([0.1113, 0.0903, 0.1131])
    axis = torch.tensor([-0.3478, -0.2648, 0.8994])
    axis = axis / axis.norm()
    q = points - centre
    along = (q * axis).sum(1)
    across = (q - along[:, None] * axis).norm(dim=1)
    return torch.where((across < 0.041) & (along.abs() < 0.4), 50.0, 0.0)


def _edge_box(points):
    """A box whose face lies one grid step inside the grid's last plane (x near +radius)."""
    inside = (points[:, 0] > 0.2) & (points[:, 0] < extract.RADIUS - 0.02) & \
        (points[:, 1].abs() < 0.3) & (points[:, 2].abs() < 0.3)
    return torch.where(inside, 50.0, 0.0)


@pytest.mark.parametrize("shape, resolution", [(_rod, 64), (_tilted_rod, 48), (_edge_box, 64)])
def test_coarse_to_fine_equals_the_dense_field_where_a_surface_is(shape, resolution):
    threshold = 25.0
    dense = extract.dense_field(shape, resolution)
    fine, queries = extract.coarse_to_fine_field(shape, resolution, threshold, step=4)
    assert (dense > threshold).sum() > 0
    # every grid point on either side of a surface (a sign change to a neighbour) is exact
    inside = dense > threshold
    near_surface = np.zeros_like(inside)
    for axis in range(3):
        change = np.diff(inside, axis=axis)
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis], hi[axis] = slice(0, -1), slice(1, None)
        near_surface[tuple(lo)] |= change
        near_surface[tuple(hi)] |= change
    assert np.array_equal(fine[near_surface], dense[near_surface])
    assert np.array_equal(fine > threshold, inside)
    assert queries < dense.size


def _slab(low, high):
    """A slab across the whole grid in y and z, for x in (low, high)."""
    def density(points):
        return torch.where((points[:, 0] > low) & (points[:, 0] < high), 50.0, 0.0)
    return density


def test_grid_points_run_from_minus_to_plus_the_radius():
    """By hand: five points over [-R, R] are a quarter of the span apart."""
    r = extract.RADIUS
    assert np.allclose(extract.grid_coordinates(np.arange(5), 5), [-r, -r / 2, 0, r / 2, r])


def test_every_point_is_evaluated_whatever_the_chunk():
    """Each value is the density at its own point, the first and the last included, when the chunk does
    not divide the count (7 points in chunks of 3) and when it is larger than the count."""
    points = np.arange(21, dtype=np.float64).reshape(7, 3) / 10

    def density(p):
        return 1.0 + p[:, 0] + 10 * p[:, 1] + 100 * p[:, 2]
    expected = 1.0 + points[:, 0] + 10 * points[:, 1] + 100 * points[:, 2]
    for chunk in (3, 7, 100):
        assert np.allclose(extract.evaluate(density, points, chunk), expected)


@pytest.mark.parametrize("planes", ["first", "last two"])
def test_a_slab_in_the_grids_outermost_planes_is_kept(planes):
    """At 64³ with a step of 4 the coarse lattice is 0, 4, …, 60 and the last point, 63. A slab only in the
    first plane (index 0), or only in the last two (62 and 63), lies where no coarse cell but the
    outermost sees it; the dense field is the reference."""
    resolution, threshold = 64, 25.0
    step = 2 * extract.RADIUS / (resolution - 1)
    r = extract.RADIUS
    shape = _slab(-r - step / 2, -r + step / 2) if planes == "first" else _slab(r - 1.5 * step, r + step / 2)
    dense = extract.dense_field(shape, resolution)
    fine, _ = extract.coarse_to_fine_field(shape, resolution, threshold, step=4)
    inside = np.nonzero((dense > threshold).any(axis=(1, 2)))[0].tolist()
    assert inside == ([0] if planes == "first" else [62, 63])
    assert np.array_equal(fine > threshold, dense > threshold)


def test_weights_whose_card_has_no_checksum_are_refused(tmp_path):
    pt, card = weights.locate()
    shutil.copy(pt, tmp_path / pt.name)
    data = json.loads(card.read_text())
    del data["sha256"]
    (tmp_path / card.name).write_text(json.dumps(data))
    with pytest.raises(weights.WeightsError, match="does not match its model card"):
        weights.load_verified(folder=tmp_path)


def test_saved_weights_are_half_precision_with_a_card_that_checks_out(tmp_path):
    """The card's sha256 and size are the file's own (computed here with hashlib), floats are stored
    as fp16, integers untouched, and the caller's card fields are kept; the folder is made, nested,
    and saving again replaces the weights."""
    import hashlib
    state = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 3, "steps": torch.tensor([7])}
    weights.save(state, {"recipe": "old"}, name="tiny", folder=tmp_path / "w")
    pt = weights.save(state, {"recipe": "test"}, name="tiny", folder=tmp_path / "w")
    card = json.loads((tmp_path / "w" / "tiny.json").read_text())
    assert card["sha256"] == hashlib.sha256(pt.read_bytes()).hexdigest()
    assert card["size_bytes"] == pt.stat().st_size and card["file"] == "tiny.pt" and card["recipe"] == "test"
    loaded = torch.load(pt, weights_only=True)
    assert loaded["w"].dtype == torch.float16 and loaded["steps"].dtype == torch.int64
    assert torch.equal(loaded["w"], state["w"].half()) and loaded["steps"].item() == 7
    assert weights.model_card("tiny", tmp_path / "w") == card


def tiny_weights(folder):
    state = {"w": torch.tensor([0.5, -2.0]), "n": torch.tensor([3])}
    weights.save(state, {}, name="tiny", folder=folder / "nested" / "w")
    return folder / "nested" / "w"


def test_verified_weights_load_as_saved(tmp_path):
    folder = tiny_weights(tmp_path)
    state = weights.load_state_dict("tiny", folder)
    assert set(state) == {"w", "n"} and torch.equal(state["w"], torch.tensor([0.5, -2.0]).half())
    assert state["n"].item() == 3


def test_a_changed_file_names_both_checksums_and_the_remedy(tmp_path):
    folder = tiny_weights(tmp_path)
    expected = json.loads((folder / "tiny.json").read_text())["sha256"]
    (folder / "tiny.pt").write_bytes((folder / "tiny.pt").read_bytes() + b"x")
    import hashlib
    actual = hashlib.sha256((folder / "tiny.pt").read_bytes()).hexdigest()
    with pytest.raises(weights.WeightsError) as caught:
        weights.load_verified("tiny", folder)
    assert f"(sha256 {actual[:12]}… ≠ {expected[:12]}…)" in str(caught.value)
    assert str(caught.value).endswith("the file was modified or damaged; reinstall the add-on")


class Payload:
    """Anything that is not a tensor: a pickle that runs code on load would come as such an object."""


def test_weights_holding_other_objects_are_refused_even_with_a_matching_card(tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    torch.save({"w": torch.zeros(2), "x": Payload()}, folder / "evil.pt")
    (folder / "evil.json").write_text(json.dumps({"sha256": weights.sha256(folder / "evil.pt")}))
    with pytest.raises(weights.WeightsError, match="Cannot read evil.pt"):
        weights.load_verified("evil", folder)


def _sphere(radius=0.4):
    return lambda p: (25.0 + 200.0 * (radius - p.norm(dim=-1))).clamp(min=0)


def test_no_surface_is_an_empty_mesh_of_the_right_shapes():
    """A field that never crosses the threshold, or only touches it, gives (0, 3) float32 vertices and
    (0, 3) int32 faces, not a call into marching cubes."""
    for field in (np.zeros((8, 8, 8), np.float32), np.full((8, 8, 8), 25.0, np.float32)):
        verts, faces = extract.marching_cubes(field, 25.0)
        assert verts.shape == (0, 3) and verts.dtype == np.float32
        assert faces.shape == (0, 3) and faces.dtype == np.int32


def test_extraction_counts_its_queries_and_types_its_arrays():
    """Counted by hand: at 32 the grid is evaluated densely (32³ queries); above 32, coarse to fine
    queries fewer than the dense count, which is resolution³ either way."""
    dense = extract.extract(_sphere(), resolution=32)
    assert dense.queries == dense.dense_queries == 32 ** 3
    fine = extract.extract(_sphere(), resolution=40)
    assert fine.dense_queries == 40 ** 3 and fine.queries < 40 ** 3
    assert fine.queries > 11 ** 3        # the coarse lattice alone: every 4th point and the last, 11 a side
    assert fine.vertices.dtype == np.float32 and fine.faces.dtype == np.int32 and fine.faces.shape[1] == 3
    v = fine.vertices[fine.faces].astype(np.float64)      # outward: the volume by the divergence theorem
    volume = np.einsum("ij,ij->i", v[:, 0], np.cross(v[:, 1], v[:, 2])).sum() / 6
    assert volume == pytest.approx(4 / 3 * np.pi * 0.4 ** 3, rel=0.05)
    assert abs(fine.vertices).max() == pytest.approx(0.4, abs=0.02)  # the frame: radius 0.4 from the centre


@pytest.mark.parametrize("resolution", [24, 40])      # the dense path and the coarse-to-fine one
def test_extraction_checks_for_cancel_and_reports_progress(resolution):
    calls = []

    def cancel():
        calls.append("cancel")
        if len(calls) > 1:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        extract.extract(_sphere(), resolution=resolution, chunk=1000, cancel=cancel)
    seen = []
    extract.extract(_sphere(), resolution=40, progress=lambda f, s: seen.append((f, s)))
    assert seen and all(0 <= f <= 1 and "points near the surface" in s for f, s in seen)


def test_inward_winding_is_turned_outward():
    """A mesh whose faces all wind inward has negative signed volume; marching cubes of the complement
    (an inside-out field) still comes back with positive volume."""
    axis = np.linspace(-1, 1, 24)
    x, y, z = np.meshgrid(axis, axis, axis, indexing="ij")
    field = (25.0 + 200.0 * (0.5 - np.sqrt(x * x + y * y + z * z))).astype(np.float32)
    verts, faces = extract.marching_cubes(field, 25.0)
    assert extract.signed_volume(verts, faces) > 0
    assert extract.signed_volume(verts, faces[:, ::-1]) == pytest.approx(-extract.signed_volume(verts, faces))


@pytest.mark.parametrize("missing", ["tiny.pt", "tiny.json"])
def test_weights_with_one_file_missing_are_not_installed(tmp_path, missing):
    folder = tiny_weights(tmp_path)
    (folder / missing).unlink()
    with pytest.raises(weights.WeightsError, match=r"Weights tiny are not installed \(expected tiny.pt and tiny.json"):
        weights.locate("tiny", folder)


def onnx_folder(tmp_path, graph: bytes, card: str):
    """A weights folder holding tiny.onnx and its card tiny.json, as given."""
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "tiny.onnx").write_bytes(graph)
    (folder / "tiny.json").write_text(card)
    return folder


@pytest.mark.parametrize("missing", ["tiny.onnx", "tiny.json"])
def test_an_onnx_graph_with_one_file_missing_is_not_installed(tmp_path, missing):
    folder = onnx_folder(tmp_path, b"graph", json.dumps({"onnx": {"sha256": "0" * 64}}))
    (folder / missing).unlink()
    with pytest.raises(weights.WeightsError, match="for ONNX Runtime are not installed"):
        weights.locate_onnx("tiny", folder)


def test_a_damaged_card_is_one_line(tmp_path):
    folder = onnx_folder(tmp_path, b"graph", "{not json")
    with pytest.raises(weights.WeightsError, match="tiny.json is damaged; reinstall the add-on"):
        weights.locate_onnx("tiny", folder)


def test_a_changed_onnx_graph_names_both_checksums(tmp_path):
    import hashlib
    expected = hashlib.sha256(b"graph").hexdigest()
    actual = hashlib.sha256(b"graph, changed").hexdigest()
    folder = onnx_folder(tmp_path, b"graph, changed", json.dumps({"onnx": {"sha256": expected}}))
    with pytest.raises(weights.WeightsError) as caught:
        weights.verified_onnx("tiny", folder)
    assert f"(sha256 {actual[:12]}… ≠ {expected[:12]}…)" in str(caught.value)
    (folder / "tiny.onnx").write_bytes(b"graph")
    assert weights.verified_onnx("tiny", folder) == folder / "tiny.onnx"

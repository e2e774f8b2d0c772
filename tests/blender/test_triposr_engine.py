"""TripoSR through the Blender operator: full object (vertex colours) and relief, with a tiny model
whose field is a known sphere (the network itself is tested in tests/models)."""
import bpy
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skimage")

from depthy_blender.blender import mesh_io, props  # noqa: E402
from depthy_blender.models import triposr_engine  # noqa: E402
from depthy_blender.models.triposr import TripoSR  # noqa: E402
from tests.blender.conftest import generate  # noqa: E402
from tests.models import tiny_triposr  # noqa: E402


@pytest.fixture
def sphere_model(tmp_path, monkeypatch):
    folder = tiny_triposr.write(tmp_path / "tiny")
    model = TripoSR.from_folder(folder)

    def field(codes, points):          # a sphere of radius 0.4 pushed toward the input camera (+x)
        d = (points - torch.tensor([0.1, 0.0, 0.0])).norm(dim=-1)
        sigma = (25.0 + 300.0 * (0.4 - d)).clamp(min=0)
        return sigma, (points.clamp(-1, 1) + 1) / 2
    monkeypatch.setattr(model, "field", field)
    monkeypatch.setattr(triposr_engine, "find_weights", lambda chosen="": folder)
    monkeypatch.setattr(triposr_engine, "get_model", lambda folder, device: model)
    return model


def test_unavailable_without_weights_is_a_message(drawing_path, monkeypatch):
    monkeypatch.setattr(triposr_engine, "hf_cache_folders", lambda: [])
    before = len(bpy.data.objects)
    with pytest.raises(RuntimeError, match="TripoSR weights not found"):
        generate(source="FILE", filepath=str(drawing_path), engine="triposr")
    assert len(bpy.data.objects) == before


def test_full_object(drawing_path, sphere_model):
    obj = generate(source="FILE", filepath=str(drawing_path), engine="triposr", triposr_output="FULL",
                   mc_resolution=48)
    mesh = obj.data
    assert obj.name == "drawing object" and not obj.depthy.is_result
    assert len(mesh.polygons) > 100 and mesh.color_attributes.get(mesh_io.COLOUR) is not None
    nodes = obj.active_material.node_tree.nodes
    assert any(n.type == "VERTEX_COLOR" and n.layer_name == mesh_io.COLOUR for n in nodes)
    p = mesh_io.get_positions(mesh)
    # the sphere's centre is native +0.1 x, i.e. toward the viewer: Blender −Y
    assert p[:, 1].mean() == pytest.approx(-0.1, abs=0.02)
    assert mesh.validate(verbose=False) is False


def test_relief(drawing_path, sphere_model):
    obj = generate(source="FILE", filepath=str(drawing_path), engine="triposr", triposr_output="RELIEF",
                   resolution=64, smoothing=0.0)
    assert obj.depthy.is_result and obj.depthy.engine == "triposr"
    z = mesh_io.get_positions(obj.data)[:, 2]
    assert np.ptp(z) > 0
    obj.depthy.ratio = 0.4
    assert props.slider_problem(obj) is None

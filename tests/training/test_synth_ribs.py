"""Lightening-pocket lattices of the synthetic drawings (faces.rib_lattice, dataset ribs=True): many
blind cells between thin ribs, kept inside a rim, both lattice kinds drawn (other drawings unchanged:
test_synth_options)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from scipy import ndimage  # noqa: E402

from training.synth import faces, sdf, solids  # noqa: E402

TOP = 0.15
DOWN = np.array([0.0, 0.0, -1.0])   # looking at the plate's top face


def _top_view(shape):
    _, entry, _ = faces.probe(shape, 2, 1.0, grid=65)
    return entry.reshape(65, 65)


def _lattices(seeds=range(12)):
    plate = sdf.box([0.7, 0.5, TOP])
    outline = sdf.rounded_rect2d(0.7, 0.5)
    for seed in seeds:
        cut, info = faces.rib_lattice(plate, outline, np.random.default_rng(seed), DOWN)
        yield plate, cut, info


def test_lattices_are_many_blind_cells_inside_a_rim():
    kinds = set()
    for plate, cut, info in _lattices():
        kinds.add(info)
        before, after = _top_view(plate), _top_view(cut)
        hit = np.isfinite(before)
        assert np.isfinite(after[hit]).all(), "a cell went through the plate"
        assert (after[hit] <= before[hit] + 0.02).all(), "material was added"
        assert (after[hit] > -TOP).all()                     # every cell has a floor
        # a slice just under the face, finer than the thinnest rib: cells are the holes in it
        u, v = torch.meshgrid(torch.linspace(-0.69, 0.69, 280), torch.linspace(-0.49, 0.49, 200), indexing="ij")
        points = torch.stack([u, v, torch.full_like(u, TOP - 0.01)], -1).reshape(-1, 3)
        material = (cut(points) < 0).reshape(u.shape).numpy()
        _, count = ndimage.label(~material)
        assert count >= 4, info                              # a lattice, not one pocket
        assert 0.1 < material.mean() < 0.8, info             # ribs and rim stay at the face
        # the rim is left standing: just under the face, just inside the outline, is still material
        along = torch.linspace(-0.6, 0.6, 41)
        edge = torch.cat([torch.stack([along, torch.full_like(along, s * 0.496)], -1) for s in (-1, 1)] +
                         [torch.stack([torch.full_like(along[:27], s * 0.696), along[7:34]], -1) for s in (-1, 1)])
        points = torch.cat([edge, torch.full((len(edge), 1), TOP - 0.01)], -1)
        assert (cut(points) < 0).all(), info
    assert kinds == {" -ribbed_square", " -ribbed_honeycomb"}


def test_plates_lie_across_the_asked_axis():
    for axis in range(3):
        plate, outline, _ = solids.random_plate(np.random.default_rng(axis), axis)
        lin = torch.linspace(-1.2, 1.2, 49)
        grid = torch.stack(torch.meshgrid(lin, lin, lin, indexing="ij"), -1).reshape(-1, 3)
        inside = (plate(grid) < 0).reshape(49, 49, 49).numpy()
        extent = [np.ptp(np.nonzero(inside.any(axis=tuple(a for a in range(3) if a != k)))[0]) for k in range(3)]
        assert extent[axis] == min(extent) and extent[axis] < 0.5 * max(extent)

"""How the device-side generator (training/synth/batch_views.py) puts a seed's views together, with the
solids, tracing and inking stood in so each step shows: which generator stream each choice comes from,
a seed's solids drawn again until a camera sees one, several seeds traced together and redrawn apart,
the dashed views' bookkeeping across seeds, nearness and proportion by hand, and the family options.
That the pieces draw what the CPU reference draws is tests/training/test_batch_views.py's."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from training.synth import batch_views, dataset, ink  # noqa: E402
from training.synth.render import Camera  # noqa: E402


def _cam(half=1.0, perspective=0.0):
    return Camera(np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]), half, np.zeros(3), perspective)


# ---- truth -------------------------------------------------------------------------------------------

def test_nearness_of_views_by_hand():
    depth = torch.tensor([[[1.0, 2.0], [3.0, 9.0]], [[0.0, 1e-4], [5.0, 5.0]], [[0.0, 2e-4], [0.0, 0.0]],
                          [[4.0, 4.0], [4.0, 4.0]]])
    mask = torch.tensor([[[True, True], [True, False]], [[True, True], [False, False]],
                         [[True, True], [False, False]], [[False, False], [False, False]]])
    near = batch_views.nearness(depth, mask)
    assert near.dtype == torch.float32
    assert near.tolist() == [[[1.0, 0.5], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 0.0]],
                             [[0.0, 0.0], [0.0, 0.0]]]           # a range of 1e-4 (in float32) is flat


def test_proportion_is_the_depth_range_over_the_width_in_pixels(monkeypatch):
    asked = []
    monkeypatch.setattr(batch_views.truth, "proportion", lambda m, d, pixel: asked.append((m, d, pixel)) or 0.25)
    mask, depth = np.ones((4, 8), bool), np.zeros((4, 8))
    assert batch_views._proportion(mask, depth, _cam(half=2.0)) == 0.25
    assert asked[0][0] is mask and asked[0][1] is depth and asked[0][2] == 0.5    # 2 · 2 / 8 columns
    assert math.isnan(batch_views._proportion(mask, depth, _cam(perspective=0.5))) and len(asked) == 1


def test_an_empty_batch():
    empty = batch_views._empty(16, None)
    assert empty["image"].shape == (0, 16, 16, 3) and empty["nearness"].shape == (0, 16, 16)
    assert empty["mask"].dtype == torch.bool and empty["mask"].shape == (0, 16, 16)
    assert empty["proportion"].shape == (0,) and empty["seed"].dtype == torch.long and empty["seed"].shape == (0,)


def test_family_options_per_seed():
    every = batch_views._options_of(None)
    assert every(3) == {name: True for name in batch_views.FAMILIES} and every(4) == every(3)
    assert batch_views.FAMILIES == ("face_features", "rods", "blobs", "ribs", "vessels", "clusters", "shells",
                                    "perspective")
    given = {"rods": True}
    fixed = batch_views._options_of(given)
    assert fixed(1) == given and fixed(1) is not given
    by_seed = lambda seed: {"rods": seed % 2 == 0}  # noqa: E731
    assert batch_views._options_of(by_seed) is by_seed


# ---- streams -----------------------------------------------------------------------------------------

def test_each_views_ink_and_pen_come_from_its_own_streams(monkeypatch):
    asked = []
    monkeypatch.setattr(batch_views.batch_ink, "plan", lambda mask, rng, pen=None: asked.append((mask, rng, pen)) or len(asked))
    masks = np.zeros((4, 3, 3), bool)
    assert batch_views.plans(7, masks, even_lines=True) == [1, 2, 3, 4]
    for k, (mask, rng, pen) in enumerate(asked):
        assert mask is masks[k] or np.shares_memory(mask, masks)
        assert rng.random() == np.random.default_rng([7, 21, k]).random()
        side = np.random.default_rng([7, 22, k])
        if side.random() < ink.EVEN_SHARE:
            assert pen.random() == side.random()                     # the pen goes on after its share draw
        else:
            assert pen is None
    assert {a[2] is None for a in asked} == {True, False}              # these seeds give both
    asked.clear()
    batch_views.plans(7, masks, even_lines=False)
    assert all(pen is None for _, _, pen in asked)


def test_each_views_dashes_come_from_its_own_stream(monkeypatch):
    asked = []
    monkeypatch.setattr(batch_views.ink, "_cells_on",
                        lambda shape, rng, period, keep: asked.append((shape, rng.random(), period, keep)) or "cells")
    cells = batch_views.hidden_cells(3, 12, 100)
    drawn = [k for k in range(12) if np.random.default_rng([3, 23, k]).random() < dataset.HIDDEN_SHARE]
    assert [k for k, c in enumerate(cells) if c is not None] == drawn and 0 < len(drawn) < 12
    assert all(c == "cells" for c in cells if c is not None)
    for (shape, after, period, keep), k in zip(asked, drawn):
        side = np.random.default_rng([3, 23, k])
        side.random()
        assert shape == (100, 100) and after == side.random() and period == 3.0 and keep == 0.65
    asked.clear()
    batch_views.hidden_cells(3, 12, 400)
    assert {a[2] for a in asked} == {8.0}                              # 400 / 50


# ---- one seed ----------------------------------------------------------------------------------------

class Traced:
    """solids() and the tracer stood in: solid s shows `covers[s][k]` pixels of view k."""

    def __init__(self, monkeypatch, covers):
        self.covers, self.asked = covers, []
        monkeypatch.setattr(batch_views, "solids", self.solids)
        monkeypatch.setattr(batch_views.render, "trace_views", self.trace)
        monkeypatch.setattr(batch_views, "_inked", self.inked)
        monkeypatch.setattr(batch_views.render, "hidden_layers_views", lambda *a: ("layers", a))

    def solids(self, seed, count, options, device):
        self.asked.append(("solids", seed, count, options, device))
        for s in range(len(self.covers)):
            yield f"solid {s}", [f"cam {s}.{k}" for k in range(count)], "info"

    def trace(self, shape, cams, size, device=None):
        self.asked.append(("trace", shape, cams, size, device))
        s = int(shape.split()[1])
        mask = torch.zeros(len(cams), size, size, dtype=torch.bool)
        for k, cover in enumerate(self.covers[s]):
            mask[k].view(-1)[:cover] = True
        normals = torch.arange(len(cams), dtype=torch.float32)[:, None, None, None].expand(-1, size, size, 3)
        return mask, torch.arange(len(cams), dtype=torch.float32)[:, None, None].expand(-1, size, size), normals

    def inked(self, seeds, shapes, cams, mask, depth, normals, size, even_lines, layers_of):
        self.asked.append(("inked", seeds, shapes, cams, mask, depth, size, even_lines))
        self.normals = normals
        self.layers = layers_of(shapes, cams, size, "depth", "mask")
        return "drawings"


def test_a_seeds_views_are_those_a_camera_sees_of_its_first_seen_solid(monkeypatch):
    # 10 × 10 views: 1 pixel is 1 %, not over it; the first solid is seen by no camera, the second by two
    traced = Traced(monkeypatch, [[1, 0, 1], [2, 1, 5]])
    assert batch_views.views(4, 3, 10, device="cpu", options=lambda seed: {"rods": seed}, even_lines=False) == "drawings"
    assert traced.asked[0] == ("solids", 4, 3, {"rods": 4}, "cpu")
    assert [(a[1], a[4]) for a in traced.asked if a[0] == "trace"] == [("solid 0", "cpu"), ("solid 1", "cpu")]
    assert traced.normals[:, 0, 0, 0].tolist() == [0.0, 2.0] and traced.normals.shape == (2, 10, 10, 3)
    _, seeds, shapes, cams, mask, depth, size, even = traced.asked[-1]
    assert seeds == [4] and shapes == ["solid 1"] and cams == [["cam 1.0", "cam 1.2"]]
    assert mask.sum((1, 2)).tolist() == [2, 5] and depth[:, 0, 0].tolist() == [0.0, 2.0]
    assert size == 10 and even is False
    assert traced.layers == ("layers", ("solid 1", ["cam 1.0", "cam 1.2"], 10, "depth", "mask"))


def test_a_seed_gives_up_after_eight_solids(monkeypatch):
    traced = Traced(monkeypatch, [[0, 1]] * 9)
    batch_views.views(5, 2, 10)
    assert len([a for a in traced.asked if a[0] == "trace"]) == batch_views.TRIES == 8
    inked = traced.asked[-1]
    assert inked[2] == ["solid 7"] and inked[3] == [[]] and inked[4].shape == (0, 10, 10) and inked[7] is True
    assert traced.asked[0][3] == {name: True for name in batch_views.FAMILIES}


# ---- several seeds -----------------------------------------------------------------------------------

class Together:
    """drawn(), framing and the tracer of several solids stood in: seed s's solid j shows covers[s][j][k]
    pixels of view k."""

    def __init__(self, monkeypatch, covers):
        self.covers, self.asked = covers, []
        monkeypatch.setattr(batch_views, "drawn", self.drawn)
        monkeypatch.setattr(batch_views.render, "frame_solids", self.frame)
        monkeypatch.setattr(batch_views.render, "trace_solids", self.trace)
        monkeypatch.setattr(batch_views, "_inked", self.inked)

    def drawn(self, seed, count, options):
        self.asked.append(("drawn", seed, count, options))
        for j in range(len(self.covers[seed])):
            yield f"{seed}/{j}", [f"cam {seed}/{j}.{k}" for k in range(count)], "info", f"rng {seed}"

    def frame(self, shapes, cams, rngs, device=None):
        self.asked.append(("frame", shapes, rngs, device))
        return [[c + " framed" for c in cs] for cs in cams]

    def trace(self, shapes, cams, size, device=None):
        self.asked.append(("trace", shapes, device))
        masks = []
        for shape, cs in zip(shapes, cams):
            seed, j = map(int, shape.split("/"))
            for k in range(len(cs)):
                m = torch.zeros(size * size, dtype=torch.bool)
                m[:self.covers[seed][j][k]] = True
                masks.append(m.view(size, size))
        mask = torch.stack(masks)
        return mask, mask.float() * 2, mask[..., None].float().expand(-1, -1, -1, 3) * 3

    def inked(self, seeds, shapes, cams, mask, depth, normals, size, even_lines, layers_of):
        self.asked.append(("inked", seeds, shapes, cams, mask.sum((1, 2)).tolist(), even_lines, layers_of))
        self.given = (mask, depth, normals, size)
        return {"image": mask}


def test_several_seeds_traced_together_and_redrawn_apart(monkeypatch):
    # seed 0: seen at once by view 0; seed 1: its first solid unseen (1 pixel is 1 %, not over it), its
    # second seen by view 1; seed 2: never seen; seed 3: seen at once by view 1
    covers = {0: [[5, 0]], 1: [[0, 1], [1, 3]], 2: [[0, 0]] * 9, 3: [[0, 4]]}
    together = Together(monkeypatch, covers)
    got = batch_views.many([0, 1, 2, 3], 2, 10, device="cpu", options=lambda seed: {"seed": seed})
    assert [a[1:] for a in together.asked if a[0] == "drawn"] == [(s, 2, {"seed": s}) for s in range(4)]
    traces = [a[1] for a in together.asked if a[0] == "trace"]
    assert traces[:2] == [["0/0", "1/0", "2/0", "3/0"], ["1/1", "2/1"]] and len(traces) == batch_views.TRIES
    assert all(t == [f"2/{j}"] for j, t in enumerate(traces[2:], 2))   # only the unseen seed goes on
    assert {a[2] for a in together.asked if a[0] == "trace"} == {"cpu"}
    frames = [a for a in together.asked if a[0] == "frame"]
    assert frames[0][1:] == (["0/0", "1/0", "2/0", "3/0"], ["rng 0", "rng 1", "rng 2", "rng 3"], "cpu")
    _, seeds, shapes, cams, covered, even, layers_of = together.asked[-1]
    assert seeds == [0, 1, 3] and shapes == ["0/0", "1/1", "3/0"] and even is True
    assert cams == [["cam 0/0.0 framed"], ["cam 1/1.1 framed"], ["cam 3/0.1 framed"]] and covered == [5, 3, 4]
    assert layers_of is batch_views.render.hidden_layers_solids
    mask, depth, normals, size = together.given
    assert torch.equal(depth, mask.float() * 2) and torch.equal(normals[..., 0], mask.float() * 3) and size == 10
    assert got["seed"].tolist() == [0, 1, 3] and got["seed"].dtype == torch.long


def test_seeds_all_seen_at_once_are_traced_once(monkeypatch):
    together = Together(monkeypatch, {5: [[3]], 6: [[2]]})
    got = batch_views.many([5, 6], 1, 10, even_lines=False)
    assert len([a for a in together.asked if a[0] == "trace"]) == 1 and got["seed"].tolist() == [5, 6]
    assert together.asked[-1][5] is False


def test_several_seeds_none_seen_give_an_empty_batch(monkeypatch):
    Together(monkeypatch, {3: [[0]] * 9})
    got = batch_views.many([3], 1, 12)
    assert got["image"].shape == (0, 12, 12, 3) and got["seed"].shape == (0,)


# ---- inking a batch ----------------------------------------------------------------------------------

def test_dashed_views_are_picked_out_across_seeds(monkeypatch):
    asked = {}
    x, y, z, v = (np.eye(4, k=k, dtype=bool) for k in (0, 1, 2, 3))
    cells = {8: [None, x], 9: [y, None, z], 10: [v]}
    monkeypatch.setattr(batch_views, "hidden_cells", lambda seed, n, size: asked.setdefault("cells", []).append((seed, n, size)) or cells[seed])
    monkeypatch.setattr(batch_views, "plans", lambda seed, masks, even: asked.setdefault("plans", []).append((seed, masks.copy(), even)) or [f"plan {seed}"] * len(masks))

    def hidden_lines(mask, depth, normals, layers, on):
        asked["hidden"] = (mask.sum((1, 2)).tolist(), depth[:, 0, 0].tolist(), normals[:, 0, 0, 0].tolist(), layers, on)
        return torch.ones_like(mask)

    def draw(mask, depth, normals, plans, hidden):
        asked["draw"] = (plans, hidden.any(2).any(1).tolist(), mask.sum((1, 2)).tolist(), depth[:, 0, 0].tolist(),
                         normals[:, 0, 0, 0].tolist())
        return "images"
    monkeypatch.setattr(batch_views.batch_ink, "hidden_lines", hidden_lines)
    monkeypatch.setattr(batch_views.batch_ink, "draw", draw)
    monkeypatch.setattr(batch_views, "_proportion", lambda m, d, cam: cam.half_size)
    mask = torch.zeros(6, 4, 4, dtype=torch.bool)
    for k in range(6):
        mask[k].view(-1)[:k + 1] = True                                   # view k covers k + 1 pixels
    depth = torch.arange(6, dtype=torch.float32)[:, None, None].expand(6, 4, 4) * mask
    normals = depth[..., None].expand(6, 4, 4, 3) * 10
    cams = [[_cam(1.0), _cam(2.0)], [_cam(3.0), _cam(4.0), _cam(5.0)], [_cam(6.0)]]
    layers = []
    out = batch_views._inked([8, 9, 10], ["A", "B", "C"], cams, mask, depth, normals, 4, True,
                             lambda shapes, cams, size, d, m: layers.append((shapes, cams, size, m.sum((1, 2)).tolist(),
                                                                             d[:, 0, 0].tolist())) or "layers")
    assert asked["cells"] == [(8, 2, 4), (9, 3, 4), (10, 1, 4)]
    assert [(s, m.sum((1, 2)).tolist(), e) for s, m, e in asked["plans"]] == [(8, [1, 2], True), (9, [3, 4, 5], True),
                                                                              (10, [6], True)]
    assert layers == [(["A", "B", "C"], [[cams[0][1]], [cams[1][0], cams[1][2]], [cams[2][0]]], 4, [2, 3, 5, 6],
                       [1.0, 2.0, 4.0, 5.0])]
    assert asked["hidden"][:4] == ([2, 3, 5, 6], [1.0, 2.0, 4.0, 5.0], [10.0, 20.0, 40.0, 50.0], "layers")
    assert torch.equal(asked["hidden"][4], torch.from_numpy(np.stack([x, y, z, v])))
    assert asked["draw"] == (["plan 8"] * 2 + ["plan 9"] * 3 + ["plan 10"], [False, True, True, False, True, True],
                             [1, 2, 3, 4, 5, 6], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], [0.0, 10.0, 20.0, 30.0, 40.0, 50.0])
    assert out["image"] == "images" and out["mask"] is mask
    assert out["proportion"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0] and out["proportion"].dtype == torch.float32
    assert torch.equal(out["nearness"], batch_views.nearness(depth, mask))


def test_a_batch_without_dashed_views_traces_no_hidden_layers(monkeypatch):
    monkeypatch.setattr(batch_views, "hidden_cells", lambda seed, n, size: [None] * n)
    monkeypatch.setattr(batch_views, "plans", lambda seed, masks, even: [None] * len(masks))
    drawn = {}
    monkeypatch.setattr(batch_views.batch_ink, "draw", lambda m, d, n, plans, hidden: drawn.setdefault("hidden", hidden))
    mask = torch.ones(2, 3, 3, dtype=torch.bool)

    def layers_of(*a):
        raise AssertionError("no hidden layers to trace")
    out = batch_views._inked([1], ["A"], [[_cam(), _cam()]], mask, torch.ones(2, 3, 3), torch.zeros(2, 3, 3, 3), 3,
                             False, layers_of)
    assert out["image"].dtype == torch.bool and not out["image"].any()


# ---- a seed's solids ---------------------------------------------------------------------------------

def test_a_seeds_solids_and_cameras_come_from_its_own_stream(monkeypatch):
    asked = []
    monkeypatch.setattr(batch_views.dataset, "options_for", lambda seed, offset, **flags: asked.append(("options", seed, offset, flags)) or OPTS)
    monkeypatch.setattr(batch_views.dataset, "figure", lambda rng, opts: asked.append(("figure", rng.random(), opts)) or
                        (f"shape {len(asked)}", "cam 0", "info", "view"))
    drawn_with = []
    monkeypatch.setattr(batch_views.dataset, "camera", lambda rng, viewer: drawn_with.append(rng) or asked.append(("camera", viewer)) or ("cam", "kind"))
    stream = batch_views.drawn(7, 3, {"rods": True})
    shape, cams, info, rng = next(stream)
    reference = np.random.default_rng([7, 20])
    assert asked[:2] == [("options", 7, 30, {"rods": True}), ("figure", reference.random(), OPTS)]
    assert asked[2:] == [("camera", "viewer")] * 2 and cams == ["cam 0", "cam", "cam"] and info == "info"
    assert rng.random() == reference.random() and drawn_with == [rng, rng]   # the same generator goes on
    assert next(stream)[0] == "shape 5" and len(asked) == 7            # endless, one solid at a time
    monkeypatch.setattr(batch_views.render, "frame_views", lambda shape, cams, rng, device=None: asked.append(("frame", shape, cams, rng.random(), device)) or ["framed"])
    shape, framed, info = next(batch_views.solids(7, 1, {}, device="cpu"))
    reference = np.random.default_rng([7, 20])
    reference.random()                                                 # the figure's draw, then framing's
    assert framed == ["framed"] and asked[-1] == ("frame", shape, ["cam 0"], reference.random(), "cpu") and info == "info"


class _Options:
    viewer = "viewer"


OPTS = _Options()

"""One training sample (training/synth/dataset.py): its nearness scaling worked out by hand, each
option's own generator, the camera's perspective swap, and what a seed's sample holds (how many figures,
where they sit, which get hidden lines), checked on small drawings."""
import math

import numpy as np
import pytest

pytest.importorskip("torch")
from tests.training.draws import FirstThen, Scripted  # noqa: E402
from training.synth import dataset, render  # noqa: E402


def test_nearness_by_hand():
    depth = np.array([[1.0, 2.0, 9.0], [3.0, 4.0, 9.0]], np.float32)
    mask = np.array([[True, True, False], [True, True, False]])
    near = dataset._nearness(depth, mask)
    assert near.dtype == np.float32
    assert near.ravel().tolist() == pytest.approx([1.0, 2 / 3, 0.0, 1 / 3, 0.0, 0.0])   # (4 − d) / 3, 0 outside
    flat = np.where(mask, 5.0, 9.0).astype(np.float32)
    assert dataset._nearness(flat, mask).tolist() == [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0]]   # square-on: all near
    nearly = flat.copy()
    nearly[0, 0] += 0.9e-4                 # a range of 1e-4 or less counts as flat …
    assert dataset._nearness(nearly, mask)[mask].tolist() == [1.0] * 4
    nearly[0, 0] += 0.2e-4                 # … just over it is scaled
    assert dataset._nearness(nearly, mask)[0, :2].tolist() == pytest.approx([0.0, 1.0])
    assert not dataset._nearness(depth, np.zeros_like(mask)).any()


def test_unit_depth_by_hand():
    depth = np.array([[2.0, 4.0], [6.0, 100.0]])
    mask = np.array([[True, True], [True, False]])
    assert dataset._unit(depth, mask).ravel().tolist() == pytest.approx([0.0, 0.5, 1.0, 24.5])   # (d − 2) / 4
    flat = np.full((2, 2), 3.0)
    assert dataset._unit(flat, mask)[mask].tolist() == [0.0] * 3        # a flat figure: 0, not a division by 0
    assert dataset._unit(depth, np.zeros_like(mask)) is depth
    shallow = np.array([[0.0, 0.25], [0.5, 7.0]])
    assert dataset._unit(shallow, mask).ravel().tolist() == pytest.approx([0.0, 0.5, 1.0, 14.0])   # a range under 1


def test_each_option_has_its_own_generator():
    names = ("face_features", "rods", "blobs", "ribs", "vessels", "clusters", "shells", "perspective")
    none = dataset.options_for(5)
    assert all(g is None for g in none[:8]) and none.rod_share == dataset.ROD_SHARE
    for k, name in enumerate(names):
        options = dataset.options_for(5, **{name: True}, rod_share=0.4, offset=100)
        assert [g is not None for g in options[:8]] == [j == k for j in range(8)]
        own = np.random.default_rng([5, 100 + k + 2])          # keys 2 … 9 after the offset
        assert options[k].random() == own.random() and options.rod_share == 0.4
        plain = dataset.options_for(5, **{name: True})                 # sample's keys: offset 0
        assert plain[k].random() == np.random.default_rng([5, k + 2]).random()


def test_the_perspective_option_swaps_the_camera():
    plain, view = dataset.camera(np.random.default_rng(1))
    want, want_view = render.random_camera(np.random.default_rng(1))
    assert view == want_view and np.array_equal(plain.forward, want.forward)
    kept, view = dataset.camera(np.random.default_rng(1), Scripted(dataset.PERSPECTIVE_SHARE))   # 0.4: not under it
    assert view == want_view and np.array_equal(kept.forward, want.forward)
    viewer = np.random.default_rng(7)
    swapped, view = dataset.camera(np.random.default_rng(1), FirstThen(viewer, 0.39))
    assert view == "perspective" and swapped.perspective > 0
    again = np.random.default_rng(7)
    assert np.array_equal(swapped.forward, render.random_camera(again, "perspective")[0].forward)


OPTION_SHARES = {"rodder": dataset.ROD_SHARE, "blobber": dataset.BLOB_SHARE, "shaper": dataset.VESSEL_SHARE,
                 "grouper": dataset.CLUSTER_SHARE, "sheller": dataset.SHELL_SHARE, "ribber": dataset.RIB_SHARE,
                 "cutter": dataset.FACE_SHARE}
OPTION_KINDS = {"rodder": "rod:", "blobber": "blob:", "shaper": "vessel:", "grouper": "cluster:", "sheller": "shell:",
                "ribber": "plate"}


def _figure(seed, **generators):
    options = dataset.options_for(seed)._replace(**generators)
    return dataset.figure(np.random.default_rng(seed), options)


def test_each_option_replaces_the_figure_only_under_its_share():
    plain = _figure(3)[2]
    for name, kind in OPTION_KINDS.items():
        share = OPTION_SHARES[name]
        under = FirstThen(np.random.default_rng(11), share - 1e-9)
        assert _figure(3, **{name: under})[2].startswith(kind), name
        assert under.used > 0
        at = FirstThen(np.random.default_rng(11), share)
        assert _figure(3, **{name: at})[2] == plain and at.used == 0, name
    rods = dataset.options_for(3, rods=True, rod_share=0.5)._replace(rodder=FirstThen(np.random.default_rng(1), 0.45))
    assert dataset.figure(np.random.default_rng(3), rods)[2].startswith("rod:")   # the options' own rod share


def test_machined_faces_only_on_machined_figures():
    cut = None
    for seed in range(20):
        cutter = FirstThen(np.random.default_rng(seed), dataset.FACE_SHARE - 1e-9)
        info = _figure(seed, cutter=cutter)[2]
        if " -" in info:
            cut = info
            break
    assert cut is not None and cutter.used > 0                    # a face cut into a plain solid
    for name in ("blobber", "shaper", "grouper"):
        cutter = FirstThen(np.random.default_rng(0), 0.0)
        replaced = FirstThen(np.random.default_rng(5), 0.0)
        info = _figure(3, **{name: replaced, "cutter": cutter})[2]
        assert info.startswith(OPTION_KINDS[name]) and " -" not in info and cutter.used == 0, name


SEEDS = range(60)
SIZE = 24


def test_sixty_small_samples():
    """One test over the samples of 60 seeds (drawn here, not in a shared fixture, so a mutation run sees
    which test draws them)."""
    drawn = {seed: dataset.sample(seed, SIZE) for seed in SEEDS}
    _how_many_figures_and_which_get_hidden_lines(drawn)
    _what_a_sample_holds(drawn)
    _several_figures_sit_side_by_side_each_scaled_alone(drawn)


def _how_many_figures_and_which_get_hidden_lines(drawn):
    counts = {seed: s["info"].count(" | ") + 1 for seed, s in drawn.items()}
    assert sum(c == 1 for c in counts.values()) / len(SEEDS) == pytest.approx(0.8, abs=0.1)
    assert {1, 2, 3} == set(counts.values())
    for seed, sample in drawn.items():
        hidden = "hidden lines" in sample["info"]
        assert sample["info"].count(" @ ") == counts[seed]                     # each figure's words and view kept
        # a generator of the seed's own decides, on single figures only
        assert hidden == (counts[seed] == 1 and np.random.default_rng([seed, 1]).random() < dataset.HIDDEN_SHARE)
        assert ("even lines" in sample["info"]) is False


def _what_a_sample_holds(drawn):
    for seed, s in drawn.items():
        assert s["image"].shape == (SIZE, SIZE, 3) and s["image"].dtype == np.float32
        assert 0 <= s["image"].min() and s["image"].max() <= 1
        near, mask = s["nearness"], s["mask"]
        assert near.dtype == np.float32 and mask.dtype == bool and not near[~mask].any()
        assert near[mask].max() == pytest.approx(1.0) and near.min() >= 0
        assert s["planes"].dtype == np.int32 and not s["planes"][~mask].any()
        if " | " not in s["info"] and "@ perspective" not in s["info"]:
            assert s["proportion"] >= 0                                # a single orthographic figure has one


def _several_figures_sit_side_by_side_each_scaled_alone(drawn):
    several = {seed: s for seed, s in drawn.items() if " | " in s["info"]}
    assert several
    for seed, s in several.items():
        count = s["info"].count(" | ") + 1
        cell = SIZE // count
        top = (SIZE - cell) // 2
        rows = np.nonzero(s["mask"].any(1))[0]
        assert rows.min() >= top and rows.max() < top + cell          # in the middle band
        assert math.isnan(s["proportion"])
        labels, spread = [], 0
        for k in range(count):
            part = s["mask"][:, k * cell:(k + 1) * cell]
            near = s["nearness"][:, k * cell:(k + 1) * cell]
            if part.any() and np.ptp(near[part]) > 0:   # each figure scaled to the whole [0, 1] on its own
                assert near[part].max() == pytest.approx(1.0) and near[part].min() == pytest.approx(0.0)
                spread += 1
            own = set(np.unique(s["planes"][:, k * cell:(k + 1) * cell])) - {0}
            assert not own & set(labels)                              # each figure's faces numbered apart
            labels += list(own)
        assert spread >= 1                                             # not every figure flat


def _figure_count(seed):
    """How many figures the sample of `seed` holds: its generator's first draw."""
    return int(np.random.default_rng(seed).choice([1, 2, 3], p=[0.8, 0.14, 0.06]))


def test_a_single_figure_sample_is_its_traced_view():
    seed = next(s for s in range(50) if _figure_count(s) == 1)
    sample = dataset.sample(seed, SIZE)
    rng = np.random.default_rng(seed)
    assert int(rng.choice([1, 2, 3], p=[0.8, 0.14, 0.06])) == 1
    mask, depth, normals, info, _ = dataset._one(rng, SIZE, dataset.options_for(seed))
    assert np.array_equal(sample["mask"], mask) and sample["info"].startswith(info)
    assert np.array_equal(sample["nearness"], dataset._nearness(depth, mask))


def test_a_figure_hands_its_camera_to_what_it_cuts_and_builds(monkeypatch):
    from training.synth import faces, shells, solids
    seen = {}
    def cut(shape, rng, forward):
        seen["cut"] = forward
        return shape, " -cut"
    monkeypatch.setattr(faces, "cut_face", cut)
    monkeypatch.setattr(solids, "random_plate", lambda rng, axis: (seen.setdefault("plate", axis), "outline", "plate"))
    monkeypatch.setattr(faces, "rib_lattice", lambda shape, outline, rng, forward:
                        (seen.setdefault("ribs", (shape, outline, forward)), " -ribbed"))
    monkeypatch.setattr(shells, "random_shell", lambda rng, forward: (seen.setdefault("shell", forward), "shell:x"))
    shape, cam, info, view = _figure(3, cutter=FirstThen(np.random.default_rng(0), 0.0))
    assert info.endswith(" -cut") and len(info) > len(" -cut") and seen["cut"] is cam.forward   # the solid's own words kept
    shape, cam, info, _ = _figure(3, ribber=FirstThen(np.random.default_rng(0), 0.0))
    assert seen["plate"] == int(np.argmax(np.abs(cam.forward))) and seen["ribs"][1] == "outline"
    assert seen["ribs"][2] is cam.forward and info == "plate -ribbed"
    shape, cam, info, _ = _figure(3, sheller=FirstThen(np.random.default_rng(0), 0.0))
    assert seen["shell"] is cam.forward and info == "shell:x"
    _, cam, _, view = _figure(3, viewer=FirstThen(np.random.default_rng(0), 0.0))
    assert view == "perspective" and cam.perspective > 0        # the perspective option's own camera


def test_a_speck_or_a_miss_is_drawn_again_up_to_eight_times(monkeypatch):
    sums = iter([0, 1, 1, 2])                 # at 10², 1 % is 1 pixel: a figure needs more
    calls = []

    def traced(shape, cam, size):
        mask = np.zeros((size, size), bool)
        mask.flat[:next(sums)] = True
        return mask, np.zeros((size, size)), np.zeros((size, size, 3))
    monkeypatch.setattr(dataset, "figure", lambda rng, options: (calls.append(1), None, "cam", "solid", "front")[1:])
    monkeypatch.setattr(dataset.render, "frame", lambda shape, cam, rng: cam)
    monkeypatch.setattr(dataset.render, "trace", traced)
    mask, _, _, info, (shape, cam) = dataset._one(None, 10, None)
    assert mask.sum() == 2 and len(calls) == 4 and info == "solid @ front"
    sums = iter([0] * 20)
    calls.clear()
    mask = dataset._one(None, 10, None)[0]
    assert len(calls) == 8 and mask.sum() == 0  # eight tries, then the last is kept


def test_what_a_sample_hands_on(monkeypatch):
    """sample's plumbing, with the tracing and inking stood in: the options it asks for, the hidden lines'
    period and buffers, what it gives ink.draw, and the words it adds."""
    from training.synth import ink, truth
    seen = {}

    def one(rng, size, options):
        seen["options"] = options
        seen["normals"] = np.zeros((size, size, 3), np.float32)
        grown = np.zeros((size, size), bool)
        grown[size // 4:size // 2, size // 4:size // 2] = True
        return grown, np.where(grown, 0.5, 0.0), seen["normals"], "box @ front", ("shape", "cam")

    def hidden(m, d, n, layers, side, period, visible):
        seen["hidden"] = (n is seen["normals"], layers, period, visible)
        return "dashes"

    def drawing(m, d, n, rng, style, hidden_map, visible, pen):
        seen["draw"] = (style, hidden_map, visible, pen)
        return np.zeros(m.shape + (3,), np.float32)
    monkeypatch.setattr(dataset, "_one", one)
    monkeypatch.setattr(truth, "of_view", lambda m, d, n, cam: (np.zeros(m.shape, np.int32), 0.25))
    monkeypatch.setattr(dataset.render, "hidden_layers", lambda shape, cam, size, d, m: ["layers"])
    monkeypatch.setattr(ink, "visible_lines", lambda m, d, n: "visible")
    monkeypatch.setattr(ink, "hidden_lines", hidden)
    monkeypatch.setattr(ink, "draw", drawing)
    single = [s for s in range(200) if _figure_count(s) == 1]
    with_hidden = next(s for s in single if np.random.default_rng([s, 1]).random() < dataset.HIDDEN_SHARE)
    pen_seed = next(s for s in single if s != with_hidden and ink.even_pen(s) is not None
                    and np.random.default_rng([s, 1]).random() >= dataset.HIDDEN_SHARE)
    out = dataset.sample(with_hidden, 100, style="fill", rods=True, shells=True, rod_share=0.3)
    assert out["info"] == "box @ front + hidden lines" and out["proportion"] == 0.25
    assert seen["hidden"] == (True, ["layers"], 3.0, "visible")            # period max(3, 100 / 50)
    assert seen["draw"] == ("fill", "dashes", "visible", None)
    options = seen["options"]
    assert [g is not None for g in options[:8]] == [False, True, False, False, False, False, True, False]
    assert options.rod_share == 0.3 and options[1].random() == np.random.default_rng([with_hidden, 3]).random()
    dataset.sample(with_hidden, 200)
    assert seen["hidden"][2] == 4.0                                          # 200 / 50
    flags = dict(face_features=True, blobs=True, ribs=True, vessels=True, clusters=True, perspective=True)
    dataset.sample(with_hidden, 100, **flags)
    assert [g is not None for g in seen["options"][:8]] == [True, False, True, True, True, True, False, True]
    out = dataset.sample(pen_seed, 100, even_lines=True)
    assert out["info"] == "box @ front + even lines" and seen["draw"][1:3] == (None, None)
    assert seen["draw"][3].random() == _pen_after_its_draw(pen_seed)
    assert dataset.sample(pen_seed, 100)["info"] == "box @ front" and seen["draw"][3] is None


def _pen_after_its_draw(seed):
    pen = np.random.default_rng([seed, 10])
    pen.random()
    return pen.random()


def test_several_figures_by_hand(monkeypatch):
    """Two figures, traced as stand-ins: each 12² cell holds a ramp from depth 2 to 4 (100 behind it) and two
    flat faces; the sample scales each ramp to [0, 1] alone and numbers the faces on."""
    from training.synth import ink, truth
    seed = next(s for s in range(100) if _figure_count(s) == 2)

    def one(rng, size, options):
        m = np.zeros((size, size), bool)
        m[2:10, 2:10] = True
        d = np.where(m, 2.0 + np.arange(size)[None, :] * 0.25, 100.0)
        return m, d, np.zeros((size, size, 3)), "box @ front", ("shape", "cam")

    def faces_of(m, d, n, cam):
        labels = np.zeros(m.shape, np.int32)
        labels[2:6, 2:10], labels[6:10, 2:10] = 1, 2
        return labels, 0.25
    monkeypatch.setattr(dataset, "_one", one)
    monkeypatch.setattr(truth, "of_view", faces_of)
    monkeypatch.setattr(ink, "draw", lambda m, *rest: np.zeros(m.shape + (3,), np.float32))
    out = dataset.sample(seed, 24)
    assert out["info"] == "box @ front | box @ front" and np.isnan(out["proportion"])
    top = (24 - 12) // 2
    want = np.zeros((24, 24), bool)
    want[top + 2:top + 10, 2:10] = want[top + 2:top + 10, 14:22] = True
    assert np.array_equal(out["mask"], want)
    ramp = 1 - (np.arange(2, 10) - 2) / 7                  # nearness: the nearest column 1, the farthest 0
    assert out["nearness"][top + 2, 2:10] == pytest.approx(ramp) and out["nearness"][top + 2, 14:22] == pytest.approx(ramp)
    assert out["planes"].dtype == np.int32
    assert set(np.unique(out["planes"][:, :12])) == {0, 1, 2} and set(np.unique(out["planes"][:, 12:])) == {0, 3, 4}
    assert not out["planes"][~want].any()

"""Every make_cache option (face features, rods, blobs, ribs, vessels, clusters, shells, perspective, even lines)
changes only the drawings its own generator picks, leaves the rest exactly as without it (so the test and
validation splits and earlier caches stay valid), and is seeded."""
import numpy as np
import pytest

pytest.importorskip("torch")
from training.synth import dataset  # noqa: E402

OPTIONS = [  # (options on, the extra option under test, words its figures carry in "info", seeds)
    ({}, "face_features", ("face_pocket", "pocket_grid", "counterbore", "-step"), range(12)),
    ({}, "rods", ("rod:",), range(16)),
    ({"rods": True}, "blobs", ("blob:",), range(12)),
    ({}, "ribs", ("ribbed",), range(20)),
    ({"blobs": True}, "vessels", ("vessel:",), range(16)),
    ({"vessels": True}, "clusters", ("cluster:",), range(12)),
    ({"clusters": True}, "shells", ("shell:",), range(12)),
    ({"rods": True}, "perspective", ("@ perspective",), range(12)),
    ({"rods": True}, "even_lines", ("even lines",), range(12)),
]


@pytest.mark.parametrize("base, option, marks, seeds", OPTIONS, ids=[o[1] for o in OPTIONS])
def test_option_changes_only_its_own_drawings_and_is_seeded(base, option, marks, seeds):
    changed = 0
    for seed in seeds:
        plain = dataset.sample(seed, 40, **base)
        varied = dataset.sample(seed, 40, **base, **{option: True})
        if any(m in varied["info"] for m in marks):
            changed += 1
            again = dataset.sample(seed, 40, **base, **{option: True})
            assert np.array_equal(again["image"], varied["image"])
            assert np.array_equal(again["nearness"], varied["nearness"])
        else:
            assert np.array_equal(plain["image"], varied["image"]) and plain["info"] == varied["info"]
    assert 0 < changed < len(seeds)


def test_a_higher_rod_share_makes_more_rods_and_keeps_the_rest_of_each_drawing_in_step():
    seeds = range(24)
    usual = [dataset.sample(s, 40, rods=True)["info"] for s in seeds]
    assert usual == [dataset.sample(s, 40, rods=True, rod_share=dataset.ROD_SHARE)["info"] for s in seeds]
    more = [dataset.sample(s, 40, rods=True, rod_share=0.6)["info"] for s in seeds]
    count = lambda infos: sum(i.count("rod:") for i in infos)  # noqa: E731
    assert count(more) >= count(usual) + 6
    for a, b in zip(usual, more):   # a figure that was a rod stays one, drawn the same way
        if "rod:" in a and "|" not in a:
            assert a == b


def test_perspective_sees_many_more_figures_in_perspective():
    seeds = range(24)
    count = lambda **o: sum(dataset.sample(s, 40, **o)["info"].count("@ perspective") for s in seeds)  # noqa: E731
    assert count(perspective=True) >= count() + 5


def test_every_make_cache_flag_is_an_option_tested_above_and_reaches_the_generator(tmp_path, monkeypatch):
    import sys
    from training import make_cache
    assert set(make_cache.OPTIONS) == {o[1] for o in OPTIONS}
    seen, real = [], dataset.sample
    monkeypatch.setattr(dataset, "sample", lambda seed, size, **options: seen.append(options) or real(seed, size))
    monkeypatch.setattr(sys, "argv", ["make_cache", "--size", "16", "--start", "0", "--count", "1", "--out", str(tmp_path),
                                      "--perspective", "--face-features", "--rod-share", "0.5"])
    make_cache.main()
    assert seen == [{name: name in ("perspective", "face_features") for name in make_cache.OPTIONS} | {"rod_share": 0.5}]

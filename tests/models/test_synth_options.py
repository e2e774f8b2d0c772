"""Every make_cache option (face features, rods, blobs, ribs, vessels, clusters, shells) changes only the drawings its own generator
picks, leaves the rest exactly as without it (so the test and validation splits and earlier caches stay
valid), and is seeded."""
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

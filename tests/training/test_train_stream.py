"""Training batches drawn from cache shards (shapes; shrunk batches averaged rather than aliased) and the
validation set with held-out shard folders joined to it."""
import numpy as np
import pytest

from training.train import ShardStream


def _write_shard(folder, size=64, count=4):
    yy, xx = np.mgrid[:size, :size]
    checker = ((yy + xx) % 2 * 255).astype(np.uint8)        # 1-px lines, the worst case for aliasing
    image = np.repeat(checker[None, :, :, None], 3, axis=3).repeat(count, axis=0)
    nearness = np.full((count, size, size), 30000, np.uint16)
    mask = np.ones((count, size, size), bool)
    np.savez(folder / "shard-0000.npz", image=image, nearness=nearness, mask=mask)


def test_batches_keep_the_cache_size_when_asked_for_it(tmp_path):
    _write_shard(tmp_path)
    img, near, mask = next(ShardStream([tmp_path], batch=2, size=64, seed=0, scales=[64]).batches())
    assert img.shape == (2, 3, 64, 64) and near.shape == (2, 64, 64) and mask.shape == (2, 64, 64)


def test_shrunk_batches_average_fine_lines_instead_of_aliasing_them(tmp_path):
    _write_shard(tmp_path)
    img, near, mask = next(ShardStream([tmp_path], batch=2, size=64, seed=0, scales=[48]).batches())
    assert img.shape[-2:] == (48, 48) and near.shape[-2:] == (48, 48)
    # averaged, a 1-px checkerboard is an even grey; point-sampled it would be a moiré of 0 … 1
    assert abs(float(img.mean()) - 0.5) < 0.02
    assert float(img.std()) < 0.1
    assert np.allclose(near.numpy(), 30000 / 65535, atol=1e-4)


def test_validation_set_takes_in_held_out_shards_and_reports_each_part(tmp_path):
    import torch
    from depthy_blender.models.depthy import Depthy
    from training import train
    rng = np.random.default_rng(0)
    mask = np.zeros((3, 64, 64), bool)
    mask[:, 16:48, 16:48] = True
    np.savez(tmp_path / "val-64.npz", image=rng.random((3, 64, 64, 3), dtype=np.float32),
             nearness=rng.random((3, 64, 64), dtype=np.float32) * mask, mask=mask)
    folders = [tmp_path / "held-out", tmp_path / "other-library"]
    for folder, count in zip(folders, (2, 4)):
        folder.mkdir()
        _write_shard(folder, size=64, count=count)
    (img, near, m), parts = train.validation_set(64, tmp_path, folders)
    assert img.shape == (9, 3, 64, 64) and img.dtype == torch.float32 and float(img.max()) <= 1.0
    assert np.allclose(near[3:].numpy(), 30000 / 65535, atol=1e-6) and bool(m[3:].all())
    assert parts == [("synthetic", 0, 3), ("held-out", 3, 5), ("other-library", 5, 9)]
    assert train.validation_set(64, tmp_path)[1] == []
    torch.manual_seed(0)
    _, pooled, _, by_part = train.validate(Depthy().eval(), (img, near, m), parts=parts)
    assert set(by_part) == {"synthetic", "held-out", "other-library"}
    assert pooled == pytest.approx((3 * by_part["synthetic"] + 2 * by_part["held-out"] + 4 * by_part["other-library"]) / 9)

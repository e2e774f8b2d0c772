"""Training batches drawn from cache shards: shapes, and shrunk batches averaged rather than aliased."""
import numpy as np

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

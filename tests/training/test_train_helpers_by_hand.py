"""The CPU training loop's helpers (training/train.py) on tiny shards and stand-ins worked out by hand:
which shards a folder gives and their seeds, batches drawn across shards in the generator's order and
mirrored where it says, resized batches keeping about the same pixels, the validation set cached and
joined by held-out folders, a step's gradient clipped, validation scores by part, the warm-up's rates,
the csv log and the parts' text."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tests.training.draws import Scripted  # noqa: E402
from training import train  # noqa: E402


def _shard(path, seeds, size=2):
    n = len(seeds)
    image = np.stack([np.full((size, size, 3), s % 256, np.uint8) for s in seeds])
    image[:, :, 0] = 0                                                   # a dark left column, to see mirroring
    nearness = np.stack([np.full((size, size), s * 1000 % 65536, np.uint16) for s in seeds])
    nearness[:, :, 0] = 0                                                # and a far left column
    mask = np.zeros((n, size, size), bool)
    mask[:, 0, 0] = True
    np.savez(path, seeds=np.array(seeds), image=image, nearness=nearness, mask=mask)


def test_finished_shards_folder_by_folder_and_their_seeds(tmp_path):
    a, b = tmp_path / "b", tmp_path / "a"
    a.mkdir()
    b.mkdir()
    _shard(a / "shard-0001.npz", [3, 4])
    _shard(a / "shard-0000.npz", [1, 2])
    _shard(b / "shard-0000.npz", [9])
    _shard(a / "shard-0002.tmp.npz", [7])                                # still being written
    (a / "notes.npz").write_text("")
    assert [p.relative_to(tmp_path).as_posix() for p in train.shard_files([a, b])] == [
        "b/shard-0000.npz", "b/shard-0001.npz", "a/shard-0000.npz"]
    assert train.cache_seeds([a, b]).tolist() == [1, 2, 3, 4, 9]
    empty = train.cache_seeds([tmp_path / "none"])
    assert empty.dtype == np.int64 and empty.shape == (0,)
    drawings = train.shard_drawings([a])
    assert drawings["image"].dtype == np.float32 and drawings["image"][:, 0, 1, 0].tolist() == pytest.approx([1 / 255, 2 / 255, 3 / 255, 4 / 255])
    assert drawings["nearness"][:, 0, 1].tolist() == pytest.approx([1000 / 65535, 2000 / 65535, 3000 / 65535, 4000 / 65535])
    assert drawings["nearness"].dtype == np.float32
    assert drawings["mask"].dtype == bool and drawings["mask"][:, 0, 0].all()


def test_batches_across_shards_in_the_generators_order(tmp_path):
    _shard(tmp_path / "shard-0000.npz", [10, 11, 12])
    _shard(tmp_path / "shard-0001.npz", [20, 21])
    stream = train.ShardStream([tmp_path], batch=2, size=2, seed=0)
    # drawings 0–2 are the first shard's, 3–4 the second's; the order 4 0 2 3 1 makes two batches, the last
    # drawing left over; the first drawing of each batch mirrored
    stream.rng = Scripted(np.array([4, 0, 2, 3, 1]), np.array([0.1, 0.9]), np.array([0.5, 0.2]))
    batches = stream.batches()
    img, near, mask = next(batches)
    assert img.shape == (2, 3, 2, 2) and img.dtype == torch.float32 and near.dtype == torch.float32
    assert (img[:, 1, 0] * 255).round().tolist() == [[21, 0], [0, 10]]    # the first mirrored, the second not
    assert (near[:, 0] * 65535).round().tolist() == [[21000, 0], [0, 10000]]
    assert mask[0, 0].tolist() == [False, True] and mask[1, 0].tolist() == [True, False]
    img, _, _ = next(batches)
    assert (img[:, 1, 0] * 255).round().tolist() == [[0, 12], [20, 0]]   # 0.5 is not under 0.5: kept
    assert stream.rng.calls[0] == ("permutation", (np.int64(5),))
    assert [c[1] for c in stream.rng.calls[1:]] == [(2,), (2,)]


def test_a_cache_of_another_size_is_refused_in_one_line(tmp_path):
    _shard(tmp_path / "shard-0000.npz", [1, 2], size=4)
    with pytest.raises(ValueError) as refused:
        next(train.ShardStream([tmp_path], batch=2, size=8, seed=0).batches())
    assert str(refused.value) == "cache is 4², training asked for 8²"


def test_resized_batches_keep_about_the_same_pixels(tmp_path):
    _shard(tmp_path / "shard-0000.npz", list(range(8)), size=8)
    stream = train.ShardStream([tmp_path], batch=8, size=8, seed=0, scales=[4, 8, 16])
    stream.rng = Scripted(np.arange(8), np.ones(8), 16, np.arange(8), np.ones(8), 4, np.arange(8), np.ones(8), 8)
    batches = stream.batches()
    img, near, mask = next(batches)                                      # 16²: a quarter of the drawings, 2
    assert img.shape == (2, 3, 16, 16) and near.shape == (2, 16, 16) and mask.shape == (2, 16, 16) and mask.dtype == torch.bool
    # enlarged bilinearly from pixel centres (not corners): the second column sits a quarter of the way in
    assert (near[1, 0, :3] * 65535).tolist() == pytest.approx([0, 250, 750], abs=0.5)
    assert stream.rng.calls[2] == ("choice", ([4, 8, 16],))
    assert mask[0, :2, :2].all() and not mask[0, 2:, :].any()           # nearest: the corner pixel, twice as big
    img, near, mask = next(batches)                                      # 4²: four times as many, but only 8
    assert img.shape == (8, 3, 4, 4) and mask.shape == (8, 4, 4)
    # shrinking filters: the output's first column weighs input columns 0 and 1 at 0.75 and column 2 at 0.25
    # (the column left of the edge dropped): 4/7 of k, where sampling would give k / 2
    assert (img[3, 1, 1, 0] * 255).item() == pytest.approx(3 * 4 / 7, abs=0.01) and (img[3, 1, 1, 3] * 255).item() == pytest.approx(3, abs=0.01)
    assert (near[3, 1, 0] * 65535).item() == pytest.approx(3000 * 4 / 7, abs=0.5)        # nearness alike
    img, _, _ = next(batches)
    assert img.shape == (8, 3, 8, 8)                                     # the cache's own size: untouched
    assert stream.scales == [4, 8, 16]
    # two drawings enlarged four times over keep one, never none
    _shard(tmp_path / "shard-0000.npz", [1, 2], size=8)
    stream = train.ShardStream([tmp_path], batch=2, size=8, seed=0, scales=[32])
    assert next(stream.batches())[0].shape == (1, 3, 32, 32)


def test_a_stream_is_its_seeds_and_waits_when_there_are_too_few_drawings(tmp_path, monkeypatch):
    _shard(tmp_path / "shard-0000.npz", list(range(6)), size=2)
    draws = [[b[1][0] for b in zip(range(3), train.ShardStream([tmp_path], batch=2, size=2, seed=s).batches())] for s in (4, 4, 5)]
    assert all(torch.equal(a, b) for a, b in zip(draws[0], draws[1])) and not all(torch.equal(a, b) for a, b in zip(draws[0], draws[2]))
    slept = []

    class Waited(Exception):
        pass

    def sleep(seconds):
        slept.append(seconds)
        raise Waited
    monkeypatch.setattr(train.time, "sleep", sleep)
    exact = train.ShardStream([tmp_path], batch=6, size=2, seed=0).batches()
    next(exact), next(exact)                                             # exactly one batch each time: no wait
    assert slept == []
    with pytest.raises(Waited):
        next(train.ShardStream([tmp_path], batch=7, size=2, seed=0).batches())
    assert slept == [10]


def test_the_validation_set_is_drawn_once_and_held_out_folders_join_it(tmp_path, monkeypatch):
    drawn = []

    def sample(seed, size):
        drawn.append(seed)
        return {"image": np.full((size, size, 3), 0.5, np.float32), "nearness": np.zeros((size, size), np.float32),
                "mask": np.ones((size, size), bool)}
    monkeypatch.setattr(train.dataset, "sample", sample)
    monkeypatch.setattr(train, "VAL_SEEDS", range(5, 8))
    (images, near, mask), parts = train.validation_set(2, tmp_path)
    assert drawn == [5, 6, 7] and (tmp_path / "val-2.npz").exists() and parts == []
    assert images.shape == (3, 3, 2, 2) and images.is_contiguous(memory_format=torch.channels_last)
    held = tmp_path / "held"
    held.mkdir()
    _shard(held / "shard-0000.npz", [1, 2])
    other = tmp_path / "more"
    other.mkdir()
    _shard(other / "shard-0000.npz", [3])
    (images, near, mask), parts = train.validation_set(2, tmp_path, extra=[held, other])
    assert drawn == [5, 6, 7]                                            # the cached file is read
    assert parts == [("synthetic", 0, 3), ("held", 3, 5), ("more", 5, 6)]
    assert images.shape == (6, 3, 2, 2) and near.shape == (6, 2, 2) and mask.shape == (6, 2, 2)
    assert float(images[4, 1, 0, 1]) == pytest.approx(2 / 255) and float(near[5, 0, 1]) == pytest.approx(3000 / 65535)


class Fixed(torch.nn.Module):
    """A model whose outputs are given, batch after batch: channel 0 the nearness, channel 1 the mask's logits."""

    def __init__(self, out):
        super().__init__()
        self.out, self.at, self.weight = out, 0, torch.nn.Parameter(torch.ones(1))
        self.encoder = torch.nn.Module()
        for name in train.STEM:                                          # train_mode looks at the stem
            setattr(self.encoder, name, torch.nn.Identity())

    def forward(self, img):
        self.autocast = torch.is_autocast_enabled("cpu")
        self.at += len(img)
        return self.out[self.at - len(img): self.at] * self.weight


def test_validation_scores_by_hand(monkeypatch):
    monkeypatch.setattr(train.losses, "total", lambda out, near, mask, aligned: (torch.tensor(float(len(out))), {}))
    near = torch.tensor([[[0.0, 1.0]], [[0.0, 1.0]], [[0.0, 1.0]]])
    mask = torch.ones(3, 1, 2, dtype=torch.bool)
    out = torch.stack([torch.stack([torch.tensor([[0.0, 1.0]]), torch.ones(1, 2)]),           # exact, mask right
                       torch.stack([torch.tensor([[1.0, 0.0]]), -torch.ones(1, 2)]),          # inverted, no mask
                       torch.stack([torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, -1.0]])])])   # half the mask
    model = Fixed(out)
    model.train(False)
    loss, nrmse, iou, parts = train.validate(model, (torch.zeros(3, 3, 1, 2), near, mask), batch=2,
                                             parts=[("a", 0, 1), ("b", 1, 3)])
    assert loss == pytest.approx((2 * 2 + 1 * 1) / 3)                    # batches of 2 and 1, weighted by size
    assert iou == pytest.approx((1 + 0 + 0.5) / 3) and nrmse == pytest.approx(parts["a"] * 1 / 3 + parts["b"] * 2 / 3)
    assert parts["a"] == pytest.approx(0.0) and set(parts) == {"a", "b"} and model.training


def test_a_step_clips_the_gradient_to_five(monkeypatch):
    model = Fixed(torch.ones(1, 2, 1, 1))
    scale = [100.0]
    monkeypatch.setattr(train.losses, "total", lambda out, near, mask, aligned, weight: ((out * scale[0]).sum(),
                                                                                      {"w": weight, "given": (near, mask, aligned)}))
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    model.out = torch.ones(2, 2, 1, 1)
    loss, parts = train.train_step(model, opt, torch.zeros(1, 3, 1, 1), "near", "mask", "aligned", ssi_weight=0.3)
    assert float(loss.detach()) == pytest.approx(200.0) and parts == {"w": 0.3, "given": ("near", "mask", "aligned")}
    assert model.autocast is False
    assert float(model.weight.detach()) == pytest.approx(1.0 - 5.0)               # the gradient 200, clipped to 5
    scale[0] = 0.01
    model.weight.grad = torch.full((1,), 7.0)
    _, parts = train.train_step(model, opt, torch.zeros(1, 3, 1, 1), None, None, False, bf16=True)
    assert float(model.weight.detach()) == pytest.approx(-4.0 - 0.02, abs=1e-3)   # old gradients are dropped first
    assert parts["w"] == train.losses.SSI_WEIGHT and model.autocast is True


def test_the_warm_up_raises_each_groups_rate_in_steps():
    weights = [torch.nn.Parameter(torch.ones(1)), torch.nn.Parameter(torch.ones(1))]
    opt = torch.optim.SGD([{"params": [weights[0]], "lr": 0.4}, {"params": [weights[1]], "lr": 0.8}])
    rates = []
    for _ in train.warmup_rates(opt, 4):
        rates.append([g["lr"] for g in opt.param_groups])
    assert rates == [pytest.approx([0.1, 0.2]), pytest.approx([0.2, 0.4]), pytest.approx([0.3, 0.6]), pytest.approx([0.4, 0.8])]
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.4, 0.8])


def test_the_csv_log_and_the_parts_text(tmp_path):
    log = tmp_path / "log.csv"
    assert train.read_rows(log) == []
    train.append_row(log, ["epoch", "loss"], [1, 0.5])
    train.append_row(log, ["epoch", "loss"], [2, 0.25])
    assert log.read_bytes() == b"epoch,loss\r\n1,0.5\r\n2,0.25\r\n"
    assert train.read_rows(log) == [{"epoch": "1", "loss": "0.5"}, {"epoch": "2", "loss": "0.25"}]
    assert train.parts_text({}) == ""
    assert train.parts_text({"synthetic": 0.14431, "extra": 0.15656}) == " (synthetic 0.1443, extra 0.1566)"

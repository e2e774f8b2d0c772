"""training.gpu_data, where a GPU run's fresh drawings come from (issue 51): the CPU workers' and the device's
generators and their seeds, the feeds a step gathers from, and the pool a batch is filled from."""
import numpy as np
import pytest
import torch

from training import gpu_data
from tests.training.test_program import matches
from training.synth import batch_views, dataset


def numbered(first, count, size=4):
    """Drawings whose every pixel holds their own number; the left half of the mask is set."""
    img = torch.arange(first, first + count, dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 3, size, size)
    near = img[:, 0] * 1.0
    mask = torch.zeros(count, size, size, dtype=torch.bool)
    mask[:, :, : size // 2] = True
    near = near + torch.arange(size, dtype=torch.float32) / 100   # rising to the right: mirrors show
    return img.clone(), near, mask, torch.arange(first, first + count, dtype=torch.float32) / 100


def test_the_pool_keeps_the_most_recent_drawings_and_mirrors_half_of_what_it_gives():
    pool = gpu_data.Pool(4, 4, torch.device("cpu"))
    pool.add(*numbered(0, 3))
    pool.add(*numbered(3, 3))                       # 6 in, 4 kept: 2, 3, 4, 5 (0 and 1 overwritten)
    assert pool.count == 4 and sorted(pool.img[:, 0, 0, 0].tolist()) == [2.0, 3.0, 4.0, 5.0]
    img, near, mask, widths = pool.draw(400, torch.Generator().manual_seed(1))
    numbers = img[:, 0, 0, 0]
    assert torch.allclose(widths, numbers / 100)      # each drawing keeps its own proportion
    assert set(numbers.tolist()) == {2.0, 3.0, 4.0, 5.0}
    mirrored = near[:, 0, 0] > near[:, 0, -1]       # the rise runs right to left
    assert 150 < int(mirrored.sum()) < 250
    assert mask[mirrored][:, :, 2:].all() and not mask[mirrored][:, :, :2].any()   # the mask turns with it
    assert mask[~mirrored][:, :, :2].all() and torch.equal(near[:, :, 0] // 1, numbers[:, None].expand(-1, 4))


def test_a_batch_is_the_fresh_drawings_and_the_rest_from_the_pool():
    pool = gpu_data.Pool(16, 4, torch.device("cpu"))
    img, near, mask, _ = gpu_data.batch_with_reuse(pool, numbered(10, 2), 8, torch.Generator().manual_seed(0))
    assert len(img) == 8 and img[:2, 0, 0, 0].tolist() == [10.0, 11.0]
    assert set(img[2:, 0, 0, 0].tolist()) <= {10.0, 11.0}          # only what the pool has seen
    img, _, _, _ = gpu_data.batch_with_reuse(pool, numbered(20, 8), 8, torch.Generator().manual_seed(0))
    assert img[:, 0, 0, 0].tolist() == [float(k) for k in range(20, 28)] and pool.count == 10


def test_device_drawings_come_in_the_numbers_asked_and_keep_the_rest():
    made = gpu_data.DeviceDrawings(40_000_000, 48, 2, torch.device("cpu"))
    img, near, mask, widths = made.take(3)
    assert img.shape == (3, 3, 48, 48) and near.shape == mask.shape == (3, 48, 48) and widths.shape == (3,)
    traced = made.made
    assert traced >= 3 and sum(len(r[0]) for r in made.ready) == traced - 3
    if traced - 3 >= 1:                         # a leftover view is used before any new solid is traced
        made.take(1)
        assert made.made == traced


def feed_of(items, then_block=False, fail=None):
    """A Feed that gives `items`, then blocks for good, raises `fail`, or stops."""
    stop = gpu_data.threading.Event()

    def produce():
        yield from items
        if fail is not None:
            raise fail
        if then_block:
            stop.wait()
    return gpu_data.Feed("test", produce)


def settled(feed):
    while feed.thread.is_alive() and feed.ready.qsize() < 1:
        pass
    feed.thread.join(timeout=0.5)


def test_a_step_takes_ready_drawings_in_turn_and_waits_only_for_the_least():
    a, b = feed_of(["a1", "a2", "a3"]), feed_of(["b1"], then_block=True)
    for feed in (a, b):
        settled(feed)
    got = gpu_data.gather([a, b], want=3, least=1)
    assert [item for _, item in got] == ["a1", "b1", "a2"]          # one from each feed in turn
    assert [feed for feed, _ in got] == [a, b, a]
    # b has nothing ready and never will: a step that wants 4 takes a's last one and goes on
    done = []
    runner = gpu_data.threading.Thread(target=lambda: done.append(gpu_data.gather([a, b], want=4, least=1)))
    runner.start()
    runner.join(timeout=30)
    assert not runner.is_alive() and [item for _, item in done[0]] == ["a3"]


def test_a_step_waits_for_the_least_and_a_dead_feed_says_why():
    go = gpu_data.threading.Event()

    def produce():
        yield "s0"
        go.wait()
        yield "s1"
    slow = gpu_data.Feed("slow", produce)
    settled(slow)                                     # s0 is ready, s1 comes once `go` is set
    gpu_data.threading.Timer(0.2, go.set).start()
    assert [item for _, item in gpu_data.gather([slow], want=2, least=2)] == ["s0", "s1"]   # waits for s1
    broken = feed_of([], fail=RuntimeError("CUDA error: out of memory\nmore"))
    broken.thread.join(timeout=30)
    assert broken.failure == "RuntimeError: CUDA error: out of memory" and not broken.alive()
    with pytest.raises(RuntimeError, match="every drawing feed stopped: test: RuntimeError: CUDA error"):
        gpu_data.gather([broken], want=1, least=1)


def test_a_step_takes_no_more_than_it_wants_and_names_every_stopped_feed():
    a, b = feed_of(list(range(5))), feed_of(list(range(10, 15)))
    for feed in (a, b):
        while feed.ready.qsize() < 5:
            pass
    assert [item for _, item in gpu_data.gather([a, b], want=3, least=1)] == [0, 10, 1]
    for feed in (a, b):
        feed.thread.join(timeout=30)
        while not feed.ready.empty():
            feed.ready.get()
    with pytest.raises(RuntimeError) as stopped:
        gpu_data.gather([a, b], want=1, least=1)
    assert str(stopped.value) == "every drawing feed stopped: test: None; test: None"


def test_a_stopped_feed_ends_even_when_its_queue_is_full():
    def endless():
        while True:
            yield 1
    feed = gpu_data.Feed("test", endless, capacity=2)
    while feed.ready.qsize() < 2:
        pass
    assert feed.stop(5.0) and feed.failure is None


def test_gathered_drawings_become_one_batch_of_the_training_types():
    drawing = (torch.ones(3, 4, 4, dtype=torch.float64), torch.zeros(4, 4, dtype=torch.float64),
               torch.ones(4, 4, dtype=torch.bool), torch.tensor(0.25, dtype=torch.float64))
    img, near, mask, widths = gpu_data.on_device([(None, drawing), (None, drawing)], torch.device("cpu"))
    assert img.shape == (2, 3, 4, 4) and img.dtype == near.dtype == widths.dtype == torch.float32
    assert mask.dtype == torch.bool and widths.tolist() == [0.25, 0.25]


def test_ready_cpu_drawings_are_taken_without_waiting():
    ready = gpu_data.queue.Queue()
    for k in range(3):
        ready.put(k)
    assert gpu_data.take_ready(ready, 2) == [0, 1]
    assert gpu_data.take_ready(ready, 5) == [2]
    assert gpu_data.take_ready(ready, 5) == []


def test_device_workers_take_every_nth_seed():
    """Worker k of n traces seeds first + k, first + k + n, …: worker 1 of 2 here, seeds 40,000,001 and
    40,000,003, their views in order."""
    from training.synth import batch_views
    cpu = torch.device("cpu")
    worker = gpu_data.DeviceDrawings(40_000_001, 32, 2, cpu, stride=2)
    img, near, _, _ = worker.take(3)
    assert worker.seed == 40_000_005
    traced = [batch_views.views(seed, 2, 32, cpu) for seed in (40_000_001, 40_000_003)]
    assert torch.equal(img, torch.cat([v["image"].permute(0, 3, 1, 2) for v in traced])[:3])
    assert torch.equal(near, torch.cat([v["nearness"] for v in traced])[:3])


def test_solids_traced_together_are_the_seeds_one_at_a_time_would_trace():
    """With together = 2, worker 1 of 2 traces seeds 40,000,001 and 40,000,003 in one batch_views.many
    call: the same drawings, in the same order, as tracing them one at a time."""
    from training.synth import batch_views
    cpu = torch.device("cpu")
    worker = gpu_data.DeviceDrawings(40_000_001, 32, 2, cpu, stride=2, together=2)
    img, near, mask, widths = worker.take(3)
    assert worker.seed == 40_000_005 and worker.made == 4
    traced = [batch_views.views(seed, 2, 32, cpu) for seed in (40_000_001, 40_000_003)]
    assert torch.equal(img, torch.cat([v["image"].permute(0, 3, 1, 2) for v in traced])[:3])
    assert torch.equal(mask, torch.cat([v["mask"] for v in traced])[:3])


def test_a_share_of_the_seeds_is_drawn_plain_and_each_seed_always_the_same_way():
    seeds = range(40_000_000, 40_001_000)
    assert all(all(gpu_data.families(s, 0.0).values()) for s in seeds[:50])
    assert not any(any(gpu_data.families(s, 1.0).values()) for s in seeds[:50])
    plain = [not any(gpu_data.families(s, 0.5).values()) for s in seeds]
    assert 430 < sum(plain) < 570                                  # about half of 1,000
    assert plain == [not any(gpu_data.families(s, 0.5).values()) for s in seeds]
    assert set(gpu_data.families(1, 0.5)) == set(batch_views.FAMILIES)


def test_the_device_generator_draws_each_seed_with_its_own_families():
    """batch_views.many with the options as a function of the seed gives each seed the drawings of its
    own fixed options, and the CPU workers' seeds are drawn with the same flags as dataset.sample."""
    seeds = [40_000_000 + k for k in range(6)]
    of = {s: gpu_data.families(s, 0.5) for s in seeds}
    assert len({any(f.values()) for f in of.values()}) == 2           # both kinds among these seeds
    both = batch_views.many(seeds, 2, 32, options=lambda s: of[s])
    for seed in seeds:
        alone = batch_views.views(seed, 2, 32, options=of[seed])
        mine = both["seed"] == seed
        assert matches(both["nearness"][mine], alone["nearness"])         # to test_program.ULPS
        assert torch.equal(both["mask"][mine], alone["mask"])
    seed = next(s for s in seeds if not any(of[s].values()))
    plain = next(iter(gpu_data.Drawings(seed, 32, plain_share=1.0)))
    expected = dataset.sample(seed, 32, even_lines=True)
    assert np.array_equal(plain[1].numpy(), expected["nearness"]) and np.array_equal(plain[2].numpy(), expected["mask"])


def _drawn(seed, size, **flags):
    """A stand-in for dataset.sample: a drawing whose pixels hold its seed."""
    return {"image": np.full((size, size, 3), seed, np.float32), "nearness": np.zeros((size, size), np.float32),
            "mask": np.ones((size, size), bool), "proportion": 0.25}


def test_each_loader_worker_draws_every_nth_seed_with_every_option_and_the_seeds_families(monkeypatch):
    import types

    from training.make_cache import OPTIONS
    asked, threads = [], []
    monkeypatch.setattr(gpu_data.dataset, "sample", lambda seed, size, **flags: asked.append((seed, size, flags))
                        or _drawn(seed, size))
    monkeypatch.setattr(torch, "set_num_threads", lambda n: threads.append(n))
    alone = iter(gpu_data.Drawings(100, 8))
    assert [float(next(alone)[0][0, 0, 0]) for _ in range(2)] == [100.0, 101.0] and threads == [1]
    monkeypatch.setattr(torch.utils.data, "get_worker_info", lambda: types.SimpleNamespace(id=1, num_workers=3))
    asked.clear()
    second = iter(gpu_data.Drawings(100, 8, plain_share=0.5))
    img, near, mask, widths = next(second)
    assert img.shape == (3, 8, 8) and near.shape == mask.shape == (8, 8) and mask.dtype == torch.bool
    assert widths.dtype == torch.float32 and float(widths) == 0.25
    for _ in range(29):
        next(second)
    assert [seed for seed, _, _ in asked] == list(range(101, 191, 3)) and {size for _, size, _ in asked} == {8}
    for seed, _, flags in asked:
        assert flags == dict({name: True for name in OPTIONS}, **gpu_data.families(seed, 0.5))
    plain = [flags for _, _, flags in asked if not flags["rods"]]
    assert 0 < len(plain) < 30 and all(f["even_lines"] for f in plain)     # even lines are not a family


def test_device_drawings_trace_each_seed_with_its_families_on_their_device(monkeypatch):
    traced = []

    def views(seed, count, size, device, options):
        traced.append(("views", seed, count, size, device, options(seed)))
        return {"image": torch.full((count, size, size, 3), float(seed)), "nearness": torch.zeros(count, size, size),
                "mask": torch.ones(count, size, size, dtype=torch.bool), "proportion": torch.zeros(count)}

    def many(seeds, count, size, device, options):
        traced.append(("many", seeds, count, size, device, [options(s) for s in seeds]))
        parts = [views(s, count, size, device, options) for s in seeds]
        del traced[-len(seeds):]
        return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}

    monkeypatch.setattr(gpu_data.batch_views, "views", views)
    monkeypatch.setattr(gpu_data.batch_views, "many", many)
    device = torch.device("cpu")
    one = gpu_data.DeviceDrawings(50, 8, 2, device, stride=3, plain_share=0.5)
    img, _, _, _ = one.take(4)
    assert img.shape == (4, 3, 8, 8) and img[:, 0, 0, 0].tolist() == [50.0, 50.0, 53.0, 53.0]
    assert traced == [("views", 50, 2, 8, device, gpu_data.families(50, 0.5)),
                      ("views", 53, 2, 8, device, gpu_data.families(53, 0.5))]
    assert one.ready == [] and one.made == 4 and one.seed == 56      # nothing left over
    traced.clear()
    together = gpu_data.DeviceDrawings(50, 8, 2, device, stride=2, together=3)
    img, _, _, _ = together.take(5)
    assert img[:, 0, 0, 0].tolist() == [50.0, 50.0, 52.0, 52.0, 54.0]
    assert traced == [("many", [50, 52, 54], 2, 8, device, [gpu_data.families(s, 0.0) for s in (50, 52, 54)])]
    assert together.seed == 56 and len(together.ready) == 1 and float(together.ready[0][0][0, 0, 0, 0]) == 54.0


def test_the_pool_mirrors_a_drawing_left_to_right_as_a_whole_and_draws_by_its_generator():
    pool = gpu_data.Pool(2, 4, torch.device("cpu"))
    img = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).view(2, 3, 4, 4)
    near = torch.arange(2 * 4 * 4, dtype=torch.float32).view(2, 4, 4)
    mask = torch.zeros(2, 4, 4, dtype=torch.bool)
    mask[:, 1:, :1] = True                                  # the left column below the top row
    pool.add(img, near, mask, torch.tensor([0.5, 0.75]))
    got = pool.draw(64, torch.Generator().manual_seed(3))
    flipped = 0
    for i, n, m, w in zip(*got):
        k = 0 if w == 0.5 else 1
        if torch.equal(i, img[k]):
            assert torch.equal(n, near[k]) and torch.equal(m, mask[k])
        else:
            flipped += 1
            assert torch.equal(i, img[k].flip(-1)) and torch.equal(n, near[k].flip(-1))
            assert torch.equal(m, mask[k].flip(-1))
    assert 10 < flipped < 54
    torch.manual_seed(11)                                   # the global stream plays no part
    again = pool.draw(64, torch.Generator().manual_seed(3))
    assert all(torch.equal(a, b) for a, b in zip(got, again))
    other = pool.draw(64, torch.Generator().manual_seed(4))
    assert not torch.equal(got[3], other[3])


def test_a_batch_one_short_takes_one_from_the_pool_and_is_the_same_for_the_same_generator():
    pool = gpu_data.Pool(16, 4, torch.device("cpu"))
    gpu_data.batch_with_reuse(pool, numbered(0, 8), 8, torch.Generator())
    first = gpu_data.batch_with_reuse(pool, numbered(8, 3), 4, torch.Generator().manual_seed(2))
    assert len(first[0]) == 4 and first[0][:3, 0, 0, 0].tolist() == [8.0, 9.0, 10.0]
    pool = gpu_data.Pool(16, 4, torch.device("cpu"))
    gpu_data.batch_with_reuse(pool, numbered(0, 8), 8, torch.Generator())
    torch.manual_seed(5)
    second = gpu_data.batch_with_reuse(pool, numbered(8, 3), 4, torch.Generator().manual_seed(2))
    assert all(torch.equal(a, b) for a, b in zip(first, second))


def test_the_pool_keeps_drawings_in_float32_on_the_cpu():
    pool = gpu_data.Pool(3, 4, torch.device("cpu"))
    assert pool.img.dtype == pool.near.dtype == pool.widths.dtype == torch.float32 and pool.mask.dtype == torch.bool
    assert pool.img.shape == (3, 3, 4, 4) and pool.near.shape == pool.mask.shape == (3, 4, 4) and pool.count == 0


"""Where a GPU run's fresh drawings come from, and how a training batch is made of them (training.gpu_run).

- `Drawings`: the seeded CPU generator (training.synth.dataset.sample) in DataLoader worker processes.
- `DeviceDrawings`: batch_views' drawings traced and inked on the training device (`DeviceWorkerDrawings`:
  the same in processes of their own).
- `Feed`: a thread that makes drawings into a queue; `gather` takes the ready ones of several feeds in turn
  and waits only for the least a step needs; `on_device` makes them one batch on the training device.
- `Pool`: the most recent drawings kept on the device; `batch_with_reuse` fills a batch from it.
"""
import queue
import threading

import numpy as np
import torch

from training.make_cache import OPTIONS
from training.synth import batch_views, dataset

PLAIN_STREAM = 31                         # the random stream that says whether a seed's drawing is plain


def families(seed: int, plain_share: float) -> dict:
    """dataset.sample's family flags for a seed: none on (a plain drawing, like half the caches the shipped
    weights learnt from) with probability `plain_share`, else every one."""
    plain = bool(np.random.default_rng([seed, PLAIN_STREAM]).random() < plain_share)
    return {name: not plain for name in batch_views.FAMILIES}


class Drawings(torch.utils.data.IterableDataset):
    """An endless stream of (image, nearness, mask, proportion) from the generator (proportion: the
    figure's depth ÷ width, NaN for several figures or a perspective view); each worker takes every n-th
    seed."""

    def __init__(self, first_seed: int, size: int, plain_share: float = 0.0):
        self.first_seed, self.size, self.plain_share = first_seed, size, plain_share

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        k, n = (info.id, info.num_workers) if info else (0, 1)
        torch.set_num_threads(1)
        seed = self.first_seed + k
        while True:
            flags = dict({name: True for name in OPTIONS}, **families(seed, self.plain_share))
            s = dataset.sample(seed, self.size, **flags)
            yield (torch.from_numpy(s["image"]).permute(2, 0, 1), torch.from_numpy(s["nearness"]),
                   torch.from_numpy(s["mask"]), torch.tensor(s["proportion"], dtype=torch.float32))
            seed += n


class DeviceDrawings:
    """An endless stream of (image, nearness, mask, proportion) made on the device by batch_views, `views`
    views of one solid per seed, seeds from `first_seed` on (their own streams: never a drawing of
    dataset.sample), `together` solids traced together (batch_views.many; 1: one at a time)."""

    def __init__(self, first_seed: int, size: int, views: int, device: torch.device, stride: int = 1,
                 together: int = 1, plain_share: float = 0.0):
        self.seed, self.size, self.views, self.device, self.stride = first_seed, size, views, device, stride
        self.together = max(1, together)
        self.options = lambda seed: families(seed, plain_share)
        self.ready: list[tuple] = []
        self.made = 0

    def take(self, n: int) -> tuple:
        """n drawings (a tuple of batched tensors), tracing new solids as needed."""
        have = sum(len(r[0]) for r in self.ready)
        while have < n:
            if self.together > 1:
                seeds = [self.seed + self.stride * k for k in range(self.together)]
                v = batch_views.many(seeds, self.views, self.size, self.device, self.options)
            else:
                v = batch_views.views(self.seed, self.views, self.size, self.device, self.options)
            self.seed += self.stride * self.together
            drawn = (v["image"].permute(0, 3, 1, 2), v["nearness"], v["mask"], v["proportion"])
            self.ready.append(drawn)
            have += len(drawn[0])
            self.made += len(drawn[0])
        joined = tuple(torch.cat(parts) for parts in zip(*self.ready))
        rest = tuple(t[n:] for t in joined)
        self.ready = [rest] if len(rest[0]) else []
        return tuple(t[:n] for t in joined)


class DeviceWorkerDrawings(torch.utils.data.IterableDataset):
    """DeviceDrawings in DataLoader worker processes (spawned, each with its own CUDA context): worker k
    of n traces seeds first_seed + k, + n, …, and gives its drawings one at a time, on the CPU."""

    def __init__(self, first_seed: int, size: int, views: int, device: str, together: int = 1,
                 plain_share: float = 0.0):
        self.first_seed, self.size, self.views, self.device, self.together = first_seed, size, views, device, together
        self.plain_share = plain_share

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        k, n = (info.id, info.num_workers) if info else (0, 1)
        torch.set_num_threads(1)
        made = DeviceDrawings(self.first_seed + k, self.size, self.views, torch.device(self.device), stride=n,
                              together=self.together, plain_share=self.plain_share)
        while True:
            yield from zip(*(t.cpu() for t in made.take(self.views)))


class Feed:
    """Drawings made by a thread, one at a time, into a queue a step takes them from; `failure` says why
    the thread stopped, if it did. `stop()` ends it after the drawing it is making."""

    def __init__(self, name: str, produce, capacity: int = 64):
        self.name, self.ready, self.failure = name, queue.Queue(maxsize=capacity), None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(produce,), daemon=True)
        self.thread.start()

    def _run(self, produce):
        try:
            for item in produce():
                while not self.stopping.is_set():
                    try:
                        self.ready.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self.stopping.is_set():
                    return
        except Exception as exc:          # a GPU window is too scarce to lose: the other feeds go on
            self.failure = f"{type(exc).__name__}: {exc}".splitlines()[0]

    def alive(self) -> bool:
        return self.thread.is_alive() or not self.ready.empty()

    def stop(self, timeout: float) -> bool:
        """Ask the thread to end and wait up to `timeout` s for it (a thread still inside torch when the
        interpreter exits aborts the process); True when it has ended."""
        self.stopping.set()
        self.thread.join(timeout)
        return not self.thread.is_alive()


def loader_drawings(loader):
    """A DataLoader's drawings (its workers' batches), one at a time."""
    def produce():
        for batch in loader:
            yield from zip(*batch)
    return produce


def device_drawings(made: "DeviceDrawings"):
    """The device generator's drawings, one at a time. On CUDA it runs on a stream of its own, so waiting
    for its own kernels (the march's ray counts) never waits for the training step's."""
    def produce():
        stream = torch.cuda.Stream(made.device) if made.device.type == "cuda" else None
        while True:
            if stream is None:
                views = made.take(made.views)
            else:
                with torch.cuda.stream(stream):
                    views = made.take(made.views)
                stream.synchronize()
            yield from zip(*views)
    return produce


def take_ready(ready: queue.Queue, most: int) -> list:
    """Up to `most` drawings already in the queue, without waiting."""
    out = []
    while len(out) < most:
        try:
            out.append(ready.get_nowait())
        except queue.Empty:
            break
    return out


def gather(feeds: list, want: int, least: int, poll: float = 0.002) -> list:
    """Up to `want` fresh drawings, [(feed, drawing), …], taken in turn from the feeds that have some
    ready, waiting only while there are fewer than `least`. Raises when every feed has stopped."""
    got = []
    while len(got) < want:
        before = len(got)
        for feed in feeds:
            got += [(feed, item) for item in take_ready(feed.ready, min(1, want - len(got)))]
        if len(got) == before:
            break
    while len(got) < least:
        if not any(feed.alive() for feed in feeds):
            raise RuntimeError("every drawing feed stopped: " + "; ".join(f"{f.name}: {f.failure}" for f in feeds))
        for feed in feeds:
            try:
                got.append((feed, feed.ready.get(timeout=poll)))
                break
            except queue.Empty:
                continue
    return got


def on_device(got: list, device: torch.device) -> tuple:
    """The gathered drawings as one batch (image, nearness, mask, proportion) on the training device.
    Drawings made on another CUDA stream are marked as used on this one, so their memory is not handed
    out again while this stream still reads it."""
    moved = []
    for item in (drawing for _, drawing in got):
        if device.type == "cuda":
            for t in item:
                if t.is_cuda:
                    t.record_stream(torch.cuda.current_stream(device))
        img, near, mask, widths = item
        moved.append((img.to(device, torch.float32, non_blocking=True),
                      near.to(device, torch.float32, non_blocking=True), mask.to(device, non_blocking=True),
                      widths.to(device, torch.float32, non_blocking=True)))
    return tuple(torch.stack(parts) for parts in zip(*moved))


class Pool:
    """The most recent drawings, on the training device, for batches that reuse them (a ring buffer)."""

    def __init__(self, capacity: int, size: int, device: torch.device):
        self.img = torch.empty((capacity, 3, size, size), dtype=torch.bfloat16 if device.type == "cuda" else
                               torch.float32, device=device)
        self.near = torch.empty((capacity, size, size), device=device)
        self.mask = torch.empty((capacity, size, size), dtype=torch.bool, device=device)
        self.widths = torch.empty(capacity, device=device)
        self.count = self.next = 0

    def add(self, img, near, mask, widths) -> None:
        capacity = len(self.img)
        at = (self.next + torch.arange(len(img), device=img.device)) % capacity
        self.img[at], self.near[at], self.mask[at] = img.to(self.img.dtype), near, mask
        self.widths[at] = widths
        self.next = (self.next + len(img)) % capacity
        self.count = min(capacity, self.count + len(img))

    def draw(self, n: int, generator: torch.Generator):
        """n drawings from the pool, each mirrored left to right with probability ½."""
        at = torch.randint(0, self.count, (n,), generator=generator).to(self.img.device)
        flip = (torch.rand(n, generator=generator) < 0.5).to(self.img.device)
        img, near, mask = self.img[at].float(), self.near[at], self.mask[at]
        img = torch.where(flip[:, None, None, None], img.flip(-1), img)
        near = torch.where(flip[:, None, None], near.flip(-1), near)
        mask = torch.where(flip[:, None, None], mask.flip(-1), mask)
        return img, near, mask, self.widths[at]


def batch_with_reuse(pool: Pool, fresh, batch: int, generator: torch.Generator):
    """The fresh drawings (image, nearness, mask, proportion), put in the pool, plus enough drawn from
    the pool to fill the batch."""
    pool.add(*fresh)
    extra = batch - len(fresh[0])
    if extra <= 0:
        return fresh
    more = pool.draw(extra, generator)
    return tuple(torch.cat([a, b]) for a, b in zip(fresh, more))

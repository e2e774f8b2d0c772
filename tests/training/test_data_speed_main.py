"""The data-speed benchmark's command (training/data_speed.py: `main`, `traced`, `same_seeds`) with the
generators, the timing and the processes stood in, so every printed figure is worked out by hand: the
CPU generator's rate, the device generator's alone and together, the same seeds timed both ways, the
processes and the advice, and the operation counts. The rates themselves are test_batch_views.py's."""
import pytest

torch = pytest.importorskip("torch")
from training import data_speed  # noqa: E402

FIRST = data_speed.FIRST_SEED


def test_one_seed_at_a_time_or_in_blocks_traced_together(monkeypatch):
    asked = []
    monkeypatch.setattr(data_speed.batch_views, "views",
                        lambda seed, views, size, device, options: asked.append(("views", seed, views, size, device, options)) or {"mask": [0] * 3})
    monkeypatch.setattr(data_speed.batch_views, "many",
                        lambda seeds, views, size, device, options: asked.append(("many", seeds, views, size, device)) or {"mask": [0] * 5})
    every = {name: True for name in data_speed.batch_views.FAMILIES}
    assert data_speed.traced("cpu", 32, 4)(7) == 3
    assert asked == [("views", 7, 4, 32, "cpu", every)]
    block = data_speed.traced("dev", 16, 2, together=3, first=100)
    assert block(100) == 5 and block(102) == 5                    # block 0: seeds 100–102; block 2: 106–108
    assert asked[1:] == [("many", [100, 101, 102], 2, 16, "dev"), ("many", [106, 107, 108], 2, 16, "dev")]
    assert data_speed.traced("cpu", 8, 1, together=1)(5) == 3 and asked[-1][0] == "views"   # 1: one at a time
    assert data_speed.traced("cpu", 8, 1, together=2, first=10)(11) == 5 and asked[-1][1] == [12, 13]


def test_the_same_seeds_are_timed_one_at_a_time_then_together(monkeypatch):
    clock, made, synced = [100.0], [], []
    monkeypatch.setattr(data_speed.time, "perf_counter", lambda: clock[0])

    def traced(device, size, views, together=1):
        assert device == "cpu" and (size, views) == (32, 2)

        def make(seed):
            made.append((together, seed))
            clock[0] += 0.5 if together == 1 else 0.25
        return make
    monkeypatch.setattr(data_speed, "traced", traced)
    alone, both = data_speed.same_seeds("cpu", 32, 2, 4, lambda: synced.append(len(made)))
    assert made == [(4, FIRST - 1), (1, FIRST), (1, FIRST + 1), (1, FIRST + 2), (1, FIRST + 3), (4, FIRST)]
    assert alone == 2.0 and both == 0.25                           # four seeds at 0.5 s, one block at 0.25 s
    assert synced == [1, 5, 6]                                      # after the warm-up, each timed part


class Bench:
    """data_speed.main's helpers stood in: every rate, time and count is a given number."""

    def __init__(self, monkeypatch, rates=((4.0, 40), (10.0, 100), (24.0, 240)), times=(3.0, 1.5), processes=36.0):
        self.asked = []
        self.rates = iter(rates)
        monkeypatch.setattr(data_speed, "rate", self.rate)
        monkeypatch.setattr(data_speed, "traced", lambda device, size, views, together=1: ("traced", str(device), size, views, together))
        monkeypatch.setattr(data_speed, "same_seeds", lambda device, size, views, together, sync: self.asked.append(("same", str(device), size, views, together)) or times)
        monkeypatch.setattr(data_speed, "processes_rate", lambda *a: self.asked.append(("processes",) + a) or (processes, 360))
        monkeypatch.setattr(data_speed.dataset, "sample", lambda seed, size, **flags: self.asked.append(("sample", seed, size, flags)))
        self.threads = torch.get_num_threads()

    def rate(self, make, seconds, sync, first=FIRST, ready=None):
        self.asked.append(("rate", make if isinstance(make, tuple) else make(9), seconds))
        return next(self.rates)


def test_the_command_prints_each_rate_and_ratio(monkeypatch, capsys, tmp_path):
    bench = Bench(monkeypatch)
    try:
        data_speed.main(["--device", "cpu", "--size", "64", "--views", "3", "--seconds", "2", "--together", "4",
                         "--processes", "2", "--advice-file", str(tmp_path / "a" / "advice")])
        threads = torch.get_num_threads()
    finally:
        torch.set_num_threads(bench.threads)
    assert threads == 1                                             # as one of gpu_run's CPU workers
    flags = {name: True for name in data_speed.OPTIONS}
    assert bench.asked == [("sample", 9, 64, flags), ("rate", 1, 2.0), ("rate", ("traced", "cpu", 64, 3, 1), 2.0),
                           ("rate", ("traced", "cpu", 64, 3, 4), 2.0), ("same", "cpu", 64, 3, 4),
                           ("processes", 2, "cpu", 64, 3, 2.0, 4)]
    assert capsys.readouterr().out.splitlines() == [
        "CPU generator (one process, torch threads 1): 4.00 drawings/s (40 drawings at 64²)",
        "batch_views on cpu, 3 views per solid: 10.00 drawings/s (100 drawings)",
        "ratio: 2.50x the CPU generator",
        "batch_views.many on cpu, 4 solids traced together: 24.00 drawings/s (240 drawings; 6.00x the CPU generator)",
        "the same 4 solids (seeds 50,000,000 on): one at a time 3.00 s, together 1.50 s: 2.00x",
        "batch_views on cpu in 2 processes at once, 4 solids together in each: 36.00 drawings/s (360 drawings; 1.50x one process)",
        data_speed.advice(4.0, 24.0, 36.0, 2),
        f"advice written to {tmp_path / 'a' / 'advice'}"]
    assert (tmp_path / "a" / "advice").read_text() == "DATA=device\nDEVICE_WORKERS=2\nWORKERS=12\n"


def test_the_defaults_one_at_a_time_and_no_processes(monkeypatch, capsys):
    bench = Bench(monkeypatch)
    try:
        data_speed.main(["--device", "cpu", "--together", "1"])
    finally:
        torch.set_num_threads(bench.threads)
    assert [a for a in bench.asked if a[0] != "sample"] == [("rate", 1, 30.0), ("rate", ("traced", "cpu", 256, 8, 1), 30.0)]
    assert bench.asked[0][2] == 256
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and out[1] == "batch_views on cpu, 8 views per solid: 10.00 drawings/s (100 drawings)"
    bench = Bench(monkeypatch)
    try:
        data_speed.main(["--device", "cpu", "--seconds", "1", "--processes", "3"])   # 16 together by default
    finally:
        torch.set_num_threads(bench.threads)
    assert bench.asked[-1] == ("processes", 3, "cpu", 256, 8, 1.0, 16) and ("same", "cpu", 256, 8, 16) in bench.asked
    assert "advice written" not in capsys.readouterr().out
    parser_default = "cuda" if torch.cuda.is_available() else "cpu"
    bench = Bench(monkeypatch)
    try:
        data_speed.main(["--together", "0", "--seconds", "1"])
    finally:
        torch.set_num_threads(bench.threads)
    assert bench.asked[2] == ("rate", ("traced", parser_default, 256, 8, 1), 1.0) and len(bench.asked) == 3


def test_the_operation_counts_printed(monkeypatch, capsys):
    asked = []
    monkeypatch.setattr(data_speed, "count_ops", lambda n, size, views, together: asked.append((n, size, views, together)) or
                        ([1000, 3000, 2000, 2500], [4000, 2000] if together else []))
    data_speed.main(["--count-ops", "4", "--size", "32", "--views", "2", "--together", "2"])
    assert asked == [(4, 32, 2, 2)]
    assert capsys.readouterr().out.splitlines() == [
        "batch_views, 2 views per solid at 32²: torch operations per solid 1,000, 3,000, 2,000, 2,500",
        "median 2,250, least 1,000, most 3,000, mean 2,125 (1,062 per view)",
        "the same 4 solids traced 2 at a time (batch_views.many): operations per batch 4,000, 2,000; "
        "1,500 per solid, 1.4x fewer than one at a time"]
    data_speed.main(["--count-ops", "4", "--together", "1"])
    assert asked[-1] == (4, 256, 8, 0) and len(capsys.readouterr().out.splitlines()) == 2


def test_operations_are_counted_at_the_top_level_only():
    assert data_speed._ops(lambda: None) == 0
    assert data_speed._ops(lambda: torch.zeros(2).add_(1)) == 2    # zeros' own fill is not counted again


def test_ratios_of_rates_under_one_drawing_a_second(monkeypatch, capsys):
    bench = Bench(monkeypatch, rates=((0.5, 5), (0.25, 3), (0.75, 8)), times=(0.6, 0.4), processes=0.3)
    try:
        data_speed.main(["--device", "cpu", "--together", "2", "--processes", "2"])
    finally:
        torch.set_num_threads(bench.threads)
    out = capsys.readouterr().out.splitlines()
    assert out[2] == "ratio: 0.50x the CPU generator" and out[3].endswith("(8 drawings; 1.50x the CPU generator)")
    assert out[4].endswith("one at a time 0.60 s, together 0.40 s: 1.50x") and out[5].endswith("(360 drawings; 0.40x one process)")


def test_operations_are_counted_for_each_solid_and_each_block(monkeypatch):
    asked = []
    every = {name: True for name in data_speed.batch_views.FAMILIES}
    monkeypatch.setattr(data_speed.batch_views, "views",
                        lambda seed, views, size, device, options: asked.append(("views", seed, views, size, str(device), options)) or {"mask": []})
    monkeypatch.setattr(data_speed.batch_views, "many",
                        lambda seeds, views, size, device, options: asked.append(("many", seeds, views, size, str(device), options)) or {"mask": []})
    monkeypatch.setattr(data_speed, "_ops", lambda make: (make(), 7)[1])
    assert data_speed.count_ops(5, 24, 3, together=2) == ([7] * 5, [7] * 3)
    assert asked == [("views", FIRST + k, 3, 24, "cpu", every) for k in range(-1, 5)] + \
        [("many", [FIRST, FIRST + 1], 3, 24, "cpu", every), ("many", [FIRST + 2, FIRST + 3], 3, 24, "cpu", every),
         ("many", [FIRST + 4], 3, 24, "cpu", every)]

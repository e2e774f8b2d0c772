"""The device-side generator (training/synth/batch_views, batch_ink) against the CPU reference
(render.trace, ink.draw, dataset's truth), on the CPU: the same solid and cameras give identical
G-buffers and truth, and drawings within 1e-5 (the tolerance batch_ink states)."""
import numpy as np
import pytest
import torch

from training.synth import batch_ink, batch_views, dataset, ink, render, solids, truth

TOLERANCE = 1e-5


def _solid_and_cameras(seed, count=4):
    rng = np.random.default_rng(seed)
    shape, _ = solids.random_solid(rng)
    return shape, render.frame_views(shape, [render.random_camera(rng)[0] for _ in range(count)], rng)


def test_views_traced_together_are_each_view_traced_alone():
    shape, cams = _solid_and_cameras(3)
    mask, depth, normals = render.trace_views(shape, cams, 64)
    for k, cam in enumerate(cams):
        m, d, n = render.trace(shape, cam, 64)
        assert m.any()
        assert np.array_equal(mask[k].numpy(), m)
        assert np.array_equal(depth[k].numpy()[m], d[m])
        assert np.array_equal(normals[k].numpy(), n)


def test_framing_views_together_draws_what_framing_each_in_turn_draws():
    rng = np.random.default_rng(4)
    shape, _ = solids.random_solid(rng)
    cams = [render.random_camera(rng)[0] for _ in range(3)]
    together = render.frame_views(shape, cams, np.random.default_rng(9))
    one_by_one, turn = [], np.random.default_rng(9)
    for cam in cams:
        one_by_one.append(render.frame(shape, cam, turn))
    for a, b in zip(together, one_by_one):
        assert a.half_size == b.half_size and np.array_equal(a.center, b.center)


@pytest.mark.parametrize("style", [None, "lines", "fill", "shaded", "sketchy"])
@pytest.mark.parametrize("even", [False, True])
def test_batched_ink_draws_what_ink_draw_draws(style, even):
    shape, cams = _solid_and_cameras(5)
    mask, depth, normals = render.trace_views(shape, cams, 96)
    pen = lambda k: np.random.default_rng([7, 10, k]) if even else None  # noqa: E731
    plans = [batch_ink.plan(mask[k].numpy(), np.random.default_rng([7, k]), style, pen(k))
             for k in range(len(cams))]
    drawn = batch_ink.draw(mask, depth, normals, plans)
    assert drawn.shape == (len(cams), 96, 96, 3) and drawn.dtype == torch.float32
    for k in range(len(cams)):
        reference = ink.draw(mask[k].numpy(), depth[k].numpy(), normals[k].numpy(), np.random.default_rng([7, k]),
                             style, pen=pen(k))
        assert np.abs(drawn[k].numpy() - reference).max() <= TOLERANCE


def test_line_maps_and_soft_lines_are_inks_own():
    shape, cams = _solid_and_cameras(6)
    mask, depth, normals = render.trace_views(shape, cams, 80)
    outline, inner = batch_ink.line_maps(mask, depth, normals)
    widths = torch.tensor([0.7, 1.0, 2.5, 7.0])
    faint = torch.tensor([True, True, False, False])
    soft = batch_ink.thick(outline, widths, faint)
    for k in range(len(cams)):
        o, i = ink.visible_lines(mask[k].numpy(), depth[k].numpy(), normals[k].numpy())
        assert np.array_equal(outline[k].numpy(), o) and np.array_equal(inner[k].numpy(), i)
        reference = ink._thick(o, float(widths[k]), bool(faint[k]))
        assert np.abs(soft[k].numpy() - reference).max() <= TOLERANCE


def test_a_seeds_views_are_its_solid_drawn_and_measured_by_the_cpu_reference():
    seed, count, size = 11, 6, 96
    got = batch_views.views(seed, count, size)
    shape, cams, _ = next(batch_views.solids(seed, count, {name: True for name in batch_views.FAMILIES}))
    buffers = [render.trace(shape, cam, size) for cam in cams]
    kept = [k for k, (m, _, _) in enumerate(buffers) if m.sum() > 0.01 * size * size]
    assert len(got["mask"]) == len(kept) >= 2
    plans = batch_views.plans(seed, np.stack([buffers[k][0] for k in kept]), True)
    dashed = 0
    for j, k in enumerate(kept):
        m, d, n = buffers[k]
        rng = np.random.default_rng([seed, batch_views.STREAM + 1, j])
        pen = np.random.default_rng([seed, batch_views.STREAM + 2, j])
        pen = pen if pen.random() < ink.EVEN_SHARE else None
        side = np.random.default_rng([seed, batch_views.STREAM + 3, j])
        hidden = None
        if side.random() < dataset.HIDDEN_SHARE:
            layers = render.hidden_layers(shape, cams[k], size, d, m)
            hidden = ink.hidden_lines(m, d, n, layers, side, period=max(3.0, size / 50))
            dashed += int(hidden.any())
        assert plans[j].even == (pen is not None)
        assert np.array_equal(got["mask"][j].numpy(), m)
        assert np.array_equal(got["nearness"][j].numpy(), dataset._nearness(d, m))
        proportion = float("nan") if cams[k].perspective > 0 else \
            truth.proportion(m, d, 2.0 * cams[k].half_size / size)
        assert np.isclose(float(got["proportion"][j]), proportion, rtol=1e-6, equal_nan=True)
        assert np.abs(got["image"][j].numpy() - ink.draw(m, d, n, rng, hidden=hidden, pen=pen)).max() <= TOLERANCE
    assert dashed >= 1                             # this seed has views with hidden lines drawn


def test_hidden_lines_of_views_together_are_inks_own():
    shape, cams = _solid_and_cameras(4, count=3)
    mask, depth, normals = render.trace_views(shape, cams, 96)
    layers = render.hidden_layers_views(shape, cams, 96, depth, mask)
    cells = [ink._cells_on((96, 96), np.random.default_rng([1, k]), 3.0, 0.65) for k in range(3)]
    got = batch_ink.hidden_lines(mask, depth, normals, layers, torch.as_tensor(np.stack(cells)))
    drawn = 0
    for k, cam in enumerate(cams):
        m, d, n = mask[k].numpy(), depth[k].numpy(), normals[k].numpy()
        alone = render.hidden_layers(shape, cam, 96, d, m)
        for layer, together in zip(alone, layers):
            assert all(np.array_equal(a, b[k].numpy()) for a, b in zip(layer, together))
        reference = ink.hidden_lines(m, d, n, alone, np.random.default_rng([1, k]), period=3.0)
        assert np.array_equal(got[k].numpy(), reference)
        drawn += int(reference.sum())
    assert drawn > 20


@pytest.mark.parametrize("style", ["lines", "shaded", "sketchy"])
def test_hidden_lines_are_inked_as_ink_draw_inks_them(style):
    shape, cams = _solid_and_cameras(4, count=3)
    mask, depth, normals = render.trace_views(shape, cams, 96)
    layers = render.hidden_layers_views(shape, cams, 96, depth, mask)
    cells = torch.ones(3, 96, 96, dtype=torch.bool)
    hidden = batch_ink.hidden_lines(mask, depth, normals, layers, cells)
    assert hidden.any()
    plans = [batch_ink.plan(mask[k].numpy(), np.random.default_rng([2, k]), style) for k in range(3)]
    drawn = batch_ink.draw(mask, depth, normals, plans, hidden)
    for k in range(3):
        reference = ink.draw(mask[k].numpy(), depth[k].numpy(), normals[k].numpy(), np.random.default_rng([2, k]),
                             style, hidden=hidden[k].numpy())
        assert np.abs(drawn[k].numpy() - reference).max() <= TOLERANCE


def test_a_seed_always_gives_the_same_views_and_other_seeds_others():
    a, b = batch_views.views(21, 3, 64), batch_views.views(21, 3, 64)
    assert all(torch.equal(a[key], b[key]) for key in ("image", "nearness", "mask"))
    c = batch_views.views(22, 3, 64)
    assert not torch.equal(a["image"][0], c["image"][0])
    assert a["image"].shape[1:] == (64, 64, 3) and a["mask"].dtype == torch.bool


def test_the_data_speed_benchmark_prints_both_rates_and_their_ratio(capsys):
    from training import data_speed
    data_speed.main(["--device", "cpu", "--size", "32", "--views", "2", "--seconds", "0.5", "--together", "2"])
    out = capsys.readouterr().out
    assert "CPU generator" in out and "batch_views on cpu, 2 views per solid" in out and "ratio:" in out
    assert "batch_views.many on cpu, 2 solids traced together: " in out and "the same 2 solids (seeds 50,000,000 on): one at a time " in out


def test_slope_aware_line_maps_are_inks_own_on_many_solids():
    """Sloped surfaces (a cone, a sphere seen from the side) make steps that are not edges; over these
    solids' visible surfaces and hidden layers, the slope test keeps or drops exactly what ink's does."""
    differ = 0
    for seed in range(8):
        shape, cams = _solid_and_cameras(seed, count=2)
        mask, depth, normals = render.trace_views(shape, cams, 64)
        layers = render.hidden_layers_views(shape, cams, 64, depth, mask)
        jump_at = batch_ink.depth_jump(mask, depth)
        for m, d, n in [(mask, depth, normals)] + [layer[:3] for layer in layers]:
            for slope_aware in (False, True):
                outline, inner = batch_ink.line_maps(m, d, n, jump_at=jump_at, slope_aware=slope_aware)
                for k in range(2):
                    o, i = ink.line_maps(m[k].numpy(), d[k].numpy(), n[k].numpy(), depth_jump=float(jump_at[k]),
                                         slope_aware=slope_aware)
                    assert np.array_equal(outline[k].numpy(), o) and np.array_equal(inner[k].numpy(), i)
                    differ += int((i != ink.line_maps(m[k].numpy(), d[k].numpy(), n[k].numpy(),
                                                      depth_jump=float(jump_at[k]))[1]).sum()) if slope_aware else 0
    assert differ > 0                               # the slope test did drop steps somewhere


def test_count_ops_counts_each_dispatched_operation_once(monkeypatch, capsys):
    """A stand-in generator that dispatches exactly 1 + 5 + k operations for solid k (ones, five
    multiplications, k additions); the operations they call inside (ones' fill) are not counted again."""
    from training import data_speed

    def views(seed, count, size, device, options):
        a = torch.ones(4)
        for _ in range(5):
            a = a * 2
        for _ in range(seed - data_speed.FIRST_SEED):
            a = a + 1
        return {"mask": a}
    def many(seeds, count, size, device, options):   # one addition per seed together
        a = torch.ones(4)
        for _ in seeds:
            a = a + 1
        return {"mask": a}
    monkeypatch.setattr(data_speed.batch_views, "views", views)
    monkeypatch.setattr(data_speed.batch_views, "many", many)
    assert data_speed.count_ops(3, 32, 2) == ([6, 7, 8], [])
    assert data_speed.count_ops(3, 32, 2, together=2) == ([6, 7, 8], [3, 2])
    data_speed.main(["--count-ops", "3", "--size", "32", "--views", "2", "--together", "3"])
    out = capsys.readouterr().out
    assert "torch operations per solid 6, 7, 8" in out and "median 7, least 6, most 8" in out
    assert "traced 3 at a time (batch_views.many): operations per batch 4; 1 per solid, 5.2x fewer" in out


def test_the_advice_picks_the_settings_that_make_the_most_drawings():
    from training import data_speed
    # a CPU worker 2/s; the device generator 10/s in one process, 60/s in 8
    line = data_speed.advice(2.0, 10.0, 60.0, 8)
    assert line.startswith("for gpu_window.sh train: DATA=device DEVICE_WORKERS=8 WORKERS=6 (about 72 ")
    assert "DATA=cpu: 28" in line and "DATA=device: 33" in line          # 14 × 2; 10 / 2 + 28
    # processes that only share one GPU's time (8 make what one makes): the thread beside 14 workers wins
    assert data_speed.advice(2.0, 10.0, 10.0, 8).startswith("for gpu_window.sh train: DATA=device (about 33 ")
    assert data_speed.advice(2.0, 0.0, 0.0, 8).startswith("for gpu_window.sh train: DATA=cpu (about 28 ")
    assert line == ("for gpu_window.sh train: DATA=device DEVICE_WORKERS=8 WORKERS=6 (about 72 fresh drawings/s; "
                    "DATA=cpu: 28, DATA=device: 33, DATA=device DEVICE_WORKERS=8 WORKERS=6: 72)")   # 14 cores unless told
    assert data_speed.advice(2.0, 10.0, 60.0, 8, cores=10).endswith("DATA=device DEVICE_WORKERS=8 WORKERS=2: 64)")


def test_a_rate_is_the_drawings_made_after_a_warm_up_over_the_time_they_took(monkeypatch):
    """A clock that reads 10, 11, 12, … s and a maker of 2 drawings a seed: after the warm-up (the seed
    before the first), seeds are drawn while under 3 s have passed since 10 s (read at 11 and 12 s; at 13 s
    it stops): 4 drawings over the 4 s until the clock is read at the end."""
    from training import data_speed
    clock, made, events = iter(range(10, 100)), [], []
    monkeypatch.setattr(data_speed.time, "perf_counter", lambda: float(next(clock)))
    got = data_speed.rate(lambda seed: made.append(seed) or 2, 3.0, lambda: events.append("sync"), first=50,
                          ready=lambda: events.append("ready"))
    assert got == (4 / 4, 4) and made == [49, 50, 51] and events == ["sync", "ready", "sync"]


def test_the_advice_file_holds_the_advised_settings_in_full(tmp_path):
    from training import data_speed
    path = tmp_path / "training" / "runs" / "gpu_advice.env"          # folders made as needed
    data_speed.write_advice(str(path), 2.0, 10.0, 60.0, 8)
    assert path.read_text() == "DATA=device\nDEVICE_WORKERS=8\nWORKERS=6\n"
    data_speed.write_advice(str(path), 2.0, 10.0, 10.0, 8)          # the thread: no device processes
    assert path.read_text() == "DATA=device\nDEVICE_WORKERS=0\nWORKERS=14\n"
    data_speed.write_advice(str(path), 2.0, 0.0, 0.0, 8)
    assert path.read_text() == "DATA=cpu\nDEVICE_WORKERS=0\nWORKERS=14\n"
    data_speed.write_advice(str(path), 2.0, 0.0, 0.0, 8, cores=6)
    assert path.read_text() == "DATA=cpu\nDEVICE_WORKERS=0\nWORKERS=6\n"


def test_the_processes_are_timed_together_and_summed():
    from training import data_speed
    per_s, drawings = data_speed.processes_rate(2, "cpu", 32, 1, 1.0)
    assert drawings >= 2 and per_s > 0

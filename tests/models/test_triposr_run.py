"""The TripoSR engine around its network, with a stand-in model whose answers are set by hand: what each
output (full object, relief) is made of, the progress, cancel, the one-line failures, the model cache, and
the out-of-memory path (smaller chunks on the GPU, then the CPU).

The network itself is tested in test_triposr.py, and through Blender in tests/blender/test_triposr_engine.py."""
import types

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from depthy_blender.models import device as devices, engine, placement, triposr_engine  # noqa: E402
from depthy_blender.models.triposr import TripoSR, TripoSRError, preprocess  # noqa: E402

SIZE = 32          # the stand-in's cond_image_size
FOLDER = "/weights/triposr"


class Model:
    """Encodes in two blocks, renders an input-view square (`depth`, `opacity`) and extracts `mesh`."""
    cond_image_size = SIZE

    def __init__(self):
        self.calls = []
        n = 16
        self.depth = np.full((n, n), 5.0, np.float32)
        self.depth[4:12, 4:12] = 2.0             # nearer in the middle
        self.depth[6:10, 6:10] = 1.5
        self.opacity = np.zeros((n, n), np.float32)
        self.opacity[4:12, 4:12] = 1.0
        self.opacity[4:12, 11] = 0.5             # exactly half opaque: not the figure
        self.mesh = types.SimpleNamespace(vertices=np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], np.float32),
                                          faces=np.array([[0, 1, 2]], np.int32), queries=1234, dense_queries=5678)
        self.colours = np.full((3, 3), 0.5, np.float32)

    def encode(self, image, blocks):
        self.calls.append(("encode", tuple(image.shape)))
        self.image = image
        blocks(0.5)
        blocks(1.0)
        return ["codes"]

    def render_input_depth(self, codes, resolution, chunk, cancel):
        self.calls.append(("render", codes, resolution, chunk))
        cancel()
        return self.depth, self.opacity

    def extract_mesh(self, codes, resolution, chunk, cancel, progress):
        self.calls.append(("extract", codes, resolution, chunk))
        cancel()
        progress(0.5, "Marching cubes")
        return self.mesh, self.colours


@pytest.fixture
def model(monkeypatch):
    stand_in = Model()
    monkeypatch.setattr(triposr_engine, "find_weights", lambda chosen="": f"{FOLDER} ({chosen or 'cache'})")
    monkeypatch.setattr(triposr_engine, "get_model",
                        lambda folder, device: stand_in.calls.append(("load", folder, device)) or stand_in)
    return stand_in


def drawing():
    """60 × 80 px: a dark block on white paper, so the framing is not square."""
    rgba = np.ones((60, 80, 4), np.float32)
    rgba[15:45, 20:60, :3] = 0.2
    return rgba


def run(output, device="cpu", chunk=None, cancel=lambda: False, **options):
    seen = []
    options = engine.EngineOptions(triposr_output=output, triposr_folder="/mine", **options)
    result = triposr_engine._run(drawing(), lambda f, s: seen.append((round(f, 6), s)), cancel, device, options, chunk)
    return result, seen


def test_the_full_object_is_the_extracted_mesh_turned_to_blenders_front(model):
    result, seen = run("FULL", mc_resolution=96, foreground_ratio=0.6)
    assert model.calls == [("load", f"{FOLDER} (/mine)", "cpu"), ("encode", (1, 3, SIZE, SIZE)),
                           ("extract", "codes", 96, triposr_engine.fitted_chunk("cpu"))]
    assert torch.equal(model.image, preprocess.prepare(drawing(), 0.6, SIZE)[0])
    assert result.vertices.dtype == np.float32
    assert np.array_equal(result.vertices, [[2, -1, 3], [5, -4, 6], [8, -7, 9]])    # (x, y, z) → (y, −x, z)
    assert result.faces is model.mesh.faces and result.colours is model.colours
    assert result.meta == {"engine": "triposr", "device": "cpu", "queries": 1234, "dense_queries": 5678}
    assert seen == [(0.02, "Loading TripoSR"), (0.25, "Encoding the image"), (0.4, "Encoding the image"),
                    (0.45, "Evaluating density"), (0.65, "Marching cubes"), (0.9, "Colouring")]


def test_the_relief_is_the_input_views_depth_brought_back_onto_the_drawing(model):
    result, seen = run("RELIEF", relief_resolution=128, foreground_ratio=0.6)
    _, framing = preprocess.prepare(drawing(), 0.6, SIZE)
    depth = preprocess.unframe(model.depth, framing, (60, 80))
    mask = preprocess.unframe(model.opacity, framing, (60, 80)) > 0.5
    assert model.calls[-1] == ("render", "codes", 128, triposr_engine.fitted_chunk("cpu") // 128)
    assert np.array_equal(result.mask, mask) and 0 < mask.sum() < 60 * 80
    assert result.nearness.dtype == np.float32
    assert depth.max() == 5.0      # the empty space around the object, rendered at the far distance
    assert np.array_equal(result.nearness, np.where(mask, 5.0 - depth, 0))
    assert set(np.unique(result.nearness[mask])) == {3.0, 3.5} and result.meta == {"engine": "triposr", "device": "cpu"}
    assert seen[-1] == (0.45, "Rendering depth from the input view")


@pytest.mark.parametrize("chunk, render_chunk", [(1 << 20, 8192), (1000, 256)])
def test_a_given_chunk_is_used_and_the_relief_renders_with_at_least_256_points(model, chunk, render_chunk):
    run("FULL", chunk=chunk)
    run("RELIEF", chunk=chunk)
    chunks = [c[3] for c in model.calls if c[0] in ("extract", "render")]
    assert chunks == [chunk, render_chunk] and all(type(c) is int for c in chunks)


def test_cancel_is_checked_before_and_between_the_encoders_blocks_and_during_extraction(model):
    for stop_after in range(1, 5):
        asked = []

        def cancel():
            asked.append(1)
            return len(asked) >= stop_after
        with pytest.raises(engine.Cancelled):
            run("FULL", cancel=cancel)
        assert len(asked) == stop_after
    assert [c[0] for c in model.calls[-3:]] == ["load", "encode", "extract"]   # the fourth question: in extraction


@pytest.mark.parametrize("output, change, message", [
    ("FULL", lambda m: setattr(m.mesh, "faces", np.zeros((0, 3), np.int32)),
     "TripoSR found no surface (try another image or a lower foreground ratio)"),
    ("RELIEF", lambda m: m.opacity.fill(0.5), "TripoSR saw no object in this image"),
])
def test_nothing_found_is_one_line(model, output, change, message):
    change(model)
    with pytest.raises(engine.EngineError) as caught:
        run(output)
    assert str(caught.value) == message


def test_weights_that_cannot_be_read_are_one_line(monkeypatch):
    def broken(folder, device):
        raise TripoSRError("model.ckpt is truncated")
    monkeypatch.setattr(triposr_engine, "find_weights", lambda chosen="": FOLDER)
    monkeypatch.setattr(triposr_engine, "get_model", broken)
    with pytest.raises(engine.EngineError) as caught:
        run("FULL")
    assert str(caught.value) == "model.ckpt is truncated"


def test_one_model_is_kept_per_folder_device_and_precision(monkeypatch):
    loaded = []

    def from_folder(folder, device="cpu", dtype=torch.float32):
        loaded.append((folder, device, dtype))
        return object()
    monkeypatch.setattr(TripoSR, "from_folder", staticmethod(from_folder))
    triposr_engine.free_models()
    try:
        first = triposr_engine.get_model("/a", "cpu")
        assert triposr_engine.get_model("/a", "cpu") is first
        half = triposr_engine.get_model("/a", "cuda")
        assert triposr_engine.get_model("/a", "cuda") is half is not first
        assert triposr_engine.get_model("/a", "cpu") is not first        # one model at a time: it is 1.7 GB
        triposr_engine.get_model("/b", "cpu")
        assert list(triposr_engine._MODELS) == [("/b", "cpu", "torch.float32")]
    finally:
        triposr_engine.free_models()
    assert loaded == [("/a", "cpu", torch.float32), ("/a", "cuda", torch.float16), ("/a", "cpu", torch.float32),
                      ("/b", "cpu", torch.float32)]


# --- predict: where it runs, and out of memory -------------------------------------------------------

OUT_OF_MEMORY = RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")


@pytest.fixture
def attempts(monkeypatch):
    """predict on a CUDA machine whose _run raises `attempts.fail[(device, chunk)]` where set."""
    record = types.SimpleNamespace(calls=[], emptied=[], freed=[], fail={}, chunk_asked=[])

    def run_(rgba, progress, cancel, where, options, chunk=None):
        record.calls.append((where, chunk))
        record.args = (rgba, progress, cancel, options)
        if (where, chunk) in record.fail:
            raise record.fail[(where, chunk)]
        return triposr_engine.MeshResult(np.zeros((3, 3), np.float32), np.zeros((1, 3), np.int32),
                                         np.zeros((3, 3), np.float32), {})

    def fitted(device):
        record.chunk_asked.append(device)
        return 1000
    monkeypatch.setattr(devices, "choose", lambda preference: "cpu" if preference == "CPU" else "cuda")
    monkeypatch.setattr(devices, "empty_cache", record.emptied.append)
    monkeypatch.setattr(triposr_engine, "free_models", lambda: record.freed.append(len(record.calls)))
    monkeypatch.setattr(triposr_engine, "fitted_chunk", fitted)
    monkeypatch.setattr(triposr_engine, "_run", run_)
    return record


def predict(device="AUTO"):
    return triposr_engine.predict(drawing(), lambda f, s: None, lambda: False, engine.EngineOptions(device=device))


def test_the_first_attempt_that_fits_is_the_answer(attempts):
    rgba, progress, cancel = drawing(), (lambda f, s: None), (lambda: False)
    options = engine.EngineOptions()
    result = triposr_engine.predict(rgba, progress, cancel, options)
    assert attempts.calls == [("cuda", None)] and "note" not in result.meta
    assert attempts.args[0] is rgba and attempts.args[1] is progress and attempts.args[2] is cancel
    assert attempts.args[3] is options and attempts.chunk_asked == ["cuda"]


def test_out_of_gpu_memory_tries_an_eighth_of_the_chunk_then_the_cpu(attempts):
    attempts.fail[("cuda", None)] = OUT_OF_MEMORY
    result = predict()
    assert attempts.calls == [("cuda", None), ("cuda", 125)] and type(attempts.calls[1][1]) is int
    assert attempts.emptied == ["cuda"] and attempts.freed == []          # the model stays for the retry
    assert result.meta["note"] == "CUDA ran out of memory; TripoSR used smaller chunks instead"
    attempts.calls.clear()
    attempts.emptied.clear()
    attempts.fail[("cuda", 125)] = OUT_OF_MEMORY
    result = predict()
    assert attempts.calls == [("cuda", None), ("cuda", 125), ("cpu", None)]
    assert attempts.emptied == ["cuda", "cuda"] and attempts.freed == [2]   # freed before the CPU's attempt
    assert result.meta["note"] == "CUDA ran out of memory; TripoSR used the CPU instead"


def test_out_of_memory_everywhere_is_the_cpus_error(attempts):
    for where in (("cuda", None), ("cuda", 125), ("cpu", None)):
        attempts.fail[where] = MemoryError("cannot allocate")
    with pytest.raises(MemoryError, match="cannot allocate"):
        predict()
    assert len(attempts.calls) == 3


def test_on_the_cpu_there_is_one_attempt(attempts):
    attempts.fail[("cpu", None)] = MemoryError("cannot allocate")
    with pytest.raises(MemoryError):
        predict("CPU")
    assert attempts.calls == [("cpu", None)] and attempts.chunk_asked == [] and attempts.emptied == []


@pytest.mark.parametrize("error", [ValueError("bug"), RuntimeError("CUDA error: device-side assert"),
                                   engine.Cancelled()])
def test_other_failures_and_cancel_are_not_retried(attempts, error):
    attempts.fail[("cuda", None)] = error
    with pytest.raises(type(error)):
        predict()
    assert attempts.calls == [("cuda", None)] and attempts.emptied == []


def test_a_device_that_cannot_be_used_is_one_line(monkeypatch):
    def choose(preference):
        raise placement.PlacementError("CUDA was chosen, but no CUDA device found")
    monkeypatch.setattr(devices, "choose", choose)
    with pytest.raises(engine.EngineError) as caught:
        predict("CUDA")
    assert str(caught.value) == "CUDA was chosen, but no CUDA device found"

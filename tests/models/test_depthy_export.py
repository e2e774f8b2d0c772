"""The build-time export of Depthy to ONNX (what the CPU and DirectML packages run): the graph's names,
shapes, opset and half-size weights, the model card it writes, and that it answers as the PyTorch network
does at sizes other than the one it was traced at.

Each test makes its own export: a shared one would be tied to the first test that asks for it, and a
change to the export would go unseen by the others (mutation testing showed it)."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from depthy_blender.models import depthy_onnx, weights  # noqa: E402
from depthy_blender.models.depthy import Depthy  # noqa: E402


def shape_of(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def test_the_export_is_described_named_half_size_and_answers_as_torch_at_any_size(tmp_path):
    """Other weights than the shipped ones (the shipped, halved), under another name, from another folder,
    into a folder that is not there yet."""
    state, card = weights.load_verified()
    other = {k: (v.float() * 0.5 if v.is_floating_point() else v) for k, v in state.items()}
    source = tmp_path / "source"
    weights.save(other, card, "probe", source)
    out = tmp_path / "build" / "onnx"
    path = depthy_onnx.export(out, "probe", source)

    assert path == out / "probe.onnx" and sorted(p.name for p in out.iterdir()) == ["probe.json", "probe.onnx"]
    text = (out / "probe.json").read_text()
    written, saved = json.loads(text), json.loads((source / "probe.json").read_text())
    assert text == json.dumps(written, indent=2) + "\n"
    assert {k: v for k, v in written.items() if k != "onnx"} == saved
    assert written["onnx"] == {
        "file": "probe.onnx", "sha256": weights.sha256(path), "size_bytes": path.stat().st_size,
        "from_sha256": saved["sha256"], "opset": depthy_onnx.OPSET, "torch": torch.__version__,
        "onnx": onnx.__version__, "input": "rgb (1, 3, H, W) float32 in [0, 1]; H, W multiples of 32",
        "output": "out (1, 2, H, W): nearness, figure-mask logit"}

    graph = onnx.load(str(path))
    assert [(o.domain, o.version) for o in graph.opset_import if o.domain in ("", "ai.onnx")] == [("", depthy_onnx.OPSET)]
    assert [(i.name, shape_of(i)) for i in graph.graph.input] == [("rgb", [1, 3, "height", "width"])]
    assert [(o.name, shape_of(o)) for o in graph.graph.output] == [("out", [1, 2, "height", "width"])]
    floats = [t for t in graph.graph.initializer if t.data_type == TensorProto.FLOAT]
    halves = [t for t in graph.graph.initializer if t.data_type == TensorProto.FLOAT16]
    assert all(np.prod(t.dims) < 16 for t in floats) and len(halves) > 50
    assert path.stat().st_size < 2.2 * saved["parameters"]          # two bytes a parameter, as the .pt

    model = Depthy()
    model.load_state_dict({k: v.float() for k, v in weights.load_verified("probe", source)[0].items()})
    model.eval()
    run = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for h, w in ((64, 96), (96, 32)):          # neither is the 256 × 192 it was traced at
        x = rng.random((1, 3, h, w), dtype=np.float32)
        with torch.inference_mode():
            expected = model(torch.from_numpy(x)).numpy()
        answer = run.run(None, {"rgb": x})[0]
        assert answer.shape == (1, 2, h, w) and np.abs(answer - expected).max() < 1e-3


def test_halving_stores_large_float_weights_in_half_and_casts_them_back_where_used():
    """Two float weights of 16 and 32 numbers are halved; 15 floats and 20 integers are left alone; the
    graph answers as before (these weights are float16 numbers already)."""
    w16 = np.arange(16, dtype=np.float32).reshape(4, 4) / 8
    w32 = np.arange(32, dtype=np.float32).reshape(4, 8) / 4
    b15 = np.arange(15, dtype=np.float32) / 4
    index = np.arange(20, dtype=np.int64)
    nodes = [helper.make_node("MatMul", ["x", "w16"], ["a"], name="first"),
             helper.make_node("MatMul", ["a", "w32"], ["b"], name="second"),
             helper.make_node("Gather", ["b15", "index"], ["g"], name="gather")]
    graph = helper.make_graph(
        nodes, "probe",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("b", TensorProto.FLOAT, [2, 8]),
         helper.make_tensor_value_info("g", TensorProto.FLOAT, [20])],
        initializer=[numpy_helper.from_array(w16, "w16"), numpy_helper.from_array(b15, "b15"),
                     numpy_helper.from_array(index % 15, "index"), numpy_helper.from_array(w32, "w32")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", depthy_onnx.OPSET)])
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    before = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})

    assert depthy_onnx.halve_initializers(model) == 2
    kept = {t.name: t for t in model.graph.initializer}
    assert list(kept) == ["w16.fp16", "b15", "index", "w32.fp16"]
    assert [kept[n].data_type for n in kept] == [TensorProto.FLOAT16, TensorProto.FLOAT, TensorProto.INT64,
                                                 TensorProto.FLOAT16]
    assert np.array_equal(numpy_helper.to_array(kept["w16.fp16"]), w16.astype(np.float16))
    casts = [(n.name, n.op_type, list(n.input), list(n.output), n.attribute[0].i) for n in model.graph.node[:2]]
    assert casts == [("w16.cast", "Cast", ["w16.fp16"], ["w16"], TensorProto.FLOAT),
                     ("w32.cast", "Cast", ["w32.fp16"], ["w32"], TensorProto.FLOAT)]
    assert [n.name for n in model.graph.node[2:]] == ["first", "second", "gather"]
    onnx.checker.check_model(model)
    after = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    assert all(np.array_equal(a, b) for a, b in zip(before, after))

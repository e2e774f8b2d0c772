"""training.average_weights: the uniform mean of checkpoints, in either file layout, integer buffers kept."""
import pytest

torch = pytest.importorskip("torch")

from training.average_weights import average  # noqa: E402


def test_mean_of_a_bare_state_dict_and_a_run_checkpoint(tmp_path):
    a = {"w": torch.tensor([1.0, 3.0], dtype=torch.float16), "bn.num_batches_tracked": torch.tensor(7)}
    b = {"w": torch.tensor([3.0, 5.0]), "bn.num_batches_tracked": torch.tensor(9)}
    torch.save(a, tmp_path / "shipped.pt")
    torch.save({"model": b, "opt": {}}, tmp_path / "last.pt")
    out = average([tmp_path / "shipped.pt", tmp_path / "last.pt"])
    assert out["w"].dtype == torch.float32
    assert out["w"].tolist() == [2.0, 4.0]
    assert out["bn.num_batches_tracked"].dtype == torch.int64 and int(out["bn.num_batches_tracked"]) == 7


def test_different_architectures_are_refused(tmp_path):
    torch.save({"w": torch.zeros(2)}, tmp_path / "a.pt")
    torch.save({"v": torch.zeros(2)}, tmp_path / "b.pt")
    with pytest.raises(ValueError):
        average([tmp_path / "a.pt", tmp_path / "b.pt"])

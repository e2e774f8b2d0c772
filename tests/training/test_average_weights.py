"""training.average_weights: the uniform mean of checkpoints, in either file layout, integer buffers kept."""
import pytest

torch = pytest.importorskip("torch")

from training.average_weights import average, fold_in  # noqa: E402


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


def test_folding_states_in_one_at_a_time_gives_their_uniform_mean(tmp_path):
    states = [{"w": torch.tensor([float(i), 2.0 * i]), "n": torch.tensor(i)} for i in (1, 4, 10)]
    mean = None
    for count, state in enumerate(states):
        mean = fold_in(mean, state, count)
    for i, state in enumerate(states):
        torch.save(state, tmp_path / f"{i}.pt")
    expected = average([tmp_path / f"{i}.pt" for i in range(3)])
    assert torch.allclose(mean["w"], expected["w"]) and mean["w"].tolist() == [5.0, 10.0]
    assert int(mean["n"]) == int(expected["n"]) == 1
    assert states[0]["w"].tolist() == [1.0, 2.0]     # the states folded in are left as they were

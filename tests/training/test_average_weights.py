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
    with pytest.raises(ValueError, match="^checkpoints of different architectures cannot be averaged$"):
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


def test_the_first_state_folded_in_starts_the_mean_in_float32_and_a_count_of_0_starts_afresh():
    state = {"w": torch.tensor([1.0, 3.0], dtype=torch.float16), "n": torch.tensor(4)}
    for mean in (None, {"w": torch.tensor([9.0, 9.0]), "n": torch.tensor(1)}):
        got = fold_in(mean, state, 0)
        assert got["w"].dtype == torch.float32 and got["w"].tolist() == [1.0, 3.0]
        assert got["n"].dtype == torch.int64 and int(got["n"]) == 4
    got["w"] += 1
    assert state["w"].tolist() == [1.0, 3.0]                         # a copy, not the state itself
    with pytest.raises(ValueError, match="^checkpoints of different architectures cannot be averaged$"):
        fold_in({"v": torch.zeros(2)}, state, 1)


def test_the_command_writes_the_mean_of_two_or_more_checkpoints(tmp_path, monkeypatch, capsys):
    import sys
    from training import average_weights
    paths = []
    for i, value in enumerate((1.0, 2.0, 6.0)):
        paths.append(str(tmp_path / f"{i}.pt"))
        torch.save({"w": torch.full((2,), value)}, paths[-1])
    out = tmp_path / "mean.pt"
    monkeypatch.setattr(sys, "argv", ["average_weights", *paths, "--out", str(out)])
    average_weights.main()
    assert torch.load(out, weights_only=True)["w"].tolist() == [3.0, 3.0]
    assert capsys.readouterr().out == f"wrote {out}: mean of 3 checkpoints\n"
    monkeypatch.setattr(sys, "argv", ["average_weights", *paths[1:], "--out", str(out)])
    average_weights.main()                                               # two are enough
    assert torch.load(out, weights_only=True)["w"].tolist() == [4.0, 4.0]
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["average_weights", paths[0], "--out", str(tmp_path / "one.pt")])
    with pytest.raises(SystemExit) as stop:
        average_weights.main()
    assert stop.value.code == 2 and "give at least two checkpoints" in capsys.readouterr().err
    assert not (tmp_path / "one.pt").exists()
    monkeypatch.setattr(sys, "argv", ["average_weights", *paths])
    with pytest.raises(SystemExit):
        average_weights.main()
    assert "--out" in capsys.readouterr().err
    monkeypatch.setattr(sys, "argv", ["average_weights", "--help"])
    with pytest.raises(SystemExit):
        average_weights.main()
    help_lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    assert average_weights.__doc__.splitlines()[4].strip() in help_lines

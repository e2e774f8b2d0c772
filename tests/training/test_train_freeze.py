"""train.py --freeze-stem: a training step leaves the encoder's stem and layer1 exactly as they were
(weights and batch-norm statistics) and still moves the rest of the network."""
import pytest

torch = pytest.importorskip("torch")
from depthy_blender.models.depthy import Depthy  # noqa: E402
from training.train import STEM, freeze_stem, train_mode, train_step  # noqa: E402


def _snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_frozen_stem_is_unchanged_by_a_step_and_the_rest_learns():
    torch.manual_seed(0)
    model = Depthy()
    freeze_stem(model)
    train_mode(model)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)   # all parameters, as train.py
    before = {name: _snapshot(getattr(model.encoder, name)) for name in STEM}
    layer2 = _snapshot(model.encoder.layer2)
    img = torch.rand(2, 3, 64, 64)
    near = torch.rand(2, 64, 64)
    mask = torch.zeros(2, 64, 64, dtype=torch.bool)
    mask[:, 16:48, 16:48] = True
    train_step(model, opt, img, near, mask, aligned=True)
    for name in STEM:
        after = getattr(model.encoder, name).state_dict()
        assert all(torch.equal(before[name][k], after[k]) for k in after), name   # incl. running_mean/var
    assert any(not torch.equal(layer2[k], v) for k, v in model.encoder.layer2.state_dict().items())
    assert model.encoder.layer2.training and not model.encoder.bn1.training


def test_a_steps_arithmetic_is_counted_per_sample_and_grows_with_the_pixels():
    """The network is convolutional throughout: twice the side, four times the operations; and
    the count is per sample, whatever the batch."""
    from training import train_step_speed
    small, large = train_step_speed.step_flops(32), train_step_speed.step_flops(64)
    assert small > 1e8
    assert large / small == pytest.approx(4.0, rel=0.02)
    assert train_step_speed.step_flops(32, batch=4) == pytest.approx(small, rel=1e-6)

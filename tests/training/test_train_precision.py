"""train.py's faster step settings: a channels-last network computes what the plain one does, and
bfloat16 autocast steps (--bf16) still lower the loss on a tiny batch while the weights stay float32."""
import pytest

torch = pytest.importorskip("torch")
from depthy_blender.models.depthy import Depthy  # noqa: E402
from training.train import channels_last, native_bf16, train_mode, train_step  # noqa: E402


def _batch(n=2, s=64):
    img = torch.rand(n, 3, s, s)
    mask = torch.zeros(n, s, s, dtype=torch.bool)
    mask[:, 16:48, 12:52] = True
    near = torch.linspace(0, 1, s).view(1, 1, s).expand(n, s, s) * mask
    return img, near, mask


def test_channels_last_network_gives_the_same_answer():
    torch.manual_seed(0)
    plain = Depthy().eval()
    last = channels_last(Depthy().eval())
    last.load_state_dict(plain.state_dict())
    img = torch.rand(1, 3, 96, 80)
    with torch.no_grad():
        a = plain(img)
        b = last(img.contiguous(memory_format=torch.channels_last))
    assert last.encoder.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(a, b, atol=1e-4, rtol=1e-4)


def test_bf16_steps_lower_the_loss_and_keep_float32_weights():
    torch.manual_seed(0)
    model = channels_last(Depthy())
    train_mode(model)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    img, near, mask = _batch()
    img = img.contiguous(memory_format=torch.channels_last)
    losses = [float(train_step(model, opt, img, near, mask, aligned=False, bf16=True)[0]) for _ in range(8)]
    assert losses[-1] < 0.7 * losses[0]
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_bf16_is_native_only_where_the_cpu_flags_say_so():
    avx2_only = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx avx2 fma\n"
    sapphire = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n"
    assert not native_bf16(avx2_only)
    assert native_bf16(sapphire)
    assert not native_bf16("")


def test_bf16_is_read_from_this_machines_cpuinfo_and_is_off_where_it_cannot_be_read(monkeypatch):
    from pathlib import Path
    read = Path.read_text
    assert native_bf16() == native_bf16(read(Path("/proc/cpuinfo")))
    sapphire = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n"
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **kw: sapphire if str(self) == "/proc/cpuinfo" else
                        read(self, *a, **kw))
    assert native_bf16() is True                     # read from /proc/cpuinfo whatever this machine's CPU

    def unreadable(self, *args, **kwargs):
        raise PermissionError(f"{self}: not readable")
    monkeypatch.setattr(Path, "read_text", unreadable)
    assert native_bf16() is False


def test_depthwise_convolutions_stay_plain_and_get_plain_inputs():
    """The workaround for the bfloat16 backward of a dilated depth-wise convolution on channels-last
    tensors: its weight is stored in plain strides and its input is made plain before it runs, while
    the other convolutions go channels-last."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(4, 4, 3, padding=1),
                                torch.nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=4))
    channels_last(model)
    full, depthwise = model
    seen = []
    depthwise.register_forward_hook(lambda module, args, out: seen.append(args[0]))
    model(torch.rand(1, 4, 8, 8).contiguous(memory_format=torch.channels_last))
    assert seen[0].is_contiguous() and not seen[0].is_contiguous(memory_format=torch.channels_last)
    assert depthwise.weight.stride() == (9, 9, 3, 1)                      # plain (C, 1, 3, 3) strides
    assert full.weight.is_contiguous(memory_format=torch.channels_last) and not full.weight.is_contiguous()

"""The Depthy network (models/depthy.py) against a forward pass written out by hand in float64 from the
architecture its docstring describes: every convolution's kernel, stride, padding, dilation and groups,
the batch norms from their running statistics, the pixel shuffle, PReLU and squeeze-and-excitation by
index, and the final ×2 bilinear upsample as a matrix. Every weight and running statistic is random, so
a swapped branch, a dropped residual or a wrong dilation changes the answer. The shipped weights only
mean what they were trained to mean if this architecture stays exactly as it is."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from depthy_blender.models import depthy  # noqa: E402
from tests.models.scrambled import scrambled  # noqa: E402


def scramble(module, seed=0):
    return scrambled(module, 0.25, seed)


def conv(x, m, stride=1, padding=0, dilation=1, groups=1):
    """A convolution with the geometry the architecture asks for (not read from the module)."""
    return F.conv2d(x, m.weight, m.bias, stride=stride, padding=padding, dilation=dilation, groups=groups)


def bn(x, m):
    shape = (1, -1, 1, 1)
    return ((x - m.running_mean.view(shape)) / torch.sqrt(m.running_var.view(shape) + 1e-5) * m.weight.view(shape)
            + m.bias.view(shape))


def relu(x):
    return x.clamp(min=0)


def prelu(x, m):
    return relu(x) + m.weight.view(1, -1, 1, 1) * x.clamp(max=0)


def conv_bn_relu(x, seq, k=1, dilation=1):
    return relu(bn(conv(x, seq[0], padding=dilation * (k // 2), dilation=dilation), seq[1]))


# ---- the encoder (ResNet-50) ----------------------------------------------------------------------

def bottleneck(x, b, stride):
    identity = x if b.downsample is None else bn(conv(x, b.downsample[0], stride=stride), b.downsample[1])
    out = relu(bn(conv(x, b.conv1), b.bn1))
    out = relu(bn(conv(out, b.conv2, stride=stride, padding=1), b.bn2))
    return relu(bn(conv(out, b.conv3), b.bn3) + identity)


def encoder(x, e):
    s2 = relu(bn(conv(x, e.conv1, stride=2, padding=3), e.bn1))
    y = F.max_pool2d(s2, 3, stride=2, padding=1)
    feats = [s2]
    for layer, stride in ((e.layer1, 1), (e.layer2, 2), (e.layer3, 2), (e.layer4, 2)):
        for i, block in enumerate(layer):
            y = bottleneck(y, block, stride if i == 0 else 1)
        feats.append(y)
    return feats


def test_a_bottleneck_is_1x1_3x3_1x1_with_the_stride_on_the_3x3_and_a_projected_shortcut():
    block = scramble(depthy.Bottleneck(16, 8, stride=2))
    assert block.downsample is not None
    x = torch.randn(2, 16, 9, 11, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(block(x), bottleneck(x, block, 2), atol=1e-10)
    same = scramble(depthy.Bottleneck(32, 8))            # 32 in, 32 out, stride 1: the identity shortcut
    assert same.downsample is None
    x = torch.randn(1, 32, 5, 5, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(same(x), bottleneck(x, same, 1), atol=1e-10)
    assert depthy.Bottleneck(16, 8).downsample is not None    # 16 in, 32 out: projected even at stride 1


def test_the_encoder_is_resnet50_3_4_6_3_with_features_at_strides_2_to_32():
    enc = scramble(depthy.ResNet50Encoder())
    assert [len(layer) for layer in (enc.layer1, enc.layer2, enc.layer3, enc.layer4)] == [3, 4, 6, 3]
    x = torch.randn(1, 3, 64, 96, dtype=torch.float64)
    with torch.no_grad():
        mine = enc(x)
    expected = encoder(x, enc)
    assert [tuple(f.shape[1:]) for f in mine] == [(64, 32, 48), (256, 16, 24), (512, 8, 12), (1024, 4, 6),
                                                 (2048, 2, 3)]
    for a, b in zip(mine, expected):
        assert torch.allclose(a, b, atol=1e-8 * max(1.0, b.abs().max().item()))


def test_a_fresh_encoder_starts_each_residual_block_as_the_identity_with_he_initialised_convolutions():
    torch.manual_seed(0)
    enc = depthy.ResNet50Encoder()
    blocks = [b for layer in (enc.layer1, enc.layer2, enc.layer3, enc.layer4) for b in layer]
    assert len(blocks) == 16 and all(torch.count_nonzero(b.bn3.weight) == 0 for b in blocks)
    assert all(torch.all(b.bn1.weight == 1) for b in blocks)
    w = enc.layer3[0].conv2.weight                           # 256 → 256, 3 × 3: fan-out 256·9
    assert w.std().item() == pytest.approx(np.sqrt(2 / (256 * 9)), rel=0.03)
    w = enc.conv1.weight                                     # 3 → 64, 7 × 7: fan-out 64·49
    assert w.std().item() == pytest.approx(np.sqrt(2 / (64 * 49)), rel=0.05)


# ---- context and decoder ---------------------------------------------------------------------------

def aspp(x, a):
    x = conv_bn_relu(x, a.reduce)
    outs = [conv_bn_relu(x, a.branches[0])]
    outs += [conv_bn_relu(x, branch, k=3, dilation=rate) for branch, rate in zip(a.branches[1:], (6, 12, 18))]
    pooled = relu(conv(x.mean((2, 3), keepdim=True), a.pool[1]))
    outs.append(pooled.expand(-1, -1, *x.shape[2:]))
    return conv_bn_relu(torch.cat(outs, 1), a.fuse)


def test_aspp_has_rates_6_12_18_beside_a_1x1_and_image_pooling_in_that_order():
    a = scramble(depthy.ASPP(cin=24, reduced=16, branch=8, cout=12))
    assert a.pool[1].bias is None
    x = torch.randn(2, 24, 20, 21, dtype=torch.float64)     # larger than 18: every rate reaches real pixels
    with torch.no_grad():
        out = a(x)
    assert out.shape == (2, 12, 20, 21) and torch.allclose(out, aspp(x, a), atol=1e-10)
    assert depthy.ASPP().reduce[0].in_channels == 2048 and depthy.ASPP().fuse[0].out_channels == 256


def squeeze_excite(x, se):
    w = torch.sigmoid(conv(relu(conv(x.mean((2, 3), keepdim=True), se.fc1)), se.fc2))
    return x * w


def test_squeeze_excite_scales_each_channel_by_a_gate_from_its_mean():
    se = scramble(depthy.SqueezeExcite(32))
    assert se.fc1.out_channels == 4 and depthy.SqueezeExcite(64).fc1.out_channels == 8   # an eighth, at least 4
    assert depthy.SqueezeExcite(16).fc1.out_channels == 4
    x = torch.randn(2, 32, 6, 7, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(se(x), squeeze_excite(x, se), atol=1e-12)


def pixel_shuffle(x):
    """(B, 4C, H, W) → (B, C, 2H, 2W): out[c, 2i + a, 2j + b] = in[4c + 2a + b, i, j]."""
    b, c4, h, w = x.shape
    out = torch.empty(b, c4 // 4, 2 * h, 2 * w, dtype=x.dtype)
    for a in range(2):
        for bb in range(2):
            out[:, :, a::2, bb::2] = x[:, 2 * a + bb::4]
    return out


def shuffle_block(x, p):
    return squeeze_excite(relu(bn(pixel_shuffle(conv(x, p.conv, padding=1)), p.bn)), p.se)


def test_a_pixel_shuffle_block_doubles_the_size_channel_groups_becoming_2x2_cells():
    p = scramble(depthy.PixelShuffleBlock(12, 8))
    x = torch.randn(2, 12, 5, 6, dtype=torch.float64)
    with torch.no_grad():
        out = p(x)
    assert out.shape == (2, 8, 10, 12) and torch.allclose(out, shuffle_block(x, p), atol=1e-10)


def eesp(x, e, branches=4):
    r = conv_bn_relu(x, e.reduce)
    outs, acc = [], 0
    for k, branch in enumerate(e.branches):
        acc = acc + conv(r, branch, padding=2 ** k, dilation=2 ** k, groups=r.shape[1])
        outs.append(acc)
    merged = bn(conv(prelu(bn(torch.cat(outs, 1), e.merge[0]), e.merge[1]), e.merge[2]), e.merge[3])
    return prelu(merged + bn(conv(x, e.shortcut[0]), e.shortcut[1]), e.act)


def test_eesp_sums_dilations_1_2_4_8_hierarchically_and_adds_a_projected_shortcut():
    e = scramble(depthy.EESP(20, 16))
    assert e.reduce[0].out_channels == 4 and len(e.branches) == 4       # 16 out over 4 branches: 4 each
    assert depthy.EESP(20, 3).reduce[0].out_channels == 1                  # fewer outputs than branches: 1 each
    x = torch.randn(2, 20, 19, 17, dtype=torch.float64)                   # larger than 8: every dilation counts
    with torch.no_grad():
        out = e(x)
    assert out.shape == (2, 16, 19, 17) and torch.allclose(out, eesp(x, e), atol=1e-10)


def stage(x, s, skip=None):
    x = shuffle_block(x, s.up)
    if skip is not None:
        x = torch.cat([x, eesp(skip, s.skip)], 1)
    return conv_bn_relu(x, s.fuse, k=3)


def test_a_decoder_stage_puts_the_upsampled_features_first_and_the_refined_skip_second():
    s = scramble(depthy.DecoderStage(12, 10, 8))
    x = torch.randn(1, 12, 4, 5, dtype=torch.float64)
    skip = torch.randn(1, 10, 8, 10, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(s(x, skip), stage(x, s, skip), atol=1e-10)
    plain = scramble(depthy.DecoderStage(12, 0, 8))
    assert plain.skip is None and plain.fuse[0].in_channels == 8
    with torch.no_grad():
        assert torch.allclose(plain(x), stage(x, plain), atol=1e-10)


# ---- the whole network ---------------------------------------------------------------------------

def upsample_matrix(n):
    """Bilinear ×2 with half-pixel centres along one axis: output i reads input (i + 0.5) / 2 − 0.5,
    clamped at the ends."""
    m = np.zeros((2 * n, n))
    for i in range(2 * n):
        src = min(max((i + 0.5) / 2 - 0.5, 0.0), n - 1)
        lo = int(np.floor(src))
        hi = min(lo + 1, n - 1)
        m[i, lo] += 1 - (src - lo)
        m[i, hi] += src - lo
    return torch.from_numpy(m)


def forward(model, rgb):
    h, w = rgb.shape[-2:]
    mean = torch.tensor([0.485, 0.456, 0.406]).double().view(1, 3, 1, 1)    # float32 constants, as held
    std = torch.tensor([0.229, 0.224, 0.225]).double().view(1, 3, 1, 1)
    x = (rgb - mean) / std
    H, W = -(-h // 32) * 32, -(-w // 32) * 32
    x = x[:, :, torch.arange(H).clamp(max=h - 1)][:, :, :, torch.arange(W).clamp(max=w - 1)]   # edge repeated
    s2, s4, s8, s16, s32 = encoder(x, model.encoder)
    y = aspp(s32, model.aspp)
    for s, skip in ((model.up16, s16), (model.up8, s8), (model.up4, s4), (model.up2, s2)):
        y = stage(y, s, skip)
    y = conv(y, model.head, padding=1)
    rows, cols = upsample_matrix(y.shape[2]), upsample_matrix(y.shape[3])
    y = torch.einsum("ir,bcrs,js->bcij", rows, y, cols)
    return y[..., :h, :w]


def test_the_network_pads_with_its_edges_to_a_multiple_of_32_runs_each_part_and_crops_back():
    model = scramble(depthy.Depthy())
    rgb = torch.rand(1, 3, 40, 70).double()          # padded to 64 × 96
    with torch.no_grad():
        out = model(rgb)
    expected = forward(model, rgb)
    assert out.shape == (1, 2, 40, 70)
    assert torch.allclose(out, expected, atol=1e-8 * expected.abs().max().item())
    assert model.head.out_channels == 2 and depthy.OUTPUT_STRIDE == 2


def test_the_decoders_widths_and_skips_come_from_the_encoders_strides():
    model = depthy.Depthy(widths=(40, 32, 24, 16, 8))
    assert [(s.up.conv.in_channels, s.skip.reduce[0].in_channels, s.fuse[0].out_channels)
            for s in (model.up16, model.up8, model.up4, model.up2)] == \
        [(40, 1024, 32), (32, 512, 24), (24, 256, 16), (16, 64, 8)]
    assert model.aspp.fuse[0].out_channels == 40 and model.head.in_channels == 8
    assert "mean" not in model.state_dict() and "std" not in model.state_dict()
    assert depthy.parameter_count(nn.Linear(3, 2)) == 8

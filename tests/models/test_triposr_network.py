"""TripoSR's network (models/triposr/vit.py, backbone.py, system.py) against an independent forward pass:
the image encoder's layers against torch's own pre-norm `nn.TransformerEncoderLayer`, the backbone's
attention against `nn.MultiheadAttention`, and the rest (patches, GroupNorm, GEGLU, token order, the
transposed convolution) written out by hand from the facts in ../shared/docs/triposr-facts.md. The official
checkpoint cannot be fetched here, so this is what stands between a slip in the layers and a wrong mesh."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("yaml")

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from depthy_blender.models.triposr import TripoSR, TripoSRError, backbone, vit  # noqa: E402
from depthy_blender.models.triposr.system import read_config  # noqa: E402
from tests.models import tiny_triposr  # noqa: E402
from tests.models.scrambled import scrambled  # noqa: E402


def scramble(module, seed=0):
    return scrambled(module, 0.3, seed)


def gelu(x):
    """The exact (erf) GELU, written out."""
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


# ---- the image encoder (DINO ViT-B/16) ---------------------------------------------------------------

TINY_VIT = dict(vit.DINO_VITB16, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
                image_size=48)


def reference_layer(layer: vit.Layer, cfg) -> nn.TransformerEncoderLayer:
    """torch's pre-norm encoder layer holding `layer`'s weights (q, k, v stacked in that order)."""
    ref = nn.TransformerEncoderLayer(cfg["hidden_size"], cfg["num_attention_heads"], cfg["intermediate_size"],
                                     dropout=0.0, activation="gelu", layer_norm_eps=cfg["layer_norm_eps"],
                                     batch_first=True, norm_first=True).double().eval()
    qkv = layer.attention.attention
    with torch.no_grad():
        ref.self_attn.in_proj_weight.copy_(torch.cat([qkv.query.weight, qkv.key.weight, qkv.value.weight]))
        ref.self_attn.in_proj_bias.copy_(torch.cat([qkv.query.bias, qkv.key.bias, qkv.value.bias]))
        for mine, theirs in [(layer.attention.output.dense, ref.self_attn.out_proj),
                             (layer.intermediate.dense, ref.linear1), (layer.output.dense, ref.linear2),
                             (layer.layernorm_before, ref.norm1), (layer.layernorm_after, ref.norm2)]:
            theirs.weight.copy_(mine.weight)
            theirs.bias.copy_(mine.bias)
    return ref


def test_an_encoder_layer_is_torchs_pre_norm_transformer_layer_with_exact_gelu():
    layer = scramble(vit.Layer(TINY_VIT))
    ref = reference_layer(layer, TINY_VIT)
    x = torch.randn(2, 10, 32, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(layer(x), ref(x), atol=1e-10)


def test_the_encoder_layers_epsilon_is_the_configs():
    cfg = dict(TINY_VIT, layer_norm_eps=0.5)
    layer = vit.Layer(cfg)
    assert layer.layernorm_before.eps == 0.5 and layer.layernorm_after.eps == 0.5
    assert vit.ViTModel(cfg).layernorm.eps == 0.5


def reference_tokens(tokenizer: vit.ImageTokenizer, images, cfg):
    """Images in [0, 1] → tokens, written out: ImageNet normalisation, 16 × 16 patches cut row by row and
    projected, CLS first, the position table added, the layers, then the last LayerNorm."""
    model = tokenizer.model
    mean = torch.tensor([0.485, 0.456, 0.406]).double().view(1, 3, 1, 1)   # float32 constants, as the model holds them
    std = torch.tensor([0.229, 0.224, 0.225]).double().view(1, 3, 1, 1)
    x = (images - mean) / std
    b, _, h, w = x.shape
    p = cfg["patch_size"]
    patches = x.reshape(b, 3, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5).reshape(b, (h // p) * (w // p), 3 * p * p)
    proj = model.embeddings.patch_embeddings.projection
    tokens = patches @ proj.weight.reshape(cfg["hidden_size"], -1).T + proj.bias
    tokens = torch.cat([model.embeddings.cls_token.expand(b, 1, -1), tokens], 1) + model.embeddings.position_embeddings
    for layer in model.encoder.layer:
        tokens = reference_layer(layer, cfg)(tokens)
    return F.layer_norm(tokens, (cfg["hidden_size"],), model.layernorm.weight, model.layernorm.bias,
                        cfg["layer_norm_eps"])


def test_the_image_encoder_normalises_cuts_patches_row_by_row_and_keeps_cls_first():
    tokenizer = scramble(vit.ImageTokenizer(TINY_VIT))
    images = torch.rand(2, 3, 48, 48, dtype=torch.float64)
    with torch.no_grad():
        out = tokenizer(images)
        assert out.shape == (2, 1 + 9, 32)
        assert torch.allclose(out, reference_tokens(tokenizer, images, TINY_VIT), atol=1e-9)
    # the pooler's keys are in the checkpoint (strict loading) though its output is never used
    assert {"model.pooler.dense.weight", "model.pooler.dense.bias"} <= set(tokenizer.state_dict())
    assert "mean" not in tokenizer.state_dict() and "std" not in tokenizer.state_dict()


def test_dino_vit_b16_is_the_official_encoder():
    """The facts: 768 wide, 12 layers of 12 heads, MLP 3072, 16 px patches, a 224 px table, eps 1e-12."""
    assert vit.DINO_VITB16 == dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                                   intermediate_size=3072, patch_size=16, image_size=224, layer_norm_eps=1e-12)
    with torch.device("meta"):
        model = vit.ViTModel(vit.DINO_VITB16)
    assert len(model.encoder.layer) == 12 and model.encoder.layer[0].attention.attention.heads == 12
    assert model.embeddings.position_embeddings.shape == (1, 197, 768)
    assert model.embeddings.cls_token.shape == (1, 1, 768)


def test_a_position_table_that_does_not_come_out_the_patch_grids_size_is_an_error(monkeypatch):
    embeddings = vit.Embeddings(TINY_VIT)
    monkeypatch.setattr(vit.F, "interpolate", lambda grid, **kwargs: grid[..., :3, :4])   # 3 × 4, not 4 × 4
    with pytest.raises(ValueError, match=r"^position interpolation gave \(3, 3\), expected \(4, 4\)$"):
        embeddings.interpolated_positions(64, 64)


# ---- the backbone ------------------------------------------------------------------------------------

def reference_attention(attention: backbone.Attention, dim, context_dim=None) -> nn.MultiheadAttention:
    """torch's multi-head attention with `attention`'s projections (no q, k, v bias; the output's bias
    is added by the caller, since torch ties the two)."""
    ref = nn.MultiheadAttention(dim, attention.heads, bias=False, kdim=context_dim, vdim=context_dim,
                                batch_first=True).double().eval()
    with torch.no_grad():
        if context_dim is None:
            ref.in_proj_weight.copy_(torch.cat([attention.to_q.weight, attention.to_k.weight, attention.to_v.weight]))
        else:
            ref.q_proj_weight.copy_(attention.to_q.weight)
            ref.k_proj_weight.copy_(attention.to_k.weight)
            ref.v_proj_weight.copy_(attention.to_v.weight)
        ref.out_proj.weight.copy_(attention.to_out[0].weight)
    return ref


def attend(attention, x, context=None, dim=64):
    ref = reference_attention(attention, dim, None if context is None else context.shape[-1])
    kv = x if context is None else context
    return ref(x, kv, kv, need_weights=False)[0] + attention.to_out[0].bias


def test_self_and_cross_attention_are_torchs_multi_head_attention_without_qkv_bias():
    self_attn = scramble(backbone.Attention(64, heads=4, head_dim=16))
    cross = scramble(backbone.Attention(64, heads=4, head_dim=16, context_dim=24), seed=1)
    assert self_attn.to_q.bias is None and self_attn.to_k.bias is None and self_attn.to_v.bias is None
    assert cross.to_k.in_features == 24 and cross.to_v.in_features == 24 and cross.to_q.in_features == 64
    x = torch.randn(2, 7, 64, dtype=torch.float64)
    context = torch.randn(2, 5, 24, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(self_attn(x), attend(self_attn, x), atol=1e-10)
        assert torch.allclose(cross(x, context), attend(cross, x, context), atol=1e-10)


def test_geglu_multiplies_the_first_half_by_the_gelu_of_the_second():
    geglu = scramble(backbone.GEGLU(6, 5))
    x = torch.randn(3, 6, dtype=torch.float64)
    projected = x @ geglu.proj.weight.T + geglu.proj.bias
    with torch.no_grad():
        assert torch.allclose(geglu(x), projected[:, :5] * gelu(projected[:, 5:]), atol=1e-12)
    ff = scramble(backbone.FeedForward(6, 5))
    out = ff.net[0](x) @ ff.net[2].weight.T + ff.net[2].bias
    with torch.no_grad():
        assert torch.allclose(ff(x), out, atol=1e-12)


def reference_block(block: backbone.TransformerBlock, h, context):
    def norm(m, t):
        return F.layer_norm(t, (t.shape[-1],), m.weight, m.bias, 1e-5)
    h = h + attend(block.attn1, norm(block.norm1, h))
    h = h + attend(block.attn2, norm(block.norm2, h), context)
    n = norm(block.norm3, h)
    a, g = (n @ block.ff.net[0].proj.weight.T + block.ff.net[0].proj.bias).chunk(2, -1)
    return h + (a * gelu(g)) @ block.ff.net[2].weight.T + block.ff.net[2].bias


def test_a_block_is_self_attention_then_cross_attention_then_geglu_each_pre_normed_with_a_residual():
    block = scramble(backbone.TransformerBlock(64, heads=4, head_dim=16, context_dim=24))
    assert block.ff.net[0].proj.out_features == 2 * 4 * 64     # inner width four times the model's
    h = torch.randn(2, 7, 64, dtype=torch.float64)
    context = torch.randn(2, 5, 24, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(block(h, context), reference_block(block, h, context), atol=1e-10)


def group_norm(x, groups, weight, bias, eps=1e-6):
    """(B, C, N), normalised over each group of C / groups channels and all N positions together."""
    b, c, n = x.shape
    g = x.reshape(b, groups, -1)
    g = (g - g.mean(-1, keepdim=True)) / torch.sqrt(g.var(-1, unbiased=False, keepdim=True) + eps)
    return g.reshape(b, c, n) * weight[:, None] + bias[:, None]


def reference_transformer(net: backbone.Transformer1D, x, context, groups):
    h = group_norm(x, groups, net.norm.weight, net.norm.bias).transpose(1, 2) @ net.proj_in.weight.T + net.proj_in.bias
    for block in net.transformer_blocks:
        h = reference_block(block, h, context)
    return (h @ net.proj_out.weight.T + net.proj_out.bias).transpose(1, 2) + x


def test_the_backbone_group_normalises_projects_runs_the_blocks_and_adds_its_input():
    net = scramble(backbone.Transformer1D(48, num_attention_heads=4, attention_head_dim=16, num_layers=3,
                                          cross_attention_dim=24, norm_num_groups=4))
    x = torch.randn(2, 48, 9, dtype=torch.float64) * 3 + 1
    context = torch.randn(2, 5, 24, dtype=torch.float64)
    seen = []
    with torch.no_grad():
        out = net(x, context, progress=seen.append)
        assert out.shape == (2, 48, 9)
        assert torch.allclose(out, reference_transformer(net, x, context, 4), atol=1e-9)
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert net.norm.eps == 1e-6 and net.norm.num_groups == 4
    assert backbone.Transformer1D(64, 4, 16, 1, 24).norm.num_groups == 32     # the official default


def test_triplane_tokens_run_plane_then_row_then_column_and_detokenize_back():
    tokenizer = backbone.Triplane1DTokenizer(plane_size=3, num_channels=2)
    with torch.no_grad():
        tokenizer.embeddings.copy_(torch.arange(3 * 2 * 3 * 3, dtype=torch.float32).reshape(3, 2, 3, 3))
    tokens = tokenizer(batch=2)
    assert tokens.shape == (2, 2, 27)
    emb = tokenizer.embeddings
    for plane in range(3):
        for row in range(3):
            for col in range(3):
                assert torch.equal(tokens[1, :, plane * 9 + row * 3 + col], emb[plane, :, row, col])
    back = tokenizer.detokenize(tokens)
    assert back.shape == (2, 3, 2, 3, 3) and torch.equal(back[0], emb) and torch.equal(back[1], emb)


def test_the_triplane_table_starts_at_one_over_the_square_root_of_its_channels():
    torch.manual_seed(0)
    table = backbone.Triplane1DTokenizer(plane_size=16, num_channels=64).embeddings
    assert table.shape == (3, 64, 16, 16)
    assert table.std().item() == pytest.approx(1 / 8, rel=0.03)


def test_the_upsampler_turns_each_plane_into_a_grid_twice_the_size():
    """A 2 × 2 transposed convolution with stride 2: each input cell writes its own 2 × 2 block,
    out[o, 2i + di, 2j + dj] = Σc in[c, i, j]·W[c, o, di, dj] + b[o], plane by plane."""
    up = scramble(backbone.TriplaneUpsampleNetwork(5, 3))
    planes = torch.randn(2, 3, 5, 4, 4, dtype=torch.float64)
    weight, bias = up.upsample.weight, up.upsample.bias          # (5, 3, 2, 2), (3,)
    expected = torch.einsum("bpcij,cokl->bpoikjl", planes, weight).reshape(2, 3, 3, 8, 8) + bias.view(1, 1, 3, 1, 1)
    with torch.no_grad():
        out = up(planes)
    assert out.shape == (2, 3, 3, 8, 8) and torch.allclose(out, expected, atol=1e-12)


# ---- the whole model (system.py) ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    return tiny_triposr.write(tmp_path_factory.mktemp("tiny_network"))


@pytest.fixture(scope="module")
def tiny(tiny_folder):
    return TripoSR.from_folder(tiny_folder, dtype=torch.float64)


def test_the_scene_codes_are_the_independent_forward_pass(tiny_folder, tiny):
    cfg = read_config(tiny_folder / "config.yaml")
    vit_cfg = dict(vit.DINO_VITB16, **cfg["image_tokenizer"]["vit"])
    images = torch.rand(2, 3, 48, 48).double()             # float32 values, held exactly in float64
    with torch.no_grad():
        image_tokens = reference_tokens(tiny.image_tokenizer, images, vit_cfg)
        emb = tiny.tokenizer.embeddings                                  # (3, C, S, S)
        tokens = emb.permute(1, 0, 2, 3).reshape(1, 64, -1).expand(2, -1, -1)
        tokens = reference_transformer(tiny.backbone, tokens, image_tokens, 32)
        planes = tokens.reshape(2, 64, 3, 8, 8).permute(0, 2, 1, 3, 4)
        w, b = tiny.post_processor.upsample.weight, tiny.post_processor.upsample.bias
        expected = torch.einsum("bpcij,cokl->bpoikjl", planes, w).reshape(2, 3, 8, 16, 16) + b.view(1, 1, 8, 1, 1)
    seen = []
    codes = tiny.encode(images.float(), progress=seen.append)     # float32 images meet a float64 model
    assert codes.dtype == torch.float64 and codes.shape == (2, 3, 8, 16, 16)
    assert torch.allclose(codes, expected, atol=1e-8)
    assert seen == pytest.approx([0.5, 1.0])


def test_the_config_sets_the_renderer_and_the_officials_defaults_fill_the_rest(tiny_folder, tiny):
    assert (tiny.radius, tiny.density_bias, tiny.samples_per_ray, tiny.cond_image_size) == (0.87, -1.0, 32, 64)
    cfg = read_config(tiny_folder / "config.yaml")
    for key in ("density_bias", "num_samples_per_ray"):
        del cfg["renderer"][key]
    del cfg["cond_image_size"]
    cfg["renderer"]["radius"] = "0.5"
    bare = TripoSR(cfg)
    assert (bare.radius, bare.density_bias, bare.samples_per_ray, bare.cond_image_size) == (0.5, -1.0, 128, 512)
    assert bare.backbone.norm.num_groups == 32 and len(bare.decoder.layers) == 19


def test_the_configs_widths_groups_and_bias_are_used_and_dino_fills_a_missing_encoder(tiny_folder):
    cfg = read_config(tiny_folder / "config.yaml")
    cfg["backbone"]["norm_num_groups"] = 16
    cfg["renderer"]["density_bias"] = -2.5
    model = TripoSR(cfg)
    assert model.backbone.norm.num_groups == 16 and model.density_bias == -2.5
    model.load_state_dict(torch.load(tiny_folder / "model.ckpt", weights_only=True))
    official = TripoSR.from_folder(tiny_folder)                    # density_bias −1
    codes, points = torch.randn(3, 8, 16, 16), torch.rand(5, 3) - 0.5
    assert torch.allclose(model.field(codes, points)[0], official.field(codes, points)[0] * math.exp(-1.5), rtol=1e-5)
    assert model.image_tokenizer.model.embeddings.cls_token.shape == (1, 1, 32)
    del cfg["image_tokenizer"]
    with torch.device("meta"):
        dino = TripoSR(cfg)
    assert dino.image_tokenizer.model.embeddings.position_embeddings.shape == (1, 197, 768)


@pytest.mark.parametrize("key", ["tokenizer", "backbone", "post_processor", "decoder", "renderer"])
def test_a_config_missing_a_part_is_one_line(tiny_folder, key):
    cfg = read_config(tiny_folder / "config.yaml")
    del cfg[key]
    with pytest.raises(TripoSRError, match=f"^TripoSR config is missing or has a wrong entry: '{key}'$"):
        TripoSR(cfg)


def test_points_are_queried_in_chunks_scene_by_scene_with_the_same_answer(tiny):
    torch.manual_seed(3)
    codes = torch.randn(2, 3, 8, 16, 16, dtype=torch.float64)
    points = (torch.rand(2, 7, 3, dtype=torch.float64) - 0.5) * 1.6
    sigma, rgb = tiny.query(codes, points, chunk=3)
    for scene in range(2):
        s, c = tiny.field(codes[scene], points[scene])
        assert torch.equal(sigma[scene], s) and torch.equal(rgb[scene], c)
    one_chunk = tiny.query(codes, points)
    assert torch.allclose(one_chunk[0], sigma, atol=1e-12) and torch.allclose(one_chunk[1], rgb, atol=1e-12)
    assert not torch.allclose(sigma[0], sigma[1])


def test_the_field_reads_the_planes_at_the_configs_radius(tiny_folder):
    """A scene whose planes are zero but for one pixel of channel 0 of plane 0: a point inside that pixel
    at the radius's scale reads it, so the density changes there and only there."""
    model = TripoSR.from_folder(tiny_folder)
    codes = torch.zeros(3, 8, 16, 16)
    codes[0, 0, 15, 15] = 50.0                      # plane 0 is (x, y): the last pixel is x, y → +radius
    edge = 0.87 * 31 / 32                           # the centre of the last of 16 pixels
    points = torch.tensor([[edge, edge, 0.0], [0.0, 0.0, 0.0], [0.5 * edge, 0.5 * edge, 0.0]])
    sigma, _ = model.field(codes, points)
    assert sigma[0] != sigma[1] and sigma[1] == sigma[2]
    model.radius = 0.5 / (31 / 32)                    # the same pixel now lies at x = y = 0.5
    sigma, _ = model.field(codes, torch.tensor([[0.5, 0.5, 0.0], [0.0, 0.0, 0.0]]))
    assert sigma[0] != sigma[1]


def test_the_density_function_answers_on_the_cpu_without_gradients(tiny):
    codes = torch.randn(3, 8, 16, 16, dtype=torch.float64, requires_grad=True)
    points = torch.rand(4, 3, dtype=torch.float64) - 0.5
    out = tiny.density_fn(codes)(points)
    assert out.device.type == "cpu" and not out.requires_grad and out.shape == (4,)
    assert torch.equal(out, tiny.field(codes.detach(), points)[0])
    # points in float32 (as extraction sends them) are read in the codes' precision
    assert torch.allclose(tiny.density_fn(codes)(points.float()), tiny.density_fn(codes)(points.float().double()),
                          rtol=1e-6)


def test_the_mesh_comes_with_the_colours_at_its_vertices(tiny):
    """Plane 0 (x, y) holds a bump, so the density varies across x and y; the threshold halfway between
    the centre's density and a corner's cuts a surface, whose vertices carry the field's colours."""
    codes = torch.zeros(3, 8, 16, 16, dtype=torch.float64)
    ramp = torch.linspace(-1, 1, 16, dtype=torch.float64)
    codes[0, :] = 300.0 * torch.exp(-4 * (ramp[:, None] ** 2 + ramp[None, :] ** 2))
    density = tiny.density_fn(codes)
    centre, corner = density(torch.tensor([[0.0, 0.0, 0.0], [0.8, 0.8, 0.0]], dtype=torch.float64)).tolist()
    assert abs(centre - corner) > 1e-3 * max(centre, corner)
    result, colours = tiny.extract_mesh(codes, 12, chunk=500, threshold=(centre + corner) / 2)
    assert len(result.vertices) > 0
    assert colours.shape == (len(result.vertices), 3) and colours.dtype.name == "float32"
    expected = tiny.query(codes[None], torch.from_numpy(result.vertices).double()[None])[1][0].double()
    assert torch.allclose(torch.from_numpy(colours).double(), expected, atol=1e-6)
    empty, none = tiny.extract_mesh(codes, 12, chunk=500, threshold=10 * max(centre, corner) + 1)
    assert len(empty.vertices) == 0 and none.shape == (0, 3) and none.dtype.name == "float32"


def test_extraction_uses_the_official_threshold_coarse_to_fine_and_passes_cancel_and_progress_on(tiny, monkeypatch):
    from depthy_blender.models.triposr import extract
    calls = []

    def fake(density_fn, resolution, threshold, coarse_to_fine, chunk, cancel, progress):
        calls.append((density_fn(torch.zeros(1, 3)).shape, resolution, threshold, coarse_to_fine, chunk, cancel, progress))
        return extract.Extraction(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int32), 0, 0)
    monkeypatch.setattr(extract, "extract", fake)
    stop, report = object(), object()
    tiny.extract_mesh(torch.zeros(3, 8, 16, 16, dtype=torch.float64), 40, chunk=99, cancel=stop, progress=report)
    assert calls == [((1,), 40, 25.0, True, 99, stop, report)]


def test_the_input_views_depth_is_rendered_with_the_configs_samples(tiny, monkeypatch):
    from depthy_blender.models.triposr import nerf
    calls = []

    def render(fn, origins, dirs, radius, samples, chunk, cancel):
        calls.append((origins.shape, dirs.shape, radius, samples, chunk, cancel))
        assert torch.equal(fn(torch.zeros(2, 3)), tiny.field(codes, torch.zeros(2, 3))[0])   # the scene's density
        return torch.arange(len(origins), dtype=torch.float32), torch.ones(len(origins))
    monkeypatch.setattr(nerf, "render_depth", render)
    stop = object()
    codes = torch.randn(3, 8, 16, 16, dtype=torch.float64)
    depth, opacity = tiny.render_input_depth(codes, resolution=5, chunk=7, cancel=stop)
    assert calls == [((25, 3), (25, 3), 0.87, 32, 7, stop)]
    assert depth.shape == (5, 5) and depth[1, 0] == 5 and opacity.shape == (5, 5)

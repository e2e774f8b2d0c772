"""TripoSR in plain torch: loading, shapes, reproducibility, extraction, orientation, bad checkpoints."""
from collections import Counter

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")
pytest.importorskip("skimage")
pytest.importorskip("yaml")

from depthy_blender.models import triposr_engine  # noqa: E402
from depthy_blender.models.triposr import TripoSR, TripoSRError, extract, nerf, preprocess  # noqa: E402
from depthy_blender.models.triposr.system import read_config  # noqa: E402
from tests.models import tiny_triposr  # noqa: E402


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    return tiny_triposr.write(tmp_path_factory.mktemp("tiny_triposr"))


@pytest.fixture(scope="module")
def tiny(tiny_folder):
    return TripoSR.from_folder(tiny_folder)


def test_official_layout_has_549_tensors_and_419m_parameters(tmp_path):
    cfg = read_config_text(tmp_path, tiny_triposr.CONFIG.replace("vit: {", "unused: {"))
    cfg.update(tokenizer={"plane_size": 32, "num_channels": 1024},
               backbone={"in_channels": 1024, "num_attention_heads": 16, "attention_head_dim": 64, "num_layers": 16,
                         "cross_attention_dim": 768},
               post_processor={"in_channels": 1024, "out_channels": 40},
               decoder={"in_channels": 120, "n_neurons": 64, "n_hidden_layers": 9})
    with torch.device("meta"):
        model = TripoSR(cfg)
    state = model.state_dict()
    assert len(state) == 549 and sum(v.numel() for v in state.values()) == 419_275_628
    assert tuple(state["backbone.transformer_blocks.15.ff.net.0.proj.weight"].shape) == (8192, 1024)
    assert tuple(state["image_tokenizer.model.embeddings.position_embeddings"].shape) == (1, 197, 768)
    assert tuple(state["decoder.layers.18.weight"].shape) == (4, 64)
    assert "image_tokenizer.model.pooler.dense.weight" in state


def read_config_text(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return read_config(path)


def test_config_references_are_resolved(tiny_folder):
    cfg = read_config(tiny_folder / "config.yaml")
    assert cfg["backbone"]["in_channels"] == 64


def test_shapes(tiny):
    codes = tiny.encode(torch.rand(2, 3, 64, 64))
    assert codes.shape == (2, 3, 8, 16, 16)
    sigma, rgb = tiny.query(codes, torch.rand(2, 50, 3) - 0.5)
    assert sigma.shape == (2, 50) and rgb.shape == (2, 50, 3)
    assert (sigma > 0).all() and ((rgb >= 0) & (rgb <= 1)).all()


def _cubic_matrix(n_in: int, scale: float, a: float = -0.75) -> np.ndarray:
    """Bicubic resampling along one axis as a matrix, written out from the cubic convolution kernel
    (Keys, a = −0.75) with half-pixel centres and edge samples repeated: out = M @ in."""
    def kernel(x):
        x = abs(x)
        if x <= 1:
            return (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1
        return a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a if x < 2 else 0.0
    n_out = int(np.floor(n_in * scale))
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        src = (i + 0.5) / scale - 0.5
        base = int(np.floor(src))
        for k in range(base - 1, base + 3):
            m[i, min(max(k, 0), n_in - 1)] += kernel(src - k)
    return m


def test_position_table_is_interpolated_bicubically(tiny):
    """The 3 × 3 position table stretched to 4 × 4 patches by a factor (4 + 0.1) / 3 (the facts of the
    official model), checked against the kernel written out by hand, not against torch's interpolate."""
    emb = tiny.image_tokenizer.model.embeddings
    table = emb.interpolated_positions(64, 64)          # 3×3 table → 4×4 patches
    assert table.shape == (1, 17, 32)
    assert torch.equal(table[:, 0], emb.position_embeddings[:, 0])
    grid = emb.position_embeddings[0, 1:].detach().reshape(3, 3, 32).double().numpy()   # [row, col, channel]
    m = _cubic_matrix(3, 4.1 / 3)
    expected = np.einsum("ir,rcd,jc->ijd", m, grid, m).reshape(16, 32)
    assert np.allclose(table[0, 1:].detach().double().numpy(), expected, atol=1e-5)
    assert torch.equal(emb.interpolated_positions(48, 48), emb.position_embeddings)   # native size: untouched


def test_density_is_reproducible(tiny_folder, tiny):
    points = torch.tensor([[[0.1, -0.2, 0.3], [0.0, 0.0, 0.0], [-0.5, 0.4, 0.2]]])
    image = torch.linspace(0, 1, 3 * 64 * 64).reshape(1, 3, 64, 64)
    a = tiny.query(tiny.encode(image), points)[0]
    again = TripoSR.from_folder(tiny_folder)
    b = again.query(again.encode(image), points)[0]
    assert torch.equal(a, b)
    rebuilt = TripoSR.from_folder(tiny_triposr.write(tiny_folder.parent / "same_seed", seed=0))
    assert torch.equal(rebuilt.query(rebuilt.encode(image), points)[0], a)


def test_plane_sampling_follows_the_facts():
    planes = torch.zeros(3, 1, 4, 4)
    planes[0, 0, 0, 3] = 1.0     # plane 0 (x, y): first coordinate indexes width
    p = torch.tensor([[0.87 * 0.75, -0.87 * 0.75, 0.0]])
    feats = nerf.sample_planes(planes, p, 0.87)
    assert feats[0, 0] == pytest.approx(1.0)
    assert feats[0, 1] == 0 and feats[0, 2] == 0


def save_checkpoint(tmp_path, state):
    (tmp_path / "config.yaml").write_text(tiny_triposr.CONFIG)
    torch.save(state, tmp_path / "model.ckpt")
    return tmp_path


@pytest.mark.parametrize("bad", ["missing", "extra"])
def test_checkpoint_with_wrong_keys_is_refused(tiny_folder, tmp_path, bad):
    state = torch.load(tiny_folder / "model.ckpt", weights_only=True)
    if bad == "missing":
        state.pop("decoder.layers.18.bias")
    else:
        state["decoder.layers.20.weight"] = torch.zeros(1)
    with pytest.raises(TripoSRError, match=f"1 {'missing' if bad == 'missing' else 'unexpected'} key"):
        TripoSR.from_folder(save_checkpoint(tmp_path, state))


def test_truncated_or_absent_files_are_clear(tiny_folder, tmp_path):
    with pytest.raises(TripoSRError, match="missing.*model.ckpt"):
        TripoSR.from_folder(tmp_path)
    (tmp_path / "config.yaml").write_text(tiny_triposr.CONFIG)
    data = (tiny_folder / "model.ckpt").read_bytes()
    (tmp_path / "model.ckpt").write_bytes(data[: len(data) // 2])
    with pytest.raises(TripoSRError, match=r"^model.ckpt is incomplete or damaged \(RuntimeError while reading it\); "
                                           r"download it again$"):
        TripoSR.from_folder(tmp_path)


# ---- extraction on known fields ---------------------------------------------------------------------

def sphere_density(radius=0.5, center=(0.0, 0.0, 0.0)):
    c = torch.tensor(center)
    return lambda p: (25.0 + 200.0 * (radius - (p - c).norm(dim=-1))).clamp(min=0)


def box_density(half=(0.4, 0.25, 0.3)):
    h = torch.tensor(half)

    def f(p):
        q = p.abs() - h
        sd = q.clamp(min=0).norm(dim=-1) + q.max(dim=-1).values.clamp(max=0)
        return 25.0 - 200.0 * sd
    return f


def _watertight(faces):
    edges = np.sort(np.stack([faces, np.roll(faces, -1, 1)], -1).reshape(-1, 2), axis=1)
    return set(Counter(map(tuple, edges.tolist())).values()) == {2}


@pytest.mark.parametrize("field", [sphere_density(), box_density(), sphere_density(0.2, (0.3, -0.4, 0.1))])
def test_coarse_to_fine_equals_dense(field):
    fine = extract.extract(field, resolution=96, coarse_to_fine=True)
    dense = extract.extract(field, resolution=96, coarse_to_fine=False)
    assert np.array_equal(fine.vertices, dense.vertices) and np.array_equal(fine.faces, dense.faces)
    assert fine.queries * 3 <= dense.queries
    assert _watertight(fine.faces) and extract.signed_volume(fine.vertices, fine.faces) > 0


def test_sphere_volume_and_outward_normals():
    result = extract.extract(sphere_density(0.5), resolution=80)
    assert extract.signed_volume(result.vertices, result.faces) == pytest.approx(4 / 3 * np.pi * 0.125, rel=0.03)
    v = result.vertices[result.faces]
    normals = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    assert ((normals * v.mean(1)).sum(1) > 0).mean() > 0.99


def test_no_surface_gives_an_empty_mesh():
    result = extract.extract(lambda p: torch.zeros(len(p)), resolution=40)
    assert len(result.faces) == 0


def test_input_view_faces_blender_front_and_keeps_left_right():
    """A bump toward the input camera (native +x) ends up toward Blender's −Y; the image's right
    (native +y) ends up at Blender's +X."""
    v = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], np.float32)
    out = triposr_engine.native_to_blender(v)
    assert np.allclose(out, [[0, -1, 0], [1, 0, 0], [0, 0, 1]])
    assert np.linalg.det(out) > 0     # a rotation, not a mirror


def test_input_view_depth_sees_the_near_side():
    near_right = sphere_density(0.25, (0.3, 0.3, 0.0))     # toward the camera and to image right
    origins, dirs = nerf.input_view_rays(32)
    depth, opacity = nerf.render_depth(near_right, origins, dirs, 0.87, samples=64)
    opacity = opacity.reshape(32, 32).numpy()
    cols = np.nonzero(opacity > 0.5)[1]
    assert cols.mean() > 16                                 # right half of the image
    hit = depth.reshape(32, 32).numpy()[opacity > 0.5]
    assert hit.min() == pytest.approx(1.9 - 0.55, abs=0.05)  # front of the sphere: 1.9 − (0.3 + 0.25)


def test_preprocess_framing_round_trip():
    rgba = np.ones((60, 100, 4), np.float32)
    rgba[..., 3] = 0
    rgba[10:30, 40:80, 3] = 1
    image, framing = preprocess.prepare(rgba, foreground_ratio=0.8, size=64)
    assert image.shape == (1, 3, 64, 64)
    row0, col0, side = framing
    assert side == int(40 / 0.8)
    square = np.zeros((64, 64), np.float32)
    square[16:48, 16:48] = 1.0    # the middle 50 % of the square
    back = preprocess.unframe(square, framing, (60, 100))
    assert back[20, 60] == 1 and back[0, 0] == 0


def cut_out(colour=0.3):
    """60 × 100 px, transparent but for a 20 × 40 px figure (rows 10–29, columns 40–79) of grey `colour`."""
    rgba = np.zeros((60, 100, 4), np.float32)
    rgba[10:30, 40:80] = [colour, colour, colour, 1.0]
    return rgba


def test_framing_by_hand():
    """The 20 × 40 figure is centred in a 40 px square (10 rows above), padded by 5 px a side to 40 / 0.8 =
    50 px: the square's (0, 0) lies at row 10 − 10 − 5 = −5, column 40 − 0 − 5 = 35 of the input."""
    framed, origin = preprocess.resize_foreground(cut_out(), 0.8)
    assert framed.shape == (50, 50, 4) and framed.dtype == np.float32 and origin == (-5, 35)
    assert np.array_equal(np.argwhere(framed[..., 3] > 0).min(0), [15, 5])
    assert np.array_equal(np.argwhere(framed[..., 3] > 0).max(0), [34, 44]) and framed[..., 3].sum() == 20 * 40
    tall = np.zeros((100, 60, 4), np.float32)
    tall[40:80, 10:30, 3] = 1                     # the same figure turned: centred across, not down
    assert preprocess.resize_foreground(tall, 1.0)[1] == (40, 0)
    for ratio in (0.5, 1.0):
        preprocess.resize_foreground(cut_out(), ratio)
    for ratio in (0.49, 1.01):
        with pytest.raises(ValueError, match=f"^Foreground ratio must be between 0.5 and 1.0, not {ratio}$"):
            preprocess.resize_foreground(cut_out(), ratio)


def test_the_network_sees_the_figure_on_grey_through_8_bits():
    """At the framed size (no resampling): grey 0.5 around, the figure's 0.3 as 8 bits keep it (76 / 255)."""
    image, framing = preprocess.prepare(cut_out(0.3), 0.8, size=50)
    assert framing == (-5, 35, 50) and image.dtype == torch.float32
    expected = np.full((50, 50), 0.5, np.float32)
    expected = (expected * 255).astype(np.uint8).astype(np.float32) / 255     # 127 / 255
    expected[15:35, 5:45] = 76 / 255
    assert all(torch.equal(image[0, c], torch.from_numpy(expected)) for c in range(3))
    # resized as Pillow's bilinear filter does (antialiased when shrinking), and by default to 512² at 0.85
    small, _ = preprocess.prepare(cut_out(0.3), 0.8, size=20)
    pillow = np.asarray(Image.fromarray(expected, mode="F").resize((20, 20), Image.Resampling.BILINEAR))
    assert small.shape == (1, 3, 20, 20) and np.abs(small[0, 0].numpy() - pillow).max() < 1e-4
    default, framing = preprocess.prepare(cut_out(0.3))
    assert default.shape == (1, 3, 512, 512) and framing[2] == int(40 / 0.85)


def test_the_figure_is_alpha_else_the_drawn_figure_else_everything():
    assert np.array_equal(preprocess.figure_alpha(cut_out()), cut_out()[..., 3])
    drawing = np.ones((60, 100, 4), np.float32)
    drawing[10:30, 40:80, :3] = 0.0                  # black on white paper, opaque
    alpha = preprocess.figure_alpha(drawing)
    assert alpha.dtype == np.float32 and np.array_equal(alpha, (drawing[..., 0] == 0).astype(np.float32))
    assert np.array_equal(preprocess.figure_alpha(np.ones((60, 100, 4), np.float32)), np.ones((60, 100)))


def test_unframing_samples_the_nearest_square_pixel_and_leaves_the_rest_empty():
    square = np.arange(50 * 50, dtype=np.float32).reshape(50, 50) + 1
    back = preprocess.unframe(square, (-5, 35, 50), (60, 100))        # square pixel = input pixel + (5, −35)
    assert back.shape == (60, 100) and back.dtype == np.float32
    assert np.array_equal(back[:45, 35:85], square[5:, :50])
    assert not back[45:].any() and not back[:, :35].any() and not back[:, 85:].any()
    lower = preprocess.unframe(square, (3, 35, 50), (60, 100))        # the square's first row is input row 3
    assert not lower[:3].any() and np.array_equal(lower[3, 35:85], square[0]) and not lower[53:].any()
    # rendered at 25²: input pixel (r, c) reads the square's round((r + 5.5) / 2 − 0.5), round((c − 34.5) / 2 − 0.5)
    half = preprocess.unframe(square[::2, ::2].copy(), (-5, 35, 50), (60, 100))
    rows, cols = np.meshgrid(np.arange(45), np.arange(35, 85), indexing="ij")
    assert np.array_equal(half[:45, 35:85], square[::2, ::2][np.round(0.5 * rows + 2.25).astype(int),
                                                              np.round(0.5 * (cols - 35) - 0.25).astype(int)])


@pytest.mark.parametrize("text, says", [
    # a 1 kB "billion laughs": nine levels of ten aliases each
    ("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join(['*a%d' % (i - 1)] * 10)}]\n" for i in range(1, 9)) + "decoder: *a8\n",
     "anchors or aliases"),
    ("a: &one 1\nb: 2\n", "anchors or aliases"),                     # an anchor alone
    ("x: ${x}\nbackbone: ${x}\n", "refers back to itself"),
    ("a: ${b}\nb: ${a}\n", "refers back to itself"),
    ("a:\n  b: ${a}\n", "refers back to itself"),                     # through a mapping
    ("".join(f"a{i}: ${{a{i + 1}}}\n" for i in range(17)) + "a17: 1\n",
     r"^config.yaml: \$\{a17\} is reached through more than 16 references$"),
    ("backbone: ${nowhere.at.all}\n", "refers to nothing"),
    ("- just\n- a list\n", "is not a TripoSR config"),
    ("key: [unclosed\n", "Cannot read"),
])
def test_hostile_configs_are_one_line(tmp_path, text, says):
    from depthy_blender.models.triposr.system import TripoSRError, read_config
    path = tmp_path / "config.yaml"
    path.write_text(text)
    assert path.stat().st_size < 2000
    with pytest.raises(TripoSRError, match=says):
        read_config(path)


def test_oversized_config_is_refused(tmp_path):
    from depthy_blender.models.triposr.system import TripoSRError, read_config
    path = tmp_path / "config.yaml"
    path.write_text("k: " + "v" * 70_000 + "\n")
    with pytest.raises(TripoSRError, match="about 1 kB"):
        read_config(path)


def test_sixteen_references_deep_and_a_config_at_the_limits_are_read(tmp_path):
    chain = "".join(f"a{i}: ${{a{i + 1}}}\n" for i in range(16)) + "a16: 7\n"
    assert read_config_text(tmp_path, chain)["a0"] == 7
    import yaml
    for items, refused in [(4992, False), (4993, True)]:     # 9 + items YAML events; the limit is 5001
        text = "k: [" + ", ".join(["x"] * items) + "]\n"
        assert sum(1 for _ in yaml.parse(text)) == 9 + items
        if refused:
            with pytest.raises(TripoSRError, match="^config.yaml is far larger than a TripoSR config$"):
                read_config_text(tmp_path, text)
        else:
            assert len(read_config_text(tmp_path, text)["k"]) == items
    at_limit = tiny_triposr.CONFIG + "#" * (64 * 1024 - len(tiny_triposr.CONFIG) - 1) + "\n"
    assert len(at_limit.encode()) == 64 * 1024
    assert read_config_text(tmp_path, at_limit)["backbone"]["in_channels"] == 64


SPRUNG = []


class Trap:
    """Unpickling this calls SPRUNG.append: what a hostile checkpoint would do with os.system."""

    def __reduce__(self):
        return SPRUNG.append, ("sprung",)


def test_a_checkpoint_is_read_as_tensors_only_never_running_its_code(tiny_folder, tmp_path):
    state = torch.load(tiny_folder / "model.ckpt", weights_only=True)
    save_checkpoint(tmp_path, dict(state, trap=Trap()))
    with pytest.raises(TripoSRError, match=r"^model.ckpt holds Python objects besides tensors, which are never "
                                           r"loaded \(they could run code\); download the official file again$"):
        TripoSR.from_folder(tmp_path)
    assert SPRUNG == []


def test_checkpoint_layouts_and_mismatches_are_one_line(tiny_folder, tmp_path):
    state = torch.load(tiny_folder / "model.ckpt", weights_only=True)
    nested = TripoSR.from_folder(save_checkpoint(tmp_path, {"state_dict": state}))      # a Lightning checkpoint
    assert torch.equal(nested.tokenizer.embeddings, state["tokenizer.embeddings"])
    with pytest.raises(TripoSRError, match="^model.ckpt is not a state dict$"):
        TripoSR.from_folder(save_checkpoint(tmp_path, [1, 2]))
    short = {k: v for k, v in state.items() if not k.startswith("decoder.layers.0.") and
             not k.startswith("decoder.layers.2.")}
    with pytest.raises(TripoSRError, match=r"^model.ckpt does not match TripoSR's layout: 4 missing key\(s\) "
                                           r"\['decoder.layers.0.bias', 'decoder.layers.0.weight', "
                                           r"'decoder.layers.2.bias'\], 0 unexpected key\(s\) \[\]$"):
        TripoSR.from_folder(save_checkpoint(tmp_path, short))
    extra = dict(state, **{f"extra.{i}": torch.zeros(1) for i in range(4)})
    with pytest.raises(TripoSRError, match=r"0 missing key\(s\) \[\], 4 unexpected key\(s\) "
                                           r"\['extra.0', 'extra.1', 'extra.2'\]$"):
        TripoSR.from_folder(save_checkpoint(tmp_path, extra))
    wrong = dict(state, **{"decoder.layers.2.bias": torch.zeros(17), "decoder.layers.4.weight": torch.zeros(18)})
    with pytest.raises(TripoSRError, match=r"^model.ckpt has tensors of the wrong shape for this config, e.g. "
                                           r"decoder.layers.2.bias \(17,\) ≠ \(16,\)$"):
        TripoSR.from_folder(save_checkpoint(tmp_path, wrong))


def test_both_files_missing_are_named_and_the_model_goes_where_it_is_asked(tiny_folder, tmp_path):
    with pytest.raises(TripoSRError, match=r"^TripoSR files missing in .*: config.yaml, model.ckpt$"):
        TripoSR.from_folder(tmp_path)
    model = TripoSR.from_folder(tiny_folder, device="meta", dtype=torch.float16)
    p = next(model.parameters())
    assert p.device.type == "meta" and p.dtype == torch.float16 and not model.training

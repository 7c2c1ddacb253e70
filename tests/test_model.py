"""The autoencoder (notebook 04): configurations, shapes, the non-recurrent ablation, errors."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from companion.convlstm import ConvLSTM
from companion.errors import CompanionError, ConfigMismatchError
from companion.model import CONFIGS, ModelConfig, build_model, count_parameters, layer_shapes


def _small(name: str, **kw) -> ModelConfig:
    """A named configuration's layer structure on tiny inputs (keeps the tests fast)."""
    s = CONFIGS[name].total_stride
    return dataclasses.replace(CONFIGS[name], seq_len=2, height=2 * s, width=3 * s, **kw)


def test_named_configs():
    assert set(CONFIGS) >= {"cpu", "report", "keras-readme"}
    r = CONFIGS["report"]
    assert (r.seq_len, r.channels, r.height, r.width) == (5, 1, 128, 128)
    assert r.bottleneck_shape == (64, 16, 16)
    k = CONFIGS["keras-readme"]
    assert k.input_shape == (10, 1, 224, 224)
    assert [s[:1] + s[2:] for s in k.encoder_stages] == [(128, 4), (64, 2)]
    assert k.convlstm_hidden == (64, 32, 64) and k.layer_norm
    assert k.bottleneck_shape == (64, 28, 28)
    c = CONFIGS["cpu"]
    assert c.input_shape == (8, 1, 64, 96) and c.bottleneck_shape == (32, 8, 12)
    for name, cfg in CONFIGS.items():
        assert cfg.name == name


def test_keras_readme_parameter_count_matches_keras():
    """Keras' model.summary() total for the README model: convs, 3 ConvLSTM2D, 7 LayerNormalization."""
    conv = lambda k, i, o: k * k * i * o + o  # noqa: E731
    lstm = lambda k, i, h: 4 * (k * k * (i + h) * h + h)  # noqa: E731
    ln = lambda c: 2 * c  # noqa: E731
    keras = (
        conv(11, 1, 128) + ln(128) + conv(5, 128, 64) + ln(64)
        + lstm(3, 64, 64) + ln(64) + lstm(3, 64, 32) + ln(32) + lstm(3, 32, 64) + ln(64)
        + conv(5, 64, 64) + ln(64) + conv(11, 64, 128) + ln(128) + conv(11, 128, 1)
    )  # fmt: skip
    model = build_model("keras-readme")
    assert count_parameters(model) == keras == 1_958_209


@pytest.mark.parametrize("name", ["cpu", "report", "keras-readme"])
@pytest.mark.parametrize("recurrent", [True, False])
def test_forward_shapes_and_range(name, recurrent):
    torch.manual_seed(0)
    cfg = CONFIGS[name] if name == "cpu" else _small(name)
    model = build_model(cfg, recurrent=recurrent)
    assert model.config.recurrent is recurrent
    assert any(isinstance(m, ConvLSTM) for m in model.modules()) is recurrent
    x = torch.rand(2, *cfg.input_shape)
    with torch.no_grad():
        y = model(x)
        z = model.encode(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert 0.0 <= float(y.min()) and float(y.max()) <= 1.0
    assert z.shape == (2, cfg.seq_len, *cfg.bottleneck_shape)


def test_backward_and_a_training_step_reduces_loss():
    torch.manual_seed(0)
    model = build_model("cpu")
    x = 0.8 + 0.1 * torch.rand(2, *model.config.input_shape)  # bright frames: learnable in a few steps
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), x)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(p.grad is not None for p in model.parameters())
    assert losses[-1] < losses[0]


def test_recurrent_uses_time_and_ablation_does_not():
    """Changing frame 0 changes the ConvLSTM model's later outputs, not the per-frame ablation's."""
    torch.manual_seed(0)
    x = torch.rand(1, *CONFIGS["cpu"].input_shape)
    x2 = x.clone()
    x2[:, 0] = torch.rand_like(x2[:, 0])
    for recurrent in (True, False):
        model = build_model("cpu", recurrent=recurrent).eval()
        with torch.no_grad():
            d = (model(x) - model(x2))[:, 1:].abs().max().item()
        assert (d > 0) is recurrent


def test_ablation_keeps_encoder_decoder_widths():
    rec, flat = build_model("cpu"), build_model("cpu", recurrent=False)
    enc = lambda m: [tuple(p.shape) for n, p in m.named_parameters() if not n.startswith("bottleneck")]  # noqa: E731
    assert enc(rec) == enc(flat)
    assert count_parameters(flat) < count_parameters(rec)
    assert build_model(flat.config).config.recurrent is False  # a checkpoint's config rebuilds the ablation


def test_config_round_trip_json():
    for cfg in [*CONFIGS.values(), dataclasses.replace(CONFIGS["cpu"], recurrent=False, peephole=True)]:
        d = json.loads(json.dumps(cfg.to_dict()))
        assert ModelConfig.from_dict(d) == cfg
        assert isinstance(cfg.to_dict()["encoder_stages"], list)
    with pytest.raises(ConfigMismatchError, match="unknown ModelConfig keys.*'bogus'"):
        ModelConfig.from_dict({**CONFIGS["cpu"].to_dict(), "bogus": 1})
    with pytest.raises(ConfigMismatchError, match="incomplete"):
        ModelConfig.from_dict({"name": "x"})


def test_removed_options_load_at_their_neutral_value_only() -> None:
    """Checkpoints of earlier versions store residual=False: they load; a residual=True run is refused."""
    stored = {**CONFIGS["flow-next"].to_dict(), "residual": False}
    assert ModelConfig.from_dict(stored) == CONFIGS["flow-next"]
    with pytest.raises(ConfigMismatchError, match="residual=True.*no longer has"):
        ModelConfig.from_dict({**stored, "residual": True})
    with pytest.raises(ConfigMismatchError, match="target"):
        ModelConfig(name="bad", seq_len=3, height=16, width=16, target="previous")
    with pytest.raises(ConfigMismatchError, match="signal must be one of"):
        ModelConfig(name="bad", seq_len=3, height=16, width=16, signal="absdiff")
    with pytest.raises(ConfigMismatchError, match="signal_gain"):
        ModelConfig(name="bad", seq_len=3, height=16, width=16, signal="flow", signal_gain=0)
    from companion.settings import TrainSettings

    assert TrainSettings.from_dict({**TrainSettings().to_dict(), "noise_std": 0.0}) == TrainSettings()
    with pytest.raises(ConfigMismatchError, match="noise_std=0.1"):
        TrainSettings.from_dict({**TrainSettings().to_dict(), "noise_std": 0.1})


def test_same_seed_same_weights():
    torch.manual_seed(3)
    a = build_model("cpu").state_dict()
    torch.manual_seed(3)
    b = build_model("cpu").state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_forget_bias_and_peephole_reach_the_cells():
    model = build_model(_small("cpu", peephole=True, forget_bias=1.0))
    cell = model.bottleneck.layers[0].cells[0]
    h = cell.hidden_channels
    assert torch.all(cell.gates.bias[h : 2 * h] == 1.0) and cell.peephole


@pytest.mark.parametrize(
    "shape, match",
    [
        ((2, 5, 1, 64, 96), r"expected input \(B, 8, 1, 64, 96\), got \(2, 5, 1, 64, 96\): use windows of seq_len=8"),
        ((2, 8, 3, 64, 96), r"got \(2, 8, 3, 64, 96\): .*takes 1-channel frames"),
        ((2, 8, 64, 96, 1), r"channels last\? use x.permute"),
        ((2, 8, 1, 60, 96), r"resize the frames to 64x96"),
        ((8, 1, 64, 96), r"got 4-D \(8, 1, 64, 96\); a single window\? add the batch axis"),
        ((8, 64, 96), r"got 3-D"),
    ],
)
def test_wrong_input_errors(shape, match):
    model = build_model("cpu")
    with pytest.raises(ConfigMismatchError, match=match):
        model(torch.zeros(shape))


def test_integer_frames_error():
    model = build_model("cpu")
    with pytest.raises(ConfigMismatchError, match=r"float tensor in \[0, 1\].*uint8.*/ 255"):
        model(torch.zeros(1, 8, 1, 64, 96, dtype=torch.uint8))


def test_config_errors():
    with pytest.raises(ConfigMismatchError, match=r"height=100 is not divisible by the total encoder stride 8 \(2\*2\*2\).*96 or 104"):
        dataclasses.replace(CONFIGS["cpu"], height=100)
    with pytest.raises(ConfigMismatchError, match="odd kernel"):
        dataclasses.replace(CONFIGS["cpu"], encoder_stages=((16, 4, 2),))
    with pytest.raises(ConfigMismatchError, match="convlstm_kernel must be odd"):
        dataclasses.replace(CONFIGS["cpu"], convlstm_kernel=2)
    with pytest.raises(ConfigMismatchError, match="activation must be one of"):
        dataclasses.replace(CONFIGS["cpu"], activation="gelu")
    with pytest.raises(ConfigMismatchError, match=r"unknown model configuration 'nope'; choose one of \['cpu'"):
        build_model("nope")
    assert issubclass(ConfigMismatchError, CompanionError)


def test_count_parameters():
    model = build_model("cpu")
    n = count_parameters(model)
    assert n == sum(p.numel() for p in model.parameters())
    model.encoder.requires_grad_(False)
    assert count_parameters(model) < n == count_parameters(model, trainable_only=False)


def test_layer_shapes_follow_the_strides_and_count_every_parameter():
    """Shapes and parameter counts worked out by hand for a two-stage model on 16x24 frames."""
    cfg = dataclasses.replace(CONFIGS["cpu"], seq_len=3, height=16, width=24,
                              encoder_stages=((4, 3, 2), (8, 3, 2)), convlstm_hidden=(8,))
    torch.manual_seed(0)
    model = build_model(cfg)
    rows = layer_shapes(model, torch.rand(2, 3, 1, 16, 24))
    # B*T = 6 frames through the 2D layers; a 3x3 convolution from a to b channels has 9ab + b parameters.
    assert rows == [
        ("input", "", (2, 3, 1, 16, 24), None),
        ("encoder.0", "Conv2d", (6, 4, 8, 12), 9 * 1 * 4 + 4),
        ("encoder.3", "Conv2d", (6, 8, 4, 6), 9 * 4 * 8 + 8),
        ("bottleneck", "Bottleneck", (2, 3, 8, 4, 6), 9 * (8 + 8) * (4 * 8) + 4 * 8),  # four gates from [x, h]
        ("decoder.0", "ConvTranspose2d", (6, 4, 8, 12), 9 * 8 * 4 + 4),
        ("decoder.3", "ConvTranspose2d", (6, 1, 16, 24), 9 * 4 * 1 + 1),
        ("output", "sigmoid", (2, 3, 1, 16, 24), None),
    ]
    assert sum(r.parameters for r in rows if r.parameters) == count_parameters(model)  # no part left out
    assert all(not m._forward_hooks for m in model.modules())  # the hooks are gone

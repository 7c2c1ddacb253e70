"""The spatio-temporal autoencoder: per-frame CNN encoder, ConvLSTM bottleneck, decoder.

Introduced in notebook 04.

    x (B, T, C, H, W) in [0, 1]
      -> encoder: 2D convolutions applied to every frame (time folded into the batch)
      -> bottleneck: ConvLSTM layers over time (or, for the ablation, per-frame 2D convolutions)
      -> decoder: transposed convolutions mirroring the encoder (optionally, as in the Keras
         project, followed by a full-resolution convolution to C channels)
      -> sigmoid: (B, T, C, H, W) in [0, 1]

Every stage of stride s divides H and W by s on the way down and multiplies them by s on the
way up, so H and W must be divisible by the product of the strides (``ModelConfig.total_stride``).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from companion.convlstm import ConvLSTM
from companion.errors import ConfigMismatchError, without_removed

__all__ = [
    "ModelConfig",
    "CONFIGS",
    "LayerShape",
    "build_model",
    "count_parameters",
    "layer_shapes",
    "resolve_config",
    "SpatioTemporalAutoencoder",
]

ACTIVATIONS = ("relu", "tanh", "none")
#: What the model is trained to output at step k of a window: "reconstruct" frame k (the
#: autoencoder), or "next": predict frame k + 1 (Liu et al. 2018's future-frame prediction; the
#: ConvLSTM is causal, so step k has only seen frames up to k). Introduced in notebook 06.
TARGETS = ("reconstruct", "next")
#: What the model sees and outputs: the grey "frames", or "flow", the optical-flow speed of each
#: pixel (motion-aware inputs and targets; notebook 06). See :func:`companion.task.model_view`.
SIGNALS = ("frames", "flow")
#: Fields that earlier versions stored in checkpoints, with the only value still loadable: a
#: checkpoint that used another value needs code that no longer exists (see ``from_dict``).
REMOVED_FIELDS: dict[str, Any] = {"residual": False}


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a model; checkpoints store ``to_dict()``. Introduced in notebook 04.

    Attributes:
        name: a label (the key in ``CONFIGS`` for the named configurations).
        seq_len: T, frames per input window; the model accepts exactly this many.
        height, width: frame size; both divisible by ``total_stride``.
        channels: C of the frames (1 for the grayscale UCSD frames).
        encoder_stages: (out_channels, kernel, stride) of each encoder convolution. The decoder
            mirrors them with transposed convolutions of the same kernels and strides in reverse
            order: the exact mirror maps the channels back stage by stage (..., c2 -> c1,
            c1 -> ``channels``).
        output_conv: the Keras project's decoder instead: its transposed convolutions output
            the encoder's channels in reverse order (..., c2, c1) and a last full-resolution
            convolution (the first stage's kernel, stride 1) maps c1 -> ``channels``. Several
            times the decoder cost of the exact mirror (every width one resolution level up).
        convlstm_hidden: hidden channels of each ConvLSTM layer of the bottleneck.
        convlstm_kernel: odd kernel size of the ConvLSTM layers.
        layer_norm: layer normalisation over the channels of each pixel (Keras'
            ``LayerNormalization()`` on channels-last tensors) after every encoder, bottleneck and
            decoder stage but the last convolution.
        activation: after every encoder and decoder stage: "relu", "tanh" or "none" (the Keras
            project's convolutions are linear, followed by layer norm).
        forget_bias: initial forget-gate bias of the ConvLSTM cells (1.0 as Keras' unit_forget_bias).
        peephole: ConvLSTM cells with per-channel peepholes (Shi et al. 2015).
        recurrent: False for the ablation "2D convolutional autoencoder without recurrence": the
            ConvLSTM layers are replaced by per-frame ``Conv2d`` + tanh of the same widths.
        target: "reconstruct" (the autoencoder: output k reconstructs frame k) or "next" (output k
            predicts frame k + 1; training and scoring compare it with the next frame). The
            architecture is the same; only the loss and the error maps change (notebook 06).
        signal: "frames" (default) or "flow": the model sees and outputs the optical-flow speed of
            every pixel, computed once per clip from the frames (:func:`companion.task.model_view`).
            Notebook 05.
        signal_gain: with ``signal="flow"``, the speeds (pixels per frame) are multiplied by it and
            clipped to [0, 1]: walkers move 1-2 pixels per frame at 64x96, a cyclist 3-4. Notebook 05.

    ``target``, ``signal`` and ``signal_gain`` say what the model is trained to do; the other
    fields are the architecture. :mod:`companion.task` is the one place that reads the former.
    """

    name: str
    seq_len: int
    height: int
    width: int
    channels: int = 1
    encoder_stages: tuple[tuple[int, int, int], ...] = ((16, 3, 2), (32, 3, 2))
    convlstm_hidden: tuple[int, ...] = (32,)
    convlstm_kernel: int = 3
    layer_norm: bool = False
    activation: str = "relu"
    forget_bias: float = 1.0
    peephole: bool = False
    output_conv: bool = False
    recurrent: bool = True
    target: str = "reconstruct"
    signal: str = "frames"
    signal_gain: float = 1.0

    def __post_init__(self) -> None:
        # accept lists (from JSON) and store tuples, so that the config stays hashable and frozen
        stages = tuple(tuple(int(v) for v in s) for s in self.encoder_stages)
        object.__setattr__(self, "encoder_stages", stages)
        object.__setattr__(self, "convlstm_hidden", tuple(int(h) for h in self.convlstm_hidden))
        problem = _architecture_problem(self) or _task_problem(self) or _size_problem(self)
        if problem:
            raise ConfigMismatchError(f"ModelConfig {self.name!r}: {problem}")

    @property
    def total_stride(self) -> int:
        """Product of the encoder strides: H and W are divided by it at the bottleneck."""
        return math.prod(s[2] for s in self.encoder_stages)

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        """(T, C, H, W) of one input window (the model takes (B, T, C, H, W))."""
        return (self.seq_len, self.channels, self.height, self.width)

    @property
    def bottleneck_shape(self) -> tuple[int, int, int]:
        """(C, h, w) of the bottleneck output for one frame."""
        s = self.total_stride
        return (self.convlstm_hidden[-1], self.height // s, self.width // s)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (lists, not tuples); ``from_dict`` inverts it."""
        d = dataclasses.asdict(self)
        d["encoder_stages"] = [list(s) for s in self.encoder_stages]
        d["convlstm_hidden"] = list(self.convlstm_hidden)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelConfig:
        """Rebuild a config from ``to_dict()`` output; unknown or missing keys are errors.

        Fields of :data:`REMOVED_FIELDS` are dropped when they hold the value that behaves as today
        (so older checkpoints still load), and refused otherwise.
        """
        d = without_removed(d, REMOVED_FIELDS, "model configuration")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigMismatchError(
                f"unknown ModelConfig keys {unknown} (known: {sorted(names)}); was it saved by another version?"
            )
        try:
            return cls(**d)
        except TypeError as e:  # a missing required field
            raise ConfigMismatchError(f"incomplete ModelConfig {dict(d)}: {e}") from None


def _architecture_problem(c: ModelConfig) -> str | None:
    for field in ("seq_len", "height", "width", "channels", "convlstm_kernel"):
        v = getattr(c, field)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            return f"{field} must be a positive int, got {v!r}"
    if not c.encoder_stages:
        return "encoder_stages must list at least one (channels, kernel, stride)"
    for s in c.encoder_stages:
        if len(s) != 3 or min(s) < 1 or s[1] % 2 == 0:
            return f"each encoder stage is (channels, kernel, stride) with an odd kernel and positive values, got {s}"
    if not c.convlstm_hidden or min(c.convlstm_hidden) < 1:
        return f"convlstm_hidden must list positive widths, got {c.convlstm_hidden}"
    if c.convlstm_kernel % 2 == 0:
        return f"convlstm_kernel must be odd, got {c.convlstm_kernel}"
    if c.activation not in ACTIVATIONS:
        return f"activation must be one of {ACTIVATIONS}, got {c.activation!r}"
    return None


def _task_problem(c: ModelConfig) -> str | None:
    if c.target not in TARGETS:
        return f"target must be one of {TARGETS}, got {c.target!r}"
    if c.target == "next" and c.seq_len < 2:
        return f"next-frame prediction needs seq_len >= 2, got {c.seq_len}"
    if c.signal not in SIGNALS:
        return f"signal must be one of {SIGNALS}, got {c.signal!r}"
    if not (isinstance(c.signal_gain, (int, float)) and c.signal_gain > 0):
        return f"signal_gain must be a positive number, got {c.signal_gain!r}"
    return None


def _size_problem(c: ModelConfig) -> str | None:
    s = c.total_stride
    for field in ("height", "width"):
        v = getattr(c, field)
        if v % s:
            lo, hi = v // s * s, -(-v // s) * s
            strides = "*".join(str(st[2]) for st in c.encoder_stages)
            return (
                f"{field}={v} is not divisible by the total encoder stride {s} ({strides}), so the decoder could "
                f"not give back the input size; resize the frames to a multiple of {s} (e.g. {lo or hi} or {hi})"
            )
    return None


# Small enough to train on a laptop CPU: notebooks and CI. Bottleneck 32 x 8 x 12.
_CPU = ModelConfig(
    name="cpu",
    seq_len=8,
    height=64,
    width=96,
    encoder_stages=((16, 3, 2), (32, 3, 2), (32, 3, 2)),
    convlstm_hidden=(32,),
)
# The course's recipe for real footage (notebook 06): the cpu model predicting the next frame of
# optical-flow speed (x 0.25, clipped: 4 pixels/frame and faster read as 1).
_FLOW_NEXT = dataclasses.replace(_CPU, name="flow-next", target="next", signal="flow", signal_gain=0.25)

#: The named configurations.
CONFIGS: dict[str, ModelConfig] = {
    c.name: c
    for c in (
        _CPU,
        _FLOW_NEXT,
        # The recommended detector (companion train's default): flow-next at 96x144, 1.5x each side
        # (the aspect ratio of Ped1 and Ped2 frames). Chosen over 64x96 by nested cross-validation
        # on the real sample (benchmarks/real_ped1_resolution.py).
        dataclasses.replace(_FLOW_NEXT, name="flow-next-96x144", height=96, width=144),
        # The challenge report: T=5 windows of 128x128x1 frames, bottleneck 64 x 16 x 16.
        ModelConfig(
            name="report",
            seq_len=5,
            height=128,
            width=128,
            encoder_stages=((16, 3, 2), (32, 3, 2), (64, 3, 2)),
            convlstm_hidden=(64,),
        ),
        # The Keras project's README: T=10 windows of 224x224x1; Conv 128 (11x11, stride 4), Conv 64
        # (5x5, stride 2), ConvLSTM 64-32-64 (3x3), layer norm after every stage, mirrored decoder
        # (ConvTranspose 64 5x5 s2, ConvTranspose 128 11x11 s4), Conv 1 (11x11) + sigmoid.
        ModelConfig(
            name="keras-readme",
            seq_len=10,
            height=224,
            width=224,
            encoder_stages=((128, 11, 4), (64, 5, 2)),
            convlstm_hidden=(64, 32, 64),
            layer_norm=True,
            activation="none",
            output_conv=True,
        ),
    )
}


def resolve_config(config: str | Path | Mapping[str, Any] | ModelConfig | None = None) -> ModelConfig:
    """A ``ModelConfig`` from a name of ``CONFIGS`` (None: ``"cpu"``), a ``.json`` file holding
    ``ModelConfig.to_dict()`` (``companion train --config FILE``), such a dict, or a config.
    """
    if config is None:
        config = "cpu"
    if isinstance(config, ModelConfig):
        return config
    if isinstance(config, Mapping):
        return ModelConfig.from_dict(config)
    if isinstance(config, (str, Path)) and str(config) in CONFIGS:
        return CONFIGS[str(config)]
    if isinstance(config, (str, Path)) and str(config).endswith(".json"):
        path = Path(config)
        if not path.is_file():
            raise ConfigMismatchError(f"no model configuration file {path}: give a name of {', '.join(CONFIGS)} or a JSON file")
        try:
            return ModelConfig.from_dict(json.loads(path.read_text()))
        except json.JSONDecodeError as err:
            raise ConfigMismatchError(f"{path} is not JSON ({err}); write ModelConfig.to_dict() into it") from None
    if isinstance(config, str):
        raise ConfigMismatchError(
            f"unknown model configuration {config!r}; choose one of {sorted(CONFIGS)} or a .json file holding ModelConfig.to_dict()"
        )
    raise ConfigMismatchError(f"config must be a name or a ModelConfig, got {type(config).__name__}")


class ChannelLayerNorm(nn.Module):
    """Layer norm over the channels of each pixel of (N, C, H, W): Keras' ``LayerNormalization()``
    (axis=-1 on channels-last tensors, epsilon 1e-3)."""

    def __init__(self, channels: int, eps: float = 1e-3) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=eps)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def _norm(cfg: ModelConfig, channels: int) -> nn.Module:
    return ChannelLayerNorm(channels) if cfg.layer_norm else nn.Identity()


def _act(cfg: ModelConfig) -> nn.Module:
    return {"relu": nn.ReLU, "tanh": nn.Tanh, "none": nn.Identity}[cfg.activation]()


class Bottleneck(nn.Module):
    """ConvLSTM layers over time or, with ``recurrent=False``, per-frame Conv2d + tanh of the same
    widths; a layer norm after each layer when the config asks."""

    def __init__(self, cfg: ModelConfig, in_channels: int) -> None:
        super().__init__()
        self.recurrent = cfg.recurrent
        k = cfg.convlstm_kernel
        layers: list[nn.Module] = []
        for c_in, c_out in zip((in_channels, *cfg.convlstm_hidden[:-1]), cfg.convlstm_hidden):
            if cfg.recurrent:
                layers.append(ConvLSTM(c_in, c_out, k, forget_bias=cfg.forget_bias, peephole=cfg.peephole))
            else:
                layers.append(nn.Sequential(nn.Conv2d(c_in, c_out, k, padding=k // 2), nn.Tanh()))
        self.layers = nn.ModuleList(layers)
        self.norms = nn.ModuleList(_norm(cfg, c) for c in cfg.convlstm_hidden)

    def forward(self, z: Tensor) -> Tensor:
        """z: (B, T, C, h, w) -> (B, T, hidden[-1], h, w)."""
        B, T = z.shape[:2]
        for layer, norm in zip(self.layers, self.norms):
            if self.recurrent:
                z = layer(z)[0].flatten(0, 1)
            else:
                z = layer(z.flatten(0, 1))
            z = norm(z)
            z = z.view(B, T, *z.shape[1:])
        return z


class SpatioTemporalAutoencoder(nn.Module):
    """The course's autoencoder; build it with ``build_model``.

    ``forward(x)``: x float (B, T, C, H, W) in [0, 1] with (T, C, H, W) = ``config.input_shape``
    -> reconstruction of the same shape in [0, 1]. ``encode(x)`` gives the bottleneck output
    (B, T, *config.bottleneck_shape) and ``decode(z)`` maps it back to frames.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        enc: list[nn.Module] = []
        c_prev = config.channels
        for c, k, s in config.encoder_stages:
            enc += [nn.Conv2d(c_prev, c, k, stride=s, padding=k // 2), _norm(config, c), _act(config)]
            c_prev = c
        self.encoder = nn.Sequential(*enc)
        self.bottleneck = Bottleneck(config, c_prev)
        dec: list[nn.Module] = []
        c_prev = config.convlstm_hidden[-1]
        stages = list(reversed(config.encoder_stages))
        # exact mirror: stage i maps back to the channels that entered encoder stage i
        outs = [c for c, _, _ in stages] if config.output_conv else [c for c, _, _ in stages[1:]] + [config.channels]
        for n, ((_, k, s), c) in enumerate(zip(stages, outs)):
            dec.append(nn.ConvTranspose2d(c_prev, c, k, stride=s, padding=k // 2, output_padding=s - 1))
            if config.output_conv or n < len(stages) - 1:
                dec += [_norm(config, c), _act(config)]
            c_prev = c
        if config.output_conv:
            k0 = config.encoder_stages[0][1]
            dec.append(nn.Conv2d(c_prev, config.channels, k0, padding=k0 // 2))
        self.decoder = nn.Sequential(*dec)

    def extra_repr(self) -> str:
        return f"config={self.config.name!r}, recurrent={self.config.recurrent}"

    def check_input(self, x: Tensor) -> None:
        """Raise ConfigMismatchError saying what was expected unless x fits the config."""
        cfg = self.config
        T, C, H, W = cfg.input_shape
        want = f"(B, {T}, {C}, {H}, {W})"
        where = f"model config {cfg.name!r}"
        if not isinstance(x, Tensor):
            raise ConfigMismatchError(f"expected a torch.Tensor {want}, got {type(x).__name__}")
        got = tuple(x.shape)
        if not x.is_floating_point():
            raise ConfigMismatchError(
                f"expected a float tensor in [0, 1], got dtype {x.dtype}: convert frames with x.float() / 255"
            )
        if x.dim() != 5:
            hint = {
                4: f"; a single window? add the batch axis: x.unsqueeze(0) (or the channel axis if it is (B, {T}, {H}, {W}))",
                3: "; a (T, H, W) clip? cut it into windows of seq_len frames (companion.tensors)",
            }.get(x.dim(), "")
            raise ConfigMismatchError(f"expected input {want}, got {x.dim()}-D {got}{hint}")
        if got[1:] == (T, C, H, W):
            return
        if got[1] != T:
            hint = f"use windows of seq_len={T} frames ({where}) or build a model with seq_len={got[1]}"
        elif got[2] != C:
            hint = f"{where} takes {C}-channel frames" + (" (grayscale)" if C == 1 else "")
            if got[4] == C:
                hint += "; channels last? use x.permute(0, 1, 4, 2, 3)"
        else:
            hint = f"resize the frames to {H}x{W} (height x width) as {where} expects"
        raise ConfigMismatchError(f"expected input {want}, got {got}: {hint}")

    def encode(self, x: Tensor) -> Tensor:
        """(B, T, C, H, W) -> bottleneck output (B, T, *config.bottleneck_shape)."""
        self.check_input(x)
        B, T = x.shape[:2]
        z = self.encoder(x.flatten(0, 1))
        return self.bottleneck(z.view(B, T, *z.shape[1:]))

    def decode(self, z: Tensor) -> Tensor:
        """Bottleneck output (B, T, c, h, w) -> frames (B, T, C, H, W) in [0, 1]."""
        B, T = z.shape[:2]
        y = torch.sigmoid(self.decoder(z.flatten(0, 1)))
        return y.view(B, T, *y.shape[1:])

    def forward(self, x: Tensor) -> Tensor:
        """Reconstruct a batch of windows: (B, T, C, H, W) in [0, 1] -> same shape in [0, 1]
        (with ``target="next"``, output k stands for frame k + 1)."""
        return self.decode(self.encode(x))


def build_model(config: str | ModelConfig, recurrent: bool | None = None) -> SpatioTemporalAutoencoder:
    """The autoencoder for a named configuration (a key of ``CONFIGS``) or a ``ModelConfig``.

    ``recurrent=False`` builds the ablation "2D convolutional autoencoder without recurrence"
    (same encoder and decoder, per-frame convolutions instead of the ConvLSTM); the choice is
    recorded in ``model.config.recurrent`` so that a checkpoint rebuilds the same model.
    None (the default) keeps ``config.recurrent`` (True for every named configuration).
    Seed torch before calling for reproducible weights. Introduced in notebook 04.
    """
    config = resolve_config(config)
    if recurrent is not None and recurrent != config.recurrent:
        config = dataclasses.replace(config, recurrent=bool(recurrent))
    return SpatioTemporalAutoencoder(config)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of a model. Introduced in notebook 04."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


class LayerShape(NamedTuple):
    """One row of :func:`layer_shapes`: a part's ``name`` (its place in the model), its ``kind`` (class
    name), the ``shape`` of its output and its trainable ``parameters`` (None for input and output)."""

    name: str
    kind: str
    shape: tuple[int, ...]
    parameters: int | None


def layer_shapes(model: SpatioTemporalAutoencoder, x: Tensor) -> list[LayerShape]:
    """What flows between the parts of the autoencoder for the batch ``x`` (B, T, C, H, W).

    Forward hooks record the output of every convolution of the encoder and the decoder (time
    folded into the batch: ``B*T`` first) and of the bottleneck (5D again), in the order they run;
    the first row is the input, the last the output (after the sigmoid). Runs without gradients
    and removes its hooks. Introduced in notebook 04.
    """
    rows = [LayerShape("input", "", tuple(x.shape), None)]

    def hook(name: str) -> Callable[[nn.Module, tuple, Any], None]:
        def record(module: nn.Module, inputs: tuple, output: Any) -> None:
            out = output[0] if isinstance(output, tuple) else output
            rows.append(LayerShape(name, type(module).__name__, tuple(out.shape), count_parameters(module)))

        return record

    convolutions = (nn.Conv2d, nn.ConvTranspose2d)
    parts = [(f"encoder.{i}", m) for i, m in enumerate(model.encoder) if isinstance(m, convolutions)]
    parts += [("bottleneck", model.bottleneck)]
    parts += [(f"decoder.{i}", m) for i, m in enumerate(model.decoder) if isinstance(m, convolutions)]
    handles = [m.register_forward_hook(hook(name)) for name, m in parts]
    try:
        with torch.no_grad():
            y = model(x)
    finally:
        for h in handles:
            h.remove()
    return [*rows, LayerShape("output", "sigmoid", tuple(y.shape), None)]

"""The convolutional LSTM (Shi et al. 2015): one cell, and a layer that runs it over time.

Introduced in notebook 03.

A ConvLSTM is an LSTM whose matrix products are convolutions, so the state keeps its
spatial layout (channels, H, W). The four gates are computed by ONE convolution over the
concatenation [x, h] (attribute ``gates``), in the gate order of ``torch.nn.LSTM``
(i, f, g, o), so the weights of an ``nn.LSTM`` map one to one onto a 1x1 ConvLSTM.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from companion.errors import ConfigMismatchError

__all__ = ["ConvLSTMCell", "ConvLSTM", "State"]

#: The state of one cell: (h, c), each of shape (B, hidden, H, W).
State = tuple[Tensor, Tensor]


def _pair(kernel_size: int | Sequence[int]) -> tuple[int, int]:
    """Normalise a kernel size to an odd (kh, kw) pair, or raise a clear error."""
    if isinstance(kernel_size, int):
        pair = (kernel_size, kernel_size)
    else:
        pair = tuple(int(k) for k in kernel_size)
        if len(pair) != 2:
            raise ConfigMismatchError(f"kernel_size must be an int or a pair (kh, kw), got {kernel_size!r}")
    if any(k < 1 or k % 2 == 0 for k in pair):
        raise ConfigMismatchError(
            f"kernel_size must be odd (1, 3, 5, ...) so that 'same' padding keeps H and W, got {kernel_size!r}; "
            "an even kernel would shift the state by half a pixel at every step"
        )
    return pair  # type: ignore[return-value]


def _positive(name: str, value: int) -> int:
    if not isinstance(value, int) or value < 1:
        raise ConfigMismatchError(f"{name} must be a positive int, got {value!r}")
    return value


class ConvLSTMCell(nn.Module):
    """One ConvLSTM step: ``(x_t, (h, c)) -> (h_t, c_t)``. Introduced in notebook 03.

    Args:
        in_channels: channels of the input x_t.
        hidden_channels: channels of h and c.
        kernel_size: odd int or (kh, kw); 'same' padding keeps H and W.
        bias: whether ``gates`` has a bias.
        peephole: add the peephole terms of Shi et al. 2015 (eq. 3):
            ``i = σ(W_x*x + W_h*h + w_ci∘c_{t-1} + b)``, likewise f with ``w_cf``, and the output
            gate uses the NEW cell: ``o = σ(... + w_co∘c_t + b)``.
        peephole_size: the paper's peephole weights are per channel AND per pixel, shape
            (hidden, H, W); H and W are not known at construction, so by default the weights are
            per channel, shape (hidden, 1, 1), broadcast over the image (translation invariant,
            like the convolutions, and the cell accepts any H, W). Pass ``(H, W)`` to get the
            paper's per-pixel weights; the cell then only accepts inputs of that size.
            Peephole weights start at zero (the cell starts as a plain ConvLSTM).
        forget_bias: initial value of the forget-gate slice of ``gates.bias`` (1.0 is the
            common choice, Keras' ``unit_forget_bias``); 0.0 keeps PyTorch's default init.

    Attributes:
        gates: ``nn.Conv2d(in + hidden, 4 * hidden, kernel_size)``, output channels in the order
            i, f, g, o (as ``torch.nn.LSTM``).
        w_ci, w_cf, w_co: peephole weights (only when ``peephole=True``).
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        kernel_size: int | Sequence[int],
        bias: bool = True,
        peephole: bool = False,
        *,
        peephole_size: tuple[int, int] | None = None,
        forget_bias: float = 0.0,
    ) -> None:
        super().__init__()
        self.in_channels = _positive("in_channels", in_channels)
        self.hidden_channels = _positive("hidden_channels", hidden_channels)
        self.kernel_size = _pair(kernel_size)
        self.padding = (self.kernel_size[0] // 2, self.kernel_size[1] // 2)
        self.peephole = bool(peephole)
        self.gates = nn.Conv2d(
            in_channels + hidden_channels, 4 * hidden_channels, self.kernel_size, padding=self.padding, bias=bias
        )
        if forget_bias:
            if not bias:
                raise ConfigMismatchError("forget_bias needs bias=True (it initialises the forget slice of gates.bias)")
            with torch.no_grad():
                self.gates.bias[hidden_channels : 2 * hidden_channels].fill_(forget_bias)
        if peephole_size is not None and not peephole:
            raise ConfigMismatchError("peephole_size only makes sense with peephole=True")
        self.peephole_size = None if peephole_size is None else (int(peephole_size[0]), int(peephole_size[1]))
        if self.peephole:
            shape = (hidden_channels, *(self.peephole_size or (1, 1)))
            self.w_ci = nn.Parameter(torch.zeros(shape))
            self.w_cf = nn.Parameter(torch.zeros(shape))
            self.w_co = nn.Parameter(torch.zeros(shape))

    def extra_repr(self) -> str:
        s = f"peephole={self.peephole}"
        if self.peephole_size is not None:
            s += f", peephole_size={self.peephole_size}"
        return s

    # -- checks -----------------------------------------------------------------------------
    def _check_input(self, x: Tensor) -> None:
        if x.dim() != 4:
            raise ConfigMismatchError(
                f"ConvLSTMCell expects one time step of shape (B, {self.in_channels}, H, W), got a "
                f"{x.dim()}-D tensor of shape {tuple(x.shape)}; use ConvLSTM for (B, T, C, H, W) sequences"
            )
        if x.shape[1] != self.in_channels:
            raise ConfigMismatchError(
                f"ConvLSTMCell expects {self.in_channels} input channels, got {x.shape[1]} "
                f"(input shape {tuple(x.shape)})"
            )
        if self.peephole_size is not None and tuple(x.shape[-2:]) != self.peephole_size:
            raise ConfigMismatchError(
                f"this cell has per-pixel peephole weights for H, W = {self.peephole_size}, got an input of "
                f"{tuple(x.shape[-2:])}; build it with peephole_size=None for any size"
            )

    def _check_state(self, x: Tensor, state: State) -> None:
        expected = (x.shape[0], self.hidden_channels, x.shape[2], x.shape[3])
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise ConfigMismatchError("state must be a pair (h, c) or None")
        for name, t in zip("hc", state):
            if tuple(t.shape) != expected:
                raise ConfigMismatchError(f"state {name} must have shape {expected}, got {tuple(t.shape)}")

    def init_state(self, x: Tensor) -> State:
        """Zero (h, c) for an input step x of shape (B, C, H, W)."""
        z = x.new_zeros(x.shape[0], self.hidden_channels, x.shape[2], x.shape[3])
        return z, z

    # -- the step ---------------------------------------------------------------------------
    def _step(self, gx_plus_gh: Tensor, c: Tensor) -> State:
        """Gate non-linearities and state update, given the summed gate pre-activations."""
        i, f, g, o = gx_plus_gh.chunk(4, dim=1)
        if self.peephole:
            i = i + self.w_ci * c
            f = f + self.w_cf * c
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        if self.peephole:
            o = o + self.w_co * c_new
        h_new = torch.sigmoid(o) * torch.tanh(c_new)
        return h_new, c_new

    def forward(self, x: Tensor, state: State | None = None) -> State:
        """One step. x: (B, in, H, W); state: (h, c) each (B, hidden, H, W), zeros when None."""
        self._check_input(x)
        if state is None:
            state = self.init_state(x)
        else:
            self._check_state(x, state)
        h, c = state
        return self._step(self.gates(torch.cat([x, h], dim=1)), c)


class ConvLSTM(nn.Module):
    """A stack of ConvLSTM layers over a sequence. Introduced in notebook 03.

    Args:
        in_channels: channels of the input frames.
        hidden_channels: an int (same for every layer) or a list, one per layer.
        kernel_size: odd int or (kh, kw), used by every layer.
        num_layers: number of layers; None (the default) means ``len(hidden_channels)`` for a
            list and 1 for an int. Given together with a list, the two must agree.
        batch_first: inputs and outputs are (B, T, C, H, W) if True, else (T, B, C, H, W).
        bias, peephole, peephole_size, forget_bias: passed to every ``ConvLSTMCell``.

    ``forward(x, state=None) -> (outputs, states)``: outputs of the LAST layer for every step,
    shaped like x but with ``hidden_channels[-1]`` channels, and ``states``, the last (h, c) of
    every layer (a list, first layer first). ``state`` is None (zeros) or such a list, whose
    entries may also be None.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int | Sequence[int],
        kernel_size: int | Sequence[int],
        num_layers: int | None = None,
        batch_first: bool = True,
        bias: bool = True,
        peephole: bool = False,
        *,
        peephole_size: tuple[int, int] | None = None,
        forget_bias: float = 0.0,
    ) -> None:
        super().__init__()
        if isinstance(hidden_channels, int):
            hidden = [hidden_channels] * (1 if num_layers is None else _positive("num_layers", num_layers))
        else:
            hidden = [int(h) for h in hidden_channels]
            if not hidden:
                raise ConfigMismatchError("hidden_channels must name at least one layer")
            if num_layers is not None and num_layers != len(hidden):
                raise ConfigMismatchError(
                    f"num_layers={num_layers} but hidden_channels lists {len(hidden)} layers {hidden}; "
                    "give one of the two"
                )
        self.in_channels = _positive("in_channels", in_channels)
        self.hidden_channels = hidden
        self.num_layers = len(hidden)
        self.batch_first = batch_first
        ins = [in_channels, *hidden[:-1]]
        self.cells = nn.ModuleList(
            ConvLSTMCell(
                i, h, kernel_size, bias, peephole, peephole_size=peephole_size, forget_bias=forget_bias
            )
            for i, h in zip(ins, hidden)
        )

    def extra_repr(self) -> str:
        return f"batch_first={self.batch_first}"

    def forward(self, x: Tensor, state: Sequence[State | None] | None = None) -> tuple[Tensor, list[State]]:
        """Run every layer over the whole sequence; see the class docstring."""
        layout = "(B, T, C, H, W)" if self.batch_first else "(T, B, C, H, W)"
        if x.dim() != 5:
            raise ConfigMismatchError(
                f"ConvLSTM expects a {layout} sequence with C={self.in_channels}, got a {x.dim()}-D tensor of shape "
                f"{tuple(x.shape)}" + ("; add a time axis with x.unsqueeze(1)" if x.dim() == 4 else "")
            )
        if x.shape[2] != self.in_channels:
            raise ConfigMismatchError(
                f"ConvLSTM expects {self.in_channels} channels on axis 2 of its {layout} input, got shape {tuple(x.shape)}"
            )
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ConfigMismatchError(f"ConvLSTM got an empty sequence or batch, shape {tuple(x.shape)} {layout}")
        if state is None:
            state = [None] * self.num_layers
        elif len(state) != self.num_layers:
            raise ConfigMismatchError(f"state must list one (h, c) or None per layer ({self.num_layers}), got {len(state)}")
        seq = x if self.batch_first else x.transpose(0, 1)  # (B, T, C, H, W)
        last: list[State] = []
        for cell, s in zip(self.cells, state):
            if s is None:
                s = cell.init_state(seq[:, 0])
            else:
                cell._check_state(seq[:, 0], s)
            outs = []
            for x_t in seq.unbind(1):
                s = cell(x_t, s)
                outs.append(s[0])
            seq = torch.stack(outs, dim=1)
            last.append(s)
        return (seq if self.batch_first else seq.transpose(0, 1)), last

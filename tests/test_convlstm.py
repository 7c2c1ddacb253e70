"""The ConvLSTM cell and layer (notebook 03): equivalence with nn.LSTM, the paper's peephole
equations, step-by-step vs whole sequence, gradients, errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from companion.convlstm import ConvLSTM, ConvLSTMCell
from companion.errors import ConfigMismatchError

D = torch.float64


def _seed() -> None:
    torch.manual_seed(0)


def test_cell_shapes_and_zero_state():
    _seed()
    cell = ConvLSTMCell(3, 5, 3)
    x = torch.randn(2, 3, 6, 7)
    h, c = cell(x)
    assert h.shape == c.shape == (2, 5, 6, 7)
    z = torch.zeros(2, 5, 6, 7)
    h2, c2 = cell(x, (z, z))
    assert torch.equal(h, h2) and torch.equal(c, c2)
    assert isinstance(cell.gates, torch.nn.Conv2d)
    assert cell.gates.in_channels == 8 and cell.gates.out_channels == 20


def test_pair_kernel_and_forget_bias():
    cell = ConvLSTMCell(2, 4, (3, 5), forget_bias=1.0)
    assert cell.gates.kernel_size == (3, 5)
    assert torch.all(cell.gates.bias[4:8] == 1.0)
    h, _ = cell(torch.randn(1, 2, 4, 9))
    assert h.shape == (1, 4, 4, 9)


@pytest.mark.parametrize("k", [2, 4, (3, 2), 0])
def test_even_kernel_is_an_error(k):
    with pytest.raises(ConfigMismatchError, match="odd"):
        ConvLSTMCell(1, 2, k)
    with pytest.raises(ConfigMismatchError, match="odd"):
        ConvLSTM(1, 2, k)


def test_wrong_rank_and_channels_messages():
    cell = ConvLSTMCell(3, 4, 3)
    with pytest.raises(ConfigMismatchError, match=r"\(B, 3, H, W\).*5-D.*use ConvLSTM"):
        cell(torch.zeros(1, 2, 3, 4, 4))
    with pytest.raises(ConfigMismatchError, match="expects 3 input channels, got 2"):
        cell(torch.zeros(1, 2, 4, 4))
    with pytest.raises(ConfigMismatchError, match=r"state h must have shape \(1, 4, 4, 4\)"):
        cell(torch.zeros(1, 3, 4, 4), (torch.zeros(1, 4, 5, 4), torch.zeros(1, 4, 4, 4)))
    layer = ConvLSTM(3, 4, 3)
    with pytest.raises(ConfigMismatchError, match=r"\(B, T, C, H, W\).*4-D.*unsqueeze"):
        layer(torch.zeros(1, 3, 4, 4))
    with pytest.raises(ConfigMismatchError, match="expects 3 channels on axis 2"):
        layer(torch.zeros(1, 2, 4, 4, 4))
    with pytest.raises(ConfigMismatchError, match="empty sequence"):
        layer(torch.zeros(1, 0, 3, 4, 4))
    with pytest.raises(ConfigMismatchError, match="num_layers=3"):
        ConvLSTM(3, [4, 4], 3, num_layers=3)


def _lstm_to_cell(lstm: torch.nn.LSTM, cell: ConvLSTMCell, layer: int = 0) -> None:
    with torch.no_grad():
        w = torch.cat([getattr(lstm, f"weight_ih_l{layer}"), getattr(lstm, f"weight_hh_l{layer}")], dim=1)
        cell.gates.weight.copy_(w[..., None, None])
        cell.gates.bias.copy_(getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}"))


def test_1x1_equals_nn_lstm():
    """1x1 kernel on 1x1 images: a ConvLSTM IS an LSTM (two layers, 7 steps, given initial state)."""
    _seed()
    B, T, I, H = 3, 7, 4, 5
    lstm = torch.nn.LSTM(I, H, num_layers=2, batch_first=True).to(D)
    conv = ConvLSTM(I, [H, H], 1).to(D)
    for layer, cell in enumerate(conv.cells):
        _lstm_to_cell(lstm, cell, layer)
    x = torch.randn(B, T, I, dtype=D)
    h0, c0 = torch.randn(2, B, H, dtype=D), torch.randn(2, B, H, dtype=D)
    ref, (hn, cn) = lstm(x, (h0, c0))
    px = lambda t: t[..., None, None]  # noqa: E731  (B, C) -> (B, C, 1, 1)
    out, states = conv(px(x), [(px(h0[i]), px(c0[i])) for i in range(2)])
    torch.testing.assert_close(out[..., 0, 0], ref, atol=1e-6, rtol=0)
    for i, (h, c) in enumerate(states):
        torch.testing.assert_close(h[..., 0, 0], hn[i], atol=1e-6, rtol=0)
        torch.testing.assert_close(c[..., 0, 0], cn[i], atol=1e-6, rtol=0)


def test_step_by_step_equals_whole_sequence():
    _seed()
    layer = ConvLSTM(2, [3, 4], 3).to(D)
    x = torch.randn(2, 5, 2, 6, 5, dtype=D)
    out_p, st_p = layer(x)
    # by hand: every step through the cells
    states = [None, None]
    outs = []
    for t in range(x.shape[1]):
        inp = x[:, t]
        for i, cell in enumerate(layer.cells):
            states[i] = cell(inp, states[i])
            inp = states[i][0]
        outs.append(inp)
    torch.testing.assert_close(torch.stack(outs, 1), out_p, atol=1e-12, rtol=0)
    for (h1, c1), (h2, c2) in zip(states, st_p):
        torch.testing.assert_close(h1, h2, atol=1e-12, rtol=0)
        torch.testing.assert_close(c1, c2, atol=1e-12, rtol=0)
    # chunked: the second half continues from the first half's states
    a, s = layer(x[:, :2])
    b, s = layer(x[:, 2:], s)
    torch.testing.assert_close(torch.cat([a, b], 1), out_p, atol=1e-12, rtol=0)


def test_time_first_layout():
    _seed()
    layer = ConvLSTM(2, 3, 3, batch_first=True)
    x = torch.randn(2, 4, 2, 5, 5)
    out, _ = layer(x)
    layer.batch_first = False
    out_tf, _ = layer(x.transpose(0, 1))
    torch.testing.assert_close(out_tf.transpose(0, 1), out)


def _paper_step(cell: ConvLSTMCell, x, h, c):
    """Shi et al. 2015, eq. (3), written literally with separate convolutions per term."""
    Cin, Hc, p = cell.in_channels, cell.hidden_channels, cell.padding
    W, b = cell.gates.weight, cell.gates.bias
    Wx = lambda k: W[k * Hc : (k + 1) * Hc, :Cin]  # noqa: E731
    Wh = lambda k: W[k * Hc : (k + 1) * Hc, Cin:]  # noqa: E731
    bb = lambda k: b[k * Hc : (k + 1) * Hc]  # noqa: E731
    conv = lambda inp, w: F.conv2d(inp, w, padding=p)  # noqa: E731
    i = torch.sigmoid(conv(x, Wx(0)) + conv(h, Wh(0)) + cell.w_ci * c + bb(0)[:, None, None])
    f = torch.sigmoid(conv(x, Wx(1)) + conv(h, Wh(1)) + cell.w_cf * c + bb(1)[:, None, None])
    C = f * c + i * torch.tanh(conv(x, Wx(2)) + conv(h, Wh(2)) + bb(2)[:, None, None])
    o = torch.sigmoid(conv(x, Wx(3)) + conv(h, Wh(3)) + cell.w_co * C + bb(3)[:, None, None])
    H = o * torch.tanh(C)
    return H, C


@pytest.mark.parametrize("size", [None, (4, 5)])
def test_peephole_matches_paper_equations(size):
    _seed()
    cell = ConvLSTMCell(2, 3, 3, peephole=True, peephole_size=size).to(D)
    expected = (3, *(size or (1, 1)))
    assert cell.w_ci.shape == cell.w_cf.shape == cell.w_co.shape == expected
    with torch.no_grad():  # peepholes start at zero; make them matter
        for w in (cell.w_ci, cell.w_cf, cell.w_co):
            w.normal_()
    x = torch.randn(4, 2, 2, 4, 5, dtype=D)  # (T, B, C, H, W)
    s_cell = s_ref = None
    for t in range(4):
        s_cell = cell(x[t], s_cell)
        h, c = s_ref or (torch.zeros(2, 3, 4, 5, dtype=D),) * 2
        s_ref = _paper_step(cell, x[t], h, c)
        torch.testing.assert_close(s_cell[0], s_ref[0], atol=1e-12, rtol=0)
        torch.testing.assert_close(s_cell[1], s_ref[1], atol=1e-12, rtol=0)
    layer = ConvLSTM(2, 3, 3, batch_first=False, peephole=True, peephole_size=size).to(D)
    layer.cells[0].load_state_dict(cell.state_dict())
    out, [(h, c)] = layer(x)
    torch.testing.assert_close(h, s_ref[0], atol=1e-12, rtol=0)
    torch.testing.assert_close(c, s_ref[1], atol=1e-12, rtol=0)
    if size is not None:
        with pytest.raises(ConfigMismatchError, match="per-pixel peephole"):
            cell(torch.zeros(1, 2, 5, 5, dtype=D))


def test_peephole_starts_as_plain_cell():
    _seed()
    plain = ConvLSTMCell(2, 3, 3)
    peep = ConvLSTMCell(2, 3, 3, peephole=True)
    peep.gates.load_state_dict(plain.gates.state_dict())
    x = torch.randn(1, 2, 4, 4)
    torch.testing.assert_close(peep(x), plain(x))


@pytest.mark.parametrize("peephole", [False, True])
def test_gradcheck(peephole):
    _seed()
    layer = ConvLSTM(2, [2, 3], 3, peephole=peephole, forget_bias=1.0).to(D)
    if peephole:
        with torch.no_grad():
            for cell in layer.cells:
                for w in (cell.w_ci, cell.w_cf, cell.w_co):
                    w.normal_()
    x = torch.randn(1, 3, 2, 3, 3, dtype=D, requires_grad=True)
    h0 = torch.randn(1, 2, 3, 3, dtype=D, requires_grad=True)
    c0 = torch.randn(1, 2, 3, 3, dtype=D, requires_grad=True)

    def f(x, h0, c0, *params):
        out, [_, (h, c)] = torch.func.functional_call(layer, dict(zip(names, params)), (x, [(h0, c0), None]))
        return out, c

    names = [n for n, _ in layer.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_() for _, p in layer.named_parameters())
    assert torch.autograd.gradcheck(f, (x, h0, c0, *params))

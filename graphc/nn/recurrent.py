"""Recurrent layers as PyTorch has them: nn.RNNCell, nn.LSTMCell, nn.GRUCell (one time step)
and nn.RNN, nn.LSTM, nn.GRU (a whole sequence, num_layers deep, in one or both directions),
with PyTorch's parameter names, shapes, gate order and initialization.

Each step is composed of graphc's ops (matmul, sigmoid, tanh, split, stack), so gradients
come from those ops, in both modes. The time loop is a Python loop over the sequence: run
eagerly, it computes step by step; on graph tensors it is unrolled into the graph, which
needs the sequence length when the graph is built.

The cells' formulas (PyTorch's), for input x and hidden state h:
  RNN:  h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)   (or relu)
  LSTM: i, f, g, o = chunks of x W_ih^T + b_ih + h W_hh^T + b_hh (that order);
        c' = sigmoid(f) * c + sigmoid(i) * tanh(g),  h' = sigmoid(o) * tanh(c')
  GRU:  r, z, n chunks of each product: r = sigmoid(x_r + h_r), z = sigmoid(x_z + h_z),
        n = tanh(x_n + r * h_n) (h_n = h W_hn^T + b_hn), h' = (1 - z) * n + z * h
A missing initial state is zeros; its step is computed without the zero products.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from graphc.eager import creation
from graphc.nn import functional as F
from graphc.nn import tf_functions as _tf
from graphc.nn.layers import _param_dtype
from graphc.nn.module import Module
from graphc.nn.parameter import Parameter
from graphc.ops.array import concat, expand_dims, split, squeeze, stack, unstack
from graphc.ops.elementwise import relu, sigmoid, tanh
from graphc.site import user_stacklevel

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# -- one step ------------------------------------------------------------------------------
def _hidden_product(h: Any, w_hh: Any, b_hh: Any) -> Any:
    """h W_hh^T + b_hh; b_hh (or None) when h is None (a zero state)."""
    return b_hh if h is None else F.linear(h, w_hh, b_hh)


def _plus(a: Any, b: Any) -> Any:
    return a if b is None else a + b


def _rnn_step(mode: str, xw: Any, h: Any, c: Any, w_hh: Any, b_hh: Any
              ) -> tuple[Any, Any]:
    """One step of a cell of `mode` ("RNN_TANH", "RNN_RELU", "LSTM", "GRU"): xw is the input's
    product x W_ih^T + b_ih, h and c the state (None: zeros); returns (h', c') (c' None but
    for LSTM)."""
    hw = _hidden_product(h, w_hh, b_hh)
    if mode in ("RNN_TANH", "RNN_RELU"):
        pre = _plus(xw, hw)
        return (tanh(pre) if mode == "RNN_TANH" else relu(pre)), None
    if mode == "LSTM":
        i, f, g, o = split(_plus(xw, hw), 4, axis=-1)
        ig = sigmoid(i) * tanh(g)
        c_new = ig if c is None else sigmoid(f) * c + ig
        return sigmoid(o) * tanh(c_new), c_new
    x_r, x_z, x_n = split(xw, 3, axis=-1)
    if hw is None:
        r, z = sigmoid(x_r), sigmoid(x_z)
        n = tanh(x_n)
    else:
        h_r, h_z, h_n = split(hw, 3, axis=-1)
        r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
        n = tanh(x_n + r * h_n)
    # (PyTorch's order of operations: h' = (h - n) * z + n)
    return (n - n * z if h is None else (h - n) * z + n), None


# -- shared checks -------------------------------------------------------------------------
def _rank(x: Any) -> int | None:
    shape = _tf._shape(x)
    return None if shape is None else len(shape)


def _refuse_packed(x: Any, name: str) -> None:
    if type(x).__name__ == "PackedSequence" or hasattr(x, "batch_sizes"):
        raise NotImplementedError(f"{name}: PackedSequence inputs are not supported; pad the "
                                  "sequences to one length and pass a tensor")


def _check_size(value: Any, name: str, positive: bool = True) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be greater than zero")
    return int(value)


def _check_features(x: Any, expected: int, name: str) -> None:
    shape = _tf._shape(x)
    if shape is not None and shape[-1] is not None and shape[-1] != expected:
        raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                           f"{expected}, got {shape[-1]}")


def _uniform_parameter(shape: tuple[int, ...], bound: float, np_dtype: Any) -> Parameter:
    return Parameter(creation._rng.uniform(-bound, bound, shape).astype(np_dtype))


# -- cells ---------------------------------------------------------------------------------
class _CellBase(Module):
    """weight_ih (G*hidden, input), weight_hh (G*hidden, hidden), bias_ih and bias_hh
    (G*hidden), all uniform in +-1/sqrt(hidden_size), as PyTorch's RNNCellBase."""

    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool, gates: int,
                 dtype: Any) -> None:
        super().__init__()
        self.input_size = _check_size(input_size, "input_size", positive=False)
        self.hidden_size = _check_size(hidden_size, "hidden_size")
        self.bias = bias
        bound = 1 / math.sqrt(self.hidden_size)
        np_dtype = _param_dtype(dtype)
        rows = gates * self.hidden_size
        self.weight_ih = _uniform_parameter((rows, self.input_size), bound, np_dtype)
        self.weight_hh = _uniform_parameter((rows, self.hidden_size), bound, np_dtype)
        if bias:
            self.bias_ih = _uniform_parameter((rows,), bound, np_dtype)
            self.bias_hh = _uniform_parameter((rows,), bound, np_dtype)
        else:
            object.__setattr__(self, "bias_ih", None)
            object.__setattr__(self, "bias_hh", None)

    def _check(self, input: Any, states: tuple[Any, ...], labels: tuple[str, ...]  # noqa: A002
               ) -> bool:
        """Checks input and states (None or of input's rank); whether input is batched."""
        name = type(self).__name__
        _refuse_packed(input, name)
        rank = _rank(input)
        if rank not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {rank}D instead")
        _check_features(input, self.input_size, name)
        for label, state in zip(labels, states):
            if state is None:
                continue
            state_rank = _rank(state)
            if state_rank != rank:
                raise ValueError(f"{name}: Expected {label} to be {rank}D, got {state_rank}D "
                                 "instead (the input's rank)")
            shape = _tf._shape(state)
            if shape is not None and shape[-1] is not None and shape[-1] != self.hidden_size:
                raise RuntimeError(f"{name}: {label} has inconsistent hidden_size: got "
                                   f"{shape[-1]}, expected {self.hidden_size}")
        return rank == 2

    def _step(self, input: Any, h: Any, c: Any) -> tuple[Any, Any]:  # noqa: A002
        xw = F.linear(input, self.weight_ih, self.bias_ih)
        return _rnn_step(self._mode, xw, h, c, self.weight_hh, self.bias_hh)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            text += f", nonlinearity={nonlinearity}"
        return text


def _batched(x: Any, batched: bool) -> Any:
    return x if batched or x is None else expand_dims(x, 0)


def _unbatched(x: Any, batched: bool) -> Any:
    return x if batched else squeeze(x, 0)


class RNNCell(_CellBase):
    """One Elman RNN step, h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (nonlinearity='relu':
    relu). forward(input, hx=None): input (N, input_size) or (input_size,), hx of the
    matching (N, hidden_size) or (hidden_size,), zeros when None; returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__(input_size, hidden_size, bias, 1, dtype)
        self.nonlinearity = nonlinearity
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"

    def forward(self, input: Any, hx: Any = None) -> Any:  # noqa: A002
        batched = self._check(input, (hx,), ("hidden",))
        h, _ = self._step(_batched(input, batched), _batched(hx, batched), None)
        return _unbatched(h, batched)


class LSTMCell(_CellBase):
    """One LSTM step (gates i, f, g, o, in that order, in weight_ih's 4*hidden_size rows).
    forward(input, hx=None): hx a tuple (h, c), zeros when None; returns (h', c')."""

    _mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, dtype)

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:  # noqa: A002
        h, c = (None, None) if hx is None else _pair(hx, "LSTMCell")
        batched = self._check(input, (h, c), ("hx[0]", "hx[1]"))
        h, c = self._step(_batched(input, batched), _batched(h, batched),
                          _batched(c, batched))
        return _unbatched(h, batched), _unbatched(c, batched)


class GRUCell(_CellBase):
    """One GRU step (gates r, z, n, in that order, in weight_ih's 3*hidden_size rows), with
    PyTorch's n = tanh(W_in x + b_in + r * (W_hn h + b_hn)). forward(input, hx=None) returns
    h'."""

    _mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, dtype)

    def forward(self, input: Any, hx: Any = None) -> Any:  # noqa: A002
        batched = self._check(input, (hx,), ("hidden",))
        h, _ = self._step(_batched(input, batched), _batched(hx, batched), None)
        return _unbatched(h, batched)


def _pair(hx: Any, name: str) -> tuple[Any, Any]:
    if not isinstance(hx, tuple | list) or len(hx) != 2:
        raise TypeError(f"{name}: hx must be a tuple (h_0, c_0) of two tensors, got "
                        f"{type(hx).__name__}")
    return hx[0], hx[1]


# -- layers over sequences -----------------------------------------------------------------
class RNNBase(Module):
    """num_layers stacked recurrent layers over a sequence, as PyTorch's nn.RNNBase.

    Parameters, per layer k and direction (suffix "_reverse" for the backward one):
    weight_ih_l{k} (G*hidden_size, input_size for k = 0 else D*hidden_size), weight_hh_l{k}
    (G*hidden_size, hidden_size), bias_ih_l{k} and bias_hh_l{k} (G*hidden_size), all uniform
    in +-1/sqrt(hidden_size); G is 1 (RNN), 4 (LSTM: i, f, g, o) or 3 (GRU: r, z, n), D is 2
    when bidirectional, else 1.

    forward(input, hx=None): input (L, N, input_size), (N, L, input_size) with
    batch_first, or (L, input_size) unbatched; hx (D*num_layers, N, hidden_size) (without N
    when unbatched; LSTM: a tuple (h_0, c_0)), zeros when None. Returns (output, h_n)
    (LSTM: (output, (h_n, c_n))): output holds the last layer's h at every step, both
    directions concatenated on the last dim (L, N, D*hidden_size), and h_n each layer's
    and direction's final state, in the order layer 0 forward, layer 0 backward, layer 1...
    In training mode a dropout of probability `dropout` is applied to each layer's output
    but the last's.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, dtype: Any = None) -> None:
        super().__init__()
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        if proj_size:
            raise NotImplementedError(f"{name}: proj_size is not supported (got proj_size="
                                      f"{proj_size}); use proj_size=0 and an nn.Linear on the "
                                      "output")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or \
                not 0 <= dropout <= 1:  # type: ignore[operator]
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        self.input_size = _check_size(input_size, "input_size", positive=False)
        self.hidden_size = _check_size(hidden_size, "hidden_size")
        self.num_layers = _check_size(num_layers, "num_layers")
        if dropout > 0 and num_layers == 1:  # type: ignore[operator]
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", UserWarning,
                          stacklevel=user_stacklevel())
        self.mode, self.bias, self.batch_first = mode, bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)  # type: ignore[arg-type]
        self.proj_size = 0
        gates = _GATES[mode] * self.hidden_size
        directions = 2 if bidirectional else 1
        bound = 1 / math.sqrt(self.hidden_size)
        np_dtype = _param_dtype(dtype)
        self._flat_weights_names: list[str] = []
        for layer in range(self.num_layers):
            width = self.input_size if layer == 0 else self.hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes: list[tuple[str, tuple[int, ...]]] = [
                    ("weight_ih", (gates, width)), ("weight_hh", (gates, self.hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                for prefix, shape in shapes:
                    setattr(self, prefix + suffix, _uniform_parameter(shape, bound, np_dtype))
                    self._flat_weights_names.append(prefix + suffix)

    @property
    def _name(self) -> str:
        return type(self).__name__

    def reset_parameters(self) -> None:
        """Every parameter uniform in +-1/sqrt(hidden_size) again."""
        from graphc.nn import init

        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def flatten_parameters(self) -> None:
        """Nothing to do (PyTorch packs the weights for cuDNN here)."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """Each layer's and direction's parameters: [[weight_ih_l0, weight_hh_l0, ...], ...]."""
        per = 4 if self.bias else 2
        names = self._flat_weights_names
        return [[self._parameters[n] for n in names[i:i + per]]
                for i in range(0, len(names), per)]

    def _layer_weights(self, layer: int, direction: int) -> tuple[Any, Any, Any, Any]:
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        # (through getattr: in a graph a parameter is read as its bound Variable)
        w_ih, w_hh = getattr(self, "weight_ih" + suffix), getattr(self, "weight_hh" + suffix)
        if not self.bias:
            return w_ih, w_hh, None, None
        return w_ih, w_hh, getattr(self, "bias_ih" + suffix), getattr(self, "bias_hh" + suffix)

    def _check_input(self, input: Any) -> bool:  # noqa: A002
        """Checks input; whether it is batched."""
        name = self._name
        _refuse_packed(input, name)
        rank = _rank(input)
        if rank not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {rank}D input "
                             "instead")
        _check_features(input, self.input_size, name)
        batched = rank == 3
        shape = _tf._shape(input)
        assert shape is not None
        steps = shape[1 if batched and self.batch_first else 0]
        if steps is None:
            raise ValueError(f"{name}: the sequence length (dim "
                             f"{1 if batched and self.batch_first else 0} of input shape "
                             f"{_tf._fmt(shape)}) must be known when the graph is built: the "
                             "time loop is unrolled into the graph; give the placeholder a "
                             "fixed sequence length")
        if steps == 0:
            raise RuntimeError(f"{name}: Expected sequence length to be larger than 0 in RNN")
        return batched

    def _check_state(self, state: Any, batched: bool, batch: Any, label: str) -> None:
        rank = _rank(state)
        if rank != (3 if batched else 2):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(f"For {kind} input, {label} should also be "
                               f"{3 if batched else 2}-D but got {rank}-D tensor")
        directions = 2 if self.bidirectional else 1
        expected = (self.num_layers * directions, *((batch,) if batched else ()),
                    self.hidden_size)
        shape = _tf._shape(state)
        assert shape is not None
        if any(e is not None and s is not None and e != s for e, s in zip(expected, shape)):
            what = {"hx": "hidden", "hx[0]": "hidden[0]", "hx[1]": "hidden[1]"}[label]
            raise RuntimeError(f"Expected {what} size "
                               f"({', '.join('None' if e is None else str(e) for e in expected)}"
                               f"{',' if len(expected) == 1 else ''}), got "
                               f"[{', '.join('None' if s is None else str(s) for s in shape)}]")

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:  # noqa: A002
        lstm = self.mode == "LSTM"
        batched = self._check_input(input)
        shape = _tf._shape(input)
        assert shape is not None
        batch = shape[0 if self.batch_first else 1] if batched else None
        h0: Any = None
        c0: Any = None
        if hx is not None:
            if lstm:
                h0, c0 = _pair(hx, self._name)
                ranks = (_rank(h0), _rank(c0))
                if ranks != ((3, 3) if batched else (2, 2)):
                    kind = "batched 3-D" if batched else "unbatched 2-D"
                    raise RuntimeError(f"For {kind} input, hx and cx should also be "
                                       f"{3 if batched else 2}-D but got ({ranks[0]}-D, "
                                       f"{ranks[1]}-D) tensors")
                self._check_state(h0, batched, batch, "hx[0]")
                self._check_state(c0, batched, batch, "hx[1]")
            else:
                if isinstance(hx, tuple | list):
                    raise TypeError(f"{self._name}: hx must be a tensor, got a "
                                    f"{type(hx).__name__}")
                h0 = hx
                self._check_state(h0, batched, batch, "hx")
        if not batched:
            input = expand_dims(input, 1)  # noqa: A001
            h0 = None if h0 is None else expand_dims(h0, 1)
            c0 = None if c0 is None else expand_dims(c0, 1)
        elif self.batch_first:
            input = _swap01(input)  # noqa: A001
        directions = 2 if self.bidirectional else 1
        h_starts = [None] * (self.num_layers * directions) if h0 is None else unstack(h0, axis=0)
        c_starts = [None] * (self.num_layers * directions) if c0 is None else unstack(c0, axis=0)
        layer_input = input
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                w_ih, w_hh, b_ih, b_hh = self._layer_weights(layer, direction)
                xws = unstack(F.linear(layer_input, w_ih, b_ih), axis=0)
                h, c = h_starts[k], c_starts[k]
                steps: list[Any] = [None] * len(xws)
                order = range(len(xws) - 1, -1, -1) if direction else range(len(xws))
                for t in order:
                    h, c = _rnn_step(self.mode, xws[t], h, c, w_hh, b_hh)
                    steps[t] = h
                outputs.append(stack(steps, axis=0))
                h_n.append(h)
                c_n.append(c)
            layer_input = outputs[0] if directions == 1 else concat(outputs, axis=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        h_last = stack(h_n, axis=0)
        c_last = stack(c_n, axis=0) if lstm else None
        if not batched:
            output = squeeze(output, 1)
            h_last = squeeze(h_last, 1)
            c_last = None if c_last is None else squeeze(c_last, 1)
        elif self.batch_first:
            output = _swap01(output)
        return (output, (h_last, c_last)) if lstm else (output, h_last)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity=relu"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


def _swap01(x: Any) -> Any:
    from graphc.ops.shape import transpose

    return transpose(x, [1, 0, 2])


class RNN(RNNBase):
    """Elman RNN layers, h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu):
    RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False); see RNNBase."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """LSTM layers (gates i, f, g, o in weight_ih_l{k}'s 4*hidden_size rows): forward(input,
    (h_0, c_0)=None) returns (output, (h_n, c_n)); see RNNBase. proj_size is not
    supported."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, dtype)


class GRU(RNNBase):
    """GRU layers (gates r, z, n in weight_ih_l{k}'s 3*hidden_size rows; PyTorch's
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))); see RNNBase."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype=dtype)


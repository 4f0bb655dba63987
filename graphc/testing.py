"""Gradient checking against central finite differences in float64 (exposed as gc.test)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphc import dtypes
from graphc.graph import Graph, Tensor
from graphc.ops.reduce import reduce_sum
from graphc.ops.state import placeholder
from graphc.passes.autodiff import gradients
from graphc.session import Session


class GradientCheckError(AssertionError):
    """Analytic and numeric gradients disagree beyond the tolerances."""


@dataclass(frozen=True)
class GradientReport:
    """The worst disagreement found: which input, which element, and both values."""

    input: str
    index: tuple[int, ...]
    analytic: float
    numeric: float
    abs_error: float
    checked: int  # how many elements were compared

    def __str__(self) -> str:
        return (f"worst element: {self.input}[{', '.join(map(str, self.index))}] analytic "
                f"{self.analytic:.10g} vs numeric {self.numeric:.10g} (abs error "
                f"{self.abs_error:.3g}; {self.checked} elements checked)")


def check_gradients(target: Any, inputs: Sequence[Any], *, mode: str = "graph",
                    feed_dict: dict[Any, Any] | None = None, session: Session | None = None,
                    eps: float = 1e-6, rtol: float = 1e-6, atol: float = 1e-8,
                    seed: int = 0) -> GradientReport:
    """Compare gradients with central differences of sum(output * w), w random and fixed.

    `target` is either a function of tensors with `inputs` its numpy arguments, run as a
    graph (mode="graph") or eagerly (mode="eager"); or a float64 graph tensor with `inputs`
    the placeholders or Variables to differentiate by (given values in `feed_dict`, and
    `session` holding the Variables). Raises GradientCheckError naming the worst element if
    |analytic - numeric| > atol + rtol * |numeric| anywhere; otherwise returns the report.
    """
    if isinstance(target, Tensor):
        analytic, numeric, names = _graph_tensor(target, list(inputs), feed_dict or {},
                                                 session, eps, seed)
    elif mode == "eager":
        analytic, numeric, names = _eager_function(target, _float64(inputs), eps, seed)
    elif mode == "graph":
        analytic, numeric, names = _graph_function(target, _float64(inputs), eps, seed)
    else:
        raise ValueError(f"check_gradients: mode must be 'graph' or 'eager', not {mode!r}")
    return _compare(analytic, numeric, names, rtol, atol)


def _float64(values: Sequence[Any]) -> list[np.ndarray]:
    return [np.array(v, dtype=np.float64) for v in values]


def _central(loss: Callable[[list[np.ndarray]], float], values: list[np.ndarray],
             eps: float) -> list[np.ndarray]:
    grads = []
    for i, value in enumerate(values):
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            shifted = [v.copy() for v in values]
            shifted[i][index] += eps
            up = loss(shifted)
            shifted[i][index] -= 2 * eps
            grad[index] = (up - loss(shifted)) / (2 * eps)
        grads.append(grad)
    return grads


def _weights(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def _graph_function(fn: Callable[..., Any], values: list[np.ndarray], eps: float,
                    seed: int) -> tuple[list[Any], list[np.ndarray], list[str]]:
    graph = Graph()
    with graph.as_default():
        xs = [placeholder(dtypes.float64, v.shape, name=f"input{i}") for i, v in
              enumerate(values)]
        y = fn(*xs)
    with Session(graph) as sess:
        w = _weights(np.shape(sess.run(y, dict(zip(xs, values)))), seed)
        with graph.as_default():
            loss = reduce_sum(y * w)
            grads = gradients(loss, xs)
        analytic = sess.run([g for g in grads if g is not None], dict(zip(xs, values)))
        it = iter(analytic)
        analytic = [None if g is None else next(it) for g in grads]
        numeric = _central(lambda vs: float(sess.run(loss, dict(zip(xs, vs)))), values, eps)
    return analytic, numeric, [f"input{i}" for i in range(len(values))]


def _eager_function(fn: Callable[..., Any], values: list[np.ndarray], eps: float,
                    seed: int) -> tuple[list[Any], list[np.ndarray], list[str]]:
    import graphc.eager as ge

    tensors = [ge.tensor(v, requires_grad=True) for v in values]
    out = fn(*tensors)
    w = _weights(out.shape, seed)
    (out * w).sum().backward()
    analytic = [None if t.grad is None else t.grad.array for t in tensors]

    def loss(vs: list[np.ndarray]) -> float:
        with ge.no_grad():
            return float((fn(*[ge.tensor(v) for v in vs]) * w).sum().item())

    return analytic, _central(loss, values, eps), [f"input{i}" for i in range(len(values))]


def _graph_tensor(y: Tensor, xs: list[Tensor], feeds: dict[Any, Any], session: Session | None,
                  eps: float, seed: int) -> tuple[list[Any], list[np.ndarray], list[str]]:
    for t in [y, *xs]:
        if t.dtype != dtypes.float64:
            raise TypeError(f"check_gradients needs float64 tensors for accurate finite "
                            f"differences; '{t.name}' is {t.dtype.name}")
    sess = session or Session(y.graph)
    variables = [x for x in xs if x.node.op == "variable"]
    saved = sess.variable_values([v.node for v in variables])
    with y.graph.as_default():  # type: ignore[union-attr]
        w = _weights(np.shape(sess.run(y, feeds)), seed)
        loss = reduce_sum(y * w)
        grads = gradients(loss, xs)
    analytic = [None if g is None else sess.run(g, feeds) for g in grads]
    values = [saved[x.node] if x in variables else np.array(feeds[x], np.float64) for x in xs]

    def evaluate(vs: list[np.ndarray]) -> float:
        sess.load_variables({x.node: v for x, v in zip(xs, vs) if x in variables})
        return float(sess.run(loss, {**feeds, **{x: v for x, v in zip(xs, vs)
                                                  if x not in variables}}))

    try:
        numeric = _central(evaluate, values, eps)
    finally:
        sess.load_variables(saved)
    return analytic, numeric, [x.name for x in xs]


def _compare(analytic: list[Any], numeric: list[np.ndarray], names: list[str], rtol: float,
             atol: float) -> GradientReport:
    worst: GradientReport | None = None
    worst_excess = -np.inf
    checked = sum(n.size for n in numeric)
    for name, a, n in zip(names, analytic, numeric):
        a = np.zeros_like(n) if a is None else np.asarray(a, np.float64)
        if n.size == 0:
            continue
        error = np.abs(a - n)
        excess = error - (atol + rtol * np.abs(n))
        index = np.unravel_index(int(np.argmax(excess)), n.shape)
        if excess[index] > worst_excess:
            worst_excess = float(excess[index])
            worst = GradientReport(name, tuple(int(i) for i in index), float(a[index]),
                                   float(n[index]), float(error[index]), checked)
    if worst is None:
        raise ValueError("check_gradients: there is nothing to check (no input elements)")
    if worst_excess > 0:
        raise GradientCheckError(f"gradients disagree with finite differences beyond "
                                 f"atol={atol:g}, rtol={rtol:g}: {worst}")
    return worst

"""Numpy references for the programs of tests/programs.

Each function takes the program's RESULT (a dict) and returns the numbers the program should
have reported, computed independently in float64 numpy: it regenerates the program's data
from the same seeds, writes the model's forward and backward passes by hand, and applies the
optimizers' published formulas (TensorFlow's for gc.train, PyTorch's for graphc.optim). Where
a program draws its initial weights from graphc's own random ops, as its tutorial does, the
program reports them under "init" and the reference starts from them. A float32 program's data
and initial values are rounded to float32 first (as32), so the reference differs from it only
by the rounding of its arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np


def as32(x: Any) -> np.ndarray:
    """The value a float32 program holds, as float64 for the reference's arithmetic."""
    return np.asarray(x, dtype=np.float64).astype(np.float32).astype(np.float64)


def prototype_digits(seed: int, width: int, n_train: int, n_test: int,
                     noise: float) -> tuple[np.ndarray, ...]:
    """The programs' synthetic "MNIST": ten prototype images in [0, 1), each example a noisy
    copy of one, clipped to [0, 1]; one-hot labels. Drawn in the programs' order."""
    rs = np.random.RandomState(seed)
    prototypes = rs.rand(10, width)
    train_digits, test_digits = rs.randint(0, 10, n_train), rs.randint(0, 10, n_test)
    train = as32(np.clip(prototypes[train_digits] + rs.randn(n_train, width) * noise, 0, 1))
    test = as32(np.clip(prototypes[test_digits] + rs.randn(n_test, width) * noise, 0, 1))
    return train, np.eye(10)[train_digits], test, np.eye(10)[test_digits]


# -- layers ---------------------------------------------------------------------------------

def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    # name: (f(x), f'(x) written with y = f(x))
    "linear": (lambda x: x, lambda y: np.ones_like(y)),
    "relu": (lambda x: np.maximum(x, 0), lambda y: (y > 0).astype(float)),
    "sigmoid": (sigmoid, lambda y: y * (1 - y)),
    "tanh": (np.tanh, lambda y: 1 - y * y),
}


def dense_forward(x: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray, str]]
                  ) -> list[np.ndarray]:
    """Activations [x, h1, ..., out] of layers (W, b, activation) computing f(h @ W + b)."""
    acts = [x]
    for w, b, act in layers:
        acts.append(ACTIVATIONS[act][0](acts[-1] @ w + b))
    return acts


def dense_backward(acts: list[np.ndarray], layers: list[tuple[np.ndarray, np.ndarray, str]],
                   grad_out: np.ndarray) -> tuple[list[tuple[np.ndarray, np.ndarray]],
                                                  np.ndarray]:
    """[(dW, db)] per layer and the gradient of the input, given d(loss)/d(output)."""
    grads = []
    g = grad_out
    for (w, _, act), h_in, h_out in zip(reversed(layers), reversed(acts[:-1]),
                                        reversed(acts[1:])):
        g = g * ACTIVATIONS[act][1](h_out)
        grads.append((h_in.T @ g, g.sum(axis=0)))
        g = g @ w.T
    return grads[::-1], g


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_xent(logits: np.ndarray, onehot: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy over the batch and its gradient with respect to logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(np.mean(-np.sum(onehot * log_p, axis=1)))
    return loss, (np.exp(log_p) - onehot) / len(logits)


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(logits, 1) == labels))


# -- optimizers -----------------------------------------------------------------------------

class TfAdam:
    """TensorFlow's Adam: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t); m, v moving averages;
    var -= lr_t m / (sqrt(v) + eps)."""

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m: dict[int, np.ndarray] = {}
        self.v: dict[int, np.ndarray] = {}

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> list[np.ndarray]:
        self.t += 1
        lr_t = self.lr * math.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t)
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            m = self.beta1 * self.m.get(i, 0) + (1 - self.beta1) * g
            v = self.beta2 * self.v.get(i, 0) + (1 - self.beta2) * g * g
            self.m[i], self.v[i] = m, v
            out.append(p - lr_t * m / (np.sqrt(v) + self.eps))
        return out


class TfRMSProp:
    """TensorFlow 1's RMSProp (momentum 0): ms starts at 1; ms = decay ms + (1 - decay) g^2;
    var -= lr g / sqrt(ms + eps)."""

    def __init__(self, lr: float, decay: float = 0.9, eps: float = 1e-10) -> None:
        self.lr, self.decay, self.eps = lr, decay, eps
        self.ms: dict[int, np.ndarray] = {}

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            ms = self.decay * self.ms.get(i, 1.0) + (1 - self.decay) * g * g
            self.ms[i] = ms
            out.append(p - self.lr * g / np.sqrt(ms + self.eps))
        return out


class TfMomentum:
    """TensorFlow's momentum: accum = momentum accum + g; var -= lr accum."""

    def __init__(self, momentum: float) -> None:
        self.momentum = momentum
        self.accum: dict[int, np.ndarray] = {}

    def step(self, params: list[np.ndarray], grads: list[np.ndarray],
             lr: float) -> list[np.ndarray]:
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            self.accum[i] = self.momentum * self.accum.get(i, 0) + g
            out.append(p - lr * self.accum[i])
        return out


class TorchAdam:
    """PyTorch's Adam: m, v moving averages, bias-corrected; p -= lr m_hat / (sqrt(v_hat)
    + eps)."""

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.t = 0
        self.m: dict[int, np.ndarray] = {}
        self.v: dict[int, np.ndarray] = {}

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> list[np.ndarray]:
        self.t += 1
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            m = self.beta1 * self.m.get(i, 0) + (1 - self.beta1) * g
            v = self.beta2 * self.v.get(i, 0) + (1 - self.beta2) * g * g
            self.m[i], self.v[i] = m, v
            m_hat, v_hat = m / (1 - self.beta1 ** self.t), v / (1 - self.beta2 ** self.t)
            out.append(p - self.lr * m_hat / (np.sqrt(v_hat) + self.eps))
        return out


class TorchSGD:
    """PyTorch's SGD, dampening 0: buf = g on the first step, momentum buf + g after;
    p -= lr buf (p -= lr g without momentum)."""

    def __init__(self, lr: float, momentum: float = 0.0) -> None:
        self.lr, self.momentum = lr, momentum
        self.buf: dict[int, np.ndarray] = {}

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            if self.momentum:
                self.buf[i] = g if i not in self.buf else self.momentum * self.buf[i] + g
                g = self.buf[i]
            out.append(p - self.lr * g)
        return out


class TorchRMSprop:
    """PyTorch's RMSprop: square_avg starts at 0; square_avg = alpha square_avg + (1 - alpha)
    g^2; p -= lr g / (sqrt(square_avg) + eps)."""

    def __init__(self, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8) -> None:
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.sq: dict[int, np.ndarray] = {}

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            self.sq[i] = self.alpha * self.sq.get(i, 0) + (1 - self.alpha) * g * g
            out.append(p - self.lr * g / (np.sqrt(self.sq[i]) + self.eps))
        return out


def flat(layers: list[tuple[np.ndarray, np.ndarray, str]]) -> list[np.ndarray]:
    return [p for w, b, _ in layers for p in (w, b)]


def unflat(params: list[np.ndarray], acts: list[str]) -> list[tuple[np.ndarray, np.ndarray,
                                                                   str]]:
    return [(params[2 * i], params[2 * i + 1], a) for i, a in enumerate(acts)]


# -- TensorFlow 1 programs ------------------------------------------------------------------

def tf_linear_regression(result: dict) -> dict:
    rng = np.random
    rng.seed(1)
    train_x = as32([3.3, 4.4, 5.5, 6.71, 6.93, 4.168, 9.779, 6.182, 7.59, 2.167,
                    7.042, 10.791, 5.313, 7.997, 5.654, 9.27, 3.1])
    train_y = as32([1.7, 2.76, 2.09, 3.19, 1.694, 1.573, 3.366, 2.596, 2.53, 1.221,
                    2.827, 3.465, 1.65, 2.904, 2.42, 2.94, 1.3])
    n = len(train_x)
    w, b = as32(rng.randn()), as32(rng.randn())
    for _ in range(100):
        for x, y in zip(train_x, train_y):
            # cost = (w x + b - y)^2 / (2 n) for the one sample fed
            err = w * x + b - y
            w, b = w - 0.01 * err * x / n, b - 0.01 * err / n

    def cost(xs: np.ndarray, ys: np.ndarray) -> float:
        return float(np.sum((w * xs + b - ys) ** 2) / (2 * len(xs)))

    test_x = as32([6.83, 4.668, 8.9, 7.91, 5.7, 8.7, 3.1, 2.1])
    test_y = as32([1.84, 2.273, 3.2, 2.831, 2.92, 3.24, 1.35, 1.03])
    return {"training_cost": cost(train_x, train_y), "testing_cost": cost(test_x, test_y),
            "W": float(w), "b": float(b)}


def _softmax_regression_epochs(images: np.ndarray, labels: np.ndarray, lr: float,
                               epochs: int, batch: int) -> tuple[np.ndarray, np.ndarray,
                                                                 list[float], list[float],
                                                                 list[float]]:
    """Softmax regression from zeros by gradient descent over consecutive batches: the
    weights, each epoch's average cost, and every step's cost and accuracy before its
    update."""
    w, b = np.zeros((images.shape[1], 10)), np.zeros(10)
    costs, step_costs, step_accuracies = [], [], []
    batches = len(images) // batch
    for _ in range(epochs):
        avg = 0.0
        for i in range(batches):
            x, y = images[i * batch:(i + 1) * batch], labels[i * batch:(i + 1) * batch]
            logits = x @ w + b
            c, g = softmax_xent(logits, y)
            step_costs.append(c)
            step_accuracies.append(accuracy(logits, y.argmax(1)))
            w, b = w - lr * x.T @ g, b - lr * g.sum(0)
            avg += c / batches
        costs.append(avg)
    return w, b, costs, step_costs, step_accuracies


def tf_logistic_regression(result: dict) -> dict:
    train, train_y, test, test_y = prototype_digits(0, 784, 500, 200, 1.0)
    w, b, costs, _, _ = _softmax_regression_epochs(train, train_y, 0.01, 25, 100)
    return {"costs": costs, "accuracy": accuracy(test @ w + b, test_y.argmax(1)),
            "W_norm": float(np.linalg.norm(w)), "W_abs_sum": float(np.abs(w).sum()),
            "b": b.tolist()}


def tf_tensorboard_basic(result: dict) -> dict:
    train, train_y, test, test_y = prototype_digits(6, 784, 500, 200, 1.0)
    w, b, costs, step_costs, step_accuracies = _softmax_regression_epochs(
        train, train_y, 0.01, 25, 100)
    return {"costs": costs, "accuracy": accuracy(test @ w + b, test_y.argmax(1)),
            "summaries": {"loss": step_costs, "accuracy": step_accuracies}}


def tf_mnist_softmax(result: dict) -> dict:
    rs = np.random.RandomState(1)
    strokes = rs.rand(10, 784) < 0.15
    train_digits, test_digits = rs.randint(0, 10, 1000), rs.randint(0, 10, 500)
    train = as32(strokes[train_digits] * rs.uniform(0.5, 1, (1000, 784)))
    test = as32(strokes[test_digits] * rs.uniform(0.5, 1, (500, 784)))
    train_y, test_y = np.eye(10)[train_digits], np.eye(10)[test_digits]
    w, b = np.zeros((784, 10)), np.zeros(10)
    for step in range(100):
        start = step * 100 % 1000
        x, y = train[start:start + 100], train_y[start:start + 100]
        _, g = softmax_xent(x @ w + b, y)
        w, b = w - 0.5 * x.T @ g, b - 0.5 * g.sum(0)
    return {"accuracy": accuracy(test @ w + b, test_y.argmax(1)),
            "train_loss": softmax_xent(train @ w + b, train_y)[0],
            "W_norm": float(np.linalg.norm(w)), "b": b.tolist()}


def tf_basic_usage(result: dict) -> dict:
    return {"product": [[12.0]], "sub": [-2.0, -1.0], "counter": [1, 2, 3],
            "fetches": [[21.0], [7.0]], "feed": [14.0], "dtypes": ["float32", "int32"]}


def tf_getting_started(result: dict) -> dict:
    x, y = np.array([1.0, 2, 3, 4]), np.array([0.0, -1, -2, -3])
    w, b = as32(0.3), as32(-0.3)
    initial_loss = float(np.sum((w * x + b - y) ** 2))
    for _ in range(1000):
        err = w * x + b - y
        w, b = w - 0.01 * np.sum(2 * err * x), b - 0.01 * np.sum(2 * err)
    return {"node3": 7.0, "adder": [3.0, 7.0], "add_and_triple": 22.5,
            "initial_loss": initial_loss, "fixed_loss": 0.0, "W": [float(w)], "b": [float(b)],
            "loss": float(np.sum((w * x + b - y) ** 2))}


def _mlp_layers(init: list[dict], acts: list[str], names: list[tuple[str, str]]
                ) -> list[tuple[np.ndarray, np.ndarray, str]]:
    weights, biases = init
    return [(as32(weights[w]), as32(biases[b]), a) for (w, b), a in zip(names, acts)]


MLP_NAMES = [("h1", "b1"), ("h2", "b2"), ("out", "out")]
MLP_ACTS = ["relu", "relu", "linear"]


def _train_mlp_adam(layers: list, batches: Any, steps_per_epoch: int, epochs: int,
                    opt: TfAdam) -> tuple[list, list[float]]:
    costs = []
    for _ in range(epochs):
        avg = 0.0
        for _ in range(steps_per_epoch):
            x, y = next(batches)
            acts = dense_forward(x, layers)
            c, g = softmax_xent(acts[-1], y)
            grads, _ = dense_backward(acts, layers, g)
            layers = unflat(opt.step(flat(layers), [p for pair in grads for p in pair]),
                            MLP_ACTS)
            avg += c / steps_per_epoch
        costs.append(avg)
    return layers, costs


def _cycle(images: np.ndarray, labels: np.ndarray, batch: int) -> Any:
    while True:
        for start in range(0, len(images), batch):
            yield images[start:start + batch], labels[start:start + batch]


def tf_mlp_adam(result: dict) -> dict:
    train, train_y, test, test_y = prototype_digits(2, 64, 500, 200, 0.5)
    layers = _mlp_layers(result["init"], MLP_ACTS, MLP_NAMES)
    layers, costs = _train_mlp_adam(layers, _cycle(train, train_y, 100), 5, 20, TfAdam(0.01))
    return {"costs": costs,
            "accuracy": accuracy(dense_forward(test, layers)[-1], test_y.argmax(1)),
            "final": {name: float(np.abs(w).sum())
                      for (name, _), (w, _, _) in zip(MLP_NAMES, layers)}}


def tf_save_restore(result: dict) -> dict:
    train, train_y, test, test_y = prototype_digits(5, 32, 500, 200, 0.5)
    layers = _mlp_layers(result["init"], MLP_ACTS, MLP_NAMES)
    batches, opt = _cycle(train, train_y, 100), TfAdam(0.01)
    layers, costs = _train_mlp_adam(layers, batches, 5, 3, opt)
    first = accuracy(dense_forward(test, layers)[-1], test_y.argmax(1))
    # the second Session restores every Variable, Adam's slots and step count included
    layers, more = _train_mlp_adam(layers, batches, 5, 7, opt)
    second = accuracy(dense_forward(test, layers)[-1], test_y.argmax(1))
    return {"costs": costs + more, "accuracy": [first, second],
            "final": {name: float(np.abs(w).sum())
                      for (name, _), (w, _, _) in zip(MLP_NAMES, layers)}}


def tf_autoencoder(result: dict) -> dict:
    rs = np.random.RandomState(3)
    patterns = rs.rand(4, 16)
    images = as32(rs.dirichlet(np.ones(4), 256) @ patterns)
    weights, biases = result["init"]
    names = [("encoder_h1", "encoder_b1"), ("encoder_h2", "encoder_b2"),
             ("decoder_h1", "decoder_b1"), ("decoder_h2", "decoder_b2")]
    acts = ["sigmoid"] * 4
    layers = [(as32(weights[w]), as32(biases[b]), "sigmoid") for w, b in names]
    opt, losses = TfRMSProp(0.01), []
    for i in range(1, 201):
        start = (i - 1) * 64 % 256
        x = images[start:start + 64]
        out = dense_forward(x, layers)
        losses.append(float(np.mean((x - out[-1]) ** 2)))
        grads, _ = dense_backward(out, layers, 2 * (out[-1] - x) / x.size)
        layers = unflat(opt.step(flat(layers), [p for pair in grads for p in pair]), acts)
    return {"losses": losses, "decoded": dense_forward(images[:10], layers)[-1].tolist()}


def tf_nearest_neighbor(result: dict) -> dict:
    xtr, ytr, xte, yte = prototype_digits(4, 784, 500, 100, 2.0)
    nearest, acc = [], 0.0
    for i in range(len(xte)):
        nn_index = int(np.argmin(np.abs(xtr - xte[i]).sum(axis=1)))
        if np.argmax(ytr[nn_index]) == np.argmax(yte[i]):
            acc += 1. / len(xte)
        nearest.append(nn_index)
    return {"nearest": nearest, "accuracy": acc}


def _housing() -> tuple[np.ndarray, np.ndarray]:
    """Geron's housing data, synthetic: the scaled data with a bias column, and the target."""
    rs = np.random.RandomState(7)
    housing_data = rs.randn(1000, 8) * rs.rand(8) * 10 + rs.randn(8) * 5
    housing_target = housing_data @ (rs.randn(8) / 10) + 2 + rs.randn(1000) / 2
    scaled = (housing_data - housing_data.mean(axis=0)) / housing_data.std(axis=0)
    return as32(np.c_[np.ones((1000, 1)), scaled]), as32(housing_target.reshape(-1, 1))


def _housing_minibatch(theta: np.ndarray, x: np.ndarray, y: np.ndarray,
                       record: list[float] | None = None) -> np.ndarray:
    """Ten epochs of ten batches of 100, drawn as fetch_batch draws them; `record` gets the
    batch's MSE before the update of every tenth batch."""
    for epoch in range(10):
        for batch_index in range(10):
            np.random.seed(epoch * 10 + batch_index)
            indices = np.random.randint(1000, size=100)
            xb, yb = x[indices], y[indices]
            err = xb @ theta - yb
            if record is not None and batch_index % 10 == 0:
                record.append(float(np.mean(err ** 2)))
            theta = theta - 0.01 * 2 / 100 * xb.T @ err
    return theta


def tf_geron_gradient_descent(result: dict) -> dict:
    x, y = _housing()
    init = {k: as32(v) for k, v in result["init"].items()}

    def batch_gd(theta: np.ndarray, momentum: float = 0.0) -> np.ndarray:
        opt = TfMomentum(momentum)
        for _ in range(1000):
            theta, = opt.step([theta], [2 / 1000 * x.T @ (x @ theta - y)], 0.01)
        return theta

    theta = {name: batch_gd(init[name]).tolist()
             for name in ("manual", "autodiff", "optimizer", "saved")}
    theta["momentum"] = batch_gd(init["momentum"], 0.9).tolist()
    theta["minibatch"] = _housing_minibatch(init["minibatch"], x, y).tolist()
    # every variant draws theta with the same graph and op seeds: the same values
    return {"init": {name: result["init"]["manual"] for name in result["init"]}, "theta": theta,
            "B": [[[6.0, 7.0, 8.0]], [[9.0, 10.0, 11.0], [12.0, 13.0, 14.0]]],
            "restored_equal": True}


def tf_geron_tensorboard(result: dict) -> dict:
    x, y = _housing()
    mses: list[float] = []
    theta = _housing_minibatch(as32(result["init"]), x, y, mses)
    return {"theta": theta.tolist(), "summaries": {"MSE": mses},
            "op_names": ["loss/sub", "loss/mse"]}


def _regression_data(seed: int) -> tuple[np.ndarray, ...]:
    """The tanh regression programs' data and initial weights, in their draw order."""
    np.random.seed(seed)
    x = np.random.uniform(-1, 1, (200, 3))
    y = np.sin(x.sum(axis=1, keepdims=True)) + 0.1 * np.random.randn(200, 1)
    w1 = np.random.randn(3, 10) * 0.5
    w2 = np.random.randn(10, 1) * 0.5
    return x, y, w1, w2


def _tanh_net_grads(layers: list, x: np.ndarray, y: np.ndarray) -> tuple[float, list]:
    acts = dense_forward(x, layers)
    grads, _ = dense_backward(acts, layers, 2 * (acts[-1] - y) / len(y))
    return float(np.mean((acts[-1] - y) ** 2)), [p for pair in grads for p in pair]


def tf_momentum_global_step(result: dict) -> dict:
    x, y, w1, w2 = _regression_data(8)
    layers = [(w1, np.zeros(10), "tanh"), (w2, np.zeros(1), "linear")]
    opt, losses = TfMomentum(0.9), []
    for i in range(300):
        batch = slice(i % 4 * 50, i % 4 * 50 + 50)
        loss, grads = _tanh_net_grads(layers, x[batch], y[batch])
        losses.append(loss)
        layers = unflat(opt.step(flat(layers), grads, 0.05), ["tanh", "linear"])
    return {"losses": losses, "global_step": 300,
            "final_loss": _tanh_net_grads(layers, x, y)[0],
            "weights": [p.tolist() for p in flat(layers)]}


def tf_exponential_decay(result: dict) -> dict:
    x, y, w1, w2 = _regression_data(9)
    layers = [(w1, np.zeros(10), "tanh"), (w2, np.zeros(1), "linear")]
    opt, rates = TfMomentum(0.9), []
    for step in range(300):
        # staircase: decay_rate^floor(step / 100), in float32 as TensorFlow converts 0.1 (a
        # float32 tensor, cast to the variables' float64 by the optimizer)
        rates.append(float(np.float32(0.1) * np.float32(0.5) ** (step // 100)))
        _, grads = _tanh_net_grads(layers, x, y)
        layers = unflat(opt.step(flat(layers), grads, rates[-1]), ["tanh", "linear"])
    return {"rates": rates, "final_loss": _tanh_net_grads(layers, x, y)[0], "global_step": 300}


def tf_gan(result: dict) -> dict:
    rs = np.random.RandomState(10)
    images = np.zeros((256, 16))
    for row, start in enumerate(rs.randint(0, 12, 256)):
        images[row, start:start + 4] = rs.uniform(0.6, 1.0)
    images = as32(images)
    np.random.seed(11)
    init = {k: as32(v) for k, v in result["init"].items()}
    gen = [(init["gen_hidden1"], np.zeros(16), "relu"), (init["gen_out"], np.zeros(16),
                                                         "sigmoid")]
    disc = [(init["disc_hidden1"], np.zeros(16), "relu"), (init["disc_out"], np.zeros(1),
                                                           "sigmoid")]
    opt_gen, opt_disc = TfAdam(0.0002), TfAdam(0.0002)
    gen_losses, disc_losses = [], []
    for i in range(1, 201):
        start = (i - 1) * 32 % 256
        x = images[start:start + 32]
        z = as32(np.random.uniform(-1., 1., size=[32, 4]))
        g_acts = dense_forward(z, gen)
        fake_acts, real_acts = dense_forward(g_acts[-1], disc), dense_forward(x, disc)
        d_fake, d_real = fake_acts[-1], real_acts[-1]
        gen_losses.append(float(-np.mean(np.log(d_fake))))
        disc_losses.append(float(-np.mean(np.log(d_real) + np.log(1. - d_fake))))
        # generator: through the discriminator (held fixed) into the generator
        _, g_sample = dense_backward(fake_acts, disc, -1 / d_fake / 32)
        gen_grads, _ = dense_backward(g_acts, gen, g_sample)
        # discriminator: both terms
        real_grads, _ = dense_backward(real_acts, disc, -1 / d_real / 32)
        fake_grads, _ = dense_backward(fake_acts, disc, 1 / (1 - d_fake) / 32)
        disc_grads = [(a[0] + b[0], a[1] + b[1]) for a, b in zip(real_grads, fake_grads)]
        gen = unflat(opt_gen.step(flat(gen), [p for pair in gen_grads for p in pair]),
                     ["relu", "sigmoid"])
        disc = unflat(opt_disc.step(flat(disc), [p for pair in disc_grads for p in pair]),
                      ["relu", "sigmoid"])
    final = {"gen_hidden1": gen[0][0], "gen_out": gen[1][0], "disc_hidden1": disc[0][0],
             "disc_out": disc[1][0]}
    return {"gen_losses": gen_losses, "disc_losses": disc_losses,
            "final": {k: v.tolist() for k, v in final.items()}}


def tf_fully_connected_feed(result: dict) -> dict:
    prototypes = np.random.RandomState(12).rand(10, 64)

    def data_set(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        rs = np.random.RandomState(seed)
        labels = rs.randint(0, 10, n)
        return as32(np.clip(prototypes[labels] + rs.randn(n, 64) / 2, 0, 1)), labels

    train, validation, test = data_set(13, 1000), data_set(14, 200), data_set(15, 200)
    p = [as32(v) for v in result["init"]]
    acts = ["relu", "relu", "linear"]
    layers = unflat(p, acts)
    losses = []
    for step in range(200):
        start = step * 50 % 1000
        x, labels = train[0][start:start + 50], train[1][start:start + 50]
        out = dense_forward(x, layers)
        loss, g = softmax_xent(out[-1], np.eye(10)[labels])
        losses.append(loss)
        grads, _ = dense_backward(out, layers, g)
        layers = unflat([q - 0.1 * dq for q, dq in zip(flat(layers),
                                                        [d for pair in grads for d in pair])],
                        acts)
    correct = [int(np.sum(np.argmax(dense_forward(images, layers)[-1], 1) == labels))
               for images, labels in (train, validation, test)]
    return {"losses": losses, "correct": correct}


def tf_softmax_sparse(result: dict) -> dict:
    np.random.seed(0)
    n, d, k = 100, 2, 3
    x = np.zeros((n * k, d))
    y = np.zeros(n * k, dtype='uint8')
    for j in range(k):
        ix = range(n * j, n * (j + 1))
        r = np.linspace(0.0, 1, n)
        t = np.linspace(j * 4, (j + 1) * 4, n) + np.random.randn(n) * 0.2
        x[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    onehot, reg = np.eye(k)[y], 1e-3

    def train(layers: list, steps: int) -> tuple[list, list[float]]:
        acts_names = [a for _, _, a in layers]
        losses = []
        for _ in range(steps):
            acts = dense_forward(x, layers)
            data_loss, g = softmax_xent(acts[-1], onehot)
            losses.append(data_loss + sum(0.5 * reg * np.sum(w * w) for w, _, _ in layers))
            grads, _ = dense_backward(acts, layers, g)
            layers = unflat([p - (dp + reg * p if i % 2 == 0 else dp)
                             for i, (p, dp) in enumerate(zip(flat(layers),
                                                             [q for pair in grads
                                                              for q in pair]))],
                            acts_names)
        return layers, losses

    linear = [(0.01 * np.random.randn(d, k), np.zeros((1, k)), "linear")]
    linear_init = linear[0][0].tolist()
    linear, linear_losses = train(linear, 200)
    w, w2 = 0.01 * np.random.randn(d, 100), 0.01 * np.random.randn(100, k)
    network = [(w, np.zeros((1, 100)), "relu"), (w2, np.zeros((1, k)), "linear")]
    network, network_losses = train(network, 500)
    return {
        "linear_init": linear_init,
        "linear": {"losses": linear_losses,
                   "accuracy": accuracy(dense_forward(x, linear)[-1], y),
                   "W": linear[0][0].tolist(), "b": linear[0][1].tolist()},
        "network_init": [w.tolist(), w2.tolist()],
        "network": {"losses": network_losses,
                    "accuracy": accuracy(dense_forward(x, network)[-1], y),
                    "W2": network[1][0].tolist(), "b2": network[1][1].tolist()}}


# -- PyTorch programs -----------------------------------------------------------------------

def _polynomial_data() -> tuple[np.ndarray, np.ndarray]:
    x = as32(np.linspace(-math.pi, math.pi, 2000))
    return x, as32(np.sin(x))


def _fit_polynomial(coefficients: np.ndarray, optimizer: Any) -> dict:
    """Fit y = a + b x + c x^2 + d x^3 to sin on the tutorial's 2000 points, minimizing the
    sum of squared errors for 2000 steps; the loss of every hundredth step."""
    x, y = _polynomial_data()
    features = np.stack([np.ones_like(x), x, x ** 2, x ** 3], axis=1)
    losses = []
    for t in range(2000):
        err = features @ coefficients - y
        if t % 100 == 99:
            losses.append(float(np.sum(err ** 2)))
        coefficients, = optimizer.step([coefficients], [features.T @ (2 * err)])
    return {"losses": losses, "coefficients": coefficients.tolist()}


def torch_poly_tensors(result: dict) -> dict:
    return _fit_polynomial(as32(result["init"]), TorchSGD(1e-6))


torch_poly_autograd = torch_poly_tensors
torch_poly_custom_module = torch_poly_tensors


def _linear_layer_coefficients(init: dict) -> np.ndarray:
    """[bias, w_x, w_x2, w_x3] of Sequential(Linear(3, 1), Flatten(0, 1))'s state_dict."""
    return as32([init["0.bias"][0], *init["0.weight"][0]])


def torch_poly_nn(result: dict) -> dict:
    return _fit_polynomial(_linear_layer_coefficients(result["init"]), TorchSGD(1e-6))


def torch_poly_optim(result: dict) -> dict:
    # RMSprop's update is per element, so one coefficient vector steps as the two parameters
    return _fit_polynomial(_linear_layer_coefficients(result["init"]), TorchRMSprop(1e-3))


def torch_blitz_autograd(result: dict) -> dict:
    a, b = np.array([2.0, 3.0]), np.array([6.0, 4.0])
    return {"Q": (3 * a ** 3 - b ** 2).tolist(), "a_grad": (9 * a ** 2).tolist(),
            "b_grad": (-2 * b).tolist(), "a_check": [True, True], "b_check": [True, True],
            "requires_grad": [False, True]}


def torch_blitz_autograd_old(result: dict) -> dict:
    # out = mean(3 (x + 2)^2) at x = 1; d out / dx = 6 (x + 2) / 4
    x = as32(result["x"])
    y = x * 2
    while np.linalg.norm(y) < 1000:
        y = y * 2
    scale = y[0] / x[0]  # a power of two: doubling is exact
    return {"out": 27.0, "x_grad": [[4.5, 4.5], [4.5, 4.5]], "requires_grad": [True, True],
            "y": y.tolist(), "vjp": (as32([0.1, 1.0, 0.0001]) * scale).tolist(),
            "flags": [True, False, True]}


class Dual:
    """A number and its derivative with respect to one input (forward-mode autodiff)."""

    def __init__(self, value: float, derivative: float = 0.0) -> None:
        self.v, self.d = value, derivative

    @staticmethod
    def of(x: Any) -> Dual:
        return x if isinstance(x, Dual) else Dual(float(x))

    def __add__(self, o: Any) -> Dual:
        o = Dual.of(o)
        return Dual(self.v + o.v, self.d + o.d)

    __radd__ = __add__

    def __neg__(self) -> Dual:
        return Dual(-self.v, -self.d)

    def __sub__(self, o: Any) -> Dual:
        return self + -Dual.of(o)

    def __mul__(self, o: Any) -> Dual:
        o = Dual.of(o)
        return Dual(self.v * o.v, self.d * o.v + self.v * o.d)

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> Dual:
        o = Dual.of(o)
        return Dual(self.v / o.v, (self.d * o.v - self.v * o.d) / o.v ** 2)

    def __rtruediv__(self, o: Any) -> Dual:
        return Dual.of(o) / self

    def __pow__(self, n: int) -> Dual:
        return Dual(self.v ** n, n * self.v ** (n - 1) * self.d)

    def relu(self) -> Dual:
        return self if self.v > 0 else Dual(0.0)

    def tanh(self) -> Dual:
        t = math.tanh(self.v)
        return Dual(t, (1 - t * t) * self.d)


def torch_micrograd(result: dict) -> dict:
    def sanity(x: Dual) -> Dual:
        z = 2 * x + 2 + x
        q = z.relu() + z * x
        h = (z * z).relu()
        return h + q + q * x

    def more_ops(a: Dual, b: Dual) -> Dual:
        c = a + b
        d = a * b + b ** 3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + (b + a).relu()
        d = d + 3 * d + (b - a).relu()
        e = c - d
        f = e ** 2
        g = f / 2.0
        return g + 10.0 / f

    def neuron(x1: Dual, x2: Dual, w1: Dual, w2: Dual, b: Dual) -> Dual:
        return (x1 * w1 + x2 * w2 + b).tanh()

    y = sanity(Dual(-4.0, 1.0))
    g_a, g_b = more_ops(Dual(-4.0, 1.0), Dual(2.0)), more_ops(Dual(-4.0), Dual(2.0, 1.0))
    # torch.Tensor([...]) holds float32 values (the default dtype), and .double() widens
    # them: b is 6.8813735870195432 rounded to float32 (micrograd's lecture prints
    # 0.7071066904050358 for o, not 0.7071067811865476)
    point = [2.0, 0.0, -3.0, 1.0, float(np.float32(6.8813735870195432))]
    grads = [neuron(*[Dual(v, float(i == j)) for j, v in enumerate(point)]).d
             for i in range(4)]
    return {"sanity": [y.v, y.d], "more_ops": [g_a.v, g_a.d, g_b.d],
            "neuron": [neuron(*map(Dual, point)).v, *grads]}


def _torch_layers(init: dict, names: list[str], acts: list[str]) -> list:
    """PyTorch Linear layers (weight out x in) as (W, b, activation) with W in x out."""
    return [(as32(init[f"{n}.weight"]).T, as32(init[f"{n}.bias"]), a)
            for n, a in zip(names, acts)]


def torch_classifier(result: dict) -> dict:
    np.random.seed(0)
    centers = [[0, 3], [3, -2], [-3, -2]]
    x = as32(np.concatenate([np.random.randn(100, 2) + c for c in centers]))
    labels = np.repeat(np.arange(3), 100)
    acts = ["relu", "linear"]
    layers = _torch_layers(result["init"], ["fc1", "fc2"], acts)
    opt, losses = TorchAdam(lr=0.01), []
    for _ in range(100):
        out = dense_forward(x, layers)
        loss, g = softmax_xent(out[-1], np.eye(3)[labels])
        losses.append(loss)
        grads, _ = dense_backward(out, layers, g)
        layers = unflat(opt.step(flat(layers), [p for pair in grads for p in pair]), acts)
    return {"losses": losses, "accuracy": accuracy(dense_forward(x, layers)[-1], labels)}


def torch_regression_mlp(result: dict) -> dict:
    np.random.seed(0)
    x, y = as32(np.random.randn(64, 10)), as32(np.random.randn(64, 1))
    acts = ["relu", "linear"]
    layers = _torch_layers(result["init"], ["0", "2"], acts)
    opt, losses = TorchSGD(0.05, momentum=0.9), []
    for _ in range(200):
        out = dense_forward(x, layers)
        losses.append(float(np.mean((out[-1] - y) ** 2)))
        grads, _ = dense_backward(out, layers, 2 * (out[-1] - y) / y.size)
        layers = unflat(opt.step(flat(layers), [p for pair in grads for p in pair]), acts)
    final = {"0.weight": layers[0][0].T, "0.bias": layers[0][1],
             "2.weight": layers[1][0].T, "2.bias": layers[1][1]}
    return {"losses": losses, "final": {k: v.tolist() for k, v in final.items()}}


def torch_linear_regression(result: dict) -> dict:
    x = as32([[3.3], [4.4], [5.5], [6.71], [6.93], [4.168], [9.779], [6.182], [7.59], [2.167],
              [7.042], [10.791], [5.313], [7.997], [3.1]])
    y = as32([[1.7], [2.76], [2.09], [3.19], [1.694], [1.573], [3.366], [2.596], [2.53],
              [1.221], [2.827], [3.465], [1.65], [2.904], [1.3]])
    layers = _torch_layers({"l.weight": result["init"]["weight"],
                            "l.bias": result["init"]["bias"]}, ["l"], ["linear"])
    opt, losses = TorchSGD(0.001), []
    for _ in range(60):
        out = dense_forward(x, layers)
        losses.append(float(np.mean((out[-1] - y) ** 2)))
        grads, _ = dense_backward(out, layers, 2 * (out[-1] - y) / y.size)
        layers = unflat(opt.step(flat(layers), [p for pair in grads for p in pair]),
                        ["linear"])
    return {"losses": losses, "predicted": dense_forward(x, layers)[-1][:, 0].tolist()}


def torch_dataloader(result: dict) -> dict:
    """The shuffled order comes from the targets the program saw, each a distinct float32
    value; the reference first checks that random_split and the DataLoader served it: the
    same 100 training examples in every epoch, each once, in batches of 16 (and a last one of
    4), in a new order each epoch, and the 20 others for validation."""
    np.random.seed(0)
    x = as32(np.random.randn(120, 3))
    noise = 0.1 * np.random.randn(120, 1)
    y = as32(np.sin(x @ np.array([[1.5], [-2.0], [0.5]])) + noise)
    index_of = {v: i for i, v in enumerate(y[:, 0].tolist())}
    assert len(index_of) == 120, "the targets are not distinct"
    batches = [[index_of[v] for v in batch] for batch in result["seen"]]
    assert [len(b) for b in batches] == ([16] * 6 + [4]) * 20, "batch sizes"
    epochs = [sum(batches[7 * e:7 * e + 7], []) for e in range(20)]
    train = sorted(epochs[0])
    assert all(sorted(order) == train for order in epochs), "an epoch missed or repeated one"
    assert len(set(train)) == 100 and len({tuple(order) for order in epochs}) == 20
    val = sorted(set(range(120)) - set(train))
    acts = ["tanh", "linear"]
    layers = _torch_layers(result["init"], ["0", "2"], acts)
    opt, losses, val_losses = TorchSGD(0.05, momentum=0.9), [], []
    for e in range(20):
        for batch in batches[7 * e:7 * e + 7]:
            xb, yb = x[batch], y[batch]
            out = dense_forward(xb, layers)
            losses.append(float(np.mean((out[-1] - yb) ** 2)))
            grads, _ = dense_backward(out, layers, 2 * (out[-1] - yb) / yb.size)
            layers = unflat(opt.step(flat(layers), [p for pair in grads for p in pair]), acts)
        val_losses.append(float(np.mean((dense_forward(x[val], layers)[-1] - y[val]) ** 2)))
    final = {"0.weight": layers[0][0].T, "0.bias": layers[0][1],
             "2.weight": layers[1][0].T, "2.bias": layers[1][1]}
    return {"losses": losses, "val_losses": val_losses,
            "final": {k: v.tolist() for k, v in final.items()}}


def torch_param_groups_steplr(result: dict) -> dict:
    """Two parameter groups as two SGDs with momentum, one per group (the base's layer at
    lr 0.1, the classifier's at 0.05), both rates halved after every fifth epoch (StepLR's
    lr = base_lr * gamma ** (epoch // step_size))."""
    np.random.seed(0)
    centers = [[0, 3], [3, -2], [-3, -2]]
    x = as32(np.concatenate([np.random.randn(100, 2) + c for c in centers]))
    labels = np.repeat(np.arange(3), 100)
    order = np.random.permutation(300)
    x, labels = x[order], labels[order]
    acts = ["tanh", "linear"]
    layers = _torch_layers(result["init"], ["base.0", "classifier"], acts)
    base, classifier = TorchSGD(0.1, momentum=0.9), TorchSGD(0.05, momentum=0.9)
    losses, lrs = [], []
    for epoch in range(20):
        lrs.append([base.lr, classifier.lr])
        for i in range(0, 300, 50):
            out = dense_forward(x[i:i + 50], layers)
            loss, g = softmax_xent(out[-1], np.eye(3)[labels[i:i + 50]])
            losses.append(loss)
            (dw0, db0), (dw1, db1) = dense_backward(out, layers, g)[0]
            w0, b0 = base.step([layers[0][0], layers[0][1]], [dw0, db0])
            w1, b1 = classifier.step([layers[1][0], layers[1][1]], [dw1, db1])
            layers = [(w0, b0, "tanh"), (w1, b1, "linear")]
        base.lr = 0.1 * 0.5 ** ((epoch + 1) // 5)
        classifier.lr = 0.05 * 0.5 ** ((epoch + 1) // 5)
    final = {"base.0.weight": layers[0][0].T, "base.0.bias": layers[0][1],
             "classifier.weight": layers[1][0].T, "classifier.bias": layers[1][1]}
    return {"losses": losses, "lrs": lrs, "final_lrs": [base.lr, classifier.lr],
            "accuracy": accuracy(dense_forward(x, layers)[-1], labels),
            "final": {k: v.tolist() for k, v in final.items()}}


def _gelu(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The exact GELU x Phi(x) and its derivative Phi(x) + x phi(x) (Phi, phi: the standard
    normal's distribution and density; numpy has no erf: Python's, element by element)."""
    cdf = 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    return x * cdf, cdf + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def torch_batchnorm_mlp(result: dict) -> dict:
    """Linear, BatchNorm1d (training: the batch's mean and biased variance; the running
    statistics move by 0.1 toward the mean and the unbiased variance), GELU, Linear; cross
    entropy; PyTorch's SGD with momentum over the six parameters; evaluation normalizes with
    the running statistics."""
    np.random.seed(0)
    centers = np.array([[0, 4, 1, -2], [3, -2, 0, 2], [-3, -1, -1, 0]])
    scales = np.array([1.0, 4.0, 0.25, 10.0])
    x = np.concatenate([(np.random.randn(40, 4) * 0.8 + c) * scales + 5 for c in centers])
    labels = np.repeat(np.arange(3), 40)
    order = np.random.permutation(len(x))
    x_train, y_train = as32(x[order[:96]]), labels[order[:96]]
    x_test, y_test = as32(x[order[96:]]), labels[order[96:]]
    names = ["0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias"]
    params = [as32(result["init"][n]) for n in names]
    running_mean, running_var = np.zeros(16), np.ones(16)
    opt, losses = TorchSGD(0.1, momentum=0.9), []
    for _ in range(10):
        for i in range(0, 96, 32):
            xb, n = x_train[i:i + 32], 32
            w1, b1, gamma, beta, w2, b2 = params
            h = xb @ w1.T + b1
            mean, var = h.mean(axis=0), h.var(axis=0)
            running_mean = 0.9 * running_mean + 0.1 * mean
            running_var = 0.9 * running_var + 0.1 * var * n / (n - 1)
            sigma = np.sqrt(var + 1e-5)
            hhat = (h - mean) / sigma
            a, da = _gelu(hhat * gamma + beta)
            loss, g = softmax_xent(a @ w2.T + b2, np.eye(3)[y_train[i:i + 32]])
            losses.append(loss)
            dz = (g @ w2) * da
            dhhat = dz * gamma
            dh = (n * dhhat - dhhat.sum(axis=0) - hhat * (dhhat * hhat).sum(axis=0)) / (n * sigma)
            params = opt.step(params, [dh.T @ xb, dh.sum(axis=0), (dz * hhat).sum(axis=0),
                                       dz.sum(axis=0), g.T @ a, g.sum(axis=0)])
    w1, b1, gamma, beta, w2, b2 = params
    z = (x_test @ w1.T + b1 - running_mean) / np.sqrt(running_var + 1e-5) * gamma + beta
    outputs = _gelu(z)[0] @ w2.T + b2
    return {"losses": losses, "running_mean": running_mean.tolist(),
            "running_var": running_var.tolist(), "num_batches_tracked": 30,
            "eval_outputs": outputs.tolist(), "accuracy": accuracy(outputs, y_test)}


# -- convolutional networks (tf_deep_mnist_cnn, torch_blitz_cnn) ----------------------------
# Convolutions of stride 1 as one einsum per kernel position over a padded NHWC input, and
# 2x2 max pools of stride 2 (rounding down) whose gradient goes to the first maximum of
# each window in row-major order, as TensorFlow's and PyTorch's CPU kernels send it.

def conv_nhwc(x: np.ndarray, w: np.ndarray, pad: int) -> np.ndarray:
    """Cross-correlation of x (n, h, w, c) with w (kh, kw, c, out), stride 1, pad on every
    side."""
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    kh, kw = w.shape[:2]
    oh, ow = xp.shape[1] - kh + 1, xp.shape[2] - kw + 1
    y = np.zeros((x.shape[0], oh, ow, w.shape[3]))
    for a in range(kh):
        for b in range(kw):
            y += np.einsum("nijc,co->nijo", xp[:, a:a + oh, b:b + ow], w[a, b])
    return y


def conv_nhwc_backward(x: np.ndarray, w: np.ndarray, pad: int, g: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(dx, dw) of conv_nhwc given d(loss)/d(output) g."""
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    oh, ow = g.shape[1:3]
    for a in range(w.shape[0]):
        for b in range(w.shape[1]):
            dw[a, b] = np.einsum("nijc,nijo->co", xp[:, a:a + oh, b:b + ow], g)
            dxp[:, a:a + oh, b:b + ow] += np.einsum("nijo,co->nijc", g, w[a, b])
    return dxp[:, pad:pad + x.shape[1], pad:pad + x.shape[2]], dw


def max_pool_2x2(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 2x2, stride 2 max pool of x (n, h, w, c), odd last rows and columns dropped, and
    the index (0..3, row-major) of each window's first maximum."""
    n, h, w, c = x.shape
    hh, ww = h // 2, w // 2
    windows = x[:, :2 * hh, :2 * ww].reshape(n, hh, 2, ww, 2, c).transpose(
        0, 1, 3, 5, 2, 4).reshape(n, hh, ww, c, 4)
    return windows.max(axis=-1), windows.argmax(axis=-1)


def max_pool_2x2_backward(first: np.ndarray, g: np.ndarray, shape: tuple[int, ...]
                          ) -> np.ndarray:
    n, hh, ww, c = g.shape
    windows = np.zeros((n, hh, ww, c, 4))
    np.put_along_axis(windows, first[..., None], g[..., None], axis=-1)
    dx = np.zeros(shape)
    dx[:, :2 * hh, :2 * ww] = windows.reshape(n, hh, ww, c, 2, 2).transpose(
        0, 1, 4, 2, 5, 3).reshape(n, 2 * hh, 2 * ww, c)
    return dx


def _conv_relu_pool(x: np.ndarray, w: np.ndarray, b: np.ndarray, pad: int) -> tuple:
    z = conv_nhwc(x, w, pad) + b
    p, first = max_pool_2x2(np.maximum(z, 0))
    return p, (x, w, pad, z, first)


def _conv_relu_pool_backward(saved: tuple, dp: np.ndarray) -> tuple[np.ndarray, ...]:
    """(dx, dw, db) of _conv_relu_pool (ReLU's gradient at 0 is 0)."""
    x, w, pad, z, first = saved
    dz = max_pool_2x2_backward(first, dp, z.shape) * (z > 0)
    dx, dw = conv_nhwc_backward(x, w, pad, dz)
    return dx, dw, dz.sum(axis=(0, 1, 2))


def _deep_mnist(params: list[np.ndarray], images: np.ndarray) -> tuple[np.ndarray, Any]:
    """Logits of the Deep MNIST network (12x12 images) and what its backward pass needs."""
    w1, b1, w2, b2, wf1, bf1, wf2, bf2 = params
    p1, saved1 = _conv_relu_pool(images.reshape(-1, 12, 12, 1), w1, b1, 2)
    p2, saved2 = _conv_relu_pool(p1, w2, b2, 2)
    layers = [(wf1, bf1, "relu"), (wf2, bf2, "linear")]
    acts = dense_forward(p2.reshape(len(images), -1), layers)
    return acts[-1], (saved1, saved2, p2.shape, acts, layers)


def _deep_mnist_grads(saved: Any, g: np.ndarray) -> list[np.ndarray]:
    saved1, saved2, p2_shape, acts, layers = saved
    (dwf1, dbf1), (dwf2, dbf2) = (grads := dense_backward(acts, layers, g))[0]
    _, dw2, db2 = (back2 := _conv_relu_pool_backward(saved2, grads[1].reshape(p2_shape)))
    _, dw1, db1 = _conv_relu_pool_backward(saved1, back2[0])
    return [dw1, db1, dw2, db2, dwf1, dbf1, dwf2, dbf2]


def tf_deep_mnist_cnn(result: dict) -> dict:
    train, train_y, test, test_y = prototype_digits(3, 144, 200, 100, 0.3)
    params = [as32(v) for v in result["init"]]
    opt, losses, train_accuracies = TfAdam(1e-2), [], []
    for i in range(40):
        start = i * 50 % 200
        x, y = train[start:start + 50], train_y[start:start + 50]
        logits, saved = _deep_mnist(params, x)
        if i % 10 == 0:
            train_accuracies.append(accuracy(logits, y.argmax(1)))
        loss, g = softmax_xent(logits, y)
        losses.append(loss)
        params = opt.step(params, _deep_mnist_grads(saved, g))
    return {"losses": losses, "train_accuracies": train_accuracies,
            "test_accuracy": accuracy(_deep_mnist(params, test)[0], test_y.argmax(1)),
            "final": [float(np.abs(p).sum()) for p in params]}


BLITZ_NAMES = ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight",
               "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"]


def _blitz(params: list[np.ndarray], image: np.ndarray, target: np.ndarray
           ) -> tuple[float, list[np.ndarray], np.ndarray]:
    """The blitz Net's MSE loss, its gradients (PyTorch's layouts: OIHW, out x in) and its
    output, for one NCHW image."""
    c1, cb1, c2, cb2, *fc = params
    hwio = [w.transpose(2, 3, 1, 0) for w in (c1, c2)]
    p1, saved1 = _conv_relu_pool(image.transpose(0, 2, 3, 1), hwio[0], cb1, 0)
    p2, saved2 = _conv_relu_pool(p1, hwio[1], cb2, 0)
    flat_ = p2.transpose(0, 3, 1, 2).reshape(len(image), -1)  # (the view of NCHW)
    layers = [(fc[0].T, fc[1], "relu"), (fc[2].T, fc[3], "relu"), (fc[4].T, fc[5], "linear")]
    acts = dense_forward(flat_, layers)
    out = acts[-1]
    grads, dflat = dense_backward(acts, layers, 2 * (out - target) / out.size)
    dp2 = dflat.reshape(p2.shape[0], p2.shape[3], p2.shape[1], p2.shape[2]).transpose(
        0, 2, 3, 1)
    dp1, dw2, db2 = _conv_relu_pool_backward(saved2, dp2)
    _, dw1, db1 = _conv_relu_pool_backward(saved1, dp1)
    dense = [d for (dw, db) in grads for d in (dw.T, db)]
    return float(np.mean((out - target) ** 2)), [dw1.transpose(3, 2, 0, 1), db1,
                                                 dw2.transpose(3, 2, 0, 1), db2, *dense], out


def torch_blitz_cnn(result: dict) -> dict:
    params = [as32(result["init"][n]) for n in BLITZ_NAMES]
    image, target = as32(result["input"]), as32(result["target"])
    loss, grads, out = _blitz(params, image, target)
    first = {"out": out.tolist(), "loss": loss, "grad_after": grads[1].tolist()}
    params = [p - 0.01 * g for p, g in zip(params, grads)]  # f.data.sub_(f.grad.data * lr)
    opt, losses = TorchSGD(0.01), []
    for _ in range(5):
        loss, grads, _ = _blitz(params, image, target)
        losses.append(loss)
        params = opt.step(params, grads)
    return {**first, "grad_before": None, "params": 10, "conv1_weight_size": [6, 1, 3, 3],
            "losses": losses, "final": {n: p.tolist() for n, p in zip(BLITZ_NAMES, params)}}


def _lstm_char_model(params: list[np.ndarray], x: np.ndarray, y: np.ndarray
                     ) -> tuple[float, list[np.ndarray]]:
    """Embedding, a one-layer batch_first LSTM from zeros (PyTorch's gates i, f, g, o) and a
    Linear on the (N * L, hidden) outputs, with the mean cross-entropy: the loss and its
    gradients, by backpropagation through time."""
    emb, w_ih, w_hh, b_ih, b_hh, w_fc, b_fc = params
    n, length = x.shape
    hidden = w_hh.shape[1]
    inputs = emb[x]  # (N, L, E)
    h, c = np.zeros((n, hidden)), np.zeros((n, hidden))
    saved, outs = [], []
    for t in range(length):
        z = inputs[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, g, o = np.split(z, 4, axis=1)
        i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
        c_prev, h_prev = c, h
        c = f * c_prev + i * g
        h = o * np.tanh(c)
        saved.append((i, f, g, o, c, c_prev, h_prev))
        outs.append(h)
    out = np.stack(outs, axis=1).reshape(n * length, hidden)
    loss, d_logits = softmax_xent(out @ w_fc.T + b_fc, np.eye(len(b_fc))[y.reshape(-1)])
    d_wfc, d_bfc = d_logits.T @ out, d_logits.sum(axis=0)
    d_out = (d_logits @ w_fc).reshape(n, length, hidden)
    grads = [np.zeros_like(p) for p in params[:5]]
    d_inputs = np.zeros_like(inputs)
    dh_next, dc_next = np.zeros((n, hidden)), np.zeros((n, hidden))
    for t in reversed(range(length)):
        i, f, g, o, c, c_prev, h_prev = saved[t]
        dh = d_out[:, t] + dh_next
        dc = dh * o * (1 - np.tanh(c) ** 2) + dc_next
        dz = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                             dc * i * (1 - g * g), dh * np.tanh(c) * o * (1 - o)], axis=1)
        grads[1] += dz.T @ inputs[:, t]
        grads[2] += dz.T @ h_prev
        grads[3] += dz.sum(axis=0)
        grads[4] += dz.sum(axis=0)
        d_inputs[:, t] = dz @ w_ih
        dh_next, dc_next = dz @ w_hh, dc * f
    np.add.at(grads[0], x, d_inputs)
    return loss, [*grads, d_wfc, d_bfc]


CHAR_RNN_NAMES = ["embed.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0",
                  "lstm.bias_hh_l0", "fc.weight", "fc.bias"]


def torch_char_rnn(result: dict) -> dict:
    np.random.seed(0)
    text = "hello world, hello graph compiler. " * 4
    chars = sorted(set(text))
    encoded = np.array([chars.index(ch) for ch in text])
    params = [as32(result["init"][k]) for k in CHAR_RNN_NAMES]
    opt, losses, starts_used = TorchAdam(lr=0.01), [], []
    for _ in range(12):
        starts = np.random.randint(0, len(encoded) - 9, 4)
        starts_used.append(starts.tolist())
        x = np.stack([encoded[s:s + 8] for s in starts])
        y = np.stack([encoded[s + 1:s + 9] for s in starts])
        loss, grads = _lstm_char_model(params, x, y)
        losses.append(loss)
        params = opt.step(params, grads)
    return {"text": text, "starts": starts_used, "losses": losses,
            "final": {k: p.tolist() for k, p in zip(CHAR_RNN_NAMES, params)}}

"""A digit classifier on scikit-learn's bundled 8x8 handwritten digits (no download), trained
three ways from the same initial weights, on the same minibatches, with the same update:

- TensorFlow 1 style (`import graphc as tf`): placeholders, Variables, a Session, sparse
  softmax cross entropy, tf.train.MomentumOptimizer, accuracy from tf.argmax;
- PyTorch style (`import graphc.eager as torch`, graphc.nn, graphc.optim): nn.Sequential,
  nn.CrossEntropyLoss, optim.SGD with momentum, zero_grad / backward / step;
- the same network and update written by hand in numpy.

TensorFlow's MomentumOptimizer and PyTorch's SGD (no dampening) are one formula, v = m v + g,
p = p - lr v, so the three runs compute the same numbers and end with the same weights, up
to rounding. The epochs of the three are interleaved and each is timed.

Run: python examples/digits_classifier.py [--epochs 30] [--hidden 64] [--batch 32]
Needs scikit-learn (pip install "graphc[examples]").
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.datasets import load_digits

import graphc as tf
import graphc.eager as torch
import graphc.nn as nn
import graphc.optim as optim

CLASSES = 10


def load_data(seed: int, dtype: str) -> tuple[np.ndarray, ...]:
    """The 1797 digits as rows of 64 pixels scaled to [0, 1], split 75% / 25% at random."""
    digits = load_digits()
    x, y = (digits.data / 16.0).astype(dtype), digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    cut = len(x) * 3 // 4
    train, test = order[:cut], order[cut:]
    return x[train], y[train], x[test], y[test]


def initial_weights(features: int, hidden: int, seed: int, dtype: str) -> dict[str, np.ndarray]:
    """PyTorch's nn.Linear initialisation (uniform in +-1/sqrt(fan_in)), stored as x @ w."""
    rng = np.random.default_rng(seed)

    def uniform(fan_in: int, *shape: int) -> np.ndarray:
        bound = 1 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape).astype(dtype)

    return {"w1": uniform(features, features, hidden), "b1": uniform(features, hidden),
            "w2": uniform(hidden, hidden, CLASSES), "b2": uniform(hidden, CLASSES)}


def minibatches(n: int, batch: int, seed: int, epoch: int) -> list[np.ndarray]:
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return [order[i:i + batch] for i in range(0, n, batch)]


class TensorFlowStyle:
    """TensorFlow 1: build the graph once, then feed minibatches to a Session."""

    def __init__(self, weights, lr, momentum, dtype):
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.x = tf.placeholder(dtype, shape=(None, weights["w1"].shape[0]))
            self.y = tf.placeholder(tf.int64, shape=(None,))
            self.variables = {name: tf.Variable(value, name=name)
                              for name, value in weights.items()}
            w1, b1, w2, b2 = (self.variables[k] for k in ("w1", "b1", "w2", "b2"))
            hidden = tf.nn.relu(tf.matmul(self.x, w1) + b1)
            logits = tf.matmul(hidden, w2) + b2
            self.loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=self.y, logits=logits))
            self.train = tf.train.MomentumOptimizer(lr, momentum).minimize(self.loss)
            correct = tf.equal(tf.argmax(logits, 1), self.y)
            self.accuracy_op = tf.reduce_mean(tf.cast(correct, tf.float32))
            init = tf.global_variables_initializer()
        self.sess = tf.Session(graph=self.graph)
        self.sess.run(init)

    def epoch(self, x, y, batches):
        losses = [self.sess.run([self.loss, self.train], {self.x: x[i], self.y: y[i]})[0]
                  for i in batches]
        return float(np.mean(losses))

    def accuracy(self, x, y):
        return float(self.sess.run(self.accuracy_op, {self.x: x, self.y: y}))

    def weights(self):
        return self.sess.run(self.variables)


class PyTorchStyle:
    """PyTorch: modules called on tensors, loss.backward(), optimizer.step()."""

    def __init__(self, weights, lr, momentum, dtype):
        features, hidden = weights["w1"].shape
        self.model = nn.Sequential(nn.Linear(features, hidden, dtype=dtype), nn.ReLU(),
                                   nn.Linear(hidden, CLASSES, dtype=dtype))
        self.model.load_state_dict({"0.weight": weights["w1"].T, "0.bias": weights["b1"],
                                    "2.weight": weights["w2"].T, "2.bias": weights["b2"]})
        self.loss_fn = nn.CrossEntropyLoss()
        self.optimizer = optim.SGD(self.model.parameters(), lr=lr, momentum=momentum)

    def epoch(self, x, y, batches):
        losses = []
        for i in batches:
            inputs, labels = torch.from_numpy(x[i]), torch.from_numpy(y[i])
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(inputs), labels)
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
        return float(np.mean(losses))

    def accuracy(self, x, y):
        with torch.no_grad():
            logits = self.model(torch.from_numpy(x))
            correct = logits.argmax(dim=1) == torch.from_numpy(y)
            return correct.float().mean().item()

    def weights(self):
        state = {k: v.numpy() for k, v in self.model.state_dict().items()}
        return {"w1": state["0.weight"].T, "b1": state["0.bias"],
                "w2": state["2.weight"].T, "b2": state["2.bias"]}


class NumpyByHand:
    """The same forward pass, gradients and momentum update, written out in numpy."""

    def __init__(self, weights, lr, momentum, dtype):
        self.params = {k: v.copy() for k, v in weights.items()}
        self.velocity = {k: np.zeros_like(v) for k, v in weights.items()}
        self.lr, self.momentum = lr, momentum

    def logits(self, x):
        p = self.params
        hidden = np.maximum(x @ p["w1"] + p["b1"], 0)
        return hidden, hidden @ p["w2"] + p["b2"]

    def step(self, x, y):
        p = self.params
        hidden, logits = self.logits(x)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_p[np.arange(len(y)), y].mean()
        d_logits = np.exp(log_p)
        d_logits[np.arange(len(y)), y] -= 1
        d_logits /= len(y)
        d_hidden = (d_logits @ p["w2"].T) * (hidden > 0)
        grads = {"w1": x.T @ d_hidden, "b1": d_hidden.sum(axis=0),
                 "w2": hidden.T @ d_logits, "b2": d_logits.sum(axis=0)}
        for k, g in grads.items():
            self.velocity[k] = self.momentum * self.velocity[k] + g
            p[k] -= self.lr * self.velocity[k]
        return loss

    def epoch(self, x, y, batches):
        return float(np.mean([self.step(x[i], y[i]) for i in batches]))

    def accuracy(self, x, y):
        return float((self.logits(x)[1].argmax(axis=1) == y).mean())

    def weights(self):
        return self.params


RUNS = {"tf": TensorFlowStyle, "torch": PyTorchStyle, "numpy": NumpyByHand}


def train_all(epochs=30, hidden=64, batch=32, lr=0.05, momentum=0.9, seed=0,
              dtype="float32", log=print):
    """Train the three from the same weights; each run's losses, per-epoch times, test
    accuracy and final weights, by name."""
    x_train, y_train, x_test, y_test = load_data(seed, dtype)
    weights = initial_weights(x_train.shape[1], hidden, seed, dtype)
    runs = {name: make(weights, lr, momentum, dtype) for name, make in RUNS.items()}
    results = {name: {"losses": [], "times": []} for name in runs}
    for epoch in range(epochs):
        batches = minibatches(len(x_train), batch, seed, epoch)
        for name, run in runs.items():  # interleaved: each epoch of each, in turn
            start = time.perf_counter()
            loss = run.epoch(x_train, y_train, batches)
            results[name]["times"].append(time.perf_counter() - start)
            results[name]["losses"].append(loss)
        log(f"epoch {epoch + 1:3d}  loss " +
            "  ".join(f"{name} {results[name]['losses'][-1]:.6f}" for name in runs) +
            "  seconds " + "  ".join(f"{name} {results[name]['times'][-1]:.3f}"
                                     for name in runs))
    for name, run in runs.items():
        results[name]["accuracy"] = run.accuracy(x_test, y_test)
        results[name]["weights"] = run.weights()
    return results


def report(results, log=print):
    reference = results["numpy"]["weights"]
    log(f"{'':6} {'test accuracy':>13} {'s/epoch (median)':>17} {'first epoch':>12} "
        f"{'max |w - numpy w|':>18}")
    for name, r in results.items():
        later = r["times"][1:] or r["times"]  # the first epoch includes compilation
        difference = max(float(np.abs(r["weights"][k] - reference[k]).max())
                         for k in reference)
        log(f"{name:6} {r['accuracy']:13.4f} {statistics.median(later):17.4f} "
            f"{r['times'][0]:12.3f} {difference:18.2e}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=64, help="hidden units")
    parser.add_argument("--batch", type=int, default=32, help="minibatch size")
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate")
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    args = parser.parse_args(argv)
    results = train_all(args.epochs, args.hidden, args.batch, args.lr, args.momentum,
                        args.seed, args.dtype)
    report(results)
    return results


if __name__ == "__main__":
    main()

"""Time a small eager training step, where Python's cost per op decides the speed: a
100-64-10 MLP, batch 64, float32, cross-entropy loss and Adam, as a PyTorch beginner writes
it (zero_grad, forward, backward, step), against the same step hand-written in numpy;
and single ops on 5-element tensors against numpy's.

Medians of interleaved repetitions (benchmarks/timing.py). The step's columns: graphc ms,
numpy ms, their ratio, and graphc's time split into forward, backward and optimizer step.
Run: python benchmarks/eager_small.py [--repeats 300]
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import interleaved_medians

import graphc.eager as torch
from graphc import nn, optim

N, D_IN, HIDDEN, CLASSES = 64, 100, 64, 10


def eager_step() -> tuple[dict[str, object], dict[str, np.ndarray]]:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((N, D_IN)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, CLASSES, N))
    model = nn.Sequential(nn.Linear(D_IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, CLASSES))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step() -> float:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    def forward() -> object:
        return loss_fn(model(x), y)

    def backward() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()

    params = {name: p.detach().numpy().copy() for name, p in model.named_parameters()}
    data = {"x": x.numpy(), "y": y.numpy()}
    return {"step": step, "forward": forward, "forward+backward": backward,
            "optimizer step": opt.step}, {**params, **data}


def numpy_step(values: dict[str, np.ndarray]) -> object:
    w1, b1 = values["0.weight"], values["0.bias"]
    w2, b2 = values["2.weight"], values["2.bias"]
    x, y = values["x"], values["y"]
    params = [w1, b1, w2, b2]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    one_hot = np.eye(CLASSES, dtype=np.float32)[y]
    count = [0]

    def step() -> float:
        hidden = x @ w1.T + b1
        h = np.maximum(hidden, 0)
        z = h @ w2.T + b2
        z = z - z.max(1, keepdims=True)
        e = np.exp(z)
        s = e / e.sum(1, keepdims=True)
        loss = -np.log(s[np.arange(N), y]).mean()
        g = (s - one_hot) / N
        gh = g @ w2
        gh[hidden <= 0] = 0
        grads = [gh.T @ x, gh.sum(0), g.T @ h, g.sum(0)]
        count[0] += 1
        t = count[0]
        for i, gr in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * gr
            v[i] = 0.999 * v[i] + 0.001 * gr * gr
            params[i] -= (1e-3 / (1 - 0.9 ** t)) * m[i] / (np.sqrt(v[i] / (1 - 0.999 ** t))
                                                           + 1e-8)
        return float(loss)
    return step


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=300)
    args = p.parse_args()
    parts, values = eager_step()
    steps = {"graphc": parts["step"], "numpy": numpy_step(values)}
    for step in steps.values():
        for _ in range(10):
            step()  # type: ignore[operator]
    ms = interleaved_medians(steps, args.repeats)  # type: ignore[arg-type]
    split = interleaved_medians({k: parts[k] for k in ("forward", "forward+backward",
                                                       "optimizer step")},  # type: ignore[misc]
                                args.repeats)
    print(f"{'step':<24}{'graphc ms':>10}{'numpy ms':>10}{'graphc/numpy':>14}")
    print(f"{'MLP step (Adam, CE)':<24}{ms['graphc']:>10.3f}{ms['numpy']:>10.3f}"
          f"{ms['graphc'] / ms['numpy']:>14.1f}")
    print("graphc's step: " + ", ".join(f"{k} {v:.3f} ms" for k, v in split.items()))

    a, b = torch.randn(5), torch.randn(5)
    w = torch.randn(5, requires_grad=True)
    an, bn = a.numpy(), b.numpy()
    ops = {"a * b": (lambda: a * b, lambda: an * bn),
           "w * b (recorded)": (lambda: w * b, lambda: an * bn),
           "a + 1.0": (lambda: a + 1.0, lambda: an + 1.0),
           "a.sum()": (lambda: a.sum(), lambda: an.sum())}
    print(f"\n{'op, 5 elements':<24}{'graphc us':>10}{'numpy us':>10}")
    for name, (ours, theirs) in ops.items():
        times = interleaved_medians({"graphc": ours, "numpy": theirs}, args.repeats * 10)
        print(f"{name:<24}{times['graphc'] * 1e3:>10.2f}{times['numpy'] * 1e3:>10.2f}")


if __name__ == "__main__":
    main()

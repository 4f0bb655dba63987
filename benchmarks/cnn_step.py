"""One training step of the PyTorch tutorial's LeNet (conv 1->6 5x5, max-pool 2, conv 6->16
5x5, max-pool 2, then 400-120-84-10 with ReLUs; cross-entropy, SGD), batch 64 of 1x32x32
float32 images, three ways: graphc eagerly (as the tutorial writes it), graphc's static
graph of the same modules (Optimizer.minimize, the numba backend), and the step hand-written
in numpy (im2col one kernel position at a time, one BLAS product per layer, activations
kept channels-first (C, N, H, W) so no layer transposes; the same arithmetic graphc's
convolution references do).

Before timing, the three take 3 steps from the same weights on the same batch and their
weights are compared (float32: they differ by rounding, summation order in the products).
The convolutions run on numpy in every column (graphc has no native convolution kernel:
ops/conv.py), so this measures what graphc adds around them: dispatch, autograd, layouts.
Medians of interleaved steps (timing.py).
Run: python benchmarks/cnn_step.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("GRAPHC_COMPILE", "wait")  # time machine code, never the references

import numpy as np  # noqa: E402
from timing import interleaved_medians  # noqa: E402

import graphc as gc  # noqa: E402
import graphc.eager as torch  # noqa: E402
import graphc.nn.functional as F  # noqa: E402
from graphc import nn, optim  # noqa: E402

N, LR, CHECK_STEPS = 64, 0.01, 3
ATOL = 1e-5  # float32 weights of size ~0.1 after 3 steps: rounding of sums of ~2500 terms


class Net(nn.Module):
    """The tutorial's network, as it writes it."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: object) -> object:
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, 16 * 5 * 5)  # type: ignore[attr-defined]
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (rng.standard_normal((N, 1, 32, 32)).astype(np.float32),
            rng.integers(0, 10, N))


def eager_step(weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray):  # type: ignore[no-untyped-def]
    net = Net()
    net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
    opt = optim.SGD(net.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step() -> None:
        opt.zero_grad()
        loss_fn(net(xt), yt).backward()
        opt.step()
    return step, lambda: {k: v.detach().numpy() for k, v in net.state_dict().items()}


def graph_step(weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray):  # type: ignore[no-untyped-def]
    graph = gc.Graph()
    with graph.as_default():
        net = Net()
        net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
        xp = gc.placeholder(gc.float32, (None, 1, 32, 32))
        yp = gc.placeholder(gc.int64, (None,))
        train = optim.SGD(net.parameters(), lr=LR).minimize(
            nn.CrossEntropyLoss()(net(xp), yp))
        sess = gc.Session(backend="numba")
        sess.run(gc.global_variables_initializer())
        run = sess.make_callable(train, [xp, yp])
    return (lambda: run(x, y)), \
        lambda: {k: v.detach().numpy() for k, v in net.state_dict().items()}


def numpy_step(weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray):  # type: ignore[no-untyped-def]
    w = {k: v.copy() for k, v in weights.items()}
    one_hot = np.eye(10, dtype=np.float32)[y]
    xc = np.ascontiguousarray(x.transpose(1, 0, 2, 3))  # (C, N, H, W), once

    def im2col(a: np.ndarray, k: int) -> np.ndarray:  # a (C, N, H, W) -> (C*k*k, N*oh*ow)
        c, n, h, wd = a.shape
        oh, ow = h - k + 1, wd - k + 1
        cols = np.empty((c, k, k, n, oh, ow), a.dtype)
        for i in range(k):
            for j in range(k):
                cols[:, i, j] = a[:, :, i:i + oh, j:j + ow]
        return cols.reshape(c * k * k, n * oh * ow)

    def col2im(d: np.ndarray, shape: tuple[int, ...], k: int) -> np.ndarray:
        c, n, h, wd = shape
        oh, ow = h - k + 1, wd - k + 1
        d = d.reshape(c, k, k, n, oh, ow)
        out = np.zeros(shape, d.dtype)
        for i in range(k):
            for j in range(k):
                out[:, :, i:i + oh, j:j + ow] += d[:, i, j]
        return out

    def conv(a: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
        wt, b = w[f"{name}.weight"], w[f"{name}.bias"]
        cols = im2col(a, wt.shape[-1])
        o = wt.shape[0]
        n, oh, ow = a.shape[1], a.shape[2] - wt.shape[-1] + 1, a.shape[3] - wt.shape[-1] + 1
        return (wt.reshape(o, -1) @ cols).reshape(o, n, oh, ow) + b[:, None, None, None], cols

    def pool(a: np.ndarray) -> np.ndarray:  # 2x2, stride 2
        c, n, h, wd = a.shape
        return a.reshape(c, n, h // 2, 2, wd // 2, 2).max(axis=(3, 5))

    def unpool(g: np.ndarray, a: np.ndarray, m: np.ndarray) -> np.ndarray:
        c, n, h, wd = a.shape
        hit = a.reshape(c, n, h // 2, 2, wd // 2, 2) == m[:, :, :, None, :, None]
        return (hit * g[:, :, :, None, :, None]).reshape(a.shape)  # (ties: ReLU zeros, g 0)

    def step() -> None:
        z1, cols1 = conv(xc, "conv1")
        r1 = np.maximum(z1, 0)
        p1 = pool(r1)
        z2, cols2 = conv(p1, "conv2")
        r2 = np.maximum(z2, 0)
        p2 = pool(r2)
        f = p2.transpose(1, 0, 2, 3).reshape(N, 400)
        h1 = np.maximum(f @ w["fc1.weight"].T + w["fc1.bias"], 0)
        h2 = np.maximum(h1 @ w["fc2.weight"].T + w["fc2.bias"], 0)
        z = h2 @ w["fc3.weight"].T + w["fc3.bias"]
        e = np.exp(z - z.max(1, keepdims=True))
        g3 = (e / e.sum(1, keepdims=True) - one_hot) / N
        g2 = (g3 @ w["fc3.weight"]) * (h2 > 0)
        g1 = (g2 @ w["fc2.weight"]) * (h1 > 0)
        gf = g1 @ w["fc1.weight"]
        grads = {"fc3.weight": g3.T @ h2, "fc3.bias": g3.sum(0),
                 "fc2.weight": g2.T @ h1, "fc2.bias": g2.sum(0),
                 "fc1.weight": g1.T @ f, "fc1.bias": g1.sum(0)}
        gp2 = gf.reshape(N, 16, 5, 5).transpose(1, 0, 2, 3)
        gz2 = unpool(gp2, r2, p2) * (z2 > 0)
        gm2 = gz2.reshape(16, -1)
        grads["conv2.weight"] = (gm2 @ cols2.T).reshape(w["conv2.weight"].shape)
        grads["conv2.bias"] = gm2.sum(1)
        gp1 = col2im(w["conv2.weight"].reshape(16, -1).T @ gm2, p1.shape, 5)
        gz1 = unpool(gp1, r1, p1) * (z1 > 0)
        gm1 = gz1.reshape(6, -1)
        grads["conv1.weight"] = (gm1 @ cols1.T).reshape(w["conv1.weight"].shape)
        grads["conv1.bias"] = gm1.sum(1)
        for k, g in grads.items():
            w[k] -= LR * g
    return step, lambda: w


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=30)
    args = p.parse_args()
    torch.manual_seed(0)
    weights = {k: v.detach().numpy().copy() for k, v in Net().state_dict().items()}
    x, y = data()
    made = {"graphc eager": eager_step(weights, x, y),
            "graphc graph (numba)": graph_step(weights, x, y),
            "numpy": numpy_step(weights, x, y)}
    for step, _ in made.values():
        for _ in range(CHECK_STEPS):
            step()
    want = made["numpy"][1]()
    print(f"after {CHECK_STEPS} steps from the same weights, max |graphc - numpy| "
          f"(tolerance {ATOL}):")
    for name in ("graphc eager", "graphc graph (numba)"):
        got = made[name][1]()
        diff = max(float(np.max(np.abs(got[k] - want[k]))) for k in want)
        print(f"  {name:<22} {diff:.2e}  {'within' if diff <= ATOL else 'OUTSIDE'}")
    ms = interleaved_medians({k: v[0] for k, v in made.items()}, args.repeats)
    print(f"\nLeNet step, batch {N}, 1x32x32 float32, SGD; median ms of {args.repeats} "
          "interleaved steps")
    print(f"{'':<24}{'ms':>8}{'x numpy':>9}")
    for name, t in ms.items():
        print(f"{name:<24}{t:>8.2f}{t / ms['numpy']:>9.2f}")


if __name__ == "__main__":
    main()

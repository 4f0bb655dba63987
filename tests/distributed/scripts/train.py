"""Train a small two-layer net data-parallel (or on one process with the whole batch) and
save the final weights: run by tests/distributed/test_training.py.

    python train.py MODE BACKEND STEPS OUT [--whole]

MODE is static, eager, or tf1 (static, with gc.train's MomentumOptimizer); with --whole one
process trains on the whole batch (the reference); otherwise each rank trains on its
shard."""

import sys

import numpy as np

import graphc as gc
import graphc.distributed as gd
import graphc.eager as ge
from graphc import nn, optim

N, D_IN, H, D_OUT = 16, 8, 6, 3


def data():
    rng = np.random.default_rng(7)
    return rng.standard_normal((N, D_IN)), rng.standard_normal((N, D_OUT))


def model():
    m = nn.Sequential(nn.Linear(D_IN, H, dtype=gc.float64), nn.ReLU(),
                      nn.Linear(H, D_OUT, dtype=gc.float64))
    rng = np.random.default_rng(3)
    for p in m.parameters():
        p.data[...] = rng.uniform(-0.5, 0.5, p.data.shape)
    if gd.size() > 1:  # every rank starts from rank 0's weights: make them differ first
        for p in m.parameters():
            p.data[...] += gd.rank()
    return m


def make_optimizer(params, mode="static"):
    if mode == "tf1":  # the same formula as PyTorch's SGD momentum: the same weights
        return gc.train.MomentumOptimizer(0.05, 0.9)
    return optim.SGD(params, lr=0.05, momentum=0.9)


def main():
    mode, backend, steps, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    whole = "--whole" in sys.argv
    gd.init()
    x, y = data()
    if not whole:
        x, y = gd.shard(x, y)
    net = model()
    if mode == "eager":
        if not whole:
            gd.broadcast_parameters(net)
        opt = make_optimizer(net.parameters())
        if not whole:
            opt = gd.DistributedOptimizer(opt)
        for _ in range(steps):
            loss = nn.MSELoss()(net(ge.tensor(x)), ge.tensor(y))
            opt.zero_grad()
            loss.backward()
            opt.step()
    else:
        graph = gc.Graph()
        with graph.as_default():
            xp = gc.placeholder(gc.float64, (None, D_IN), name="x")
            yp = gc.placeholder(gc.float64, (None, D_OUT), name="y")
            loss = nn.MSELoss()(net(xp), yp)
            opt = make_optimizer(net.parameters(), mode)
            if not whole:
                opt = gd.DistributedOptimizer(opt)
            train = opt.minimize(loss)
            init = gc.global_variables_initializer()
            sync = None if whole else gd.broadcast_global_variables(0)
        with gc.Session(graph, backend=backend) as sess:
            sess.run(init)
            if sync is not None:
                sess.run(sync)
            for _ in range(steps):
                sess.run([loss, train], {xp: x, yp: y})
    weights = {f"p{i}": p.array for i, p in enumerate(net.parameters())}
    if whole or gd.rank() == 0:
        np.savez(out, **weights)
    if not whole:  # every rank holds the same weights
        for name, w in weights.items():
            everyone = gd.comm.world().allgather(w)
            assert all(np.array_equal(w, other) for other in everyone), name


if __name__ == "__main__":
    main()

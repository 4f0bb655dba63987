"""Single checks of graphc.distributed, each rank asserting (an assertion aborts the job)."""

import os
import sys
import tempfile

import numpy as np

import graphc as gc
import graphc.distributed as gd
import graphc.eager as ge
from graphc import nn, optim

gd.init()
r, p = gd.rank(), gd.size()
backend = sys.argv[1] if len(sys.argv) > 1 else "numpy"

# allreduce and broadcast in a graph, and the gradient of allreduce is allreduce
graph = gc.Graph()
with graph.as_default():
    x = gc.placeholder(gc.float64, (3,))
    s = gd.allreduce(x, op=gd.Sum)
    a = gd.allreduce(x)
    b = gd.broadcast(x, root=p - 1)
    (g,) = gc.gradients(gc.reduce_sum(a * a), [x])
with gc.Session(graph, backend=backend) as sess:
    mine = np.arange(3.0) + 10 * r
    total = sum(np.arange(3.0) + 10 * k for k in range(p))
    sv, av, bv, gv = sess.run([s, a, b, g], {x: mine})
    np.testing.assert_allclose(sv, total, rtol=1e-12)
    np.testing.assert_allclose(av, total / p, rtol=1e-12)
    np.testing.assert_allclose(bv, np.arange(3.0) + 10 * (p - 1))
    # d/dx_r sum_i sum(a_i^2) with a_i = mean_k x_k: sum_i 2 a_i / p = 2 a (a is the same on all)
    np.testing.assert_allclose(gv, 2 * total / p, rtol=1e-12)

# eager: the same op, with its gradient
xe = ge.tensor(np.arange(3.0) + 10 * r, requires_grad=True)
ae = gd.allreduce(xe)
ge_loss = (ae * ae).sum()
ge_loss.backward()
np.testing.assert_allclose(xe.grad.data, 2 * total / p, rtol=1e-12)

# the DistributedOptimizer packs every gradient into one buffer: one allreduce per step
model = nn.Sequential(nn.Linear(4, 5, dtype=gc.float64), nn.ReLU(),
                      nn.Linear(5, 2, dtype=gc.float64))
graph = gc.Graph()
with graph.as_default():
    xp = gc.placeholder(gc.float64, (None, 4))
    loss = gc.reduce_mean(gc.square(model(xp)))
    step = gd.DistributedOptimizer(optim.Adam(model.parameters())).minimize(loss)
    bucketed = gd.DistributedOptimizer(optim.SGD(model.parameters(), lr=0.1),
                                       bucket_bytes=5 * 4 * 8).minimize(loss, name="b")
from graphc.passes.pipeline import build_program  # noqa: E402

ops = [n.op for n in build_program([], [step]).schedule]
assert ops.count("allreduce") == 1, ops
assert ops.count("allreduce_pack") == 1
# buckets of at most 160 bytes: [w1 (160 B)], [b1, w2, b2 (40 + 80 + 16 B)]
ops = [n.op for n in build_program([], [bucketed]).schedule]
assert ops.count("allreduce") == 2, ops

# shard
assert gd.shard(10, rank=0, size=3) == range(0, 4)
assert gd.shard(10, rank=2, size=3) == range(7, 10)
xs, ys = gd.shard(np.arange(10), np.arange(10) * 2, rank=1, size=3)
assert list(xs) == [4, 5, 6] and list(ys) == [8, 10, 12]
assert sum(len(gd.shard(np.arange(7))) for _ in [0]) in (7 // p, 7 // p + 1)

# eager allreduce_gradients: one packed Allreduce over every parameter's .grad
net = nn.Linear(3, 2, dtype=gc.float64)
gd.broadcast_parameters(net)
out = net(ge.tensor(np.full((2, 3), float(r + 1)))).sum()
out.backward()
before = [p_.grad.array.copy() for p_ in net.parameters()]
gd.allreduce_gradients(net)
everyone = gd.comm.world().allgather(before)
for i, p_ in enumerate(net.parameters()):
    np.testing.assert_allclose(p_.grad.data, sum(e[i] for e in everyone) / p, rtol=1e-12)

# checkpoints: rank 0 writes, every rank can read after save returns
graph = gc.Graph()
with graph.as_default():
    v = gc.Variable(np.full(2, float(r)), name="v")
    init = gc.global_variables_initializer()
    saver = gd.Saver()
directory = gd.comm.world().bcast(tempfile.mkdtemp() if r == 0 else None)
path = os.path.join(directory, "ckpt.npz")
with gc.Session(graph, backend=backend) as sess:
    sess.run(init)
    assert saver.save(sess, path) == path
    saver.restore(sess, path)
    np.testing.assert_array_equal(sess.run(v), [0.0, 0.0])  # rank 0's
print(f"rank {r}: units ok ({backend}, native MPI: {gd.NATIVE})", flush=True)

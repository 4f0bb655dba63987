"""The seed network (N, D_in, H, D_out = 64, 1000, 100, 10) trained data-parallel over MPI,
Horovod style: every rank holds the whole model and a shard of the batch; the optimizer sums
the ranks' gradients (one allreduce of one packed buffer per step, inside the compiled step)
before the same update on every rank. The losses printed are the whole batch's, the same on
any number of ranks as on one process.

Run: mpiexec -n 2 python -m mpi4py examples/distributed_two_layer.py
     (`python -m mpi4py` aborts the job if a rank dies; plain `python` runs one rank)
Needs: pip install 'graphc[distributed]'  (mpi4py and the mpich wheel, which has mpiexec)
"""

import sys

import numpy as np

import graphc as gc
import graphc.eager as ge
from graphc import nn, optim

try:
    import graphc.distributed as gd
except ImportError as err:  # (the example suite runs every example; say why, train nothing)
    print(f"skipped: {err}", file=sys.stderr)
    sys.exit(0)

N, D_IN, H, D_OUT = 64, 1000, 100, 10
LEARNING_RATE = 1e-4


def main(steps=500):
    gd.init()  # an exception on any rank now ends the whole job (MPI_Abort)
    rng = np.random.default_rng(0)  # every rank makes the same data, and keeps its shard
    x_all, y_all = rng.standard_normal((N, D_IN)), rng.standard_normal((N, D_OUT))
    x_mine, y_mine = gd.shard(x_all, y_all)

    ge.manual_seed(gd.rank())  # different weights on every rank, until the broadcast
    model = nn.Sequential(nn.Linear(D_IN, H, dtype=gc.float64), nn.ReLU(),
                          nn.Linear(H, D_OUT, dtype=gc.float64))

    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, D_IN), name="x")
        y = gc.placeholder(gc.float64, (None, D_OUT), name="y")
        loss = nn.MSELoss(reduction="sum")(model(x), y)  # this rank's part of the loss
        total_loss = gd.allreduce(loss, op=gd.Sum)        # the whole batch's
        # the loss is a sum over the batch, so the ranks' gradients add up (op=Sum); with a
        # mean loss, the default op=Average would be the one
        optimizer = gd.DistributedOptimizer(optim.SGD(model.parameters(), lr=LEARNING_RATE),
                                            op=gd.Sum)
        train = optimizer.minimize(loss)
        init = gc.global_variables_initializer()
        sync = gd.broadcast_global_variables(root=0)  # everyone starts from rank 0's weights
    with gc.Session(graph) as sess:
        sess.run(init)
        sess.run(sync)
        for t in range(steps):
            loss_value, _ = sess.run([total_loss, train], {x: x_mine, y: y_mine})
            if gd.rank() == 0:
                print(t, float(loss_value))


if __name__ == "__main__":
    main()

"""graphc.distributed: data-parallel training over MPI (mpi4py), the way Horovod does it for
TensorFlow 1.

    import graphc.distributed as gd
    gd.init()                                   # MPI, and abort the job if any rank raises
    opt = gd.DistributedOptimizer(gc.optim.SGD(model.parameters(), lr=0.1))
    step = opt.minimize(loss)                   # one allreduce of all gradients per step
    sess.run(gd.broadcast_global_variables(0))  # every rank starts from rank 0's weights
    x_mine, y_mine = gd.shard(x, y)             # this rank's rows

Launch with `mpiexec -n 4 python -m mpi4py train.py`. allreduce and broadcast are ordinary
graph ops (gradients included); the numba backend calls MPI from inside its native step.
Importing this package imports mpi4py (and initializes MPI); `import graphc` never does.
"""

from graphc.distributed.comm import (abort, barrier, init, install_excepthook, local_rank, rank,
                                     size)
from graphc.distributed import kernels as _kernels
from graphc.distributed.check import ScheduleMismatchError
from graphc.distributed.ops import Average, Sum, allreduce, allreduce_many, broadcast
from graphc.distributed.training import (DistributedOptimizer, Saver, allreduce_arrays,
                                         allreduce_gradients, broadcast_global_variables,
                                         broadcast_parameters, broadcast_variables, shard,
                                         shard_range)

NATIVE = _kernels.register()  # whether the numba backend calls MPI from native code

__all__ = [
    "Average", "DistributedOptimizer", "NATIVE", "Saver", "ScheduleMismatchError", "Sum",
    "abort", "allreduce", "allreduce_arrays", "allreduce_gradients", "allreduce_many",
    "barrier", "broadcast", "broadcast_global_variables", "broadcast_parameters",
    "broadcast_variables", "init", "install_excepthook", "local_rank", "rank", "shard",
    "shard_range", "size",
]

"""The cuda backend and eager cuda tensors on the seed programs, its memory plan, random
draws, and its errors (in numba's CUDA simulator in CI, at tiny sizes)."""

import os
import subprocess
import sys

import eager_autograd_two_layer
import numpy as np
import numpy_two_layer
import pytest
import static_two_layer

import graphc as gc
import graphc.eager as ge
from graphc import nn, optim
from graphc.runtime.cuda.backend import CudaExecutable
from graphc.runtime.cuda.device import is_device_array
from tests.test_seed_static import assert_trains_like, seed_problem


def tiny_problem(seed=0):
    return seed_problem(seed, n=6, d_in=9, hidden=7, d_out=3)


def test_seed_static_program_on_cuda_matches_numpy_loop_float64():
    x, y, w1, w2 = tiny_problem()
    want = numpy_two_layer.train(x, y, w1, w2, steps=4, learning_rate=1e-3)
    graph = gc.Graph()
    with graph.as_default():
        g = static_two_layer.build(9, 7, 3, w1, w2, gc.float64, learning_rate=1e-3)
    with gc.Session(graph, device="cuda") as sess:
        sess.run(gc.variables_initializer(gc.global_variables(graph)))
        losses = [sess.run([g["loss"], g["updates"]], {g["x"]: x, g["y"]: y})[0]
                  for _ in range(4)]
        # the weights stay on the device between runs; fetching copies them out
        assert all(is_device_array(v) for v in sess._state.variables.values())
        got_w1, got_w2 = sess.run([g["w1"], g["w2"]])
    # float64 on both sides, summed in another order: the seed's bound is 1e-10 relative
    assert_trains_like((losses, got_w1, got_w2), want)


@pytest.mark.soak  # 2.7 s in the simulator; the float64 run above covers the same kernels
def test_seed_static_program_on_cuda_float32_tracks_float64():
    x, y, w1, w2 = tiny_problem(seed=1)
    want, _, _ = numpy_two_layer.train(x, y, w1, w2, steps=3)
    got, _, _ = static_two_layer.train(x, y, w1.astype(np.float32), w2.astype(np.float32),
                                       steps=3, dtype=gc.float32, device="cuda")
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-4)  # float32 over 3 small steps


@pytest.mark.soak  # 2.7 s in the simulator; an eager nn model and optimizer on CUDA run below
def test_seed_eager_program_on_cuda_matches_numpy_loop_float64():
    x, y, w1, w2 = tiny_problem(seed=2)
    want = numpy_two_layer.train(x, y, w1, w2, steps=3, learning_rate=1e-3)
    got = eager_autograd_two_layer.train(x, y, w1, w2, steps=3, learning_rate=1e-3,
                                         device="cuda")
    assert_trains_like(got, want)


def test_nn_module_and_optimizer_on_cuda_match_cpu():
    def run(device):
        ge.manual_seed(3)
        model = nn.Sequential(nn.Linear(5, 4, dtype=gc.float64), nn.ReLU(),
                              nn.Linear(4, 2, dtype=gc.float64))
        model.to(device)
        opt = optim.Adam(model.parameters(), lr=1e-2)
        x, y = ge.randn(6, 5, dtype=gc.float64, device=device), \
            ge.randn(6, 2, dtype=gc.float64, device=device)
        losses = []
        for _ in range(3):
            loss = nn.MSELoss(reduction="sum")(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert all(p.device == device for p in model.parameters())
        return losses, [p.detach().cpu().numpy() for p in model.parameters()]

    cpu_losses, cpu_params = run("cpu")
    cuda_losses, cuda_params = run("cuda")
    np.testing.assert_allclose(cuda_losses, cpu_losses, rtol=1e-12)
    for got, want in zip(cuda_params, cpu_params):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_second_run_allocates_only_the_new_variable_values():
    x, y, w1, w2 = tiny_problem(seed=4)
    graph = gc.Graph()
    with graph.as_default():
        g = static_two_layer.build(9, 7, 3, w1, w2, gc.float64)
    with gc.Session(graph, device="cuda") as sess:
        sess.run(gc.variables_initializer(gc.global_variables(graph)))
        sess.run([g["loss"], g["updates"]], {g["x"]: x, g["y"]: y})
        (executable,) = [e for _, e in sess._cache.values()
                         if isinstance(e, CudaExecutable) and len(e.steps) > 4]
        before = executable.pool.allocations
        sess.run([g["loss"], g["updates"]], {g["x"]: x, g["y"]: y})
        # every intermediate came from the pool; the two new weights are fresh buffers
        assert executable.pool.allocations - before == 2
        sess.run(g["loss"], {g["x"]: x, g["y"]: y})
        (forward,) = [e for _, e in sess._cache.values()
                      if isinstance(e, CudaExecutable) and e is not executable
                      and len(e.steps) > 4]
        before = forward.pool.allocations
        loss = sess.run(g["loss"], {g["x"]: x, g["y"]: y})
        assert forward.pool.allocations == before  # a read-only run allocates nothing
    assert np.isfinite(loss)


# the simulator makes xoroshiro states with numba's CPU code in object mode, and says so;
# its uint64 arithmetic then runs in numpy, which warns of the (intended) wraparound
@pytest.mark.filterwarnings("ignore::numba.core.errors.NumbaWarning")
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.soak  # 11 s in the simulator: the generator states are thousands of threads
def test_random_ops_draw_on_the_device_reproducibly():
    def draws():
        graph = gc.Graph()
        with graph.as_default():
            gc.set_random_seed(7)
            normal = gc.random_normal((40, 50), mean=2.0, stddev=3.0, dtype=gc.float64)
            uniform = gc.random_uniform((40, 50), minval=-1.0, maxval=1.0, dtype=gc.float32)
        with gc.Session(graph, device="cuda") as sess:
            return sess.run([normal, uniform]), sess.run(normal)

    (normal, uniform), second = draws()
    (normal_again, uniform_again), _ = draws()
    np.testing.assert_array_equal(normal, normal_again)  # same seed, same numbers
    np.testing.assert_array_equal(uniform, uniform_again)
    assert not np.array_equal(normal, second)  # the next run draws new numbers
    assert uniform.dtype == np.float32 and -1 <= uniform.min() and uniform.max() < 1
    # 2000 samples: the mean's standard error is 3/sqrt(2000) = 0.067, the std's 0.047;
    # 0.35 is over 5 standard errors
    assert abs(normal.mean() - 2.0) < 0.35 and abs(normal.std() - 3.0) < 0.35
    assert abs(uniform.mean()) < 0.1  # standard error 0.58/sqrt(2000) = 0.013


def test_a_failed_run_names_the_op_and_commits_nothing():
    graph = gc.Graph()
    with graph.as_default():
        a = gc.placeholder(gc.float64, (None, 3), name="a")
        b = gc.placeholder(gc.float64, (None, 3), name="b")
        v = gc.Variable(np.zeros(3), name="v")
        step = v.assign(v + gc.reduce_sum(a + b, axis=0))
    with gc.Session(graph, device="cuda") as sess:
        sess.run(v.initializer)
        with pytest.raises(gc.errors.InvalidArgumentError, match=r"add .*\(2, 3\).*\(4, 3\)"):
            sess.run(step, {a: np.ones((2, 3)), b: np.ones((4, 3))})
        np.testing.assert_array_equal(sess.run(v), np.zeros(3))
        sess.run(step, {a: np.ones((2, 3)), b: np.ones((2, 3))})
        np.testing.assert_array_equal(sess.run(v), np.full(3, 4.0))


def test_check_numerics_on_cuda_names_the_op():
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float32, (2,), name="x")
        y = gc.log(x, name="the_log")
    with gc.Session(graph, device="cuda", check_numerics=True) as sess:
        with pytest.raises(gc.errors.InvalidArgumentError, match="the_log"):
            sess.run(y, {x: np.array([1.0, -1.0], np.float32)})


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # (simulator:
# numpy scalars warn of inf - inf, which the kernel computes on purpose)
@pytest.mark.parametrize("dtype", [gc.float32, gc.float64], ids=str)
def test_check_numerics_op_on_cuda_counts_as_the_numpy_backend_does(dtype):
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(dtype, (None, 3), name="x")
        y = gc.check_numerics(x * 2.0, "doubled x")
    bad = np.array([[1.0, np.nan, -np.inf], [np.inf, -0.0, 1e-30]], dtype.np)
    errors = []
    for device in ("cpu", "cuda"):
        with gc.Session(graph, device=device) as sess:
            np.testing.assert_array_equal(sess.run(y, {x: [[1.0, 2.0, 3.0]]}),
                                          [[2.0, 4.0, 6.0]])
            with pytest.raises(gc.errors.InvalidArgumentError) as caught:
                sess.run(y, {x: bad})
            errors.append(str(caught.value))
    assert "doubled x: 3 of 6 values are NaN or infinite" in errors[1]
    assert errors[0] == errors[1]


def test_an_unfed_placeholder_with_default_of_unknown_dims_runs_its_default():
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder_with_default(np.ones((2, 3), np.float32), [None, 3])
        y = x * 2.0
    with gc.Session(graph, device="cuda") as sess:
        np.testing.assert_array_equal(sess.run(y), np.full((2, 3), 2.0))
        np.testing.assert_array_equal(sess.run(y, {x: np.zeros((1, 3))}), np.zeros((1, 3)))


def test_device_and_backend_must_agree():
    with pytest.raises(ValueError, match="backend 'numba' runs on the CPU"):
        gc.Session(device="cuda", backend="numba")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        gc.Session(device="tpu")


def test_eager_tensors_move_between_devices():
    t = ge.tensor([[1.0, 2.0], [3.0, 4.0]])
    on_gpu = t.cuda()
    assert on_gpu.device == "cuda" and t.device == "cpu"
    assert "device='cuda:0'" in repr(on_gpu)
    np.testing.assert_array_equal((on_gpu * 2).cpu().numpy(), [[2, 4], [6, 8]])
    assert on_gpu.to("cuda") is on_gpu
    assert (on_gpu.sum()).item() == 10.0
    with pytest.raises(TypeError, match=r"numpy\(\) on a cuda tensor.*tensor.cpu\(\)"):
        on_gpu.numpy()
    with pytest.raises(RuntimeError, match="expected all tensors on the same device"):
        on_gpu + t
    np.testing.assert_array_equal((on_gpu + 1.5).cpu().numpy(), [[2.5, 3.5], [4.5, 5.5]])
    w = ge.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot move across devices"):
        (w * 2).cuda()


def test_eager_indexing_on_cuda_runs_on_the_host():
    t = ge.tensor([1.0, -2.0, 3.0, -4.0], device="cuda")
    t[t < 0] = 0
    np.testing.assert_array_equal(t.cpu().numpy(), [1, 0, 3, 0])
    part = t[1:3]  # getitem: the numpy reference on a host copy, the result moved back
    assert part.device == "cuda"
    np.testing.assert_array_equal(part.cpu().numpy(), [0, 3])


NO_GPU = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0", "NUMBA_DISABLE_CUDA": "1"}


def _python(code, env):
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300)


def test_without_a_gpu_device_cuda_says_how_to_use_the_simulator():
    done = _python("import graphc as gc\ngc.Session(device='cuda')", NO_GPU)
    assert done.returncode != 0
    assert "DeviceUnavailableError: device 'cuda' was requested, but numba finds no usable " \
        "NVIDIA GPU" in done.stderr
    assert "set NUMBA_ENABLE_CUDASIM=1 before starting Python" in done.stderr
    done = _python("import graphc.eager as ge\nge.ones(2, device='cuda')", NO_GPU)
    assert "NUMBA_ENABLE_CUDASIM=1" in done.stderr


def test_importing_graphc_does_not_import_numba_cuda():
    done = _python("import sys, graphc, graphc.eager, graphc.nn, graphc.optim\n"
                   "print(sorted(m for m in sys.modules if m.startswith('numba')))", NO_GPU)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_assigning_a_wrong_runtime_shape_fails_and_commits_nothing():
    v = gc.Variable(np.zeros(2))
    x = gc.placeholder(gc.float64, (None,))
    with gc.Session(device="cuda") as sess:
        sess.run(v.initializer)
        for update in (v.assign(x), v.assign(x * 2.0 + 1.0)):
            with pytest.raises(gc.InvalidArgumentError,
                               match=r"produced shape \(3,\), but its static shape is \(2,\)"):
                sess.run(update, {x: np.ones(3)})
            np.testing.assert_array_equal(sess.run(v), [0.0, 0.0])

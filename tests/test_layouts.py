"""Memory layouts: arrays that are not C-contiguous (Fortran-ordered, reversed, sliced,
strided, broadcast, read-only) used as feeds, as nn parameters, and as values restored into
a session that has trained, on both CPU backends, against training computed by hand in
numpy; and never a write outside a parameter's own memory.

Native code (the numba backend's in-place gemm update, its elementwise update loops) reads
and writes a variable's array by raw pointer, as C-ordered rows. graphc therefore keeps
every variable's storage C-contiguous and writable: an nn Parameter given any other array
stores a C-ordered copy, and values loaded into a session are stored C-ordered. Feeds are
copied to C order when they are not (they were before these tests; their cases guard it).

Tolerance: everything is float64 and a case takes a handful of steps over dot products of
at most 256 terms, so the backends and the reference differ by rounding, some 1e-14 at
most; a layout error reads or writes the wrong elements and is off by O(1). rtol = atol =
1e-10 lies far from both.
"""

import numpy as np
import pytest

import graphc as gc
from graphc import nn, optim
from graphc.runtime.cpu import blas
from graphc.runtime.cpu.codegen import Segment
from graphc.saver import FORMAT, MARKER

N, IN, OUT = 6, 5, 4  # batch, features in, features out
LR = 0.05
BETAS, EPS = (0.9, 0.999), 1e-8
TOLERANCE = dict(rtol=1e-10, atol=1e-10)
BACKENDS = ["numpy", "numba"]
OPTIMIZERS = ["sgd", "adam"]
# every layout an array can reach graphc in; each but "C" is not C-contiguous
LAYOUTS = ["C", "F", "reversed", "columns", "strided", "broadcast"]
STRANGE = LAYOUTS[1:]


@pytest.fixture(autouse=True)
def native_code(monkeypatch):
    """Runs on numba wait for machine code: these tests are about what it does."""
    monkeypatch.setenv("GRAPHC_COMPILE", "wait")


# -- arrays in every layout ----------------------------------------------------------------
def values_for(layout, shape, rng, positive=False):
    """Random values an array of `layout` can hold (broadcast rows are all alike)."""
    values = rng.standard_normal(shape)
    if layout == "broadcast":
        values[:] = values[0]
    return np.abs(values) + 0.1 if positive else values


def in_layout(layout, values, rng):
    """(an array holding `values` in `layout`, the user's array it is a view of, or None)."""
    rows, columns = values.shape
    if layout == "C":
        return values.copy(), None
    if layout == "F":
        parent = np.ascontiguousarray(values.T)  # C-ordered; its transpose is Fortran-ordered
        return parent.T, parent
    if layout == "reversed":
        parent = values[::-1].copy()
        return parent[::-1], parent
    if layout == "columns":  # big[:, :n]
        parent = rng.standard_normal((rows, columns + 3))
        parent[:, :columns] = values
        return parent[:, :columns], parent
    if layout == "strided":  # big[::2]
        parent = rng.standard_normal((2 * rows, columns))
        parent[::2] = values
        return parent[::2], parent
    if layout == "broadcast":
        assert (values == values[0]).all()
        parent = values[0].copy()
        view = np.broadcast_to(parent, values.shape)
        assert not view.flags.writeable
        return view, parent
    raise AssertionError(layout)


def check_layout(array, layout):
    if layout != "C":
        assert not array.flags.c_contiguous or not array.flags.writeable, layout


class Guard:
    """The user's array a view was cut from, as it was: graphc must never write into it."""

    def __init__(self, parent):
        self.parent = parent
        self.before = None if parent is None else parent.copy()

    def check(self, *graphc_arrays):
        if self.parent is None:
            return
        np.testing.assert_array_equal(self.parent, self.before)
        for array in graphc_arrays:
            assert not np.shares_memory(array, self.parent)


# -- the reference: training computed by hand ----------------------------------------------
def reference(optimizer, W, b, X, Y, steps, state=None, linear=True):
    """(W, b, state) after `steps` updates of loss = sum((X W^T + b - Y)^2) (or X W + b with
    linear=False: a plain-Variable model), by SGD or by Adam with PyTorch's bias correction;
    `state`: Adam's (m_W, v_W, m_b, v_b, t) to continue from."""
    W, b = np.array(W, dtype=float), np.array(b, dtype=float)
    m_W, v_W, m_b, v_b, t = state or (np.zeros_like(W), np.zeros_like(W), np.zeros_like(b),
                                      np.zeros_like(b), 0)
    for _ in range(steps):
        r = (X @ W.T if linear else X @ W) + b - Y
        g_W, g_b = (2 * r.T @ X if linear else 2 * X.T @ r), 2 * r.sum(axis=0)
        if optimizer == "sgd":
            W, b = W - LR * g_W, b - LR * g_b
            continue
        t += 1
        moments = []
        for g, m, v in ((g_W, m_W, v_W), (g_b, m_b, v_b)):
            m = BETAS[0] * m + (1 - BETAS[0]) * g
            v = BETAS[1] * v + (1 - BETAS[1]) * g * g
            moments.append((m, v))
        (m_W, v_W), (m_b, v_b) = moments
        W = W - LR * (m_W / (1 - BETAS[0] ** t)) / (np.sqrt(v_W / (1 - BETAS[1] ** t)) + EPS)
        b = b - LR * (m_b / (1 - BETAS[0] ** t)) / (np.sqrt(v_b / (1 - BETAS[1] ** t)) + EPS)
    return W, b, (m_W, v_W, m_b, v_b, t)


# -- graphs and runs -----------------------------------------------------------------------
def linear_graph(optimizer, W, b, set_weight=None):
    """nn.Linear(IN, OUT) holding W and b, MSE (sum) loss and the optimizer's step.
    `set_weight(linear)` replaces the weight after the module is made."""
    graph = gc.Graph()
    with graph.as_default():
        linear = nn.Linear(W.shape[1], W.shape[0], dtype=gc.float64)
        linear.weight.array[...] = W
        linear.bias.array[...] = b
        if set_weight is not None:
            set_weight(linear)
        x = gc.placeholder(gc.float64, (None, W.shape[1]), name="x")
        y = gc.placeholder(gc.float64, (None, W.shape[0]), name="y")
        loss = nn.MSELoss(reduction="sum")(linear(x), y)
        kind = optim.SGD if optimizer == "sgd" else optim.Adam
        train = kind(linear.parameters(), lr=LR).minimize(loss)
        init = gc.global_variables_initializer()
    return graph, linear, x, y, train, init


def variable_graph(W, b):
    """Plain Variables w (IN, OUT) and b, loss sum((x w + b - y)^2), SGD by hand (the w
    update is one in-place gemm on numba)."""
    graph = gc.Graph()
    with graph.as_default():
        w = gc.Variable(W, name="w")
        bias = gc.Variable(b, name="b")
        x = gc.placeholder(gc.float64, (None, W.shape[0]), name="x")
        y = gc.placeholder(gc.float64, (None, W.shape[1]), name="y")
        loss = gc.reduce_sum(gc.square(gc.matmul(x, w) + bias - y))
        g_w, g_b = gc.gradients(loss, [w, bias])
        train = gc.group(w.assign_sub(LR * g_w), bias.assign_sub(LR * g_b))
        init = gc.global_variables_initializer()
    return graph, w, bias, x, y, train, init


def check_native(sess):
    """The numba session ran its training step as machine code, updating in place."""
    executables = [e for _, e in sess._cache.values() if hasattr(e, "steps")]
    assert executables and all(e.native for e in executables)
    in_place = {n.inputs[k].node.name for e in executables for step in e.steps
                if isinstance(step, Segment) for n, k in step.in_place.items()}
    assert in_place


def train(sess, step, feeds, steps, backend):
    for _ in range(steps):
        sess.run(step, feeds)
    if backend == "numba":
        check_native(sess)


def data(rng, n=N, d_in=IN, d_out=OUT):
    return (rng.standard_normal((d_out, d_in)), rng.standard_normal(d_out),
            rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out)))


# -- (a) feeds -----------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("layout", STRANGE)
def test_feeds_in_any_layout(layout, backend, optimizer):
    rng = np.random.default_rng(1)
    W, b, _, _ = data(rng)
    X, Y = values_for(layout, (N, IN), rng), values_for(layout, (N, OUT), rng)
    (x_view, x_parent), (y_view, y_parent) = in_layout(layout, X, rng), \
        in_layout(layout, Y, rng)
    check_layout(x_view, layout)
    guards = [Guard(x_parent), Guard(y_parent)]
    graph, linear, x, y, step, init = linear_graph(optimizer, W, b)
    with gc.Session(graph, backend=backend) as sess:
        sess.run(init)
        train(sess, step, {x: x_view, y: y_view}, 3, backend)
    want_W, want_b, _ = reference(optimizer, W, b, X, Y, 3)
    np.testing.assert_allclose(linear.weight.array, want_W, **TOLERANCE)
    np.testing.assert_allclose(linear.bias.array, want_b, **TOLERANCE)
    for guard in guards:
        guard.check()


# -- (b) nn parameters ---------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("layout", STRANGE)
def test_a_parameter_set_to_a_view_trains_a_contiguous_copy(layout, backend, optimizer):
    """`linear.weight.data = view` (the PyTorch idiom): the parameter holds a C-ordered
    copy, graphc trains that, and the user's array stays as it was."""
    rng = np.random.default_rng(2)
    _, b, X, Y = data(rng)
    W = values_for(layout, (OUT, IN), rng)
    view, parent = in_layout(layout, W, rng)
    check_layout(view, layout)
    guard = Guard(parent)

    def set_weight(linear):
        linear.weight.data = view

    graph, linear, x, y, step, init = linear_graph(optimizer, W, b, set_weight)
    weight = linear.weight.array
    assert weight.flags.c_contiguous and weight.flags.writeable
    with gc.Session(graph, backend=backend) as sess:
        sess.run(init)
        train(sess, step, {x: X, y: Y}, 3, backend)
    assert linear.weight.array is weight  # trained where it lives, not rebound
    want_W, want_b, _ = reference(optimizer, W, b, X, Y, 3)
    np.testing.assert_allclose(weight, want_W, **TOLERANCE)
    np.testing.assert_allclose(linear.bias.array, want_b, **TOLERANCE)
    guard.check(weight)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_parameter_made_from_a_transpose(backend, optimizer):
    """nn.Parameter(W.T), W.T Fortran-ordered: trained as numpy trains it."""
    rng = np.random.default_rng(3)
    W, b, X, Y = data(rng)
    stored = np.ascontiguousarray(W.T)  # (IN, OUT), C-ordered: its transpose is Fortran-ordered

    def set_weight(linear):
        assert stored.T.flags.f_contiguous and not stored.T.flags.c_contiguous
        linear.weight = nn.Parameter(stored.T)

    graph, linear, x, y, step, init = linear_graph(optimizer, W, b, set_weight)
    assert linear.weight.array.flags.c_contiguous
    with gc.Session(graph, backend=backend) as sess:
        sess.run(init)
        train(sess, step, {x: X, y: Y}, 3, backend)
    want_W, want_b, _ = reference(optimizer, W, b, X, Y, 3)
    np.testing.assert_allclose(linear.weight.array, want_W, **TOLERANCE)
    np.testing.assert_allclose(linear.bias.array, want_b, **TOLERANCE)
    np.testing.assert_array_equal(stored, W.T)


@pytest.mark.parametrize("layout", ["columns", "F"])
def test_a_large_in_place_gemm_update_stays_inside_the_parameter(layout):
    """256 x 256: the SGD step is BLAS gemm accumulating into the weight (matmul_add in
    place); before, it wrote rows the length of the view's parent, past the view."""
    rng = np.random.default_rng(4)
    size = 256
    W, b, X, Y = data(rng, n=8, d_in=size, d_out=size)
    W *= 1 / np.sqrt(size)
    view, parent = in_layout(layout, W, rng)
    guard = Guard(parent)

    def set_weight(linear):
        if layout == "F":
            linear.weight = nn.Parameter(view)
        else:
            linear.weight.data = view

    graph, linear, x, y, step, init = linear_graph("sgd", W, b, set_weight)
    with gc.Session(graph, backend="numba") as sess:
        sess.run(init)
        train(sess, step, {x: X, y: Y}, 3, "numba")
    want_W, want_b, _ = reference("sgd", W, b, X, Y, 3)
    np.testing.assert_allclose(linear.weight.array, want_W, **TOLERANCE)
    np.testing.assert_allclose(linear.bias.array, want_b, **TOLERANCE)
    guard.check(linear.weight.array)


def test_a_contiguous_view_is_trained_where_it_lies():
    """A C-contiguous, writable view (big[:n]) is storage as it is, as in PyTorch: the
    updates land in those rows of the user's array, and nowhere else in it."""
    rng = np.random.default_rng(5)
    W, b, X, Y = data(rng)
    big = rng.standard_normal((OUT + 3, IN))
    big[:OUT] = W
    below = big[OUT:].copy()

    def set_weight(linear):
        linear.weight.data = big[:OUT]

    graph, linear, x, y, step, init = linear_graph("sgd", W, b, set_weight)
    with gc.Session(graph, backend="numba") as sess:
        sess.run(init)
        train(sess, step, {x: X, y: Y}, 3, "numba")
    want_W, _, _ = reference("sgd", W, b, X, Y, 3)
    np.testing.assert_allclose(big[:OUT], want_W, **TOLERANCE)
    np.testing.assert_array_equal(big[OUT:], below)


def test_parameter_data_is_always_storage_native_code_can_update():
    W = np.arange(12.0).reshape(3, 4)
    p = nn.Parameter(np.asfortranarray(W))
    assert p.array.flags.c_contiguous
    for view in (W.T, W[::-1], W[:, :2], W[::2], np.broadcast_to(W[0], (5, 4))):
        p.data = view
        assert p.array.flags.carray  # C-contiguous, aligned, writable
        assert not np.shares_memory(p.array, W)
        np.testing.assert_array_equal(p.array, view)
    read_only = W.copy()
    read_only.flags.writeable = False
    p.data = read_only
    assert p.array.flags.writeable and p.array is not read_only
    swapped = W.astype(">f8")
    p.data = swapped
    assert p.array.dtype == np.float64 and p.array.dtype.isnative
    np.testing.assert_array_equal(p.array, W)
    own = W.copy()
    p.data = own
    assert p.array is own  # storage already: kept, not copied
    linear = nn.Linear(4, 3, dtype=gc.float64)
    linear.weight.data = W.T.T[:, ::-1]
    assert linear.weight.array.flags.c_contiguous
    assert linear.state_dict()["weight"].array.flags.c_contiguous


# -- (c) values restored into a session that has trained -----------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("layout", STRANGE)
def test_variables_loaded_in_any_layout_into_a_trained_session(layout, backend):
    """SGD on plain Variables; after two steps (on numba: compiled, and updating in place)
    new values are loaded from views, and training goes on from them."""
    rng = np.random.default_rng(6)
    W, b, X, Y = data(rng)
    W = W.T.copy()  # (IN, OUT) for x @ w
    graph, w, bias, x, y, step, init = variable_graph(W, b)
    W2 = values_for(layout, W.shape, rng)
    view, parent = in_layout(layout, W2, rng)
    check_layout(view, layout)
    guard = Guard(parent)
    with gc.Session(graph, backend=backend) as sess:
        sess.run(init)
        train(sess, step, {x: X, y: Y}, 2, backend)
        sess.load_variables({w.node: view})
        _, b_now, _ = reference("sgd", W, b, X, Y, 2, linear=False)
        train(sess, step, {x: X, y: Y}, 3, backend)
        got_w, got_b = sess.run([w, bias])
        stored = sess._state.variables[w.node]
    want_w, want_b, _ = reference("sgd", W2, b_now, X, Y, 3, linear=False)
    np.testing.assert_allclose(got_w, want_w, **TOLERANCE)
    np.testing.assert_allclose(got_b, want_b, **TOLERANCE)
    guard.check(stored)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("layout", STRANGE)
def test_adam_state_loaded_in_any_layout_into_a_trained_session(layout, backend):
    """Adam on nn.Linear; after two steps the weight and its two moments are loaded from
    views (the moments are plain Variables the elementwise update loop writes in place)."""
    rng = np.random.default_rng(7)
    W, b, X, Y = data(rng)
    graph, linear, x, y, step, init = linear_graph("adam", W, b)
    by_name = {v.node.name: v for v in gc.global_variables(graph)}
    names = ["Linear/weight", "Adam/weight_exp_avg", "Adam/weight_exp_avg_sq"]
    new = [values_for(layout, W.shape, rng, positive=(name.endswith("_sq")))
           for name in names]
    views, guards = [], []
    for values in new:
        view, parent = in_layout(layout, values, rng)
        check_layout(view, layout)
        views.append(view)
        guards.append(Guard(parent))
    with gc.Session(graph, backend=backend) as sess:
        sess.run(init)
        train(sess, step, {x: X, y: Y}, 2, backend)
        sess.load_variables({by_name[n].node: v for n, v in zip(names, views)})
        train(sess, step, {x: X, y: Y}, 3, backend)
        stored = [sess._state.variables[by_name[n].node] for n in names[1:]]
    _, b_now, (_, _, m_b, v_b, t) = reference("adam", W, b, X, Y, 2)
    want_W, want_b, _ = reference("adam", new[0], b_now, X, Y, 3,
                                  state=(new[1], new[2], m_b, v_b, t))
    np.testing.assert_allclose(linear.weight.array, want_W, **TOLERANCE)
    np.testing.assert_allclose(linear.bias.array, want_b, **TOLERANCE)
    for guard in guards:
        guard.check(linear.weight.array, *stored)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_fortran_ordered_checkpoint_restored_into_a_trained_session(backend, tmp_path):
    """np.savez keeps a Fortran-ordered array Fortran-ordered, and np.load gives it back
    so: gc.Saver.restore stores it C-ordered."""
    rng = np.random.default_rng(8)
    W, b, X, Y = data(rng)
    W = W.T.copy()
    graph, w, bias, x, y, step, init = variable_graph(W, b)
    W2, b2 = rng.standard_normal(W.shape), rng.standard_normal(b.shape)
    path = tmp_path / "f.npz"
    np.savez(path, **{"w": np.asfortranarray(W2), "b": b2, MARKER: np.array(FORMAT)})
    with np.load(path) as saved:
        assert saved["w"].flags.f_contiguous and not saved["w"].flags.c_contiguous
    with gc.Session(graph, backend=backend) as sess:
        sess.run(init)
        train(sess, step, {x: X, y: Y}, 2, backend)
        with graph.as_default():
            gc.Saver().restore(sess, path)
        train(sess, step, {x: X, y: Y}, 3, backend)
        got_w, got_b = sess.run([w, bias])
    want_w, want_b, _ = reference("sgd", W2, b2, X, Y, 3, linear=False)
    np.testing.assert_allclose(got_w, want_w, **TOLERANCE)
    np.testing.assert_allclose(got_b, want_b, **TOLERANCE)


# -- the check at BLAS's door --------------------------------------------------------------
@pytest.mark.parametrize("layout", ["F", "columns", "strided"])
def test_gemm_refuses_an_accumulator_that_is_not_c_contiguous_rows(layout):
    """blas.gemm writes c by raw pointer as rows c.shape[1] apart: any other c is refused
    before BLAS runs, and the array it was cut from is untouched."""
    rng = np.random.default_rng(9)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    c, parent = in_layout(layout, rng.standard_normal((3, 5)), rng)
    guard = Guard(parent)
    before = np.array(c)
    with pytest.raises(ValueError, match="not C-contiguous rows"):
        blas.gemm(a, b, c, False, False, 1.0, 1.0)
    np.testing.assert_array_equal(c, before)
    guard.check()
    # operands of any layout are fine (gemm copies them); c C-ordered is the usual case
    out = np.zeros((3, 5))
    blas.gemm(np.asfortranarray(a), b[::-1][::-1], out, False, False, 1.0, 0.0)
    np.testing.assert_allclose(out, a @ b, rtol=1e-12)

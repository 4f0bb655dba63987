"""The numba backend's memory plan: intermediates share workspace slots by liveness, and a
run in steady state allocates nothing but what numba needs to receive its arguments."""

import contextlib
import threading

import numpy as np
import pytest
from numba.core.runtime import _nrt_python, rtsys

import graphc as gc
from graphc import demo, nn, optim
from graphc.graph import Node
from graphc.runtime.cpu.codegen import Segment
from graphc.runtime.cpu.memory import grown, new_workspace, plan_slots
from graphc.runtime.liveness import Lifetimes


@contextlib.contextmanager
def native_allocations():
    """Counts the blocks numba's runtime allocates inside the block: yields a list that
    holds the count once the block ends."""
    enabled = _nrt_python.memsys_stats_enabled()
    _nrt_python.memsys_enable_stats()
    counted: list[int] = []
    before = rtsys.get_allocation_stats().alloc
    try:
        yield counted
    finally:
        counted.append(rtsys.get_allocation_stats().alloc - before)
        if not enabled:
            _nrt_python.memsys_disable_stats()


def _segments(sess):
    return [step for _, executable in sess._cache.values()
            for step in getattr(executable, "steps", []) if isinstance(step, Segment)]


def _slots_of(graph_fn):
    """The single segment planned for graph_fn's fetches, and its slots by tensor name
    (unoptimized, so no op is fused away)."""
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (2, 3), name="x")
        fetches = graph_fn(x)
    with gc.Session(graph, backend="numba", optimize=False) as sess:
        sess.run(fetches, {x: np.ones((2, 3))})
        (segment,) = _segments(sess)
    return segment, {t.name: slot for t, slot in segment.slots.items()}


def test_a_chain_of_intermediates_takes_turns_in_two_slots():
    def chain(x):
        t = x
        for i in range(5):
            t = gc.exp(t, name=f"e{i}") if i % 2 else gc.tanh(t, name=f"e{i}")
        return t

    segment, slots = _slots_of(chain)
    # e0..e3 are intermediates; e4 leaves the run (it is fetched), so it has memory of its own
    assert [slots.get(f"e{i}:0") for i in range(5)] == [0, 1, 0, 1, None]
    assert segment.slot_count == 2


def test_a_value_keeps_its_slot_while_a_view_of_it_is_read():
    def graph_fn(x):
        a = gc.exp(x, name="a")
        view = gc.reshape(a, (3, 2), name="view")
        b = gc.tanh(x, name="b")
        c = gc.exp(b, name="c")  # b is dead here; a is not (its view is read below)
        return gc.reshape(c, (3, 2)) + view

    _, slots = _slots_of(graph_fn)
    assert slots["b:0"] != slots["a:0"]
    assert slots["c:0"] != slots["a:0"]


def test_nothing_that_leaves_the_run_lives_in_the_workspace():
    def graph_fn(x):
        a = gc.exp(x, name="a")
        fetched_view = gc.reshape(a, (6,), name="fetched_view")
        return [fetched_view, gc.tanh(a, name="b")]

    _, slots = _slots_of(graph_fn)
    assert "a:0" not in slots  # a view of it is fetched: the next run would overwrite it
    assert "b:0" not in slots and "fetched_view:0" not in slots


def test_plan_slots_frees_a_slot_only_after_its_last_reader():
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (2,), name="x")
        a = gc.exp(x, name="a")
        b = gc.exp(a, name="b")
        c = gc.exp(b, name="c")
        d = gc.add(a, c, name="d")  # a is read again after b and c were made
    nodes: list[Node] = [t.node for t in (a, b, c, d)]
    slots = plan_slots(nodes, [d], lambda n: True, lambda n: False)
    assert slots == {a: 0, b: 1, c: 2}  # c cannot take a's slot; d leaves


def test_a_grown_workspace_keeps_its_layout_and_has_room_for_what_was_needed():
    space = new_workspace(3)
    assert grown(space) is space  # nothing was too small
    header = space[:8 * 11].view(np.int64)
    assert list(header[:2]) == [0, 3] and not header[5:8].any()
    header[0], header[8:11] = 1, [100, 0, 7]  # what a run records when slots 0 and 2 overflow
    bigger = grown(space)
    header = bigger[:8 * 11].view(np.int64)
    assert list(header[:2]) == [0, 3]
    assert list(header[5:8]) == [128, 0, 64]  # capacities, rounded up to 64 bytes
    assert list(header[2:5]) == [128, 256, 256]  # offsets: after the header, in slot order
    assert bigger.size == 128 + 128 + 64


@pytest.mark.parametrize("capacity", [0, 100, 10**6, 2 * 10**7])
def test_every_slot_starts_on_a_cache_line(capacity):
    # a large np.zeros starts 16 bytes past a 64-byte boundary; SIMD loops, BLAS and MPI's
    # copies into a slot are slower off a cache line
    space = new_workspace(3, [capacity, 24, capacity])
    offsets = space[:8 * 5].view(np.int64)[2:5]
    assert space.ctypes.data % 64 == 0
    assert all((space.ctypes.data + int(o)) % 64 == 0 for o in offsets)


def _seed_step(dtype=gc.float64):
    g = demo.two_layer_graph(demo.SEED_DIMS, dtype, 1e-6)
    sess = gc.Session(g["graph"], backend="numba")
    sess.run(g["init"])
    rng = np.random.default_rng(0)

    def step(batch):
        feeds = {g["x"]: rng.standard_normal((batch, 1000)),
                 g["y"]: rng.standard_normal((batch, 10))}
        return sess.run([g["loss"], g["train"]], feeds)[0]
    return sess, step


def test_a_training_step_in_steady_state_allocates_only_its_arguments():
    sess, step = _seed_step()
    step(64)
    step(64)  # the first run at a size grows the workspace; the second is in place
    (segment,) = _segments(sess)
    arrays = len(segment.inputs) + 1  # x, y, w1, w2, two constants; and the workspace
    with native_allocations() as counted:
        for _ in range(5):
            step(64)
    # numba wraps each array it is given in a reference-counted block: that is all
    assert counted == [5 * arrays]
    # the first run at a new batch size is checked out of place: it copies w1 and w2
    copies = 2
    with native_allocations() as counted:
        step(128)  # and its intermediates no longer fit the workspace
    assert counted[0] > arrays + copies
    step(128)
    with native_allocations() as counted:
        step(32)  # a smaller batch fits in what the workspace grew to
    assert counted == [arrays + copies]


def test_results_agree_with_numpy_as_the_workspace_grows_and_shrinks():
    def losses(backend):
        g = demo.two_layer_graph((None, 7, 5, 3), gc.float64, 1e-3)
        rng = np.random.default_rng(1)
        with gc.Session(g["graph"], backend=backend) as sess:
            sess.run(g["init"])
            out = []
            for batch in (4, 4, 9, 2, 9, 4):
                feeds = {g["x"]: rng.standard_normal((batch, 7)),
                         g["y"]: rng.standard_normal((batch, 3))}
                out.append(sess.run([g["loss"], g["train"]], feeds)[0])
            return out

    # float64, six steps of the same arithmetic in a different order of operations
    np.testing.assert_allclose(losses("numba"), losses("numpy"), rtol=1e-10)


def test_an_adam_step_on_a_module_allocates_only_its_arguments():
    graph = gc.Graph()
    with graph.as_default():
        model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 2))
        x = gc.placeholder(gc.float32, (None, 6), name="x")
        y = gc.placeholder(gc.float32, (None, 2), name="y")
        loss = nn.MSELoss(reduction="sum")(model(x), y)
        train = optim.Adam(model.parameters(), lr=1e-2).minimize(loss)
        init = gc.global_variables_initializer()
    rng = np.random.default_rng(2)
    feeds = {x: rng.standard_normal((8, 6), np.float32),
             y: rng.standard_normal((8, 2), np.float32)}
    with gc.Session(graph, backend="numba") as sess:
        sess.run(init)
        for _ in range(2):
            sess.run([loss, train], feeds)
        (segment,) = _segments(sess)
        with native_allocations() as counted:
            sess.run([loss, train], feeds)
    assert counted == [len(segment.inputs) + 1]


def test_concurrent_runs_use_separate_workspaces():
    g = demo.two_layer_graph((None, 30, 20, 4), gc.float64, 1e-3)
    rng = np.random.default_rng(3)
    feeds = [{g["x"]: rng.standard_normal((batch, 30)), g["y"]: rng.standard_normal((batch, 4))}
             for batch in (16, 3, 16, 7)]
    with gc.Session(g["graph"], backend="numba") as sess:
        sess.run(g["init"])
        want = [sess.run(g["loss"], f) for f in feeds]
        got: dict[int, list[float]] = {i: [] for i in range(len(feeds))}

        def reader(i):
            for _ in range(30):
                got[i].append(sess.run(g["loss"], feeds[i]))

        threads = [threading.Thread(target=reader, args=(i,)) for i in range(len(feeds))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for i, values in got.items():  # bit for bit: the same code on the same inputs
        assert values == [want[i]] * 30


@pytest.mark.parametrize("batch", [1, 5])
def test_broadcasting_elementwise_ops_agree_with_numpy(batch):
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, 3), name="x")
        row = gc.placeholder(gc.float64, (1, 3), name="row")
        col = gc.placeholder(gc.float64, (None, 1), name="col")
        out = gc.tanh(x * row - col) / (gc.exp(row) + x)
    rng = np.random.default_rng(4)
    feeds = {x: rng.standard_normal((batch, 3)), row: rng.standard_normal((1, 3)),
             col: rng.standard_normal((batch, 1))}
    xv, rv, cv = feeds[x], feeds[row], feeds[col]
    with gc.Session(graph, backend="numba") as sess:
        for _ in range(2):  # the second run in the grown workspace
            got = sess.run(out, feeds)
            # float64, elementwise: the same operations in the same order as numpy
            np.testing.assert_allclose(got, np.tanh(xv * rv - cv) / (np.exp(rv) + xv),
                                       rtol=1e-14)


def test_a_reduction_over_leading_axes_reads_in_place_and_allocates_nothing():
    # reduce_columns: each column of the (reduced, kept) view, with no transposed copy
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, 4, 3), name="x")
        means = gc.reduce_mean(x, axis=0)           # (4, 3): the leading axis
        peaks = gc.reduce_max(x, axis=(0, 1))       # (3,): two leading axes
        total = gc.reduce_sum(gc.square(means)) + gc.reduce_sum(peaks)
    value = np.random.default_rng(0).standard_normal((6, 4, 3))
    value[2, 1, 2] = np.nan  # max propagates NaN, as numpy's does
    with gc.Session(graph, backend="numba") as sess:
        got = sess.run([means, peaks, total], {x: value})
    with gc.Session(graph, backend="numba") as sess:
        for _ in range(2):  # the first run grows the workspace
            sess.run(total, {x: value})
        (segment,) = _segments(sess)
        with native_allocations() as counted:
            sess.run(total, {x: value})
    np.testing.assert_allclose(got[0], value.mean(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(got[1], value.max(axis=(0, 1)))
    assert np.isnan(got[1][2]) and np.isnan(got[2])
    assert counted == [len(segment.inputs) + 1]  # its arguments and the workspace


def test_keepdims_gradients_and_transposed_inputs_allocate_nothing():
    # sum_to onto (N, 1) and onto (1, D) adds blocks or rows of its input; an elementwise
    # op reading a transposed view loops over it where it lies
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, 5), name="x")
        m = gc.placeholder(gc.float64, (None, 1), name="m")
        c = gc.placeholder(gc.float64, (1, 5), name="c")
        z = gc.placeholder(gc.float64, (5, None), name="z")
        loss = gc.reduce_sum(gc.square(x - m + c) * gc.transpose(z))
        grad_m, grad_c = gc.gradients(loss, [m, c])
        total = gc.reduce_sum(grad_m) + gc.reduce_sum(grad_c)
    rng = np.random.default_rng(0)
    feeds = {x: rng.standard_normal((6, 5)), m: rng.standard_normal((6, 1)),
             c: rng.standard_normal((1, 5)), z: rng.standard_normal((5, 6))}
    xv, mv, cv, zv = feeds.values()
    with gc.Session(graph, backend="numba") as sess:
        got_m, got_c = sess.run([grad_m, grad_c], feeds)
    want = 2 * (xv - mv + cv) * zv.T  # the gradient of the sum at each element
    np.testing.assert_allclose(got_m, -want.sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(got_c, want.sum(axis=0, keepdims=True), rtol=1e-12)
    with gc.Session(graph, backend="numba") as sess:
        for _ in range(2):  # the first run grows the workspace
            sess.run(total, feeds)
        (segment,) = _segments(sess)
        with native_allocations() as counted:
            sess.run(total, feeds)
    assert counted == [len(segment.inputs) + 1]  # its arguments and the workspace


def test_lifetimes_keep_a_buffer_until_the_last_reader_of_any_view_of_it():
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (2, 3), name="x")
        a = gc.exp(x, name="a")
        v = gc.reshape(a, (6,), name="v")  # a view of a's buffer
        b = gc.exp(a, name="b")
        c = gc.exp(v, name="c")  # read after b: a's memory lives until here
    nodes: list[Node] = [t.node for t in (a, v, b, c)]
    life = Lifetimes(nodes, lambda n: n.op == "reshape")
    assert life.root(v) is a and life.root(a) is a and life.sharing(a) == {a, v}
    assert life.last[a] == 3 and life.last[v] == 3 and life.last[b] == 2
    slots = plan_slots(nodes, [b, c], lambda n: n.op != "reshape", lambda n: n.op == "reshape")
    assert slots == {a: 0}  # b and c leave; a's slot is not reused before c has read v

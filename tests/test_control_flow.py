"""gc.cond and gc.while_loop: values, gradients against finite differences (zero trips
included), shape checks, and the seeds' DynamicNet at every depth."""

import dynamic_net
import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge

rng = np.random.default_rng(0)


def run(fetches, feeds=None):
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        return sess.run(fetches, feeds)


# -- cond -----------------------------------------------------------------------------------
def test_cond_runs_only_the_chosen_branch():
    p = gc.placeholder(gc.bool, ())
    a = gc.placeholder(gc.float64, (None,))
    b = gc.placeholder(gc.float64, (None,))
    y = gc.cond(p, lambda: a * 2, lambda: a - b)  # a - b fails when the lengths differ
    np.testing.assert_array_equal(run(y, {p: True, a: [1.0, 2.0], b: [1.0, 2.0, 3.0]}),
                                  [2.0, 4.0])
    with pytest.raises(gc.InvalidArgumentError, match="cond"):
        run(y, {p: False, a: [1.0, 2.0], b: [1.0, 2.0, 3.0]})


def test_cond_with_several_outputs_and_eager_pred():
    x = gc.placeholder(gc.float64, (2,))
    lo, hi = gc.cond(gc.reduce_sum(x) > 0, lambda: [x, x * 2], lambda: [-x, x * 3])
    got = run([lo, hi], {x: [1.0, 2.0]})
    np.testing.assert_array_equal(got[0], [1.0, 2.0])
    np.testing.assert_array_equal(got[1], [2.0, 4.0])
    assert gc.cond(ge.tensor(True), lambda: "yes", lambda: "no") == "yes"


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["true", "false"])
def test_cond_gradients(sign):
    def model(x, w):
        return gc.cond(gc.reduce_sum(x) > 0, lambda: gc.tanh(x * w), lambda: x * w * w)
    gc.test.check_gradients(model, [sign * rng.uniform(0.5, 1, 3), rng.standard_normal(3)])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_branch_or_body_returning_an_outer_tensor_passes_its_gradient(backend):
    """A branch that returns a placeholder or a Variable as it is, and a loop body that
    returns a captured tensor, pass the gradient to it (the identity's)."""
    graph = gc.Graph()
    with graph.as_default():
        x, w = gc.placeholder(gc.float64, (3,)), gc.placeholder(gc.float64, (3,))
        p = gc.placeholder(gc.bool, ())
        v = gc.Variable(np.arange(3.0))
        y = gc.cond(p, lambda: x, lambda: -x) + gc.cond(p, lambda: v, lambda: 2.0 * v)
        _, z = gc.while_loop(lambda i, a: i < 2, lambda i, a: (i + 1, w), [0, x])
        grads = gc.gradients(gc.reduce_sum(y), [x, v]) + gc.gradients(gc.reduce_sum(z), [x, w])
        init = gc.global_variables_initializer()
    with gc.Session(graph, backend=backend) as sess:
        sess.run(init)
        for taken, sign, scale in ((True, 1.0, 1.0), (False, -1.0, 2.0)):
            gx, gv, gzx, gzw = sess.run(grads, {x: np.ones(3), w: np.ones(3), p: taken})
            assert gx.tolist() == [sign] * 3 and gv.tolist() == [scale] * 3
            assert gzx.tolist() == [0.0] * 3 and gzw.tolist() == [1.0] * 3


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_gradient_differentiates_what_ran_though_the_closures_rebind(backend):
    """`v = cond(p, lambda: v * 3.0, lambda: v)` rebinds the v its lambdas read, and so
    does a loop whose body reads a name the loop's result is then given: the gradient is
    that of the graph the forward pass traced (d/dx 6x and 3x^2), not of the functions
    called again."""
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (3,))
        p = gc.placeholder(gc.bool, ())
        v = x * 2.0
        v = gc.cond(p, lambda: v * 3.0, lambda: v)
        s = x * 1.0
        _, s = gc.while_loop(lambda i, a: i < 2, lambda i, a: (i + 1, a * s), [0, x])
        grads = gc.gradients(gc.reduce_sum(v), [x]) + gc.gradients(gc.reduce_sum(s), [x])
    value = np.array([1.0, 2.0, -0.5])
    with gc.Session(graph, backend=backend) as sess:
        taken, loop = sess.run(grads, {x: value, p: True})
        skipped, _ = sess.run(grads, {x: value, p: False})
    assert taken.tolist() == [6.0] * 3 and skipped.tolist() == [2.0] * 3
    np.testing.assert_allclose(loop, 3.0 * value ** 2, rtol=1e-15)


def test_cond_errors():
    x = gc.placeholder(gc.float64, (2,))
    with pytest.raises(TypeError, match="pred must be a bool scalar"):
        gc.cond(x, lambda: x, lambda: x)
    with pytest.raises(TypeError, match="output 0 is float64 in true_fn but int32"):
        gc.cond(gc.reduce_sum(x) > 0, lambda: x, lambda: gc.constant([1, 2]))
    with pytest.raises(ValueError, match="the branches return 2 and 1 values"):
        gc.cond(gc.reduce_sum(x) > 0, lambda: [x, x], lambda: x)


@pytest.mark.parametrize("taken", [True, False])
def test_a_branch_waiting_for_an_outer_assignment_runs_it_whichever_branch_runs(taken):
    """A batch-norm-style branch: `with control_dependencies([update])` inside true_fn, on
    an assignment made outside. As in TensorFlow, the assignment runs on every run of the
    cond, whichever branch runs (it is not part of the branch), once a run, and before
    the run's reads of the variable, which see its value at the run's start (graphc's
    rule for reads, which TensorFlow leaves to the scheduler)."""
    v = gc.Variable(0.0, dtype=gc.float64)
    x = gc.placeholder(gc.float64, (None,))
    p = gc.placeholder(gc.bool, ())
    m = gc.reduce_mean(x)
    update = gc.assign(v, v * 0.9 + m * 0.1)

    def train():
        with gc.control_dependencies([update]):
            return x - m
    y = gc.cond(p, train, lambda: x - v)
    loss = gc.reduce_sum(y * y)
    (gx,) = gc.gradients(loss, [x])
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        got, grad = sess.run([y, gx], {x: [1.0, 3.0], p: taken})
        assert sess.run(v) == pytest.approx(0.2, abs=1e-15)  # one update, not two
        want = np.array([-1.0, 1.0]) if taken else np.array([1.0, 3.0]) - 0.0
        np.testing.assert_allclose(got, want, rtol=1e-15)
        # d/dx sum((x - mean x)^2) = 2 (x - mean x); d/dx sum((x - v)^2) = 2 (x - v)
        np.testing.assert_allclose(grad, 2 * want, rtol=1e-15)
        sess.run(y, {x: [1.0, 3.0], p: not taken})
        assert sess.run(v) == pytest.approx(0.38, abs=1e-15)


def test_nested_control_flow_waits_for_the_outermost_node():
    v = gc.Variable(1.0, dtype=gc.float64)
    double = gc.assign(v, v * 2.0)
    p = gc.placeholder(gc.bool, ())

    def inner():
        with gc.control_dependencies([double]):
            return gc.constant(1.0, gc.float64)
    y = gc.cond(p, lambda: gc.cond(p, inner, lambda: gc.constant(2.0, gc.float64)),
                lambda: gc.constant(3.0, gc.float64))
    _, total = gc.while_loop(lambda i, t: i < 3, lambda i, t: (i + 1, t + y),
                             [gc.constant(0), gc.constant(0.0, gc.float64)])
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        assert sess.run(total, {p: True}) == 3.0
        assert sess.run(v) == 2.0  # once a run, though the loop ran three trips


def test_a_control_dependency_on_another_graph_is_refused():
    other = gc.Graph()
    with other.as_default():
        stranger = gc.no_op(name="stranger")
    with pytest.raises(ValueError, match="control dependency 'stranger' belongs to another "
                                         "graph"):
        with gc.control_dependencies([stranger]):
            gc.constant(1.0)


# -- while_loop -----------------------------------------------------------------------------
def loop(x, w, trips):
    _, h = gc.while_loop(lambda i, h: i < trips, lambda i, h: (i + 1, gc.tanh(h * w) + h),
                         [0, x])
    return h


@pytest.mark.parametrize("trips", [0, 1, 3])
def test_while_loop_values_and_gradients(trips):
    x, w = rng.standard_normal(3), rng.standard_normal(3)
    want = x.copy()
    for _ in range(trips):
        want = np.tanh(want * w) + want
    np.testing.assert_allclose(run(loop(gc.constant(x), gc.constant(w), trips)), want,
                               rtol=1e-14)
    report = gc.test.check_gradients(lambda a, b: loop(a, b, trips), [x, w])
    assert report.checked == 6


def test_fed_trip_count_compiles_once_and_weight_sharing_sums():
    n = gc.placeholder(gc.int32, ())
    x = gc.placeholder(gc.float64, (3,))
    w = gc.Variable(np.array([0.5, -1.0, 2.0]))
    _, h = gc.while_loop(lambda i, h: i < n, lambda i, h: (i + 1, h * w), [0, x])
    (gw,) = gc.gradients(gc.reduce_sum(h), [w])
    value = np.array([1.0, 2.0, 3.0])
    with gc.Session() as sess:
        sess.run(w.initializer)
        compiled = len(sess._cache)
        for k in range(4):
            # h = x w^k, so dh/dw = k x w^(k-1): the k trips' contributions summed
            np.testing.assert_allclose(sess.run(gw, {n: k, x: value}),
                                       k * value * w_value(k - 1), rtol=1e-14)
        assert len(sess._cache) == compiled + 1  # four depths, one compiled program


def w_value(power):
    return np.array([0.5, -1.0, 2.0]) ** power if power >= 0 else np.zeros(3)


def test_maximum_iterations_and_nesting():
    x = gc.placeholder(gc.float64, ())
    i, h = gc.while_loop(lambda i, h: h < 1000.0, lambda i, h: (
        i + 1, gc.cond(h > 10.0, lambda: h * 10.0, lambda: h + 1.0)), [0, x],
        maximum_iterations=5)
    assert list(run([i, h], {x: 1.0})) == [5, 6.0]
    assert list(run([i, h], {x: 9.0})) == [4, 1100.0]


def test_shapes_must_not_change():
    x = gc.placeholder(gc.float64, (3,))
    with pytest.raises(ValueError, match=r"loop variable 1 enters as float64\(3,\) but the "
                                         r"body returns float64\(4,\)"):
        gc.while_loop(lambda i, h: i < 2, lambda i, h: (i + 1, gc.ones((4,), gc.float64)),
                      [0, x])
    y = gc.placeholder(gc.float64, (None,))
    _, grown = gc.while_loop(lambda i, h: i < 2, lambda i, h: (i + 1, h[1:]), [0, y])
    with pytest.raises(gc.InvalidArgumentError, match="loop variable 1 changed shape"):
        run(grown, {y: np.ones(4)})


def test_state_cannot_be_created_inside_control_flow():
    x = gc.placeholder(gc.float64, (2,))
    v = gc.Variable(np.zeros(2))
    with pytest.raises(ValueError, match="assign .* Variables and assignments cannot be"):
        gc.cond(gc.reduce_sum(x) > 0, lambda: v.assign(x), lambda: x)
    with pytest.raises(ValueError, match="random_normal .* nor random ops inside a while_loop"):
        gc.while_loop(lambda h: gc.reduce_sum(h) < 5.0,
                      lambda h: h + gc.random_normal((2,), dtype=gc.float64), [x])
    batch = gc.placeholder(gc.float64, (None,))  # (dropout then draws like its input)
    with pytest.raises(ValueError, match="random_uniform_like .* on values a cond branch"):
        gc.cond(gc.reduce_sum(batch) > 0, lambda: gc.nn.dropout(batch * 2.0, keep_prob=0.5),
                lambda: batch)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_dropout_in_a_cond_branch_draws_each_run_and_its_gradient_uses_the_draw(backend):
    """TensorFlow 1's `cond(is_training, lambda: dropout(h), lambda: h)`: the branch's
    random op is made outside it, so it draws every run; the gradient sees the forward
    pass's mask."""
    graph = gc.Graph()
    with graph.as_default():
        gc.set_random_seed(1)
        x = gc.placeholder(gc.float64, (None, 8))
        training = gc.placeholder(gc.bool, ())
        w = gc.Variable(np.eye(8) * 3.0)
        h = gc.matmul(x, w)
        y = gc.cond(training, lambda: gc.nn.dropout(h, keep_prob=0.5), lambda: h)
        loss = gc.reduce_sum(y * y)
        grad_x, = gc.gradients(loss, [x])
        init = gc.global_variables_initializer()
    x_value = np.ones((4, 8))
    with gc.Session(graph, backend=backend) as sess:
        sess.run(init)
        first, gx = sess.run([y, grad_x], {x: x_value, training: True})
        kept = first != 0.0
        assert set(np.unique(first)) <= {0.0, 6.0} and 0 < kept.sum() < kept.size
        # loss = sum((2 * mask * x @ w)^2): d/dx = 2 * y * 2 * mask @ w.T
        np.testing.assert_allclose(gx, (2.0 * first * 2.0 * kept) @ (np.eye(8) * 3.0).T,
                                   rtol=1e-15)
        second = sess.run(y, {x: x_value, training: True})
        assert not np.array_equal(first, second)  # a new draw each run
        assert (sess.run(y, {x: x_value, training: False}) == 3.0).all()


def test_no_second_derivative_through_while_loops():
    x = gc.placeholder(gc.float64, (2,))
    (g,) = gc.gradients(gc.reduce_sum(loop(x, x, 2)), [x])
    with pytest.raises(LookupError, match="no gradient is defined for while_grad"):
        gc.gradients(gc.reduce_sum(g), [x])


def test_eager_while_loop_is_a_python_loop():
    w = ge.tensor([2.0], requires_grad=True)
    i, h = gc.while_loop(lambda i, h: i < 3, lambda i, h: (i + 1, h * w), [0, ge.tensor([1.0])])
    assert i == 3 and h.item() == 8.0
    h.backward()
    assert w.grad.item() == 12.0  # d(w^3)/dw


# -- DynamicNet -----------------------------------------------------------------------------
def numpy_dynamic_net(model, x, depth):
    p = {name: t.array for name, t in model.named_parameters()}

    def linear(name, v):
        return v @ p[f"{name}.weight"].T + p[f"{name}.bias"]

    h = np.maximum(linear("input_linear", x), 0)
    for _ in range(depth):
        h = np.maximum(linear("middle_linear", h), 0)
    return linear("output_linear", h)


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_dynamic_net_at_every_depth(depth):
    ge.manual_seed(depth)
    model = dynamic_net.DynamicNet(5, 4, 2)
    x_value = rng.standard_normal((3, 5))
    x = gc.placeholder(gc.float64, (None, 5))
    d = gc.placeholder(gc.int32, ())
    y = model(x, d)
    loss = gc.reduce_sum(y * y)
    variables = [p.variable(x.graph) for p in model.parameters()]
    grads = gc.gradients(loss, variables)
    with gc.Session() as sess:
        got, *static = sess.run([y, *grads], {x: x_value, d: depth})
        np.testing.assert_allclose(got, numpy_dynamic_net(model, x_value, depth), rtol=1e-13)
        middle = variables[2]  # middle_linear.weight
        gc.test.check_gradients(loss, [middle], feed_dict={x: x_value, d: depth},
                                session=sess)
    eager_loss = (model(ge.tensor(x_value), depth) ** 2).sum()
    eager_loss.backward()
    for (name, p), g in zip(model.named_parameters(), static):
        want = np.zeros_like(p.array) if p.grad is None else p.grad.array
        np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-14, err_msg=name)


def test_a_capture_made_inside_control_dependencies_leaves_them_to_its_readers():
    """A branch's capture of an outer tensor is fed, never run: the node reading it inside
    control_dependencies waits for the check itself (as TensorFlow's captures are made)."""
    x, y = gc.placeholder(gc.float64, (2,)), gc.placeholder(gc.float64, (2,))

    def checked():
        with gc.control_dependencies([gc.check_numerics(y, "y is bad")]):
            return gc.identity(x)
    out = gc.cond(gc.constant(True), checked, lambda: x)
    for optimize in (True, False):
        with gc.Session(optimize=optimize) as sess:
            with pytest.raises(gc.InvalidArgumentError, match="y is bad"):
                sess.run(out, {x: [1.0, 2.0], y: [np.nan, 0.0]})


def test_an_imported_graph_differentiates_dropout_under_cond(tmp_path):
    """A graph file holds the traced branches, not the user's functions: the imported
    cond's gradient copies them, and skips the random draw its branch reads."""
    graph = gc.Graph()
    with graph.as_default():
        x = gc.placeholder(gc.float64, (None, 4), name="x")
        p = gc.placeholder(gc.bool, (), name="p")
        w = gc.Variable(np.eye(4) * 2.0, name="w")
        h = gc.matmul(x, w)
        h = gc.cond(p, lambda: gc.nn.dropout(h, keep_prob=0.5), lambda: h)
        gc.identity(gc.reduce_sum(h * h), name="loss")
    gc.export_graph(graph, tmp_path / "model.json")
    copy = gc.import_graph(tmp_path / "model.json")
    with copy.as_default():
        grad_w, = gc.gradients(copy.get_tensor_by_name("loss:0"), copy.variables)
        init = gc.variables_initializer(copy.variables)
    feeds = {copy.get_tensor_by_name("x:0"): np.ones((3, 4)),
             copy.get_tensor_by_name("p:0"): False}
    with gc.Session(copy, backend="numpy") as sess:
        sess.run(init)
        # no dropout taken: loss = sum((x @ w)^2), d/dw = 2 x.T (x @ w) = 12 everywhere
        np.testing.assert_array_equal(sess.run(grad_w, feeds), np.full((4, 4), 12.0))

"""gc.train (TensorFlow 1's optimizers) against TensorFlow's formulas in numpy, on both CPU
backends; minimize / compute_gradients / apply_gradients, var_list, the global step, slots;
the update folding into one gemm; gc.optim on graph Variables; gc.assign and friends; the
default session, InteractiveSession, Tensor.eval and Operation.run."""

import threading

import numpy as np
import pytest

import graphc as gc
from graphc.passes.pipeline import build_program

STEPS = 5
BACKENDS = ["numpy", "numba"]
rng = np.random.default_rng(7)
X = rng.standard_normal((8, 3))
Y = rng.standard_normal((8, 2))
W0 = rng.standard_normal((3, 2))
B0 = rng.standard_normal(2)


# -- TensorFlow 1's update formulas, in numpy (float64), one step of one variable; `s` holds
# the variable's slots between steps (absent: their initial values) -----------------------------
def tf_gradient_descent(p, g, s, t, learning_rate):
    return p - learning_rate * g


def tf_momentum(p, g, s, t, learning_rate, momentum, use_nesterov=False):
    s["accum"] = s.get("accum", 0.0) * momentum + g
    if use_nesterov:
        return p - (learning_rate * g + learning_rate * momentum * s["accum"])
    return p - learning_rate * s["accum"]


def tf_adam(p, g, s, t, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
    lr_t = learning_rate * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    s["m"] = beta1 * s.get("m", 0.0) + (1 - beta1) * g
    s["v"] = beta2 * s.get("v", 0.0) + (1 - beta2) * g * g
    return p - lr_t * s["m"] / (np.sqrt(s["v"]) + epsilon)


def tf_rmsprop(p, g, s, t, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10,
               centered=False):
    s["ms"] = decay * s.get("ms", 1.0) + (1 - decay) * g * g  # TF 1 starts mean_square at 1
    denominator = s["ms"] + epsilon
    if centered:
        s["mg"] = decay * s.get("mg", 0.0) + (1 - decay) * g
        denominator = s["ms"] - s["mg"] ** 2 + epsilon
    s["mom"] = momentum * s.get("mom", 0.0) + learning_rate * g / np.sqrt(denominator)
    return p - s["mom"]


def tf_adagrad(p, g, s, t, learning_rate, initial_accumulator_value=0.1):
    s["acc"] = s.get("acc", initial_accumulator_value) + g * g
    return p - learning_rate * g / np.sqrt(s["acc"])


def pytorch_adam(p, g, s, t, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
    s["m"] = beta1 * s.get("m", 0.0) + (1 - beta1) * g
    s["v"] = beta2 * s.get("v", 0.0) + (1 - beta2) * g * g
    return p - learning_rate * (s["m"] / (1 - beta1 ** t)) / (
        np.sqrt(s["v"] / (1 - beta2 ** t)) + epsilon)


CONFIGS = {
    "gradient_descent": (gc.train.GradientDescentOptimizer, tf_gradient_descent,
                         dict(learning_rate=0.02)),
    "momentum": (gc.train.MomentumOptimizer, tf_momentum,
                 dict(learning_rate=0.02, momentum=0.9)),
    "nesterov": (gc.train.MomentumOptimizer, tf_momentum,
                 dict(learning_rate=0.02, momentum=0.8, use_nesterov=True)),
    "adam": (gc.train.AdamOptimizer, tf_adam, dict(learning_rate=0.1)),
    "adam_options": (gc.train.AdamOptimizer, tf_adam,
                     dict(learning_rate=0.05, beta1=0.8, beta2=0.99, epsilon=1e-3)),
    "rmsprop": (gc.train.RMSPropOptimizer, tf_rmsprop, dict(learning_rate=0.01)),
    "rmsprop_centered": (gc.train.RMSPropOptimizer, tf_rmsprop,
                         dict(learning_rate=0.01, decay=0.8, momentum=0.5, epsilon=1e-6,
                              centered=True)),
    "adagrad": (gc.train.AdagradOptimizer, tf_adagrad, dict(learning_rate=0.1)),
    "adagrad_options": (gc.train.AdagradOptimizer, tf_adagrad,
                        dict(learning_rate=0.3, initial_accumulator_value=0.5)),
}


def reference(update, hyper, steps=STEPS):
    """w and b after `steps` updates on the least-squares loss sum((X w + b - Y)^2)."""
    w, b, sw, sb = W0.copy(), B0.copy(), {}, {}
    for t in range(1, steps + 1):
        r = X @ w + b - Y
        gw, gb = 2 * X.T @ r, 2 * r.sum(axis=0)
        w, b = update(w, gw, sw, t, **hyper), update(b, gb, sb, t, **hyper)
    return w, b


def least_squares():
    x = gc.placeholder(gc.float64, (8, 3), name="x")
    y = gc.placeholder(gc.float64, (8, 2), name="y")
    w = gc.Variable(W0, name="w")
    b = gc.Variable(B0, name="b")
    loss = gc.reduce_sum(gc.square(gc.matmul(x, w) + b - y), name="loss")
    return x, y, w, b, loss


def train(train_op, w, b, x, y, backend, steps=STEPS):
    with gc.Session(backend=backend) as sess:
        sess.run(gc.global_variables_initializer())
        for _ in range(steps):
            sess.run(train_op, {x: X, y: Y})
        return sess.run([w, b])


@pytest.mark.filterwarnings("error::graphc.runtime.backend.FallbackWarning")  # native code
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("config", list(CONFIGS))
def test_optimizer_matches_tensorflows_formula(config, backend):
    opt_class, update, hyper = CONFIGS[config]
    x, y, w, b, loss = least_squares()
    w_value, b_value = train(opt_class(**hyper).minimize(loss), w, b, x, y, backend)
    w_expected, b_expected = reference(update, hyper)
    np.testing.assert_allclose(w_value, w_expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b_value, b_expected, rtol=1e-10, atol=1e-12)
    assert not np.allclose(w_expected, W0)  # it moved


def test_tensorflows_adam_is_not_pytorchs():
    hyper = CONFIGS["adam_options"][2]
    tf_w, _ = reference(tf_adam, hyper)
    torch_w, _ = reference(pytorch_adam, hyper)
    assert np.abs(tf_w - torch_w).max() > 1e-4  # epsilon: outside sqrt(v), not sqrt(v_hat)


@pytest.mark.parametrize("backend", BACKENDS)
def test_global_step_counts_the_updates(backend):
    x, y, w, b, loss = least_squares()
    global_step = gc.train.get_or_create_global_step()
    assert gc.train.get_or_create_global_step() is global_step
    assert gc.train.get_global_step() is global_step
    assert (global_step.name, global_step.dtype, global_step.shape) == \
        ("global_step:0", gc.int64, ())
    assert not global_step.trainable and global_step not in gc.trainable_variables()
    op = gc.train.AdamOptimizer(0.1).minimize(loss, global_step=global_step)
    with gc.Session(backend=backend) as sess:
        sess.run(gc.global_variables_initializer())
        assert gc.train.global_step(sess, global_step) == 0
        for _ in range(4):
            sess.run(op, {x: X, y: Y})
        assert gc.train.global_step(sess, global_step) == 4
        w_value = sess.run(w)
    np.testing.assert_allclose(w_value, reference(tf_adam, dict(learning_rate=0.1), 4)[0],
                               rtol=1e-10)


def test_a_variable_named_global_step_is_the_global_step():
    assert gc.train.get_global_step() is None
    step = gc.Variable(0, name="global_step", trainable=False, dtype=gc.int32)
    assert gc.train.get_global_step() is step
    assert gc.train.get_or_create_global_step() is step


def test_compute_then_apply_gradients_equals_minimize():
    results = []
    for split in (False, True):
        gc.reset_default_graph()
        x, y, w, b, loss = least_squares()
        opt = gc.train.AdamOptimizer(0.05)
        step = gc.train.get_or_create_global_step()
        if split:
            grads_and_vars = opt.compute_gradients(loss)
            assert [v for _, v in grads_and_vars] == [w, b]
            assert all(isinstance(g, gc.Tensor) and g.shape == v.shape
                       for g, v in grads_and_vars)
            op = opt.apply_gradients(grads_and_vars, global_step=step)
        else:
            op = opt.minimize(loss, global_step=step)
        assert isinstance(op, gc.Node) and op.name == "Adam"
        with gc.Session() as sess:
            sess.run(gc.global_variables_initializer())
            for _ in range(3):
                sess.run(op, {x: X, y: Y})
            results.append(sess.run([w, b, step]))
    for a, b_ in zip(*results):
        np.testing.assert_array_equal(a, b_)


def test_processed_gradients_are_applied():
    """What TF 1 programs do between the two calls: clip, scale."""
    x, y, w, b, loss = least_squares()
    opt = gc.train.GradientDescentOptimizer(0.01)
    grads_and_vars = [(g * 0.5, v) for g, v in opt.compute_gradients(loss)]
    w_value, b_value = train(opt.apply_gradients(grads_and_vars), w, b, x, y, "numpy")
    w_expected, b_expected = reference(tf_gradient_descent, dict(learning_rate=0.005))
    np.testing.assert_allclose(w_value, w_expected, rtol=1e-12)
    np.testing.assert_allclose(b_value, b_expected, rtol=1e-12)


def test_var_list_restricts_the_update():
    x, y, w, b, loss = least_squares()
    frozen = gc.Variable(np.ones(2), name="frozen", trainable=False)
    unused = gc.Variable(np.ones(3), name="unused")
    opt = gc.train.MomentumOptimizer(0.02, 0.9)
    op = opt.minimize(loss + gc.reduce_sum(frozen), var_list=[w])
    assert opt.get_slot(w, "momentum") is not None and opt.get_slot(b, "momentum") is None
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        for _ in range(3):
            sess.run(op, {x: X, y: Y})
        w_value, b_value, frozen_value = sess.run([w, b, frozen])
    assert not np.allclose(w_value, W0)
    np.testing.assert_array_equal(b_value, B0)
    np.testing.assert_array_equal(frozen_value, np.ones(2))
    # by default: the trainable variables; one the loss does not use gets None, no update
    pairs = opt.compute_gradients(loss)
    assert [v for _, v in pairs] == [w, b, unused] and pairs[2][0] is None
    opt.apply_gradients(pairs)
    assert opt.get_slot(unused, "momentum") is None


def test_slots_have_tensorflows_names_and_are_made_once():
    x, y, w, b, loss = least_squares()
    opt = gc.train.AdamOptimizer()
    opt.minimize(loss)
    assert opt.get_slot_names() == ["m", "v"]
    assert (opt.get_slot(w, "m").name, opt.get_slot(w, "v").name) == ("w/Adam:0", "w/Adam_1:0")
    slots = opt.variables()
    opt.minimize(2.0 * loss)  # a second update op shares the slots and the step count
    assert opt.variables() == slots and len(slots) == 5  # m, v of w and b; the step
    rms = gc.train.RMSPropOptimizer(0.01, centered=True)
    rms.minimize(loss, var_list=[b])
    assert [rms.get_slot(b, n).name for n in ("rms", "mg", "momentum")] == \
        ["b/RMSProp:0", "b/RMSProp_1:0", "b/RMSProp_2:0"]
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(rms.get_slot(b, "rms")), [1.0, 1.0])
        np.testing.assert_array_equal(sess.run(rms.get_slot(b, "mg")), [0.0, 0.0])


def test_learning_rate_may_be_a_tensor():
    x, y, w, b, loss = least_squares()
    lr = gc.placeholder(gc.float32, (), name="lr")  # cast to the variables' dtype
    op = gc.train.GradientDescentOptimizer(lr).minimize(loss)
    with gc.Session() as sess:
        sess.run(gc.global_variables_initializer())
        for _ in range(STEPS):
            sess.run(op, {x: X, y: Y, lr: 0.015625})  # exact in float32
        w_value = sess.run(w)
    np.testing.assert_allclose(
        w_value, reference(tf_gradient_descent, dict(learning_rate=0.015625))[0], rtol=1e-12)


def test_errors():
    x, y, w, b, loss = least_squares()
    opt = gc.train.GradientDescentOptimizer(0.1)
    other = gc.Variable(np.ones(3), name="other")
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.minimize(loss, var_list=[other])
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply_gradients([(None, w)])
    with pytest.raises(ValueError, match="No variables provided"):
        opt.apply_gradients([])
    with pytest.raises(ValueError, match="No variables to optimize"):
        opt.minimize(loss, var_list=[])
    with pytest.raises(TypeError, match="not a gc.Variable"):
        opt.minimize(loss, var_list=[loss])
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive"):
        gc.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)
    assert gc.train.Saver is gc.Saver


def matmul_layer():
    x = gc.placeholder(gc.float64, (16, 8), name="x")
    y = gc.placeholder(gc.float64, (16, 4), name="y")
    w = gc.Variable(rng.standard_normal((8, 4)), name="w")
    return x, y, w, gc.reduce_sum(gc.square(gc.matmul(x, w) - y))


@pytest.mark.parametrize("make", [lambda: gc.train.GradientDescentOptimizer(0.01),
                                  lambda: gc.train.MomentumOptimizer(0.01, 0.9)],
                         ids=["gradient_descent", "momentum"])
def test_the_update_folds_into_one_gemm(make):
    x, y, w, loss = matmul_layer()
    op = make().minimize(loss, global_step=gc.train.get_or_create_global_step())
    program = build_program([loss], [op], [x, y])
    (node,) = [n for n in program.schedule if n.op == "matmul_add"]
    assert node.attrs["transpose_a"]  # x^T @ (the loss's gradient), accumulated in one call
    assert "matmul" in [n.op for n in node.origin]
    unfolded = build_program([loss], [op], [x, y], disabled=["fold_update"])
    assert "matmul_add" not in [n.op for n in unfolded.schedule]


def test_momentum_is_pytorchs_sgd_with_momentum():
    """One formula, one definition: gc.train.MomentumOptimizer and gc.optim.SGD(momentum),
    here on graph Variables, give the same bits."""
    values = []
    for make in (lambda w, b: gc.train.MomentumOptimizer(0.02, 0.9, use_nesterov=True),
                 lambda w, b: gc.optim.SGD([w, b], lr=0.02, momentum=0.9, nesterov=True)):
        gc.reset_default_graph()
        x, y, w, b, loss = least_squares()
        values.append(train(make(w, b).minimize(loss), w, b, x, y, "numpy"))
    for a, b_ in zip(*values):
        np.testing.assert_array_equal(a, b_)


def test_optim_sgd_trains_graph_variables():
    x, y, w, b, loss = least_squares()
    w_value, b_value = train(gc.optim.SGD([w, b], lr=0.02).minimize(loss), w, b, x, y,
                             "numpy")
    w_expected, b_expected = reference(tf_gradient_descent, dict(learning_rate=0.02))
    np.testing.assert_allclose(w_value, w_expected, rtol=1e-12)
    np.testing.assert_allclose(b_value, b_expected, rtol=1e-12)


def test_assign_functions_call_the_methods():
    v = gc.Variable(np.array([1.0, 2.0]), name="v")
    a = gc.assign(v, [5.0, 6.0], name="set")
    add, sub = gc.assign_add(v, [1.0, 1.0]), gc.assign_sub(v, 0.5)
    assert a.node.op == add.node.op == sub.node.op == "assign" and a.name == "set:0"
    with gc.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(a), [5.0, 6.0])
        np.testing.assert_array_equal(sess.run(add), [6.0, 7.0])
        np.testing.assert_array_equal(sess.run(sub), [5.5, 6.5])
        np.testing.assert_array_equal(sess.run(v), [5.5, 6.5])
    with pytest.raises(TypeError, match="assign_add: ref must be a gc.Variable, got Tensor"):
        gc.assign_add(v + 1.0, 1.0)


def test_interactive_session_eval_and_run():
    x = gc.placeholder(gc.float64, (), name="x")
    v = gc.Variable(2.0, dtype=gc.float64, name="v")
    sess = gc.InteractiveSession()
    try:
        assert gc.session.get_default_session() is sess
        gc.global_variables_initializer().run()
        assert v.eval() == 2.0
        assert (v * x).eval(feed_dict={x: 3.0}) == 6.0
        gc.assign_add(v, x).op.run(feed_dict={x: 1.5})
        assert v.eval() == 3.5
    finally:
        sess.close()
    assert gc.session.get_default_session() is None
    with pytest.raises(ValueError, match=r"^Cannot evaluate tensor using `eval\(\)`: No default "
                       r"session is registered. Use `with sess.as_default\(\)` or pass an "
                       r"explicit session to `eval\(session=sess\)`$"):
        v.eval()
    with pytest.raises(ValueError, match=r"^Cannot execute operation using `run\(\)`: No "
                       "default session is registered"):
        v.initializer.run()


def test_with_session_and_as_default_make_the_default_session():
    v = gc.Variable(1.0, name="v")
    with gc.Session() as outer:
        outer.run(v.initializer)
        assert gc.session.get_default_session() is outer and v.eval() == 1.0
        inner = gc.Session()
        with inner.as_default():
            assert gc.session.get_default_session() is inner
            v.initializer.run()
            gc.assign(v, 7.0).op.run()
            assert v.eval() == 7.0
        assert gc.session.get_default_session() is outer and v.eval() == 1.0
        assert v.eval(session=inner) == 7.0  # as_default leaves it open
        inner.close()
        seen = []  # the default session is per thread
        thread = threading.Thread(target=lambda: seen.append(gc.session.get_default_session()))
        thread.start()
        thread.join()
        assert seen == [None]
    assert gc.session.get_default_session() is None
    other = gc.Graph()
    with other.as_default():
        c = gc.constant(1.0)
    with gc.Session(), pytest.raises(ValueError, match="the tensor's graph is different"):
        c.eval()
    with gc.Session(other) as sess:
        assert c.eval() == 1.0 and c.eval(session=sess) == 1.0

"""Updates and accumulators at the edges of what the numba backend writes in place (a fed
variable, a transposed or constant addend, an assignment whose value is read, a run
that fails part way): each must behave as on the numpy backend."""

import numpy as np
import pytest

import graphc as gc
from graphc import optim
from tests.runtime.backends import assert_agree, on_both


def test_an_update_never_writes_into_a_fed_value_of_its_variable():
    # feeding w's tensor overrides the read (TensorFlow); the in-place update then wrote
    # w - 0.1 * a into the caller's array, so each run started from the last one's result
    rng = np.random.default_rng(0)
    a0 = rng.standard_normal((3, 3))

    def build():
        w = gc.Variable(np.zeros((3, 3)), name="w")
        a = gc.placeholder(gc.float64, (3, 3), name="a")
        return w, a, w.assign(w - 0.1 * a), gc.global_variables_initializer()

    def run(sess, w, a, train, init):
        sess.run(init)
        fed = np.ones((3, 3))
        for _ in range(4):
            sess.run(train, {a: a0, w: fed})
        return [fed, sess.run(w)]

    results = on_both(build, run)
    np.testing.assert_array_equal(results["numba"][0], np.ones((3, 3)))  # the caller's array
    assert_agree(results)


def test_a_product_added_to_a_transposed_tensor():
    # a non-contiguous addend (once folded into matmul_add, whose `out = c if in_place else
    # scratch(...)` could not be typed for an 'A'-layout c; now the product's epilogue)
    rng = np.random.default_rng(1)
    values = [rng.standard_normal((3, 3)) for _ in range(3)]

    def build():
        a, b, c = (gc.placeholder(gc.float64, (3, 3)) for _ in range(3))
        return a, b, c, gc.transpose(c) + gc.matmul(a, b)

    def run(sess, a, b, c, y):
        return [sess.run(y, dict(zip((a, b, c), values)))]

    assert_agree(on_both(build, run))


def test_sgd_on_tied_weights():
    # the same case from autodiff: a tied autoencoder's gradient adds a transposed product
    # to a product (once folded into matmul_add with the transposed one as accumulator)
    rng = np.random.default_rng(2)
    x0, w0 = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)) * 0.5

    def build():
        x = gc.placeholder(gc.float64, (None, 4), name="x")
        w = gc.Variable(w0, name="w")
        h = gc.tanh(gc.matmul(x, w))
        loss = gc.reduce_sum(gc.square(gc.matmul(h, gc.transpose(w)) - x))
        train = optim.SGD([w], lr=0.01).minimize(loss)
        return x, w, train, gc.global_variables_initializer()

    def run(sess, x, w, train, init):
        sess.run(init)
        for _ in range(3):
            sess.run(train, {x: x0})
        return [sess.run(w)]

    assert_agree(on_both(build, run))


def test_a_product_subtracted_from_a_constant():
    # a read-only addend (a constant; once folded into matmul_add, which wrote through
    # `out`, typed as c's readonly array; now the product's epilogue)
    rng = np.random.default_rng(3)
    a0, b0, c0 = (rng.standard_normal((3, 3)) for _ in range(3))

    def build():
        a, b = gc.placeholder(gc.float64, (3, 3)), gc.placeholder(gc.float64, (3, 3))
        return a, b, gc.constant(c0) - gc.matmul(a, b)

    def run(sess, a, b, y):
        return [sess.run(y, {a: a0, b: b0})]

    assert_agree(on_both(build, run))


def test_an_assignments_new_value_feeds_another_op():
    # plan() moves every assign after the segments, so the segment reading the assign's
    # result reads a name not yet bound (UnboundLocalError in the host program)
    def build():
        w = gc.Variable(np.ones((3, 3)), name="w")
        a = gc.placeholder(gc.float64, (3, 3), name="a")
        return w, a, w.assign(w - 0.1 * a) * 2, gc.global_variables_initializer()

    def run(sess, w, a, doubled, init):
        sess.run(init)
        return [sess.run(doubled, {a: np.ones((3, 3))}), sess.run(w)]

    assert_agree(on_both(build, run))


@pytest.mark.parametrize("update", [lambda n, d: gc.pow(n, d),
                                    lambda n, d: gc.pow(n, d) * 2 + 1],  # fused
                         ids=["pow", "fused pow"])
def test_a_failing_run_leaves_every_in_place_update_undone(update):
    # integer pow with a negative exponent fails in the last in-place update, after w's
    # update (and n's first elements) were written into the variables' buffers
    def build():
        w = gc.Variable(np.ones((3, 3)), name="w")
        n = gc.Variable(np.full((3,), 7, np.int64), name="n")
        a = gc.placeholder(gc.float64, (3, 3), name="a")
        d = gc.placeholder(gc.int64, (3,), name="d")
        train = gc.group(w.assign(w - 0.1 * a), n.assign(update(n, d)))
        return w, n, a, d, train, gc.global_variables_initializer()

    def run(sess, w, n, a, d, train, init):
        sess.run(init)
        for _ in range(3):  # the first run at these shapes proves them; then in place
            sess.run(train, {a: np.ones((3, 3)), d: np.ones(3, np.int64)})
        before = sess.run([w, n])
        with pytest.raises(gc.InvalidArgumentError):
            sess.run(train, {a: np.ones((3, 3)), d: np.array([1, 0, -1])})
        after = sess.run([w, n])
        for got, want in zip(after, before):
            np.testing.assert_array_equal(got, want)
        return after

    assert_agree(on_both(build, run))

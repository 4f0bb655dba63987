"""TensorFlow 1's cumulative sums and products, sorts, top-k, flips, band parts, einsum and
tensordot (graphc/ops/scan.py, sort.py, arrange.py, contract.py): values against numpy
(float64 to 1e-12, integers exactly), gradients against central finite differences
(gc.test.check_gradients), ties and NaN in sorts, errors by their words, and one run on
the numba backend, where the new ops fall back to their numpy references."""

import warnings

import numpy as np
import pytest

import graphc as tf
from graphc.runtime.backend import FallbackWarning

TOL = dict(rtol=1e-12, atol=1e-12)
rng = np.random.default_rng(21)
A = rng.standard_normal((3, 5))
B = rng.standard_normal((2, 3, 4))


def run(fetches, feeds=None, backend="numpy"):
    with tf.Session(backend=backend) as sess:
        return sess.run(fetches, feeds)


def fed(fn, *arrays, dynamic=True):
    """fn of float64 (or the arrays' own dtype) placeholders, with unknown dims if dynamic,
    run on the arrays."""
    holders = [tf.placeholder(tf.as_dtype(a.dtype), [None] * a.ndim if dynamic else a.shape)
               for a in arrays]
    return run(fn(*holders), dict(zip(holders, arrays)))


def numpy_cumsum(x, axis, exclusive, reverse):
    y = np.flip(x, axis) if reverse else x
    out = np.cumsum(y, axis)
    if exclusive:
        out = np.concatenate([np.zeros_like(np.take(out, [0], axis)),
                              np.delete(out, -1, axis)], axis)
    return np.flip(out, axis) if reverse else out


# -- cumsum and cumprod ---------------------------------------------------------------------
@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumsum_matches_numpy_with_tensorflows_flags(axis, exclusive, reverse):
    got = fed(lambda x: tf.cumsum(x, axis, exclusive=exclusive, reverse=reverse), B)
    np.testing.assert_allclose(got, numpy_cumsum(B, axis, exclusive, reverse), **TOL)
    tf.test.check_gradients(lambda x: tf.cumsum(x, axis, exclusive, reverse), [A[:2, :3]])


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_cumsum_and_cumprod_of_integers_are_exact_in_their_dtype(dtype):
    x = rng.integers(-5, 6, (3, 4)).astype(dtype)
    got = fed(lambda v: [tf.cumsum(v, 1), tf.cumprod(v, 0, exclusive=True),
                         tf.math.cumsum(v, 0, reverse=True)], x)
    assert [g.dtype for g in got] == [dtype] * 3
    np.testing.assert_array_equal(got[0], np.cumsum(x, 1))
    np.testing.assert_array_equal(got[1], np.concatenate([np.ones((1, 4), dtype),
                                                          np.cumprod(x, 0)[:-1]]))
    np.testing.assert_array_equal(got[2], np.flip(np.cumsum(np.flip(x, 0), 0), 0))


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumprod_matches_numpy_with_tensorflows_flags(exclusive, reverse):
    x = rng.uniform(0.5, 1.5, (3, 4))
    got = fed(lambda v: tf.cumprod(v, 1, exclusive=exclusive, reverse=reverse), x)
    y = np.flip(x, 1) if reverse else x
    want = np.cumprod(np.concatenate([np.ones((3, 1)), y[:, :-1]], 1) if exclusive else y, 1)
    np.testing.assert_allclose(got, np.flip(want, 1) if reverse else want, **TOL)
    tf.test.check_gradients(lambda v: tf.cumprod(v, 1, exclusive, reverse), [x])


@pytest.mark.parametrize("row", [[0.0, 1.5, -2.0, 0.7], [1.5, 0.0, -2.0, 0.0],
                                 [0.7, -1.2, 1.5, 0.0], [0.0, 0.0, 0.0, 2.0]],
                         ids=["first", "two", "last", "all-but-one"])
def test_the_gradient_of_cumprod_is_exact_at_zeros(row):
    x = np.array([row, [1.1, -0.9, 1.3, 0.8]])
    tf.test.check_gradients(lambda v: tf.cumprod(v, 1), [x])
    tf.test.check_gradients(lambda v: tf.cumprod(v, 1, exclusive=True, reverse=True), [x])


def test_the_gradient_of_cumprod_has_a_gradient_away_from_zeros():
    x, w = rng.uniform(0.5, 1.5, (2, 4)), rng.standard_normal((2, 4))
    tf.test.check_gradients(
        lambda v: tf.gradients(tf.reduce_sum(tf.cumprod(v, 1) * w), [v])[0], [x])


def test_cumulative_ops_refuse_bad_axes_and_bools():
    with pytest.raises(ValueError, match=r"cumsum: axis 2 is out of range for a tensor of "
                                         r"shape \(3, 5\)"):
        tf.cumsum(tf.constant(A), 2)
    with pytest.raises(TypeError, match="cumprod .*bool values is not supported"):
        tf.cumprod(tf.constant([True, False]))


# -- sort, argsort, top_k -------------------------------------------------------------------
TIES = rng.integers(0, 4, (4, 7)).astype(np.float64)  # many ties


def numpy_descending(x, axis=-1):
    """The stable descending order: equal values keep their order; NaN first."""
    flipped = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return x.shape[axis] - 1 - np.flip(flipped, axis)


@pytest.mark.parametrize("axis", [0, -1])
def test_sort_and_argsort_are_numpys_stable_sort_both_ways(axis):
    got = fed(lambda x: [tf.sort(x, axis), tf.argsort(x, axis),
                         tf.sort(x, axis, direction="DESCENDING"),
                         tf.argsort(x, axis, direction="DESCENDING")], TIES)
    order = np.argsort(TIES, axis=axis, kind="stable")
    np.testing.assert_array_equal(got[0], np.sort(TIES, axis=axis, kind="stable"))
    np.testing.assert_array_equal(got[1], order)
    assert got[1].dtype == np.int32
    down = numpy_descending(TIES, axis)
    np.testing.assert_array_equal(got[3], down)
    np.testing.assert_array_equal(got[2], np.take_along_axis(TIES, down, axis))
    np.testing.assert_array_equal(got[2], np.flip(np.sort(TIES, axis=axis), axis))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_sort_of_integers(dtype):
    x = rng.integers(-9, 9, (3, 6)).astype(dtype)
    values, indices = fed(lambda v: [tf.sort(v), tf.argsort(v, direction="DESCENDING")], x)
    assert values.dtype == dtype
    np.testing.assert_array_equal(values, np.sort(x, kind="stable"))
    np.testing.assert_array_equal(indices, numpy_descending(x))


def test_nan_sorts_as_the_largest_value():
    x = np.array([[2.0, np.nan, -1.0, np.nan, 0.5], [np.nan, 1.0, 1.0, -np.inf, np.inf]])
    up, up_index, down_index, (top, top_index) = fed(
        lambda v: [tf.sort(v), tf.argsort(v), tf.argsort(v, direction="DESCENDING"),
                   tf.nn.top_k(v, 3)], x)
    np.testing.assert_array_equal(up, np.sort(x, kind="stable"))  # NaNs last, as numpy's
    np.testing.assert_array_equal(up_index, np.argsort(x, kind="stable"))
    np.testing.assert_array_equal(down_index, [[1, 3, 0, 4, 2], [0, 4, 1, 2, 3]])
    np.testing.assert_array_equal(top_index, [[1, 3, 0], [0, 4, 1]])
    np.testing.assert_array_equal(top, [[np.nan, np.nan, 2.0], [np.nan, np.inf, 1.0]])


def test_top_k_takes_the_largest_lower_index_first_among_ties():
    x = tf.placeholder(tf.float64, [None, 7])
    result = tf.nn.top_k(x, k=3)
    assert result.values.shape == (None, 3) and result.indices.dtype == tf.int32
    values, indices = run(result, {x: TIES})
    want = numpy_descending(TIES)[:, :3]
    np.testing.assert_array_equal(indices, want)
    np.testing.assert_array_equal(values, np.take_along_axis(TIES, want, -1))
    assert tf.math.top_k is tf.nn.top_k
    empty = run(tf.nn.top_k(tf.constant(A), 0))
    assert empty.values.shape == (3, 0) and empty.indices.shape == (3, 0)


def test_gradients_flow_back_to_the_sorted_and_selected_values():
    x = rng.permutation(15).reshape(3, 5) * 0.1  # distinct: the order is smooth nearby
    tf.test.check_gradients(lambda v: tf.sort(v, axis=0, direction="DESCENDING"), [x])
    tf.test.check_gradients(lambda v: tf.nn.top_k(v, 2).values * 3.0, [x])
    ties = np.array([[1.0, 2.0, 2.0, 0.0]])  # the gradient goes to the element taken
    v = tf.placeholder(tf.float64, [1, 4])
    (g,) = tf.gradients(tf.nn.top_k(v, 2).values, [v], grad_ys=np.array([[10.0, 20.0]]))
    np.testing.assert_array_equal(run(g, {v: ties}), [[0.0, 10.0, 20.0, 0.0]])


def test_sort_errors_name_the_shapes():
    x = tf.constant(A)
    with pytest.raises(ValueError, match=r"top_k: k = 6 is out of range for axis 1 of shape "
                                         r"\(3, 5\): k must be at least 0 and at most 5"):
        tf.nn.top_k(x, 6)
    with pytest.raises(ValueError, match="top_k: k = -1 is out of range"):
        tf.nn.top_k(x, -1)
    with pytest.raises(ValueError, match=r"sort: axis 2 is out of range for a tensor of shape "
                                         r"\(3, 5\)"):
        tf.sort(x, 2)
    with pytest.raises(ValueError, match="direction must be 'ASCENDING' or 'DESCENDING', "
                                         "not 'UP'"):
        tf.argsort(x, direction="UP")
    p = tf.placeholder(tf.float64, [None, None])
    with pytest.raises(tf.InvalidArgumentError, match=r"k = 4 is out of range for axis 1 of "
                                                      r"shape \(2, 3\)"):
        run(tf.nn.top_k(p, 4), {p: np.zeros((2, 3))})


# -- reverse and matrix_band_part -----------------------------------------------------------
def test_reverse_is_numpys_flip_with_its_gradient():
    got = fed(lambda x: [tf.reverse(x, [0, 2]), tf.reverse(x, [-1]), tf.reverse(x, [])], B)
    np.testing.assert_array_equal(got[0], np.flip(B, (0, 2)))
    np.testing.assert_array_equal(got[1], np.flip(B, -1))
    np.testing.assert_array_equal(got[2], B)
    tf.test.check_gradients(lambda x: tf.reverse(x, [1]) * x, [A])
    with pytest.raises(ValueError, match=r"reverse: axis 1 is given twice in \[1, -1\] for "
                                         r"shape \(3, 5\)"):
        tf.reverse(tf.constant(A), [1, -1])


@pytest.mark.parametrize("lower, upper", [(0, -1), (-1, 0), (0, 0), (1, 2), (-1, -1), (2, 0)])
@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
def test_matrix_band_part_matches_numpys_triangles(lower, upper, dynamic):
    x = rng.standard_normal((2, 4, 5))
    want = x.copy()
    if lower >= 0:
        want = np.triu(want, -lower)
    if upper >= 0:
        want = np.tril(want, upper)
    got = fed(lambda v: tf.matrix_band_part(v, lower, upper), x, dynamic=dynamic)
    np.testing.assert_array_equal(got, want)
    ints = fed(lambda v: tf.linalg.band_part(v, lower, upper), (x * 10).astype(np.int32),
               dynamic=dynamic)
    np.testing.assert_array_equal(ints, (want * 10).astype(np.int32))
    tf.test.check_gradients(lambda v: tf.matrix_band_part(v, lower, upper), [x[0]])


def test_matrix_band_part_needs_a_matrix():
    with pytest.raises(ValueError, match=r"matrix_band_part: the input must have at least 2 "
                                         r"dimensions, got shape \(3,\)"):
        tf.matrix_band_part(tf.constant([1.0, 2.0, 3.0]), 0, -1)


# -- einsum and tensordot -------------------------------------------------------------------
EQUATIONS = [
    ("ij,jk->ik", [(3, 4), (4, 2)]),
    ("ij,jk", [(3, 4), (4, 2)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij->ji", [(3, 4)]),
    ("ijk->j", [(2, 3, 4)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,ij->", [(3, 4), (3, 4)]),
    ("ij,jk,kl->li", [(2, 3), (3, 4), (4, 2)]),
    ("...ij,jk->...ik", [(2, 2, 3), (3, 4)]),
    ("b...,...c->...bc", [(2, 3, 4), (3, 4, 5)]),
    ("...j,j", [(2, 3, 4), (4,)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
]


@pytest.mark.parametrize("equation, shapes", EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum_matches_numpy_with_its_gradient(equation, shapes):
    arrays = [rng.standard_normal(s) for s in shapes]
    want = np.einsum(equation, *arrays)
    np.testing.assert_allclose(fed(lambda *xs: tf.einsum(equation, *xs), *arrays), want, **TOL)
    static = fed(lambda *xs: tf.linalg.einsum(equation, *xs), *arrays, dynamic=False)
    np.testing.assert_allclose(static, want, **TOL)
    tf.test.check_gradients(lambda *xs: tf.einsum(equation, *xs), arrays)


def test_einsum_of_integers_and_its_shape_while_building():
    a, b = rng.integers(-4, 5, (3, 4)), rng.integers(-4, 5, (4, 2))
    np.testing.assert_array_equal(fed(lambda x, y: tf.einsum("ij,jk->ki", x, y), a, b),
                                  (a @ b).T)
    x = tf.placeholder(tf.float64, [None, 4])
    assert tf.einsum("bi,ij->jb", x, tf.zeros([4, 7], tf.float64)).shape == (7, None)


def test_einsum_errors_say_what_is_wrong():
    x, y = tf.constant(A), tf.constant(B)
    with pytest.raises(NotImplementedError, match="names dim 'i' twice in one operand"):
        tf.einsum("ii->i", tf.constant(np.eye(3)))
    with pytest.raises(ValueError, match=r"dim 'j' has sizes 5 and 3 in operands 'ij': "
                                         r"\(3, 5\), 'bjk': \(2, 3, 4\)"):
        tf.einsum("ij,bjk->bik", x, y)
    with pytest.raises(ValueError, match="has subscripts for 1 operands, but 2 were given"):
        tf.einsum("ij->i", x, x)
    with pytest.raises(ValueError, match="subscripts 'ijk' of equation 'ijk->i' do not fit "
                                         "an operand of rank 2"):
        tf.einsum("ijk->i", x)
    with pytest.raises(ValueError, match="each output subscript must appear once"):
        tf.einsum("ij->iq", x)
    p, q = tf.placeholder(tf.float64, [None, None]), tf.placeholder(tf.float64, [None, 2])
    with pytest.raises(tf.InvalidArgumentError, match="dim 'j' has sizes 3 and 4"):
        run(tf.einsum("ij,jk->ik", p, q), {p: np.ones((2, 3)), q: np.ones((4, 2))})


@pytest.mark.parametrize("axes", [2, 0, 1, [[0, 2], [1, 2]], [[2], [0]], ([1, 0], [2, 1])],
                         ids=str)
def test_tensordot_matches_numpy_with_its_gradient(axes):
    a, b = rng.standard_normal((3, 4, 5)), rng.standard_normal((5, 4, 3) if axes != 2
                                                               else (4, 5, 2))
    if axes == [[0, 2], [1, 2]]:
        b = rng.standard_normal((2, 3, 5))
    if axes == ([1, 0], [2, 1]):
        b = rng.standard_normal((2, 3, 4))
    if axes == 1:
        b = rng.standard_normal((5, 2))
    want = np.tensordot(a, b, axes)
    for dynamic in (False, True):  # (one None: a matmul; more: the einsum op)
        np.testing.assert_allclose(fed(lambda x, y: tf.tensordot(x, y, axes), a, b,
                                       dynamic=dynamic), want, **TOL)
    tf.test.check_gradients(lambda x, y: tf.tensordot(x, y, axes), [a, b])


def test_tensordot_is_a_matmul_where_its_shapes_allow_and_errors_name_them():
    x = tf.placeholder(tf.float64, [None, 4])
    out = tf.tensordot(x, tf.constant(rng.standard_normal((4, 3))), 1)
    assert out.shape == (None, 3)
    assert {n.op for n in tf.get_default_graph().nodes} >= {"matmul"}
    with pytest.raises(ValueError, match=r"axis 1 of a \(shape \(None, 4\)\) and axis 0 of b "
                                         r"\(shape \(5,\)\) differ in size"):
        tf.tensordot(x, tf.ones([5], tf.float64), 1)
    with pytest.raises(ValueError, match=r"tensordot: axes = 3 must be in 0..1"):
        tf.tensordot(x, tf.ones([4], tf.float64), 3)


# -- the numba backend runs them on their references ----------------------------------------
def test_the_new_ops_run_on_the_numba_backend_as_on_numpy():
    # (small, so that little is compiled: the op records run on numba in tests/runtime)
    x = tf.placeholder(tf.float64, [None, 4])
    w = tf.placeholder(tf.float64, [4, 3])
    top = tf.nn.top_k(tf.cumsum(x, 1, reverse=True), 2)
    y = tf.einsum("bi,ij->bj", tf.sort(x), w)
    fetches = [y, top, tf.gradients(top.values, [x])[0], tf.gradients(y, [w])[0]]
    feeds = {x: rng.standard_normal((5, 4)), w: rng.standard_normal((4, 3))}
    want = run(fetches, feeds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FallbackWarning)  # (once per op and process)
        got = run(fetches, feeds, backend="numba")
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, **TOL)


def test_an_exclusive_scan_of_a_scalar_is_the_empty_sum_or_product():
    with tf.Session() as sess:
        assert sess.run([tf.cumsum(tf.constant(3.0), exclusive=True),
                         tf.cumprod(tf.constant(3.0), exclusive=True)]) == [0.0, 1.0]

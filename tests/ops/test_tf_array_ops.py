"""TensorFlow 1's spellings of the array ops and reductions (the values and gradients of
each op are checked by its records in op_cases.py): reduction_indices and keep_dims,
argmax's dimension, one_hot's options, negative axes; errors that name the op and the
shapes; and a TF1 classifier step with argmax accuracy and one_hot labels, native on numba."""

import warnings

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge
from graphc.graph import Node
from graphc.runtime import backend as runtime_backend
from graphc.runtime.cpu.codegen import Segment

rng = np.random.default_rng(5)
X = rng.standard_normal((3, 4, 5))
REDUCTIONS = ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
              "reduce_logsumexp"]
LOGICAL = ["reduce_any", "reduce_all"]


def run(fetches, feeds=None):
    with gc.Session() as sess:
        return sess.run(fetches, feeds or {})


def _input_for(name):
    return X > 0 if name in LOGICAL else X


# -- reductions: TensorFlow 1's argument names ---------------------------------------------
@pytest.mark.parametrize("name", REDUCTIONS + LOGICAL)
def test_reduction_indices_and_keep_dims_are_axis_and_keepdims(name):
    reduce = getattr(gc, name)
    x = gc.constant(_input_for(name))
    spelled = [reduce(x, reduction_indices=1, keep_dims=True),
               reduce(x, axis=1, keepdims=True),
               reduce(x, reduction_indices=[0, 2]),
               reduce(x, [0, 2]),
               reduce(input_tensor=x, axis=-1),
               reduce(x, 2)]
    assert spelled[0].shape == spelled[1].shape == (3, 1, 5)
    assert spelled[2].shape == (4,) and spelled[4].shape == (3, 4)
    values = run(spelled)
    np.testing.assert_array_equal(values[0], values[1])
    np.testing.assert_array_equal(values[2], values[3])
    np.testing.assert_array_equal(values[4], values[5])


@pytest.mark.parametrize("name", REDUCTIONS + LOGICAL)
def test_giving_both_names_of_one_argument_is_an_error(name):
    reduce = getattr(gc, name)
    x = gc.constant(_input_for(name))
    with pytest.raises(ValueError, match=f"{name}: give axis or reduction_indices"):
        reduce(x, axis=1, reduction_indices=1)
    with pytest.raises(ValueError, match=f"{name}: give keepdims or keep_dims"):
        reduce(x, 1, keepdims=True, keep_dims=True)


@pytest.mark.parametrize("name", REDUCTIONS + LOGICAL)
def test_an_axis_out_of_range_names_the_op_and_the_rank(name):
    x = gc.placeholder(gc.bool if name in LOGICAL else gc.float64, (None, 4))
    with pytest.raises(ValueError, match=f"{name}: axis 2 is out of range for a tensor of "
                                         "rank 2"):
        getattr(gc, name)(x, 2)


def test_an_axis_of_a_tensor_of_unknown_rank_asks_for_a_shape():
    x = gc.placeholder(gc.float64, name="features")
    with pytest.raises(ValueError, match=r"reduce_sum \(at .*test_tf_array_ops.py:\d+\): the "
                                         r"rank of 'features:0' must be known to reduce over "
                                         r"axis 0; give its placeholder a shape"):
        gc.reduce_sum(x, 0)
    np.testing.assert_array_equal(gc.Session().run(gc.reduce_sum(x), {x: X}), X.sum())


def test_numpy_integers_name_axes_too():
    x = gc.constant(X)
    for axis in (np.int64(1), [np.int32(1)], np.array([1])):
        assert gc.reduce_sum(x, axis).node.attrs["axis"] == (1,)
        assert type(gc.reduce_min(x, reduction_indices=axis).node.attrs["axis"][0]) is int


def test_reduction_values_against_numpy_with_negative_axes():
    x = gc.constant(X)
    values = run([gc.reduce_min(x, -1), gc.reduce_prod(x, (-3, -1), keep_dims=True),
                  gc.reduce_any(x > 2, -2), gc.reduce_all(x > -3, reduction_indices=(-1, 0))])
    np.testing.assert_array_equal(values[0], X.min(axis=2))
    np.testing.assert_allclose(values[1], X.prod(axis=(0, 2), keepdims=True), rtol=1e-14)
    np.testing.assert_array_equal(values[2], (X > 2).any(axis=1))
    np.testing.assert_array_equal(values[3], (X > -3).all(axis=(0, 2)))


def test_reductions_keep_the_dtype_and_check_it():
    ints = gc.constant(np.array([[2, 3], [4, 5]], np.int32))
    assert gc.reduce_min(ints).dtype == gc.int32 and gc.reduce_prod(ints, 1).dtype == gc.int32
    assert gc.reduce_any(ints > 2).dtype == gc.bool
    with pytest.raises(TypeError, match=r"reduce_any .*expects a bool tensor, got int32"):
        gc.reduce_any(ints)
    with pytest.raises(TypeError, match=r"reduce_prod .*expects numbers, got a bool"):
        gc.reduce_prod(ints > 2)
    with pytest.raises(TypeError, match="reduce_sum: axis must be an int or a tuple"):
        gc.reduce_sum(ints, gc.constant(1))


def test_reduce_min_of_an_empty_axis_fails_at_run_time_naming_the_op():
    x = gc.placeholder(gc.float64, (None, 3))
    with pytest.raises(gc.InvalidArgumentError, match=r"reduce_min .*\(0, 3\)"):
        run(gc.reduce_min(x, 0), {x: np.zeros((0, 3))})


def test_reduce_logsumexp_is_one_definition_exported_at_the_top():
    from graphc.nn import tf_functions

    assert gc.reduce_logsumexp is tf_functions.reduce_logsumexp
    big = np.array([[1000.0, 1000.0], [-np.inf, -np.inf]])
    np.testing.assert_allclose(run(gc.reduce_logsumexp(gc.constant(big), reduction_indices=1)),
                               [1000 + np.log(2), -np.inf])


def test_numpy_and_pytorch_methods_still_reduce():
    x = gc.constant(X)
    values = run([x.sum(1), x.mean(axis=-1, keepdims=True), np.mean(x)])
    np.testing.assert_allclose(values[0], X.sum(axis=1), rtol=1e-14)
    np.testing.assert_allclose(values[1], X.mean(axis=-1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(values[2], X.mean(), rtol=1e-14)


# -- argmax / argmin ------------------------------------------------------------------------
def test_argmax_spellings():
    x = gc.constant(X)
    spelled = [gc.argmax(x, 1), gc.argmax(x, dimension=1), gc.argmax(x, axis=-2),
               gc.argmax(x), gc.argmin(x, 2, output_type=gc.int32), gc.argmin(x, dimension=-1)]
    assert [t.dtype for t in spelled] == [gc.int64] * 4 + [gc.int32, gc.int64]
    assert spelled[3].shape == (4, 5)  # TensorFlow's default axis is 0
    values = run(spelled)
    for v in values[:3]:
        np.testing.assert_array_equal(v, X.argmax(axis=1))
    np.testing.assert_array_equal(values[3], X.argmax(axis=0))
    np.testing.assert_array_equal(values[4], X.argmin(axis=2))
    assert values[4].dtype == np.int32
    np.testing.assert_array_equal(values[5], X.argmin(axis=2))


def test_argmax_errors_name_the_op():
    x = gc.placeholder(gc.float32, (None, 4))
    with pytest.raises(ValueError, match="argmax: give axis or dimension"):
        gc.argmax(x, 1, dimension=1)
    with pytest.raises(ValueError, match=r"argmin: axis 2 is out of range for a tensor of "
                                         r"rank 2 \(shape \(None, 4\)\)"):
        gc.argmin(x, 2)
    with pytest.raises(TypeError, match="argmax: output_type must be int32 or int64"):
        gc.argmax(x, 1, output_type=gc.float32)
    with pytest.raises(TypeError, match="argmax: axis must be an int"):
        gc.argmax(x, gc.constant(1))
    with pytest.raises(ValueError, match=r"argmax .*axis 1 of shape \(None, 0\)"):
        gc.argmax(gc.placeholder(gc.float32, (None, 0)), 1)
    with pytest.raises(TypeError, match="argmax .*bool"):
        gc.argmax(x > 0, 1)


def test_argmax_has_no_gradient_and_blocks_none():
    x = gc.placeholder(gc.float64, (2, 3))
    loss = gc.reduce_sum(x * gc.cast(gc.argmax(x, 1), gc.float64)[:, None])
    (grad,) = gc.gradients(loss, [x])
    value = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(run(grad, {x: value}), np.full((2, 3), 2.0))


def test_argmax_and_one_hot_eagerly():
    t = ge.tensor(X)
    np.testing.assert_array_equal(gc.argmax(t, 2).data, X.argmax(axis=2))
    hot = gc.one_hot(ge.tensor(np.array([1, 0])), 3)
    np.testing.assert_array_equal(hot.data, np.float32([[0, 1, 0], [1, 0, 0]]))


# -- one_hot --------------------------------------------------------------------------------
def test_one_hot_options():
    i = gc.constant(np.array([[0, 2], [1, 7]]))
    outs = [gc.one_hot(i, 3), gc.one_hot(i, 3, axis=0), gc.one_hot(i, 3, axis=1),
            gc.one_hot(i, 3, on_value=2.5, off_value=-1.0), gc.one_hot(i, 3, 1, 0),
            gc.one_hot(i, 3, dtype=gc.bool), gc.one_hot(i, 3, dtype=gc.float64),
            gc.one_hot([2, -1], 3)]
    assert [t.shape for t in outs[:3]] == [(2, 2, 3), (3, 2, 2), (2, 3, 2)]
    assert [t.dtype for t in outs[3:7]] == [gc.float32, gc.int32, gc.bool, gc.float64]
    values = run(outs)
    hot = np.zeros((2, 2, 3), np.float32)
    for (a, b), c in np.ndenumerate(np.array([[0, 2], [1, 7]])):
        if c < 3:
            hot[a, b, c] = 1
    np.testing.assert_array_equal(values[0], hot)
    np.testing.assert_array_equal(values[1], np.moveaxis(hot, 2, 0))
    np.testing.assert_array_equal(values[2], np.moveaxis(hot, 2, 1))
    np.testing.assert_array_equal(values[3], hot * 3.5 - 1)
    np.testing.assert_array_equal(values[4], hot.astype(np.int32))
    np.testing.assert_array_equal(values[5], hot.astype(bool))
    np.testing.assert_array_equal(values[7], [[0, 0, 1], [0, 0, 0]])


def test_one_hot_with_tensor_values_passes_gradients_to_them():
    on, off = gc.placeholder(gc.float64, ()), gc.placeholder(gc.float64, ())
    hot = gc.one_hot([0, 1, 1], 2, on, off)
    assert hot.dtype == gc.float64 and hot.shape == (3, 2)
    grads = gc.gradients(gc.reduce_sum(hot), [on, off])
    value, d_on, d_off = run([hot, *grads], {on: 4.0, off: 0.5})
    np.testing.assert_array_equal(value, [[4.0, 0.5], [0.5, 4.0], [0.5, 4.0]])
    assert (d_on, d_off) == (3.0, 3.0)


def test_one_hot_errors_name_the_op_and_the_types():
    i = gc.placeholder(gc.int64, (None,))
    with pytest.raises(TypeError, match="one_hot: depth must be an int known when the graph "
                                        "is built, not a tensor"):
        gc.one_hot(i, gc.constant(3))
    with pytest.raises(ValueError, match="one_hot: depth must be >= 0"):
        gc.one_hot(i, -1)
    with pytest.raises(ValueError, match="one_hot: axis 2 is out of range for a tensor of "
                                         "rank 2"):
        gc.one_hot(i, 3, axis=2)
    with pytest.raises(TypeError, match=r"one_hot .*indices must be integers .*not float32"):
        gc.one_hot(gc.placeholder(gc.float32, (None,)), 3)
    with pytest.raises(TypeError, match="one_hot: cannot use float64 value 0.5 as a int32"):
        gc.one_hot(i, 3, on_value=0.5, dtype=gc.int32)
    with pytest.raises(TypeError, match="one_hot: on_value is float64, but the result's "
                                        "dtype is float32"):
        gc.one_hot(i, 3, on_value=gc.constant(1.0, gc.float64), dtype=gc.float32)


# -- expand_dims, squeeze ---------------------------------------------------------------------
def test_expand_dims_spellings_and_lowering():
    x = gc.placeholder(gc.float64, (None, 3))
    y = gc.placeholder(gc.float64, (None, None))
    outs = [gc.expand_dims(x, 1), gc.expand_dims(x, dim=-1), gc.expand_dims(x, axis=0),
            gc.expand_dims(y, 1)]
    assert [t.shape for t in outs] == [(None, 1, 3), (None, 3, 1), (1, None, 3),
                                       (None, 1, None)]
    # one unknown dim: a reshape (a view); two: the expand_dims op
    assert [t.node.op for t in outs] == ["reshape"] * 3 + ["expand_dims"]
    value = np.arange(6.0).reshape(2, 3)
    got = run(outs, {x: value, y: value})
    for v, a in zip(got, [1, 2, 0, 1]):
        np.testing.assert_array_equal(v, np.expand_dims(value, a))
    np.testing.assert_array_equal(gc.expand_dims(ge.tensor(value), -1).data, value[..., None])


def test_expand_dims_errors():
    x = gc.placeholder(gc.float64, (None, 3))
    with pytest.raises(ValueError, match=r"expand_dims: axis 3 is out of range for a tensor "
                                         r"of shape \(None, 3\) \(rank 3\)"):
        gc.expand_dims(x, 3)
    with pytest.raises(ValueError, match="expand_dims: give axis or dim"):
        gc.expand_dims(x, 0, dim=0)
    with pytest.raises(ValueError, match="expand_dims: axis is required"):
        gc.expand_dims(x)


def test_squeeze_spellings_and_lowering():
    x = gc.placeholder(gc.float64, (None, 1, 3, 1))
    y = gc.placeholder(gc.float64, (None, None, 1))
    outs = [gc.squeeze(x), gc.squeeze(x, 1), gc.squeeze(x, [-1, 1]), gc.squeeze(x, [3]),
            gc.squeeze(x, squeeze_dims=[1]), gc.squeeze(y, 1)]
    assert [t.shape for t in outs] == [(None, 3), (None, 3, 1), (None, 3), (None, 1, 3),
                                       (None, 3, 1), (None, 1)]
    assert [t.node.op for t in outs] == ["reshape"] * 5 + ["squeeze"]
    value = np.arange(6.0).reshape(2, 1, 3, 1)
    got = run(outs, {x: value, y: np.ones((2, 1, 1))})
    np.testing.assert_array_equal(got[0], value.reshape(2, 3))
    np.testing.assert_array_equal(got[3], value.reshape(2, 1, 3))
    np.testing.assert_array_equal(got[5], np.ones((2, 1)))


def test_squeeze_errors_name_the_shape():
    x = gc.placeholder(gc.float64, (None, 2, 1))
    with pytest.raises(ValueError, match=r"squeeze: cannot squeeze axis 1 of shape "
                                         r"\(None, 2, 1\): its size is 2, not 1"):
        gc.squeeze(x, 1)
    with pytest.raises(ValueError, match="squeeze: give axis or squeeze_dims"):
        gc.squeeze(x, 2, squeeze_dims=[2])
    with pytest.raises(ValueError, match="squeeze: axis -4 is out of range"):
        gc.squeeze(x, -4)
    y = gc.placeholder(gc.float64, (None, None))
    with pytest.raises(gc.InvalidArgumentError, match=r"squeeze .*\(3, 2\)"):
        run(gc.squeeze(y, 0), {y: np.ones((3, 2))})


# -- concat, stack, split, unstack -------------------------------------------------------------
def test_concat_spellings():
    a = gc.placeholder(gc.float64, (None, 2))
    b = np.arange(6.0).reshape(3, 2)  # arrays join as constants
    outs = [gc.concat([a, b], 0), gc.concat((a, a), axis=-1), gc.concat([a], 1)]
    assert [t.shape for t in outs] == [(None, 2), (None, 4), (None, 2)]
    value = np.ones((1, 2))
    got = run(outs, {a: value})
    np.testing.assert_array_equal(got[0], np.concatenate([value, b]))
    np.testing.assert_array_equal(got[1], np.ones((1, 4)))
    np.testing.assert_array_equal(got[2], value)


def test_concat_errors_name_the_shapes():
    a = gc.placeholder(gc.float64, (None, 2))
    with pytest.raises(ValueError, match=r"concat .*shapes \(None, 2\), \(4, 3\) differ in "
                                         r"dimension 1, which is not the axis 0"):
        gc.concat([a, gc.placeholder(gc.float64, (4, 3))], 0)
    with pytest.raises(TypeError, match=r"concat .*different dtypes: float64\(None, 2\) and "
                                        r"float32\(None, 2\)"):
        gc.concat([a, gc.placeholder(gc.float32, (None, 2))], 1)
    with pytest.raises(ValueError, match="concat: values must have one rank; got shapes "
                                         r"\(None, 2\), \(2,\)"):
        gc.concat([a, gc.placeholder(gc.float64, (2,))], 0)
    with pytest.raises(ValueError, match="concat: axis 2 is out of range"):
        gc.concat([a, a], 2)
    with pytest.raises(ValueError, match="concat: values is empty"):
        gc.concat([], 0)
    with pytest.raises(ValueError, match="concat: cannot join scalars"):
        gc.concat([gc.constant(1.0), gc.constant(2.0)], 0)
    b = gc.placeholder(gc.float64, (None, None))
    with pytest.raises(gc.InvalidArgumentError, match=r"concat .*\(2, 2\).*\(2, 3\)"):
        run(gc.concat([a, b], 0), {a: np.ones((2, 2)), b: np.ones((2, 3))})


def test_stack_and_unstack():
    a, b = gc.placeholder(gc.float64, (None, 3)), gc.placeholder(gc.float64, (None, 3))
    stacked = [gc.stack([a, b]), gc.stack([a, b], axis=-1), gc.stack([a])]
    assert [t.shape for t in stacked] == [(2, None, 3), (None, 3, 2), (1, None, 3)]
    parts = gc.unstack(stacked[1], axis=-1)
    assert len(parts) == 2 and parts[0].shape == (None, 3)
    va, vb = np.ones((4, 3)), np.arange(12.0).reshape(4, 3)
    got = run(stacked + parts, {a: va, b: vb})
    np.testing.assert_array_equal(got[0], np.stack([va, vb]))
    np.testing.assert_array_equal(got[1], np.stack([va, vb], -1))
    np.testing.assert_array_equal(got[2], va[None])
    np.testing.assert_array_equal(got[4], vb)
    with pytest.raises(ValueError, match=r"stack: values must have one shape; got shapes "
                                         r"\(2, 3\), \(3, 3\)"):
        gc.stack([np.ones((2, 3)), np.ones((3, 3))])
    with pytest.raises(ValueError, match=r"unstack: the number of slices \(axis 0 of shape "
                                         r"\(None, 3\)\) is not known; give num"):
        gc.unstack(a)
    with pytest.raises(ValueError, match="unstack: num is 2 but axis 1 of shape"):
        gc.unstack(a, num=2, axis=1)


def test_split_spellings():
    x = gc.placeholder(gc.float64, (None, 6))
    halves = gc.split(x, 2, axis=1)
    sized = gc.split(x, [1, -1, 2], axis=-1, num=3)
    rows = gc.split(x, 2)  # the batch, cut at run time
    assert [t.shape for t in halves + sized + rows] == [(None, 3)] * 2 + [
        (None, 1), (None, 3), (None, 2)] + [(None, 6)] * 2
    value = np.arange(24.0).reshape(4, 6)
    got = run(halves + sized + rows, {x: value})
    expected = np.split(value, 2, axis=1) + np.split(value, [1, 4], axis=1) + \
        np.split(value, 2)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)


def test_split_errors_name_the_op_and_shape():
    x = gc.placeholder(gc.float64, (None, 6))
    with pytest.raises(ValueError, match=r"split: cannot split a dimension of 6 into 4 equal "
                                         r"parts \(axis 1 of shape \(None, 6\)\)"):
        gc.split(x, 4, axis=1)
    with pytest.raises(ValueError, match=r"split: sizes \[2, 2\] do not add up to the "
                                         "dimension of 6"):
        gc.split(x, [2, 2], axis=1)
    with pytest.raises(ValueError, match="with at most one -1"):
        gc.split(x, [-1, -1], axis=1)
    with pytest.raises(ValueError, match="split: num is 2 but there are 3 parts"):
        gc.split(x, 3, axis=1, num=2)
    with pytest.raises(TypeError, match="split: num_or_size_splits must be an int or a list"):
        gc.split(x, gc.constant([3, 3]), axis=1)
    with pytest.raises(gc.InvalidArgumentError,
                       match=r"split_part .*cannot split a dimension of 5 into 2 equal parts"):
        run(gc.split(x, 2)[0], {x: np.ones((5, 6))})


def test_gradients_through_concat_and_split_with_unknown_shapes():
    a = gc.placeholder(gc.float64, (None, None))
    b = gc.placeholder(gc.float64, (None, None))
    joined = gc.concat([a, b * 3.0], 1)
    first, second = gc.split(joined, 2, axis=0)
    loss = gc.reduce_sum(first * first) + gc.reduce_sum(gc.sin(second))
    ga, gb = gc.gradients(loss, [a, b])
    va, vb = np.arange(8.0).reshape(4, 2), np.arange(4.0).reshape(4, 1)
    got_a, got_b = run([ga, gb], {a: va, b: vb})
    np.testing.assert_allclose(got_a, np.concatenate([2 * va[:2], np.cos(va[2:])]))
    np.testing.assert_allclose(got_b, np.concatenate([18 * vb[:2], 3 * np.cos(3 * vb[2:])]))


# -- gather, tile ----------------------------------------------------------------------------
def test_gather_spellings():
    params = gc.placeholder(gc.float32, (None, 3))
    ids = gc.placeholder(gc.int32, (None,))
    outs = [gc.gather(params, ids), gc.gather(params, [2, 0]), gc.gather(params, 1, axis=1),
            gc.gather(params, [[0], [1]], axis=-1), gc.gather(np.arange(4.0), ids)]
    assert [t.shape for t in outs] == [(None, 3), (2, 3), (None,), (None, 2, 1), (None,)]
    value = np.arange(12, dtype=np.float32).reshape(4, 3)
    got = run(outs, {params: value, ids: [3, 3, 0]})
    expected = [value[[3, 3, 0]], value[[2, 0]], value[:, 1], value[:, [[0], [1]]],
                np.float64([3, 3, 0])]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)
    eager = gc.gather(ge.tensor(value), [1, 1])
    np.testing.assert_array_equal(eager.data, value[[1, 1]])


def test_gather_errors_name_the_op():
    params = gc.placeholder(gc.float32, (None, 3))
    with pytest.raises(TypeError, match=r"gather .*indices must be integers .*not float32"):
        gc.gather(params, gc.placeholder(gc.float32, (None,)))
    with pytest.raises(TypeError, match="gather: indices must be integers, not float64"):
        gc.gather(params, [0.5])
    with pytest.raises(ValueError, match="gather: axis 2 is out of range"):
        gc.gather(params, [0], axis=2)
    with pytest.raises(ValueError, match="gather: batch_dims is not supported"):
        gc.gather(params, [0], batch_dims=1)
    with pytest.raises(gc.InvalidArgumentError,
                       match=r"gather .*index 4 is out of range for a dimension of 4"):
        run(gc.gather(params, [1, 4]), {params: np.ones((4, 3), np.float32)})
    with pytest.raises(gc.InvalidArgumentError, match="index -1 is out of range"):
        run(gc.gather(params, [-1]), {params: np.ones((4, 3), np.float32)})


def test_gather_gradient_adds_repeated_rows():
    params = gc.placeholder(gc.float64, (None, 2))
    (grad,) = gc.gradients(gc.reduce_sum(gc.gather(params, [2, 0, 2, 2])), [params])
    np.testing.assert_array_equal(run(grad, {params: np.ones((3, 2))}),
                                  [[1, 1], [0, 0], [3, 3]])


def test_tile_spellings_and_errors():
    x = gc.placeholder(gc.float64, (None, 2))
    outs = [gc.tile(x, [2, 3]), gc.tile(x, (1, 1)), gc.tile(x, [0, 2])]
    assert [t.shape for t in outs] == [(None, 6), (None, 2), (0, 4)]
    value = np.arange(6.0).reshape(3, 2)
    got = run(outs, {x: value})
    np.testing.assert_array_equal(got[0], np.tile(value, (2, 3)))
    np.testing.assert_array_equal(got[1], value)
    assert got[2].shape == (0, 4)
    with pytest.raises(ValueError, match=r"tile: multiples \[2\] must have one entry per "
                                         r"dimension of shape \(None, 2\)"):
        gc.tile(x, [2])
    with pytest.raises(ValueError, match="tile: multiples .* must be >= 0"):
        gc.tile(x, [1, -1])
    with pytest.raises(TypeError, match="tile: multiples must be a list of ints"):
        gc.tile(x, gc.constant([1, 2]))


# -- range, linspace --------------------------------------------------------------------------
def test_range_and_linspace_are_constants():
    outs = [gc.range(5), gc.range(2, 11, 3), gc.range(10, 0, -4), gc.range(0.0, 1.0, 0.25),
            gc.range(3, dtype=gc.float64), gc.range(0), gc.linspace(0.0, 1.0, 5),
            gc.lin_space(-1, 1, 3)]
    assert all(t.node.op == "constant" for t in outs)
    assert [t.dtype for t in outs] == [gc.int32] * 3 + [gc.float32, gc.float64, gc.int32,
                                                        gc.float32, gc.float32]
    got = run(outs)
    expected = [[0, 1, 2, 3, 4], [2, 5, 8], [10, 6, 2], [0, 0.25, 0.5, 0.75], [0, 1, 2], [],
                [0, 0.25, 0.5, 0.75, 1], [-1, 0, 1]]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)


def test_range_and_linspace_errors():
    with pytest.raises(TypeError, match="range: limit must be a Python number known when "
                                        "the graph is built, not a tensor"):
        gc.range(0, gc.constant(3))
    with pytest.raises(ValueError, match="range: delta must not be 0"):
        gc.range(0, 3, 0)
    with pytest.raises(TypeError, match="range: the values are not whole numbers"):
        gc.range(0.0, 1.0, 0.5, dtype=gc.int32)
    with pytest.raises(TypeError, match="linspace: num must be an int"):
        gc.linspace(0.0, 1.0, 2.5)


# -- random draws -----------------------------------------------------------------------------
def test_truncated_normal_lies_within_two_standard_deviations():
    gc.set_random_seed(11)
    draws = [gc.truncated_normal((400, 500), mean=1.0, stddev=2.0, dtype=gc.float64),
             gc.truncated_normal((1000,), stddev=0.1), gc.truncated_normal([3], seed=4)]
    assert [t.dtype for t in draws] == [gc.float64, gc.float32, gc.float32]
    wide, narrow, small = run(draws)
    assert wide.min() >= -3 and wide.max() <= 5 and np.abs(narrow).max() <= 0.2
    # the standard normal truncated to [-2, 2]: mean 0, variance 1 - 4 phi(2) / (2 Phi(2) - 1)
    phi2 = np.exp(-2) / np.sqrt(2 * np.pi)
    variance = 1 - 4 * phi2 / (2 * 0.9772498680518208 - 1)
    assert abs(wide.mean() - 1) < 0.01 and abs(wide.var() / 4 - variance) < 0.01
    # within 0.5 of either bound as often as the distribution says (no piling at the edge)
    edge = 2 * (0.9772498680518208 - 0.9331927987311419) / (2 * 0.9772498680518208 - 1)
    assert abs(np.mean(np.abs(wide - 1) > 3) - edge) < 0.005
    with gc.Session() as sess:  # seeded: the same numbers in every session
        again = sess.run(draws)
    np.testing.assert_array_equal(again[0], wide)


def test_random_draws_with_tensor_parameters():
    mean, stddev = gc.placeholder(gc.float64, ()), gc.placeholder(gc.float64, ())
    low, high = gc.placeholder(gc.float32, (3,)), gc.placeholder(gc.float32, (3,))
    normal = gc.random_normal((20000,), mean, stddev, gc.float64, seed=1)
    uniform = gc.random_uniform((1000, 3), low, high, seed=2)
    truncated = gc.truncated_normal((20000,), mean, stddev, gc.float64, seed=3)
    grads = gc.gradients(gc.reduce_sum(normal), [mean, stddev])
    values = run([normal, uniform, truncated, *grads],
                 {mean: 5.0, stddev: 0.5, low: [0, 10, -2], high: [1, 20, -1]})
    n, u, t, d_mean, d_stddev = values
    assert abs(n.mean() - 5) < 0.02 and abs(n.std() - 0.5) < 0.02
    assert u.dtype == np.float32 and (u.min(axis=0) >= [0, 10, -2]).all()
    assert (u.max(axis=0) < [1, 20, -1]).all()
    assert t.min() >= 4.0 and t.max() <= 6.0
    assert d_mean == 20000 and d_stddev == pytest.approx((n.sum() - 5 * 20000) / 0.5)
    with pytest.raises(TypeError, match="random_normal: mean is float64, but the draw is "
                                        "float32"):
        gc.random_normal((2,), mean=mean)


# -- a TensorFlow 1 program -----------------------------------------------------------------
def test_tf1_classifier_step_with_argmax_accuracy_and_one_hot_labels_is_one_native_segment(
        monkeypatch):
    """A softmax classifier as TF1 tutorials write it: one_hot labels, tf.argmax(logits, 1)
    accuracy fetched with the training step; on numba the step is one native call."""
    tf = gc
    monkeypatch.setattr(runtime_backend, "_warned", set())
    data = np.random.default_rng(0)
    x_value = data.standard_normal((64, 20)).astype(np.float32)
    classes = np.argmax(x_value @ data.standard_normal((20, 10)), axis=1)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, shape=(None, 20))
        labels = tf.placeholder(tf.int64, shape=(None,))
        y = tf.one_hot(labels, 10)
        w = tf.Variable(tf.zeros((20, 10)))
        b = tf.Variable(tf.zeros((10,)))
        logits = tf.matmul(x, w) + b
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y,
                                                                          logits=logits))
        correct = tf.equal(tf.argmax(logits, 1), tf.argmax(y, 1))
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
        grad_w, grad_b = tf.gradients(loss, [w, b])
        train = tf.group(w.assign_sub(0.5 * grad_w), b.assign_sub(0.5 * grad_b))
        with warnings.catch_warnings():
            warnings.simplefilter("error", runtime_backend.FallbackWarning)
            with tf.Session(backend="numba") as sess:
                sess.run(tf.global_variables_initializer())
                history = [sess.run([loss, accuracy, train], {x: x_value, labels: classes})
                           for _ in range(30)]
                (_, executable), = [entry for entry in sess._cache.values()
                                    if any(isinstance(s, Segment)
                                           for s in getattr(entry[1], "steps", []))]
    segments = [s for s in executable.steps if isinstance(s, Segment)]
    assert len(segments) == 1
    native = {n.op for n in segments[0].nodes}
    assert {"argmax", "one_hot"} <= native
    on_host = {s.op for s in executable.steps if isinstance(s, Node)}
    assert on_host <= {"placeholder", "variable", "constant", "assign", "no_op"}
    losses, accuracies = [h[0] for h in history], [h[1] for h in history]
    assert losses[0] == pytest.approx(np.log(10), rel=1e-6)  # zero weights: uniform
    assert accuracies[0] == pytest.approx(np.mean(classes == 0))  # all ties: class 0
    assert losses[-1] < 0.5 * losses[0] and accuracies[-1] > 0.8


def test_an_embedding_step_with_gather_tile_concat_and_split_is_one_native_segment(
        monkeypatch):
    """Embeddings looked up by gather (their gradient: scatter_add), tiled, joined and cut;
    weights from truncated_normal. On numba only the draws and the data stay on the host."""
    tf = gc
    monkeypatch.setattr(runtime_backend, "_warned", set())
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(0)
        ids = tf.placeholder(tf.int32, shape=(None, 2))
        target = tf.placeholder(tf.float64, shape=(None,))
        table = tf.Variable(tf.truncated_normal((7, 3), stddev=0.5, dtype=tf.float64))
        looked_up = tf.gather(table, ids)  # (None, 2, 3)
        first, second = tf.unstack(looked_up, axis=1)
        head = tf.split(first, [1, -1], axis=1)[0]
        features = tf.concat([first, second, tf.tile(head, [1, 2])], 1)  # (None, 8)
        left, middle, right = tf.split(features, [3, 3, -1], axis=1)
        score = tf.reduce_sum(left * middle, 1) + tf.reduce_sum(right, 1)
        loss = tf.reduce_mean(tf.square(score - target))
        (grad,) = tf.gradients(loss, [table])
        train = table.assign_sub(0.1 * grad)
    feeds = {ids: np.array([[0, 1], [2, 2], [6, 3], [1, 0]]), target: np.arange(4.0)}
    results = {}
    for backend in ("numpy", "numba"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", runtime_backend.FallbackWarning)
            with tf.Session(graph, backend=backend) as sess:
                sess.run(table.initializer)
                results[backend] = [sess.run([loss, train], feeds)[0] for _ in range(5)]
                if backend == "numba":
                    executables = [entry[1] for entry in sess._cache.values()]
    natives = []
    for executable in executables:  # the initializer's and the training step's
        segments = [s for s in executable.steps if isinstance(s, Segment)]
        assert len(segments) == 1
        natives.append({n.op for n in segments[0].nodes})
        on_host = {s.op for s in executable.steps if isinstance(s, Node)}
        assert on_host <= {"placeholder", "variable", "constant", "assign", "no_op",
                           "random_uniform"}
    assert any({"gather", "scatter_add", "tile", "tile_sum", "concat", "split_part",
                "split_pad"} <= ops for ops in natives)
    np.testing.assert_allclose(results["numba"], results["numpy"], rtol=1e-12)
    assert results["numpy"][-1] < results["numpy"][0]


# tf.where(condition, x, y) of TensorFlow 1: a rank-1 condition picks rows of x and y
@pytest.mark.parametrize("batch", [3, None], ids=["known", "unknown batch"])
def test_where_with_a_rank_1_condition_picks_rows(batch):
    keep = np.array([True, False, True])
    x = np.arange(9.0).reshape(3, 3)  # square: numpy's broadcasting would pick columns
    with gc.Graph().as_default():
        c = gc.placeholder(gc.bool, (batch,))
        a = gc.placeholder(gc.float64, (batch, 3))
        chosen = gc.where(c, a, -a)
        (grad,) = gc.gradients(gc.reduce_sum(chosen * gc.constant([1.0, 2.0, 3.0], gc.float64)),
                               [a])
        assert chosen.shape == (batch, 3)
        got, got_grad = run([chosen, grad], {c: keep, a: x})
    np.testing.assert_array_equal(got, np.where(keep[:, None], x, -x))
    np.testing.assert_array_equal(got_grad, np.where(keep[:, None], 1.0, -1.0) * [1, 2, 3])


def test_where_otherwise_broadcasts_and_torch_where_always_does():
    with gc.Graph().as_default():
        got = run(gc.where([True, False], [1.0, 2.0], [3.0, 4.0]))
        np.testing.assert_array_equal(got, [1.0, 4.0])
        got = run(gc.where(gc.constant(X) > 0, X, np.zeros_like(X)))
        np.testing.assert_array_equal(got, np.where(X > 0, X, 0.0))
    keep, x = ge.tensor([True, False, True]), ge.tensor(np.arange(9.0).reshape(3, 3))
    np.testing.assert_array_equal(ge.where(keep, x, 0.0).numpy(),
                                  np.where([True, False, True], np.arange(9.0).reshape(3, 3), 0))


def test_where_with_the_condition_alone_is_refused_with_the_reason():
    with gc.Graph().as_default():
        with pytest.raises(TypeError, match="known only at run time"):
            gc.where(gc.constant([True, False]))


def test_where_with_a_rank_1_condition_needs_known_ranks_and_matching_rows():
    with gc.Graph().as_default():
        c = gc.placeholder(gc.bool, (3,))
        unknown = gc.placeholder(gc.float64)
        with pytest.raises(ValueError, match="x and y need a rank known while building"):
            gc.where(c, unknown, unknown)
        with pytest.raises(ValueError, match=r"its length must be x's and y's first "
                                             r"dimension; they are \[1, 2, 2\]"):
            gc.where(gc.constant([True]), gc.zeros([2, 3]), gc.ones([2, 3]))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_where_checks_a_rank_1_conditions_length_at_run_time(backend):
    with gc.Graph().as_default():
        c = gc.placeholder(gc.bool, (None,))
        x = gc.placeholder(gc.float64, (None, 3))
        chosen = gc.where(c, x, -x)
        with gc.Session(backend=backend) as sess:
            got = sess.run(chosen, {c: [True, False], x: np.ones((2, 3))})
            np.testing.assert_array_equal(got, [[1, 1, 1], [-1, -1, -1]])
            for keep, rows in (([True, False, True], 1), ([True], 4)):  # no broadcasting
                with pytest.raises(gc.InvalidArgumentError, match="cannot reshape"):
                    sess.run(chosen, {c: keep, x: np.ones((rows, 3))})

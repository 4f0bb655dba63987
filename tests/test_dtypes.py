"""TensorFlow's dtype names ("float" is float32, "double" float64), the narrow integers
(int8, int16, uint8, uint16: stored, fed, fetched, cast, in checkpoints), half refused saying
why; a placeholder declared without a shape runs natively once fed, one program per rank."""

import warnings

import numpy as np
import pytest

import graphc as gc
from graphc.runtime.backend import FallbackWarning

NARROW = [gc.int8, gc.int16, gc.uint8, gc.uint16]


def test_tensorflows_names():
    assert gc.as_dtype("float") is gc.float32 and gc.as_dtype("double") is gc.float64
    assert [gc.as_dtype(n) for n in ("int8", "int16", "uint8", "uint16")] == NARROW
    assert gc.as_dtype(np.uint8) is gc.uint8 and gc.uint8 == "uint8"
    with pytest.raises(TypeError, match=r"dtype half is not supported: graphc computes in "
                                        r"float32 and float64 \(cast half data to float32\)"):
        gc.placeholder("half")
    with pytest.raises(TypeError, match="dtype float16 is not supported"):
        gc.constant(np.zeros(2, np.float16))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("dtype", NARROW, ids=str)
def test_narrow_integers_are_fed_stored_cast_and_fetched(dtype, backend, tmp_path):
    info = np.iinfo(dtype.np)
    data = np.array([info.min, 0, 7, info.max], dtype.np)
    x = gc.placeholder(dtype, (None,))
    v = gc.Variable(np.zeros(4, dtype.np), name="v")
    store = v.assign(x)
    as_float = gc.cast(x, gc.float64) / 2
    back = gc.cast(gc.constant([1.9, -0.0, 7.2, 3.0]), dtype)  # truncates toward zero
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        with gc.Session(backend=backend) as sess:
            sess.run(v.initializer)
            sess.run(store, {x: data})
            got = sess.run(v)
            assert got.dtype == dtype.np
            np.testing.assert_array_equal(got, data)
            np.testing.assert_array_equal(sess.run(as_float, {x: data}), data / 2)
            np.testing.assert_array_equal(sess.run(back), np.array([1, 0, 7, 3], dtype.np))
            path = gc.Saver().save(sess, str(tmp_path / "ckpt"))
            sess.run(v.initializer)
            gc.Saver().restore(sess, path)
            np.testing.assert_array_equal(sess.run(v), data)


def test_feeding_out_of_range_integers_is_refused():
    x = gc.placeholder(gc.uint8, (2,))
    with gc.Session() as sess:
        with pytest.raises(gc.InvalidArgumentError, match="converting int64 to uint8 would "
                                                          "lose information"):
            sess.run(x, {x: np.array([-1, 3])})
        np.testing.assert_array_equal(sess.run(x + 10, {x: np.array([250, 3])}), [4, 13])
    with pytest.raises(TypeError, match="add: cannot use int64 value 300 as a uint8 operand"):
        x + 300


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_shapeless_placeholder_runs_natively_for_each_fed_rank(backend):
    x = gc.placeholder(gc.float32)
    assert x.shape is None
    y = gc.reduce_sum(gc.square(x) * 2 + 1)
    z = x * 3
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        with gc.Session(backend=backend) as sess:
            for value in (np.float32(2), np.arange(3, dtype=np.float32),
                          np.ones((2, 3), np.float32), np.ones((2, 1, 2), np.float32)):
                got_y, got_z, got_x = sess.run([y, z, x], {x: value})
                np.testing.assert_allclose(got_y, np.sum(value ** 2 * 2 + 1), rtol=1e-6)
                np.testing.assert_array_equal(got_z, value * 3)
                np.testing.assert_array_equal(got_x, value)


def test_a_shapeless_placeholder_keeps_its_run_time_errors():
    x = gc.placeholder(gc.float64)
    y = gc.matmul(x, gc.constant(np.ones((2, 2))))
    with gc.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: np.ones((1, 2))}), [[2.0, 2.0]])
        with pytest.raises((gc.InvalidArgumentError, ValueError), match="matmul"):
            sess.run(y, {x: np.ones(2)})


@pytest.mark.parametrize("dtype", [gc.int8, gc.int16, gc.int32], ids=str)
def test_an_integer_operand_that_does_not_fit_is_refused_not_wrapped(dtype):
    big = int(np.iinfo(dtype.np).max) + 1
    x = gc.placeholder(dtype, (None,))
    low = int(np.iinfo(dtype.np).min) - 1
    for make, value in ((lambda: x + big, big), (lambda: x * low, low), (lambda: big - x, big),
                        (lambda: gc.constant([1, big], dtype), big)):
        with pytest.raises(TypeError, match=f"{value}.* {dtype.name}"):
            make()
    with gc.Session() as sess:
        np.testing.assert_array_equal(sess.run(x + (big - 1), {x: np.zeros(1, dtype.np)}),
                                      [big - 1])


def test_a_python_int_beyond_int32_is_int64_as_in_tensorflow():
    c = gc.constant(2**40)
    assert c.dtype is gc.int64 and gc.constant([1, -2**31]).dtype is gc.int32
    with gc.Session() as sess:
        assert sess.run(c) == 2**40
    with pytest.raises(TypeError, match="does not fit int64"):
        gc.constant(2**64 - 1)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_true_division_of_narrow_integers_is_float32_as_in_tensorflow(backend):
    # TensorFlow's truediv table: 8- and 16-bit integers divide in float32, wider in float64
    with gc.Session(backend=backend) as sess:
        for dtype, quotient in ((gc.uint8, gc.float32), (gc.int8, gc.float32),
                                (gc.uint16, gc.float32), (gc.int16, gc.float32),
                                (gc.int32, gc.float64), (gc.int64, gc.float64)):
            x = gc.placeholder(dtype, (None,))
            image = x / 100
            assert image.dtype is quotient
            data = np.array([0, 1, 7, 100], dtype.np)
            got = sess.run(image, {x: data})
            assert got.dtype == quotient.np
            np.testing.assert_array_equal(got, data.astype(quotient.np) / quotient.np.type(100))

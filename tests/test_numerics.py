"""check_numerics: the first NaN or infinity is named, and the run commits nothing."""

import inspect

import numpy as np
import pytest

import graphc as gc
import graphc.eager as ge


def test_session_check_numerics_names_the_first_bad_op():
    x = gc.placeholder(gc.float64, (2,), name="x")
    v = gc.Variable(np.ones(2), name="v")
    line = inspect.currentframe().f_lineno + 1
    bad = gc.log(x, name="log_x")
    later = gc.exp(bad * 2)
    with gc.Session(check_numerics=True) as sess:
        sess.run(v.initializer)
        with pytest.raises(gc.InvalidArgumentError) as err:
            sess.run([v.assign([5.0, 5.0]), later], {x: [1.0, -1.0]})
        message = str(err.value)
        assert "log 'log_x'" in message and f"test_numerics.py:{line}" in message
        assert "1 NaN or infinite values" in message
        np.testing.assert_array_equal(sess.run(v), [1.0, 1.0])
        np.testing.assert_allclose(sess.run(later, {x: [1.0, 2.0]}), np.exp(2 * np.log([1, 2])))
    with gc.Session() as sess:  # without the check, NaN flows through
        assert np.isnan(sess.run(later, {x: [1.0, -1.0]})[1])


def test_check_numerics_op_in_a_graph_and_eagerly():
    x = gc.placeholder(gc.float32, (3,))
    y = gc.check_numerics(1 / x, "inverse of x")
    with gc.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0, 4.0]}), [1.0, 0.5, 0.25])
        with pytest.raises(gc.InvalidArgumentError,
                           match=r"check_numerics.*inverse of x: 1 of 3 values"):
            sess.run(y, {x: [1.0, 0.0, 4.0]})
    with pytest.raises(gc.InvalidArgumentError, match="eager check: 1 of 2 values"):
        gc.check_numerics(ge.tensor([1.0, float("inf")]), "eager check")

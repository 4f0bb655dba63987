"""The seed's static-graph program gives the hand-written numpy loop's numbers."""

import numpy as np
import numpy_two_layer
import static_custom_relu
import static_two_layer

import graphc as gc


def seed_problem(seed=0, n=64, d_in=1000, hidden=100, d_out=10):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out)),
            rng.standard_normal((d_in, hidden)), rng.standard_normal((hidden, d_out)))


def relative_error(got, want):
    return np.linalg.norm(np.asarray(got) - want) / np.linalg.norm(want)


def assert_trains_like(got, want, bound=1e-10):
    """A run's (losses, weights...) agree with the numpy loop's to `bound`, relative."""
    (losses, *weights), (want_losses, *want_weights) = got, want
    assert np.max(np.abs(np.asarray(losses) - want_losses) / want_losses) < bound
    for weight, want_weight in zip(weights, want_weights):
        assert relative_error(weight, want_weight) < bound


def test_static_program_matches_numpy_loop_float64():
    x, y, w1, w2 = seed_problem()
    want = numpy_two_layer.train(x, y, w1, w2, steps=100)
    got = static_two_layer.train(x, y, w1, w2, steps=100, dtype=gc.float64)
    # Same float64 arithmetic in the same order up to BLAS summation order: agreement to
    # ~1e-13 is typical; 1e-10 is the acceptance bound of the issue.
    assert_trains_like(got, want)
    assert want[0][-1] < 1e-3 * want[0][0]  # it really trained


def test_static_custom_gradient_relu_matches_numpy_loop():
    x, y, w1, w2 = seed_problem(seed=2)
    want_losses, want_w1, _ = numpy_two_layer.train(x, y, w1, w2, steps=100)
    losses, got_w1, _ = static_custom_relu.train(x, y, w1, w2, steps=100)
    assert np.max(np.abs(losses - want_losses) / want_losses) < 1e-10
    assert relative_error(got_w1, want_w1) < 1e-10


def test_static_program_float32_tracks_float64():
    x, y, w1, w2 = seed_problem(seed=1)
    want, _, _ = numpy_two_layer.train(x, y, w1, w2, steps=30)
    got, _, _ = static_two_layer.train(x, y, w1.astype(np.float32), w2.astype(np.float32),
                                       steps=30, dtype=gc.float32)
    assert got.dtype == np.float32
    # float32 carries ~7 digits; 30 steps of gradient descent keep the loss within 1e-3.
    np.testing.assert_allclose(got, want, rtol=1e-3)

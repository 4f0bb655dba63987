"""matmul beyond two matrices, as numpy's and PyTorch's: a 1-D operand (promoted, the added
dim removed) and one operand of rank > 2 with a 1-D or 2-D other, in eager mode and in
graphs (static shapes with unknown dims included); values against numpy, gradients against
central finite differences, in float64. Two batches of matrices raise, saying what works."""

import numpy as np
import pytest

import graphc as gc
import graphc.eager as torch
from graphc import nn

rng = np.random.default_rng(7)

SHAPES = [
    ((3,), (3, 4)),          # vec @ mat -> (4,)
    ((5, 3), (3,)),          # mat @ vec -> (5,)
    ((3,), (3,)),            # vec @ vec -> ()
    ((2, 5, 3), (3, 4)),     # (..., n, k) @ (k, m)
    ((2, 2, 5, 3), (3, 4)),
    ((2, 5, 3), (3,)),       # (..., n, k) @ (k,) -> (..., n)
    ((5, 3), (2, 3, 4)),     # (n, k) @ (..., k, m)
    ((3,), (2, 3, 4)),       # (k,) @ (..., k, m) -> (..., m)
    ((5, 3), (3, 4)),        # the rank-2 op itself
]


def numeric_grads(a, b, weights, step=1e-6):
    """Central differences of sum(weights * (a @ b)) with respect to a and b."""
    def f(a_, b_):
        return float(np.sum(weights * np.matmul(a_, b_)))
    grads = []
    for which in (0, 1):
        x = (a, b)[which]
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            plus, minus = x.copy(), x.copy()
            plus[i] += step
            minus[i] -= step
            args_plus = (plus, b) if which == 0 else (a, plus)
            args_minus = (minus, b) if which == 0 else (a, minus)
            g[i] = (f(*args_plus) - f(*args_minus)) / (2 * step)
        grads.append(g)
    return grads


@pytest.mark.parametrize("sa,sb", SHAPES)
def test_eager_values_and_gradients(sa, sb):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    expected = np.matmul(a, b)
    weights = rng.standard_normal(expected.shape)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    for out in (torch.matmul(ta, tb), ta @ tb, ta.matmul(tb)):
        assert out.shape == expected.shape
        np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    (torch.matmul(ta, tb) * torch.tensor(weights)).sum().backward()
    da, db = numeric_grads(a, b, weights)
    np.testing.assert_allclose(ta.grad.numpy(), da, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(tb.grad.numpy(), db, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("sa,sb", SHAPES)
def test_graph_values_and_gradients(sa, sb):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    expected = np.matmul(a, b)
    weights = rng.standard_normal(expected.shape)
    pa, pb = gc.placeholder(gc.float64, sa), gc.placeholder(gc.float64, sb)
    out = gc.matmul(pa, pb)
    assert out.shape == expected.shape
    grads = gc.gradients(gc.reduce_sum(out * weights), [pa, pb])
    with gc.Session() as sess:
        value, da, db = sess.run([out, *grads], {pa: a, pb: b})
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)
    want_a, want_b = numeric_grads(a, b, weights)
    np.testing.assert_allclose(da, want_a, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, want_b, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("sa,sb,static,out_shape", [
    ((None, 5, 3), (3, 4), (None, 5, 4), (6, 5, 4)),
    ((None, None, 3), (3, 4), (None, None, 4), (2, 7, 4)),   # two dims known only at run time
    ((None, None, 3), (3,), (None, None), (2, 7)),
    ((None, 3), (3,), (None,), (6,)),
    ((3,), (3, None), (None,), (5,)),
    ((5, 3), (None, None, 3, 4), (None, None, 5, 4), (2, 3, 5, 4)),
])
def test_static_shapes_with_unknown_dims(sa, sb, static, out_shape):
    """Dims unknown while building stay unknown, the others are known; the run's values and
    gradients are numpy's."""
    pa, pb = gc.placeholder(gc.float64, sa), gc.placeholder(gc.float64, sb)
    out = gc.matmul(pa, pb, name="product")
    assert out.shape == static
    assert out.name == "product:0"
    # run-time shapes: fill the unknown dims consistently with out_shape
    if len(sa) > 2:
        a_shape = out_shape[:-1] + (3,) if len(sb) == 2 else out_shape + (3,)
        b_shape = (3, 4) if len(sb) == 2 else (3,)
    elif len(sb) > 2:
        a_shape, b_shape = (5, 3), out_shape[:-2] + (3, 4)
    elif len(sa) == 1:
        a_shape, b_shape = (3,), (3, out_shape[0])
    else:
        a_shape, b_shape = (out_shape[0], 3), (3,)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    da, db = gc.gradients(gc.reduce_sum(out * out), [pa, pb])
    with gc.Session() as sess:
        value, ga, gb = sess.run([out, da, db], {pa: a, pb: b})
    expected = np.matmul(a, b)
    assert value.shape == out_shape
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    want_a, want_b = numeric_grads(a, b, 2 * expected)
    np.testing.assert_allclose(ga, want_a, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb, want_b, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("sa,sb,ta,tb", [
    ((2, 3, 5), (3, 4), True, False),     # a's matrices transposed: (2, 5, 3) @ (3, 4)
    ((2, 5, 3), (4, 3), False, True),
    ((3, 5), (2, 3, 4), True, False),
    ((5, 3), (2, 4, 3), False, True),
    ((3,), (4, 3), False, True),
    ((3, 5), (3,), True, False),
])
def test_transpose_flags_with_other_ranks(sa, sb, ta, tb):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    op_a = np.swapaxes(a, -1, -2) if ta else a
    op_b = np.swapaxes(b, -1, -2) if tb else b
    expected = np.matmul(op_a, op_b)
    eager = gc.matmul(torch.tensor(a), torch.tensor(b), transpose_a=ta, transpose_b=tb)
    np.testing.assert_allclose(eager.numpy(), expected, rtol=1e-12)
    pa, pb = gc.placeholder(gc.float64, sa), gc.placeholder(gc.float64, sb)
    out = gc.matmul(pa, pb, transpose_a=ta, transpose_b=tb)
    assert out.shape == expected.shape
    with gc.Session() as sess:
        np.testing.assert_allclose(sess.run(out, {pa: a, pb: b}), expected, rtol=1e-12)


def test_numpy_and_list_operands_beside_an_eager_tensor_stay_eager():
    w = rng.standard_normal((3, 4))
    out = torch.matmul(torch.tensor(w), [1.0, 2.0, 3.0, 4.0])
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), w @ np.array([1.0, 2.0, 3.0, 4.0]), rtol=1e-12)
    out = gc.matmul(np.ones(3), torch.tensor(w))
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), np.ones(3) @ w, rtol=1e-12)


def test_linear_on_a_sequence_and_on_a_vector_in_both_modes():
    """nn.Linear takes (..., in_features), as PyTorch's: x W^T + b on the last dim."""
    layer = nn.Linear(3, 4, dtype=gc.float64)
    w, b = layer.weight.array.copy(), layer.bias.array.copy()
    x = rng.standard_normal((2, 5, 3))
    np.testing.assert_allclose(layer(torch.tensor(x)).detach().numpy(), x @ w.T + b,
                               rtol=1e-12)
    np.testing.assert_allclose(layer(torch.tensor(x[0, 0])).detach().numpy(),
                               x[0, 0] @ w.T + b, rtol=1e-12)
    holder = gc.placeholder(gc.float64, (None, None, 3))
    out = layer(holder)
    assert out.shape == (None, None, 4)
    with gc.Session() as sess:
        np.testing.assert_allclose(sess.run(out, {holder: x}), x @ w.T + b, rtol=1e-12)


@pytest.mark.parametrize("sa,sb,words", [
    ((2, 1, 3, 4), (2, 5, 4, 3), r"matmul \(at .*test_matmul_ranks.py:\d+\): a of shape "
                                 r"\(2, 1, 3, 4\) and b of shape \(2, 5, 4, 3\) are batches of "
                                 r"matrices with different batch dims"),
    ((2, 3, 4), (2, 5, 6), r"inner dimensions differ: a has shape \(2, 3, 4\) and b has shape "
                           r"\(2, 5, 6\)"),
    ((), (3,), r"both operands must have at least 1 dim, but they have shapes \(\) and \(3,\)"),
    ((3,), (4, 5), r"inner dimensions differ: a has shape \(3,\) and b has shape \(4, 5\)"),
    ((2, 5, 3), (4,), r"inner dimensions differ: a has shape \(2, 5, 3\) and b has shape "
                      r"\(4,\)"),
])
def test_unsupported_or_mismatched_ranks_raise_clearly(sa, sb, words):
    with pytest.raises(ValueError, match=words):
        torch.matmul(torch.zeros(*sa), torch.zeros(*sb))
    with pytest.raises(ValueError, match=words):
        gc.matmul(gc.placeholder(gc.float32, sa), gc.placeholder(gc.float32, sb))


def test_different_dtypes_name_the_shapes_given():
    with pytest.raises(TypeError, match=r"matmul \(at .*\): operands have different dtypes: "
                                        r"float32\(2, 5, 3\) and float64\(3, 4\)"):
        torch.matmul(torch.zeros(2, 5, 3), torch.zeros(3, 4, dtype=torch.float64))


def test_an_unknown_inner_dimension_on_both_sides_raises():
    with pytest.raises(ValueError, match=r"the inner dimension of operands of shapes "
                                         r"\(2, 5, None\) and \(None, 4\) must be known"):
        gc.matmul(gc.placeholder(gc.float32, (2, 5, None)), gc.placeholder(gc.float32,
                                                                           (None, 4)))


def test_a_transpose_flag_on_a_vector_raises():
    with pytest.raises(ValueError, match=r"transpose_a needs a matrix, but a is 1-D "
                                         r"\(shape \(3,\)\)"):
        gc.matmul(torch.zeros(3), torch.zeros(3, 2), transpose_a=True)


def test_an_inner_dimension_of_0_with_run_time_leading_dims_is_refused():
    with gc.Graph().as_default():
        x = gc.placeholder(gc.float64, (None, 5, 0))
        with pytest.raises(ValueError, match="inner dimension of 0 and leading dimensions "
                                             "known only at run time"):
            gc.matmul(x, gc.zeros((0, 4), gc.float64))


@pytest.mark.parametrize("sa,sb", [((None, 3, None), (4, 5)), ((4, 5), (None, None, 3))])
def test_the_inner_dimension_of_a_batched_operand_must_be_known(sa, sb):
    # its rows are merged into one matrix: with the inner dim taken from the other operand,
    # a fed array of another inner dim would be regrouped silently instead of refused
    with gc.Graph().as_default():
        a, b = gc.placeholder(gc.float32, sa), gc.placeholder(gc.float32, sb)
        with pytest.raises(ValueError, match="must be known when the graph is built, in the "
                                             "operand of rank > 2"):
            gc.matmul(a, b)


@pytest.mark.parametrize("ta,tb", [(False, False), (False, True), (True, False), (True, True)])
def test_batches_of_matrices_on_both_sides_multiply_as_numpy_with_gradients(ta, tb):
    """Attention's q @ k^T: (b, h, n, k) @ (b, h, k, m), eagerly and in a graph, with the
    transpose flags; gradients against the graph's and numpy's."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 3, 5, 4) if ta else (2, 3, 4, 5))
    b = rng.standard_normal((2, 3, 6, 5) if tb else (2, 3, 5, 6))
    want = (np.swapaxes(a, -1, -2) if ta else a) @ (np.swapaxes(b, -1, -2) if tb else b)
    pa = gc.placeholder(gc.float64, (None, 3) + a.shape[2:])
    pb = gc.placeholder(gc.float64, (None, 3) + b.shape[2:])
    c = gc.matmul(pa, pb, transpose_a=ta, transpose_b=tb)
    assert c.shape == (None, 3, 4, 6)
    grads = gc.gradients(gc.reduce_sum(gc.square(c)), [pa, pb])
    with gc.Session() as sess:
        got, ga, gb = sess.run([c, *grads], {pa: a, pb: b})
    np.testing.assert_allclose(got, want, rtol=1e-12)
    g = 2 * want  # d/dc of sum(c^2)
    da = g @ (b if tb else np.swapaxes(b, -1, -2))
    db = (np.swapaxes(a, -1, -2) if not ta else a) @ g
    np.testing.assert_allclose(ga, np.swapaxes(da, -1, -2) if ta else da, rtol=1e-12)
    np.testing.assert_allclose(gb, np.swapaxes(db, -1, -2) if tb else db, rtol=1e-12)
    if not (ta or tb):
        ea, eb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        (ea @ eb).square().sum().backward()
        np.testing.assert_allclose(ea.grad.numpy(), ga, rtol=1e-12)
        np.testing.assert_allclose(eb.grad.numpy(), gb, rtol=1e-12)

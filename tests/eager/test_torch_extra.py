"""PyTorch names a test corpus found missing: torch.cumsum / cumprod, sort / argsort / topk,
flip, tril / triu, outer / ger, bmm, addmm, einsum, tensordot, chunk, index_select, allclose,
logsumexp and lerp, as functions and Tensor methods.

Values against numpy in float64 to 1e-12 (integers exactly); eager gradients against central
finite differences (gc.test.check_gradients) and against the graph's gradients of the same
function on placeholders; errors by their words."""

import numpy as np
import pytest

import graphc as gc
import graphc.eager as torch

TOL = dict(rtol=1e-12, atol=1e-12)
rng = np.random.default_rng(31)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((2, 3, 4))


def close(value, expected):
    value = np.asarray(value.detach() if isinstance(value, torch.Tensor) else value)
    assert value.shape == np.shape(expected)
    np.testing.assert_allclose(value, expected, **TOL)


def eager_and_graph_gradients(fn, *arrays):
    """The gradients of sum(fn(*xs) * w) by backward() and by gc.gradients on placeholders,
    each checked against the other, and the eager ones against finite differences."""
    xs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    w = rng.standard_normal(tuple(out.shape))
    (out * torch.tensor(w)).sum().backward()
    graph = gc.Graph()
    with graph.as_default():
        holders = [gc.placeholder(gc.float64, a.shape) for a in arrays]
        grads = gc.gradients(gc.reduce_sum(fn(*holders) * w), holders)
    with gc.Session(graph) as sess:
        expected = sess.run(grads, dict(zip(holders, arrays)))
    for x, e in zip(xs, expected):
        close(x.grad, e)
    gc.test.check_gradients(fn, arrays, mode="eager")


# -- cumsum, cumprod ------------------------------------------------------------------------
def test_cumsum_and_cumprod_match_numpy_as_functions_and_methods():
    x = torch.tensor(B)
    close(torch.cumsum(x, 1), np.cumsum(B, 1))
    close(x.cumsum(-1), np.cumsum(B, -1))
    close(torch.cumprod(x, dim=0), np.cumprod(B, 0))
    close(x.cumprod(2), np.cumprod(B, 2))
    ints = torch.tensor([[1, 2, 3], [4, 5, 6]], dtype=torch.int32)
    for got, want in ((ints.cumsum(1), [[1, 3, 6], [4, 9, 15]]),
                      (torch.cumprod(ints, 1), [[1, 2, 6], [4, 20, 120]]),
                      (torch.tensor([True, False, True]).cumsum(0), [1, 1, 2])):
        assert got.dtype == torch.int64  # (PyTorch's integer accumulation)
        np.testing.assert_array_equal(got.numpy(), want)
    assert torch.cumsum(ints, 0, dtype=torch.float64).dtype == torch.float64
    with pytest.raises(IndexError, match=r"cumsum: dim 3 is out of range for shape "
                                         r"\(2, 3, 4\)"):
        x.cumsum(3)


def test_cumsum_and_cumprod_gradients_in_both_modes():
    eager_and_graph_gradients(lambda x: x.cumsum(1), A)
    with_zeros = A.copy()
    with_zeros[0, 1] = with_zeros[2, 0] = with_zeros[2, 3] = 0.0
    eager_and_graph_gradients(lambda x: torch.cumprod(x, 1), with_zeros)


# -- sort, argsort, topk --------------------------------------------------------------------
TIES = rng.integers(0, 3, (3, 6)).astype(np.float64)


def descending(x, axis=-1):
    flipped = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return x.shape[axis] - 1 - np.flip(flipped, axis)


def test_sort_returns_values_and_int64_indices_stable_both_ways():
    x = torch.tensor(TIES)
    result = torch.sort(x)
    values, indices = result
    assert result.values is values and result.indices is indices
    assert indices.dtype == torch.int64
    close(values, np.sort(TIES, kind="stable"))
    np.testing.assert_array_equal(indices.numpy(), np.argsort(TIES, kind="stable"))
    down = x.sort(dim=0, descending=True)
    np.testing.assert_array_equal(down.indices.numpy(), descending(TIES, 0))
    close(down.values, np.take_along_axis(TIES, descending(TIES, 0), 0))
    np.testing.assert_array_equal(torch.argsort(x, dim=1, descending=True).numpy(),
                                  descending(TIES))
    np.testing.assert_array_equal(x.argsort(0).numpy(), np.argsort(TIES, 0, kind="stable"))
    ints = torch.tensor([[3, -1, 3, 0]])
    np.testing.assert_array_equal(ints.sort(descending=True).values.numpy(), [[3, 3, 0, -1]])
    assert torch.sort(torch.tensor(2.5)).values.item() == 2.5


def test_topk_takes_the_largest_or_smallest_with_nan_largest():
    x = torch.tensor(TIES)
    top = torch.topk(x, 3)
    np.testing.assert_array_equal(top.indices.numpy(), descending(TIES)[:, :3])
    close(top.values, np.take_along_axis(TIES, descending(TIES)[:, :3], 1))
    low = x.topk(2, dim=0, largest=False)
    np.testing.assert_array_equal(low.indices.numpy(), np.argsort(TIES, 0, kind="stable")[:2])
    nan = torch.tensor([1.0, float("nan"), 3.0, -float("inf")])
    np.testing.assert_array_equal(nan.topk(2).indices.numpy(), [1, 2])
    np.testing.assert_array_equal(nan.sort().indices.numpy(), [3, 0, 2, 1])  # NaN last
    with pytest.raises(ValueError, match=r"topk: k = 7 is out of range for axis 1 of shape "
                                         r"\(3, 6\): k must be at least 0 and at most 6"):
        x.topk(7)
    with pytest.raises(IndexError, match=r"sort: dim 2 is out of range for shape \(3, 6\)"):
        x.sort(2)


def test_sorted_values_pass_their_gradient_back_in_both_modes():
    distinct = rng.permutation(12).reshape(3, 4) * 0.25
    eager_and_graph_gradients(lambda x: x.sort(1, descending=True).values, distinct)
    eager_and_graph_gradients(lambda x: torch.topk(x, 2, dim=0).values, distinct)


# -- flip, tril, triu -----------------------------------------------------------------------
def test_flip_is_numpys_and_a_copy():
    x = torch.tensor(B)
    close(torch.flip(x, (0, 2)), np.flip(B, (0, 2)))
    close(x.flip(1), np.flip(B, 1))
    close(x.flip(0, -1), np.flip(B, (0, -1)))
    close(torch.flip(x, dims=[1]), np.flip(B, 1))
    y = x.flip(0)
    y[0, 0, 0] = 100.0  # (PyTorch's flip copies)
    assert x[1, 0, 0].item() == B[1, 0, 0]
    eager_and_graph_gradients(lambda v: v.flip(1) * v, A)
    with pytest.raises(ValueError, match=r"flip: axis 0 is given twice in \[0, -3\] for "
                                         r"shape \(2, 3, 4\)"):
        x.flip(0, -3)


@pytest.mark.parametrize("diagonal", [-1, 0, 2])
def test_tril_and_triu_are_numpys(diagonal):
    x = torch.tensor(B)
    close(torch.tril(x, diagonal), np.tril(B, diagonal))
    close(x.triu(diagonal), np.triu(B, diagonal))
    close(x.tril(diagonal=diagonal), np.tril(B, diagonal))
    mask = torch.ones(3, 3, dtype=torch.bool).triu(diagonal)
    np.testing.assert_array_equal(mask.numpy(), np.triu(np.ones((3, 3), bool), diagonal))
    eager_and_graph_gradients(lambda v: v.tril(diagonal) + v.triu(diagonal + 1) * 2, A)


def test_tril_needs_a_matrix():
    with pytest.raises(ValueError, match=r"tril: the input must have at least 2 dimensions, "
                                         r"got shape \(3,\)"):
        torch.tril(torch.ones(3))


# -- outer, bmm, addmm, einsum, tensordot ---------------------------------------------------
def test_outer_and_ger():
    a, b = rng.standard_normal(3), rng.standard_normal(4)
    close(torch.outer(torch.tensor(a), torch.tensor(b)), np.outer(a, b))
    close(torch.tensor(a).ger(torch.tensor(b)), np.outer(a, b))
    eager_and_graph_gradients(torch.outer, a, b)
    with pytest.raises(RuntimeError, match=r"outer: vec2 must be a vector \(1-D\), got shape "
                                           r"\(3, 4\)"):
        torch.outer(torch.tensor(a), torch.tensor(A))


def test_bmm_multiplies_batches_of_matrices():
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 5))
    close(torch.bmm(torch.tensor(a), torch.tensor(b)), np.matmul(a, b))
    close(torch.tensor(a).bmm(torch.tensor(b)), np.matmul(a, b))
    eager_and_graph_gradients(torch.bmm, a, b)
    with pytest.raises(RuntimeError, match=r"bmm: the inner dimensions of input \(shape "
                                           r"\(2, 3, 4\)\) and mat2 \(shape \(2, 3, 4\)\)"):
        torch.bmm(torch.tensor(a), torch.tensor(a))
    with pytest.raises(RuntimeError, match=r"bmm: mat2 must be a batch of matrices \(3-D\), "
                                           r"got shape \(3, 4\)"):
        torch.bmm(torch.tensor(a), torch.tensor(A))


def test_addmm_with_beta_and_alpha():
    c, m1, m2 = rng.standard_normal(4), rng.standard_normal((3, 2)), rng.standard_normal((2, 4))
    args = [torch.tensor(v) for v in (c, m1, m2)]
    close(torch.addmm(*args), c + m1 @ m2)
    close(torch.addmm(*args, beta=0.5, alpha=-2.0), 0.5 * c - 2.0 * (m1 @ m2))
    close(args[0].addmm(args[1], args[2], alpha=3), c + 3 * (m1 @ m2))
    nan = torch.tensor(np.full((3, 4), np.nan))
    close(torch.addmm(nan, args[1], args[2], beta=0), m1 @ m2)  # input not read
    eager_and_graph_gradients(lambda a, b, d: torch.addmm(a, b, d, beta=2.0, alpha=0.5),
                              c, m1, m2)
    with pytest.raises(RuntimeError, match=r"addmm: input of shape \(5,\) does not broadcast "
                                           r"to the product's shape \(3, 4\)"):
        torch.addmm(torch.ones(5, dtype=torch.float64), args[1], args[2])


def test_einsum_and_tensordot_match_numpy():
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    ta, tb = torch.tensor(a), torch.tensor(b)
    close(torch.einsum("ij,jk->ik", ta, tb), a @ b)
    close(torch.einsum("ij,jk", [ta, tb]), a @ b)  # (the operands as one list)
    close(torch.einsum("ij->", ta), a.sum())
    close(torch.einsum("b i, b j -> b i j", ta, ta), np.einsum("bi,bj->bij", a, a))
    close(torch.tensordot(torch.tensor(B), tb, dims=([1], [0])),
          np.tensordot(B, b, ([1], [0])))
    close(torch.tensordot(ta, tb, 1), a @ b)
    eager_and_graph_gradients(lambda x, y: torch.einsum("ij,jk->ki", x, y), a, b)
    eager_and_graph_gradients(lambda x, y: torch.tensordot(x, y, dims=([2], [1])), B, A)
    with pytest.raises(NotImplementedError, match="names dim 'i' twice in one operand"):
        torch.einsum("ii", torch.eye(3))


# -- chunk, index_select --------------------------------------------------------------------
@pytest.mark.parametrize("n, chunks, sizes", [(5, 3, [2, 2, 1]), (6, 4, [2, 2, 2]),
                                              (4, 4, [1, 1, 1, 1]), (3, 5, [1, 1, 1])])
def test_chunk_cuts_into_parts_of_ceil_size(n, chunks, sizes):
    data = rng.standard_normal((2, n))
    parts = torch.tensor(data).chunk(chunks, dim=1)
    assert [p.shape[1] for p in parts] == sizes
    close(torch.cat(list(parts), 1), data)
    assert len(torch.chunk(torch.tensor(data), 2)) == 2
    with pytest.raises(ValueError, match="chunk: chunks must be greater than 0, got 0"):
        torch.chunk(torch.tensor(data), 0)


def test_index_select_takes_slices_with_repeats_and_their_gradient():
    index = torch.tensor([3, 0, 3])
    x = torch.tensor(A)
    close(torch.index_select(x, 1, index), A[:, [3, 0, 3]])
    close(x.index_select(0, torch.tensor([2], dtype=torch.int32)), A[[2]])
    eager_and_graph_gradients(lambda v: v.index_select(1, [3, 0, 3]), A)
    with pytest.raises(IndexError, match=r"index_select: index 4 is out of range for dim 1 "
                                         r"of shape \(3, 4\)"):
        x.index_select(1, torch.tensor([0, 4]))
    with pytest.raises(ValueError, match=r"must be a vector \(1-D\), got shape \(1, 2\)"):
        x.index_select(1, torch.tensor([[0, 1]]))


# -- allclose, logsumexp, lerp --------------------------------------------------------------
def test_allclose_is_a_python_bool():
    x = torch.tensor(A)
    assert torch.allclose(x, x + 1e-9) is True
    assert x.allclose(x + 1e-3) is False
    assert torch.allclose(x, x + 1e-3, atol=1e-2)
    nan = torch.tensor([1.0, float("nan")])
    assert not torch.allclose(nan, nan) and torch.allclose(nan, nan, equal_nan=True)
    with pytest.raises(RuntimeError, match="different dtypes: float64 and float32"):
        torch.allclose(x, x.float())
    with pytest.raises(TypeError, match="expected eager tensors, got Tensor"):
        torch.allclose(gc.placeholder(gc.float64, (3, 4)), x)


def logsumexp_reference(v, axis):
    m = v.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(v - m).sum(axis=axis, keepdims=True))


def test_logsumexp_is_stable_and_promotes_integers():
    big = B * 300  # (exp overflows without the shift)
    x = torch.tensor(big)
    close(torch.logsumexp(x, 1), logsumexp_reference(big, 1).squeeze(1))
    close(x.logsumexp(dim=(0, 2), keepdim=True), logsumexp_reference(big, (0, 2)))
    assert torch.logsumexp(torch.tensor([1, 2]), 0).dtype == torch.get_default_dtype()
    eager_and_graph_gradients(lambda v: torch.logsumexp(v, 1), A)


def lerp_reference(start, end, weight):
    """PyTorch's lerp kernel: from start below |weight| 0.5, from end above."""
    return np.where(np.abs(weight) < 0.5, start + weight * (end - start),
                    end - (end - start) * (1 - weight))


def test_lerp_is_pytorchs_formula_with_number_and_tensor_weights():
    end = rng.standard_normal((3, 4))
    for weight in (0.25, 0.75, 1.0, -0.6):
        close(torch.lerp(torch.tensor(A), torch.tensor(end), weight),
              lerp_reference(A, end, weight))
    weights = rng.uniform(-1, 2, 4)
    close(torch.tensor(A).lerp(torch.tensor(end), torch.tensor(weights)),
          lerp_reference(A, end, weights))
    eager_and_graph_gradients(torch.lerp, A, end, weights + 0.01)
    eager_and_graph_gradients(lambda s, e: torch.lerp(s, e, 0.8), A, end)


def test_the_usual_set_seed_runs_and_leaves_the_stream_as_manual_seed_set_it():
    torch.manual_seed(7)
    want = torch.randn(3).numpy()
    torch.manual_seed(7)
    torch.cuda.manual_seed(7)
    torch.cuda.manual_seed_all(7)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    np.testing.assert_array_equal(torch.randn(3).numpy(), want)

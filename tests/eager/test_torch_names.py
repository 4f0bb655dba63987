"""PyTorch names a test corpus found missing: Tensor.permute / contiguous / expand / repeat /
std / var / prod / masked_fill(_) / fill_ / normal_ / uniform_ / type_as / dot / mv / clip /
isnan, creation with size=, torch.autograd (Variable, grad) and torch.__version__.

Values against numpy in float64 to 1e-12 (the compositions round as numpy's formulas do, a
few ulps); random fills exactly against numpy's generator with the same seed (the same
draws, rounded once). Gradients against central finite differences (gc.test.check_gradients,
its rtol 1e-6 and atol 1e-8 for differences of step 1e-6), eagerly and in graphs."""

import warnings

import numpy as np
import pytest

import graphc as gc
import graphc.eager as torch
from tests.ops.op_cases import numeric_gradient

RTOL = 1e-12
rng = np.random.default_rng(7)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((2, 3, 4))
COLUMN = rng.standard_normal((3, 1))


def close(value, expected):
    value = np.asarray(value.detach() if isinstance(value, torch.Tensor) else value)
    assert value.shape == np.shape(expected)
    np.testing.assert_allclose(value, expected, rtol=RTOL, atol=1e-15)


def run_graph(fn, *arrays):
    graph = gc.Graph()
    with graph.as_default():
        holders = [gc.placeholder(a.dtype, a.shape) for a in arrays]
        out = fn(*holders)
    with gc.Session(graph) as sess:
        return sess.run(out, dict(zip(holders, arrays)))


# -- permute, contiguous ------------------------------------------------------------------------
def test_permute_spellings_match_numpy_and_share_memory():
    x = torch.tensor(B)
    for y in (x.permute(2, 0, 1), x.permute((2, 0, 1)), torch.permute(x, (2, 0, 1)),
              x.permute(-1, 0, 1)):
        close(y, np.transpose(B, (2, 0, 1)))
    y = x.permute(1, 0, 2)
    y[0, 0, 0] = 100.0  # a view on the CPU, as PyTorch's
    assert x[0, 0, 0].item() == 100.0
    with pytest.raises(RuntimeError, match="number of dims don't match in permute"):
        x.permute(1, 0)
    with pytest.raises(RuntimeError, match=r"repeated dim in \(0, 0, 1\)"):
        x.permute(0, 0, 1)


def test_contiguous_returns_itself_or_a_c_ordered_copy():
    x = torch.tensor(A)
    assert x.contiguous() is x and x.is_contiguous()
    t = x.t()
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c is not t and c.is_contiguous() and c.numpy().flags.c_contiguous
    close(c, A.T)
    assert not np.shares_memory(c.numpy(), x.numpy())
    graph_tensor = gc.placeholder(gc.float64, (3, 4))
    assert graph_tensor.contiguous() is graph_tensor


# -- expand, expand_as, repeat ------------------------------------------------------------------
def test_expand_matches_numpy_broadcast():
    x = torch.tensor(COLUMN)
    close(x.expand(3, 5), np.broadcast_to(COLUMN, (3, 5)))
    close(x.expand(-1, 5), np.broadcast_to(COLUMN, (3, 5)))
    close(x.expand((2, 3, 5)), np.broadcast_to(COLUMN, (2, 3, 5)))
    close(x.expand_as(torch.zeros(2, 3, 4)), np.broadcast_to(COLUMN, (2, 3, 4)))
    assert x.expand(3, 1) is x
    with pytest.raises(RuntimeError, match=r"number of sizes provided \(1\) must be greater"):
        x.expand(5)
    with pytest.raises(RuntimeError, match=r"size of the tensor \(-1\) isn't allowed in a "
                                           "leading, non-existing dimension 0"):
        x.expand(-1, 3, 2)
    with pytest.raises(RuntimeError, match=r"expanded size of the tensor \(4\) must match the "
                                           r"existing size \(3\) at non-singleton dimension 0"):
        x.expand(4, 2)


def test_expand_in_graphs_keeps_unknown_dims():
    column = gc.placeholder(gc.float64, (None, 1))
    out = column.expand(-1, 4)
    assert out.shape == (None, 4)
    with gc.Session() as sess:
        np.testing.assert_array_equal(sess.run(out, {column: COLUMN}),
                                      np.broadcast_to(COLUMN, (3, 4)))
    np.testing.assert_array_equal(run_graph(lambda c: c.expand(2, 3, 4), COLUMN),
                                  np.broadcast_to(COLUMN, (2, 3, 4)))


def test_repeat_matches_numpy_tile():
    x = torch.tensor(A)
    close(x.repeat(2, 3), np.tile(A, (2, 3)))
    close(x.repeat((2, 1, 2)), np.tile(A, (2, 1, 2)))
    with pytest.raises(RuntimeError, match=r"repeat dims \(1\) can not be smaller than number "
                                           r"of dimensions of tensor \(2\)"):
        x.repeat(2)


# -- reductions -------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,ddof", [({}, 1), ({"unbiased": False}, 0),
                                         ({"correction": 0}, 0), ({"correction": 2}, 2)])
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), -1])
def test_std_and_var_match_numpy(kwargs, ddof, dim):
    x = torch.tensor(A)
    axis = dim
    close(x.var(dim, **kwargs), np.var(A, axis=axis, ddof=ddof))
    close(torch.std(x, dim, **kwargs), np.std(A, axis=axis, ddof=ddof))
    close(x.std(dim, keepdim=True, **kwargs), np.std(A, axis=axis, ddof=ddof, keepdims=True))


def test_std_and_var_spellings_and_errors():
    x = torch.tensor(A)
    close(torch.var(x, False), np.var(A))  # var(x, unbiased): a bool where dim goes
    close(x.std(1, True), np.std(A, axis=1, ddof=1))
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        torch.tensor([1, 2]).std()
    with pytest.raises(TypeError, match="give unbiased or correction, not both"):
        x.var(unbiased=True, correction=1)
    close(run_graph(lambda t: t.std(1), A), np.std(A, axis=1, ddof=1))
    close(run_graph(lambda t: t.var(), A), np.var(A, ddof=1))


def test_std_of_a_constant_has_a_zero_gradient_as_pytorchs():
    x = torch.tensor(np.full((2, 3), 1.5), requires_grad=True)
    x.std(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


def test_prod_matches_numpy():
    x = torch.tensor(A)
    close(x.prod(), np.prod(A))
    close(torch.prod(x, 1, keepdim=True), np.prod(A, axis=1, keepdims=True))
    ints = torch.tensor([[1, 2], [3, 4]], dtype=torch.int32).prod(0)
    assert ints.dtype == torch.int64 and ints.tolist() == [3, 8]
    with pytest.raises(TypeError, match="dim must be an int or None"):
        x.prod((0, 1))


# -- masked_fill, fills ----------------------------------------------------------------------------
def test_masked_fill_keeps_the_dtype_and_broadcasts_the_mask():
    x = torch.tensor(A)
    mask = x > 0
    close(x.masked_fill(mask, -1.5), np.where(A > 0, -1.5, A))
    close(torch.masked_fill(x, mask, torch.tensor(2.0)), np.where(A > 0, 2.0, A))
    row = torch.tensor([True, False, False, True])
    close(x.masked_fill(row, 0.0), np.where([True, False, False, True], 0.0, A))
    ints = torch.tensor([1, 2, 3]).masked_fill(torch.tensor([False, True, False]), 2.7)
    assert ints.dtype == torch.int64 and ints.tolist() == [1, 2, 3]  # 2.7 cast to 2
    with pytest.raises(RuntimeError, match="only supports boolean masks, but got mask with "
                                           "dtype int64"):
        x.masked_fill(torch.tensor([1, 0, 0, 1]), 0.0)
    with pytest.raises(RuntimeError, match="only supports a 0-dimensional value tensor"):
        x.masked_fill(mask, torch.zeros(4))
    close(run_graph(lambda t: t.masked_fill(t > 0, -1.5), A), np.where(A > 0, -1.5, A))


def test_masked_fill__updates_in_place():
    x = torch.tensor(A)
    memory, version = x.numpy(), x._version[0]
    out = x.masked_fill_(x < 0, 0.25)
    assert out is x and x.numpy() is memory and x._version[0] > version
    np.testing.assert_array_equal(memory, np.where(A < 0, 0.25, A))
    leaf = torch.tensor(A, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"leaf tensor that requires grad is used in an "
                                           r"in-place operation \(masked_fill_\)"):
        leaf.masked_fill_(leaf > 0, 0.0)


def test_fill__casts_the_value_and_updates_in_place():
    x = torch.zeros(2, 3)
    memory = x.numpy()
    assert x.fill_(2.5) is x and x.numpy() is memory
    np.testing.assert_array_equal(memory, np.full((2, 3), 2.5, np.float32))
    ints = torch.tensor([1, 2, 3])
    assert ints.fill_(7.9).tolist() == [7, 7, 7]  # PyTorch casts the number
    x.fill_(torch.tensor(-1.0, dtype=torch.float64))
    np.testing.assert_array_equal(memory, np.full((2, 3), -1.0, np.float32))
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor but "
                                           "got tensor with 1 dimensions"):
        x.fill_(torch.zeros(3))
    with pytest.raises(TypeError, match="value must be a number or a 0-d tensor, not str"):
        x.fill_("1")


def test_normal__and_uniform__draw_from_the_eager_generator_in_place():
    for dtype, np_dtype in ((torch.float32, np.float32), (torch.float64, np.float64)):
        x = torch.zeros(3, 4, dtype=dtype)
        memory = x.numpy()
        torch.manual_seed(11)
        assert x.normal_(2.0, 0.5) is x and x.numpy() is memory
        expected = np.random.default_rng(11).standard_normal((3, 4)) * 0.5 + 2.0
        np.testing.assert_array_equal(memory, expected.astype(np_dtype))
        torch.manual_seed(12)
        x.uniform_(-3.0, 1.0)
        expected = np.random.default_rng(12).uniform(-3.0, 1.0, (3, 4))
        np.testing.assert_array_equal(memory, expected.astype(np_dtype))
    torch.manual_seed(12)
    close(torch.zeros(3, 4, dtype=torch.float64).uniform_(a=-3.0, b=1.0),
          np.random.default_rng(12).uniform(-3.0, 1.0, (3, 4)))
    with pytest.raises(RuntimeError, match="normal_ expects std >= 0.0, but found std -1"):
        x.normal_(0, -1)
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range, "
                                           "but found from=2 > to=1"):
        x.uniform_(2, 1)
    with pytest.raises(RuntimeError, match="expects a floating point tensor, got int64"):
        torch.tensor([1, 2]).normal_()


# -- small functions ------------------------------------------------------------------------
def test_type_as_dot_mv_clip_isnan():
    x, v = torch.tensor(A), torch.tensor(A[0])
    assert x.type_as(torch.tensor([1])).dtype == torch.int64 and x.type_as(x) is x
    close(torch.dot(v, v), np.dot(A[0], A[0]))
    close(v.dot(v), np.dot(A[0], A[0]))
    close(torch.mv(x.t(), torch.tensor(A[:, 0])), A.T @ A[:, 0])
    close(x.clip(-0.5, 0.5), np.clip(A, -0.5, 0.5))
    close(torch.clip(x, min=0.0), np.clip(A, 0.0, None))
    nan = torch.tensor([1.0, float("nan"), -float("inf")])
    assert nan.isnan().tolist() == [False, True, False]
    assert torch.isnan(torch.tensor([1, 2])).tolist() == [False, False]
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 1D tensors"):
        torch.dot(x, v)
    with pytest.raises(RuntimeError, match=r"inconsistent tensor size, expected tensor \[4\] "
                                           r"and src \[3\]"):
        torch.dot(v, torch.tensor(A[:, 0]))
    with pytest.raises(RuntimeError, match="expected both vectors to have same dtype, but "
                                           "found float64 and float32"):
        torch.dot(v, v.float())
    with pytest.raises(RuntimeError, match="vector \\+ matrix @ vector expected"):
        torch.mv(v, v)


def test_graph_tensors_have_the_methods():
    out = run_graph(lambda a, b: [a.permute(1, 0), a.repeat(1, 2), a.prod(0), a.isnan(),
                                  a[0].dot(a[1]), a.mv(b), a.clip(-1, 1), a.type_as(b)],
                    A, A[0])
    expected = [A.T, np.tile(A, (1, 2)), np.prod(A, 0), np.isnan(A), A[0] @ A[1], A @ A[0],
                np.clip(A, -1, 1), A]
    for value, want in zip(out, expected):
        close(value, want)


GRADIENTS = {
    "permute": (lambda x: x.permute(2, 0, 1), [B]),
    "contiguous": (lambda x: x.transpose(0, 1).contiguous() * np.arange(3.0), [A]),
    "expand": (lambda x: x.expand(2, 3, 5), [COLUMN]),
    "expand_as": (lambda x, y: x.expand_as(y) * y, [COLUMN, A]),
    "repeat": (lambda x: x.repeat(2, 1, 3), [A]),
    "var": (lambda x: x.var(1), [A]),
    "std": (lambda x: x.std(0, keepdim=True, correction=0), [A]),
    "std-all": (lambda x: x.std(), [A]),
    "prod": (lambda x: x.prod(1), [A]),
    "masked_fill": (lambda x: x.masked_fill(x > 0.3, 2.0), [A]),
    "dot": (lambda x, y: x.dot(y), [A[0], A[1]]),
    "mv": (lambda x, y: x.mv(y), [A, A[0]]),
}


@pytest.mark.parametrize("mode", ["eager", "graph"])
@pytest.mark.parametrize("case", sorted(GRADIENTS))
def test_gradients_match_finite_differences(case, mode):
    fn, inputs = GRADIENTS[case]
    gc.test.check_gradients(fn, inputs, mode=mode)


def test_masked_fill_with_a_tensor_value_passes_its_gradient():
    value = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(A, requires_grad=True)
    x.masked_fill(x > 0, value).sum().backward()
    assert value.grad.item() == (A > 0).sum()
    np.testing.assert_array_equal(x.grad.numpy(), (A <= 0).astype(float))


# -- creation with size= -------------------------------------------------------------------------
def test_creation_takes_size_by_keyword():
    for make in (torch.zeros, torch.ones, torch.empty):
        assert make(size=(2, 3)).shape == (2, 3) and make(size=[4]).shape == (4,)
    np.testing.assert_array_equal(torch.ones(size=(2, 2)).numpy(), np.ones((2, 2), np.float32))
    torch.manual_seed(3)
    np.testing.assert_array_equal(torch.randn(size=(2, 3), dtype=torch.float64).numpy(),
                                  np.random.default_rng(3).standard_normal((2, 3)))
    torch.manual_seed(3)
    np.testing.assert_array_equal(torch.rand(size=(4,), dtype=torch.float64).numpy(),
                                  np.random.default_rng(3).random(4))
    with pytest.raises(TypeError, match=r"zeros\(\): give the sizes or size=, not both"):
        torch.zeros(2, size=(2,))


# -- torch.autograd, torch.__version__ -----------------------------------------------------------
def test_variable_is_a_detached_tensor_sharing_memory():
    from graphc.eager.autograd import Variable

    x = torch.tensor([1.0, 2.0])
    v = Variable(x)
    assert isinstance(v, torch.Tensor) and isinstance(x, Variable) and not v.requires_grad
    v[0] = 5.0
    assert x[0].item() == 5.0
    w = torch.autograd.Variable(x, requires_grad=True)
    assert w.requires_grad and w.is_leaf and not x.requires_grad
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [10.0, 4.0])
    with pytest.warns(UserWarning, match="volatile was removed"):
        Variable(x, volatile=True)
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        Variable([1.0])
    assert not isinstance(np.zeros(1), Variable)


def test_autograd_grad_matches_finite_differences_and_leaves_grad_alone():
    a, b = torch.tensor(A, requires_grad=True), torch.tensor(A[0], requires_grad=True)
    loss = ((a * b).sin().sum() + (b * b).sum())
    ga, gb = torch.autograd.grad(loss, [a, b])
    assert a.grad is None and b.grad is None

    def f(values, which):
        x, y = (values, A[0]) if which == 0 else (A, values)
        return np.sin(x * y).sum() + (y * y).sum()

    np.testing.assert_allclose(ga.numpy(), numeric_gradient(lambda v: f(v, 0), [A.copy()], 0),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb.numpy(), numeric_gradient(lambda v: f(v, 1), [A[0].copy()], 0),
                               rtol=1e-6, atol=1e-8)
    close(ga, np.cos(A * A[0]) * A[0])  # and the closed form


def test_autograd_grad_sums_weighted_outputs():
    x = torch.tensor(A[0], requires_grad=True)
    y, z = x * x, (3 * x).sum()
    weights = np.arange(4.0)
    (g,) = torch.autograd.grad([y, z], x, grad_outputs=[torch.tensor(weights), None])
    close(g, 2 * A[0] * weights + 3)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           "outputs"):
        torch.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape "
                                           r"of \(3,\) and output\[0\] has a shape of \(4,\)"):
        torch.autograd.grad(y, x, grad_outputs=torch.zeros(3))


def test_autograd_grad_errors_and_unused_inputs():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    unused = torch.tensor([1.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        torch.autograd.grad(y, [x, unused])
    gx, gu = torch.autograd.grad(y, [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0] and gu is None
    with pytest.raises(NotImplementedError, match="input 0 is not a leaf tensor"):
        torch.autograd.grad(y, x * 1)
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        torch.autograd.grad(y, x, create_graph=True)
    with pytest.raises(RuntimeError, match=r"input 0\) does not require grad"):
        torch.autograd.grad(y, torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        torch.autograd.grad(torch.tensor(1.0), x)


def test_autograd_module_holds_pytorchs_names_and_the_version_is_a_string():
    from graphc.eager import autograd

    assert torch.autograd is autograd and autograd.Function is torch.Function
    assert autograd.no_grad is torch.no_grad
    assert isinstance(torch.__version__, str) and torch.__version__.startswith("2.")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        major, minor = (int(n) for n in torch.__version__.split(".")[:2])
    assert (major, minor) >= (1, 0)

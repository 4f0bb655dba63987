"""PyTorch's Tensor methods on graph and eager tensors alike (graphc/eager/methods.py): one
model function run on an eager tensor and on a graph placeholder gives the same values (and
gradients), both checked against numpy; the *_like creators on graph tensors; every op
function as a method; add/sub with alpha; clamp's gradient at its bounds. Where PyTorch and
TensorFlow 1 conflict on a graph tensor, TensorFlow 1's meaning stays (checked below)."""

import warnings

import numpy as np
import pytest

import graphc as gc
import graphc.eager as torch
from graphc.eager import methods

RNG = np.random.default_rng(11)
X = RNG.standard_normal((4, 3))
TOL = dict(rtol=1e-12, atol=1e-12)


def graph_value(fn, data, shape=None):
    """fn built on a float64 placeholder (batch dim unknown by default), run on data."""
    x = gc.placeholder(gc.float64, shape if shape is not None else (None,) + data.shape[1:])
    out = fn(x)
    with gc.Session() as sess:
        return sess.run(out, {x: data})


def eager_value(fn, data):
    out = fn(torch.tensor(data))
    if isinstance(out, tuple):
        return type(out)(*(o.numpy() for o in out)) if hasattr(out, "_fields") else \
            tuple(o.numpy() for o in out)
    return out.numpy()


def both(fn, data, expected, shape=None):
    """fn's values on an eager tensor and on a graph placeholder, each equal to expected."""
    eager, graph = eager_value(fn, data), graph_value(fn, data, shape)
    for got in (eager, graph):
        if isinstance(expected, tuple):
            assert len(got) == len(expected)
            for g, e in zip(got, expected):
                np.testing.assert_allclose(g, e, **TOL)
                assert np.asarray(g).dtype == np.asarray(e).dtype
        else:
            np.testing.assert_allclose(got, expected, **TOL)
            assert np.asarray(got).dtype == np.asarray(expected).dtype, (got, expected)
    return eager, graph


# -- each method of the report, on both kinds of tensor ------------------------------------
def _softmax(x, axis):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


@pytest.mark.parametrize("name, fn, reference", [
    ("unsqueeze", lambda x: x.unsqueeze(1), lambda x: x[:, None]),
    ("unsqueeze -1", lambda x: x.unsqueeze(-1), lambda x: x[..., None]),
    ("squeeze dim", lambda x: x.unsqueeze(1).squeeze(1), lambda x: x),
    ("squeeze dim not 1", lambda x: x.squeeze(1), lambda x: x),
    ("squeeze all", lambda x: x.unsqueeze(2).squeeze(), lambda x: x),
    ("flatten", lambda x: x.unsqueeze(2).flatten(1), lambda x: x),
    ("flatten all", lambda x: x.flatten(), lambda x: x.ravel()),
    ("transpose", lambda x: x.transpose(0, 1), lambda x: x.T),
    ("transpose -1 0", lambda x: x.unsqueeze(1).transpose(-1, 0), lambda x: x[:, None].T),
    ("float", lambda x: x.float(), lambda x: x.astype(np.float32)),
    ("double", lambda x: x.float().double(), lambda x: x.astype(np.float32).astype(np.float64)),
    ("long", lambda x: (x * 10).long(), lambda x: (x * 10).astype(np.int64)),
    ("int", lambda x: (x * 10).int(), lambda x: (x * 10).astype(np.int32)),
    ("bool", lambda x: x.bool(), lambda x: x.astype(bool)),
    ("max", lambda x: x.max(), lambda x: x.max()),
    ("min", lambda x: x.min(), lambda x: x.min()),
    ("argmax", lambda x: x.argmax(1), lambda x: x.argmax(1)),
    ("argmin", lambda x: x.argmin(0), lambda x: x.argmin(0)),
    ("argmax flat", lambda x: x.argmax(), lambda x: np.int64(x.argmax())),
    ("argmax keepdim", lambda x: x.argmax(1, keepdim=True), lambda x: x.argmax(1)[:, None]),
    ("softmax", lambda x: x.softmax(1), lambda x: _softmax(x, 1)),
    ("softmax 0", lambda x: x.softmax(dim=0), lambda x: _softmax(x, 0)),
    ("log_softmax", lambda x: x.log_softmax(-1), lambda x: np.log(_softmax(x, -1))),
    ("norm", lambda x: x.norm(), lambda x: np.sqrt((x ** 2).sum())),
    ("norm 1 dim", lambda x: x.norm(1, dim=1), lambda x: np.abs(x).sum(1)),
    ("sum int64", lambda x: (x > 0).sum(1), lambda x: (x > 0).sum(1).astype(np.int64)),
    ("mean keepdim", lambda x: x.mean(0, keepdim=True), lambda x: x.mean(0, keepdims=True)),
    ("t", lambda x: x.t(), lambda x: x.T),
    ("view_as", lambda x: x.transpose(0, 1).view_as(x), lambda x: x.T.reshape(x.shape)),
    ("eq", lambda x: x.eq(x.max(1, keepdim=True).values),
     lambda x: x == x.max(1, keepdims=True)),
    ("where", lambda x: x.where(x > 0, -x), lambda x: np.abs(x)),
])
def test_a_pytorch_method_gives_the_same_values_on_graph_and_eager_tensors(name, fn, reference):
    both(fn, X, reference(X))


def test_max_and_min_of_a_dim_are_values_and_indices_on_both():
    for op in ("max", "min"):
        eager, graph = both(lambda x, op=op: getattr(x, op)(1),
                            X, (getattr(X, op)(1), getattr(X, f"arg{op}")(1).astype(np.int64)))
        values = getattr(gc.placeholder(gc.float64, (None, 3)), op)(1, keepdim=True)
        assert values._fields == ("values", "indices")
        assert values.values.shape == (None, 1) and values.indices.dtype == gc.int64
    both(lambda x: torch.max(x, 0).values, X, X.max(0))
    both(lambda x: x.max(x * 0), X, np.maximum(X, 0))  # elementwise


def test_max_of_a_dim_gives_its_gradient_to_the_index_alone_on_both():
    ties = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    expected = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # PyTorch's: the first maximum
    x = torch.tensor(ties, requires_grad=True)
    x.max(1).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    p = gc.placeholder(gc.float64, (None, 3))
    grad, = gc.gradients(p.max(1).values.sum(), [p])
    with gc.Session() as sess:
        np.testing.assert_array_equal(sess.run(grad, {p: ties}), expected)


def test_a_pytorch_forward_runs_on_a_placeholder_and_on_an_eager_tensor():
    w = RNG.standard_normal((3, 5))

    def forward(x, weight):
        h = x.unsqueeze(1).flatten(1).matmul(weight).transpose(0, 1).t()  # (batch, 5)
        h = torch.where(h > 0, h, torch.zeros_like(h))
        values, indices = h.max(1)
        probs = h.double().softmax(1) + h.log_softmax(dim=1).exp()
        return (probs.sum(1) + values - indices.float().double() + h.argmax(1).double()
                + h.norm() + h.min() + h.squeeze(1).sum(1))

    hidden = np.maximum(X @ w, 0)
    expected = (2 + hidden.max(1) - hidden.argmax(1) + hidden.argmax(1)
                + np.sqrt((hidden ** 2).sum()) + hidden.min() + hidden.sum(1))
    eager = forward(torch.tensor(X), torch.tensor(w)).numpy()
    x = gc.placeholder(gc.float64, (None, 3))
    graph = forward(x, gc.constant(w, gc.float64))
    with gc.Session() as sess:
        graph = sess.run(graph, {x: X})
    np.testing.assert_allclose(eager, expected, rtol=1e-12)
    np.testing.assert_allclose(graph, eager, rtol=1e-12)


def test_methods_on_graph_tensors_say_what_they_need_to_know():
    x = gc.placeholder(gc.float32, (None, 3))
    with pytest.raises(ValueError, match=r"squeeze: the size of dim 0 of graph tensor "
                                         r"'placeholder:0' \(shape \(None, 3\)\) is not known"):
        x.squeeze(0)
    with pytest.raises(ValueError, match="rank of graph tensor .* must be known"):
        gc.placeholder(gc.float32).transpose(0, 1)
    with pytest.raises(IndexError, match=r"transpose: dim 2 is out of range for shape "
                                         r"\(None, 3\) \(Tensor.transpose is PyTorch.s"):
        x.transpose(0, 2)
    with pytest.raises(ValueError, match="split: the size of dim 0 .* must be known"):
        x.split(2)
    with pytest.raises(TypeError, match="equal\\(\\): expected eager tensors, got Tensor; on "
                                        "a graph tensor"):
        x.equal(x)


# -- TensorFlow 1's meanings stay on graph tensors -----------------------------------------
def test_tensorflow_1_meanings_stay_on_graph_tensors():
    x = gc.placeholder(gc.float32, (2, 3), name="x")
    assert x == x and x != gc.identity(x) and {x: 1}[x] == 1  # identity, a feed_dict key
    assert isinstance(x.type, gc.graph.TensorType)  # .type is the TensorType, not a cast
    assert x.type.dtype == gc.float32 and x.type.shape == (2, 3)
    assert gc.transpose(x, [1, 0]).shape == (3, 2)  # the functions keep TensorFlow's
    assert [p.shape for p in gc.split(x, 3, axis=1)] == [(2, 1)] * 3
    assert gc.argmax(x).shape == (3,)  # axis 0
    assert x.split(1, dim=1)[0].shape == (2, 1)  # the method is PyTorch's: parts of size 1
    assert len(x.split(2, 1)) == 2


# -- the *_like creators on graph tensors ---------------------------------------------------
def test_like_creators_build_graph_nodes_of_the_run_time_shape():
    x = gc.placeholder(gc.float32, (None, 3))
    made = {"zeros": torch.zeros_like(x), "ones": torch.ones_like(x, dtype=torch.int64),
            "full": torch.full_like(x, 2.5), "inf": torch.full_like(x, float("inf")),
            "bool": torch.full_like(x, 1, dtype=torch.bool)}
    assert all(isinstance(t, gc.Tensor) for t in made.values())
    assert made["zeros"].shape == (None, 3) and made["ones"].dtype == gc.int64
    data = X.astype(np.float32)
    with gc.Session() as sess:
        got = sess.run(made, {x: data})
    for key, value, dtype in [("zeros", 0, np.float32), ("ones", 1, np.int64),
                              ("full", 2.5, np.float32), ("inf", np.inf, np.float32),
                              ("bool", True, np.bool_)]:
        np.testing.assert_array_equal(got[key], np.full((4, 3), value, dtype))
        assert got[key].dtype == dtype


def test_where_with_zeros_like_runs_on_graph_and_eager_tensors():
    both(lambda x: torch.where(x > 0, x, torch.zeros_like(x)), X, np.where(X > 0, X, 0.0))
    both(lambda x: torch.full_like(x, 7) - x, X, 7 - X)


def test_like_creators_on_graph_tensors_refuse_clearly():
    x = gc.placeholder(gc.float32, (None, 3))
    with pytest.raises(TypeError, match="requires_grad=True is for eager tensors, and the "
                                        "input 'placeholder:0' is a graph tensor"):
        torch.zeros_like(x, requires_grad=True)
    with pytest.raises(TypeError, match="randn_like: the input 'placeholder:0' is a graph "
                                        "tensor"):
        torch.randn_like(x)
    with pytest.raises(TypeError, match="rand_like: .* is a graph tensor"):
        torch.rand_like(x)
    with pytest.raises(TypeError, match="ones_like: expected an eager or a graph tensor, got "
                                        "ndarray"):
        torch.ones_like(X)


# -- every op function is a method ----------------------------------------------------------
def test_every_op_function_that_takes_a_tensor_first_is_a_method_of_both():
    names = [n for n in gc.ops.__all__ if n not in methods.NOT_METHODS]
    assert {"sign", "gather", "tile", "maximum", "minimum", "cast", "split", "reduce_sum",
            "expand_dims", "one_hot"} <= set(names)
    x = gc.placeholder(gc.float32, (2, 3))
    for name in names:
        assert callable(getattr(torch.Tensor, name)), name
        assert callable(getattr(x, name)), name
    for name in methods.OP_METHODS:  # the generated ones are the op functions themselves
        assert getattr(torch.Tensor, name) is getattr(gc.ops, name)


@pytest.mark.parametrize("name, fn, reference", [
    ("sign", lambda x: x.sign(), np.sign),
    ("maximum", lambda x: x.maximum(x * 0), lambda x: np.maximum(x, 0)),
    ("minimum", lambda x: x.minimum(x * 0), lambda x: np.minimum(x, 0)),
    ("cast", lambda x: (x * 10).cast(gc.int64), lambda x: (x * 10).astype(np.int64)),
    ("reduce_sum", lambda x: x.reduce_sum(1), lambda x: x.sum(1)),
    ("expand_dims", lambda x: x.expand_dims(0), lambda x: x[None]),
    ("tile", lambda x: x.tile(2, 1), lambda x: np.tile(x, (2, 1))),
    ("tile fewer", lambda x: x.tile(2), lambda x: np.tile(x, (1, 2))),
    ("tile more", lambda x: x.tile((2, 1, 1)), lambda x: np.tile(x, (2, 1, 1))),
    ("gather", lambda x: x.gather(1, (x * 0).long() + 2),
     lambda x: np.take_along_axis(x, np.full(x.shape, 2), 1)),
])
def test_op_methods_give_the_same_values_on_graph_and_eager_tensors(name, fn, reference):
    both(fn, X, reference(X), shape=X.shape)


def test_split_is_pytorchs_on_both():
    data = RNG.standard_normal((5, 4))
    both(lambda x: x.split(2), data, (data[:2], data[2:4], data[4:]), shape=data.shape)
    both(lambda x: x.split([1, 3], dim=1), data, (data[:, :1], data[:, 1:]), shape=data.shape)
    both(lambda x: torch.split(x, 4, 1), data, (data,), shape=data.shape)


def test_gather_is_pytorchs_with_its_gradient():
    data = RNG.standard_normal((3, 4))
    index = np.array([[0, 0], [3, 1], [2, 2]])
    expected = np.take_along_axis(data, index, 1)
    both(lambda x: x.gather(1, torch.tensor(index) if isinstance(x, torch.Tensor)
                            else gc.constant(index, gc.int64)), data, expected)
    dim0 = np.array([[2, 0, 1, 1]])  # along dim 0, index of fewer rows
    both(lambda x: torch.gather(x, 0, torch.tensor(dim0) if isinstance(x, torch.Tensor)
                                else gc.constant(dim0, gc.int64)), data,
         np.take_along_axis(data, dim0, 0), shape=data.shape)
    x = torch.tensor(data, requires_grad=True)
    x.gather(1, torch.tensor(index)).sum().backward()
    counts = np.zeros_like(data)
    np.add.at(counts, (np.arange(3)[:, None], index), 1)  # repeated indices add up
    np.testing.assert_array_equal(x.grad.numpy(), counts)
    p = gc.placeholder(gc.float64, (None, 4))
    grad, = gc.gradients(p.gather(1, gc.constant(index, gc.int64)).sum(), [p])
    with gc.Session() as sess:
        np.testing.assert_array_equal(sess.run(grad, {p: data}), counts)
    with pytest.raises(IndexError, match="gather: index 4 is out of bounds for dimension 1 "
                                         "with size 4"):
        x.gather(1, torch.tensor([[4]]))


def test_equal_is_pytorchs_a_python_bool():
    a = torch.tensor([1.0, 2.0])
    assert a.equal(torch.tensor([1.0, 2.0])) is True
    assert torch.equal(a, torch.tensor([1.0, 3.0])) is False
    assert a.equal(torch.tensor([[1.0, 2.0]])) is False


# -- add and sub with alpha -----------------------------------------------------------------
def test_add_and_sub_take_alpha_on_both():
    other = RNG.standard_normal((4, 3))

    def o(x):
        return torch.tensor(other) if isinstance(x, torch.Tensor) else gc.constant(other,
                                                                                   gc.float64)
    both(lambda x: x.add(o(x), alpha=2), X, X + 2 * other)
    both(lambda x: torch.add(x, o(x), alpha=-0.5), X, X - 0.5 * other)
    both(lambda x: x.sub(o(x), alpha=3), X, X - 3 * other)
    both(lambda x: torch.sub(x, 1.5, alpha=2), X, X - 3.0)
    both(lambda x: x.add(o(x)), X, X + other)
    ints = torch.tensor([1, 2])
    assert torch.add(ints, ints, alpha=3).tolist() == [4, 8]
    assert torch.add(ints, ints, alpha=3).dtype == torch.int64
    with pytest.raises(TypeError, match="for integral input tensors, argument alpha must not "
                                        "be a floating point number"):
        ints.add(ints, alpha=0.5)
    with pytest.raises(TypeError, match="alpha must be a number, not str"):
        torch.add(ints, ints, alpha="2")


def test_alpha_scales_the_gradient():
    a = torch.tensor(X, requires_grad=True)
    b = torch.tensor(X * 2, requires_grad=True)
    a.sub(b, alpha=3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.ones_like(X))
    np.testing.assert_array_equal(b.grad.numpy(), np.full_like(X, -3.0))


def test_in_place_add_and_sub_take_alpha_and_the_old_spelling():
    p = torch.tensor(X.copy(), requires_grad=True)
    (p * p).sum().backward()
    lr = 0.1
    p.data.add_(p.grad, alpha=-lr)
    np.testing.assert_allclose(p.detach().numpy(), X - lr * 2 * X, **TOL)
    p.data.sub_(p.grad, alpha=lr)
    np.testing.assert_allclose(p.detach().numpy(), X - 2 * lr * 2 * X, **TOL)
    with pytest.warns(UserWarning, match=r"This overload of add_ is deprecated: "
                                         r"add_\(Number alpha, Tensor other\)"):
        p.data.add_(-lr, p.grad)
    np.testing.assert_allclose(p.detach().numpy(), X - 3 * lr * 2 * X, **TOL)
    q = torch.tensor([1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert q.add_(1).tolist() == [2.0, 3.0]  # the plain spellings do not warn
        assert q.add_(q, alpha=2).tolist() == [6.0, 9.0]
    with pytest.raises(TypeError, match=r"add_\(\) takes \(other, \*, alpha=1\)"):
        q.add_(q, q)


# -- clamp ------------------------------------------------------------------------------------
def test_clamp_gradient_passes_at_its_bounds_as_pytorchs():
    x = torch.tensor([-1.0, 0.0, 1.0, 2.0, 3.0], requires_grad=True)
    x.clamp(0.0, 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 1, 0])
    for kwargs, expected in [({"min": 0.0}, [0, 1, 1, 1, 1]), ({"max": 2.0}, [1, 1, 1, 1, 0])]:
        y = torch.tensor([-1.0, 0.0, 1.0, 2.0, 3.0], requires_grad=True)
        torch.clamp(y, **kwargs).sum().backward()
        np.testing.assert_array_equal(y.grad.numpy(), expected)
    p = gc.placeholder(gc.float32, (None,))
    grad, = gc.gradients(p.clamp(0.0, 2.0).sum(), [p])
    with gc.Session() as sess:
        np.testing.assert_array_equal(
            sess.run(grad, {p: np.array([-1, 0, 1, 2, 3], np.float32)}), [0, 1, 1, 1, 0])


def test_clamp_values_nan_dtypes_and_tensor_bounds():
    data = np.array([np.nan, -3.0, 0.5, 7.0])
    both(lambda x: x.clamp(-1.0, 1.0), data, np.array([np.nan, -1.0, 0.5, 1.0]))
    both(lambda x: x.clamp(2.0, 1.0), data, np.array([np.nan, 1.0, 1.0, 1.0]))  # min > max
    f32 = torch.tensor([1.5, -2.0]).clamp(0, 1)
    assert f32.dtype == torch.float32 and f32.tolist() == [1.0, 0.0]
    ints = torch.tensor([1, 5, -4]).clamp(0, 2)
    assert ints.dtype == torch.int64 and ints.tolist() == [1, 2, 0]
    low = torch.tensor([0.0, 0.0, 1.0], requires_grad=True)
    x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.clamp(min=low).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1])  # a tie goes to x
    np.testing.assert_array_equal(low.grad.numpy(), [1, 0, 0])

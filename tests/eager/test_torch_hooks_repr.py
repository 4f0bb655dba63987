"""Module forward hooks and forward pre-hooks (eager and on graph tensors), and how eager
tensors, their grad_fn and torch.Size print (PyTorch's exact strings)."""

import numpy as np
import pytest

import graphc as gc
import graphc.eager as torch
from graphc import nn
from graphc import graph as graph_ir
from graphc.nn.module import RemovableHandle


class Affine(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.array([2.0, 3.0]))

    def forward(self, x, y=None):
        return x * self.scale if y is None else x * self.scale + y


def _x():
    return torch.tensor([1.0, 1.0], dtype=torch.float64)


def _ones():
    return torch.ones(2, dtype=torch.float64)


# -- hooks --------------------------------------------------------------------------------------

def test_forward_hook_sees_module_inputs_and_output_and_can_replace_it():
    m, calls = Affine(), []

    def hook(module, args, output):
        calls.append((module, args, output))

    handle = m.register_forward_hook(hook)
    x = _x()
    out = m(x)
    [(module, args, seen)] = calls
    assert module is m and type(args) is tuple and len(args) == 1 and args[0] is x
    assert seen is out and out.tolist() == [2.0, 3.0]
    replace = m.register_forward_hook(lambda module, args, output: output + 10)
    assert m(x).tolist() == [12.0, 13.0]
    assert isinstance(handle, RemovableHandle)
    handle.remove()
    handle.remove()  # (again: nothing)
    assert m(x).tolist() == [12.0, 13.0] and len(calls) == 2
    replace.remove()
    assert m(x).tolist() == [2.0, 3.0] and not m._forward_hooks


def test_forward_pre_hook_replaces_the_input_by_a_tuple_or_one_value():
    m, seen = Affine(), []
    one = m.register_forward_pre_hook(lambda module, args: seen.append(args) or args[0] * 10)
    assert m(_x()).tolist() == [20.0, 30.0]
    assert len(seen) == 1 and type(seen[0]) is tuple and len(seen[0]) == 1
    one.remove()
    both = m.register_forward_pre_hook(lambda module, args: (args[0], _ones()))
    assert m(_x()).tolist() == [3.0, 4.0]
    both.remove()
    assert m(_x()).tolist() == [2.0, 3.0]


def test_hooks_run_in_order_each_seeing_the_last_replacement():
    m, order = Affine(), []
    m.register_forward_hook(lambda mod, a, out: order.append("a") or out * 2)
    m.register_forward_hook(lambda mod, a, out: order.append("b") or out + 1)
    m.register_forward_hook(lambda mod, a, out: order.append("first") or out * 0,
                            prepend=True)
    m.register_forward_pre_hook(lambda mod, a: order.append("pre"))
    assert m(_x()).tolist() == [1.0, 1.0]  # ((out * 0) * 2) + 1
    assert order == ["pre", "first", "a", "b"]


def test_hooks_with_kwargs_and_as_a_context_manager():
    m, seen = Affine(), []
    with m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"y": _ones()}),
                                     with_kwargs=True):
        with m.register_forward_hook(
                lambda mod, args, kwargs, out: seen.append(sorted(kwargs)), with_kwargs=True):
            assert m(_x()).tolist() == [3.0, 4.0]
    assert seen == [["y"]] and m(_x()).tolist() == [2.0, 3.0]
    assert not m._forward_hooks and not m._forward_pre_hooks and not m._hooks_with_kwargs
    m.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        m(_x())
    with pytest.raises(TypeError, match="hook must be callable"):
        m.register_forward_hook(None)


def test_hooks_on_submodules_collect_activations_and_gradients_flow_through_replacements():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    activations = {}

    def keep(name):
        def hook(module, args, output):
            activations[name] = output.detach()
        return hook

    handles = [model[i].register_forward_hook(keep(f"layer{i}")) for i in range(3)]
    x = torch.randn(5, 3)
    out = model(x)
    assert sorted(activations) == ["layer0", "layer1", "layer2"]
    assert activations["layer2"].tolist() == out.tolist()
    assert activations["layer1"].tolist() == model[1](model[0](x)).tolist()
    for h in handles:
        h.remove()
    model(x).sum().backward()
    plain = model[2].weight.grad.tolist()
    model.zero_grad()
    model[2].register_forward_hook(lambda mod, args, out: out * 3)
    model(x).sum().backward()
    np.testing.assert_allclose(model[2].weight.grad.tolist(), np.array(plain) * 3, rtol=1e-6)


def test_hooks_work_on_graph_tensors():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    seen = []
    model[0].register_forward_hook(lambda mod, args, out: seen.append((args, out)) or out * 2)
    model[2].register_forward_pre_hook(lambda mod, args: args[0] + 1)
    x = np.random.RandomState(0).rand(5, 3).astype(np.float32)
    eager = model(torch.tensor(x)).detach().numpy()
    graph = gc.Graph()
    with graph.as_default():
        holder = gc.placeholder(gc.float32, (None, 3))
        out = model(holder)
    with gc.Session(graph) as sess:
        value = sess.run(out, {holder: x})
    assert len(seen) == 2
    (args, graph_out) = seen[1]
    assert args[0] is holder and isinstance(graph_out, graph_ir.Tensor)
    np.testing.assert_allclose(value, eager, rtol=1e-6)
    plain = nn.Sequential(model[0], model[1], model[2])
    model[0]._forward_hooks.clear()
    model[2]._forward_pre_hooks.clear()
    assert not np.allclose(plain(torch.tensor(x)).detach().numpy(), eager)


# -- printing -----------------------------------------------------------------------------------

def test_the_blitz_tutorials_prints():
    x = torch.ones(2, 2, requires_grad=True)
    assert repr(x) == "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"
    y = x + 2
    assert str(y) == "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)"
    z = y * y * 3
    out = z.mean()
    assert repr(z) == "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>)"
    assert repr(out) == "tensor(27., grad_fn=<MeanBackward0>)"
    assert repr(y.grad_fn) == "<AddBackward0>"


@pytest.mark.parametrize("make, expected", [
    (lambda: torch.tensor([1, 2, 3]), "tensor([1, 2, 3])"),
    (lambda: torch.tensor(3.5), "tensor(3.5000)"),
    (lambda: torch.tensor(-2.0), "tensor(-2.)"),
    (lambda: torch.tensor([0.1, 0.25]), "tensor([0.1000, 0.2500])"),
    (lambda: torch.tensor([-1.0, 0.0, 2.5]), "tensor([-1.0000,  0.0000,  2.5000])"),
    (lambda: torch.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: torch.tensor([1.0, 1e9]), "tensor([1.0000e+00, 1.0000e+09])"),
    (lambda: torch.tensor([1.0, float("nan"), float("inf")]), "tensor([1., nan, inf])"),
    (lambda: torch.zeros(3), "tensor([0., 0., 0.])"),
    (lambda: torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64),
     "tensor([[1., 2.],\n        [3., 4.]], dtype=torch.float64)"),
    (lambda: torch.tensor([1, 2], dtype=torch.int32), "tensor([1, 2], dtype=torch.int32)"),
    (lambda: torch.tensor([True, False]), "tensor([ True, False])"),
    (lambda: torch.tensor([]), "tensor([])"),
    (lambda: torch.zeros(0, 3), "tensor([], size=(0, 3))"),
    (lambda: torch.zeros(0, dtype=torch.int64), "tensor([], dtype=torch.int64)"),
    (lambda: torch.arange(12).reshape(2, 2, 3),
     "tensor([[[ 0,  1,  2],\n         [ 3,  4,  5]],\n\n        [[ 6,  7,  8],\n"
     "         [ 9, 10, 11]]])"),
    (lambda: torch.arange(30.0),
     "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
     "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
     "        28., 29.])"),
    (lambda: torch.arange(2000.0),
     "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
     "        1.9990e+03])"),
    (lambda: torch.arange(14.0, requires_grad=True) * 1.5,
     "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
     "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000],\n"
     "       grad_fn=<MulBackward0>)"),
])
def test_tensor_repr(make, expected):
    assert repr(make()) == expected


def test_summarized_matrix_repr():
    text = repr(torch.arange(2000.0).reshape(100, 20) / 10 + 1)
    lines = text.split("\n")
    assert len(lines) == 7 and lines[3] == "        ...,"
    assert lines[0] == ("tensor([[  1.0000,   1.1000,   1.2000,  ...,   2.7000,   2.8000,   "
                        "2.9000],")
    assert lines[-1] == ("        [199.0000, 199.1000, 199.2000,  ..., 200.7000, 200.8000, "
                         "200.9000]])")


def test_grad_fn_names():
    x = torch.ones(2, 3, requires_grad=True)
    w = torch.ones(3, 3, requires_grad=True)
    v = torch.ones(3, requires_grad=True)
    names = {
        "<SubBackward0>": x - 1, "<DivBackward0>": x / 2, "<NegBackward0>": -x,
        "<SumBackward0>": x.sum(), "<SumBackward1>": x.sum(1), "<MeanBackward1>": x.mean(0),
        "<MmBackward0>": x @ w, "<MvBackward0>": w @ v, "<DotBackward0>": v @ v,
        "<AddmmBackward0>": nn.Linear(3, 2)(x), "<ReluBackward0>": torch.relu(x),
        "<SigmoidBackward0>": torch.sigmoid(x), "<TanhBackward0>": torch.tanh(x),
        "<ExpBackward0>": x.exp(), "<LogBackward0>": x.log(), "<PowBackward0>": x ** 2,
        "<TBackward0>": x.t(), "<ViewBackward0>": x.view(6), "<SelectBackward0>": x[0],
        "<SliceBackward0>": x[:, 1:], "<IndexBackward0>": x[[0, 1]],
        "<CatBackward0>": torch.cat([x, x]), "<CloneBackward0>": x.clone(),
        "<ToCopyBackward0>": x.double(), "<MaxBackward1>": x.max(),
    }
    for name, t in names.items():
        assert repr(t.grad_fn) == name, (name, t.grad_fn)
        assert name in repr(t)


def test_a_function_subclass_is_named_after_its_class():
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    y = Cube.apply(torch.tensor([2.0], requires_grad=True))
    assert repr(y) == "tensor([8.], grad_fn=<CubeBackward>)"


def test_parameter_repr():
    p = nn.Parameter(torch.tensor([1.0, 2.0]))
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"


def test_size():
    x = torch.zeros(2, 3)
    assert repr(x.shape) == str(x.size()) == f"{x.shape}" == "torch.Size([2, 3])"
    assert x.shape == (2, 3) == torch.Size([2, 3]) and isinstance(x.shape, tuple)
    assert x.size(1) == 3 and x.shape[0] == 2 and x.shape.numel() == 6
    assert repr(x.shape[1:]) == "torch.Size([3])" and repr(x.shape + (4,)) == \
        "torch.Size([2, 3, 4])"
    assert repr(torch.tensor(1.0).shape) == "torch.Size([])"
    a, b = x.shape
    assert (a, b) == (2, 3) and np.zeros(x.shape).shape == (2, 3)
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\)"):  # graphc's messages: tuples
        torch.zeros(2, 3, requires_grad=True).backward()

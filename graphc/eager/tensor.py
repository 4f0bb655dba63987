"""Eager tensors: values computed as each op runs, recorded for backward() when needed."""

from __future__ import annotations

import warnings
import weakref
from typing import Any

import numpy as np

from graphc import graph as graph_ir
from graphc.dtypes import DType, as_dtype
from graphc.eager.defaults import get_default_dtype
from graphc.eager.device import device
from graphc.eager.printing import Size, tensor_repr
from graphc.eager.promotion import promoted_dtype
from graphc.eager.tape import Record, RemovableHandle, add_hook, is_grad_enabled, leaf_gradients
from graphc.graph import TensorType
from graphc.ops import core
from graphc.ops.core import as_array, infer
from graphc.ops.elementwise import add, cast, divide, equal, multiply, not_equal, subtract
from graphc.ops.index import getitem, setitem, static_index
from graphc.ops.operators import install_operators
from graphc.ops.shape import broadcast_like, identity
from graphc.registry import OpDef
from graphc.runtime.arrays import add_into, copy_of, full_like, host, moved_to, write_into
from graphc.runtime.cuda.device import check_device, is_device_array, to_device


class Tensor:
    """A PyTorch-style tensor: `array` is its numpy array, or on device "cuda" its numba
    device array."""

    __slots__ = ("array", "requires_grad", "grad", "grad_fn", "_version", "_base", "_views",
                 "_hooks", "__weakref__")
    __array_ufunc__ = None  # numpy defers to our reflected operators

    def __init__(self, data: Any = (), *sizes: int, requires_grad: bool = False,
                 grad_fn: Record | None = None, version: list[int] | None = None,
                 base: Tensor | None = None) -> None:
        if type(data) is not np.ndarray and not is_device_array(data):
            data = _constructor_data(data, sizes)
        self.array = data
        self.requires_grad = requires_grad
        self.grad: Tensor | None = None
        self.grad_fn = grad_fn
        self._version = version if version is not None else [0]
        self._base = base  # the tensor whose memory this one shares (a view), if any
        self._views: tuple[weakref.ref[Tensor], ...] = ()  # this tensor's views (weakly)
        self._hooks: dict[int, Any] | None = None  # a leaf's gradient hooks (register_hook)
        if base is not None:
            base._views = (*[r for r in base._views if r() is not None], weakref.ref(self))

    # -- properties ------------------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """The same values (shared memory) as a tensor that is not recorded; unlike detach(),
        in-place changes through it are not seen by autograd's version checks (PyTorch)."""
        return Tensor(self.array)

    @data.setter
    def data(self, value: Any) -> None:
        """Make this tensor hold `value`'s array (a tensor's, shared; or a numpy array)."""
        if isinstance(value, Tensor):
            value = value.array
        elif not (isinstance(value, np.ndarray) or is_device_array(value)):
            raise TypeError(f"data: assigned value must be a tensor, not "
                            f"{type(value).__name__}")
        if self.requires_grad and value.dtype.kind != "f":
            raise RuntimeError(f"data set to a tensor that requires gradients must be "
                               f"floating point, not {value.dtype}")
        self.array = value

    @property
    def shape(self) -> Size:
        return Size(self.array.shape)

    @property
    def device(self) -> device:
        return _CUDA if is_device_array(self.array) else _CPU

    @property
    def dtype(self) -> DType:
        return as_dtype(self.array.dtype)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def ndim(self) -> int:
        return self.array.ndim

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        return self.array.ndim

    def numel(self) -> int:
        return int(self.array.size)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # -- autograd --------------------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate the gradient of this tensor into the .grad of every leaf it uses
        (PyTorch's arguments).

        graphc always keeps the recorded graph: backward() frees nothing, so calling it
        again through the same ops works whatever `retain_graph` says (PyTorch needs
        retain_graph=True for that); the argument is accepted for PyTorch's sake.
        create_graph=True (recording the backward pass for higher-order gradients) is not
        supported: a NotImplementedError. `inputs` (a leaf tensor or a sequence of them)
        limits the accumulation to those leaves' .grad; the other leaves are left alone."""
        if create_graph:
            raise NotImplementedError(
                "backward(create_graph=True) is not supported: graphc does not record the "
                "backward pass, so higher-order gradients are not available in eager mode "
                "(gc.gradients in a graph can differentiate a gradient)")
        leaves = _inputs(inputs)
        if not self.requires_grad:
            raise RuntimeError("backward(): the tensor does not require grad and has no grad_fn")
        wanted = None if leaves is None else {id(t) for t in leaves}
        for leaf, g in leaf_gradients(self, _seed(self, gradient), retain=True, wanted=wanted):
            if wanted is not None and id(leaf) not in wanted:
                continue
            if leaf.grad is None:
                leaf.grad = Tensor(copy_of(g.array))
            else:
                add_into(leaf.grad.array, g.array)
                leaf.grad._version[0] += 1

    def register_hook(self, hook: Any) -> RemovableHandle:
        """Call hook(grad) with this tensor's gradient whenever backward() computes it: on a
        leaf, once every contribution is summed and before it is added into .grad; on a
        non-leaf, as the backward pass reaches it. A hook that returns a tensor (of the
        gradient's shape and dtype) replaces the gradient for the hooks after it and for the
        rest of the backward pass; hooks run in the order registered. The handle's remove()
        takes the hook off."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if not callable(hook):
            raise TypeError(f"register_hook(): hook must be callable, got "
                            f"{type(hook).__name__}")
        if self.grad_fn is None:
            self._hooks, handle = add_hook(self._hooks, hook)
        else:
            self.grad_fn.hooks, handle = add_hook(self.grad_fn.hooks, hook)
        return handle

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in .grad after backward() (accumulating, as a
        leaf's does); nothing for a leaf, whose .grad is kept anyway."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn.retains = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        """Whether this non-leaf tensor keeps its gradient in .grad (retain_grad())."""
        fn = self.grad_fn
        return fn is not None and fn.retains is not None and fn.retains() is self

    def detach(self) -> Tensor:
        """The same values (shared memory), cut from the tape."""
        return self.alias()

    def alias(self) -> Tensor:
        """A tape-free view sharing data and version counter."""
        return Tensor(self.array, version=self._version)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not self.is_leaf:
            raise RuntimeError("requires_grad_() can only change leaf tensors")
        _check_differentiable(self.dtype, requires_grad)
        self.requires_grad = requires_grad
        return self

    def clone(self) -> Any:
        """A copy with its own memory; gradients flow through it."""
        return identity(self)

    # -- conversion ------------------------------------------------------------------------
    def item(self) -> Any:
        if self.array.size != 1:
            raise ValueError(f"item(): the tensor has {self.array.size} elements, not 1")
        return host(self.array).item()

    def numpy(self) -> np.ndarray:
        """The values as a numpy array sharing this tensor's memory."""
        if self.device != "cpu":
            raise TypeError("numpy() on a cuda tensor: copy it to the host first with "
                            "tensor.cpu()")
        if self.requires_grad:
            raise RuntimeError("numpy() on a tensor that requires grad; use "
                               "tensor.detach().numpy()")
        return self.array

    def tolist(self) -> Any:
        return host(self.array).tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """numpy sees the values (e.g. when an eager tensor is fed to a Session)."""
        values = host(self.array)
        return values if dtype is None else values.astype(dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __bool__(self) -> bool:
        return bool(self.item())

    # elementwise, as PyTorch's (graph tensors keep TensorFlow 1's identity: they are
    # feed_dict keys); hashed by identity, so tensors stay usable as dict keys and in sets
    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        return equal(self, other)

    def __ne__(self, other: object) -> Any:  # type: ignore[override]
        return not_equal(self, other)

    __hash__ = object.__hash__

    def __iter__(self) -> Any:
        return (getitem(self, i) for i in range(len(self)))

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """to(device), to(dtype), to(device, dtype) or to(other) (other's device and dtype):
        itself when nothing changes. A new dtype is a cast (gradients flow through it); a new
        device a copy, a new leaf with the same requires_grad."""
        where, dtype = _to_arguments(args, kwargs)
        out: Tensor = self if dtype is None or dtype == self.dtype else \
            cast(self, dtype)  # type: ignore[assignment]
        if where is None or where == out.device:
            return out
        if out.grad_fn is not None and is_grad_enabled():
            raise RuntimeError("to(): a tensor computed by recorded ops cannot move across "
                               "devices (its gradient would stop there); move the leaf "
                               "tensors it was computed from instead")
        return Tensor(moved_to(where, out.array), requires_grad=out.requires_grad)

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def cpu(self) -> Tensor:
        return self.to("cpu")

    # -- in-place updates --------------------------------------------------------------------
    def _recorded_with(self, other: Any) -> bool:
        """Whether an in-place update of this tensor by `other` goes on the tape."""
        return is_grad_enabled() and (self.requires_grad or getattr(other, "requires_grad",
                                                                      False))

    def _update(self, how: str, fn: Any, other: Any, ufunc: Any = None) -> Tensor:
        """Replace this tensor's value by fn(self, other), in place.

        When nothing is recorded and `ufunc` computes the same thing, it writes straight
        into this tensor's memory (one pass, no temporary), as numpy's `w -= x` does.
        """
        tracked = self._recorded_with(other)
        if tracked:
            self._check_recordable(how)
        if not tracked:
            _check_writable(self.array, how)
        if ufunc is not None and not tracked and _fits_in_place(self.array, other, ufunc):
            ufunc(self.array, other.array if isinstance(other, Tensor) else other, out=self.array)
            self._version[0] += 1
            return self
        result = fn(self, other)
        if result.shape != self.shape:
            raise ValueError(f"{how}: the result has shape {result.shape}, but the tensor "
                             f"updated in place has shape {self.shape}")
        if result.dtype != self.dtype:  # (type promotion made it wider)
            raise RuntimeError(f"{how}: the result type {result.dtype.name} can't be cast to "
                               f"the dtype of the tensor updated in place, {self.dtype.name}; "
                               f"make a new tensor instead (x = x + y)")
        if tracked:  # the tensor now stands for the new value, and records how it was made
            self.array, self.grad_fn, self.requires_grad = result.array, result.grad_fn, True
            self._version = result._version
        else:
            write_into(self.array, result.array)
            self._version[0] += 1
        return self

    def _check_recordable(self, how: str) -> None:
        """Refuse an in-place update that would be recorded where graphc cannot record it:
        of a leaf that requires grad (PyTorch refuses it too), or of a view, whose new
        value and history the tensor it shares memory with would not get."""
        if self.is_leaf and self.requires_grad:
            raise RuntimeError(f"a leaf tensor that requires grad is used in an in-place "
                               f"operation ({how}); do the update inside `with ge.no_grad():`")
        if self._base is not None:
            raise NotImplementedError(
                f"{how}: an in-place update recorded for backward() of a view (t[i], view(), "
                "t(), transpose(), unsqueeze()...) is not supported; update the tensor "
                "itself (t[i] = value), a clone(), or inside `with ge.no_grad():`")
        if any(view() is not None for view in self._views):
            raise NotImplementedError(
                f"{how}: an in-place update recorded for backward() of a tensor that has a "
                "view (t[i], view(), t()... kept in a variable) is not supported: the view "
                "would keep the old values; drop the view first, update a clone(), or "
                "update inside `with ge.no_grad():`")

    def __iadd__(self, other: Any) -> Tensor:
        return self._update("+=", add, other, np.add)

    def __isub__(self, other: Any) -> Tensor:
        return self._update("-=", subtract, other, np.subtract)

    def __imul__(self, other: Any) -> Tensor:
        return self._update("*=", multiply, other, np.multiply)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._update("/=", divide, other, np.true_divide)

    def add_(self, other: Any) -> Tensor:
        return self._update("add_", add, other, np.add)

    def sub_(self, other: Any) -> Tensor:
        return self._update("sub_", subtract, other, np.subtract)

    def mul_(self, other: Any) -> Tensor:
        return self._update("mul_", multiply, other, np.multiply)

    def zero_(self) -> Tensor:
        return self._update("zero_", lambda a, _: Tensor(full_like(a.array, 0)), None,
                            lambda a, _, out: out.fill(0))

    def copy_(self, src: Any) -> Tensor:
        def copied(a: Tensor, b: Any) -> Any:
            b = (b if isinstance(b, Tensor) else as_eager(b, a.dtype)).to(a.device)
            return broadcast_like(b if b.dtype == a.dtype else cast(b, a.dtype), a)  # type: ignore[arg-type]
        return self._update("copy_", copied, src)

    def __setitem__(self, index: Any, value: Any) -> None:
        index = static_index(index)
        if self._recorded_with(value):
            self._check_recordable("index assignment")
            self._update("index assignment", lambda a, v: setitem(a, v, index), value)
            return
        _check_writable(self.array, "index assignment")
        new = host(value.array) if isinstance(value, Tensor) else \
            as_array(value, self.dtype, "index assignment")
        if is_device_array(self.array):  # indexing runs on the host (the setitem fallback)
            values = host(self.array)
            values[index] = new
            write_into(self.array, values)
        else:
            self.array[index] = new
        self._version[0] += 1

    def __repr__(self) -> str:
        return tensor_repr(self)  # (PyTorch's layout: graphc/eager/printing.py)


install_operators(Tensor)


_CPU, _CUDA = device("cpu"), device("cuda:0")


def _to_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str | None,
                                                                          DType | None]:
    """The device ('cpu' or 'cuda') and dtype that Tensor.to's arguments ask for."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy"}
    if unknown:
        raise TypeError(f"to(): unexpected keyword arguments {sorted(unknown)}")
    where, dtype = kwargs.get("device"), kwargs.get("dtype")
    for a in args:
        if isinstance(a, Tensor):
            where, dtype = a.device, a.dtype
        elif isinstance(a, str | device):
            where = a
        else:
            dtype = a
    return (None if where is None else check_device(where),
            None if dtype is None else as_dtype(dtype))


def _seed(root: Tensor, gradient: Any) -> Tensor:
    """backward()'s starting gradient d root / d root: `gradient` (root's shape), or 1 for
    a root of one element."""
    if gradient is None:
        if root.array.size != 1:
            raise RuntimeError(f"backward(): grad can be implicitly created only for scalar "
                               f"outputs; this tensor has shape {root.shape}, so pass "
                               "gradient= (a tensor of that shape)")
        return Tensor(full_like(root.array, 1))
    seed = as_eager(gradient, root.dtype).to(root.device)
    if seed.shape != root.shape:
        raise RuntimeError(f"backward(): gradient has shape {seed.shape}, but the tensor "
                           f"has shape {root.shape}")
    return seed


def _inputs(inputs: Any) -> list[Tensor] | None:
    """backward()'s `inputs`: None, or the leaf tensors to accumulate into."""
    if inputs is None:
        return None
    items = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not items:
        raise RuntimeError("backward(): 'inputs' argument to backward() cannot be empty")
    for t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"backward(): inputs must be tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError("backward(): one of the differentiated Tensors given as "
                               "inputs does not require grad")
        if not t.is_leaf:
            raise NotImplementedError("backward(inputs=...): graphc accumulates only into "
                                      "leaf tensors; a non-leaf tensor was given")
    return items


def _constructor_data(data: Any, sizes: tuple[int, ...]) -> np.ndarray:
    """PyTorch's legacy constructor: torch.Tensor(2, 3) is a tensor of that shape (graphc
    fills it with zeros), torch.Tensor([1, 2]) a copy of the data in the default float
    dtype, torch.Tensor() an empty one."""
    dtype = get_default_dtype().np
    if isinstance(data, int | np.integer) and not isinstance(data, bool):
        shape = (data, *sizes)
        if not all(isinstance(n, int | np.integer) and n >= 0 for n in shape):
            raise TypeError(f"Tensor(): sizes must be non-negative ints, got {shape}")
        return np.zeros(shape, dtype)
    if sizes:
        raise TypeError(f"Tensor(): give either sizes or data, not {type(data).__name__} "
                        f"data and sizes {sizes}")
    if isinstance(data, Tensor):
        return np.asarray(host(data.array), dtype)
    if not isinstance(data, list | tuple | np.ndarray):
        raise TypeError(f"Tensor(): data must be a sequence (a list or tuple), not "
                        f"{type(data).__name__}; use ge.tensor({data!r}) for a 0-d tensor")
    return np.array(data, dtype)


def _fits_in_place(target: np.ndarray, other: Any, ufunc: Any = None) -> bool:
    """Whether `other` (a same-dtype tensor or a Python number) updates the host array
    `target` in place exactly as the op would; anything else (and every device array) takes
    the op's path and its checks (true division of integers, or an int added to a bool
    tensor, has a wider result, which the op's path refuses)."""
    if is_device_array(target):
        return False
    if ufunc is np.true_divide and target.dtype.kind != "f":
        return False
    if isinstance(other, Tensor):
        return other.array.dtype == target.dtype and \
            np.broadcast_shapes(target.shape, other.shape) == target.shape
    return other is None or (isinstance(other, int | float) and not isinstance(other, bool)
                             and (target.dtype.kind == "f" or
                                  (isinstance(other, int) and target.dtype.kind in "iu")))


def _check_writable(array: Any, how: str) -> None:
    """Refuse, naming the cause, an in-place update of a tensor whose host array numpy
    marks read-only (ge.from_numpy(array) and ge.Tensor(array) share a read-only array's
    memory)."""
    if type(array) is np.ndarray and not array.flags.writeable:
        raise ValueError(f"{how}: the tensor is read-only, because the numpy array it shares "
                         "memory with (as ge.from_numpy(array) does) is read-only; update "
                         "a copy (tensor.clone()) instead, or give from_numpy a writable "
                         "array (np.array(array) copies one)")


def _check_differentiable(dtype: DType, requires_grad: bool) -> None:
    if requires_grad and not dtype.is_floating:
        raise RuntimeError(f"only floating-point tensors can require gradients, not "
                           f"{dtype.name}")


def as_eager(value: Any, dtype: DType | None = None, op: str = "tensor") -> Tensor:
    """A tensor as is, or a tensor holding a Python or numpy value (as `dtype` if given)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, graph_ir.Tensor):
        raise TypeError(f"{op}: cannot mix the graph tensor '{value.name}' with eager "
                        "tensors; run the graph in a Session to get its value")
    return Tensor(as_array(value, dtype, op))


# PyTorch's view ops: on the CPU their results share their input's memory (and its version
# counter) where numpy's do (basic indexing, a reshape the layout allows, transposes,
# unsqueeze, squeeze), so a write through either is seen by the other
VIEWS = frozenset({"getitem", "reshape", "reshape_like", "transpose", "expand_dims",
                   "squeeze"})


def eager_apply(opdef: OpDef, inputs: tuple[Any, ...], attrs: dict[str, Any]) -> Tensor:
    """Run one op now with its numpy reference, recording it if a gradient may be needed."""
    if opdef.effect not in (None, "collective", "print"):  # (a print prints at once)
        raise TypeError(f"{opdef.name} has run-time state and exists only in graphs")
    promoted = _promotion(opdef, inputs) if opdef.elementwise and len(inputs) > 1 else None
    tensors = list(inputs)
    for x in inputs:  # (explicit loops: this runs for every eager op)
        if not isinstance(x, Tensor):
            hint = promoted or next((as_dtype(x.array.dtype) for x in inputs if
                                     isinstance(x, Tensor) and x.array.dtype.kind != "b"), None)
            tensors = [x if isinstance(x, Tensor) else as_eager(x, hint, opdef.name)
                       for x in inputs]
            break
    if promoted is not None:  # recorded casts, so gradients flow back to each dtype
        first = 1 if opdef.name == "where" else 0  # (the condition stays bool)
        tensors[first:] = [t if t.dtype == promoted else
                           cast(t, promoted) for t in tensors[first:]]  # type: ignore[misc]
    arrays, on_host, wants_grad = [], True, False
    for t in tensors:
        arrays.append(t.array)
        on_host = on_host and type(t.array) is np.ndarray
        wants_grad = wants_grad or t.requires_grad
    out_type = _output_type(opdef, arrays, attrs)
    base = None
    if not on_host and any(is_device_array(a) for a in arrays):
        from graphc.runtime.cuda.eager import run_op

        value = run_op(opdef, _on_device(opdef.name, arrays), attrs, out_type)
    else:
        out_dtype = out_type.dtype.np
        value = opdef.reference(*arrays, **attrs)  # type: ignore[misc]
        if type(value) is not np.ndarray or value.dtype != out_dtype:
            value = np.asarray(value, dtype=out_dtype)
        if opdef.name in VIEWS and value.base is not None and \
                np.may_share_memory(value, arrays[0]):
            base = tensors[0]
        elif value.base is not None or not value.flags.writeable or \
                any(value is a for a in arrays):
            value = value.copy()  # other results never share memory with inputs
    track = wants_grad and opdef.grad is not None and is_grad_enabled()
    out = Tensor(value, requires_grad=track, base=base,
                 version=None if base is None else base._version)
    if track:
        out.grad_fn = Record(opdef.name, opdef.grad, tensors, attrs, out)  # type: ignore[arg-type]
    return out


_promotions: dict[tuple[Any, ...], DType | None] = {}


def _promotion(opdef: OpDef, inputs: tuple[Any, ...]) -> DType | None:
    """The dtype PyTorch computes an elementwise op in, where an operand differs from it
    (see promotion.py), or the default float dtype for a true division of integers or bools
    (PyTorch's torch.div); None when every operand is a tensor of one dtype that the op
    keeps (the usual case). It depends only on each operand's dtype and whether it has
    dims (or on its type, for a number), so it is worked out once per such signature: an
    eager loop asks the same question on every step."""
    operands = inputs[1:] if opdef.name == "where" else inputs
    first = operands[0]
    same = isinstance(first, Tensor) and all(isinstance(x, Tensor) and x.array.dtype ==
                                             first.array.dtype for x in operands)
    if same and (first.array.dtype.kind == "f" or opdef.name != "divide"):
        return None  # (the usual case, answered without building a key)
    floats = {x.array.dtype for x in operands if isinstance(x, Tensor)}
    if len(floats) == 1 and floats.pop().kind == "f" and all(
            isinstance(x, Tensor) or type(x) in (int, float) for x in operands):
        return None  # (a float tensor and Python numbers: the tensor's dtype)
    key = (opdef.name == "divide", get_default_dtype(),
           *[(x.dtype, x.ndim == 0) if hasattr(x, "dtype") and hasattr(x, "ndim")
             and not isinstance(x, np.generic) else type(x) for x in operands])
    if key in _promotions:
        return _promotions[key]
    promoted = None if same else promoted_dtype(operands)
    if opdef.name == "divide":  # true division of integers or bools: the default float dtype
        result = promoted or next(as_dtype(x.array.dtype) for x in operands
                                  if isinstance(x, Tensor))
        if not result.is_floating:
            promoted = get_default_dtype()
    if len(_promotions) < 10_000:
        _promotions[key] = promoted
    return promoted


def _on_device(op: str, arrays: list[Any]) -> list[Any]:
    """The inputs of an op on device tensors, all on the device: a 0-d host value moves
    there (as a Python number would); any other host tensor is an error."""
    for a in arrays:
        if not is_device_array(a) and a.ndim:
            raise RuntimeError(f"{op}: expected all tensors on the same device, but found "
                               f"tensors on cuda and cpu (a cpu tensor of shape {a.shape}); "
                               "move them with .to('cuda') or .cpu()")
    return [to_device(a) for a in arrays]


_rule_answers: dict[tuple[Any, ...], TensorType] = {}


def _output_type(opdef: OpDef, arrays: list[Any], attrs: dict[str, Any]) -> TensorType:
    """The op's shape/dtype rule on these inputs (raising its errors), remembered per
    signature: an eager loop asks the same question on every step."""
    parts: list[Any] = [opdef.name]
    for a in arrays:
        parts += (a.dtype, a.shape)
    try:
        key: tuple[Any, ...] | None = (*parts, *attrs.items()) if attrs else tuple(parts)
        answer = _rule_answers.get(key)  # type: ignore[arg-type]
    except TypeError:  # an unhashable attribute, such as a boolean mask index
        key, answer = None, None
    if answer is None:
        types = [TensorType(as_dtype(a.dtype), tuple(a.shape)) for a in arrays]
        answer = infer(opdef, types, attrs)
        if key is not None and len(_rule_answers) < 100_000:
            _rule_answers[key] = answer
    return answer


def silence_ieee_warnings() -> None:
    """An eager op's arithmetic is IEEE's, silent as PyTorch's: numpy's warnings of a
    division by zero, an invalid value or an overflow, raised in graphc's own code (the ops'
    references), are not shown; the user's own numpy calls still warn. (A filter, installed
    when graphc.eager loads: numpy.errstate around each op would cost it 2 us.)"""
    warnings.filterwarnings("ignore", r"(divide by zero|invalid value|overflow|underflow) "
                            r"encountered", RuntimeWarning, r"graphc\.")


silence_ieee_warnings()

core.eager_type = Tensor
core.eager_apply = eager_apply

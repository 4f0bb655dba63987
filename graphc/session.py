"""Session: holds variable values and compiled programs, and runs fetches with feeds."""

from __future__ import annotations

import contextlib
import operator
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.config import ConfigProto, check_config
from graphc.errors import FailedPreconditionError, InvalidArgumentError
from graphc.gate import Gate
from graphc.graph import Graph, Node, Tensor, get_default_graph
from graphc.ops.flow import running_on
from graphc.function_runner import FunctionBuild
from graphc.interrupts import HeldSignals
from graphc.passes.pipeline import build_program
from graphc.program import Program
from graphc.registry import OPS
from graphc.runtime import RunState, get_backend
from graphc.runtime.arrays import copy_of, host, write_into
from graphc.runtime.cuda.device import check_device
from graphc.runtime.backend import Executable

Fetch = Tensor | Node


class Session:
    """Runs parts of a graph. Variables get values per session; use as a context manager.

    Inside `with Session() as sess:` (or `with sess.as_default():`) it is the default session
    of this thread, which `tensor.eval()` and `op.run()` use, as in TensorFlow 1.
    `config`, a gc.ConfigProto (TensorFlow 1's session options), is accepted and has no
    effect.

    Thread safety: several threads may call run() at once. A run reads the variables as they
    were when it started; runs that assign variables (or draw random numbers) are serialized,
    each committing before the next starts, so no update is lost. A run whose compiled form
    updates variables in their own buffers (the numba backend's SGD step) runs alone: it
    waits for the runs in flight, and runs that start meanwhile wait for it.
    """

    def __init__(self, graph: Graph | None = None, backend: str | None = None,
                 check_numerics: bool = False, optimize: bool = True,
                 disabled_passes: Iterable[str] = (), device: str | None = None,
                 config: ConfigProto | None = None) -> None:
        check_config(config)  # (TensorFlow 1's options: accepted, no effect; config.py)
        self.graph = graph or get_default_graph()
        self.backend = get_backend(_backend_for(backend, device))
        self.check_numerics = check_numerics
        self.optimize = optimize
        self.disabled_passes = tuple(disabled_passes)
        build_program((), disabled=self.disabled_passes)  # reject unknown pass names now
        self._state = RunState()
        self._cache: dict[tuple[Any, ...], tuple[Program, Executable]] = {}
        self._calls: dict[tuple[Any, ...], _Call] = {}  # by _quick_key: the lean path
        self._seen: dict[tuple[Any, ...], _Call] = {}  # by the ids of fetches and feed keys
        self._held: list[Any] = []  # the objects whose ids are keys of _seen
        self._closed = False
        self._lock = threading.Lock()  # guards the cache and the variable table
        self._writer = threading.Lock()  # held by a state-changing run from read to commit
        self._gate = Gate()  # shared by runs, exclusive to one that updates in place

    @property
    def device(self) -> str:
        """Where the session's variables live and its graphs run: 'cpu' or 'cuda'."""
        return "cuda" if self.backend.name == "cuda" else "cpu"

    def run(self, fetches: Any, feed_dict: dict[Any, Any] | None = None) -> Any:
        """Evaluate `fetches` (tensors, ops, names, or lists/tuples/dicts of them).

        Returns numpy values in the same structure, None for ops. Variable assignments made
        by the run take effect when it ends, and only if it succeeds.
        """
        if self._closed:
            raise RuntimeError(_CLOSED)
        feed_dict = feed_dict or {}
        # the objects themselves identify a call the session has seen (it keeps them alive)
        seen = (type(fetches), *map(id, fetches if type(fetches) in (list, tuple)
                                    else (fetches,)), None, *map(id, feed_dict))
        call = self._seen.get(seen)
        fed = call.take_feeds(tuple(feed_dict.values())) if call is not None else None
        if call is None or fed is None:
            call, fed = self._find(fetches, feed_dict, seen)
        return call.results(self._execute(call, fed))

    def _find(self, fetches: Any, feed_dict: dict[Any, Any],
              seen: tuple[Any, ...]) -> tuple[_Call, list[Any]]:
        """The call for these fetches and feed keys (known by what they name, or resolved
        now) and its feeds (checked and converted)."""
        key = _quick_key(fetches, feed_dict)
        call = self._calls.get(key) if key is not None else None
        fed = call.take_feeds(tuple(feed_dict.values())) if call is not None else None
        if call is None or fed is None:  # resolve, check and convert everything
            call, fed = self._prepare(fetches, feed_dict)
        if key is not None and len(self._calls) < _MAX_CALLS:
            self._calls[key] = call
        flat = type(fetches) not in (list, tuple) or \
            not any(type(f) in (list, tuple) for f in fetches)  # (an inner list is new each run)
        if key is not None and flat and seen not in self._seen and \
                len(self._seen) < _MAX_CALLS:
            self._seen[seen] = call
            # the objects whose ids `seen` holds, kept alive so no other object takes an id
            items = tuple(fetches) if type(fetches) in (list, tuple) else (fetches,)
            self._held.append((items, tuple(feed_dict)))
        return call, fed

    def make_callable(self, fetches: Any, feed_list: Iterable[Any] = ()) -> Callable[..., Any]:
        """A function that runs `fetches` with the values of the tensors in `feed_list`,
        given positionally: `step = sess.make_callable([loss, train], [x, y])`, then
        `step(x_value, y_value)` returns what `sess.run([loss, train], {x: x_value,
        y: y_value})` would, with less work per call (TensorFlow's make_callable)."""
        keys = list(feed_list)
        tensors = [self._resolve_feed_key(k) for k in keys]  # a bad key fails now
        if len(set(tensors)) != len(tensors):
            raise ValueError("make_callable: feed_list names a tensor more than once")
        prepared: list[_Call] = []

        def run(*values: Any) -> Any:
            if self._closed:
                raise RuntimeError(_CLOSED)
            if len(values) != len(keys):
                raise TypeError(f"this callable takes {len(keys)} feed values (for "
                                f"{', '.join(t.name for t in tensors) or 'no tensors'}), "
                                f"got {len(values)}")
            fed = prepared[0].take_feeds(values) if prepared else None
            if fed is None:  # the first call, or values that need converting or checking
                call, fed = self._prepare(fetches, dict(zip(keys, values)))
                prepared[:] = [call]
            return prepared[0].results(self._execute(prepared[0], fed))
        return run

    def _prepare(self, fetches: Any, feed_dict: dict[Any, Any]) -> tuple[_Call, list[Any]]:
        leaves: list[Any] = []
        rebuild = _flatten(fetches, leaves)
        targets = [self._resolve_fetch(x) for x in leaves]
        feeds = {self._resolve_feed_key(k): v for k, v in feed_dict.items()}
        feeds = {t: _convert_feed(t, v) for t, v in feeds.items()}
        fetched, program, executable = self._compiled(targets, feeds)
        order = list(feeds) if len(feeds) == len(feed_dict) else []
        # program.feeds are these tensors in this order (retyped where a feed's rank was
        # unknown until now: see specialize_ranks)
        fed = list(feeds.values())
        positions = [order.index(t) if order else -1 for t in feeds]
        call = _Call(program, executable, positions, len(feed_dict), fed, targets, fetched,
                     rebuild)
        if any(OPS[n.op].calls for n in program.schedule):
            backend = self.backend.name if self.backend.runs_functions else "numpy"
            call.functions = FunctionBuild(backend, self.optimize, self.disabled_passes,
                                           self.check_numerics)
        return call, fed

    def _execute(self, call: _Call, fed: list[np.ndarray]) -> list[np.ndarray]:
        # Ctrl-C (any Python signal handler) lands before the run or after it, never
        # between taking a lock and its try, or between two writes of a commit
        with HeldSignals():
            if not call.writer:
                return self._gated(call, fed)
            with self._writer:
                return self._gated(call, fed)

    def _gated(self, call: _Call, fed: list[np.ndarray]) -> list[np.ndarray]:
        gate = self._gate
        if call.exclusive:
            gate.enter_exclusive()
            try:
                return self._run(call, fed)
            finally:
                gate.leave_exclusive()
        gate.enter_shared()
        try:
            return self._run(call, fed)
        finally:
            gate.leave_shared()

    def _run(self, call: _Call, fed: list[np.ndarray]) -> list[np.ndarray]:
        if self._closed:  # closed while this run waited for the gate
            raise RuntimeError(_CLOSED)
        # a writer sees the live values: no other run changes them until it commits
        state = self._state if call.writer and not call.program.bound_reads else \
            self._snapshot(call.program, copy_bound=not call.writer)
        if not call.ready:  # once it holds, it holds: variables never lose their values
            self._check_ready(call.program, state)
            call.ready = True
        if call.functions is None:
            values, writes = call.executable(fed, state)
        else:  # control flow compiles its branches and bodies as this session does
            with running_on(call.functions):
                values, writes = call.executable(fed, state)
        if writes:
            self._commit(writes)
        return list(map(_to_user, values))  # copied before another run updates them

    def _snapshot(self, program: Program, copy_bound: bool = True) -> RunState:
        """Variable values as they are now; bound variables read their storage (on the
        backend's device; a copy unless `copy_bound` is false, for a writer, which may
        update it in place, and whose commit no reader can see half done)."""
        with self._lock:
            state = self._state.snapshot()
            for node in program.bound_reads:
                data = node.attrs["storage"].array
                placed = self.backend.place(data)
                state.variables[node] = copy_of(data) if placed is data and copy_bound \
                    else placed
        return state

    def _commit(self, writes: dict[Node, np.ndarray]) -> None:
        with self._lock:
            variables = self._state.variables
            for node, value in writes.items():
                storage = node.attrs.get("storage")
                if storage is None:
                    variables[node] = value
                else:  # in place: the owner's tensor (e.g. a module parameter) sees it
                    if value is not storage.array:  # (else the run updated it in place)
                        write_into(storage.array, value)
                    storage._version[0] += 1

    def variable_values(self, nodes: list[Node]) -> dict[Node, np.ndarray]:
        """The current values (copies) of the given variable nodes; all must be initialized."""
        program = Program(tuple(nodes), (), ())
        with HeldSignals(), self._gate.shared():
            state = self._snapshot(program)
            self._check_ready(program, state)
            return {n: np.array(host(state.variables[n]), copy=True) for n in nodes}

    def load_variables(self, values: dict[Node, np.ndarray]) -> None:
        """Set variables at once; nothing changes unless every value has the right shape
        and dtype."""
        for node, value in values.items():
            t = node.types[0]
            if value.dtype != t.dtype.np or not shapes.matches(t.shape, value.shape):
                raise ValueError(f"cannot load a {value.dtype}{shapes.fmt(value.shape)} value "
                                 f"into variable '{node.name}' of type {t}")
        with HeldSignals(), self._writer:  # (all or nothing, even under Ctrl-C)
            # C-ordered: native code updates a variable's array in place, row after row
            self._commit({n: self.backend.place(np.array(v, copy=True, order="C"))
                          for n, v in values.items()})

    def close(self) -> None:
        """Release the session's variable values and compiled programs. Runs in flight on
        other threads finish first; runs that start later raise RuntimeError."""
        self._closed = True
        with HeldSignals(), self._writer:
            self._gate.enter_exclusive()
            try:
                self._state = RunState()
                self._cache.clear()
                self._calls.clear()
                self._seen.clear()
                self._held.clear()
            finally:
                self._gate.leave_exclusive()

    @contextlib.contextmanager
    def as_default(self) -> Iterator[Session]:
        """Make this the default session (of this thread) inside the block, for
        `tensor.eval()` and `op.run()`; the session stays open after it."""
        _default_sessions().append(self)
        try:
            yield self
        finally:
            _leave_default(self)

    def __enter__(self) -> Session:
        _default_sessions().append(self)  # the default session inside the block
        return self

    def __exit__(self, *exc: object) -> None:
        _leave_default(self)
        self.close()

    # -- helpers ---------------------------------------------------------------------------
    def _compiled(self, targets: list[Fetch], feeds: dict[Tensor, np.ndarray]
                  ) -> tuple[tuple[Tensor, ...], Program, Executable]:
        fetched = tuple(dict.fromkeys(t for t in targets if isinstance(t, Tensor)))
        ops = tuple(dict.fromkeys(t for t in targets if isinstance(t, Node)))
        fed = tuple(feeds)
        key = (fetched, ops, fed, tuple((v.dtype, v.ndim) for v in feeds.values()))
        if key not in self._cache:
            ranks = {t: v.ndim for t, v in feeds.items() if t.shape is None}
            program = build_program(fetched, ops, fed, self.optimize, self.disabled_passes,
                                    ranks=ranks)
            if any(OPS[n.op].effect == "collective" for n in program.schedule):
                from graphc.distributed.check import check_program  # registered those ops

                check_program(program)
            compiled = (program, self.backend.compile(program, self.check_numerics))
            with self._lock:
                self._cache.setdefault(key, compiled)
        return (fetched, *self._cache[key])

    def _check_ready(self, program: Program, state: RunState) -> None:
        for node in program.placeholders:
            t = node.types[0]
            raise InvalidArgumentError(
                f"You must feed a value for placeholder '{node.name}' with dtype "
                f"{t.dtype.name} and shape {shapes.fmt(t.shape)} (created at {node.site})")
        for node in program.reads:
            if node not in state.variables:
                raise FailedPreconditionError(
                    f"Attempting to use uninitialized variable '{node.name}' (created at "
                    f"{node.site}); run gc.global_variables_initializer() first")

    def _resolve_fetch(self, item: Any) -> Fetch:
        if isinstance(item, str):
            try:
                node = self.graph.get_node(item.partition(":")[0])
                return node if ":" not in item and not node.types else \
                    self.graph.get_tensor(item)
            except (KeyError, ValueError) as err:
                detail = err.args[0] if isinstance(err, KeyError) else err
                raise ValueError(f"The name '{item}' refers to nothing in this session's "
                                 f"graph ({detail})") from None
        if isinstance(item, Tensor | Node):
            if item.graph is not self.graph:
                kind = "Tensor" if isinstance(item, Tensor) else "Operation"
                raise ValueError(f"{kind} '{item.name}' is not an element of this session's "
                                 "graph")
            return item
        raise TypeError(f"Fetch argument {item!r} has invalid type {type(item).__name__}; "
                        "it must be a tensor, an op, or the name of one")

    def _resolve_feed_key(self, key: Any) -> Tensor:
        if not isinstance(key, str | Tensor | Node):
            raise TypeError(f"feed_dict key {key!r} has invalid type {type(key).__name__}; "
                            "it must be a tensor (a placeholder, or any tensor whose value "
                            "you give) or the name of one")
        target = self._resolve_fetch(key)
        if isinstance(target, Node):
            raise TypeError(f"cannot feed operation '{target.name}': it has no value")
        return target


class InteractiveSession(Session):
    """A Session that makes itself the default session (of the thread that creates it) until
    it is closed, for interactive use: `sess = gc.InteractiveSession()`, then `t.eval()` and
    `op.run()` (TensorFlow 1's InteractiveSession)."""

    def __init__(self, graph: Graph | None = None, backend: str | None = None,
                 check_numerics: bool = False, optimize: bool = True,
                 disabled_passes: Iterable[str] = (), device: str | None = None,
                 config: ConfigProto | None = None) -> None:
        super().__init__(graph, backend, check_numerics, optimize, disabled_passes, device,
                         config)
        _default_sessions().append(self)

    def close(self) -> None:
        """Close the session, and stop it being the default session."""
        _leave_default(self)
        super().close()


_sessions = threading.local()


def _default_sessions() -> list[Session]:
    """This thread's stack of default sessions, innermost last."""
    if not hasattr(_sessions, "stack"):
        _sessions.stack = []
    return _sessions.stack


def _leave_default(session: Session) -> None:
    """Take `session`'s innermost entry off the stack (an InteractiveSession closed while an
    inner one is open need not be on top)."""
    stack = _default_sessions()
    for i in range(len(stack) - 1, -1, -1):
        if stack[i] is session:
            del stack[i]
            return


def get_default_session() -> Session | None:
    """The innermost session made default on this thread (by `with Session() as sess:`,
    `with sess.as_default():` or an open InteractiveSession); None if there is none."""
    stack = _default_sessions()
    return stack[-1] if stack else None


def _session_for(target: Tensor | Node, session: Session | None, what: str) -> Session:
    """The session that evaluates `target`: the given one, else the default one."""
    if session is None:
        session = get_default_session()
        if session is None:
            if what == "eval":
                raise ValueError("Cannot evaluate tensor using `eval()`: No default session is "
                                 "registered. Use `with sess.as_default()` or pass an explicit "
                                 "session to `eval(session=sess)`")
            raise ValueError("Cannot execute operation using `run()`: No default session is "
                             "registered. Use `with sess.as_default():` or pass an explicit "
                             "session to `run(session=sess)`")
    if target.graph is not session.graph:
        kind = "evaluate tensor" if what == "eval" else "execute operation"
        raise ValueError(f"Cannot use the given session to {kind}: the "
                         f"{'tensor' if what == 'eval' else 'operation'}'s graph is different "
                         f"from the session's graph. Pass an explicit session to "
                         f"`{what}(session=sess)`.")
    return session


def _eval(self: Tensor, feed_dict: dict[Any, Any] | None = None,
          session: Session | None = None) -> Any:
    """The tensor's value: `session.run(self, feed_dict)`, in the default session unless one
    is given (TensorFlow 1's Tensor.eval)."""
    return _session_for(self, session, "eval").run(self, feed_dict)


def _run_op(self: Node, feed_dict: dict[Any, Any] | None = None,
            session: Session | None = None) -> None:
    """Run the op: `session.run(self, feed_dict)`, in the default session unless one is
    given (TensorFlow 1's Operation.run)."""
    _session_for(self, session, "run").run(self, feed_dict)


# graph.py, the bottom layer, knows nothing of sessions: Tensor.eval and Node.run are
# installed from here, as graphc.ops.operators installs the tensor operators
Tensor.eval = _eval  # type: ignore[attr-defined]
Node.run = _run_op  # type: ignore[attr-defined]


def _backend_for(backend: str | None, device: str | None) -> str | None:
    """The backend a Session(backend=..., device=...) asks for: device 'cuda' is backend
    'cuda'; 'cpu' is the given (or default) CPU backend."""
    if device is None:
        return backend
    where = check_device(device)
    if where == "cuda" and backend not in (None, "cuda"):
        raise ValueError(f"backend '{backend}' runs on the CPU; device 'cuda' needs backend "
                         "'cuda' (or leave backend unset)")
    if where == "cpu" and backend == "cuda":
        raise ValueError("backend 'cuda' runs on device 'cuda', not 'cpu'")
    return "cuda" if where == "cuda" else backend


def _convert_feed(t: Tensor, value: Any) -> np.ndarray:
    """The fed value as a C-ordered, writable array of t's dtype (the value itself when it
    is one: a run never writes into its feeds, and never keeps one); InvalidArgumentError if
    it does not fit."""
    if _usable_as_is(value, t.dtype.np) and shapes.matches(t.shape, value.shape):
        return value
    node = t.node
    what = f"placeholder '{node.name}'" if node.op == "placeholder" else f"tensor '{t.name}'"
    expected = f"dtype {t.dtype.name} and shape {shapes.fmt(t.shape)}"
    try:
        array = np.asarray(value)
    except ValueError as err:
        raise InvalidArgumentError(
            f"Cannot feed {what} (created at {node.site}): the value is not a rectangular "
            f"array ({err}); expected {expected}") from None
    received = f"dtype {array.dtype} and shape {shapes.fmt(array.shape)}"
    problem = None
    if array.dtype.kind not in "biuf":
        problem = "the value is not numeric"
    elif not (np.can_cast(array.dtype, t.dtype.np, "same_kind") or
              array.dtype.kind in "iu" and t.dtype.np.kind in "iu") or \
            not _fits(array, t.dtype.np):  # (integers of another signedness: if they fit)
        problem = f"converting {array.dtype} to {t.dtype.name} would lose information"
    elif not shapes.matches(t.shape, array.shape):
        problem = "the shapes differ"
    if problem:
        raise InvalidArgumentError(f"Cannot feed value of {received} to {what}, which expects "
                                   f"{expected} (created at {node.site}): {problem}")
    return np.array(array, dtype=t.dtype.np, order="C", copy=True)


def _usable_as_is(value: Any, dtype: np.dtype) -> bool:
    return type(value) is np.ndarray and value.flags.carray and value.dtype == dtype


_CLOSED = "Attempted to use a closed Session."
_MAX_CALLS = 256  # lean-path entries per session (fetch handles made afresh each run would
# otherwise grow the table without bound)


def _quick_key(fetches: Any, feed_dict: dict[Any, Any]) -> tuple[Any, ...] | None:
    """What identifies a run's fetches and feed keys cheaply, for the common shapes of a
    call (a tensor, an op, a name, or lists and tuples of them, nested as the tutorial's
    `[loss, [new_w1, new_w2]]`); None otherwise. Nodes are identified by id: the session's
    graph keeps them alive."""
    key: list[Any] = []
    if _leaf_keys(fetches, key) and _leaf_keys((None, *feed_dict), key):
        return tuple(key)
    return None


def _leaf_keys(fetches: Any, key: list[Any]) -> bool:
    """Append what identifies `fetches` (its structure, each list or tuple by its type and
    length) to `key`; False if some part of it has no cheap key."""
    kind = type(fetches)
    if kind is list or kind is tuple:
        key.append((kind, len(fetches)))
        return all(_leaf_keys(item, key) for item in fetches)
    if isinstance(fetches, Tensor):  # (a Variable too: the tensor of its node)
        key.append((id(fetches.node), fetches.index))
    elif kind is Node:
        key.append(id(fetches))
    elif kind is str or fetches is None:
        key.append(fetches)
    else:
        return False
    return True


class _Call:
    """One kind of Session.run call, resolved: its program and executable, where each feed
    is in the feed_dict, and how the results are shaped."""

    def __init__(self, program: Program, executable: Executable, positions: list[int],
                 given: int, fed: list[np.ndarray], targets: list[Fetch],
                 fetched: tuple[Tensor, ...], rebuild: Callable[[list[Any]], Any]) -> None:
        self.program = program
        self.executable = executable
        self.writer = program.changes_state  # serialized with the session's other writers
        self.exclusive = executable.updates_in_place  # alone: no other run in flight
        self.ready = False  # whether its placeholders and variables have been checked
        self.usable = -1 not in positions  # whether the feed_dict order places every feed
        self.given = given  # how many values the feed_dict gives
        # each feed: where it is in the feed_dict, and the dtype, rank and static dims the
        # program was compiled for
        self.expected = [(position, t.dtype.np, value.ndim,
                          [(axis, n) for axis, n in enumerate(t.shape or ()) if n is not None])
                         for position, t, value in zip(positions, program.feeds, fed)]
        index = {t: i for i, t in enumerate(fetched)}
        self.picks = [index[t] if isinstance(t, Tensor) else -1 for t in targets]
        self.rebuild = rebuild
        self.functions: FunctionBuild | None = None  # how control flow compiles its graphs

    def take_feeds(self, values: Sequence[Any]) -> list[Any] | None:
        """The feed values (in the feed_dict's order) in program order, if every one is
        usable as is, else None."""
        if not self.usable or len(values) != self.given:
            return None
        fed = []
        for position, dtype, ndim, dims in self.expected:
            value = values[position]
            if not _usable_as_is(value, dtype) or value.ndim != ndim:
                return None
            shape = value.shape
            for axis, n in dims:
                if shape[axis] != n:
                    return None
            fed.append(value)
        return fed

    def results(self, values: list[Any]) -> Any:
        return self.rebuild([None if i < 0 else values[i] for i in self.picks])


def _fits(array: np.ndarray, dtype: np.dtype) -> bool:
    """Whether integer values lie within an integer dtype's range."""
    if dtype.kind not in "iu" or array.dtype.kind not in "iu" or array.size == 0:
        return True
    info = np.iinfo(dtype)
    return bool(info.min <= array.min() and array.max() <= info.max)


def _to_user(value: np.ndarray) -> Any:
    """A copy the user may keep and modify; 0-d results become numpy scalars."""
    return value[()] if value.ndim == 0 else np.array(value, copy=True)


def _flatten(fetches: Any, leaves: list[Any]) -> Callable[[list[Any]], Any]:
    """Collect the leaves of a fetch structure; return a function that rebuilds it from a
    list of leaf values."""
    if type(fetches) in (list, tuple) and not any(isinstance(f, list | tuple | dict)
                                                  for f in fetches):
        leaves.extend(fetches)  # the common flat case, rebuilt without a walk
        return type(fetches)
    if not isinstance(fetches, list | tuple | dict):
        leaves.append(fetches)
        return operator.itemgetter(0)
    walk = _walker(fetches, leaves)
    return lambda values: walk(iter(values))


def _walker(fetches: Any, leaves: list[Any]) -> Callable[[Iterator[Any]], Any]:
    if isinstance(fetches, dict):
        parts = {k: _walker(v, leaves) for k, v in fetches.items()}
        return lambda it: type(fetches)((k, f(it)) for k, f in parts.items())
    if isinstance(fetches, list | tuple):
        items = [_walker(v, leaves) for v in fetches]
        if isinstance(fetches, tuple) and hasattr(fetches, "_fields"):  # namedtuple
            return lambda it: type(fetches)(*(f(it) for f in items))
        return lambda it: type(fetches)(f(it) for f in items)
    leaves.append(fetches)
    return next

"""Prebuilt segments (graphc/runtime/cpu/prebuilt.py): machine code numba compiled, saved
with its description, and linked by a later process without numba; files that are not
exactly what graphc saved are ignored, and calls with other argument types go to numba."""

import hashlib
import io
import json
import os
import pickle
import random
import subprocess
import sys

import numba
import numpy as np
import pytest
from llvmlite import binding as llvm
from llvmlite import ir
from numba.np import numpy_support

from graphc.runtime.cpu import kernels as K
from graphc.runtime.cpu import prebuilt
from graphc.runtime.cpu.elf import undefined_symbols
from graphc.runtime.cpu.memory import new_workspace


def _layouts():
    base = np.arange(24.0).reshape(4, 6)
    readonly = base.copy()
    readonly.setflags(write=False)
    unaligned = np.frombuffer(b"\0" + np.arange(4.0).tobytes(), np.float64, offset=1)
    return {"C": base, "F": base.T, "A": base[:, ::2], "readonly": readonly,
            "0-d": np.array(2.0, np.float32), "empty": np.zeros(0), "one row": np.ones((1, 5)),
            "unaligned": unaligned, "int32": np.arange(5, dtype=np.int32),
            "bool": np.zeros(3, bool), "uint8": new_workspace(2)}


@pytest.mark.parametrize("name", list(_layouts()))
def test_describe_agrees_with_numbas_typeof(name):
    value = _layouts()[name]
    typed = numba.typeof(value)
    dtype, rank, layout, writeable, aligned = prebuilt.describe(value).split()
    assert np.dtype(dtype) == numpy_support.as_dtype(typed.dtype)
    assert (int(rank), layout, writeable == "w") == (typed.ndim, typed.layout, typed.mutable)
    # numba types every array aligned; prebuilt code is never handed one that is not
    assert aligned == ("a" if value.flags.aligned else "u")


class _Sub(np.ndarray):
    pass


def test_describe_refuses_values_without_a_prebuilt_type():
    assert prebuilt.describe(True) == "bool"
    for value in (1, 1.0, "x", [1.0], np.float64(1.0), np.zeros(2, ">f8"),
                  np.zeros(2, complex), np.zeros(2, object), np.zeros(2).view(_Sub)):
        assert prebuilt.describe(value) is None, value


def test_the_guard_calls_native_code_only_with_the_types_it_was_compiled_for():
    a, space = np.zeros((2, 3), np.float32), new_workspace(1)
    kinds = [prebuilt.describe(v) for v in (a, True, space)]
    call = prebuilt.guarded(lambda *args: "native", kinds, lambda: lambda *args: "numba")
    assert call(a, True, space) == "native"
    assert call(np.ones((7, 3), np.float32), False, space) == "native"  # another batch
    readonly = a.copy()
    readonly.setflags(write=False)
    for other in (np.zeros((2, 3)), np.zeros((2, 3, 1), np.float32), a.T.copy().T,
                  readonly, np.zeros((2, 6), np.float32)[:, ::2], a.view(_Sub),
                  [[0.0] * 3] * 2, 1.0):
        assert call(other, True, space) == "numba", other
    assert call(a, 1, space) == "numba"  # an int where a bool was compiled for
    unaligned = np.frombuffer(bytearray(25), np.float32, count=6, offset=1).reshape(2, 3)
    assert prebuilt.describe(unaligned) == "<f4 2 C w u"
    assert call(unaligned, True, space) == "numba"


def _object(calls: str) -> bytes:
    """An ELF object whose function `entry` calls the external function `calls`."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    module = ir.Module("test")
    module.triple = llvm.get_process_triple()
    external = ir.Function(module, ir.FunctionType(ir.IntType(64), []), calls)
    entry = ir.Function(module, ir.FunctionType(ir.IntType(64), []), "entry")
    build = ir.IRBuilder(entry.append_basic_block())
    build.ret(build.call(external, []))
    machine = llvm.Target.from_triple(llvm.get_process_triple()).create_target_machine()
    return bytes(machine.emit_object(llvm.parse_assembly(str(module))))


def test_elf_lists_what_an_object_calls_but_does_not_define():
    code = _object("graphc_test_routine")
    assert "graphc_test_routine" in undefined_symbols(code)
    assert "entry" not in undefined_symbols(code)


def test_elf_refuses_what_is_not_a_whole_object():
    code = _object("graphc_test_routine")
    for cut in (0, 4, 63, 64, len(code) // 2, len(code) - 1):
        with pytest.raises(ValueError):
            undefined_symbols(code[:cut])
    with pytest.raises(ValueError, match="not a little-endian ELF64"):
        undefined_symbols(b"\x7fELF" + bytes(200))
    rng = random.Random(0)
    for _ in range(300):  # damaged files parse or raise ValueError, nothing else
        damaged = bytearray(code)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            names = undefined_symbols(bytes(damaged))
        except ValueError:
            continue
        assert all(isinstance(name, str) for name in names)


def _segment(a, b, flag, space):
    if a.shape[0] != b.shape[0]:
        raise ValueError("segment: the rows differ")
    out = np.empty_like(a)
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[i, j] = a[i, j] + 2.0 * b[i, j]
    return out, a.sum() if flag else 0.0


def compiled_and_saved(function, values, stem):
    """`function` compiled with numba for the types of `values` and saved prebuilt at
    `stem`: its dispatcher and the argument types."""
    dispatcher = numba.njit(nogil=True)(function)
    signature = tuple(numba.typeof(v) for v in values)
    dispatcher.compile(signature)
    arguments = [prebuilt.describe(v) for v in values]
    assert prebuilt.save(dispatcher, signature, arguments, stem)
    return dispatcher, arguments


@pytest.fixture
def saved(tmp_path):
    """A segment-like function compiled with numba and saved prebuilt: its stem and
    argument types."""
    values = (np.arange(6.0).reshape(2, 3), np.ones((2, 3)), True, new_workspace(1))
    stem = tmp_path / "prebuilt" / "segment"
    return stem, compiled_and_saved(_segment, values, stem)[1]


LINK = """
import json, sys
from pathlib import Path
import numpy as np
from graphc.runtime.cpu import prebuilt
from graphc.runtime.cpu.memory import new_workspace
segment = prebuilt.load(Path(sys.argv[1]), json.loads(sys.argv[2]))
a, space = np.arange(6.0).reshape(2, 3), new_workspace(1)
out, total = segment(a, np.ones((2, 3)), True, space)
try:
    segment(a, np.ones((3, 3)), True, space)
    error = None
except ValueError as err:
    error = str(err)
print(json.dumps({"out": out.tolist(), "total": total, "error": error,
                  "again": prebuilt.load(Path(sys.argv[1]), json.loads(sys.argv[2])) is segment,
                  "numba": sorted(m for m in sys.modules if m == "numba" or
                                  m.startswith("numba.") and ".runtime._nrt" not in m
                                  and m not in ("numba._helperlib", "numba._dynfunc"))}))
"""


def test_a_later_process_links_and_runs_the_code_without_numba(saved):
    stem, arguments = saved
    done = subprocess.run([sys.executable, "-c", LINK, str(stem), json.dumps(arguments)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["out"] == (np.arange(6.0).reshape(2, 3) + 2.0).tolist()
    assert got["total"] == 15.0
    assert got["error"] == "segment: the rows differ"  # numba's error, raised from C
    assert got["again"], "a file is linked once per process"
    assert got["numba"] == [], "only numba's C helpers were loaded"


def test_the_linked_code_agrees_with_numbas_in_this_process(saved):
    stem, arguments = saved
    segment = prebuilt.load(stem, arguments)
    a, b = np.linspace(-1, 1, 12).reshape(4, 3), np.full((4, 3), 0.5)
    out, total = segment(a, b, False, new_workspace(1))
    np.testing.assert_array_equal(out, a + 2.0 * b)  # the same loop, exactly
    assert total == 0.0


def _tamper(stem, **changes):
    description = json.loads(stem.with_suffix(".json").read_text())
    description.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del description[key]
    stem.with_suffix(".json").write_text(json.dumps(description))


@pytest.mark.parametrize("change", [
    {"sha256": "0" * 64}, {"format": 0}, {"consts": ["|O"]}, {"consts": "<f8"},
    {"wrapper": "bad name; rm -rf"}, {"environment": 7}, {"function": None},
    {"extra": 1}, {"arguments": ["<f8 2 C w a"]},
])
def test_a_description_that_is_not_what_graphc_saved_is_ignored(saved, change):
    stem, arguments = saved
    _tamper(stem, **change)
    assert prebuilt.load(stem, arguments) is None


def test_a_changed_object_file_is_ignored(saved):
    stem, arguments = saved
    code = bytearray(stem.with_suffix(".o").read_bytes())
    code[len(code) // 2] ^= 1
    stem.with_suffix(".o").write_bytes(bytes(code))
    assert prebuilt.load(stem, arguments) is None


def test_other_arguments_or_missing_files_load_nothing(saved, tmp_path):
    stem, arguments = saved
    assert prebuilt.load(stem, arguments[:-1] + ["|u1 1 C r a"]) is None
    assert prebuilt.load(tmp_path / "nothing", arguments) is None
    stem.with_suffix(".json").write_text("{not json")
    assert prebuilt.load(stem, arguments) is None


@pytest.mark.parametrize("symbol", ["graphc_no_such_routine", "numba_no_such_helper",
                                    "NRT_no_such_function", "no_such_c_function_xyz"])
def test_code_calling_a_symbol_this_process_lacks_is_not_linked(saved, symbol):
    stem, arguments = saved
    code = _object(symbol)
    stem.with_suffix(".o").write_bytes(code)
    _tamper(stem, sha256=hashlib.sha256(code).hexdigest())
    assert prebuilt.load(stem, arguments) is None  # (LLVM would abort the process)


def test_locations_differ_by_module_function_and_argument_types(tmp_path):
    kinds = ["<f8 2 C w a", "|u1 1 C w a"]
    stems = {prebuilt.location(tmp_path, "m1", "segment_0", kinds),
             prebuilt.location(tmp_path, "m2", "segment_0", kinds),
             prebuilt.location(tmp_path, "m1", "segment_1", kinds),
             prebuilt.location(tmp_path, "m1", "segment_0", ["<f4 2 C w a", kinds[1]])}
    assert len(stems) == 4 and all(s.parent == tmp_path / "prebuilt" for s in stems)


def test_the_unpickler_takes_only_arrays_types_and_exceptions():
    assert prebuilt._Unpickler.__module__ == prebuilt.__name__
    def load(value):
        return prebuilt._Unpickler(io.BytesIO(pickle.dumps(value))).load()

    assert load(np.ndarray) is np.ndarray
    assert load((ValueError, ("the rows differ",))) == (ValueError, ("the rows differ",))
    with pytest.raises(pickle.UnpicklingError, match="posix.system"):
        load(os.system)


def test_a_segment_of_many_arguments_links(tmp_path):
    # numba's mangled wrapper name grows ~31 characters per argument
    names = [f"a{i}" for i in range(40)]
    namespace = {}
    exec(f"def many({', '.join(names)}, space):\n    return {' + '.join(names)}\n", namespace)
    values = [np.full(3, float(i)) for i in range(40)] + [new_workspace(1)]
    dispatcher = numba.njit(nogil=True)(namespace["many"])
    signature = tuple(numba.typeof(v) for v in values)
    dispatcher.compile(signature)
    arguments = [prebuilt.describe(v) for v in values]
    stem = tmp_path / "prebuilt" / "many"
    assert prebuilt.save(dispatcher, signature, arguments, stem)
    assert len(json.loads(stem.with_suffix(".json").read_text())["wrapper"]) > 1000
    np.testing.assert_array_equal(prebuilt.load(stem, arguments)(*values), np.full(3, 780.0))


def test_code_that_needs_numbas_blas_stand_ins_is_not_saved_and_not_tried_again(
        tmp_path, monkeypatch):
    values = (np.ones((2, 2)), np.ones((2, 2)), False, new_workspace(1))
    dispatcher = numba.njit(nogil=True)(lambda a, b, flag, space: a @ b)
    signature = tuple(numba.typeof(v) for v in values)
    dispatcher.compile(signature)
    code = prebuilt._object_code(dispatcher.overloads[signature])
    blas = [name for name in undefined_symbols(code) if name.startswith("graphc_")]
    stem = tmp_path / "prebuilt" / "stand_ins"
    if not blas:  # numba's np.dot calls scipy's BLAS by its own names: make one graphc's
        monkeypatch.setattr(prebuilt, "undefined_symbols",
                            lambda data: undefined_symbols(data) + ["graphc_sgemm_batch_lp64"])
    monkeypatch.setattr(prebuilt, "blas_symbol", lambda name: None)  # as with an old numpy
    assert not prebuilt.save(dispatcher, signature, [prebuilt.describe(v) for v in values],
                             stem)
    assert not stem.with_suffix(".json").exists() and prebuilt.tried(stem)


def test_the_guard_takes_equal_dtypes_as_the_same(saved):
    stem, arguments = saved
    segment = prebuilt.guarded(prebuilt.load(stem, arguments), arguments,
                               lambda: pytest.fail("numba's dispatcher was asked"))
    a = pickle.loads(pickle.dumps(np.arange(6.0).reshape(2, 3)))  # a dtype of its own
    assert a.dtype is not np.dtype(np.float64)
    out, total = segment(a, np.ones((2, 3)), True, new_workspace(1))
    assert total == 15.0


def test_a_description_too_deep_or_too_large_is_ignored(saved):
    stem, arguments = saved
    stem.with_suffix(".json").write_text("[" * 200_000)
    assert prebuilt.load(stem, arguments) is None
    stem.with_suffix(".json").write_bytes(b" " * ((1 << 20) + 1))
    assert prebuilt.load(stem, arguments) is None


def _update(w, v, lr):
    if not K.axpy(v.reshape(v.size), w.reshape(w.size), -lr):
        raise ValueError("axpy declined")
    return w


def test_saved_code_that_calls_axpy_links_by_its_blas_symbol(tmp_path):
    rng = np.random.default_rng(3)
    w, v = (rng.standard_normal((256, 256)).astype(np.float32) for _ in range(2))
    stem = tmp_path / "prebuilt" / "update"
    dispatcher, arguments = compiled_and_saved(_update, (w, v, np.float32(0.5)), stem)
    called = undefined_symbols(stem.with_suffix(".o").read_bytes())
    assert any(name.startswith("graphc_saxpy_") for name in called)
    linked = prebuilt.load(stem, arguments)
    assert linked is not None
    np.testing.assert_array_equal(linked(w.copy(), v, np.float32(0.5)),
                                  dispatcher(w.copy(), v, np.float32(0.5)))


def test_a_segment_whose_kernel_calls_python_is_not_saved(tmp_path):
    """A kernel that calls numpy in object mode (emit.py's path for exp, tanh, ...) needs
    its numba environment, which a prebuilt object never gets: linked alone, the segment
    failed with "missing Environment" once it ran native in a later process."""
    namespace = {"np": np, "numba": numba}  # (as codegen links them: kernels are globals)
    exec("def kernel(x):\n"
         "    out = np.empty_like(x)\n"
         "    with numba.objmode():\n"
         "        np.exp(x, out=out)\n"
         "    return out\n\n"
         "def segment(x, space):\n"
         "    return kernel(x)\n", namespace)
    namespace["kernel"] = numba.njit(namespace["kernel"])
    segment = numba.njit(nogil=True)(namespace["segment"])
    values = (np.zeros(4), new_workspace(1))
    signature = tuple(numba.typeof(v) for v in values)
    segment.compile(signature)
    stem = tmp_path / "prebuilt" / "calls_python"
    assert not prebuilt.save(segment, signature, [prebuilt.describe(v) for v in values], stem)
    assert not stem.with_suffix(".json").exists() and prebuilt.tried(stem)
    np.testing.assert_array_equal(segment(*values), np.ones(4))  # numba runs it

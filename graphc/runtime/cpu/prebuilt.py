"""Prebuilt segments: a compiled segment's machine code, saved beside numba's cache and
linked into later processes without importing numba.

numba's own disk cache needs numba to read it: importing numba, setting up its typing and
target contexts and loading the code cost a fresh process ~0.45 s, and exiting with numba
loaded another ~0.1 s (the interpreter's last garbage collections walk numba's objects).
The machine code needs none of that to run. So when graphc compiles a segment it also
saves, under a name that hashes everything the code depends on (the generated source,
the argument types, the numba, llvmlite and Python versions, the CPU and $NUMBA_*):

- the object file numba's JIT made for the segment, its kernels linked in;
- a JSON description: the symbols of numba's CPython wrapper for the segment and of its
  environment, the dtypes the wrapper boxes results with, the argument types, and the
  object file's SHA-256.

A later process links the file with llvmlite's MCJIT. The object's undefined symbols
(elf.py) resolve to numba's C helpers (its _helperlib, _nrt_python and _dynfunc C
extensions, loaded from their files without running numba's package), to the BLAS table
(blas_symbols.py), or to the process's own C symbols (libpython, libc, libm); one that
resolves to nothing means the file is not used. numba's _dynfunc.make_function then makes
the wrapper a Python callable, as numba's dispatcher does with code it loads.

numba's wrapper trusts its arguments' types (the dispatcher chose it by them), so the
callable checks each argument's type, dtype, rank and layout flags against those it was
compiled for, and hands any other call to numba's dispatcher (which compiles for the new
types, as it would have anyway).

Only on Linux (ELF objects) and numba 0.68 or later (whose _nrt_python sets up its
allocator when loaded); elsewhere segments load through numba as before. Trust: the
object file is machine code that runs in this process, like numba's own cache files
(pickles and machine code) beside it, in the user's cache directory. The JSON is checked
field by field and the object against its hash; a file that fails any check is ignored.
"""

from __future__ import annotations

import builtins
import ctypes
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import os
import pickle
import re
import sys
import threading
import types as pytypes
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from graphc.files import write_atomically
from graphc.runtime.cpu.blas_symbols import address as address_of_c
from graphc.runtime.cpu.blas_symbols import blas_symbol
from graphc.runtime.cpu.elf import undefined_symbols
from graphc.runtime.cpu.extensions import extension_in

FORMAT = 1
MIN_NUMBA = (0, 68)
# dtypes an argument or a boxed result may have (graphc's dtypes)
DTYPES = {np.dtype(name).str: np.dtype(name) for name in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64")}
_C, _F, _ALIGNED, _WRITEABLE = 0x1, 0x2, 0x100, 0x400  # numpy's array flags
# numba's mangled names grow ~31 characters per argument: the length is not limited
_SYMBOL_NAME = re.compile(r"[A-Za-z_.$][A-Za-z0-9_.$]*")
_MAX_BYTES = {".json": 1 << 20, ".o": 1 << 28}  # larger files are not graphc's


def describe(value: Any) -> str | None:
    """The numba type of a segment argument, as text: 'bool', or dtype, rank, layout
    (C, F or A) and writeable, as numba's typeof sees an array, and whether it is aligned
    (numba types every array aligned; the guard is stricter); None for any other
    value."""
    if type(value) is bool:
        return "bool"
    if type(value) is not np.ndarray or value.dtype.str not in DTYPES:
        return None
    flags = value.flags.num
    layout = "C" if flags & _C else "F" if flags & _F else "A"
    return f"{value.dtype.str} {value.ndim} {layout} " \
           f"{'w' if flags & _WRITEABLE else 'r'} {'a' if flags & _ALIGNED else 'u'}"


def _numba_version() -> tuple[int, ...] | None:
    try:
        version = importlib.metadata.version("numba")
    except importlib.metadata.PackageNotFoundError:
        return None
    numbers = re.match(r"(\d+)\.(\d+)", version)
    return (int(numbers[1]), int(numbers[2])) if numbers else None


@cache
def _environment() -> tuple[str, ...] | None:
    """What the machine code depends on besides its source and argument types; None
    where prebuilt segments are not supported."""
    version = _numba_version()
    if not sys.platform.startswith("linux") or version is None or version < MIN_NUMBA:
        return None
    try:
        from llvmlite import binding as llvm

        numba_settings = sorted((k, v) for k, v in os.environ.items()
                                if k.startswith("NUMBA_"))
        return (str(FORMAT), importlib.metadata.version("numba"),
                importlib.metadata.version("llvmlite"), sys.version,
                llvm.get_process_triple(), llvm.get_host_cpu_name(),
                llvm.get_host_cpu_features().flatten(), repr(numba_settings))
    except (ImportError, RuntimeError, importlib.metadata.PackageNotFoundError):
        return None  # (LLVM cannot tell this CPU's features on some machines)


def location(directory: Path, module: str, function: str,
             arguments: Sequence[str]) -> Path | None:
    """Where the prebuilt `function` of generated module `module` (its file's digest)
    for these argument types lives: the stem of its .json and .o; None where prebuilt
    segments are not supported."""
    environment = _environment()
    if environment is None:
        return None
    key = repr((module, function, list(arguments), environment))
    return directory / "prebuilt" / hashlib.sha256(key.encode()).hexdigest()[:40]


# --- saving (in a process that has just compiled the segment with numba) ----------------

def save(dispatcher: Any, signature: tuple[Any, ...], arguments: Sequence[str],
         stem: Path) -> bool:
    """Save the machine code numba compiled for `dispatcher` at `signature` (numba types,
    described by `arguments`); True if saved. Code numba loaded from its own cache has no
    object file at hand, so it is compiled again, without that cache. Code that could not
    be linked without numba (it calls numba's stand-ins for a BLAS routine this numpy
    lacks, see blas.py; it needs constants other than dtypes, or other functions'
    environments, as a kernel calling numpy in object mode does) is not saved; a `.none`
    file says so."""
    import numba

    result = dispatcher.overloads.get(tuple(signature))
    code = _object_code(result)
    if code is None:
        fresh = numba.njit(nogil=bool(dispatcher.targetoptions.get("nogil")))(
            dispatcher.py_func)
        fresh.compile(signature)
        result = fresh.overloads.get(tuple(signature))
        code = _object_code(result)
    consts = [] if code is None else list(result.environment.consts)
    if code is None or result.objectmode or result.referenced_envs or result.reload_init or \
            _calls_python(dispatcher) or \
            not all(isinstance(c, np.dtype) and c.str in DTYPES for c in consts) or \
            not all(blas_symbol(name) for name in undefined_symbols(code)
                    if name.startswith("graphc_")):  # (numba's stand-ins: no prebuilt)
        stem.parent.mkdir(parents=True, exist_ok=True)
        stem.with_suffix(".none").touch()  # so that no process tries again
        return False
    description = {"format": FORMAT, "wrapper": result.fndesc.llvm_cpython_wrapper_name,
                   "environment": result.fndesc.env_name,
                   "module": str(dispatcher.py_func.__module__),
                   "function": dispatcher.py_func.__name__,
                   "consts": [c.str for c in consts], "arguments": list(arguments),
                   "sha256": hashlib.sha256(code).hexdigest()}
    stem.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(stem.with_suffix(".o"), lambda f: f.write(code))
    # the description last: its presence says the object file is complete
    write_atomically(stem.with_suffix(".json"),
                     lambda f: f.write(json.dumps(description).encode()))
    return True


def _calls_python(dispatcher: Any) -> bool:
    """Whether the segment calls a kernel that runs Python in numba's object mode (emit.py's
    numpy path): that kernel's machine code needs its numba environment, which only numba
    sets up, so the segment's object file could not run alone."""
    for value in dispatcher.py_func.__globals__.values():
        function = getattr(value, "py_func", None)  # a kernel's numba dispatcher
        if function is not None and "objmode" in function.__code__.co_names:
            return True
    return False


def tried(stem: Path) -> bool:
    """Whether some process has saved the prebuilt code at `stem`, or found it can't."""
    return stem.with_suffix(".json").exists() or stem.with_suffix(".none").exists()


def _object_code(result: Any) -> bytes | None:
    try:
        code = result.library._get_compiled_object()
    except (AttributeError, RuntimeError, ValueError):
        return None
    return bytes(code) if code else None


# --- loading (without numba) ------------------------------------------------------------

def _bytes(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_BYTES[path.suffix] + 1)
    except OSError:
        return None
    return data if len(data) <= _MAX_BYTES[path.suffix] else None


def _read(stem: Path, arguments: Sequence[str]) -> tuple[dict[str, Any], bytes] | None:
    """The checked description and object file, or None."""
    text, code = _bytes(stem.with_suffix(".json")), _bytes(stem.with_suffix(".o"))
    if text is None or code is None:
        return None
    try:
        description = json.loads(text)
    except (ValueError, RecursionError):
        return None
    fields = {"format": int, "wrapper": str, "environment": str, "module": str,
              "function": str, "consts": list, "arguments": list, "sha256": str}
    if not isinstance(description, dict) or set(description) != set(fields) or \
            not all(type(description[k]) is t for k, t in fields.items()):
        return None
    if description["format"] != FORMAT or description["arguments"] != list(arguments) or \
            not all(isinstance(c, str) and c in DTYPES for c in description["consts"]) or \
            not all(_SYMBOL_NAME.fullmatch(description[k])
                    for k in ("wrapper", "environment", "module", "function")) or \
            hashlib.sha256(code).hexdigest() != description["sha256"]:
        return None
    return description, code


def _extension(name: str, folder: Path) -> Any:
    """numba's C extension `name`, from its file in `folder`."""
    module = extension_in(name, folder)
    if module is None:
        raise ImportError(f"no {name} extension in {folder}")
    return module


class _Linker:
    """numba's C helpers and the BLAS table, and LLVM's symbol table filled from them."""

    def __init__(self) -> None:
        from llvmlite import binding as llvm

        spec = importlib.util.find_spec("numba")
        if spec is None or not spec.submodule_search_locations:
            raise ImportError("numba is not installed")
        root = Path(spec.submodule_search_locations[0])
        helperlib = _extension("numba._helperlib", root)
        dynfunc = _extension("numba._dynfunc", root)
        nrt = _extension("numba.core.runtime._nrt_python", root / "core" / "runtime")
        self.llvm = llvm
        self.make_function = dynfunc.make_function
        self.Environment = dynfunc.Environment
        # names as numba registers them (numba.core.base, numba.core.runtime.nrt)
        self.known: dict[str, int] = {}
        for helpers in (helperlib.c_helpers, dynfunc.c_helpers):
            self.known.update((f"numba_{name}", address) for name, address in helpers.items())
        self.known.update((name if name.startswith("_") else f"NRT_{name}", address)
                          for name, address in nrt.c_helpers.items())
        self.known.update((f"PyExc_{value.__name__}", id(value))
                          for value in vars(builtins).values()
                          if isinstance(value, type) and issubclass(value, BaseException))
        self.known["_Py_NoneStruct"] = id(None)
        self.process = ctypes.CDLL(None)
        self.engines: list[Any] = []  # every engine ever loaded: its code must never go
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        if "numba.core.serialize" not in sys.modules:  # (else numba's own works at once)
            self.known["numba_unpickle"] = self._unpickler()

    def _engine(self, module: Any) -> Any:
        """An MCJIT engine for `module` (an llvmlite module), kept for good."""
        llvm = self.llvm
        machine = llvm.Target.from_triple(llvm.get_process_triple()).create_target_machine()
        engine = llvm.create_mcjit_compiler(module, machine)
        self.engines.append((engine, machine))
        return engine

    def _unpickler(self) -> int:
        """A stand-in for numba's numba_unpickle: numba's wrapper unpickles the Python type
        of every array it returns (np.ndarray) on each call, and numba's own helper imports
        numba to do so. Native code calls it as numba's, (data, size, hash) -> new
        reference; it calls _unpickle(data, size), which remembers each object by address
        (the data are constants of code that is never unloaded)."""
        from llvmlite import ir

        module = ir.Module("graphc_unpickle")
        pointer, int32, int64 = ir.IntType(8).as_pointer(), ir.IntType(32), ir.IntType(64)
        function = ir.Function(module, ir.FunctionType(pointer, [pointer, int32, pointer]),
                               "graphc_unpickle")

        def c_api(name: str, result: Any, *parameters: Any, var_arg: bool = False) -> Any:
            return ir.Function(module, ir.FunctionType(result, parameters, var_arg=var_arg),
                               name)
        from_pointer = c_api("PyLong_FromVoidPtr", pointer, pointer)
        from_int = c_api("PyLong_FromLongLong", pointer, int64)
        call = c_api("PyObject_CallFunctionObjArgs", pointer, pointer, var_arg=True)
        release = c_api("Py_DecRef", ir.VoidType(), pointer)
        build = ir.IRBuilder(function.append_basic_block())
        data, size, _ = function.args
        address = build.call(from_pointer, [data])
        length = build.call(from_int, [build.sext(size, int64)])
        target = build.inttoptr(ir.Constant(int64, id(_unpickle)), pointer)
        result = build.call(call, [target, address, length, ir.Constant(pointer, None)])
        build.call(release, [address])
        build.call(release, [length])
        build.ret(result)
        for name in ("PyLong_FromVoidPtr", "PyLong_FromLongLong",
                     "PyObject_CallFunctionObjArgs", "Py_DecRef"):
            self.llvm.add_symbol(name, address_of_c(self.process[name]))
        engine = self._engine(self.llvm.parse_assembly(str(module)))
        engine.finalize_object()
        return int(engine.get_function_address("graphc_unpickle"))

    def address(self, name: str) -> int | None:
        """Where symbol `name` is in this process, or None."""
        if name in self.known:
            return self.known[name]
        if name.startswith("graphc_"):
            return blas_symbol(name)
        if name.startswith(("PyExc_", "numba_", "NRT_")):
            return None  # one of numba's or graphc's that this process does not have
        try:
            return address_of_c(self.process[name])
        except AttributeError:
            return None

    def link(self, description: dict[str, Any], code: bytes) -> Callable[..., Any] | None:
        """The segment's native callable, or None if a symbol does not resolve."""
        llvm = self.llvm
        try:
            needed = undefined_symbols(code)
        except ValueError:
            return None
        for name in needed:
            at = self.address(name)
            if not at:
                return None
            llvm.add_symbol(name, at)
        engine = self._engine(llvm.parse_assembly(""))
        engine.add_object_file(llvm.ObjectFileRef.from_data(code))
        engine.finalize_object()
        wrapper = engine.get_function_address(description["wrapper"])
        environment_slot = engine.get_global_value_address(description["environment"])
        if not wrapper or not environment_slot:
            return None
        environment = self.Environment({"__name__": description["module"]})
        environment.consts.extend(DTYPES[c] for c in description["consts"])
        ctypes.c_void_p.from_address(environment_slot).value = id(environment)
        module = pytypes.ModuleType(description["module"])
        return self.make_function(module, description["function"],
                                  f"prebuilt {description['function']}", wrapper,
                                  environment, (engine, environment))


class _Unpickler(pickle.Unpickler):
    """Unpickles only what numba's wrappers pickle on their way out: np.ndarray (the
    type of a returned array) and Python's exceptions (a kernel's error)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("numpy", "ndarray"):
            return np.ndarray
        value = getattr(builtins, name, None) if module == "builtins" else None
        if isinstance(value, type) and issubclass(value, BaseException):
            return value
        raise pickle.UnpicklingError(f"{module}.{name} is not unpickled without numba")


_unpickled: dict[int, Any] = {}


def _unpickle(address: int, size: int) -> Any:
    """The object pickled in the `size` bytes at `address` (see _Linker._unpickler);
    numba's own unpickler for anything but what _Unpickler takes."""
    if address in _unpickled:
        return _unpickled[address]
    data = ctypes.string_at(address, size)
    try:
        value = _Unpickler(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError):
        from numba.core.serialize import _numba_unpickle

        value = _numba_unpickle(address, data, hashlib.sha1(data).digest())
    _unpickled[address] = value
    return value


_linker: _Linker | None = None
_linker_lock = threading.Lock()
_loaded: dict[Path, Callable[..., Any]] = {}  # each file is linked once per process


def load(stem: Path, arguments: Sequence[str]) -> Callable[..., Any] | None:
    """The prebuilt segment at `stem` for these argument types, as numba's wrapper, or
    None if there is none usable. Call it only with arguments that match `arguments`
    (see guarded)."""
    global _linker
    with _linker_lock:
        if stem in _loaded:
            return _loaded[stem]
        found = _read(stem, arguments)
        if found is None:
            return None
        try:
            if _linker is None:
                _linker = _Linker()
            native = _linker.link(*found)
        except (ImportError, OSError, AttributeError, RuntimeError, ValueError):
            return None  # (llvmlite raises RuntimeError for an object it cannot load)
        if native is not None:
            _loaded[stem] = native
        return native


def guarded(native: Callable[..., Any], arguments: Sequence[str],
            otherwise: Callable[[], Callable[..., Any]]) -> Callable[..., Any]:
    """`native` for calls whose arguments match the types it was compiled for, else the
    function `otherwise()` returns (numba's dispatcher). The check is generated code: per
    array, its exact type, dtype, rank and one mask of its flags."""
    names = [f"a{i}" for i in range(len(arguments))]
    checks: list[str] = []
    bound: dict[str, Any] = {"native": native, "otherwise": otherwise, "ndarray": np.ndarray}
    for name, text in zip(names, arguments):
        if text == "bool":
            checks.append(f"type({name}) is bool")
            continue
        dtype, rank, layout, writeable, aligned = text.split()
        mask = _C | _F | _WRITEABLE | _ALIGNED
        want = {"C": _C, "F": _F, "A": 0}[layout] | (_WRITEABLE if writeable == "w" else 0) | \
            (_ALIGNED if aligned == "a" else 0)
        if layout == "C":
            mask &= ~_F  # a C-contiguous array may be F-contiguous too (one row)
        bound[f"D{name}"] = DTYPES[dtype]
        # (a dtype equal to D but not D itself, as an unpickled array's, is numba's D too)
        checks.append(f"type({name}) is ndarray and ({name}.dtype is D{name} or "
                      f"{name}.dtype == D{name}) and {name}.ndim == {int(rank)} and "
                      f"{name}.flags.num & {mask} == {want}")
    parameters = ", ".join(names)
    source = (f"def call({parameters}):\n"
              f"    if {' and '.join(checks) or 'True'}:\n"
              f"        return native({parameters})\n"
              f"    return otherwise()({parameters})\n")
    exec(compile(source, "<graphc prebuilt guard>", "exec"), bound)
    call: Callable[..., Any] = bound["call"]
    return call

"""graphc's import structure: no import cycles, and the layering rules below.

Every module under graphc/ is parsed with `ast` (nothing is imported) and its imports of
graphc modules are collected: `import graphc.x`, `from graphc.x import y` (y counts as the
module graphc.x.y when that is a module), relative imports, and importlib.import_module /
__import__ calls with a literal name. Each import is one of
  - module level: runs when the module loads (class bodies and module-level `if`/`try`
    blocks included);
  - lazy: inside a function (def, lambda), runs when the function is called;
  - type-only: under `if TYPE_CHECKING:`, never runs.
Importing graphc.a.b also runs the packages graphc and graphc.a; those implicit imports are
not counted, only what a module names.

The rules:
(a) No cycle among module-level imports.
(b) No cycle either when lazy imports count too. (Type-only imports never run and are left
    out of both.)
(c) The bottom layer, BOTTOM = graphc.graph, graphc.shapes, graphc.dtypes, graphc.site and
    graphc.errors, imports nothing of graphc outside BOTTOM: not lazily, not for type
    checking, and not the package `graphc` itself. (graph.py uses dtypes, shapes and site;
    the others import nothing of graphc.) What a higher layer adds to a Graph it installs
    from above: graphc.viz installs `to_networkx` and `_repr_svg_`, graphc.variables keeps
    each graph's Variables (in `graph.collections`) and installs `graph.variables`.
(d) Nothing under graphc/ops/ imports graphc.passes, graphc.runtime, graphc.session or
    graphc.viz (or any module under them), nor the package `graphc` itself (which imports
    all of them), in any way. Control flow gets its function runner and gradients() from
    graphc/__init__.py through graphc.ops.flow.install.
"""

from __future__ import annotations

import ast
import pathlib
from typing import NamedTuple

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "graphc"

BOTTOM = frozenset({"graphc.graph", "graphc.shapes", "graphc.dtypes", "graphc.site",
                    "graphc.errors"})
ABOVE_OPS = ("graphc.passes", "graphc.runtime", "graphc.session", "graphc.viz")

class Import(NamedTuple):
    importer: str
    target: str
    line: int
    lazy: bool  # inside a function
    type_only: bool  # under `if TYPE_CHECKING:`

    def __str__(self) -> str:
        kind = "type-only" if self.type_only else "lazy" if self.lazy else "module-level"
        return f"{self.importer}:{self.line} imports {self.target} ({kind})"


def module_files(package: pathlib.Path = PACKAGE) -> dict[str, pathlib.Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"
            or isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(name: str, source: str, modules: set[str], is_package: bool = False
               ) -> list[Import]:
    """The graphc modules that the module `name` (with this source) imports."""
    package = name if is_package else name.rpartition(".")[0]
    found: list[Import] = []

    def add(target: str, node: ast.AST, lazy: bool, type_only: bool) -> None:
        if target == "graphc" or target.startswith("graphc."):
            found.append(Import(name, target, node.lineno, lazy, type_only))

    def absolute(node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = package.split(".")[:len(package.split(".")) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))

    def visit(node: ast.AST, lazy: bool, type_only: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node, lazy, type_only)
        elif isinstance(node, ast.ImportFrom):
            origin = absolute(node)
            for alias in node.names:
                member = f"{origin}.{alias.name}"
                add(member if member in modules else origin, node, lazy, type_only)
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"
                   or isinstance(node.func, ast.Name) and node.func.id in ("import_module",
                                                                           "__import__"))):
            add(node.args[0].value, node, lazy, type_only)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            visit(node.test, lazy, type_only)
            for child in node.body:
                visit(child, lazy, True)
            for child in node.orelse:
                visit(child, lazy, type_only)
            return
        inner = lazy or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, inner, type_only)

    visit(ast.parse(source), False, False)
    return found


def package_imports() -> list[Import]:
    files = module_files()
    names = set(files)
    return [imp for name, path in files.items()
            for imp in imports_of(name, path.read_text(encoding="utf-8"), names,
                                  path.name == "__init__.py")]


def find_cycle(edges: list[Import]) -> list[Import] | None:
    """Some cycle of imports among `edges`, or None if there is none."""
    out: dict[str, list[Import]] = {}
    for e in edges:
        if e.target != e.importer:
            out.setdefault(e.importer, []).append(e)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []  # the current path's modules
    path: list[Import] = []  # path[k] goes from stack[k] to stack[k + 1]

    def visit(module: str) -> list[Import] | None:
        state[module] = 1
        stack.append(module)
        for e in out.get(module, ()):
            if state.get(e.target) == 1:
                return path[stack.index(e.target):] + [e]
            if e.target not in state:
                path.append(e)
                cycle = visit(e.target)
                if cycle:
                    return cycle
                path.pop()
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(out):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def bottom_layer_violations(imports: list[Import]) -> list[str]:
    return [str(i) for i in imports if i.importer in BOTTOM and i.target not in BOTTOM]


def ops_violations(imports: list[Import]) -> list[str]:
    return [str(i) for i in imports
            if (i.importer == "graphc.ops" or i.importer.startswith("graphc.ops."))
            and (i.target == "graphc" or any(i.target == above or i.target.startswith(above + ".")
                                             for above in ABOVE_OPS))]


def _show(cycle: list[Import]) -> str:
    return "\n  ".join(str(e) for e in cycle)


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return package_imports()


def test_the_scan_sees_the_package_and_every_kind_of_import(imports):
    files = module_files()
    assert {"graphc", "graphc.graph", "graphc.ops", "graphc.ops.flow", "graphc.viz",
            "graphc.runtime.cuda.table"} <= set(files)
    found = {(i.importer, i.target, i.lazy, i.type_only) for i in imports}
    assert ("graphc.session", "graphc.passes.pipeline", False, False) in found
    # `from graphc.ops import core` is an import of the module graphc.ops.core
    assert ("graphc.ops.flow", "graphc.ops.core", False, False) in found
    assert ("graphc.eager.tensor", "graphc.runtime.cuda.eager", True, False) in found
    assert ("graphc.eager.tape", "graphc.eager.tensor", False, True) in found
    source = ("import graphc.passes.prune\nfrom . import shapes\nfrom .ops import flow\n"
              "def f():\n    from graphc.runtime import backend\n"
              "    importlib.import_module('graphc.session')\n"
              "if TYPE_CHECKING:\n    from graphc.variables import Variable\n")
    got = {(i.target, i.lazy, i.type_only)
           for i in imports_of("graphc.graph", source, set(files))}
    assert got == {("graphc.passes.prune", False, False), ("graphc.shapes", False, False),
                   ("graphc.ops.flow", False, False), ("graphc.runtime.backend", True, False),
                   ("graphc.session", True, False), ("graphc.variables", False, True)}


def test_no_import_cycle_among_module_level_imports(imports):
    cycle = find_cycle([i for i in imports if not i.lazy and not i.type_only])
    assert cycle is None, f"module-level imports form a cycle:\n  {_show(cycle)}"


def test_no_import_cycle_when_lazy_imports_count_too(imports):
    cycle = find_cycle([i for i in imports if not i.type_only])
    assert cycle is None, (
        f"these imports form a cycle (a lazy import counts too):\n  {_show(cycle)}\n"
        "break it: pass the function in, or register it from above")


def test_the_bottom_layer_imports_only_the_bottom_layer(imports):
    assert bottom_layer_violations(imports) == []
    graph = [i.target for i in imports if i.importer == "graphc.graph"]
    assert set(graph) == {"graphc.dtypes", "graphc.shapes", "graphc.site"}


def test_ops_never_import_passes_runtime_session_or_viz(imports):
    assert ops_violations(imports) == []


@pytest.mark.parametrize("line", [
    "from graphc import viz", "import graphc.viz", "from . import viz",
    "from graphc.variables import Variable", "import graphc", "from graphc import Session"])
def test_a_graph_module_importing_a_higher_layer_is_caught(line):
    files = module_files()
    source = (PACKAGE / "graph.py").read_text(encoding="utf-8")
    for where in (f"{line}\n", f"def f():\n    {line}\n",
                  f"if TYPE_CHECKING:\n    {line}\n"):
        found = imports_of("graphc.graph", source + "\n" + where, set(files))
        assert bottom_layer_violations(found) != [], where


@pytest.mark.parametrize("line", [
    "from graphc.passes.autodiff import gradients", "from graphc.runtime import backend",
    "import graphc.runtime.interpreter", "from graphc import session", "from .. import viz",
    "from graphc import gradients"])
def test_an_ops_module_importing_a_higher_layer_is_caught(line):
    files = module_files()
    source = (PACKAGE / "ops" / "flow.py").read_text(encoding="utf-8")
    found = imports_of("graphc.ops.flow", f"{source}\ndef f():\n    {line}\n", set(files))
    assert ops_violations(found) != []


def test_find_cycle_reports_the_cycle():
    def edge(a: str, b: str) -> Import:
        return Import(a, b, 1, False, False)
    assert find_cycle([edge("a", "b"), edge("b", "c")]) is None
    cycle = find_cycle([edge("x", "a"), edge("a", "b"), edge("b", "c"), edge("c", "a")])
    assert [(e.importer, e.target) for e in cycle] == [("a", "b"), ("b", "c"), ("c", "a")]

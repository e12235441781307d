"""The core imports bottom-up: no import cycle in `bot/`, and no module imports a layer above it.

The graph is built with `ast` over bot/**/*.py and holds the imports that run when a module is
imported: statements at module level, including those inside module-level `if` / `try` / `with`
blocks and class bodies. Two kinds of imports do not count:

- imports under `if TYPE_CHECKING:` exist only for the type checker. They let a lower module
  name a type from above in its hints — mostly `bot.app.Bot`, the composition root every part
  is handed explicitly — without importing it at run time;
- imports inside a function body are lazy: they run when the function is called, once every
  module is loaded (how the platform plugins load discord.py or nio only when configured).

An edge goes to the module named: `from bot.commands.model import Command` → `bot.commands.model`,
`from bot.storage import Tx` → `bot.storage` (the package's `__init__`), `from bot.adapters import
base` → `bot.adapters.base`. Importing a submodule also runs its parent packages' `__init__`;
that implicit step is not an edge (else every package whose `__init__` re-exports its modules
would be a cycle), but a module importing a name from its own package's `__init__` is one, and a
real cycle when that `__init__` imports the module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: The core's layers, bottom first: a module imports (at run time) only its own layer or below.
#: A module belongs to the layer of the longest name here that is it or a package containing it;
#: the root package `bot` is named alone. A new top-level module of `bot/` must be placed here.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("model", ("bot", "bot.model", "bot.errors", "bot.text", "bot.durations", "bot.timestamps",
               "bot.files", "bot.logs", "bot.i18n", "bot.valuetypes", "bot.config", "bot.hooks",
               "bot.hookspecs", "bot.announcement")),
    ("storage", ("bot.storage", "bot.schema")),
    ("commands", ("bot.commands",)),
    ("services, adapters and built-in plugins",
     ("bot.identity", "bot.permissions", "bot.settings", "bot.communities", "bot.buttons",
      "bot.outbox", "bot.scheduler", "bot.dispatch", "bot.plugin", "bot.plugins", "bot.status",
      "bot.adapters", "bot.commands.builtin")),
    ("app", ("bot.app",)),
    ("plugin API", ("bot.api",)),
    ("entry points", ("bot.__main__", "bot.cli", "bot.testing")),
]


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name → file, for every .py file under `root / package`."""
    modules: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_time_statements(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports run when the module is imported: not under TYPE_CHECKING, not in a function."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _import_time_statements(node.body)
            yield from _import_time_statements(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody,
                          *(handler.body for handler in node.handlers)):
                yield from _import_time_statements(block)
        elif isinstance(node, ast.With | ast.ClassDef):
            yield from _import_time_statements(node.body)


def import_graph(root: Path, package: str = "bot") -> dict[str, set[str]]:
    """Module → the modules of the same package it imports at import time."""
    modules = module_names(root, package)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        here = name if is_package else name.rpartition(".")[0]
        deps: set[str] = set()
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in _import_time_statements(tree.body):
            if isinstance(node, ast.Import):
                deps.update(alias.name for alias in node.names if alias.name in modules)
                continue
            if node.level:
                base = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in modules:
                    deps.add(submodule)
                elif source in modules:
                    deps.add(source)
        deps.discard(name)
        graph[name] = deps
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a → … → a) for each strongly connected component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(v: str) -> None:  # Tarjan; the graph is small, recursion is fine
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: set[str] = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_cycle_in(graph, component) for component in components]


def _cycle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest path from the component's first module back to itself (breadth first)."""
    start = min(component)
    previous: dict[str, str] = {}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & component):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if w not in previous:
                previous[w] = v
                queue.append(w)
    raise AssertionError(f"no cycle through {start}")  # a component of >1 always has one


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (length of the matching name, layer)
    for level, (_label, names) in enumerate(LAYERS):
        for name in names:
            if module == name or (name != "bot" and module.startswith(name + ".")):
                if best is None or len(name) > best[0]:
                    best = (len(name), level)
    return None if best is None else best[1]


def test_bot_has_no_import_cycle() -> None:
    cycles = find_cycles(import_graph(ROOT))
    assert not cycles, "import cycles in bot/ (see this test's docstring for what counts):\n" + (
        "\n".join(" → ".join(cycle) for cycle in cycles))


def test_the_core_imports_bottom_up() -> None:
    graph = import_graph(ROOT)
    unplaced = sorted(m for m in graph if layer_of(m) is None)
    assert not unplaced, f"put these modules in a layer of LAYERS: {unplaced}"
    upward = [
        f"{m} ({LAYERS[layer_of(m) or 0][0]}) imports {d} ({LAYERS[layer_of(d) or 0][0]})"
        for m, deps in sorted(graph.items()) for d in sorted(deps)
        if (layer_of(d) or 0) > (layer_of(m) or 0)
    ]
    assert not upward, "imports going up a layer:\n" + "\n".join(upward)


def test_the_graph_sees_cycles_and_skips_type_checking_and_lazy_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("import pkg.b\n")
    (pkg / "b.py").write_text("try:\n    from pkg.sub import c\nexcept ImportError:\n    pass\n")
    (pkg / "sub" / "__init__.py").write_text("from .c import VALUE\n")
    (pkg / "sub" / "c.py").write_text("from .. import a\nVALUE = 1\n")
    (pkg / "d.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg import e\n"
        "def late():\n    from pkg import e\n")
    (pkg / "e.py").write_text("from pkg.d import late\n")
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.a"] == {"pkg.b"}
    assert graph["pkg.b"] == {"pkg.sub.c"}
    assert graph["pkg.sub"] == {"pkg.sub.c"}
    assert graph["pkg.sub.c"] == {"pkg.a"}
    assert graph["pkg.d"] == set()
    assert find_cycles(graph) == [["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]]

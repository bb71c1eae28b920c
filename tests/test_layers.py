"""The house: every import in toolkit/ goes to its own layer or below, to another package only
through its public face, and no import cycle exists.

Layers, bottom to top: core (values, errors, the registry) -> tasks -> grading -> models ->
runs -> outcomes -> signals -> strategies -> orchestration -> runner -> analysis -> report ->
lab -> serve -> cli. ``toolkit/testing`` (helpers for users' tests) may import any layer, and
nothing imports it. Every import counts, at the top of a module or inside a function, except
those under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "toolkit"
LAYERS = (
    "core",
    "tasks",
    "grading",
    "models",
    "runs",
    "outcomes",
    "signals",
    "strategies",
    "orchestration",
    "runner",
    "analysis",
    "report",
    "lab",
    "serve",
    "cli",
)


def module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    if module == "toolkit.__main__":
        return "cli"
    if len(parts) < 2 or parts[1] not in (*LAYERS, "testing"):
        return "core"  # toolkit, toolkit._errors, toolkit._types, toolkit._redact, registry
    return parts[1]


def package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(sub) for sub in ast.walk(node))
    return skip


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every toolkit module ``path`` imports (a name that is itself a
    module, as in ``from toolkit.x import _y``, counts as that module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not node.module.startswith("toolkit"):
                continue
            yield node.lineno, node.module
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                as_path = ROOT.parent / sub.replace(".", "/")
                if as_path.with_suffix(".py").exists() or as_path.is_dir():
                    yield node.lineno, sub
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("toolkit"):
                    yield node.lineno, alias.name


def _graph() -> dict[str, list[tuple[int, str]]]:
    return {module_of(p): list(imports_of(p)) for p in sorted(ROOT.rglob("*.py"))}


def test_imports_go_down_the_layers_and_through_public_faces() -> None:
    problems = []
    for module, deps in _graph().items():
        mine = layer_of(module)
        for line, dep in deps:
            theirs = layer_of(dep)
            if theirs == "testing" and mine != "testing":
                problems.append(f"{module}:{line}: imports {dep}: nothing imports toolkit.testing")
                continue
            if "testing" in (mine, theirs):
                continue
            if LAYERS.index(theirs) > LAYERS.index(mine):
                problems.append(f"{module}:{line}: {mine} imports {dep} ({theirs}), a layer above")
            private = [p for p in dep.split(".")[2:] if p.startswith("_") and p != "__init__"]
            if package_of(dep) != package_of(module) and theirs != "core" and private:
                problems.append(
                    f"{module}:{line}: imports {dep}, a private module of {package_of(dep)}; "
                    "use its public face"
                )
    assert not problems, "\n".join(problems)


def test_no_import_cycle() -> None:
    graph = {m: {d for _, d in deps} for m, deps in _graph().items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_walk_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The checks above can fail: the walker finds top-level, in-function and from-imports of
    modules, and skips TYPE_CHECKING blocks."""
    sample = ROOT / "runner" / "_run.py"
    found = {d for _, d in imports_of(sample)}
    assert "toolkit.runner._spec" in found and "toolkit.models" in found
    assert layer_of("toolkit.report._build") == "report" and layer_of("toolkit.registry") == "core"
    assert layer_of("toolkit.__main__") == "cli"

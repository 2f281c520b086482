"""Architecture rules that a refactoring must not break."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from nb2prod.engine import lint_file


def test_core_imports_no_server_or_widget_code() -> None:
    code = (
        "import sys\n"
        "import nb2prod.engine, nb2prod.cli, nb2prod.formats, nb2prod.walk\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'jupyter_server', 'tornado', 'ipywidgets'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_linting_never_executes_notebook_code(tmp_path: Path, write_nb) -> None:
    marker = tmp_path / "executed.txt"
    path = write_nb(
        f"open({str(marker)!r}, 'w').write('ran')",
        f"import os\nos.system('touch {marker}')",
        f"!touch {marker}",
        f"%%bash\ntouch {marker}",
        f"%run -i {marker}",
    )
    result = lint_file(path)
    assert result.error is None
    assert not marker.exists()


# -- the import graph ------------------------------------------------------------------

PACKAGE = Path(__file__).resolve().parent.parent / "nb2prod"


def _module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the nb2prod modules it imports: at module level, in a function, or for a
    type checker only (``if TYPE_CHECKING:``: a cycle there is a cycle of the design).

    ``from a import b`` is an edge to ``a.b`` when that is a module, else to ``a``;
    relative imports are resolved against the importing module's package. Importing a
    submodule also runs its package's ``__init__``, but that is not an edge here: a
    package that imports its submodules (a registry) is no cycle by itself.
    """
    files = {_module_name(p, package): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        here = name if is_package else name.rpartition(".")[0]
        edges: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base_parts = here.split(".")
                    base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                    base = ".".join(base_parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            for target in targets:
                while target and target not in files:  # `import nb2prod.x.y` names a module or its package
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.add(target)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_the_import_graph_finds_a_cycle_when_there_is_one(tmp_path: Path) -> None:
    pkg = tmp_path / "nb2prod"
    (pkg / "rules").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "config.py").write_text("def f():\n    from nb2prod.rules import registry\n")
    (pkg / "rules" / "__init__.py").write_text("from . import registry\n")
    (pkg / "rules" / "registry.py").write_text("from ..config import f\n")
    (pkg / "typed.py").write_text("import typing\nif typing.TYPE_CHECKING:\n    from nb2prod import config\n")
    (pkg / "other.py").write_text("import os\nimport nb2prod.rules.registry.f\nfrom . import missing\n")
    graph = import_graph(pkg)
    assert graph["nb2prod.rules"] == {"nb2prod.rules.registry"}
    assert graph["nb2prod.typed"] == {"nb2prod.config"}
    assert graph["nb2prod.other"] == {"nb2prod.rules.registry", "nb2prod"}
    assert find_cycle(graph) == ["nb2prod.config", "nb2prod.rules.registry", "nb2prod.config"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_nb2prod_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph.get(name, ()))
    return seen


def test_masking_and_suppression_import_no_rule_even_in_a_function() -> None:
    """What tests/test_masking.py checks at run time, for every import the code holds:
    masking (used by the build for every message) and suppression never reach a rule
    family, and the analysis every rule reads never reaches the registry."""
    graph = import_graph()
    for start in ("nb2prod.masking", "nb2prod.secret_scan", "nb2prod.suppression", "nb2prod.analysis"):
        rules = sorted(m for m in _reachable(graph, start) if m == "nb2prod.rules" or m.startswith("nb2prod.rules."))
        assert rules == [], f"{start} imports {rules}"

"""The package graph of `ida`: every import of every module (inside functions too; not those under
`if TYPE_CHECKING:`, which never run) collapsed to ida's packages and top modules. It must be a DAG that follows
DESIGN.md's layers: a package imports only from its own layer (without a cycle) or from the layers below."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]

# Bottom to top. Helpers every layer may use; config and tasks; the store (it reads `store.url` from the
# config), the run lock (a PostgreSQL advisory lock for such a store) and the accounts kept in a store; models and
# distill; amplify and review; the run (its builder, paths, safety gate, reports); the cycle; the CLI and the
# public API (`ida`).
LAYERS: list[set[str]] = [
    {"ida.errors", "ida.faults", "ida.atomic", "ida.plugins", "ida.progress", "ida.paths", "ida.seeds"},
    {"ida.config", "ida.tasks"},
    {"ida.store", "ida.runlock", "ida.accounts"},
    {"ida.models", "ida.distill", "ida.results"},
    {"ida.amplify", "ida.review", "ida.evaluate"},
    {"ida.run", "ida.build", "ida.preflight", "ida.recovery", "ida.safety", "ida.reporting"},
    {"ida.cycle"},
    {"ida.cli", "ida"},
]
LAYER = {unit: n for n, units in enumerate(LAYERS) for unit in units}


def unit_of(module: str) -> str | None:
    """`ida.amplify.amplifier` -> `ida.amplify`; `ida.run` -> `ida.run`; outside ida -> None."""
    parts = module.split(".")
    if parts[0] != "ida":
        return None
    return ".".join(parts[:2])


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and (getattr(node.test, "id", None) == "TYPE_CHECKING"
                                         or getattr(node.test, "attr", None) == "TYPE_CHECKING")


def imports_of(tree: ast.AST, package: str) -> list[tuple[str, int]]:
    """(module, line) of every import in `tree` (any depth, relative ones resolved), skipping TYPE_CHECKING."""
    found: list[tuple[str, int]] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if _type_checking_only(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                found.append((".".join(base + ([node.module] if node.module else [])), node.lineno))
            else:
                found.append((node.module or "", node.lineno))
        stack.extend(ast.iter_child_nodes(node))
    return found


def package_graph(root: Path = ROOT) -> nx.DiGraph:
    """ida's packages and top modules, an edge per import between two of them (edge attribute `where`)."""
    graph = nx.DiGraph()
    for path in sorted((root / "ida").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = module if parts[-1] == "__init__" else module.rpartition(".")[0]
        source = unit_of(module)
        graph.add_node(source)
        for target, line in imports_of(ast.parse(path.read_text(), filename=str(path)), package):
            unit = unit_of(target)
            if unit is None or unit == source:
                continue
            if not graph.has_edge(source, unit):
                graph.add_edge(source, unit, where=[])
            graph.edges[source, unit]["where"].append(f"{path.relative_to(root)}:{line}")
    return graph


def cycles(graph: nx.DiGraph) -> list[str]:
    return [" -> ".join([*c, c[0]]) + "  (" + "; ".join(graph.edges[a, b]["where"][0] for a, b in
                                                       zip(c, [*c[1:], c[0]])) + ")"
            for c in nx.simple_cycles(graph)]


def layer_breaches(graph: nx.DiGraph) -> list[str]:
    return [f"{a} (layer {LAYER[a]}) imports {b} (layer {LAYER[b]}) at {', '.join(where)}"
            for a, b, where in graph.edges(data="where") if LAYER[a] < LAYER[b]]


def test_every_ida_package_has_a_layer():
    """A new package is placed in LAYERS on purpose (and in DESIGN.md's picture)."""
    assert set(package_graph().nodes) <= set(LAYER), set(package_graph().nodes) - set(LAYER)


def test_ida_packages_form_a_dag():
    assert cycles(package_graph()) == []


def test_no_package_imports_from_a_layer_above_it():
    assert layer_breaches(package_graph()) == []


def test_a_function_level_back_edge_is_found(tmp_path):
    """The checks see an import hidden in a function body: one added to a copy of the tree makes both fail."""
    import shutil

    shutil.copytree(ROOT / "ida", tmp_path / "ida", ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "ida" / "tasks" / "base.py"
    target.write_text(target.read_text() + "\n\ndef _back():\n    from ida.cycle import execute\n    return execute\n")
    graph = package_graph(tmp_path)
    assert any("ida/tasks/base.py" in c for c in cycles(graph))
    assert any(b.startswith("ida.tasks (layer 1) imports ida.cycle") for b in layer_breaches(graph))
    shutil.rmtree(tmp_path / "ida")
    shutil.copytree(ROOT / "ida", tmp_path / "ida", ignore=shutil.ignore_patterns("__pycache__"))
    typed = tmp_path / "ida" / "tasks" / "base.py"
    typed.write_text(typed.read_text() + "\n\nif TYPE_CHECKING:\n    from ida.cycle import execute\n")
    assert cycles(package_graph(tmp_path)) == cycles(package_graph())

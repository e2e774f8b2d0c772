"""The layout rules: the product imports nothing of the lab, core and the pipeline import no bpy and no
torch, and the add-on's modules import each other without a cycle (imports inside functions count)."""
import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "depthy_blender"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it, relative imports resolved."""
    tree = ast.parse(path.read_text())
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module
            if node.module:          # `from . import x` loads the package, already loading: not an edge
                found.add(stem)
            found.update(f"{stem}.{alias.name}" for alias in node.names)   # `from . import x` may be a module
    return found


def product_modules() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imports_of(path) if m in modules and m != name} for name, path in modules.items()}


def test_the_product_imports_nothing_of_the_lab():
    for path in PACKAGE.rglob("*.py"):
        lab = {m for m in imports_of(path) if m == "training" or m.startswith("training.")}
        assert not lab, (path, lab)


@pytest.mark.parametrize("folder", ["core", "pipeline"])
def test_core_and_pipeline_import_no_bpy_and_no_torch(folder):
    for path in (PACKAGE / folder).rglob("*.py"):
        heavy = {m for m in imports_of(path) if m.split(".")[0] in ("bpy", "torch", "mathutils", "bmesh")}
        assert not heavy, (path, heavy)


def test_no_import_cycle_in_the_add_on():
    graph = product_modules()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " → ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2
    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_no_module_level_engine_settings():
    """Engine options travel with each request (models/engine.py: EngineOptions); no module keeps a
    shared, mutable `settings` that writers change under a worker thread."""
    for path in (PACKAGE / "models").rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            assert "settings" not in names, path


def test_product_benchmarks_import_nothing_of_the_lab():
    """benchmarks/ measures the product; evaluations on the lab's synthetic data live in training/."""
    for path in (ROOT / "benchmarks").glob("*.py"):
        lab = {m for m in imports_of(path) if m == "training" or m.startswith("training.")}
        assert not lab, (path, lab)

"""The package's folders are the pipeline: no import cycles, no arrow pointing back up.

The import graph is read from the source with :mod:`ast` (every ``import`` and ``from ... import``,
at module level or inside a function: a lazy import is still a dependency).  Each module belongs
to a *layer*; a module may import its own layer's modules and lower layers only.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import channelstudy

PACKAGE = Path(channelstudy.__file__).parent
NOTEBOOKS = PACKAGE.parent / "notebooks"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "vocabulary", "fields"),  # words and constants every stage shares
    ("reference",),  # reference data (ISTAT comuni)
    ("clean",),  # one small module per concept
    ("catalog",),  # every table: name, path, schema, loader, writer; the codebook
    ("sources", "simulate"),  # read raw files; write simulated raw files
    ("build",),  # raw sources -> processed tables
    ("analysis",),  # segments, weights, clusters, concentration
    ("hypotheses",),  # the catalogue H0-H9 and its estimators
    ("report",),  # figures and notebook helpers
    ("pipeline",),  # the stage chain, written once
    ("cli", "__main__"),  # the command line
)
TOP_LEVEL_MODULE_LIMIT = 8
MODULE_LINE_LIMIT = 700


def _unit(module: str) -> str:
    """``channelstudy.build.link`` -> ``build``; ``channelstudy`` -> ``""`` (the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of the channelstudy modules ``path`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("channelstudy"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            if not name.startswith("channelstudy"):
                continue
            found.add(name)
            found.update(f"{name}.{a.name}" for a in node.names if (PACKAGE.parent / f"{name}.{a.name}"
                                                                     .replace(".", "/")).is_dir()
                         or (PACKAGE.parent / (f"{name}.{a.name}".replace(".", "/") + ".py")).is_file())
    return found


def import_graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(unit: str) -> int:
    for i, names in enumerate(LAYERS):
        if unit in names:
            return i
    raise AssertionError(f"channelstudy.{unit} is in no layer of tests/test_architecture.py: place it")


def backward_arrows(graph: dict[str, set[str]]) -> list[str]:
    """Imports from a lower layer to a higher one (``a -> b`` where b's stage comes later)."""
    bad = []
    for module, targets in graph.items():
        src = _unit(module)
        if not src:
            continue
        for target in targets:
            dst = _unit(target)
            if dst and _layer(dst) > _layer(src):
                bad.append(f"{module} -> {target}")
    return sorted(bad)


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Cycles of a directed graph, by depth-first search (each reported once, from where it is entered)."""
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return cycles


def unit_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles between top-level units (stage folders and top-level modules)."""
    edges: dict[str, set[str]] = {}
    for module, targets in graph.items():
        src = _unit(module)
        for target in targets:
            dst = _unit(target)
            if src and dst and src != dst:
                edges.setdefault(src, set()).add(dst)
    return find_cycles(edges)


def module_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles between modules (e.g. manifest <-> readers); a package importing its own submodule is no cycle."""
    known = set(graph)
    return find_cycles({m: {t for t in ts if t in known and t != m and not m.startswith(t + ".")}
                        for m, ts in graph.items()})


def test_no_backward_arrows():
    assert backward_arrows(import_graph()) == []


def test_no_cycles_between_stages():
    assert unit_cycles(import_graph()) == []


def test_no_cycles_between_modules():
    assert module_cycles(import_graph()) == []


def test_library_never_imports_the_command_line():
    graph = import_graph()
    offenders = [m for m, ts in graph.items() if _unit(m) not in ("cli", "__main__")
                 and any(_unit(t) == "cli" for t in ts)]
    assert offenders == []


def test_the_checks_can_fail():
    """The walkers find a planted backward arrow and a planted cycle (so a green run means something)."""
    planted = {"channelstudy.clean.vat": {"channelstudy.build.link"}, "channelstudy.build.link": set()}
    assert backward_arrows(planted) == ["channelstudy.clean.vat -> channelstudy.build.link"]
    cyc = {"channelstudy.sources.a": {"channelstudy.sources.b"}, "channelstudy.sources.b": {"channelstudy.sources.a"}}
    assert module_cycles(cyc) == [["channelstudy.sources.a", "channelstudy.sources.b", "channelstudy.sources.a"]]
    units = {"channelstudy.build.x": {"channelstudy.analysis.y"}, "channelstudy.analysis.y": {"channelstudy.build.x"}}
    assert unit_cycles(units) == [["analysis", "build", "analysis"]]


def test_every_unit_is_placed_in_a_layer():
    units = {_unit(module) for module in import_graph()} - {""}
    assert {"build", "analysis", "hypotheses", "cli"} <= units
    for unit in units:
        assert 0 <= _layer(unit) < len(LAYERS), unit  # _layer raises, naming the unit, when it has no layer


def test_top_level_stays_small():
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= TOP_LEVEL_MODULE_LIMIT, modules


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_the_line_limit(path: Path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MODULE_LINE_LIMIT, f"{path.name}: {lines} lines"


def _notebook_functions() -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] != "code":
                continue
            src = "".join(cell["source"])
            try:
                tree = ast.parse(src)
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.FunctionDef | ast.ClassDef):
                    where.setdefault(node.name, []).append(nb.name)
    return where


def test_notebooks_import_never_copy():
    """No function or class is defined in more than one notebook: shared helpers live in the package."""
    copied = {name: nbs for name, nbs in _notebook_functions().items() if len(nbs) > 1}
    assert copied == {}

"""The tree is the architecture: the core never imports the edges (rag/app), module-level imports
have no cycles, only rag/wiring.py names the concrete index classes, and modules stay short."""

from __future__ import annotations

import ast
from pathlib import Path

RAG = Path(__file__).resolve().parents[1] / "rag"


def _module(path: Path) -> str:
    return ".".join(path.relative_to(RAG.parent).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m == "rag" or m.startswith("rag.")}


MODULES = {_module(p): p for p in RAG.rglob("*.py")}


def test_the_core_never_imports_the_edges():
    leaks = {m: sorted(i for i in _imports(p, False) if i.startswith("rag.app"))
             for m, p in MODULES.items() if not m.startswith("rag.app") and m != "rag.__main__"}
    assert not {m: v for m, v in leaks.items() if v}


def test_module_level_imports_have_no_cycles():
    graph = {m: {i for i in _imports(p, True) if i in MODULES} for m, p in MODULES.items()}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in graph[m]:
            assert state.get(n) != 1, " -> ".join(path + [m, n])
            if n not in state:
                visit(n, path + [m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])


def test_only_the_wiring_names_concrete_index_classes():
    concrete = {"rag.index.vectors", "rag.index.keyword_index", "rag.index.sentence_index", "rag.index.embedding"}
    users = {m for m, p in MODULES.items() if _imports(p, False) & concrete}
    allowed = {"rag.wiring", "rag.app.cli"} | {m for m in MODULES if m.startswith("rag.index")} | {"rag.ingest.ingestor"}
    assert users <= allowed, users - allowed


def test_modules_stay_short():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > 350}
    assert not long, long

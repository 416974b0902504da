"""The engine's shape: no import cycle, no arrow back up the layers, a pure domain, and nothing
happens at import. Read from the source (every import, function-local ones included)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "assistant"

# What a domain rule may not use: files, YAML, the database, Slack, templates, catalogs, pydantic.
NOT_IN_THE_DOMAIN = ("yaml", "sqlalchemy", "sqlmodel", "slack_sdk", "slack_bolt", "jinja2", "pydantic")
NOT_IN_THE_DOMAIN_BABEL = ("babel.messages", "babel.support")


def modules() -> dict[str, Path]:
    found = {}
    for path in ENGINE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imported(path: Path) -> set[str]:
    """Every module `path` imports, at the top or in a function; not under TYPE_CHECKING."""
    names: set[str] = set()

    class Imports(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
                return
            self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            names.update(alias.name for alias in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)

    Imports().visit(ast.parse(path.read_text(encoding="utf-8")))
    return names


def engine_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {m for m in imported(path) if m in known} - {name} for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_its_way_back_to_itself() -> None:
    assert cycles(engine_graph()) == []


def test_the_domain_is_pure() -> None:
    for name, path in modules().items():
        if not name.startswith("assistant.domain"):
            continue
        used = imported(path)
        assert {
            m for m in used if m.startswith("assistant.") and not m.startswith("assistant.domain")
        } == set(), name
        assert not [m for m in used if m.split(".")[0] in NOT_IN_THE_DOMAIN], name
        assert not [m for m in used if m.startswith(NOT_IN_THE_DOMAIN_BABEL)], name
        assert "open(" not in path.read_text(encoding="utf-8"), f"{name} reads a file"


def test_no_arrow_points_back_up_the_layers() -> None:
    """Lower layers never import higher ones: domain < content < services < rendering < Slack
    adapters < jobs < listeners and the API < the app."""
    layers = [
        ("domain",),
        ("content",),
        ("database", "models", "services"),
        ("rendering", "presenters"),
        # Adapters: Slack's Web API, the mail server.
        ("slack", "customer.mail"),
        # The app's parts (Components) are built from the jobs and adapters, and handed up.
        ("jobs", "customer", "components"),
        ("listeners", "api"),
        ("app", "cli", "server", "__main__", "socket_mode"),
    ]

    def layer_of(module: str) -> int | None:
        rest = module.removeprefix("assistant.")
        best = None
        for level, prefixes in enumerate(layers):
            for prefix in prefixes:
                inside = rest == prefix or rest.startswith(prefix + ".")
                if inside and (best is None or len(prefix) > best[1]):
                    best = (level, len(prefix))
        return best[0] if best else None

    wrong = []
    for module, uses in engine_graph().items():
        level = layer_of(module)
        for used in uses:
            other = layer_of(used)
            if level is not None and other is not None and other > level:
                wrong.append(f"{module} -> {used}")
    assert wrong == [], "\n".join(wrong)


def test_nothing_happens_at_import() -> None:
    """Importing every module starts no thread and reads no content file."""
    code = (
        "import threading, importlib, pkgutil, builtins\n"
        "opened = []\n"
        "real_open = builtins.open\n"
        "def spy(file, *a, **k):\n"
        "    if str(file).endswith(('.yml', '.po', '.j2')): opened.append(str(file))\n"
        "    return real_open(file, *a, **k)\n"
        "builtins.open = spy\n"
        "import assistant\n"
        "for m in pkgutil.walk_packages(assistant.__path__, 'assistant.'):\n"
        "    if '.migrations' not in m.name and not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "assert threading.active_count() == 1, [t.name for t in threading.enumerate()]\n"
        "assert opened == [], opened\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr

"""Dependencies point one way: contracts <- hub.domain <- hub.service <- hub.adapters /
hub.entrypoints <- hub.bootstrap, and projections reads the hub only through ``hub.feed``.
The service layer's read side (``hub.service.reading``) asks the projections, as
cosmicpython's views read the read model: projections never import it back."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("psycopg", "nats", "faststream", "hub.bootstrap", "eventsourcing.postgres")

# What each layer may import of the project's own packages (prefixes).
ALLOWED: dict[str, tuple[str, ...]] = {
    "contracts": ("contracts",),
    "agencies": ("agencies", "contracts"),
    "hub.errors": ("contracts",),
    "hub.config": ("hub.errors",),
    "hub.feed": (),
    "hub.domain": ("contracts", "hub.domain", "hub.errors"),
    "hub.service": (
        "contracts", "hub.domain", "hub.errors", "hub.service", "hub.config", "projections",
    ),
    "hub.adapters": (
        "contracts", "hub.domain", "hub.errors", "hub.service", "hub.config", "hub.feed",
        "hub.adapters",
    ),
    "hub.entrypoints": (
        "contracts", "agencies", "projections", "hub.domain", "hub.errors", "hub.service",
        "hub.config", "hub.feed", "hub.adapters", "hub.entrypoints",
    ),
    "projections": ("projections", "contracts", "hub.feed"),
}  # fmt: skip


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    own = ("contracts", "agencies", "hub", "projections")
    return {name for name in names if name.split(".")[0] in own}


def _layer(module: str) -> str | None:
    for layer in sorted(ALLOWED, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    return None


def _files() -> list[Path]:
    return sorted(
        path
        for package in ("contracts", "agencies", "hub", "projections")
        for path in (ROOT / package).rglob("*.py")
    )


def test_each_layer_imports_only_what_is_below_it() -> None:
    wrong = []
    for path in _files():
        module = _module_name(path)
        layer = _layer(module)
        if layer is None:  # hub/__init__, hub/__main__, hub.bootstrap: the top
            continue
        for name in _imports(path):
            allowed = ALLOWED[layer]
            if name == "hub" or not any(name == a or name.startswith(a + ".") for a in allowed):
                wrong.append(f"{module} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_nothing_below_the_composition_root_imports_it() -> None:
    importers = [
        _module_name(path)
        for path in _files()
        if "hub.bootstrap" in _imports(path) and _module_name(path) not in ("hub", "hub.__main__")
    ]
    assert importers == [], importers


def test_the_package_graph_has_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for path in _files():
        source = _layer(_module_name(path)) or _module_name(path)
        graph.setdefault(source, set()).update(
            target for name in _imports(path) if (target := _layer(name) or name) != source
        )
    # The top (hub, hub.bootstrap, hub.__main__) may import anything; nothing imports it back.
    seen: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state = seen.get(node)
        assert state != 1, "import cycle: " + " -> ".join([*path, node])
        if state == 2:
            return
        seen[node] = 1
        for target in graph.get(node, ()):
            visit(target, [*path, node])
        seen[node] = 2

    for node in list(graph):
        visit(node, [])


@pytest.mark.parametrize("module", ["hub.domain.intake", "hub.feed", "contracts", "projections"])
def test_importing_a_lower_layer_loads_no_driver_and_no_wiring(module: str) -> None:
    code = (
        f"import sys, {module}\nprint(','.join(m for m in sys.modules if m.startswith({HEAVY!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "", f"{module} loads {result.stdout.strip()}"

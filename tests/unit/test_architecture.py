"""Architecture rules that must keep holding as the code grows (DESIGN.md §2)."""

from __future__ import annotations

import ast
import subprocess
import sys

from aigrowth.settings import PROJECT_ROOT

IMPORT_ALL_WORKER_MODULES = """
import importlib, pkgutil, sys, workers
for module in pkgutil.iter_modules(workers.__path__):
    importlib.import_module("workers." + module.name)
loaded = sorted(k for k in sys.modules if k == "reflex" or k.startswith(("reflex.", "reflex_")))
print(",".join(loaded))
"""


def test_workers_never_import_reflex() -> None:
    """A worker process stays small and never depends on the UI framework."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL_WORKER_MODULES],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "", f"workers import Reflex: {result.stdout.strip()}"


# ----------------------------------------------------------- what import-linter cannot say
# import-linter checks which modules import which (contracts in pyproject.toml, run by
# `make lint`). It does not see *names*: a capability reaching into another's private
# helpers (`from aigrowth.content.access import _x`, or `svc._x` on an imported module)
# couples the two as surely as a forbidden import, so it is checked here.
def _capability(module: str) -> str:
    parts = module.split(".")
    return parts[0] if parts[0] == "workers" or len(parts) == 1 else ".".join(parts[:2])


def _is_module(dotted: str) -> bool:
    path = PROJECT_ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _private_reaches(source: str, module: str) -> list[str]:
    """``module``'s uses of another capability's private (underscore) names."""
    tree = ast.parse(source)
    found: list[str] = []
    modules: dict[str, str] = {}  # local name -> our module it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(OURS):
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                if _is_module(target):
                    modules[alias.asname or alias.name] = target
                elif alias.name.startswith("_") and _capability(target) != _capability(module):
                    found.append(f"{module}:{node.lineno} imports {target}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(OURS) and alias.asname:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and _capability(modules[node.value.id]) != _capability(module)
        ):
            found.append(f"{module}:{node.lineno} uses {modules[node.value.id]}.{node.attr}")
    return found


OURS = ("aigrowth", "workers")


def test_no_capability_uses_another_capabilitys_private_names() -> None:
    found: list[str] = []
    for package in OURS:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            rel = path.relative_to(PROJECT_ROOT).with_suffix("")
            module = ".".join(rel.parts).removesuffix(".__init__")
            found += _private_reaches(path.read_text(encoding="utf-8"), module)
    assert found == [], "private names used across capabilities:\n" + "\n".join(found)


def test_the_private_name_check_sees_both_forms() -> None:
    """The check above is not vacuous: it flags an import and an attribute use."""
    source = (
        "from aigrowth.content.access import _secret\n"
        "from aigrowth.content import access\n"
        "access._other()\n"
    )
    assert _private_reaches(source, "aigrowth.billing.service") == [
        "aigrowth.billing.service:1 imports aigrowth.content.access._secret",
        "aigrowth.billing.service:3 uses aigrowth.content.access._other",
    ]
    assert _private_reaches(source, "aigrowth.content.editing") == []  # same capability

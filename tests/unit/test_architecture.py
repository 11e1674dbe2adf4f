"""Architecture rules that must keep holding as the code grows (DESIGN.md §2)."""

from __future__ import annotations

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

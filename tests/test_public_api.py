"""The package's front: a small lazy public API, and an import that pulls nothing heavy."""

from __future__ import annotations

import json
import subprocess
import sys

import toolkit

HEAVY = ("pandas", "litellm", "matplotlib", "sklearn", "numpy", "llama_cpp")


def test_import_toolkit_loads_no_heavy_dependency() -> None:
    code = (
        "import json, sys, toolkit; "
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_cli_help_loads_no_heavy_dependency() -> None:
    code = (
        "import json, sys, contextlib, io\n"
        "from toolkit.cli import build_parser\n"
        "with contextlib.redirect_stdout(io.StringIO()): build_parser().format_help()\n"
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_every_public_name_resolves() -> None:
    # a small public API: about two dozen names plus the five registry decorators
    assert len(toolkit.__all__) <= 34
    for kind in ("grader", "executor", "signal", "strategy", "importer"):
        assert callable(getattr(toolkit, kind)), kind
    for name in toolkit.__all__:
        assert getattr(toolkit, name) is not None, name

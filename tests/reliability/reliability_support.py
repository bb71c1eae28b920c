"""Helpers for the reliability tests: the fault soak's code (benchmarks/fault_soak.py, shared so
the test and the long soak audit the same way).

Every task these tests use is synthetic (made up for the tests); the servers are real HTTP
servers on 127.0.0.1 (``toolkit.testing.FaultServer``), stopped by the tests that start them.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


@cache
def fault_soak() -> ModuleType:
    """The soak module ``benchmarks/fault_soak.py`` (the benchmark folder is no package)."""
    path = REPO / "benchmarks" / "fault_soak.py"
    spec = importlib.util.spec_from_file_location("fault_soak", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fault_soak"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module

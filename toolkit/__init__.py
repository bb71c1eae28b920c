"""toolkit: measure whether routing LLM requests pays off.

The public API is re-exported here lazily, so ``import toolkit`` stays fast and pulls in
no pandas, litellm, matplotlib or scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # errors and core values
    "ToolkitError": "toolkit._errors",
    "InputError": "toolkit._errors",
    "Request": "toolkit._types",
    "Call": "toolkit._types",
    "Executor": "toolkit._types",
    "Trace": "toolkit._types",
    # the registry: what a plugin (or a built-in) registers with
    "grader": "toolkit.registry",
    "executor": "toolkit.registry",
    "signal": "toolkit.registry",
    "strategy": "toolkit.registry",
    "importer": "toolkit.registry",
    # task sets and grading
    "Task": "toolkit.tasks",
    "TaskSet": "toolkit.tasks",
    "load_tasks": "toolkit.tasks",
    "Grade": "toolkit.grading",
    "grader_for": "toolkit.grading",
    "grade_many": "toolkit.grading",
    "run_sandboxed": "toolkit.grading",
    # executors
    "ExecutorConfig": "toolkit.models",
    "Profile": "toolkit.models",
    "PriceTable": "toolkit.models",
    "LocalServer": "toolkit.models",
    "build_executors": "toolkit.models",
    # strategies and live runs
    "Strategy": "toolkit.strategies",
    "build_strategy": "toolkit.strategies",
    "load_spec": "toolkit.runner",
    "run_spec": "toolkit.runner",
    # offline evaluation and reports
    "OutcomeMatrix": "toolkit.outcomes",
    "import_outcomes": "toolkit.outcomes",
    "evaluate": "toolkit.analysis",
    "ThresholdRouter": "toolkit.analysis",
    "build_cost_report": "toolkit.report",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'toolkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

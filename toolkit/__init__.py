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
    "ToolkitError": "toolkit._errors",
    "InputError": "toolkit._errors",
    "Request": "toolkit._types",
    "Call": "toolkit._types",
    "Executor": "toolkit._types",
    "Trace": "toolkit._types",
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

"""The models layer: the model registry and prices, the model knob, executors, the response
cache and replay, the budget, and the local model server.

Nothing heavy is imported here: litellm, scikit-learn and llama.cpp load on first use.
"""

from toolkit.models._budget import Budget, CallLedger, Reservation, Sending
from toolkit.models._build import (
    BuildContext,
    ExecutionContext,
    attach_local_server,
    build_executors,
    local_models,
    uses_local_server,
)
from toolkit.models._cache import CACHE_DIR_ENV, ResponseCache, default_cache_path
from toolkit.models._config import DEFAULT_LOCAL_ALIAS, ExecutorBase, ExecutorConfig, Profile
from toolkit.models._failures import (
    ExecutorError,
    LocalServerError,
    NeedsLocalServer,
    ProviderError,
)
from toolkit.models._knob import (
    MODEL_ENV,
    RESOLVED_MODEL_ENV,
    resolve_model,
    role_env,
    task_model_override,
)
from toolkit.models._litellm import aclose_clients, import_litellm, litellm_version, run_coroutine
from toolkit.models._llm import LOCAL_PREFIX, LLMExecutor
from toolkit.models._local_server import LocalServer, gemma_path, local_server_available
from toolkit.models._policies import PolicyExecutor
from toolkit.models._prices import ModelPrice, ModelSpec, PriceTable, UnpricedModelError, model_spec
from toolkit.models._specialist import SpecialistExecutor, fit_specialist
from toolkit.models._specialist_file import is_archive as is_specialist_archive
from toolkit.models._tool import ToolExecutor, solve_arithmetic

__all__ = [
    "CACHE_DIR_ENV",
    "DEFAULT_LOCAL_ALIAS",
    "LOCAL_PREFIX",
    "MODEL_ENV",
    "RESOLVED_MODEL_ENV",
    "Budget",
    "BuildContext",
    "CallLedger",
    "ExecutionContext",
    "ExecutorBase",
    "ExecutorConfig",
    "ExecutorError",
    "LLMExecutor",
    "LocalServer",
    "LocalServerError",
    "ModelPrice",
    "ModelSpec",
    "NeedsLocalServer",
    "PolicyExecutor",
    "PriceTable",
    "Profile",
    "ProviderError",
    "Reservation",
    "ResponseCache",
    "Sending",
    "SpecialistExecutor",
    "ToolExecutor",
    "UnpricedModelError",
    "aclose_clients",
    "attach_local_server",
    "build_executors",
    "default_cache_path",
    "fit_specialist",
    "gemma_path",
    "import_litellm",
    "is_specialist_archive",
    "litellm_version",
    "local_models",
    "local_server_available",
    "model_spec",
    "resolve_model",
    "role_env",
    "run_coroutine",
    "solve_arithmetic",
    "task_model_override",
    "uses_local_server",
]

"""The model knob: one place that decides which model an LLM executor calls.

Resolution order, highest first:

1. the per-task override: ``Request.model`` (set by the strategy/runner, e.g. from the spec),
   else the request's task metadata, ``models = {executor_name: model}`` before ``model``;
2. ``TOOLKIT_MODEL_<ROLE>`` for the executor's role, else the request's role
   (e.g. ``TOOLKIT_MODEL_PLANNER``);
3. ``TOOLKIT_MODEL``, for every LLM executor at once;
4. the executor's configured model.

Only LLM executors (``litellm``, ``local``, ``cli``) take the knob; specialist and tool
executors are not language models and ignore it. A model named ``local/<alias>`` is served by
the local llama.cpp server, whichever executor calls it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from toolkit._types import Request
from toolkit.models._config import ExecutorConfig

MODEL_ENV = "TOOLKIT_MODEL"
ROLE_ENV_PREFIX = "TOOLKIT_MODEL_"
#: Environment variable through which a CLI executor's command learns its resolved model.
RESOLVED_MODEL_ENV = "TOOLKIT_RESOLVED_MODEL"


def role_env(role: str) -> str:
    """The environment variable that overrides ``role``, e.g. ``TOOLKIT_MODEL_PLANNER``."""
    return ROLE_ENV_PREFIX + role.upper()


def task_model_override(metadata: Mapping[str, Any], executor: str) -> str | None:
    """A task's own model override for ``executor``, from its metadata (None when absent).

    ``metadata["models"][executor]`` wins over ``metadata["model"]``.
    """
    models = metadata.get("models")
    if isinstance(models, Mapping):
        m = models.get(executor)
        if isinstance(m, str) and m:
            return m
    m = metadata.get("model")
    return m if isinstance(m, str) and m else None


def resolve_model(
    config: ExecutorConfig, request: Request, env: Mapping[str, str] | None = None
) -> str:
    """The model an LLM executor uses for ``request`` (see the module docstring for the order)."""
    if not config.is_llm:
        return config.model or ""
    env = os.environ if env is None else env
    if request.model:
        return request.model
    from_task = task_model_override(request.metadata, config.name)
    if from_task:
        return from_task
    role = config.role or request.role
    if role:
        value = env.get(role_env(role), "").strip()
        if value:
            return value
    value = env.get(MODEL_ENV, "").strip()
    if value:
        return value
    return config.base_model

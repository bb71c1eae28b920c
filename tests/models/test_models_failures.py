"""How provider exceptions are classified: retryable, billed or not."""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm

from toolkit.models._failures import classify


def test_a_plain_server_error_was_not_billed() -> None:
    exc = litellm.InternalServerError(message="boom", llm_provider="openai", model="m")
    err = classify(exc)
    assert err.retryable
    assert not err.maybe_billed

"""How provider exceptions are classified: retryable, billed or not."""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import httpx
import litellm
import openai

from toolkit.models._failures import classify


def _wrapped_connection_error() -> Exception:
    """What litellm raises for a reset connection: a 500 whose cause is the transport error."""
    try:
        try:
            raise httpx.RemoteProtocolError("peer closed connection without a response")
        except httpx.RemoteProtocolError as transport:
            request = httpx.Request("POST", "http://127.0.0.1:1/v1")
            raise openai.APIConnectionError(request=request) from transport
    except openai.APIConnectionError as conn:
        try:
            raise litellm.InternalServerError(
                message="Connection error.", llm_provider="openai", model="m"
            ) from conn
        except litellm.InternalServerError as outer:
            return outer
    raise AssertionError("unreachable")


def test_a_reset_connection_reported_as_500_may_have_been_billed() -> None:
    err = classify(_wrapped_connection_error())
    assert err.retryable
    assert err.maybe_billed  # settled at its reservation, never at $0


def test_a_plain_server_error_was_not_billed() -> None:
    exc = litellm.InternalServerError(message="boom", llm_provider="openai", model="m")
    err = classify(exc)
    assert err.retryable
    assert not err.maybe_billed

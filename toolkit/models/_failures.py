"""Errors of the models layer, and how provider failures are classified for retries."""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import Any

from toolkit._errors import InputError, ToolkitError
from toolkit._redact import redact


class ExecutorError(ToolkitError):
    """An executor could not be built or run (not a provider failure, which goes in Call.error)."""


class LocalServerError(ToolkitError):
    """The local model server could not be started or is not available."""


class NeedsLocalServer(InputError):
    """A model ``local/<alias>`` is needed but no local server address was given."""


class ProviderError(Exception):
    """One failed attempt at a provider. Not raised out of an executor: it ends in Call.error.

    ``retryable``: worth trying again (429, 5xx, timeouts, lost connections).
    ``retry_after``: seconds the provider asked us to wait (``Retry-After``), if it said.
    ``maybe_billed``: the provider may have done (and billed) the work: timeouts and
    connections lost after sending. Such an attempt is settled at its reservation.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        maybe_billed: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        self.maybe_billed = maybe_billed


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _headers_of(exc: BaseException) -> list[Any]:
    found = []
    for attr in ("litellm_response_headers", "headers"):
        h = getattr(exc, attr, None)
        if h is not None:
            found.append(h)
    response = getattr(exc, "response", None)
    h = getattr(response, "headers", None)
    if h is not None:
        found.append(h)
    return found


def retry_after_of(exc: BaseException) -> float | None:
    """The ``Retry-After`` (or ``retry-after-ms``) a provider sent with an error, if any."""
    for headers in _headers_of(exc):
        try:
            ms = headers.get("retry-after-ms")
            if ms is not None:
                return max(0.0, float(ms) / 1000.0)
            value = headers.get("retry-after")
        except (AttributeError, TypeError, ValueError):
            continue
        seconds = parse_retry_after(value if value is None else str(value))
        if seconds is not None:
            return seconds
    return None


def classify(exc: BaseException) -> ProviderError:
    """Turn an exception from litellm (or the transport) into a ProviderError."""
    import httpx
    import openai

    status_v = getattr(exc, "status_code", None)
    status = status_v if isinstance(status_v, int) else None
    timeout = isinstance(
        exc, asyncio.TimeoutError | TimeoutError | openai.APITimeoutError | httpx.TimeoutException
    )
    connection = (not timeout) and isinstance(
        exc, openai.APIConnectionError | httpx.TransportError | ConnectionError
    )
    if timeout:
        status = None
    retryable = (
        timeout
        or connection
        or status in (408, 409, 425, 429)
        or (status is not None and status >= 500)
    )
    kind = type(exc).__name__
    text = str(exc).strip() or kind
    if len(text) > 500:
        text = text[:500] + "..."
    message = text if text.startswith(kind) or kind in text else f"{kind}: {text}"
    message = redact(message)  # providers and proxies may echo headers, keys or URLs
    return ProviderError(
        message,
        status=status,
        retryable=retryable,
        retry_after=retry_after_of(exc),
        maybe_billed=timeout or connection,
    )

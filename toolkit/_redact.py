"""Keep secrets out of what the toolkit writes: error messages, run files, reports, logs.

Providers and proxies sometimes echo a request's headers or URL in an error message
(``Incorrect API key provided: Bearer sk-...``, ``...?key=AIza...``). :func:`redact` masks

- the values of environment variables that hold secrets (names with KEY, TOKEN, SECRET,
  PASSWORD or CREDENTIAL; values of at least 12 characters with no whitespace, as keys are),
  wherever they appear, also JSON-escaped;
- credentials by their shape: ``Bearer <token>``, ``sk-...`` style keys, and ``api_key=``,
  ``key=``, ``token=``, ``authorization:`` or ``x-api-key:`` followed by a value.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping

MASK = "[REDACTED]"
_MIN_SECRET = 12
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
_SHAPES = (
    # Authorization: Bearer <token>
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    # OpenAI / Anthropic style keys: sk-..., sk-ant-..., sk-proj-...
    re.compile(r"()\bsk-[A-Za-z0-9_-]{8,}"),
    # key=value in URLs, headers and dict reprs: api_key=..., 'x-api-key': '...', token: ...
    re.compile(
        r"(?i)(\b(?:api[_-]?key|x-api-key|access[_-]?token|auth[_-]?token|token|key|"
        r"authorization|password|secret)\b['\"]?\s*[:=]\s*['\"]?)"
        r"(?!\[REDACTED\])[^\s'\"&,;})\]]{8,}"
    ),
)


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    """Values of the environment variables that look like secrets, longest first."""
    env = os.environ if env is None else env
    found = {
        v
        for k, v in env.items()
        if _SECRET_NAME.search(k) and len(v) >= _MIN_SECRET and not any(c.isspace() for c in v)
    }
    return sorted(found, key=len, reverse=True)


def redact(text: str, env: Mapping[str, str] | None = None, extra: Iterable[str] = ()) -> str:
    """``text`` with secrets masked as ``[REDACTED]`` (see the module docstring).

    ``env`` is where secret variables are looked up (None: ``os.environ``); ``extra`` adds
    known secret values.
    """
    if not text:
        return text
    values = [*secret_values(env), *(v for v in extra if v)]
    return redact_values(_redact_shapes(text), values)


def redact_values(text: str, values: Iterable[str]) -> str:
    """``text`` with each of ``values`` masked, as written and as JSON escapes it."""
    return redact_forms(text, secret_forms(values))


def secret_forms(values: Iterable[str]) -> tuple[str, ...]:
    """Each of ``values`` as written and, where it differs, as JSON escapes it, in order.

    Compute once for text masked often (run files): see :func:`redact_forms`.
    """
    forms: list[str] = []
    for value in values:
        forms.append(value)
        escaped = json.dumps(value)[1:-1]
        if escaped != value:
            forms.append(escaped)
    return tuple(forms)


def redact_forms(text: str, forms: Iterable[str]) -> str:
    """``text`` with each of ``forms`` (from :func:`secret_forms`) masked, in order."""
    for form in forms:
        if form in text:
            text = text.replace(form, MASK)
    return text


def _redact_shapes(text: str) -> str:
    for pattern in _SHAPES:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text

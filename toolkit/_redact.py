"""Keep secrets out of what the toolkit writes: error messages, run files, reports, logs.

Providers and proxies sometimes echo a request's headers or URL in an error message
(``Incorrect API key provided: Bearer sk-...``, ``...?key=AIza...``). :func:`redact` masks

- the values of environment variables that hold secrets (names with KEY, TOKEN, SECRET,
  PASSWORD or CREDENTIAL; values of at least 12 characters with no whitespace, as keys are),
  and every value the toolkit itself uses as a credential whatever its variable is called
  (:func:`register_secret`: an executor's ``api_key_env``, a password in an ``api_base``, a
  secret-named field of a profile's ``extra``), wherever they appear, also JSON-escaped and
  base64-encoded;
- credentials by their shape: ``Bearer <token>``, ``sk-...`` style keys, and ``api_key=``,
  ``key=``, ``token=``, ``authorization:`` or ``x-api-key:`` followed by a value.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "[REDACTED]"
_MIN_SECRET = 12
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
_REGISTERED: set[str] = set()
_REGISTER_LOCK = threading.Lock()
_USERINFO = re.compile(r"://[^/\s:@]+:([^@\s/]+)@")
_SHAPES = (
    # a password in a URL's userinfo: http://user:PASSWORD@host
    re.compile(r"(://[^/\s:@'\"]+:)(?!\[REDACTED\])[^@\s/'\"]+(?=@)"),
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


def register_secret(value: str | None) -> None:
    """Mask ``value`` wherever this process writes text from now on (a credential the
    toolkit passes on, whatever its variable is called). Values shorter than 8 characters,
    such as the "none" key of a local server, are left alone."""
    if value and len(value) >= 8 and value != MASK:
        with _REGISTER_LOCK:
            _REGISTERED.add(value)


def register_config_secrets(api_key: str | None, api_base: str | None, extra: Any) -> None:
    """Register the credentials of one executor: its key, a password in ``api_base``'s
    userinfo, and the values of secret-named fields (any depth) of a profile's ``extra``."""
    register_secret(api_key)
    if api_base:
        for m in _USERINFO.finditer(api_base):
            register_secret(m[1])
    for value in _secret_fields(extra):
        register_secret(value)


def _secret_fields(value: Any, secret: bool = False) -> Iterable[str]:
    """String values under a secret-named key (KEY, TOKEN, ..., AUTH, COOKIE), any depth."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            name = str(k)
            named = bool(_SECRET_NAME.search(name) or re.search("auth|cookie", name, re.I))
            yield from _secret_fields(v, secret or named)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _secret_fields(v, secret)
    elif isinstance(value, str) and secret:
        yield value


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    """Values of the environment variables that look like secrets, longest first; with no
    ``env`` (this process's environment), every registered credential too
    (:func:`register_secret`)."""
    found = {
        v
        for k, v in (os.environ if env is None else env).items()
        if _SECRET_NAME.search(k) and len(v) >= _MIN_SECRET and not any(c.isspace() for c in v)
    }
    if env is None:
        found |= set(registered_secrets())
    return sorted(found, key=len, reverse=True)


def registered_secrets() -> list[str]:
    """The credentials registered with :func:`register_secret` so far."""
    with _REGISTER_LOCK:
        return list(_REGISTERED)


def redact(text: str, env: Mapping[str, str] | None = None, extra: Iterable[str] = ()) -> str:
    """``text`` with secrets masked as ``[REDACTED]`` (see the module docstring).

    ``env`` is where secret variables are looked up (None: ``os.environ``); ``extra`` adds
    known secret values.
    """
    if not text:
        return text
    values = [*secret_values(env), *registered_secrets(), *(v for v in extra if v)]
    return redact_values(_redact_shapes(text), values)


def redact_values(text: str, values: Iterable[str]) -> str:
    """``text`` with each of ``values`` masked, as written and as JSON escapes it."""
    return redact_forms(text, secret_forms(values))


def secret_forms(values: Iterable[str]) -> tuple[str, ...]:
    """Each of ``values`` as written, as JSON escapes it and base64-encoded (standard and
    URL-safe, padding dropped), longest first.

    Compute once for text masked often (run files): see :func:`redact_forms`.
    """
    return _forms(tuple(values))


@functools.lru_cache(maxsize=32)
def _forms(values: tuple[str, ...]) -> tuple[str, ...]:
    forms: set[str] = set()
    for value in values:
        raw = value.encode("utf-8")
        forms |= {
            value,
            json.dumps(value)[1:-1],
            base64.b64encode(raw).decode().rstrip("="),
            base64.urlsafe_b64encode(raw).decode().rstrip("="),
        }
    return tuple(sorted((f for f in forms if f), key=len, reverse=True))


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

"""Lazy access to litellm, configured for offline use.

litellm is imported only when a call, a price or a token count needs it. Before the import
we set ``LITELLM_LOCAL_MODEL_COST_MAP=True`` (unless the user set it), so litellm uses its
bundled cost map instead of downloading one at import time.
"""

from __future__ import annotations

import os
import sys
import weakref
from importlib import metadata
from typing import Any

_configured = False
# AsyncOpenAI clients for text completions at an OpenAI-compatible server, by event loop.
# litellm builds a fresh, never-closed client for every such call otherwise (aiohttp then
# warns "Unclosed client session" mid-run); ours are closed by aclose_clients().
_text_clients: dict[tuple[str, str, float], tuple[Any, Any]] = {}  # key -> (loop ref, client)


def import_litellm() -> Any:
    """The litellm module, imported on first use with the toolkit's settings."""
    global _configured
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    if not _configured:
        litellm.suppress_debug_info = True  # no "Give Feedback" banner on every error
        _configured = True
    return litellm


def litellm_version() -> str:
    """The installed litellm version (read without importing litellm)."""
    try:
        return metadata.version("litellm")
    except metadata.PackageNotFoundError:
        return "not installed"


def text_completion_client(api_base: str, api_key: str, timeout_s: float) -> Any:
    """A shared AsyncOpenAI client for text completions at ``api_base`` (this event loop)."""
    import asyncio

    import openai

    loop = asyncio.get_running_loop()
    key = (api_base, api_key, timeout_s)
    held = _text_clients.get(key)
    if held is None or held[0]() is not loop:  # a client belongs to one event loop
        client = openai.AsyncOpenAI(
            api_key=api_key, base_url=api_base, max_retries=0, timeout=timeout_s
        )
        held = _text_clients[key] = (weakref.ref(loop), client)
    return held[1]


async def aclose_clients() -> None:
    """Close litellm's cached async HTTP clients; call once at the end of a run.

    Without this, aiohttp prints "Unclosed client session" warnings at exit. A no-op when
    litellm was never imported.
    """
    import asyncio

    loop = asyncio.get_running_loop()
    for loop_ref, client in list(_text_clients.values()):
        if loop_ref() is loop:
            await client.close()
    _text_clients.clear()  # clients of finished loops cannot be closed from here: drop them
    if "litellm" not in sys.modules:
        return
    litellm = import_litellm()
    close = getattr(litellm, "close_litellm_async_clients", None)
    if close is None:  # older litellm: the helper lives in a submodule
        from litellm.llms.custom_httpx.async_client_cleanup import close_litellm_async_clients

        close = close_litellm_async_clients
    await close()

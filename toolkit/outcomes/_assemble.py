"""The last step of every import: missing cells (``--drop-incomplete``), the cost axis
(``--cost-axis``) and the matrix itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from toolkit._errors import InputError, located
from toolkit.outcomes._matrix import OutcomeMatrix, strong_share_problem
from toolkit.outcomes._options import COST_AXIS_FLAGS, ImportOptions

if TYPE_CHECKING:
    from toolkit.models import ModelPrice

FloatArray = npt.NDArray[np.float64]
StrArray = npt.NDArray[np.object_]

PRICES_HOW = (
    'add them to a --prices TOML in USD per million tokens: [models."NAME"] '
    "input_per_mtok = ..., output_per_mtok = ..."
)


def prices_for(
    path: Path, names: Sequence[str], opts: ImportOptions, extra: Sequence[str] = ()
) -> dict[str, ModelPrice]:
    """The price of every model in ``names`` (``--prices`` over litellm's cost map); an
    InputError listing every unpriced model (then ``extra`` problems) otherwise."""
    from toolkit.models import PriceTable

    table = PriceTable.load(opts.prices)
    found = {e: p for e in names if (p := table.find(e)) is not None}
    missing = [e for e in names if e not in found]
    if missing:
        problems = [
            located(path, None, "model", f"{e!r} has no price in litellm's cost map or --prices")
            for e in missing
        ]
        problems.append(
            located(path, None, "prices", f"{len(missing)} unpriced models; {PRICES_HOW}")
        )
        problems.extend(extra)
        raise InputError(problems[0], problems)
    return found


def price_sources(found: Mapping[str, ModelPrice]) -> str:
    """``litellm: a, b; toml:prices.toml: c``: which price source priced which models."""
    by_source: dict[str, list[str]] = {}
    for e, p in found.items():
        by_source.setdefault(p.source, []).append(e)
    return "; ".join(f"{src}: {', '.join(ms)}" for src, ms in by_source.items())


@dataclass
class _Cells:
    """The kept executors' cells the cost axis reads (and, for ``tokens``, fills)."""

    executors: Sequence[str]
    cost: FloatArray
    tin: FloatArray
    tout: FloatArray
    text: StrArray
    responses: npt.NDArray[np.object_] | None


def finish(
    path: Path,
    opts: ImportOptions,
    *,
    task_ids: StrArray,
    text: StrArray,
    category: StrArray,
    split: StrArray | None,
    executors: Sequence[str],
    values: Mapping[str, FloatArray],
    required: Mapping[str, Sequence[str]],
    notes: list[str],
    source: str,
    by_executor: bool = False,
    absent: int = 0,
    responses: npt.NDArray[np.object_] | None = None,
) -> OutcomeMatrix:
    """Drop what ``--drop-incomplete`` says (or raise, counting missing cells per column),
    choose the cost axis when there is no cost, and build the matrix.

    ``required`` maps a value name to its per-executor labels. With ``by_executor`` (long
    files, where a column holds every executor) one message per value column gives the count
    and its split by executor; otherwise there is one message per label (a wide file's column).
    """
    n, m = len(task_ids), len(executors)
    problems, miss = missing_cells(path, values, required, by_executor, absent)
    keep_tasks: npt.NDArray[np.bool_] = np.ones(n, dtype=bool)
    keep_ex: npt.NDArray[np.bool_] = np.ones(m, dtype=bool)
    if problems:
        mode = opts.drop_incomplete
        if not mode:
            # all of an import's problems in one run: the cost axis as if the suggested
            # --drop-incomplete were given (or, if it leaves nothing, its executors form)
            for trial in (True, "executors"):
                ex, tasks = _kept(miss, trial, opts.max_missing)
                if ex.any() and tasks.any():
                    problems += _cost_axis_problems(
                        path, opts, executors, values, text, responses, ex, tasks
                    )
                    break
            raise InputError(problems[0], problems)
        keep_ex, keep_tasks = _kept(miss, mode, opts.max_missing)
        share = miss.mean(axis=0) if n else np.zeros(m)
        if not keep_ex.any():
            raise InputError(
                located(
                    path, None, "executors", "every executor has missing cells; nothing is left"
                )
            )
        if not keep_ex.all():
            gone = ", ".join(
                f"{executors[int(j)]} ({int(miss[:, j].sum())} of {n} cells missing, {share[j]:.1%})"
                for j in np.flatnonzero(~keep_ex)
            )
            why = f", over --max-missing {opts.max_missing:g}" if mode == "auto" else ""
            notes.append(
                f"dropped {int((~keep_ex).sum())} of {m} executors with missing cells "
                f"(--drop-incomplete {mode}{why}): {gone}"
            )
        if not keep_tasks.all():
            notes.append(
                f"dropped {int((~keep_tasks).sum())} of {n} tasks with missing cells "
                f"(--drop-incomplete {mode}); {int(keep_tasks.sum())} remain"
            )
        if not keep_tasks.any():
            raise InputError(
                located(path, None, "tasks", "every task has missing cells; nothing is left")
            )
    kept = [e for e, k in zip(executors, keep_ex, strict=True) if k]
    nan = np.full((n, m), np.nan)

    def cut(a: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out: npt.NDArray[np.float64] = a[keep_tasks][:, keep_ex]
        return out

    cost, tin, tout = (cut(values.get(k, nan)) for k in ("cost_usd", "tokens_in", "tokens_out"))
    txt = text[keep_tasks]
    answers = None if responses is None else responses[keep_tasks][:, keep_ex]
    axis, rank = _cost_axis(path, opts, _Cells(kept, cost, tin, tout, txt, answers), notes)
    try:
        return OutcomeMatrix(
            task_ids=task_ids[keep_tasks],
            text=txt,
            category=category[keep_tasks],
            splits=(split if split is not None else np.full(n, "", dtype=object))[keep_tasks],
            executors=tuple(kept),
            score=cut(values["score"]),
            cost_usd=cost,
            latency_s=cut(values.get("latency_s", nan)),
            tokens_in=tin,
            tokens_out=tout,
            notes=tuple(notes),
            source=source,
            cost_axis=axis,
            cost_rank=rank,
        )
    except ValueError as exc:
        raise InputError(located(path, None, "outcomes", str(exc))) from None


def _cost_axis(
    path: Path, opts: ImportOptions, c: _Cells, notes: list[str]
) -> tuple[str, tuple[str, ...]]:
    """The cost axis (and rank) of the matrix; fills ``cost``/``tokens`` for ``tokens``."""
    flag = opts.cost_axis
    if flag is not None and flag not in COST_AXIS_FLAGS:
        raise InputError(
            located("--cost-axis", None, repr(flag), f"expected {', '.join(COST_AXIS_FLAGS)}")
        )
    if opts.cost_rank and flag not in (None, "rank"):
        raise InputError(located("--cost-rank", None, flag, "applies to --cost-axis rank only"))
    if np.isfinite(c.cost).all() and c.cost.size:
        if flag is not None or opts.cost_rank:
            what = "--cost-axis" if flag is not None else "--cost-rank"
            raise InputError(
                located(
                    what,
                    None,
                    str(flag or ",".join(opts.cost_rank)),
                    "does not apply: every call has a cost in USD (the cost axis is usd)",
                )
            )
        return "usd", ()
    executors = c.executors
    m = len(executors)
    chosen = flag or ("rank" if m > 2 or opts.cost_rank else "strong-share")
    default = (
        ""
        if flag
        else ", the default with " + ("more than two executors" if m > 2 else "two executors")
    )
    if chosen == "strong-share" and m > 2:
        raise InputError(f"--cost-axis strong-share {strong_share_problem(executors)}")
    if chosen == "strong-share":
        notes.append(
            "no cost and no tokens in the data: the cost axis is the share of calls to the strong "
            f"executor, as RouteLLM counts it (--cost-axis strong-share{default})"
        )
        return "strong_share", ()
    if chosen == "rank":
        rank = _rank(path, opts, executors)
        how = "--cost-rank" if opts.cost_rank else "litellm's price order"
        notes.append(
            "no cost and no tokens in the data: the cost axis is each executor's 1-based price "
            f"rank, cheapest first ({', '.join(rank)}, from {how}) (--cost-axis rank{default})"
        )
        return "rank", rank
    _estimate_tokens(path, opts, c, notes)
    return "tokens", ()


def _rank(path: Path, opts: ImportOptions, executors: Sequence[str]) -> tuple[str, ...]:
    if opts.cost_rank:
        unknown = [e for e in opts.cost_rank if e not in executors]
        left = [e for e in executors if e not in opts.cost_rank]
        if unknown or left:
            problems = [
                located(
                    "--cost-rank", None, e, f"is not an executor; known: {', '.join(executors)}"
                )
                for e in unknown
            ] + [located("--cost-rank", None, e, "is missing: rank every executor") for e in left]
            raise InputError(problems[0], problems)
        return tuple(opts.cost_rank)
    from toolkit.models import PriceTable

    table = PriceTable.load(opts.prices)
    prices = {e: table.find(e) for e in executors}
    unpriced = [e for e, p in prices.items() if p is None]
    if unpriced:
        raise InputError(
            located(
                path,
                None,
                "cost",
                "the data has no cost or tokens, and the rank cost axis needs an order: "
                f"{', '.join(unpriced)} have no price in litellm's cost map or --prices; pass "
                "--cost-rank A,B,C (cheapest first) naming every executor: "
                f"{', '.join(executors)}, or --cost-axis "
                + ("tokens" if len(executors) > 2 else "tokens or strong-share"),
            )
        )
    return tuple(
        sorted(
            executors,
            key=lambda e: (
                prices[e].input_per_mtok + prices[e].output_per_mtok,  # type: ignore[union-attr]
                executors.index(e),
            ),
        )
    )


def _estimate_tokens(path: Path, opts: ImportOptions, c: _Cells, notes: list[str]) -> None:
    """``--cost-axis tokens``: count tokens in the prompts and answers, price them."""
    executors, cost, tin, tout, text, responses = (
        c.executors,
        c.cost,
        c.tin,
        c.tout,
        c.text,
        c.responses,
    )
    if responses is None or not any(r for r in responses.reshape(-1)):
        raise InputError(
            located(
                path,
                None,
                "--cost-axis tokens",
                "needs each executor's answer text to count output tokens, and these outcomes "
                "have none; use --cost-axis rank"
                + (" or strong-share" if len(executors) == 2 else ""),
            )
        )
    if not any(t for t in text):
        raise InputError(
            located(
                path, None, "--cost-axis tokens", "needs the prompt text; these tasks have none"
            )
        )
    from toolkit.models import LLMExecutor

    found = prices_for(path, executors, opts)
    count = LLMExecutor._count_text_tokens
    for j, e in enumerate(executors):
        tin[:, j] = [count(e, str(t)) for t in text]
        tout[:, j] = [count(e, str(r)) for r in responses[:, j]]
        cost[:, j] = (
            tin[:, j] * found[e].input_per_mtok + tout[:, j] * found[e].output_per_mtok
        ) / 1e6
    notes.append(
        "no cost and no tokens in the data: estimated tokens_in from the prompt and tokens_out "
        "from each answer with litellm's tokenizer (about 4 characters a token where it has "
        f"none), priced per token ({price_sources(found)}); the cost axis is tokens "
        "(--cost-axis tokens)"
    )


def _kept(
    miss: npt.NDArray[np.bool_], mode: bool | str, max_missing: float
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """The executors and tasks ``--drop-incomplete MODE`` keeps, given the missing cells."""
    n, m = miss.shape
    keep_ex: npt.NDArray[np.bool_] = np.ones(m, dtype=bool)
    if mode == "executors":
        keep_ex = np.asarray(~miss.any(axis=0), dtype=bool)
    elif mode == "auto":
        share = miss.mean(axis=0) if n else np.zeros(m)
        keep_ex = np.asarray(share <= max_missing, dtype=bool)
    keep_tasks = np.asarray(~miss[:, keep_ex].any(axis=1), dtype=bool)
    return keep_ex, keep_tasks


def _cost_axis_problems(
    path: Path,
    opts: ImportOptions,
    executors: Sequence[str],
    values: Mapping[str, FloatArray],
    text: StrArray,
    responses: npt.NDArray[np.object_] | None,
    keep_ex: npt.NDArray[np.bool_],
    keep_tasks: npt.NDArray[np.bool_],
) -> list[str]:
    """What the cost axis would refuse on the kept cells (none: an empty list)."""
    n, m = len(text), len(executors)
    nan = np.full((n, m), np.nan)
    cost, tin, tout = (
        values.get(k, nan)[keep_tasks][:, keep_ex] for k in ("cost_usd", "tokens_in", "tokens_out")
    )
    cells = _Cells(
        [e for e, k in zip(executors, keep_ex, strict=True) if k],
        cost,
        tin,
        tout,
        text[keep_tasks],
        None if responses is None else responses[keep_tasks][:, keep_ex],
    )
    try:
        _cost_axis(path, opts, cells, [])
    except InputError as exc:
        return exc.problems
    return []


def missing_cells(
    path: Path,
    values: Mapping[str, FloatArray],
    required: Mapping[str, Sequence[str]],
    by_executor: bool,
    absent: int,
) -> tuple[list[str], npt.NDArray[np.bool_]]:
    """Messages counting the missing (NaN) cells per column, and the missing cells."""
    first = next(iter(values.values()))
    miss_all = np.zeros(first.shape, dtype=bool)
    counts: list[tuple[str, str]] = []
    for name, labels in required.items():
        miss = np.isnan(values[name])
        miss_all |= miss
        per = [(label, int(miss[:, j].sum())) for j, label in enumerate(labels)]
        if by_executor:
            total = sum(k for _, k in per)
            if total:
                detail = ", ".join(f"{label}: {k}" for label, k in per if k)
                counts.append((name, f"{total} missing cells ({detail})"))
        else:
            counts.extend((label, f"{k} missing cells") for label, k in per if k)
    if not counts:
        return [], miss_all
    problems = [located(path, None, label, what) for label, what in counts]
    if absent:
        problems.append(
            located(path, None, "rows", f"{absent} task x model pairs have no row at all")
        )
    n = len(first)
    problems.append(
        located(
            path,
            None,
            "missing cells",
            f"{int(miss_all.any(axis=1).sum())} of {n} tasks have missing cells; pass "
            "--drop-incomplete to drop those tasks, --drop-incomplete executors to drop the "
            "executors instead, or --drop-incomplete auto to drop executors missing more than "
            "--max-missing (0.05) of their cells and then tasks",
        )
    )
    return problems, miss_all

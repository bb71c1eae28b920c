"""``--reprice FILE``: the measured token counts priced with another price table (a what-if).

The file is a prices TOML in USD per million tokens (``[models."name"] input_per_mtok /
output_per_mtok``, optionally ``cache_read_per_mtok``). Each executor is looked up by its
model name (from the run manifest's executor configs; for imported outcomes the executor's
name is the model name), then by the executor's own name; a name with a provider prefix
(``openai/gpt-4o``) is also tried without it. Only this file is used, not litellm's map: an
executor the file does not name keeps its measured cost, and the report lists it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from toolkit._errors import InputError, located

if TYPE_CHECKING:
    from toolkit.models import ModelPrice
    from toolkit.outcomes import OutcomeMatrix
    from toolkit.report._inputs import ReportInputs
    from toolkit.runs import CallRecord, ResultRecord


@dataclass(frozen=True)
class Repricing:
    """The re-priced inputs and what was matched.

    ``matched`` maps each re-priced executor to the model name it was found under;
    ``kept`` lists executors that keep their measured cost, with the reason.
    """

    source: Path
    prices: Mapping[str, ModelPrice]
    matched: Mapping[str, str]
    kept: Mapping[str, str]
    inputs: ReportInputs


def read_reprice_table(path: str | Path) -> dict[str, ModelPrice]:
    """Model name -> price from a prices TOML (USD per million tokens); bad input: InputError."""
    from toolkit.models import ModelPrice, PriceTable

    p = Path(path)
    if not p.exists():
        raise InputError(located(p, None, "--reprice", "file not found"))
    if not p.is_file():
        raise InputError(located(p, None, "--reprice", "not a file; expected a prices TOML"))
    try:
        p.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(located(p, None, "--reprice", "not UTF-8 text")) from None
    except OSError as exc:
        raise InputError(located(p, None, "--reprice", f"cannot read: {exc.strerror}")) from None
    table = PriceTable.load(p)
    if not table.overrides:
        raise InputError(
            located(
                p,
                None,
                "models",
                'no [models."name"] tables; expected input_per_mtok and output_per_mtok per model',
            )
        )
    return {
        name: ModelPrice(
            e.input_per_mtok, e.output_per_mtok, e.cache_read_per_mtok, source=f"toml:{p}"
        )
        for name, e in table.overrides.items()
    }


def _lookup(
    prices: Mapping[str, ModelPrice], names: Sequence[str]
) -> tuple[str, ModelPrice] | None:
    for name in names:
        for candidate in (name, name.split("/", 1)[1] if "/" in name else None):
            if candidate and candidate in prices:
                return candidate, prices[candidate]
    return None


def reprice(
    inputs: ReportInputs, path: str | Path, *, prices: Mapping[str, ModelPrice] | None = None
) -> Repricing:
    """The inputs with every cost the price file covers recomputed from token counts.

    ``prices`` is the file's table when already read (:func:`read_reprice_table`).
    """
    if prices is None:
        prices = read_reprice_table(path)
    matched: dict[str, str] = {}
    kept: dict[str, str] = {}
    found: dict[str, ModelPrice] = {}
    m = inputs.matrix
    for j, e in enumerate(m.executors):
        model = inputs.executor_models.get(e, e)
        hit = _lookup(prices, [model, e])
        if hit is None:
            kept[e] = f"model {model!r} is not in the price file"
            continue
        tin, tout = m.tokens_in[:, j], m.tokens_out[:, j]
        if not (np.isfinite(tin).all() and np.isfinite(tout).all()):
            kept[e] = "the outcomes have no token counts for it"
            continue
        matched[e] = hit[0]
        found[e] = hit[1]
    train = _reprice_matrix(inputs.train, found)
    test = _reprice_matrix(inputs.test, found)
    matrix = _reprice_matrix(m, found)
    results, calls = _reprice_run(inputs.results, inputs.calls, prices, inputs.executor_models)
    new_inputs = replace(
        inputs, matrix=matrix, train=train, test=test, results=tuple(results), calls=tuple(calls)
    )
    return Repricing(source=Path(path), prices=found, matched=matched, kept=kept, inputs=new_inputs)


def _reprice_matrix(matrix: OutcomeMatrix, prices: Mapping[str, ModelPrice]) -> OutcomeMatrix:
    cost = matrix.cost_usd.copy()
    for j, e in enumerate(matrix.executors):
        p = prices.get(e)
        if p is not None:
            cost[:, j] = (
                matrix.tokens_in[:, j] * p.input_per_mtok
                + matrix.tokens_out[:, j] * p.output_per_mtok
            ) / 1e6
    return replace(matrix, cost_usd=cost)


def _reprice_run(
    results: Sequence[ResultRecord],
    calls: Sequence[CallRecord],
    prices: Mapping[str, ModelPrice],
    executor_models: Mapping[str, str],
) -> tuple[list[ResultRecord], list[CallRecord]]:
    """Calls re-priced by their model (then executor); results scaled to match their calls.

    A result's new cost is its recorded cost times (new / old cost of its calls); when its
    calls cost nothing before, it is the new cost of its calls.
    """
    new_calls: list[CallRecord] = []
    old_total: dict[tuple[str, str], float] = {}
    new_sum: dict[tuple[str, str], float] = {}
    for c in calls:
        k = (c.strategy, c.task_id)
        old_total[k] = old_total.get(k, 0.0) + c.cost_usd
        hit = _lookup(prices, [c.model, executor_models.get(c.executor, c.executor), c.executor])
        cost = c.cost_usd
        if hit is not None:
            cost = hit[1].cost(c.tokens_in, c.tokens_out, c.cache_read_tokens)
            c = c.model_copy(update={"cost_usd": cost})
        new_calls.append(c)
        new_sum[k] = new_sum.get(k, 0.0) + cost
    new_results = []
    for r in results:
        k = (r.strategy, r.task_id)
        if k not in new_sum:
            new_results.append(r)
            continue
        before, after = old_total[k], new_sum[k]
        cost = r.cost_usd * after / before if before > 0 else after
        if not math.isfinite(cost):
            cost = after
        new_results.append(r.model_copy(update={"cost_usd": cost}))
    return new_results, new_calls

"""Importers of other projects' published per-instance outcome files.

Each reshapes its files into the ``long`` layout (one row per prompt x model) and ends in
:func:`~toolkit.outcomes._importers.long_matrix`, so duplicates, missing cells, scales and
the cost axis are handled the same way for every format (docs/importing.md).

- ``routellm-mtbench``: RouteLLM's ``mt_bench/judgements.jsonl`` (FastChat single-answer
  judgments, 1-10 per turn), with ``--questions question.jsonl`` for the prompts.
- ``routerdc``: RouterDC's split JSON (``[{"question", "scores": {model: score}}]``), a file
  or a folder; the file name gives the category and the split (``gsm8k-train.json``).
- ``routerarena``: RouterArena's ``cached_results/<model>.jsonl`` (a file or the folder).
- ``alpacaeval``: AlpacaEval's ``annotations.json``; ``preference`` 1-2 becomes a score.
- ``zeroeval``: ZeroEval's ``result_dirs/<task>/<model>.json``, scored by a grader.
- ``arena-hard``: arena-hard-auto's ``model_judgment`` files, single-grade or pairwise,
  with ``--questions question.jsonl`` for the prompts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from toolkit._errors import InputError, located
from toolkit.outcomes import _zeroeval as zeroeval
from toolkit.outcomes._dedupe import resolve_duplicates
from toolkit.outcomes._importers import (
    StrArray,
    apply_columns,
    long_matrix,
    numbers,
    raise_problems,
    refuse,
    require,
    row_signature,
    stable_task_id,
    strings,
)
from toolkit.outcomes._matrix import OutcomeMatrix
from toolkit.outcomes._options import ImportOptions
from toolkit.outcomes._tables import Table, read_any, read_files, read_jsonl
from toolkit.registry import importer

FloatArray = npt.NDArray[np.float64]
JUDGE_SCALE = (1.0, 10.0)  # MT-Bench and arena-bench single grades
JUDGMENT_FIELDS = ("prompt_id", "model", "score", "turn")


def _with_scale(opts: ImportOptions, notes: list[str], what: str) -> ImportOptions:
    """1-10 judge grades map to [0, 1] with (s - 1) / 9 unless ``--score-scale`` says else."""
    if opts.score_scale is not None:
        return opts
    notes.append(
        f"{what} are 1-10 judge grades: mapped to [0, 1] as (s - 1) / 9 (--score-scale 1,10)"
    )
    from dataclasses import replace

    return replace(opts, score_scale=JUDGE_SCALE)


def _files_of(table: Table) -> list[Path]:
    """The file each row came from."""
    if table.origins is not None:
        return [o[0] for o in table.origins]
    return [table.path] * len(table.frame)


def one_executor_per_file(table: Table, fmt: str) -> None:
    """Where each file holds one executor, two files never become one executor: a name that
    two files give is an InputError naming both."""
    first: dict[str, Path] = {}
    for f, model in zip(_files_of(table), strings(table.frame["model"]), strict=True):
        seen = first.setdefault(model, f)
        if seen != f:
            raise InputError(
                located(
                    f,
                    None,
                    "model",
                    f"{model!r} is also the executor of {seen}: each {fmt} file holds one "
                    "executor, and two files would become one; import them apart, or rename one",
                )
            )


def same_executors_in_every_file(
    files: list[Path], models: list[str], fmt: str, where: Path
) -> None:
    """Where files split the tasks, each must list the same executors: an InputError naming
    each file and the executors it lacks or adds, otherwise."""
    by_file: dict[Path, set[str]] = {}
    for f, model in zip(files, models, strict=True):
        by_file.setdefault(f, set()).add(model)
    if len(by_file) < 2:
        return
    every = set().union(*by_file.values())
    problems = []
    for f, have in by_file.items():
        if have != every:
            lacks = sorted(every - have)
            problems.append(
                located(
                    f,
                    None,
                    "executors",
                    f"lacks {', '.join(lacks)}, which other {fmt} files in {where} list: every "
                    "file must list the same executors",
                )
            )
    raise_problems(problems)


def _routerdc_rule(categories: list[str], raw: bool) -> str:
    """The note naming the scoring rule used for each RouterDC category."""
    if raw:
        return f"RouterDC scores kept as they are (--raw-scores): {', '.join(categories)}"
    above = [c for c in categories if c in ROUTERDC_ABOVE_ZERO]
    kept = [c for c in categories if c not in ROUTERDC_ABOVE_ZERO]
    parts = []
    if above:
        parts.append(
            f"{', '.join(above)}: 1 when the value is above 0, else 0 (RouterDC's rule for the "
            "sets it scores as probabilities)"
        )
    if kept:
        parts.append(f"{', '.join(kept)}: each value as it is")
    return "RouterDC scores: " + "; ".join(parts) + " (--raw-scores keeps every value)"


def _hashed_ids(category: npt.NDArray[np.object_], text: npt.NDArray[np.object_]) -> list[str]:
    return [stable_task_id(c, t) for c, t in zip(category, text, strict=True)]


# ----- judgments: routellm-mtbench and arena-hard -----


def _questions(path: Path | None) -> dict[str, tuple[str, str]] | None:
    """question_id -> (first turn's text, category) from a FastChat/arena-hard question file."""
    if path is None:
        return None
    table = read_jsonl(path)
    require(table, ("question_id", "turns"), "question file")
    out: dict[str, tuple[str, str]] = {}
    frame = table.frame
    cats = strings(
        frame["cluster"]
        if "cluster" in frame.columns
        else frame.get("category", frame["question_id"].map(lambda _: ""))
    )
    for i, (qid, turns) in enumerate(
        zip(strings(frame["question_id"]), frame["turns"], strict=True)
    ):
        if not isinstance(turns, list) or not turns:
            raise InputError(table.where(i, "turns", "expected a non-empty list of turns"))
        first = turns[0]
        text = first.get("content", "") if isinstance(first, dict) else str(first)
        if qid in out:  # the later prompt would silently win
            j = int(np.flatnonzero(strings(frame["question_id"]) == qid)[0])
            raise InputError(
                table.where(i, "question_id", f"repeats {qid!r}, first at {table.at(j)}")
            )
        out[qid] = (str(text), cats[i])
    return out


_VERDICT = {  # arena-hard's label_to_score: the first-named model's share of wins (weight 3)
    "A>B": [1.0],
    "A>>B": [1.0] * 3,
    "A=B": [0.5],
    "A<<B": [0.0] * 3,
    "A<B": [0.0],
    "B>A": [0.0],
    "B>>A": [0.0] * 3,
    "B=A": [0.5],
    "B<<A": [1.0] * 3,
    "B<A": [1.0],
}


def _pairwise(table: Table, problems: list[str]) -> FloatArray:
    """arena-hard's two games per question against the baseline as the model's win share:
    game 1 puts the baseline as A, game 2 the model as A; a strong verdict counts 3 times."""
    out = np.full(len(table.frame), np.nan)
    for i, games in enumerate(table.frame["games"]):
        if not isinstance(games, list) or len(games) != 2:
            problems.append(table.where(i, "games", "expected a list of two games"))
            continue
        got = [g.get("score") if isinstance(g, dict) else None for g in games]
        if any(lb is None for lb in got):
            continue  # a null judgment: a missing cell
        labels = [str(lb) for lb in got]
        if any(lb not in _VERDICT for lb in labels):
            problems.append(table.where(i, "games", f"unknown verdict in {labels!r}"))
            continue
        wins = [1.0 - s for s in _VERDICT[labels[0]]] + _VERDICT[labels[1]]
        out[i] = float(np.mean(wins))
    return out


def _judgments(path: Path, opts: ImportOptions, fmt: str, what: str) -> OutcomeMatrix:
    """Judgment lines (question_id, model, score or games, turn) averaged over turns."""
    import pandas as pd

    table = read_files(path, kinds=("jsonl",), what=f"{fmt} judgments")
    apply_columns(table, opts.columns, {"prompt_id": "question_id", "model": "model"})
    notes: list[str] = []
    pairwise = "games" in table.frame.columns and "score" not in opts.columns
    if not pairwise:
        apply_columns(table, {}, {"score": "score"})
    require(table, ("prompt_id", "model", "games" if pairwise else "score"), fmt)
    if fmt == "arena-hard":  # model_judgment/<judge>/<model>.jsonl
        one_executor_per_file(table, fmt)
    problems: list[str] = []
    frame = table.frame
    turn = (
        strings(frame["turn"])
        if "turn" in frame.columns
        else np.full(len(frame), "1", dtype=object)
    )
    ids = strings(frame["prompt_id"])
    model = strings(frame["model"])
    dup = resolve_duplicates(
        table,
        ids,
        np.full(len(ids), "", dtype=object),
        row_signature(table),
        mode=opts.duplicates,
        has_ids=True,
        executors=np.array(
            [f"{m} (turn {t})" for m, t in zip(model, turn, strict=True)], dtype=object
        ),
    )
    raise_problems(dup.problems)
    if pairwise:
        score = _pairwise(table, problems)
        notes.append(
            "pairwise judgments: each score is the model's share of wins against the baseline over "
            "its two games, a strong verdict counting 3 times (as arena-hard-auto counts them)"
        )
    else:
        score = numbers(table, "score", problems)
        failed = score == -1
        if failed.any():
            score[failed] = np.nan
            notes.append(
                f"{int(failed.sum())} judgments with score -1 (the judge's grade could not be parsed) are missing cells"
            )
        opts = _with_scale(opts, notes, what)
    raise_problems(problems)
    keep = dup.keep
    rows = pd.DataFrame(
        {
            "prompt_id": dup.ids[keep],
            "model": model[keep],
            "score": score[keep],
            "row": np.flatnonzero(keep),
        }
    )
    grouped = rows.groupby(["prompt_id", "model"], sort=False).agg(
        score=("score", "mean"), row=("row", "first"), turns=("row", "size")
    )
    grouped = grouped.reset_index()
    turns = int(grouped["turns"].max()) if len(grouped) else 1
    if turns > 1:  # only when a question really has several judgements
        notes.append(
            f"each score is the mean over a question's {turns} turns, as RouteLLM scores MT-Bench"
        )
    questions = _questions(opts.questions)
    pid = strings(grouped["prompt_id"])
    if questions is None:
        text = np.full(len(pid), "", dtype=object)
        cat = np.full(len(pid), "", dtype=object)
        notes.append(
            "no --questions: the task text is empty (the judge prompt is not the user's prompt); "
            "pass --questions question.jsonl for the prompts and categories"
        )
    else:
        lost = sorted({q for q in pid if q.split("#")[0] not in questions})
        if lost:
            raise InputError(
                located(
                    opts.questions,
                    None,
                    "question_id",
                    f"{len(lost)} judged questions are not in the question file, e.g. {', '.join(lost[:3])}",
                )
            )
        text = np.array([questions[q.split("#")[0]][0] for q in pid], dtype=object)
        cat = np.array([questions[q.split("#")[0]][1] for q in pid], dtype=object)
        notes.append(f"prompts and categories from {opts.questions} (the first turn)")
    origins = [
        table.origins[r] if table.origins is not None else (table.path, table.line(r))
        for r in grouped["row"]
    ]
    long = Table(
        table.path,
        pd.DataFrame(
            {
                "prompt_id": pid,
                "prompt": text,
                "category": cat,
                "model": strings(grouped["model"]),
                "score": grouped["score"].to_numpy(),
            }
        ),
        "jsonl",
        origins=origins,
    )
    return long_matrix(long, replace_dups(opts), source=f"{fmt}:{path}", notes=[*dup.notes, *notes])


def replace_dups(opts: ImportOptions) -> ImportOptions:
    """Options for the reshaped table, whose duplicates were already resolved."""
    from dataclasses import replace

    return replace(opts, duplicates="error", columns={})


@importer("routellm-mtbench", fields=JUDGMENT_FIELDS)
def import_routellm_mtbench(path: Path, opts: ImportOptions) -> OutcomeMatrix:
    """RouteLLM's MT-Bench judgements.jsonl (with --questions question.jsonl)."""
    refuse(opts, "routellm-mtbench", pickle=True, questions=False, prices=True)
    return _judgments(path, opts, "routellm-mtbench", "MT-Bench scores")


@importer("arena-hard", fields=JUDGMENT_FIELDS)
def import_arena_hard(path: Path, opts: ImportOptions) -> OutcomeMatrix:
    """arena-hard-auto model_judgment files (with --questions question.jsonl)."""
    refuse(opts, "arena-hard", pickle=True, questions=False, prices=True)
    return _judgments(path, opts, "arena-hard", "arena-hard single grades")


# ----- routerdc -----

#: the sets RouterDC's evaluation scores as probabilities: a value above 0 counts as correct
ROUTERDC_ABOVE_ZERO = frozenset(
    {"arc_challenge", "arc_easy", "mmlu", "cmmlu", "ceval", "MATH_prealgebra"}
)
_SPLIT_SUFFIX = re.compile(r"^(?P<cat>.+?)[-_](?P<split>train|test|val|dev)$")


@importer("routerdc", fields=("prompt", "scores"))
def import_routerdc(path: Path, opts: ImportOptions) -> OutcomeMatrix:
    """RouterDC's split JSON files: [{"question", "scores": {model: score}}]."""
    import pandas as pd

    refuse(opts, "routerdc", pickle=True, prices=True)
    table = read_files(path, kinds=("json",), what="RouterDC split files")
    apply_columns(table, opts.columns, {"prompt": "question", "scores": "scores"})
    require(table, ("prompt", "scores"), "routerdc")
    files = _files_of(table)
    cats, splits = [], []
    for f in files:
        hit = _SPLIT_SUFFIX.match(f.stem)
        cats.append(hit.group("cat") if hit else f.stem)
        splits.append(hit.group("split") if hit else "")
    text = strings(table.frame["prompt"])
    records: list[dict[str, Any]] = []
    origins = []
    items: list[int] = []
    problems: list[str] = []
    for i, scores in enumerate(table.frame["scores"]):
        if not isinstance(scores, dict) or not scores:
            problems.append(table.where(i, "scores", "expected an object of model: score"))
            continue
        above_zero = cats[i] in ROUTERDC_ABOVE_ZERO and not opts.raw_scores
        for model, value in scores.items():
            if above_zero and isinstance(value, (int, float)) and not isinstance(value, bool):
                value = 1.0 if value > 0 else 0.0
            records.append(
                {
                    "prompt": text[i],
                    "category": cats[i],
                    "split": splits[i],
                    "model": str(model),
                    "score": value,
                }
            )
            origins.append(
                table.origins[i] if table.origins is not None else (table.path, table.line(i))
            )
            items.append(table.items[i] if table.items is not None else i + 1)
    raise_problems(problems)
    same_executors_in_every_file(
        [o[0] for o in origins], [r["model"] for r in records], "routerdc", path
    )
    frame = pd.DataFrame(records)
    frame.insert(
        0,
        "prompt_id",
        _hashed_ids(
            frame["category"].to_numpy(dtype=object), frame["prompt"].to_numpy(dtype=object)
        ),
    )
    notes = [
        "RouterDC files have no ids: a task id is a hash of category and question; the file name "
        "gives the category and the split (…-train.json, …_test.json)",
        _routerdc_rule(sorted(set(cats)), opts.raw_scores),
    ]
    return long_matrix(
        Table(table.path, frame, "json", origins=origins, items=items),
        opts,
        source=f"routerdc:{path}",
        notes=notes,
        has_ids=False,
    )


# ----- routerarena -----

ROUTERARENA = {
    "prompt_id": "global_index",
    "prompt": "question",
    "model": "llm_selected",
    "score": "evaluation_result.score",
    "cost_usd": "evaluation_result.inference_cost",
    "tokens_in": "token_usage.input_tokens",
    "tokens_out": "token_usage.output_tokens",
    "response": "generated_answer",
}


@importer("routerarena", fields=(*ROUTERARENA, "category"))
def import_routerarena(path: Path, opts: ImportOptions) -> OutcomeMatrix:
    """RouterArena's cached results: cached_results/<model>.jsonl, a file or the folder."""
    refuse(opts, "routerarena", pickle=True)
    table = read_files(path, kinds=("jsonl",), what="RouterArena cached results")
    apply_columns(table, opts.columns, ROUTERARENA)
    frame = table.frame
    if "model" not in frame.columns:
        frame["model"] = [f.stem for f in _files_of(table)]
    require(table, ("prompt_id", "prompt", "model", "score"), "routerarena")
    one_executor_per_file(table, "routerarena")
    if "category" not in frame.columns:
        frame["category"] = [str(g).rsplit("_", 1)[0] for g in strings(frame["prompt_id"])]
    notes = [
        "RouterArena costs are the recorded inference_cost; the category is the global_index "
        "before its last '_' (AIME_112 is AIME); routing costs are not in the data",
    ]
    return long_matrix(table, opts, source=f"routerarena:{path}", notes=notes)


# ----- alpacaeval -----

ALPACAEVAL = {
    "prompt": "instruction",
    "model": "generator_2",
    "score": "preference",
    "response": "output_2",
}
PREFERENCE_SLACK = 1e-6


@importer("alpacaeval", fields=(*ALPACAEVAL, "category", "prompt_id"))
def import_alpacaeval(path: Path, opts: ImportOptions) -> OutcomeMatrix:
    """AlpacaEval annotations.json (a file, or a folder holding them): preference 1-2."""
    refuse(opts, "alpacaeval", pickle=True, score_scale=True)
    if path.is_dir():
        files = sorted(path.rglob("annotations.json"))
        if not files:
            raise InputError(located(path, None, "folder", "holds no annotations.json"))
        from toolkit.outcomes._tables import concat

        tables = [read_any(f, kinds=("json",)) for f in files]
        table = tables[0] if len(tables) == 1 else concat(tables, path)
    else:
        table = read_any(path, kinds=("json", "jsonl"))
    category = next(
        (c for c in ("dataset", "dataset_1", "dataset_2") if c in table.frame.columns), None
    )
    apply_columns(
        table, opts.columns, {**ALPACAEVAL, **({"category": category} if category else {})}
    )
    require(table, ("prompt", "model", "score"), "alpacaeval")
    one_executor_per_file(table, "alpacaeval")
    frame = table.frame
    if "prompt_id" not in frame.columns:
        cats = (
            strings(frame["category"])
            if "category" in frame.columns
            else np.full(len(frame), "", dtype=object)
        )
        frame["prompt_id"] = _hashed_ids(cats, strings(frame["prompt"]))
    problems: list[str] = []
    pref = numbers(table, "score", problems)
    raise_problems(problems)
    score = pref - 1.0
    near = np.isfinite(score) & (
        ((score < 0) & (score >= -PREFERENCE_SLACK))
        | ((score > 1) & (score <= 1 + PREFERENCE_SLACK))
    )
    notes = [
        "AlpacaEval preference p (1: the reference output_1 is better, 2: output_2 is better) "
        "is generator_2's score p - 1, its win share against the reference generator_1; the "
        "reference is not an executor. price_per_example and time_per_example are the judge's, "
        "not the models' (cost and latency unknown)",
    ]
    if near.any():
        score = np.where(near, np.clip(score, 0.0, 1.0), score)
        notes.append(
            f"rounded {int(near.sum())} preferences within {PREFERENCE_SLACK:g} of [1, 2] to the bound (float noise of the weighted annotator)"
        )
    if "category" not in frame.columns:
        frame["category"] = ""
    return long_matrix(
        table, opts, source=f"alpacaeval:{path}", notes=notes, has_ids=False, scores=score
    )


# ----- zeroeval -----

ZEROEVAL = {
    "prompt_id": "id",
    "prompt": "question",
    "response": "output",
    "target": "answer",
    "category": "dataset",
}
DEFAULT_SCORER = {
    "gsm": "numeric",
    "math": "numeric",
    "math-l5": "numeric",
    "mmlu-redux": "choice",
    "mmlu-redux-2.0": "choice",
    "gpqa": "choice",
}
_JSON_BLOCK = re.compile(r"\{.*\}", re.DOTALL)
_ANSWER = re.compile(r'"answer"\s*:\s*"?([^"\n}]*)')


def zeroeval_answer(output: Any) -> str:
    """The answer ZeroEval asks for: the ``answer`` field of the output's JSON, else the text."""
    text = output[0] if isinstance(output, list) and output else output
    text = "" if text is None else str(text)
    block = _JSON_BLOCK.search(text)
    if block:
        try:
            obj = json.loads(block.group(0))
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and "answer" in obj:
            return str(obj["answer"])
    hit = _ANSWER.search(text)
    return hit.group(1).strip() if hit else text


@importer("zeroeval", fields=(*ZEROEVAL, "model"))
def import_zeroeval(path: Path, opts: ImportOptions) -> OutcomeMatrix:
    """ZeroEval result files (result_dirs/<task>/<model>.json), scored as ZeroEval scores
    them (or by a grader given with ``--scorer``)."""
    refuse(opts, "zeroeval", pickle=True, score_scale=True, scorer=False)
    # the folder's own files, as ZeroEval reads them: sampling/ and other modes are other runs
    table = read_files(path, kinds=("json",), what="ZeroEval result files", recursive=False)
    apply_columns(table, opts.columns, ZEROEVAL)
    if "model" not in opts.columns:
        # the file name, not 'generator': two runs of one generator are two executors
        table.frame["model"] = [f.stem for f in _files_of(table)]
    require(table, ("prompt_id", "prompt", "model", "response"), "zeroeval")
    frame = table.frame
    if "category" not in frame.columns:
        frame["category"] = ""
    cats = strings(frame["category"])
    outputs = [o[0] if isinstance(o, list) and o else o for o in frame["response"]]
    frame["response"] = outputs
    if opts.scorer is None and set(cats) <= set(zeroeval.RULES):
        score, notes = _zeroeval_scores(table, cats, [str(o or "") for o in outputs], opts)
    elif opts.summary is not None:
        raise InputError(
            located(
                "--summary",
                None,
                str(opts.summary),
                "compares ZeroEval's own scoring with its summary, so it applies without "
                f"--scorer and to the datasets ZeroEval scores ({', '.join(zeroeval.RULES)})",
            )
        )
    else:
        score, notes = _graded_scores(table, cats, outputs, opts)
    return long_matrix(table, opts, source=f"zeroeval:{path}", notes=notes, scores=score)


def _zeroeval_scores(
    table: Table, cats: StrArray, outputs: list[str], opts: ImportOptions
) -> tuple[FloatArray, list[str]]:
    """Every output scored by ZeroEval's own rule for its dataset (see ``_zeroeval``)."""
    frame = table.frame
    rules = [zeroeval.RULES[c] for c in cats]
    targets = np.full(len(frame), "", dtype=object)
    numeric = [i for i, r in enumerate(rules) if r == "numeric"]
    choice = [i for i, r in enumerate(rules) if r == "choice"]
    if numeric:
        require(table, ("target",), "zeroeval")
        targets[numeric] = strings(frame["target"])[numeric]
    if choice:
        require(table, ("choices", "correct_answer"), "zeroeval")
        problems: list[str] = []
        for i in choice:
            options, correct = frame["choices"].iat[i], frame["correct_answer"].iat[i]
            label = (
                zeroeval.choice_label(correct, list(options)) if isinstance(options, list) else None
            )
            if label is None:
                problems.append(
                    table.where(i, "correct_answer", f"{correct!r} is not one of the choices")
                )
            targets[i] = label or ""
        raise_problems(problems)
        frame["target"] = targets
    models = strings(frame["model"])
    scored = [
        zeroeval.score(r, str(m), o, str(t))
        for r, m, o, t in zip(rules, models, outputs, targets, strict=True)
    ]
    score = np.array([s for s, _ in scored], dtype=float)
    used = ", ".join(
        f"{rule} for {', '.join(sorted({c for c in cats if zeroeval.RULES[c] == rule}))}"
        for rule in sorted(set(rules))
    )
    notes = [
        f"ZeroEval files hold answers, not scores: scored {len(score)} answers by ZeroEval's own "
        f"rules ({used}); {int((score == 1).sum())} correct, "
        f"{sum(not found for _, found in scored)} with no answer found (scored 0 and counted, as "
        "ZeroEval counts them); --scorer GRADER regrades with a grader instead",
    ]
    if opts.summary is not None:
        notes.append(_summary_note(opts.summary, models, score))
    return score, notes


def _summary_note(path: Path, models: StrArray, score: FloatArray) -> str:
    """Each model's accuracy (in points) minus the ``Acc`` of ZeroEval's summary file."""
    summary = read_any(path, kinds=("json",))
    for name in ("Model", "Acc"):
        if not summary.has(name):
            raise InputError(
                located(
                    path,
                    None,
                    name,
                    "missing: --summary takes ZeroEval's summary (result_dirs/<task>.summary."
                    "json, rows with Model and Acc), not a result file",
                )
            )
    names = strings(summary.frame["Model"])
    modes = strings(summary.frame["Mode"]) if summary.has("Mode") else names.copy()
    published: dict[str, float] = {}
    for i, acc in enumerate(summary.frame["Acc"]):
        try:
            value = float(acc)
        except (TypeError, ValueError):
            value = float("nan")
        if not np.isfinite(value) or isinstance(acc, bool):
            raise InputError(summary.where(i, "Acc", f"{acc!r} is not an accuracy in points"))
        if names[i] not in published or modes[i] == "greedy":
            published[names[i]] = value
    parts, gaps, absent = [], [], []
    executors = list(dict.fromkeys(str(m) for m in models))
    for name in executors:
        theirs = published.get(name, published.get(zeroeval.summary_name(name)))
        if theirs is None:
            absent.append(name)
            continue
        # ZeroEval prints Acc to 2 decimals: compare like with like (and no "-0.00")
        gap = round(round(100.0 * float(score[models == name].mean()), 2) - theirs, 2) + 0.0
        parts.append(f"{name} {gap:+.2f}")
        gaps.append(abs(gap))
    found = {n for n in executors if n not in absent}
    seen = found | {zeroeval.summary_name(n) for n in found}
    unused = sorted(n for n in published if n not in seen)
    text = f"ZeroEval's summary {path.name}: our accuracy minus its Acc, in points: "
    text += ", ".join(parts) if parts else "no model in common"
    if gaps:
        text += f" (largest {max(gaps):.2f}, mean {sum(gaps) / len(gaps):.2f} over {len(gaps)})"
    if absent:
        text += f"; not in the summary: {', '.join(absent)}"
    if unused:
        text += f"; in the summary, not imported: {', '.join(unused)}"
    return text


def _graded_scores(
    table: Table, cats: StrArray, outputs: list[Any], opts: ImportOptions
) -> tuple[FloatArray, list[str]]:
    """Every answer scored by a registered grader: ``--scorer``, else the dataset's default."""
    import asyncio

    from toolkit.grading import grade_many
    from toolkit.tasks import GraderRef, Task

    require(table, ("target",), "zeroeval")
    frame = table.frame
    scorer = opts.scorer
    if scorer is None:
        found = {DEFAULT_SCORER.get(c) for c in set(cats)}
        if len(found) != 1 or None in found:
            raise InputError(
                located(
                    table.path,
                    None,
                    "--scorer",
                    f"no default scorer for dataset {', '.join(sorted(set(cats)))}; pass "
                    "--scorer GRADER (a registered grader: numeric, choice, exact, ...)",
                )
            )
        scorer = str(found.pop())
    answers = [zeroeval_answer(o) for o in outputs]
    targets = strings(frame["target"])
    tasks = [
        Task(
            id=str(i),
            input=str(q),
            category=str(c),
            target=t,
            grader=GraderRef(scorer),
            source=str(table.path),
            line=table.line(k) or 0,
        )
        for k, (i, q, c, t) in enumerate(
            zip(strings(frame["prompt_id"]), strings(frame["prompt"]), cats, targets, strict=True)
        )
    ]
    grades = asyncio.run(grade_many(zip(tasks, answers, strict=True)))
    score = np.array([g.score for g in grades], dtype=float)
    notes = [
        f"ZeroEval files hold answers, not scores: scored {len(grades)} answers with the {scorer} "
        "grader against 'answer' (the output's JSON 'answer' field where it parses, else the "
        f"whole output); {int((score == 1).sum())} correct",
    ]
    return score, notes

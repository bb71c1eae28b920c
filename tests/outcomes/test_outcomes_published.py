"""The published formats import as published (tests/data/outcomes/published, NOTICE there)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from toolkit._errors import InputError
from toolkit.cli import main
from toolkit.outcomes import OutcomeMatrix, import_outcomes
from toolkit.registry import BUILTINS

Cli = Callable[..., tuple[int, str, str]]
PUB = Path(__file__).resolve().parents[1] / "data" / "outcomes" / "published"
Q_MT = str(PUB / "mt_bench" / "question.jsonl")
Q_AH = str(PUB / "arena_hard" / "question.jsonl")

# (path, format, extra flags, tasks, executors, a phrase every note list must hold)
CASES = [
    ("routellm_mmlu", "routellm", [], 9, 2, "repeated prompts"),
    ("routerbench_zs_repeated_ids.csv", "routerbench", [], 4, 2, "merged 1 rows identical"),
    ("mt_bench/judgements.jsonl", "routellm-mtbench", ["--questions", Q_MT], 3, 2, "mean over"),
    (
        "routerdc",
        "routerdc",
        [
            "--cost-rank",
            "mistralai/Mistral-7B-v0.1,meta-math/MetaMath-Mistral-7B,meta-llama/Meta-Llama-3-8B",
        ],
        4,
        3,
        "file name gives",
    ),
    ("routerarena/cached_results", "routerarena", [], 3, 2, "inference_cost"),
    ("alpacaeval", "alpacaeval", [], 3, 2, "rounded 1 preferences"),
    ("zeroeval/gsm", "zeroeval", [], 3, 2, "ZeroEval's own rules (numeric for gsm)"),
    ("arena_hard/model_judgment/gpt-4_single", "arena-hard", ["--questions", Q_AH], 2, 2, "1-10"),
    (
        "arena_hard/model_judgment/gpt-4-1106-preview",
        "arena-hard",
        ["--questions", Q_AH],
        2,
        2,
        "pairwise",
    ),
    ("scores_only.json", "long", ["--clip-scores"], 4, 3, "clipped 1 of 12"),
]


@pytest.mark.parametrize(
    ("name", "fmt", "extra", "n", "m", "phrase"), CASES, ids=[c[1] + ":" + c[0] for c in CASES]
)
def test_each_published_file_imports_with_one_command(
    name: str, fmt: str, extra: list[str], n: int, m: int, phrase: str, cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "m.parquet"
    code, _, err = cli(
        "outcomes", "import", str(PUB / name), "--format", fmt, *extra, "--out", str(out)
    )
    assert code == 0, err
    assert phrase in err, err
    matrix = OutcomeMatrix.read(out)
    assert (matrix.n_tasks, matrix.n_executors) == (n, m)
    assert matrix.provenance["format"] == fmt
    assert all(len(s["sha256"]) == 64 for s in matrix.provenance["sources"])
    code, shown, _ = cli("outcomes", "show", str(out))
    assert code == 0 and "provenance: format " + fmt in shown and "sha256" in shown


def test_every_format_is_a_listed_builtin() -> None:
    for fmt in (
        "routellm-mtbench",
        "routerdc",
        "routerarena",
        "alpacaeval",
        "zeroeval",
        "arena-hard",
    ):
        assert fmt in BUILTINS["importer"]


def test_routellm_keeps_every_row_and_suffixes_only_repeated_prompts() -> None:
    m = import_outcomes(PUB / "routellm_mmlu", "routellm")
    ids = list(m.task_ids)
    assert len(ids) == len(set(ids)) == 9  # RouteLLM counts every row: 14,042 on MMLU
    assert sum("#" in t for t in ids) == 3
    first = import_outcomes(PUB / "routellm_mmlu", "routellm", duplicates="first")
    assert first.n_tasks == 6


def test_routerbench_repeated_ids_rules() -> None:
    m = import_outcomes(PUB / "routerbench_zs_repeated_ids.csv", "routerbench")
    assert list(m.task_ids) == ["mbpp.dev.1", "mbpp.dev.2", "mbpp.dev.2#5", "mbpp.dev.3"]
    assert any(n.startswith("warning: 1 repeated id and prompt") for n in m.notes)
    keep = import_outcomes(
        PUB / "routerbench_zs_repeated_ids.csv", "routerbench", duplicates="keep"
    )
    assert keep.n_tasks == 6


def test_mtbench_means_turns_and_scales() -> None:
    m = import_outcomes(PUB / "mt_bench/judgements.jsonl", "routellm-mtbench", questions=Q_MT)
    j = m.index("gpt-4-1106-preview")
    row = list(m.task_ids).index("81")
    assert m.score[row, j] == pytest.approx(((9 - 1) / 9 + (8 - 1) / 9) / 2)
    assert m.text[row] == "Write a haiku about routers."
    assert m.category[row] == "writing"
    no_q = import_outcomes(PUB / "mt_bench/judgements.jsonl", "routellm-mtbench")
    assert not no_q.has_text and any("--questions" in n for n in no_q.notes)


def test_arena_hard_pairwise_win_share() -> None:
    m = import_outcomes(
        PUB / "arena_hard/model_judgment/gpt-4-1106-preview", "arena-hard", questions=Q_AH
    )
    # claude-2.1 on the first question: game 1 B>A (model wins), game 2 A>B (model wins)
    assert m.score[0, m.index("claude-2.1")] == 1.0
    # second question: A>>B then B>>A, both against the model, each counted 3 times
    assert m.score[1, m.index("claude-2.1")] == 0.0
    assert m.score[0, m.index("gpt-3.5-turbo")] == 0.5
    assert m.text[1] == "Provide a proof of the Banach Fixed Point Theorem"


def test_routerdc_splits_from_file_names() -> None:
    m = import_outcomes(
        PUB / "routerdc",
        "routerdc",
        cost_axis="rank",
        cost_rank=(
            "mistralai/Mistral-7B-v0.1",
            "meta-math/MetaMath-Mistral-7B",
            "meta-llama/Meta-Llama-3-8B",
        ),
    )
    assert sorted(set(m.splits)) == ["test", "train"]
    assert set(m.category) == {"gsm8k"}
    assert m.axis == "rank"
    cost = m.axis_cost()
    assert cost is not None and list(cost[0]) == [1.0, 2.0, 3.0]


def test_routerdc_without_prices_asks_for_cost_rank() -> None:
    with pytest.raises(Exception, match="--cost-rank"):
        import_outcomes(PUB / "routerdc", "routerdc")


def test_routerarena_nested_fields_and_columns_to_two_fields() -> None:
    m = import_outcomes(PUB / "routerarena/cached_results", "routerarena")
    assert m.has_cost and np.all(m.tokens_in == 120)
    assert set(m.category) == {"AIME", "ArcMMLU"}
    both = import_outcomes(
        PUB / "routerarena/cached_results",
        "routerarena",
        columns="tokens_in=token_usage.total_tokens,tokens_out=token_usage.total_tokens",
    )
    assert np.all(both.tokens_in == 180) and np.all(both.tokens_out == 180)


def test_performance_only_file_rank_axis_and_stray_score_advice() -> None:
    with pytest.raises(Exception, match="--clip-scores fits"):
        import_outcomes(PUB / "scores_only.json", "long")
    m = import_outcomes(
        PUB / "scores_only.json",
        "long",
        clip_scores=True,
        cost_rank="gpt-3.5-turbo,gpt-4o-mini,gpt-4o",
    )
    assert m.axis == "rank" and m.cost_rank == ("gpt-3.5-turbo", "gpt-4o-mini", "gpt-4o")
    assert m.score.min() == 0.0
    nested = import_outcomes(
        PUB / "scores_only.json",
        "long",
        clip_scores=True,
        columns="score=meta.judge.score",
        cost_axis="rank",
        cost_rank="gpt-3.5-turbo,gpt-4o-mini,gpt-4o",
    )
    assert nested.axis == "rank"


def test_rank_defaults_to_litellm_price_order() -> None:
    m = import_outcomes(PUB / "scores_only.json", "long", clip_scores=True)
    assert m.cost_rank[-1] == "gpt-4o" and m.cost_rank[0] == "gpt-4o-mini"


def test_cost_axis_tokens_estimates_and_prices(tmp_path: Path) -> None:
    prices = tmp_path / "p.toml"
    prices.write_text(
        '[models."Qwen/Qwen2-0.5B-Instruct"]\ninput_per_mtok = 1.0\noutput_per_mtok = 2.0\n'
        '[models."Qwen/Qwen2-1.5B-Instruct"]\ninput_per_mtok = 2.0\noutput_per_mtok = 4.0\n'
    )
    m = import_outcomes(PUB / "alpacaeval", "alpacaeval", cost_axis="tokens", prices=prices)
    assert m.axis == "tokens" and m.has_cost and (m.tokens_out > 0).all()
    assert any("estimated tokens_in" in n for n in m.notes)


def test_drop_incomplete_executors_and_auto(tmp_path: Path) -> None:
    rows = ["prompt_id,prompt,category,model,score"]
    for i in range(40):
        rows += [f"q{i},t{i},c,a,1", f"q{i},t{i},c,b,0"]
        if i % 2:
            rows.append(f"q{i},t{i},c,partial,1")
    rows.append("q0,t0,c,c,1")  # c misses 39 of 40 cells
    f = tmp_path / "l.csv"
    f.write_text("\n".join(rows) + "\n")
    with pytest.raises(Exception, match="every task has missing cells"):
        import_outcomes(f, "long", drop_incomplete=True, cost_axis="strong-share")
    ex = import_outcomes(f, "long", drop_incomplete="executors", cost_axis="strong-share")
    assert ex.executors == ("a", "b") and ex.n_tasks == 40
    auto = import_outcomes(
        f, "long", drop_incomplete="auto", max_missing=0.6, cost_rank="a,b,partial"
    )
    assert auto.executors == ("a", "b", "partial") and auto.n_tasks == 20
    assert any("dropped 1 of 4 executors" in n for n in auto.notes)


def test_usage_error_prints_the_commands_usage(cli: Cli) -> None:
    code, _, err = cli("outcomes", "import", "x", "--format", "long", "--out", "y", "--bogus")
    assert code == 2 and "usage: toolkit outcomes import" in err
    code, _, err = cli("evaluate", "--no-such-flag")
    assert code == 2 and "usage: toolkit evaluate" in err


def test_strong_share_with_more_than_two_executors_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # it would cost every executor but the strongest at 0 (issue 26, 1.4)
    out = tmp_path / "m.parquet"
    argv = ["outcomes", "import", str(PUB / "scores_only.json"), "--format", "long"]
    code = main([*argv, "--clip-scores", "--cost-axis", "strong-share", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert "--cost-axis strong-share needs two executors" in err
    assert "--cost-axis rank" in err and "--cost-axis tokens" in err
    # an outcome file written before this rule: evaluate, tune and report refuse it
    ok = import_outcomes(
        PUB / "scores_only.json",
        "long",
        clip_scores=True,
        cost_rank="gpt-3.5-turbo,gpt-4o-mini,gpt-4o",
    )
    old = tmp_path / "old.parquet"
    replace(ok, cost_axis="strong_share", cost_rank=()).to_parquet(old)
    for command in (
        ["evaluate", str(old)],
        [
            "tune",
            "--train",
            str(old),
            "--test",
            str(old),
            "--strategy",
            "random",
            "--strong-share",
            "0.5",
        ],
        ["report", str(old), "--out", str(tmp_path / "r")],
    ):
        assert main(command) == 2, command
        err = capsys.readouterr().err
        assert f"{old}: cost_axis: strong_share needs two executors" in err, err
        assert "--cost-axis rank" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_missing_cells_and_the_cost_axis_are_reported_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a ZeroEval-like folder: a third model answered 2 of the 3 questions; no costs anywhere
    folder = tmp_path / "gsm"
    folder.mkdir()
    for f in (PUB / "zeroeval" / "gsm").iterdir():
        (folder / f.name).write_text(f.read_text("utf-8"), encoding="utf-8")
    rows = json.loads((folder / "Meta-Llama-3-8B-Instruct.json").read_text("utf-8"))
    third = [{**r, "generator": "acme/model-x"} for r in rows[:2]]
    (folder / "model-x.json").write_text(json.dumps(third), encoding="utf-8")
    out = tmp_path / "m.parquet"
    argv = ["outcomes", "import", str(folder), "--format", "zeroeval", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--drop-incomplete" in err and "--cost-rank" in err, err  # both, each with its flag
    assert "Traceback" not in err and not out.exists()
    # with both flags it imports
    rank = "model-x,Meta-Llama-3-8B-Instruct,Mixtral-8x7B-Instruct-v0.1"
    assert main([*argv, "--drop-incomplete", "--cost-rank", rank]) == 0, capsys.readouterr().err


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def test_zeroeval_executors_are_file_names_so_one_generator_gives_two(tmp_path: Path) -> None:
    folder = _copy(PUB / "zeroeval" / "gsm", tmp_path / "gsm")
    # two runs of one generator (as DeepSeek-Coder-V2-0724.json and deepseek-coder.json)
    rows = json.loads((folder / "Meta-Llama-3-8B-Instruct.json").read_text("utf-8"))
    (folder / "llama-rerun.json").write_text(json.dumps(rows), encoding="utf-8")
    rank = "Meta-Llama-3-8B-Instruct,llama-rerun,Mixtral-8x7B-Instruct-v0.1"
    m = import_outcomes(folder, "zeroeval", cost_rank=rank)
    assert m.executors == ("Meta-Llama-3-8B-Instruct", "Mixtral-8x7B-Instruct-v0.1", "llama-rerun")
    assert m.n_tasks == 3


def test_two_files_never_become_one_executor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(PUB / "routerarena" / "cached_results", tmp_path / "cached_results")
    first = sorted(folder.iterdir())[0]
    twin = folder / "zz-copy.jsonl"
    twin.write_bytes(first.read_bytes())  # the same llm_selected in a second file
    out = tmp_path / "m.parquet"
    code = main(["outcomes", "import", str(folder), "--format", "routerarena", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert f"{twin}: model:" in err and f"is also the executor of {first}" in err, err


def test_files_that_split_the_tasks_must_list_the_same_executors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(PUB / "routerdc", tmp_path / "routerdc")
    test_file = folder / "gsm8k-test.json"
    rows = json.loads(test_file.read_text("utf-8"))
    for r in rows:
        r["scores"].pop("meta-llama/Meta-Llama-3-8B")
    test_file.write_text(json.dumps(rows), encoding="utf-8")
    out = tmp_path / "m.parquet"
    code = main(["outcomes", "import", str(folder), "--format", "routerdc", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert f"{test_file}: executors: lacks meta-llama/Meta-Llama-3-8B" in err, err


def _routerbench_folder(folder: Path, names: tuple[str, str], drop: str = "") -> None:
    """Two RouterBench files (synthetic rows in the published layout) split by sample_id; the
    second without the columns of model ``drop``, when given."""
    lines = (PUB / "routerbench_zs_repeated_ids.csv").read_text("utf-8").splitlines()
    header, rows = lines[0], [r for r in lines[1:] if r]
    folder.mkdir()
    for k, name in enumerate(names):
        part = [header, *(r.replace("mbpp.dev.", f"mbpp.{name}.") for r in rows[k::2])]
        table = list(csv.reader(part))
        keep = [i for i, c in enumerate(table[0]) if not (drop and k == 1 and c.startswith(drop))]
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([[r[i] for i in keep] for r in table])
        (folder / f"{name}.csv").write_text(out.getvalue(), encoding="utf-8")


def test_a_routerbench_folder_imports_with_its_split(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "routerbench_zs"
    _routerbench_folder(folder, ("mbpp_train", "mbpp_test"))
    m = import_outcomes(folder, "routerbench")
    assert set(m.split_names()) == {"train", "test"}
    assert m.executors == ("gpt-3.5-turbo-1106", "mistralai/mistral-7b-chat")
    # only some names end in _train or _test: exit 2 naming them
    odd = tmp_path / "odd"
    _routerbench_folder(odd, ("mbpp_train", "mbpp_extra"))
    out = tmp_path / "m.parquet"
    argv = ["outcomes", "import", str(odd), "--format", "routerbench", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "split" in err and "mbpp_extra.csv" in err and not out.exists(), err
    # a file with other models: exit 2 naming the file and the model it lacks
    other = tmp_path / "other"
    _routerbench_folder(other, ("a_train", "b_test"), drop="mistralai/mistral-7b-chat")
    argv = ["outcomes", "import", str(other), "--format", "routerbench", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{other / 'b_test.csv'}: executors: lacks mistralai/mistral-7b-chat" in err, err


def test_routerdc_scores_on_routerdc_scale(tmp_path: Path) -> None:
    # synthetic MMLU rows in RouterDC's layout: values as its probability sets hold them
    folder = _copy(PUB / "routerdc", tmp_path / "routerdc")
    models = (
        "mistralai/Mistral-7B-v0.1",
        "meta-math/MetaMath-Mistral-7B",
        "meta-llama/Meta-Llama-3-8B",
    )
    mmlu = [
        {"question": "Q1 (A) x (B) y", "scores": dict(zip(models, (0.25, 0.0, 0.5), strict=True))},
        {"question": "Q2 (A) x (B) y", "scores": dict(zip(models, (0.0, 0.75, 1.0), strict=True))},
    ]
    (folder / "mmlu-test.json").write_text(json.dumps(mmlu), encoding="utf-8")
    rank = ",".join(models)
    m = import_outcomes(folder, "routerdc", cost_rank=rank)

    def cells(matrix: OutcomeMatrix, category: str) -> list[list[float]]:
        rows = matrix.category == category
        return sorted(matrix.score[rows].tolist())

    assert cells(m, "mmlu") == [[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]]  # above 0: 1, else 0
    gsm = cells(m, "gsm8k")
    assert 0.9 in [v for row in gsm for v in row]  # gsm8k keeps its values
    assert any("mmlu: 1 when the value is above 0" in n for n in m.notes), m.notes
    assert any("gsm8k: each value as it is" in n for n in m.notes), m.notes
    raw = import_outcomes(folder, "routerdc", cost_rank=rank, raw_scores=True)
    assert cells(raw, "mmlu") == [[0.0, 0.75, 1.0], [0.25, 0.0, 0.5]]
    assert any("--raw-scores" in n for n in raw.notes)
    with pytest.raises(InputError, match="--raw-scores"):
        import_outcomes(PUB / "scores_only.json", "long", raw_scores=True)


def test_notes_count_a_repeated_prompt_once_and_number_it_by_its_position(tmp_path: Path) -> None:
    folder = _copy(PUB / "routerdc", tmp_path / "routerdc")
    test_file = folder / "gsm8k-test.json"
    rows = json.loads(test_file.read_text("utf-8"))
    test_file.write_text(json.dumps([*rows, rows[0]]), encoding="utf-8")  # one line, item 3
    rank = "mistralai/Mistral-7B-v0.1,meta-math/MetaMath-Mistral-7B,meta-llama/Meta-Llama-3-8B"
    m = import_outcomes(folder, "routerdc", cost_rank=rank)
    note = next(n for n in m.notes if "repeated prompt" in n)
    assert note.startswith("1 repeated prompt (this source has no ids"), note
    assert note.count("#3") == 1 and "#1" not in note, note  # its position, listed once


def test_a_turns_note_only_where_a_question_has_several_turns(tmp_path: Path) -> None:
    # one judgement per question, but turn numbers that differ between questions
    src = PUB / "arena_hard" / "model_judgment" / "gpt-4_single" / "judgments.jsonl"
    rows = [json.loads(line) for line in src.read_text("utf-8").splitlines() if line.strip()]
    for k, r in enumerate(rows):
        r["turn"] = float(1 + k % 2)
    (tmp_path / "gpt-4_single").mkdir()
    f = tmp_path / "gpt-4_single" / "judgments.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    single = import_outcomes(f.parent, "arena-hard", questions=Q_AH)
    assert not any("mean over" in n for n in single.notes), single.notes
    mt = import_outcomes(PUB / "mt_bench" / "judgements.jsonl", "routellm-mtbench", questions=Q_MT)
    assert any("mean over a question's 2 turns" in n for n in mt.notes), mt.notes


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_a_byte_order_mark_and_unicode_line_separators_are_valid(
    tmp_path: Path, suffix: str
) -> None:
    # U+2028 and U+0085 inside a JSON string are text, not line breaks (issue 26, part 2)
    rows = [
        {"prompt_id": "q1", "prompt": "a\u2028b\u0085c", "category": "c", "model": m, "score": s}
        for m, s in (("x", 1), ("y", 0))
    ]
    body = (
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        if suffix == ".jsonl"
        else json.dumps(rows, ensure_ascii=False)
    )
    f = tmp_path / f"bom{suffix}"
    f.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    m = import_outcomes(f, "long")
    assert m.n_tasks == 1 and m.text[0] == "a\u2028b\u0085c"


# ----- ZeroEval graded as ZeroEval grades (issue 26, 1.8) -----


def _zeroeval_item(i: int, output: str, **fields: object) -> dict[str, object]:
    return {"id": f"t{i}", "question": f"q{i}", "output": [output], "dataset": "gsm", **fields}


def test_zeroeval_scores_by_its_own_extraction_rules(tmp_path: Path) -> None:
    # synthetic outputs, each exercising one of ZeroEval's gsm rules
    cases = [
        ('```json\n{"reasoning": "r", "answer": "$1,000"}\n```', "# 1000", 1.0),  # $ and , go
        ('{"answer": "3/4"}', "# 0.75", 1.0),  # a fraction becomes its value
        ('{"answer": 18} then {"answer": 5}', "# 18", 1.0),  # the first JSON object wins
        ('{"answer": "18 eggs", "reasoning": "broken \\q"}', "# 18", 1.0),  # by pattern
        ("answer: 42, done", "# 42", 1.0),  # an unquoted key and value
        ("no json here", "# 7", 0.0),  # no answer: 0, still counted
        ('{"answer": "__import__(\'os\')/2"}', "# 2", 1.0),  # never run: the first number, 2
        ('{"answer": "7.0"}', "# 7", 1.0),
        ('{"answer": "-3"}', "# 3", 0.0),
    ]
    rows = [_zeroeval_item(i, o, answer=t) for i, (o, t, _) in enumerate(cases)]
    folder = tmp_path / "gsm"
    folder.mkdir()
    for name in ("model-a", "Meta-Llama-3.1-8B-Instruct"):
        (folder / f"{name}.json").write_text(json.dumps(rows), encoding="utf-8")
    # the Llama-3.1 rule: a \\boxed{} answer in the last 30 characters counts for Llama-3.1 only
    boxed = _zeroeval_item(99, "so the total is $\\boxed{36}$", answer="# 36")
    for name, extra in (("model-a", boxed), ("Meta-Llama-3.1-8B-Instruct", boxed)):
        path = folder / f"{name}.json"
        path.write_text(json.dumps([*json.loads(path.read_text("utf-8")), extra]), "utf-8")
    m = import_outcomes(folder, "zeroeval", cost_rank="model-a,Meta-Llama-3.1-8B-Instruct")
    want = [c[2] for c in cases]
    got = {e: m.score[:, j].tolist() for j, e in enumerate(m.executors)}
    assert got["model-a"] == [*want, 0.0]
    assert got["Meta-Llama-3.1-8B-Instruct"] == [*want, 1.0]
    note = " ".join(m.provenance["notes"])
    assert "ZeroEval's own rules" in note and "no answer found" in note, note


def test_zeroeval_multiple_choice_uses_the_last_json_and_the_choice_letter(tmp_path: Path) -> None:
    choices = ["red", "green", "blue"]
    outputs = [
        ('{"answer": "A"} on reflection {"answer": "C"}', 1.0),  # the last object counts
        ('{"answer": "blue"}', 0.0),  # the letter, not the text
        ('"answer": "C"', 1.0),
    ]
    rows = [
        {
            "id": f"m{i}",
            "question": f"q{i}",
            "output": [o],
            "dataset": "mmlu-redux",
            "choices": choices,
            "correct_answer": "blue",
        }
        for i, (o, _) in enumerate(outputs)
    ]
    folder = tmp_path / "mmlu-redux"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.json").write_text(json.dumps(rows), encoding="utf-8")
    m = import_outcomes(folder, "zeroeval", cost_rank="a,b")
    assert m.score[:, 0].tolist() == [s for _, s in outputs]
    rows[1]["correct_answer"] = "purple"
    (folder / "a.json").write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(InputError, match=r"a\.json:1: correct_answer: 'purple' is not one of"):
        import_outcomes(folder, "zeroeval", cost_rank="a,b")


def test_zeroeval_summary_differences_are_noted_per_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "z.parquet"
    summary = PUB / "zeroeval" / "gsm.summary.json"
    argv = ["outcomes", "import", str(PUB / "zeroeval" / "gsm"), "--format", "zeroeval"]
    code = main([*argv, "--summary", str(summary), "--out", str(out)])
    text = capsys.readouterr().err
    assert code == 0, text
    # synthetic summary: Llama matches (66.67), Mixtral is 3.33 points above ours
    assert "Meta-Llama-3-8B-Instruct +0.00" in text and "Mixtral-8x7B-Instruct-v0.1 -3.33" in text
    assert "not imported: command-r" in text
    code = main([*argv, "--scorer", "numeric", "--summary", str(summary), "--out", str(out)])
    assert code == 2 and "--summary" in capsys.readouterr().err
    code = main(
        [
            "outcomes",
            "import",
            str(PUB / "alpacaeval"),
            "--format",
            "alpacaeval",
            "--summary",
            str(summary),
            "--out",
            str(out),
        ]
    )
    assert code == 2 and "--summary" in capsys.readouterr().err


def test_a_routerbench_folder_end_to_end_as_published(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SYNTHETIC rows in RouterDC's routerbench_zs layout: three sets' train and test files in
    one folder, one missing cell, and 2 test prompts that are also train prompts."""
    models = ("gpt-4-1106-preview", "meta/llama-2-70b-chat", "mistralai/mixtral-8x7b-chat")
    header = ["sample_id", "prompt", "eval_name", "oracle_model_to_route_to"]
    header += [f"{m}{suffix}" for m in models for suffix in ("", "|model_response", "|total_cost")]
    folder = tmp_path / "routerbench_zs"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for name in ("arc_challenge", "mbpp", "winograde"):
        for split, n in (("train", 30), ("test", 12)):
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(header)
            for i in range(n):
                prompt = f"{name} question {split} {i}"
                if name == "mbpp" and split == "test" and i < 2:
                    prompt = f"{name} question train {i + 5}"  # the same prompt on both sides
                cells = [f"{name}.{split}.{i}", prompt, name, models[0]]
                for m in models:
                    score = (
                        ""
                        if (name, split, i, m) == ("arc_challenge", "train", 3, models[2])
                        else str(int(rng.random() < 0.6))
                    )
                    cells += [score, f"answer of {m}", f"{rng.random() / 1000:.6f}"]
                writer.writerow(cells)
            (folder / f"{name}_{split}.csv").write_text(out.getvalue(), encoding="utf-8")
    out_file = tmp_path / "zs.parquet"
    imp = ["outcomes", "import", str(folder), "--format", "routerbench", "--out", str(out_file)]
    assert main(imp) == 2 and "--drop-incomplete" in capsys.readouterr().err
    assert main([*imp, "--drop-incomplete"]) == 0
    capsys.readouterr()
    m = OutcomeMatrix.read(out_file)
    assert (m.split("train").n_tasks, m.split("test").n_tasks) == (89, 36)
    assert m.executors == models
    assert main(["evaluate", str(out_file), "--json"]) == 2
    err = capsys.readouterr().err
    assert "2 identical prompt(s)" in err and "--dedupe-across-splits" in err, err
    assert (
        main(["evaluate", str(out_file), "--dedupe-across-splits", "--bootstrap", "20", "--json"])
        == 0
    )
    r = json.loads(capsys.readouterr().out)
    assert (r["n_train"], r["n_test"]) == (89, 34)

# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Routers on someone else's outcomes
#
# **The question:** given an outcome file in a public format (RouterBench, RouteLLM, or a long
# per-prompt × model table), which routers would have paid off on it?
#
# By default this reads `data/outcomes/lab_long.csv`: the lab's own recorded outcomes
# (`data/runs/lab/`) exported to the public `long` format, so the notebook runs offline on a
# fresh clone. It was written from the recorded run by
#
# ```
# python -c "from toolkit.outcomes import OutcomeMatrix; from toolkit.report import export_long_csv; export_long_csv(OutcomeMatrix.from_run('data/runs/lab'), 'data/outcomes/lab_long.csv', max_prompt_chars=1000)"
# ```
#
# (prompts longer than 1,000 characters, the long-context tasks, keep their head and their
# question with the middle dropped, to keep the file small; the routers' features see what is
# kept). Point `outcomes` and `fmt` at a real public file instead, e.g. RouteLLM's GSM8K
# responses or an Arena-Hard long export (see the parameter cell). Routers are fitted on the
# train split and scored on test; the numbers are those of `toolkit evaluate`.

# %% tags=["parameters"]
# Parameters: paths are relative to the repository root.
live = False  # no live part: an imported file is already recorded
outcomes = "data/outcomes/lab_long.csv"  # the lab's outcomes, exported to the `long` format
fmt = "long"  # routerbench | routellm | long
score_scale = None  # e.g. (1, 10) for 1-10 judge grades
prices = None  # a prices TOML (USD per million tokens) for rows without a cost
drop_incomplete = False  # drop tasks with a missing model outcome instead of failing
test_fraction = 0.3  # used when the file has no train/test split column
seed = 0
n_boot = 1000
# Real public data shipped in data/outcomes/public/ (excerpts; sources in data/NOTICE):
# RouteLLM's GSM8K responses (no cost in the data: the cost axis is the share of strong calls):
#   outcomes, fmt = "data/outcomes/public/routellm_gsm8k_responses_300.csv", "routellm"
# An Arena-Hard long export (judge grades 1-10; tokens priced with list prices):
#   outcomes, fmt, score_scale = "data/outcomes/public/arena_bench_v1_long_60.csv", "long", (1, 10)
#   prices, drop_incomplete = "data/prices/arena_bench_v1.toml", True

# %%
import pandas as pd

from toolkit.outcomes import import_outcomes
from toolkit.report import compare_strategies, repo_root

pd.set_option("display.width", 160)
pd.set_option("display.float_format", "{:.4g}".format)
ROOT = repo_root()  # the folder holding pyproject.toml, wherever the notebook runs from
matrix = import_outcomes(
    ROOT / outcomes,
    fmt,
    score_scale=score_scale,
    prices=None if prices is None else ROOT / prices,
    drop_incomplete=drop_incomplete,
)

# %%
# NBVAL_CHECK_OUTPUT
print(matrix.describe())

# %%
for note in matrix.notes:
    print("note:", note)

# %% [markdown]
# ## Every router on the test split
#
# Quality with its 95% CI, cost per task, and the paired p-value against the best single
# model on train (`single_best`). For imported data, routing costs (a router's own calls) are
# unknown, not zero.

# %%
cmp = compare_strategies(matrix, seed=seed, n_boot=n_boot, test_fraction=test_fraction)
print(f"split: {cmp.inputs.split_how}; cost axis: {cmp.analysis.cost_axis}")
cmp.table().drop(columns=["family", "how", "latency_p50_s", "latency_p95_s"])

# %%
cmp.frontier_plot()

# %% [markdown]
# ## Routing metrics
#
# For the strong/weak pair (`single_best` and the cheapest executor): APGR, the share of the
# quality gap recovered averaged over every share of strong calls (0.5 is random), and CPT,
# the share of strong calls needed to recover 50% and 80% of the gap. Then, for each tunable
# router, the cheapest setting chosen on train that matches `single_best`'s train quality,
# checked on test; and AIQ, the area under each family's cost–quality hull.

# %%
pd.DataFrame(cmp.evaluation["two_executor"]).set_index("strategy")

# %%
pd.DataFrame(cmp.evaluation["parity"]).set_index("strategy")

# %%
pd.Series(cmp.evaluation["aiq"], name="AIQ")

# %%
for note in cmp.evaluation.get("notes", []):
    print("note:", note)

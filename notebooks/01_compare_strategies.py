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
# # 01 · Single model or routed? The lab, compared
#
# **The question:** on the bundled lab (a few hundred labelled tasks in seven categories, real
# local executors: Gemma 3 270M on llama.cpp, a TF-IDF specialist, deterministic tools), does any
# routed strategy beat the single-Gemma baseline on test-split quality, and what does it cost?
#
# Everything here is computed offline from the recorded run in `data/runs/lab/`, in seconds:
# the outcome matrix (every executor on every task) scores the oracle, random routing, the
# learned score routers and the cascades (fitted on train, scored on test), and the run's
# live strategies (rules, classify-then-route) are read from their recorded traces, their own
# routing calls included. The numbers are those of `toolkit evaluate` and `toolkit report`.

# %% tags=["parameters"]
# Parameters: paths are relative to the repository root.
live = False  # True: first re-record the lab (benchmarks/record_lab.py; replays its cache)
run_dir = "data/runs/lab"  # the recorded run
baseline = "gemma"  # savings are measured against everything on this executor
seed = 0  # train/test resampling and bootstrap seed
n_boot = 1000  # bootstrap resamples for the 95% CIs

# %%
import subprocess
import sys

import pandas as pd

from toolkit.report import compare_strategies, repo_root

pd.set_option("display.width", 160)
pd.set_option("display.max_colwidth", 60)
pd.set_option("display.float_format", "{:.4g}".format)  # costs are fractions of a cent
ROOT = repo_root()  # the folder holding pyproject.toml, wherever the notebook runs from
if live:
    # The documented command that records the lab: cached calls replay, the rest run.
    record = [sys.executable, "benchmarks/record_lab.py", "--only", "lab"]
    subprocess.run(record, cwd=ROOT, check=True)
cmp = compare_strategies(ROOT / run_dir, seed=seed, n_boot=n_boot, baseline=baseline)

# %% [markdown]
# ## What was measured
#
# The outcome matrix: tasks × executors, with the train/test split of the task files.

# %%
# NBVAL_CHECK_OUTPUT
print(cmp.inputs.matrix.describe())
print(cmp.inputs.split_how)

# %%
# NBVAL_CHECK_OUTPUT
pd.Series(cmp.inputs.test.category).value_counts().sort_index().rename("test tasks")

# %%
print("local compute rate:", cmp.inputs.hourly_rate_text())
print("single_best (best train quality):", cmp.evaluation["single_best"]["name"])
print("baseline for savings:", cmp.analysis.baseline)

# %% [markdown]
# ## The table: every strategy on the test split
#
# Quality is the mean score with its 95% bootstrap interval; cost is per task (USD, local
# compute priced at the hourly rate above); the saving is against the baseline; the p-value is
# a paired t-test against `single_best`. Shown: each single executor, random, the oracle
# (hindsight upper bound), the live strategies, and of each tunable router the setting at
# parity (chosen on train) and those on the frontier (`cmp.table(all_settings=True)` has them
# all).

# %%
table = cmp.table()
table.drop(columns=["family", "cost_usd"])

# %%
# NBVAL_CHECK_OUTPUT
# The schema of the table, and every strategy family evaluated (offline and live).
print(list(table.columns))
print(sorted(set(cmp.table(all_settings=True)["family"])))

# %% [markdown]
# ## The cost–quality frontier
#
# Each dot is a strategy setting on the test split; black squares are the single executors,
# diamonds the live strategies, the star the oracle. The line is the frontier: the best
# quality reachable at each cost (oracle left out).

# %%
cmp.frontier_plot()

# %% [markdown]
# ## Per category
#
# Where does routing win? Quality and cost per task in each task category, for the strategies
# of the table.

# %%
cmp.by_category("quality")

# %%
cmp.by_category("cost_per_task")

# %% [markdown]
# ## Significance
#
# Is a strategy's quality really different from `single_best`'s? A two-sided paired t-test
# over the test tasks (the same tasks for both), at α = 0.05. With a few hundred test tasks,
# differences of a few points are within noise; read the CIs above with these.

# %%
sig = cmp.significance(alpha=0.05)
sig

# %%
better = sig[sig["verdict"] == "better"].index.tolist()
worse = sig[sig["verdict"] == "worse"].index.tolist()
print(f"significantly better than {sig.attrs['single_best']}: {better or 'none'}")
print(f"significantly worse: {worse or 'none'}")

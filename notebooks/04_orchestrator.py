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
# # 04 · Inside the orchestrated runs: plans, step timelines, per-step costs
#
# **The question:** when a planner splits a task into steps and cheap executors do them, what
# did the plans look like, where did the time go, and what did each step cost, compared with
# one model doing the whole task?
#
# The recorded run `data/runs/orchestrator/` (from `benchmarks/orchestrator.toml`) compares
# Gemma 3 270M alone, the template planner with every step on Gemma, and the same plans with
# the steps routed to tools and TF-IDF specialists, on 50 generated tasks that decompose
# (extract-then-compute, multi-part questions, classify-then-answer tickets). Everything below
# is read from the run's traces (`results.jsonl`) and calls (`calls.jsonl`).

# %% tags=["parameters"]
# Parameters: paths are relative to the repository root.
live = False  # True: first re-record the run (benchmarks/record_lab.py; replays its cache)
run_dir = "data/runs/orchestrator"  # the recorded run
task_id = None  # the task whose timeline is drawn; None: the first multi-part task

# %%
import subprocess
import sys

import pandas as pd
from IPython.display import display

from toolkit.analysis import summarize_live
from toolkit.report import (
    plan_text,
    plans_frame,
    repo_root,
    step_costs,
    steps_frame,
    timeline_plot,
)
from toolkit.runs import read_manifest, read_results

pd.set_option("display.width", 160)
pd.set_option("display.float_format", "{:.4g}".format)
ROOT = repo_root()  # the folder holding pyproject.toml, wherever the notebook runs from
RUN = ROOT / run_dir
if live:
    record = [sys.executable, "benchmarks/record_lab.py", "--only", "orchestrator"]
    subprocess.run(record, cwd=ROOT, check=True)
have_run = (RUN / "manifest.json").is_file()
if have_run:
    manifest = read_manifest(RUN)
    print(f"{run_dir}: status {manifest.status}, spec {manifest.name!r}")
else:
    print(
        f"{run_dir} is not recorded yet: record it with\n"
        "    python benchmarks/make_orchestrator_tasks.py\n"
        "    python benchmarks/record_lab.py --only orchestrator\n"
        "The cells below then show its plans, timelines and step costs; without it they "
        "show nothing."
    )

# %% [markdown]
# ## The strategies, side by side
#
# Quality, cost and latency per task over every task of the run. An orchestrated task's
# latency is its critical path (planner plus the longest chain of dependent steps, parallel
# steps overlapping); its cost is every call it made.

# %%
if have_run:
    summary = pd.DataFrame(summarize_live(RUN, split=None)["strategies"]).set_index("name")
    display(summary)

# %%
# NBVAL_CHECK_OUTPUT
# Tasks per strategy and category.
if have_run:
    results = pd.DataFrame([r.model_dump() for r in read_results(RUN)])
    print(results.groupby(["category", "strategy"]).size().unstack(fill_value=0).to_string())

# %% [markdown]
# ## The plans
#
# One row per orchestrated task: the planner, the steps in order, how many were done, failed
# or skipped, the critical path, and the measured wall time (which also counts waiting for the
# local server, which serves one request at a time).

# %%
if have_run:
    plans = plans_frame(RUN)
    display(plans.drop(columns=["split", "error"]).head(12))

# %%
# NBVAL_CHECK_OUTPUT
# Which template planned each category, and the shape of its plans.
if have_run:
    print(
        plans.groupby("category")[["template", "n_steps"]].agg(lambda s: sorted(set(s))).to_string()
    )

# %%
if have_run:
    routed = [r for r in read_results(RUN) if r.info.get("plan")]
    for category in sorted({r.category for r in routed}):
        r = next(r for r in routed if r.category == category)
        print(f"--- {category}: task {r.task_id} ({r.strategy})")
        print(plan_text(r.info["plan"]), end="\n\n")

# %% [markdown]
# ## Steps: who ran them, how they went
#
# Every step of every orchestrated task: its executor (and how it was chosen), its state, and
# whether its input was compressed to fit the model's context window.

# %%
if have_run:
    steps = steps_frame(RUN)
    display(
        steps.groupby(["strategy", "role", "executor", "routed_by"])
        .agg(steps=("step", "size"), done=("state", lambda s: int((s == "done").sum())))
        .reset_index()
    )

# %%
if have_run:
    print(steps.groupby(["strategy", "state"]).size().unstack(fill_value=0).to_string())
    print("compressed step inputs:", int(steps["compressed"].sum()))

# %% [markdown]
# ## Per-step cost
#
# From `calls.jsonl`: the cost of each step's calls (`plan` for an LLM planner, `(whole task)`
# for a single model). `cost_per_task` divides by every task the strategy ran, so a
# strategy's steps add up to its cost per task.

# %%
if have_run:
    display(step_costs(RUN))

# %%
if have_run:
    display(step_costs(RUN, by=("strategy", "executor")))

# %% [markdown]
# ## A step timeline
#
# One task, every strategy: each bar is a call, light for its wall time and dark for its
# service time. Independent steps start together; a dependent step waits for its inputs.

# %%
if have_run:
    multi = plans[plans["category"] == "multi_part"]
    chosen = task_id or (multi["task_id"].iloc[0] if len(multi) else plans["task_id"].iloc[0])
    display(timeline_plot(RUN, chosen))

# %%
if have_run:
    first = plans[plans["category"] == "extract_then_compute"]["task_id"]
    if len(first):
        display(timeline_plot(RUN, first.iloc[0]))

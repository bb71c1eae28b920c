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
# # 02 · Tuning a router's threshold
#
# **The question:** a two-executor router sends a task to the strong executor when its
# predicted advantage clears a threshold. Where should the threshold sit, and does the
# setting chosen on the train split hold on the test split?
#
# From the recorded lab run (`data/runs/lab/`), offline: the threshold sweep of each learned
# signal (and the random and hindsight-oracle rankings) on test; a slider that moves the
# operating point; calibration on train to a target share of strong calls or a budget per
# task, checked on test (the drift is shown, as RouteLLM users found the routed share moves on
# new traffic); and the chosen setting exported as a spec that runs it live.

# %% tags=["parameters"]
# Parameters: paths are relative to the repository root.
live = False  # True: first re-record the lab (benchmarks/record_lab.py; replays its cache)
run_dir = "data/runs/lab"  # the recorded run
signals = ["tfidf_logreg", "knn", "random"]  # learned signals to sweep (the first is tuned)
kind = "score_router"  # or "cascade": always call weak, escalate when it is predicted to fail
strong = None  # None: the best executor on train
weak = None  # None: the cheapest executor on train
target_share = 0.3  # calibrate to this share of tasks sent to the strong executor
budget_per_task = None  # USD; None: halfway between all-weak and all-strong on train
spec_out = "reports/notebook/tuned.toml"  # where the spec with the tuned strategy goes
seed = 0

# %%
import subprocess
import sys
import tomllib

import pandas as pd

from toolkit.analysis import tune
from toolkit.report import (
    ThresholdTuner,
    drift_frame,
    export_setting,
    load_inputs,
    repo_root,
    threshold_sweep,
)

pd.set_option("display.float_format", "{:.4g}".format)
ROOT = repo_root()  # the folder holding pyproject.toml, wherever the notebook runs from
if live:
    record = [sys.executable, "benchmarks/record_lab.py", "--only", "lab"]
    subprocess.run(record, cwd=ROOT, check=True)
inputs = load_inputs(ROOT / run_dir, seed=seed)
train, test = inputs.train, inputs.test
print(f"train: {train.n_tasks} tasks, test: {test.n_tasks} tasks; executors: {train.executors}")

# %% [markdown]
# ## The sweep
#
# Each signal is fitted on train; on test, routing the tasks whose score is at or above the
# threshold to the strong executor gives one point per distinct threshold. APGR is the area
# under the share-of-gap-recovered curve (0.5 is random; the oracle ranks by the true gain).

# %%
sweep = threshold_sweep(
    train, test, signals=signals, kind=kind, strong=strong, weak=weak, seed=seed
)
print(f"strong: {sweep.strong}, weak: {sweep.weak}")
sweep.plot()

# %%
pd.Series(sweep.apgr, name="APGR on test")

# %%
# NBVAL_CHECK_OUTPUT
# The sweep's schema and its curves.
print(list(sweep.frame.columns))
print(sorted(sweep.frame["signal"].unique()))

# %% [markdown]
# ## Move the operating point
#
# The slider walks the thresholds of the first signal's curve; the plot and the metrics
# follow. (In a static render the slider does nothing; `tuner.update(threshold)` is the same
# move as a plain call.)

# %%
tuner = ThresholdTuner(sweep.routers[signals[0]], test)
tuner.widget()

# %%
stops = tuner.thresholds
metrics = tuner.update(float(stops[len(stops) // 2]))  # what moving the slider to the middle does
pd.Series(metrics)

# %%
sweep.plot(point=(metrics["strong_share"], metrics["quality"]))

# %% [markdown]
# ## Calibrate on train, check on test
#
# `tune` chooses the threshold on out-of-fold train predictions, then reports the same
# threshold on test. The `drift` row is test − train.

# %%
strategy = f"{kind}:{signals[0]}"
pair = (sweep.strong, sweep.weak)
router, by_share = tune(train, test, strategy=strategy, pair=pair, strong_share=target_share)
print(f"target: {target_share:.0%} of tasks to {sweep.strong}; threshold {router.threshold_:.4g}")
drift_frame(by_share)

# %%
if budget_per_task is None:
    c_weak = float(train.cost_usd[:, train.index(sweep.weak)].mean())
    c_strong = float(train.cost_usd[:, train.index(sweep.strong)].mean())
    budget_per_task = (c_weak + c_strong) / 2
_, by_budget = tune(train, test, strategy=strategy, pair=pair, budget_per_task=budget_per_task)
print(f"budget: ${budget_per_task:.3g} per task on train; threshold {by_budget['threshold']:.4g}")
drift_frame(by_budget)

# %%
# NBVAL_CHECK_OUTPUT
print(drift_frame(by_share).index.tolist(), drift_frame(by_share).columns.tolist())

# %% [markdown]
# ## Export the chosen setting
#
# Write the calibrated setting as a spec that runs it live (the file `toolkit tune
# --write-spec` writes): the recorded run's own spec, its paths made relative to the new
# file's folder, with the tuned strategy added last. Its `fit_run` names the run whose train
# split the live router is fitted on; check it with `toolkit run reports/notebook/tuned.toml
# --dry-run`. To export the slider's position instead, pass the tuner:
# `export_setting(tuner, ...)`.

# %%
spec_text = export_setting(router, ROOT / spec_out, ROOT / run_dir)
tuned = tomllib.loads(spec_text)["strategies"][-1]
print(f"written to {spec_out}; the strategy it adds:\n")
print("\n".join(f"{k} = {v!r}" for k, v in tuned.items()))

# %%
# NBVAL_CHECK_OUTPUT
sorted(tuned)

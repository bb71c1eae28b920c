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
# # 03 · The cost report, previewed
#
# **The question:** what would a month of traffic cost on the baseline executor alone, and
# what would each routed strategy save, at *your* volume and *your* task mix?
#
# This builds the cost report of the recorded lab run (`data/runs/lab/`) — the same report
# `toolkit report data/runs/lab --out DIR` writes — previews its monthly projection with
# widgets for the volume and the mix, and writes it to `reports/notebook/cost_report/`
# (`report.html`, `report.md`, `summary.csv`, the figures). Every number is measured on the
# test split; the projection only scales the measured per-task cost of each category.

# %% tags=["parameters"]
# Parameters: paths are relative to the repository root.
live = False  # True: first re-record the lab (benchmarks/record_lab.py; replays its cache)
run_dir = "data/runs/lab"  # the recorded run (or an outcome file from `toolkit outcomes import`)
monthly_requests = 1_000_000  # the projection's volume
mix = None  # e.g. {"code": 40, "factual": 60}; None: the measured test mix
what_if_mix = {"code": 50, "long_context": 50}  # a second mix, shown with a plain update call
baseline = "gemma"  # "everything on this executor"; None: single_best
reprice = None  # a prices TOML (USD per million tokens) for the what-if section, or None
out = "reports/notebook/cost_report"  # where the report is written
seed = 0

# %%
import subprocess
import sys

import pandas as pd
from IPython.display import HTML

from toolkit.report import Png, build_cost_report, projection_frame, repo_root

pd.set_option("display.float_format", "{:.4g}".format)
ROOT = repo_root()  # the folder holding pyproject.toml, wherever the notebook runs from
if live:
    record = [sys.executable, "benchmarks/record_lab.py", "--only", "lab"]
    subprocess.run(record, cwd=ROOT, check=True)
report = build_cost_report(
    ROOT / run_dir,
    monthly_requests=monthly_requests,
    mix=mix,
    baseline=baseline,
    reprice_file=None if reprice is None else ROOT / reprice,
    seed=seed,
)
print(report.title)
print("local compute rate:", report.inputs.hourly_rate_text())
print("baseline:", report.analysis.baseline)

# %% [markdown]
# ## The monthly projection
#
# A month costs `N × Σ_category share × (measured cost per task in that category)`, for the
# baseline and for each strategy of the report's table; quality is what to expect at the mix.

# %%
preview = report.preview()
projection_frame(preview.update())  # the strategies of the report's table

# %%
# NBVAL_CHECK_OUTPUT
# The categories the mix is over (the measured test mix by default).
sorted(preview.projection.mix)

# %% [markdown]
# Change the volume and the shares (they are normalised to sum to 1); the table and the chart
# follow. In a static render the widgets do nothing; `preview.update(...)` is the same change
# as a plain call.

# %%
preview.widget()

# %%
preview.update(monthly_requests=250_000, mix=what_if_mix)
HTML(preview.table_html())

# %%
Png(preview.png())

# %% [markdown]
# ## Figures of the report

# %%
Png(report.figures()["frontier.png"])

# %%
Png(report.figures()["cost_by_executor_category.png"])

# %% [markdown]
# ## Write it
#
# The report is written atomically: built beside `out` and renamed into place, replacing a
# previous report there.

# %%
written = report.write(ROOT / out)
print(f"open {out}/report.html in a browser (it is self-contained)")

# %%
# NBVAL_CHECK_OUTPUT
sorted(p.name for p in written.iterdir())

"""Cost reports and notebook helpers: tables, figures, the monthly projection, the what-if
re-pricing, and ipywidgets for thresholds and projections.

>>> from toolkit.report import build_cost_report
>>> report = build_cost_report("data/runs/lab", monthly_requests=1_000_000)
>>> report.write("reports/lab")   # report.md, report.html, summary.csv, *.png

matplotlib and ipywidgets are imported only when a figure or a widget is made.
"""

from __future__ import annotations

from toolkit.report._build import (
    DEFAULT_MONTHLY_REQUESTS,
    Analysis,
    CostReport,
    StrategyRow,
    build_cost_report,
    build_report,
    write_files,
)
from toolkit.report._inputs import ReportInputs, load_inputs
from toolkit.report._mixcost import (
    MixCost,
    MixLine,
    dollars,
    mix_cost,
    mix_cost_table,
    parse_shares,
)
from toolkit.report._notebook import (
    Comparison,
    Png,
    ThresholdSweep,
    compare_strategies,
    drift_frame,
    export_long_csv,
    export_setting,
    plan_text,
    plans_frame,
    projection_frame,
    repo_root,
    step_costs,
    steps_frame,
    threshold_sweep,
    timeline_plot,
)
from toolkit.report._projection import Projection, ProjectionRow, parse_mix, project
from toolkit.report._render import CSP
from toolkit.report._reprice import Repricing, read_reprice_table, reprice
from toolkit.report._widgets import ReportPreview, ThresholdTuner

__all__ = [
    "CSP",
    "DEFAULT_MONTHLY_REQUESTS",
    "Analysis",
    "Comparison",
    "CostReport",
    "MixCost",
    "MixLine",
    "Png",
    "Projection",
    "ProjectionRow",
    "ReportInputs",
    "ReportPreview",
    "Repricing",
    "StrategyRow",
    "ThresholdSweep",
    "ThresholdTuner",
    "build_cost_report",
    "build_report",
    "compare_strategies",
    "dollars",
    "drift_frame",
    "export_long_csv",
    "export_setting",
    "load_inputs",
    "mix_cost",
    "mix_cost_table",
    "parse_mix",
    "parse_shares",
    "plan_text",
    "plans_frame",
    "project",
    "projection_frame",
    "read_reprice_table",
    "repo_root",
    "reprice",
    "step_costs",
    "steps_frame",
    "threshold_sweep",
    "timeline_plot",
    "write_files",
]

"""What the static report and the notebook helpers both draw: the cost-quality points of
every strategy setting, the frontier line, and settings as short text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolkit.report._build import Analysis, StrategyRow


def frontier_points(a: Analysis) -> list[dict[str, Any]]:
    """The cost-quality points of every strategy setting (the report's frontier figure)."""
    points = []
    for r in a.rows:
        cost, q = r.entry.get("cost_per_task"), r.entry.get("quality")
        if cost is None or q is None:
            continue
        kind = "live" if r.how == "live" else r.family.partition(":")[0]
        kind = kind if kind in ("single", "oracle", "live") else "offline"
        points.append(
            {
                "family": r.family,
                "label": r.name,
                "cost": float(cost),
                "quality": float(q),
                "kind": kind,
                "annotate": kind in ("single", "live", "oracle"),
            }
        )
    return points


def frontier_line(a: Analysis) -> list[tuple[float, float]]:
    """The frontier's (cost per test task, quality) points, for the figure's line."""
    n = int(a.evaluation["n_test"])
    return [
        (float(f["cost_usd"]) / n, float(f["quality"]))
        for f in a.evaluation.get("frontier", [])
        if f.get("cost_usd") is not None and f.get("quality") is not None
    ]


def params_text(params: Mapping[str, Any] | None) -> str:
    """Settings in a short form: ``threshold=0.123, strong_share=0.4``."""
    if not params:
        return ""
    parts = []
    for k, v in params.items():
        if isinstance(v, float):
            parts.append(f"{k}={v:.3g}")
        elif isinstance(v, list):
            parts.append(f"{k}={' → '.join(str(x) for x in v)}")
        else:
            parts.append(f"{k}={v}")
    return ", ".join(parts)


def labelled(rows: Sequence[StrategyRow]) -> list[dict[str, Any]]:
    """The rows' entries named by their labels (settings of one strategy share a name)."""
    return [{**r.entry, "name": r.label} for r in rows]

"""The report's figures, drawn with matplotlib's object API on the Agg canvas.

No ``pyplot``: the figures never touch the user's backend (a notebook keeps its own), and
they render without a display. Every function returns PNG bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FloatArray = npt.NDArray[np.float64]

DPI = 100
_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def label(text: str, limit: int = 40) -> str:
    """A figure label: shortened, with ``$`` escaped so matplotlib draws it as text."""
    s = " ".join(str(text).split())
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return s.replace("$", r"\$")


def new_figure(width: float, height: float) -> Figure:
    """A figure on the Agg canvas, independent of pyplot and of the user's backend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def to_png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def color(i: int) -> str:
    """The i-th colour of the report's palette."""
    return _PALETTE[i % len(_PALETTE)]


def money_axis(ax: Axes, axis: str, cost_axis: str) -> None:
    """Label a cost axis in dollars, or as the strong-call share when cost is unknown."""
    from toolkit.analysis import COST_UNITS

    text = {
        "strong_share": "share of calls to the strong executor",
        "rank": "cost per task (rank units: cheapest executor 1)",
    }.get(cost_axis, f"cost per task ({COST_UNITS.get(cost_axis, cost_axis)})")
    (ax.set_xlabel if axis == "x" else ax.set_ylabel)(text)


def frontier_png(
    points: Sequence[Mapping[str, Any]],
    frontier: Sequence[tuple[float, float]],
    *,
    cost_axis: str,
) -> bytes:
    """Cost-quality plane: every strategy setting and single executor, and the frontier.

    ``points`` hold ``family``, ``label``, ``cost`` (per task), ``quality``, ``kind``
    (``single``, ``offline``, ``oracle`` or ``live``) and ``annotate`` (bool).
    """
    fig = new_figure(9.0, 6.0)
    ax = fig.add_subplot(1, 1, 1)
    families = sorted({str(p["family"]) for p in points if p["kind"] == "offline"})
    for i, fam in enumerate(families):
        sel = [p for p in points if p["kind"] == "offline" and p["family"] == fam]
        ax.scatter(
            [p["cost"] for p in sel],
            [p["quality"] for p in sel],
            s=14,
            alpha=0.55,
            color=color(i + 2),
            label=label(fam),
        )
    styles = {
        "single": ("s", "#000000", "single executors"),
        "oracle": ("*", "#d4a000", "oracle (upper bound)"),
        "live": ("D", "#c2185b", "live strategies"),
    }
    for kind, (marker, col, name) in styles.items():
        sel = [p for p in points if p["kind"] == kind]
        if sel:
            ax.scatter(
                [p["cost"] for p in sel],
                [p["quality"] for p in sel],
                s=70 if kind != "oracle" else 160,
                marker=marker,
                color=col,
                label=name,
                zorder=5,
            )
    if frontier:
        fx, fy = zip(*sorted(frontier), strict=True)
        ax.plot(fx, fy, "-", color="#444444", lw=1.5, label="frontier", zorder=4)
    for p in points:
        if p.get("annotate"):
            ax.annotate(
                label(str(p["label"]), 28),
                (p["cost"], p["quality"]),
                textcoords="offset points",
                xytext=(5, 4),
                fontsize=8,
            )
    money_axis(ax, "x", cost_axis)
    _scale_costs(ax, [float(p["cost"]) for p in points])
    ax.set_ylabel("quality on the test split (mean score)")
    ax.set_title("Cost–quality frontier")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return to_png(fig)


def _scale_costs(ax: Axes, costs: Sequence[float]) -> None:
    """A log cost axis when costs span more than two orders of magnitude (symmetric-log, linear
    near 0, when some cost nothing), so cheap strategies are not crushed against 0."""
    positive = [c for c in costs if c > 0]
    if len(positive) < 2 or max(positive) / min(positive) <= 100:
        return
    if len(positive) == len(costs):
        ax.set_xscale("log")
    else:
        ax.set_xscale("symlog", linthresh=min(positive))
        ax.set_xlim(left=0)
    ax.set_xlabel(
        ax.get_xlabel()
        + (
            " (log scale)"
            if len(positive) == len(costs)
            else " (log scale above the cheapest nonzero cost)"
        )
    )


def grouped_bars_png(
    groups: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    ylabel: str,
) -> bytes:
    """Bars per group (x) for each series (colour); None draws no bar."""
    width = max(7.0, min(16.0, 1.2 + 0.35 * len(groups) * max(1, len(series))))
    fig = new_figure(width, 4.8)
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(groups))
    w = 0.8 / max(1, len(series))
    for k, (name, values) in enumerate(series):
        ys = [np.nan if v is None else v for v in values]
        ax.bar(x + (k - (len(series) - 1) / 2) * w, ys, w, label=label(name, 30), color=color(k))
    ax.set_xticks(x)
    ax.set_xticklabels([label(g, 24) for g in groups], rotation=30, ha="right")
    ax.set_ylabel(label(ylabel, 60))
    ax.set_title(label(title, 80))
    ax.grid(True, axis="y", alpha=0.3)
    if len(series) > 1:
        ax.legend(fontsize=8)
    return to_png(fig)


def stacked_bars_png(
    bars: Sequence[str],
    parts: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    title: str,
    xlabel: str,
) -> bytes:
    """Horizontal stacked bars: ``values[i][k]`` is part ``k`` of bar ``i``."""
    fig = new_figure(9.0, max(2.5, 0.45 * len(bars) + 1.5))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(bars))
    left = np.zeros(len(bars))
    for k, part in enumerate(parts):
        v = np.array([row[k] for row in values], dtype=np.float64)
        ax.barh(y, v, left=left, label=label(part, 30), color=color(k))
        left += v
    ax.set_yticks(y)
    ax.set_yticklabels([label(b, 36) for b in bars])
    ax.invert_yaxis()
    ax.set_xlabel(label(xlabel, 60))
    ax.set_title(label(title, 80))
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return to_png(fig)


def latency_png(
    series: Sequence[tuple[str, FloatArray]],
    ranges: Sequence[tuple[str, float, float]],
) -> bytes:
    """Per-task latency: box plots for ``series``; p50-p95 ranges for settings given only as
    percentiles (``ranges``: label, p50, p95)."""
    n = len(series) + len(ranges)
    fig = new_figure(9.0, max(3.0, 0.42 * n + 1.6))
    ax = fig.add_subplot(1, 1, 1)
    names = [s for s, _ in series] + [r[0] for r in ranges]
    if series:
        import matplotlib

        major, minor = (int(x) for x in matplotlib.__version__.split(".")[:2])
        # ``vert`` is deprecated from matplotlib 3.11; ``orientation`` exists from 3.10.
        horizontal: dict[str, Any] = (
            {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}
        )
        ax.boxplot(
            [np.asarray(v, dtype=np.float64) for _, v in series],
            positions=np.arange(len(series)),
            **horizontal,
            widths=0.6,
            showfliers=True,
            flierprops={"markersize": 3, "alpha": 0.5},
        )
    for k, (_, p50, p95) in enumerate(ranges):
        yk = len(series) + k
        ax.plot([p50, p95], [yk, yk], "-", color="#555555", lw=2)
        ax.plot([p50], [yk], "o", color=color(0))
        ax.plot([p95], [yk], "|", color=color(3), markersize=12)
    ax.set_yticks(np.arange(n))
    ax.set_yticklabels([label(s, 36) for s in names])
    ax.invert_yaxis()
    ax.set_xlabel("latency per task (s)")
    ax.set_title("Latency per task on the test split")
    ax.grid(True, axis="x", alpha=0.3)
    return to_png(fig)


def projection_png(
    names: Sequence[str], monthly: Sequence[float], baseline: str, volume: int
) -> bytes:
    """Projected monthly cost per strategy, the baseline highlighted."""
    fig = new_figure(9.0, max(2.5, 0.42 * len(names) + 1.5))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(names))
    cols = ["#444444" if n == baseline else color(0) for n in names]
    ax.barh(y, monthly, color=cols)
    ax.set_yticks(y)
    ax.set_yticklabels([label(n, 36) for n in names])
    ax.invert_yaxis()
    ax.set_xlabel(label(f"projected USD per month at {volume:,} requests", 70))
    ax.set_title("Monthly projection (baseline in dark grey)")
    ax.grid(True, axis="x", alpha=0.3)
    return to_png(fig)


def sweep_figure(
    c: FloatArray,
    q: FloatArray,
    point: tuple[float, float],
    *,
    title: str,
    q_strong: float,
    q_weak: float,
) -> Figure:
    """A threshold curve (strong share vs quality) with the current operating point marked."""
    fig = new_figure(6.5, 4.2)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(c, q, "-", color=color(0), lw=1.5, label="threshold curve")
    ax.axhline(q_strong, color=color(2), ls="--", lw=1, label="all strong")
    ax.axhline(q_weak, color=color(3), ls=":", lw=1, label="all weak")
    ax.plot([point[0]], [point[1]], "o", color="#d62728", markersize=9, label="operating point")
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("share of tasks sent to the strong executor")
    ax.set_ylabel("quality (mean score)")
    ax.set_title(label(title, 80))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return fig

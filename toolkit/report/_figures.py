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

from toolkit._format import usd

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


def wrap_label(text: str, width: int = 34) -> str:
    """A full axis label, wrapped onto lines of at most ``width`` characters."""
    import textwrap

    lines = textwrap.wrap(" ".join(str(text).split()), width, break_on_hyphens=False)
    return "\n".join(lines or [""]).replace("$", r"\$")


def dollars(v: float) -> str:
    """A bar's dollar figure (``$0`` for nothing), ``$`` escaped for matplotlib."""
    return usd(v).replace("$", r"\$")


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
    money_axis(ax, "x", cost_axis)
    _scale_costs(ax, [float(p["cost"]) for p in points])
    ax.set_ylabel("quality on the test split (mean score)")
    ax.set_title("Cost–quality frontier")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    named = [p for p in points if p.get("annotate")]
    _number_points(ax, [(float(p["cost"]), float(p["quality"])) for p in named])
    if named:
        key = "\n".join(f"{i:>2}  {label(str(p['label']), 60)}" for i, p in enumerate(named, 1))
        fig.text(0.01, -0.01, key, fontsize=8, va="top", ha="left", family="monospace")
    return to_png(fig)


# Offsets (points) tried in turn for a point's number: rings of 8 directions, nearest first.
_OFFSETS = tuple(
    (round(r * np.cos(a), 1), round(r * np.sin(a), 1))
    for r in (9, 18, 27, 36, 45)
    for a in np.linspace(np.pi / 4, 2 * np.pi + np.pi / 4, 8, endpoint=False)
)


def _number_points(ax: Axes, xy: Sequence[tuple[float, float]]) -> None:
    """Write 1, 2, ... beside the points, each at the nearest offset of ``_OFFSETS`` where it
    stays inside the axes and overlaps no number already written (a thin leader line joins a
    far number to its point). Boxes are worked out in display units, 8-point bold digits."""
    from matplotlib.transforms import Bbox

    fig = ax.get_figure()
    assert fig is not None
    ax.get_xlim(), ax.get_ylim()  # settle autoscaling before reading the transform
    frame = ax.get_window_extent()
    scale = fig.dpi / 72.0
    taken: list[Bbox] = []
    for i, (x, y) in enumerate(xy, 1):
        px, py = ax.transData.transform((x, y))
        half_w, half_h = (2.6 * len(str(i)) + 1.5) * scale, 6.0 * scale
        chosen, box = _OFFSETS[0], None
        for dx, dy in _OFFSETS:
            cx, cy = px + dx * scale, py + dy * scale
            cand = Bbox.from_extents(cx - half_w, cy - half_h, cx + half_w, cy + half_h)
            inside = frame.x0 <= cand.x0 and cand.x1 <= frame.x1 and frame.y0 <= cand.y0
            if inside and cand.y1 <= frame.y1 and not any(cand.overlaps(t) for t in taken):
                chosen, box = (dx, dy), cand
                break
        if box is None:  # nowhere free: the nearest place, on top of another number
            box = Bbox.from_extents(px - half_w, py - half_h, px + half_w, py + half_h)
        taken.append(box)
        far = chosen not in _OFFSETS[:8]
        ax.annotate(
            str(i),
            (x, y),
            textcoords="offset points",
            xytext=chosen,
            ha="center",
            va="center",
            fontsize=8,
            fontweight="bold",
            zorder=6,
            arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "#777777"} if far else None,
        )


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
    return to_png(stacked_bars_figure(bars, parts, values, title=title, xlabel=xlabel))


def stacked_bars_figure(
    bars: Sequence[str],
    parts: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    title: str,
    xlabel: str,
) -> Figure:
    """:func:`stacked_bars_png`'s figure. The legend names each part that costs something,
    with its share of the total; parts that cost nothing are named under the plot."""
    fig = new_figure(9.0, max(2.5, 0.45 * len(bars) + 1.5))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(bars))
    left = np.zeros(len(bars))
    total = np.asarray(values, dtype=np.float64).reshape(len(bars), len(parts)).sum(axis=0)
    for k, part in enumerate(parts):
        if total[k] <= 0:
            continue
        v = np.array([row[k] for row in values], dtype=np.float64)
        share = total[k] / total.sum()
        ax.barh(y, v, left=left, label=f"{label(part, 30)} ({share:.0%})", color=color(k))
        left += v
    ax.set_yticks(y)
    ax.set_yticklabels([wrap_label(b) for b in bars])
    ax.invert_yaxis()
    ax.set_xlabel(label(xlabel, 60))
    ax.set_title(label(title, 80))
    ax.grid(True, axis="x", alpha=0.3)
    if total.sum() > 0:
        ax.legend(fontsize=8, loc="lower right", title="share of the cost", title_fontsize=8)
    free = [label(p, 30) for p, t in zip(parts, total, strict=True) if t <= 0]
    if free:
        ax.set_xlabel(ax.get_xlabel() + "\n" + wrap_label("cost nothing: " + ", ".join(free), 110))
    return fig


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
    ax.set_yticklabels([wrap_label(s, 40) for s in names], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("latency per task (s)")
    ax.set_title("Latency per task on the test split")
    ax.grid(True, axis="x", alpha=0.3)
    return to_png(fig)


def projection_png(
    names: Sequence[str], monthly: Sequence[float], baseline: str, volume: int
) -> bytes:
    """Projected monthly cost per strategy, the baseline highlighted."""
    return to_png(projection_figure(names, monthly, baseline, volume))


def projection_figure(
    names: Sequence[str], monthly: Sequence[float], baseline: str, volume: int
) -> Figure:
    """:func:`projection_png`'s figure: every name in full (wrapped), each bar's dollars at
    its end, ``$0`` included."""
    fig = new_figure(9.0, max(2.5, 0.5 * len(names) + 1.5))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(names))
    cols = ["#444444" if n == baseline else color(0) for n in names]
    bars = ax.barh(y, monthly, color=cols)
    ax.bar_label(bars, labels=[dollars(v) for v in monthly], padding=3, fontsize=8)
    ax.set_xlim(0, max([*monthly, 0.0]) * 1.2 or 1.0)
    ax.set_yticks(y)
    ax.set_yticklabels([wrap_label(n) for n in names])
    ax.invert_yaxis()
    ax.set_xlabel(label(f"projected USD per month at {volume:,} requests", 70))
    ax.set_title("Monthly projection (baseline in dark grey)")
    ax.grid(True, axis="x", alpha=0.3)
    return fig


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

"""Notebook helpers: a threshold slider for a two-executor router, and a preview of the
monthly projection with volume and mix widgets.

ipywidgets is imported only by ``widget()``: the update methods are plain functions that work
without a display (and are unit-tested directly, since nbval cannot move a slider).
"""

from __future__ import annotations

import copy
import html
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from toolkit._errors import InputError, MissingDependency

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from toolkit.analysis import ThresholdCurve
    from toolkit.outcomes import OutcomeMatrix
    from toolkit.report._build import CostReport
    from toolkit.report._projection import Projection

FloatArray = npt.NDArray[np.float64]


def _ipywidgets() -> Any:
    try:
        import ipywidgets
    except ImportError:
        raise MissingDependency(
            "the notebook widgets need ipywidgets: pip install 'toolkit[dev]' (or ipywidgets)"
        ) from None
    return ipywidgets


class ThresholdTuner:
    """Move the threshold of a fitted two-executor router and watch quality and cost move.

    ``router`` is a fitted :class:`toolkit.analysis.ThresholdRouter` (or anything with its
    ``routing_score``, ``evaluate``, ``strong_`` and ``weak_``); ``data`` is the outcome
    matrix the operating point is shown on (usually the test split). The curve is the
    router's threshold curve on ``data`` (``toolkit.analysis.threshold_curve``).

    >>> tuner = ThresholdTuner(router, test)
    >>> tuner.update(0.1)["strong_share"]
    >>> tuner.widget()   # in a notebook: a slider, the plot and the metrics
    """

    def __init__(self, router: Any, data: OutcomeMatrix) -> None:
        from toolkit.analysis import threshold_curve

        self.router = router
        self.data = data.select_executors(list(router.executors_))
        self.scores: FloatArray = np.asarray(router.routing_score(self.data), dtype=np.float64)
        s, w = self.data.index(router.strong_), self.data.index(router.weak_)
        self.curve: ThresholdCurve = threshold_curve(
            self.data.score[:, s], self.data.score[:, w], self.scores
        )
        self.threshold: float = float(router.threshold_)
        self.metrics: dict[str, float | None] = {}
        self._figure: Figure | None = None
        self._image: Any = None
        self._table: Any = None
        self._slider: Any = None
        self._syncing = False

    @classmethod
    def from_outcomes(
        cls,
        train: OutcomeMatrix,
        test: OutcomeMatrix,
        *,
        signal: str = "tfidf_logreg",
        strong: str | None = None,
        weak: str | None = None,
        strong_share: float = 0.5,
        kind: str = "score_router",
        seed: int = 0,
    ) -> ThresholdTuner:
        """Fit a ``ThresholdRouter`` on ``train`` (starting at ``strong_share`` of strong
        calls) and tune it over ``test``."""
        from toolkit.analysis import ThresholdRouter

        router = ThresholdRouter(
            signal=signal,
            strong=strong,
            weak=weak,
            strong_share=strong_share,
            kind="cascade" if kind == "cascade" else "score_router",
            seed=seed,
        ).fit(train)
        return cls(router, test)

    @property
    def thresholds(self) -> FloatArray:
        """The distinct finite thresholds of the curve, ascending (the slider's stops)."""
        t = self.curve.thresholds[np.isfinite(self.curve.thresholds)]
        return np.unique(np.append(t, float(np.nextafter(self.scores.max(), np.inf))))

    def update(self, threshold: float) -> dict[str, float | None]:
        """Move the operating point to ``threshold``; returns the metrics there and redraws.

        Metrics (on ``data``): ``threshold``, ``strong_share``, ``quality``, ``cost_usd``,
        ``cost_per_task`` (from the router's own ``evaluate``) and ``pgr`` (the share of the
        weak-to-strong quality gap recovered; None when the strong executor is not better).
        """
        if not np.isfinite(threshold):
            raise InputError(f"threshold must be a finite number, got {threshold}")
        at = copy.copy(self.router)
        at.threshold_ = float(threshold)
        result: dict[str, float | None] = {"threshold": float(threshold)}
        result.update(at.evaluate(self.data))
        gap = self.curve.q_strong - self.curve.q_weak
        q = result.get("quality")
        result["pgr"] = None if q is None or not gap > 0 else (q - self.curve.q_weak) / gap
        self.threshold = float(threshold)
        self.metrics = result
        self._redraw()
        self._sync_slider()
        return result

    def _sync_slider(self) -> None:
        """Show the operating point on the slider (its nearest stop), without moving it."""
        if self._slider is None:
            return
        stops = np.asarray([v for _, v in self._slider.options])
        nearest = float(stops[int(np.argmin(np.abs(stops - self.threshold)))])
        if self._slider.value != nearest:
            self._syncing = True
            try:
                self._slider.value = nearest
            finally:
                self._syncing = False

    def figure(self) -> Figure:
        """The threshold curve with the current operating point (a new Figure each call)."""
        from toolkit.report._figures import sweep_figure

        m = self.metrics or self.update(self.threshold)
        share = float(m.get("strong_share") or 0.0)
        q = float(m.get("quality") or 0.0)
        return sweep_figure(
            self.curve.c,
            self.curve.q,
            (share, q),
            title=f"{self.router.strong_} vs {self.router.weak_}: threshold {self.threshold:.4g}",
            q_strong=self.curve.q_strong,
            q_weak=self.curve.q_weak,
        )

    def png(self) -> bytes:
        """The current figure as PNG bytes."""
        from toolkit.report._figures import to_png

        return to_png(self.figure())

    def metrics_html(self) -> str:
        """The current metrics as an escaped HTML table."""
        rows = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(_fmt(v))}</td></tr>"
            for k, v in (self.metrics or {}).items()
        )
        return f"<table>{rows}</table>"

    def _redraw(self) -> None:
        if self._image is not None:
            self._image.value = self.png()
        if self._table is not None:
            self._table.value = self.metrics_html()

    def widget(self) -> Any:
        """A slider over the curve's thresholds, the plot and the metrics (ipywidgets)."""
        w = _ipywidgets()
        stops = self.thresholds
        start = int(np.argmin(np.abs(stops - self.threshold)))
        # highest threshold first: moving the slider right sends more tasks to strong
        self._slider = w.SelectionSlider(
            options=[(f"{t:.4g}", float(t)) for t in stops[::-1]],
            value=float(stops[start]),
            description="threshold",
            continuous_update=False,
            layout=w.Layout(width="90%"),
        )
        self._image = w.Image(format="png")
        self._table = w.HTML()
        self.update(float(stops[start]))

        def on_change(change: Mapping[str, Any]) -> None:
            if not self._syncing:  # a move by the user, not update() showing its point
                self.update(float(change["new"]))

        self._slider.observe(on_change, names="value")
        return w.VBox([self._slider, w.HBox([self._image, self._table])])


class ReportPreview:
    """The monthly projection of a built report, recomputed for another volume or mix.

    >>> preview = ReportPreview(report)
    >>> preview.update(monthly_requests=500_000, mix={"math": 0.5, "code": 0.5})
    >>> preview.widget()   # in a notebook: a volume box and a share slider per category
    """

    def __init__(self, report: CostReport) -> None:
        if report.analysis.projection is None:
            raise InputError(
                "this report has no monthly projection (the outcomes carry no dollar cost)"
            )
        self.report = report
        self.projection: Projection = report.analysis.projection
        self._out: Any = None
        self._image: Any = None
        self._volume: Any = None
        self._sliders: dict[str, Any] = {}
        self._syncing = False

    @property
    def categories(self) -> list[str]:
        """The measured categories, which the mix is over."""
        return list(self.report.analysis.projection.mix)  # type: ignore[union-attr]

    def update(
        self, *, monthly_requests: int | None = None, mix: Mapping[str, float] | None = None
    ) -> Projection:
        """Recompute the projection; returns it, redraws, and sets the widgets' volume box and
        share sliders to it. Shares are normalised to sum to 1."""
        from toolkit.report._points import labelled
        from toolkit.report._projection import project

        a = self.report.analysis
        shown = labelled(a.shown())
        self.projection = project(
            shown,
            baseline=a.baseline,
            monthly_requests=self.projection.monthly_requests
            if monthly_requests is None
            else int(monthly_requests),
            mix=dict(self.projection.mix) if mix is None else mix,
        )
        self._show_inputs()
        self._redraw()
        return self.projection

    def _show_inputs(self) -> None:
        """Set the volume box and the sliders to the projection's (they observe no change)."""
        self._syncing = True
        try:
            if self._volume is not None:
                self._volume.value = self.projection.monthly_requests
            for c, s in self._sliders.items():
                s.value = float(self.projection.mix.get(c, 0.0))
        finally:
            self._syncing = False

    def table_html(self) -> str:
        """The projection as an escaped HTML table."""
        from toolkit._format import usd
        from toolkit.report._render import Table, to_html_fragment
        from toolkit.report._sections import num, pct

        p = self.projection
        rows = tuple(
            (r.strategy, usd(r.monthly_usd), usd(r.saving_usd), pct(r.saving_pct), num(r.quality))
            for r in p.rows
        )
        return to_html_fragment(
            Table(
                ("strategy", "USD per month", "saved", "% saved", "quality at this mix"),
                rows,
                caption=f"{p.monthly_requests:,} requests a month; baseline {p.baseline}",
                numeric=(False, True, True, True, True),
            )
        )

    def png(self) -> bytes:
        """The projection bar chart as PNG bytes."""
        from toolkit.report._figures import projection_png

        rows = [r for r in self.projection.rows if r.monthly_usd is not None]
        return projection_png(
            [r.strategy for r in rows],
            [float(r.monthly_usd) for r in rows if r.monthly_usd is not None],
            self.projection.baseline,
            self.projection.monthly_requests,
        )

    def _redraw(self) -> None:
        if self._out is not None:
            self._out.value = self.table_html()
        if self._image is not None:
            self._image.value = self.png()

    def widget(self) -> Any:
        """A monthly-volume box and one share slider per category, with the table and plot."""
        w = _ipywidgets()
        p = self.projection
        self._volume = w.BoundedIntText(
            value=p.monthly_requests, min=0, max=10**12, step=10_000, description="requests/month"
        )
        self._sliders = {
            c: w.FloatSlider(
                value=float(share),
                min=0.0,
                max=1.0,
                step=0.001,
                readout_format=".1%",
                description=c[:20],
                continuous_update=False,
            )
            for c, share in p.mix.items()
        }
        self._out = w.HTML()
        self._image = w.Image(format="png")

        def on_volume(change: Mapping[str, Any]) -> None:
            if not self._syncing:
                self.update(monthly_requests=int(change["new"]))

        def on_share(change: Mapping[str, Any]) -> None:
            if self._syncing:  # the other sliders being rebalanced, not a move by the user
                return
            moved = next(c for c, s in self._sliders.items() if s is change["owner"])
            current = {c: float(self.projection.mix.get(c, 0.0)) for c in self._sliders}
            self.update(mix=rebalance(current, moved, float(change["new"])))

        self._volume.observe(on_volume, names="value")
        for s in self._sliders.values():
            s.observe(on_share, names="value")
        self._redraw()
        return w.VBox([self._volume, *self._sliders.values(), self._out, self._image])


def rebalance(mix: Mapping[str, float], moved: str, share: float) -> dict[str, float]:
    """The mix with ``moved`` set to ``share`` (clipped to [0, 1]) and the other categories
    scaled, keeping their proportions, so that the shares still sum to 1."""
    share = min(max(share, 0.0), 1.0)
    others = {c: float(s) for c, s in mix.items() if c != moved}
    rest = sum(others.values())
    if not others:
        return {moved: 1.0}
    scaled = {
        c: (1.0 - share) * (s / rest if rest > 0 else 1.0 / len(others)) for c, s in others.items()
    }
    return {c: share if c == moved else scaled[c] for c in mix}


def _fmt(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)

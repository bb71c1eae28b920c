"""The notebook helpers' update functions, called directly (nbval cannot move a slider), on
the SYNTHETIC run of conftest.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from toolkit.report import ReportInputs, ThresholdTuner, build_cost_report, load_inputs


@pytest.fixture(scope="module")
def inputs(synthetic_run: Path) -> ReportInputs:
    return load_inputs(synthetic_run)


@pytest.fixture(scope="module")
def tuner(inputs: ReportInputs) -> ThresholdTuner:
    return ThresholdTuner.from_outcomes(
        inputs.train, inputs.test, strong="mid", weak="tiny", strong_share=0.5
    )


def test_update_at_the_ends_of_the_sweep(tuner: ThresholdTuner, inputs: ReportInputs) -> None:
    test = inputs.test
    q_mid = float(test.score[:, test.index("mid")].mean())
    q_tiny = float(test.score[:, test.index("tiny")].mean())
    stops = tuner.thresholds
    low = tuner.update(float(stops[0]))
    assert low["strong_share"] == 1.0
    assert low["quality"] == pytest.approx(q_mid)
    assert low["cost_usd"] == pytest.approx(float(test.cost_usd[:, test.index("mid")].sum()))
    assert low["pgr"] == pytest.approx(1.0)
    high = tuner.update(float(stops[-1]))
    assert high["strong_share"] == 0.0
    assert high["quality"] == pytest.approx(q_tiny)
    assert high["pgr"] == pytest.approx(0.0)


def test_update_moves_along_the_threshold_curve(
    tuner: ThresholdTuner, inputs: ReportInputs
) -> None:
    test = inputs.test
    s, w = test.index("mid"), test.index("tiny")
    shares = []
    for t in tuner.thresholds:
        m = tuner.update(float(t))
        to_strong = tuner.scores >= t
        # Independent arithmetic for this threshold.
        q = np.where(to_strong, test.score[:, s], test.score[:, w]).mean()
        c = np.where(to_strong, test.cost_usd[:, s], test.cost_usd[:, w]).mean()
        assert m["strong_share"] == pytest.approx(to_strong.mean())
        assert m["quality"] == pytest.approx(q)
        assert m["cost_per_task"] == pytest.approx(c)
        assert m["threshold"] == float(t)
        # The point lies on the analysis layer's threshold curve.
        k = int(np.argmin(np.abs(tuner.curve.c - m["strong_share"])))
        assert tuner.curve.q[k] == pytest.approx(m["quality"])
        shares.append(m["strong_share"])
    assert shares == sorted(shares, reverse=True)  # a higher threshold sends fewer to strong
    assert tuner.metrics["threshold"] == float(tuner.thresholds[-1])


def test_figure_and_widget_redraw_on_slider_moves(tuner: ThresholdTuner) -> None:
    pytest.importorskip("ipywidgets")
    png = tuner.png()
    assert png.startswith(b"\x89PNG")
    box = tuner.widget()
    assert box is not None
    before = tuner._image.value
    target = float(tuner.thresholds[len(tuner.thresholds) // 2])
    tuner._slider.value = target  # what moving the slider does
    assert tuner.threshold == target
    assert tuner.metrics["threshold"] == target
    assert tuner._image.value != before
    assert "strong_share" in tuner._table.value


def test_the_slider_follows_update_and_right_means_more_to_strong(
    tuner: ThresholdTuner,
) -> None:
    pytest.importorskip("ipywidgets")
    tuner.widget()
    stops = [v for _, v in tuner._slider.options]
    shares = []
    for index in range(len(stops)):  # each move to the right, as a user drags it
        tuner._slider.index = index
        shares.append(tuner.metrics["strong_share"])
    assert shares == sorted(shares) and shares[-1] > shares[0]
    target = float(tuner.thresholds[1])
    tuner.update(target)  # set from code: the slider shows it, and stays there
    assert tuner._slider.value == target
    assert tuner.threshold == target and tuner.metrics["threshold"] == target


def test_update_rejects_a_non_finite_threshold(tuner: ThresholdTuner) -> None:
    from toolkit._errors import InputError

    with pytest.raises(InputError, match="finite"):
        tuner.update(float("nan"))


def test_report_preview_recomputes_the_projection(inputs: ReportInputs) -> None:
    report = build_cost_report(inputs, monthly_requests=1000, n_boot=50)
    preview = report.preview()
    first = preview.projection.row("single:mid").monthly_usd
    assert first is not None
    doubled = preview.update(monthly_requests=2000)
    assert doubled.row("single:mid").monthly_usd == pytest.approx(2 * first)
    math_only = preview.update(mix={"math": 1.0})
    test = inputs.test
    j = test.index("mid")
    per_math = float(test.cost_usd[test.category == "math", j].mean())
    assert math_only.row("single:mid").monthly_usd == pytest.approx(2000 * per_math)
    html = preview.table_html()
    assert "2,000 requests a month" in html and "<script" not in html
    pytest.importorskip("ipywidgets")
    preview.widget()
    preview._volume.value = 500
    assert preview.projection.monthly_requests == 500
    assert "500 requests a month" in preview._out.value


def test_mix_sliders_are_shares_that_sum_to_one(inputs: ReportInputs) -> None:
    pytest.importorskip("ipywidgets")
    preview = build_cost_report(inputs, monthly_requests=1000, n_boot=50).preview()
    preview.widget()
    sliders = preview._sliders
    assert len(sliders) >= 2
    before = {c: s.value for c, s in sliders.items()}
    moved, other = list(sliders)[:2]
    sliders[moved].value = 0.8
    assert sum(s.value for s in sliders.values()) == pytest.approx(1.0)
    assert sliders[moved].value == pytest.approx(0.8)
    rest = {c: before[c] for c in sliders if c != moved}
    ratio = sliders[other].value / 0.2
    assert ratio == pytest.approx(rest[other] / sum(rest.values()))
    assert preview.projection.mix[moved] == pytest.approx(0.8)
    preview._volume.value = 1234
    assert "1,234 requests a month" in preview._out.value


def test_rebalance_keeps_the_other_shares_in_proportion() -> None:
    from toolkit.report._widgets import rebalance

    assert rebalance({"a": 0.5, "b": 0.25, "c": 0.25}, "a", 0.0) == pytest.approx(
        {"a": 0.0, "b": 0.5, "c": 0.5}
    )
    assert rebalance({"a": 1.0, "b": 0.0}, "a", 0.4) == pytest.approx({"a": 0.4, "b": 0.6})
    assert rebalance({"a": 1.0}, "a", 0.3) == {"a": 1.0}


def test_a_plain_update_moves_the_widgets_too(inputs: ReportInputs) -> None:
    pytest.importorskip("ipywidgets")
    preview = build_cost_report(inputs, monthly_requests=1000, n_boot=50).preview()
    preview.widget()
    preview.update(monthly_requests=250_000, mix={"math": 3.0, "sentiment": 1.0})
    assert preview._volume.value == 250_000
    assert "250,000 requests a month" in preview._out.value
    assert preview._sliders["math"].value == pytest.approx(0.75)
    assert sum(s.value for s in preview._sliders.values()) == pytest.approx(1.0)

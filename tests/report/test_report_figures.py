"""The report's figures are readable: frontier points are numbered with no two numbers on top
of each other, the per-executor chart names only executors that have a visible bar, and every
projection bar carries its full name and its dollars, ``$0`` included."""

from __future__ import annotations

import itertools

import pytest
from matplotlib.text import Text

from toolkit.report._figures import (
    _number_points,
    new_figure,
    projection_figure,
    stacked_bars_figure,
    wrap_label,
)


def test_numbers_of_crowded_points_do_not_overlap() -> None:
    fig = new_figure(9.0, 6.0)
    ax = fig.add_subplot(1, 1, 1)
    xy = [(1.0, 0.5), (1.0, 0.5), (1.001, 0.501), (1.002, 0.5), (5.0, 0.9), (1.0, 0.499)]
    ax.scatter(*zip(*xy, strict=True))
    ax.set_xlim(0, 6)
    ax.set_ylim(0, 1)
    _number_points(ax, xy)
    fig.canvas.draw()  # type: ignore[no-untyped-call]
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts]  # the number alone
    assert [t.get_text() for t in ax.texts] == ["1", "2", "3", "4", "5", "6"]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)


def test_executor_chart_names_only_executors_with_a_bar() -> None:
    fig = stacked_bars_figure(
        ["rules", "cascade"],
        ["gemma", "specialist", "arith_tool"],
        [[3.0, 0.0, 0.0], [1.0, 0.0, 0.0]],
        title="t",
        xlabel="USD",
    )
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["gemma (100%)"]
    assert "cost nothing: specialist, arith_tool" in fig.axes[0].get_xlabel()


def test_projection_bars_are_labelled_in_full_with_dollars() -> None:
    long = "score_router:tfidf_logreg (λ=7.9e3, at parity with single:gemma)"
    fig = projection_figure(
        [long, "single:gemma", "single:specialist"], [31.5, 72.81, 0.0], "single:gemma", 1_000_000
    )
    ax = fig.axes[0]
    ticks = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert ticks[0] == long
    values = [t.get_text() for t in ax.texts]
    assert values == [r"\$31.50", r"\$72.81", r"\$0"]


@pytest.mark.parametrize("text", ["a b c", "x" * 80, "$5 plan"])
def test_wrapped_labels_keep_every_character(text: str) -> None:
    wrapped = wrap_label(text, 34)
    assert all(len(line) <= 35 for line in wrapped.splitlines())
    assert "".join(wrapped.replace(r"\$", "$").split()) == "".join(text.split())

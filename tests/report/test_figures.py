"""House figure helpers: log-axis minor labels that do not overlap."""

from __future__ import annotations

import numpy as np
import pytest

from powertail.report.figures import new_figure, sparse_log_minor_labels


def _minor_labels(low: float, high: float) -> list[str]:
    fig, ax = new_figure()
    ax.loglog(np.geomspace(low, high, 20), np.geomspace(1.0, 2.0, 20))
    ax.set_xlim(low, high)
    sparse_log_minor_labels(fig)
    fig.canvas.draw()
    ticks = zip(ax.get_xticks(minor=True), ax.xaxis.get_minorticklabels(), strict=True)
    return [label.get_text() for x, label in ticks if low <= x <= high and label.get_text()]


@pytest.mark.parametrize(
    "low, high, expected",
    [
        (55.0, 800.0, ["2", "5"]),  # one power of ten in view: matplotlib labels 6, 2, 3, 4, 6
        (310.0, 890.0, ["4", "5", "6", "7", "8"]),  # under half a decade: every minor tick
        (0.5, 5000.0, []),  # four decades: the powers of ten are enough
    ],
)
def test_minor_labels_are_sparse_on_log_axes(low, high, expected):
    labels = _minor_labels(low, high)
    mantissas = [label.split(r"\times")[0].split("{")[-1] for label in labels]
    assert mantissas == expected

"""Figure helpers shared by every study's ``plots.py``: a headless backend and one house style."""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

DEFAULT_FIGSIZE = (6.0, 4.2)
"""Width and height in inches of a single-panel figure."""


def new_figure(
    nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None
) -> tuple[Figure, Axes]:
    """Create a figure with the non-interactive Agg canvas (safe on machines with no display).

    Parameters
    ----------
    nrows, ncols : int
        Grid of axes.
    figsize : (float, float) or None
        Inches; default scales :data:`DEFAULT_FIGSIZE` with the grid.

    Returns
    -------
    (Figure, Axes or ndarray of Axes)
        As ``matplotlib.pyplot.subplots`` returns them, without touching pyplot's global state.
    """
    from matplotlib.figure import Figure

    if figsize is None:
        figsize = (DEFAULT_FIGSIZE[0] * ncols, DEFAULT_FIGSIZE[1] * nrows)
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def axes_or_new(ax: Axes | None) -> Axes:
    """Return ``ax``, or the axes of a new single-panel figure when ``ax`` is ``None``."""
    if ax is not None:
        return ax
    _, new_ax = new_figure()
    return new_ax


def sparse_log_minor_labels(fig: Figure) -> None:
    """Label only the 2x and 5x minor ticks of every log axis in `fig` that spans half a decade
    to two decades (all of them below half a decade, none above two).

    Matplotlib labels every minor tick (2, 3, ..., 9 x 10^k) of a log axis that shows at most
    one power of ten, and the labels of neighbouring ticks then overlap (3 x 10^2 next to
    4 x 10^2). Called by :meth:`powertail.runs.Run.figure` before a figure is saved.
    """
    from matplotlib.ticker import FuncFormatter

    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "log":
                axis.set_minor_formatter(FuncFormatter(functools.partial(_minor_label, axis)))


def _minor_label(axis: Axis, x: float, pos: int | None = None) -> str:
    """The minor-tick label of :func:`sparse_log_minor_labels` at `x` (``""``: none)."""
    low, high = sorted(axis.get_view_interval())
    if x <= 0 or low <= 0 or high / low >= 100.0:
        return ""
    exponent = math.floor(math.log10(x) + 1e-9)
    mantissa = round(x / 10.0**exponent)
    if mantissa not in (2, 5) and high / low >= 3.2:  # under half a decade: room for all
        return ""
    return rf"$\mathdefault{{{mantissa}\times10^{{{exponent}}}}}$"

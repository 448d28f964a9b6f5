"""Figure helpers shared by every study's ``plots.py``: a headless backend and one house style."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
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

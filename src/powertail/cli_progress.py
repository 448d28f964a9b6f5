"""Progress bars for the command line: a ``ProgressCallback`` drawn by rich."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from powertail.studies import ProgressCallback


@contextmanager
def progress_bars(*, enabled: bool = True) -> Iterator[ProgressCallback]:
    """Yield a ``progress(description, done, total)`` callback that draws one bar per description.

    Bars go to stderr so that stdout stays parseable; with ``enabled=False`` (or when stderr is not
    a terminal, where rich falls back to plain output) nothing is animated.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not enabled,
        transient=False,
    )
    tasks: dict[str, int] = {}

    def report(description: str, done: int, total: int) -> None:
        if not tasks:  # start drawing only once there is something to draw
            progress.start()
        if description not in tasks:
            tasks[description] = progress.add_task(description, total=total)
        progress.update(tasks[description], completed=done, total=total)

    try:
        yield report
    finally:
        if tasks:
            progress.stop()

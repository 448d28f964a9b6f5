"""Run units of work through an executor, saving each result into the run as it arrives.

This is what makes long work resumable: a unit's result is saved (atomically) the moment it
completes, so a killed or interrupted run loses at most the units that were in flight, and the
next session with the same configuration loads the saved units instead of computing them again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from powertail.runs.executor import Executor, Unit, check_units
from powertail.runs.store import Run

__all__ = ["run_units"]


def run_units(
    run: Run,
    units: Sequence[Unit],
    executor: Executor,
    *,
    on_done: Callable[[str], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Compute the units not yet saved in ``run``, save each result, and return all results.

    Parameters
    ----------
    run : Run
        The open run that stores the unit results.
    units : sequence of Unit
        Units with unique keys. A key that is already saved in ``run`` is loaded, not computed.
    executor : Executor
        Where the remaining units are computed.
    on_done : callable, optional
        Called with each unit's key once its result is available, loaded ones first, so a
        progress bar over ``len(units)`` reaches the end.

    Returns
    -------
    dict of str to dict
        Unit key to result, in the order of ``units``. Every result is read back from the run
        directory, so a fresh result and a resumed one have exactly the same types and values.

    Notes
    -----
    The run's manifest records how many units were resumed and how many computed, also when
    an exception (a failing unit, :class:`KeyboardInterrupt`) ends the call early.
    """
    items = check_units(units)
    saved = [u for u in items if run.has_unit(u.key)]
    todo = [u for u in items if not run.has_unit(u.key)]
    computed = 0
    try:
        for unit in saved:
            if on_done is not None:
                on_done(unit.key)
        for key, result in executor.imap(todo):
            run.save_unit(key, result)
            computed += 1
            if on_done is not None:
                on_done(key)
    finally:
        run.record_units(computed=computed, resumed=len(saved))
    return {u.key: run.load_unit(u.key) for u in items}

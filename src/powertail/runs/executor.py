"""Executors: run independent units of work in-process, on a local Dask cluster or a remote one.

All three back ends share one interface (:class:`Executor`): give them :class:`Unit` objects and
get each unit's result back as it completes. A unit carries everything it needs, including its
seed (see :func:`powertail.runs.unit_seed`), so the numbers do not depend on the back end.

==============================  ==================================================================
``make_executor()``             :class:`InProcessExecutor`: units run one after another, here
``make_executor(workers=4)``    :class:`DaskExecutor` on a ``distributed.LocalCluster`` of 4
                                processes with one thread each, started here and closed on exit
``make_executor(scheduler=a)``  :class:`DaskExecutor` on the running cluster at address ``a``
                                (``dask scheduler`` + ``dask worker a``; the workers must be
                                able to import powertail and the unit functions)
==============================  ==================================================================
"""

from __future__ import annotations

import logging
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from powertail.errors import InputError
from powertail.runs.keys import validate_key

if TYPE_CHECKING:
    import distributed

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DaskExecutor",
    "Executor",
    "InProcessExecutor",
    "SchedulerUnreachableError",
    "Unit",
    "make_executor",
]

#: Seconds to wait for a scheduler to answer (and to show at least one worker).
DEFAULT_CONNECT_TIMEOUT = 10.0


class SchedulerUnreachableError(InputError, ConnectionError):
    """The Dask scheduler address given by the user does not answer or has no workers."""


@dataclass(frozen=True)
class Unit:
    """One independent piece of work: ``fn(**kwargs)`` returns the result of unit ``key``.

    Attributes
    ----------
    key : str
        Unique name of the unit within a run (see :func:`powertail.runs.keys.validate_key`);
        also the resume key of its saved result.
    fn : callable
        A module-level function (so Dask workers can import it) that takes keyword arguments
        and returns a result dict (see :mod:`powertail.runs.results`).
    kwargs : mapping of str to object
        Keyword arguments, including the unit's seed; copied on construction.
    """

    key: str
    fn: Callable[..., Mapping[str, Any]]
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate_key(self.key)
        if not callable(self.fn):
            raise InputError(
                f"fn of unit {self.key!r}: expected a callable, got {type(self.fn).__name__}; "
                "pass a module-level function"
            )
        if not isinstance(self.kwargs, Mapping) or not all(isinstance(k, str) for k in self.kwargs):
            raise InputError(
                f"kwargs of unit {self.key!r}: expected a dict with str keys, got "
                f"{self.kwargs!r}; pass the function's keyword arguments as a dict"
            )
        object.__setattr__(self, "kwargs", dict(self.kwargs))  # the caller's dict stays theirs

    def __call__(self) -> Mapping[str, Any]:
        """Compute the unit here: ``fn(**kwargs)``."""
        return self.fn(**self.kwargs)


def check_units(units: Sequence[Unit]) -> list[Unit]:
    """Return ``units`` as a list after checking the types and that the keys are unique.

    Raises
    ------
    InputError
        If an item is not a :class:`Unit` or a key occurs twice.
    """
    items = list(units)
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, Unit):
            raise InputError(
                f"units: expected a sequence of powertail.runs.Unit, got an item of type "
                f"{type(item).__name__}; wrap each task as Unit(key, fn, kwargs)"
            )
        if item.key in seen:
            raise InputError(
                f"units: expected unique keys, got {item.key!r} twice; "
                "put every varying parameter into the key"
            )
        seen.add(item.key)
    return items


def _call_unit(fn: Callable[..., Mapping[str, Any]], kwargs: Mapping[str, Any]) -> Any:
    """Run one unit on a Dask worker (module-level so that it pickles by reference)."""
    return fn(**kwargs)


def _note_unit(exc: BaseException, key: str) -> None:
    exc.add_note(f"(raised while computing unit {key!r})")


class Executor(ABC):
    """Runs units of work and hands back their results as they complete.

    Executors are context managers; leaving the ``with`` block releases their resources
    (a local cluster is shut down).
    """

    @property
    @abstractmethod
    def description(self) -> str:
        """One line saying where units run, for logs and progress output."""

    @abstractmethod
    def imap(self, units: Sequence[Unit]) -> Iterator[tuple[str, Any]]:
        """Yield ``(key, result)`` for every unit, in completion order.

        A unit's exception propagates with its original type and a note naming the unit;
        units not yet started are then cancelled. Closing the iterator early also cancels them.

        Parameters
        ----------
        units : sequence of Unit
            Units with unique keys.
        """

    def map(
        self,
        units: Sequence[Unit],
        *,
        on_done: Callable[[str], None] | None = None,
    ) -> dict[str, Any]:
        """Run all ``units`` and return their results keyed by unit key, in the units' order.

        Parameters
        ----------
        units : sequence of Unit
            Units with unique keys.
        on_done : callable, optional
            Called with each unit's key as soon as it completes (e.g. to advance a progress bar).

        Returns
        -------
        dict of str to result
        """
        items = check_units(units)
        done: dict[str, Any] = {}
        for key, result in self.imap(items):
            done[key] = result
            if on_done is not None:
                on_done(key)
        return {u.key: done[u.key] for u in items}

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release resources; the executor cannot be used afterwards."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class InProcessExecutor(Executor):
    """Runs units one after another in this process (the default back end)."""

    @property
    def description(self) -> str:
        """See :attr:`Executor.description`."""
        return "in-process"

    def imap(self, units: Sequence[Unit]) -> Iterator[tuple[str, Any]]:
        """See :meth:`Executor.imap`."""
        for unit in check_units(units):
            try:
                result = unit()
            except Exception as exc:
                _note_unit(exc, unit.key)
                raise
            yield unit.key, result


class DaskExecutor(Executor):
    """Runs units as tasks on a Dask ``distributed`` cluster.

    Build it with :meth:`local` (a new ``LocalCluster`` of worker processes) or :meth:`connect`
    (an existing scheduler), or :func:`make_executor`. Results travel back through Dask's own
    serialization between this process and its workers (trusted peers); the run store never
    pickles them to disk.

    Parameters
    ----------
    client : distributed.Client
        A connected client.
    cluster : distributed.LocalCluster, optional
        A cluster owned by this executor, closed by :meth:`close`.
    description : str
        Where units run, for messages.
    """

    def __init__(
        self,
        client: distributed.Client,
        *,
        cluster: distributed.LocalCluster | None = None,
        description: str,
    ) -> None:
        self._client: distributed.Client | None = client
        self._cluster = cluster
        self._description = description

    @classmethod
    def local(cls, workers: int) -> DaskExecutor:
        """Start a ``LocalCluster`` of ``workers`` processes with one thread each.

        The dashboard is off and cluster logs below ERROR are silenced. As with any
        multiprocessing code, a script that calls this must guard its entry point with
        ``if __name__ == "__main__":``.

        Parameters
        ----------
        workers : int
            Number of worker processes, at least 1.

        Returns
        -------
        DaskExecutor
        """
        _check_workers(workers)
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=workers,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            # The scheduler serves /health and /metrics even without a dashboard; by default on
            # port 8787, and it warns when that is taken (another cluster, a second run).
            # Any free port will do.
            scheduler_kwargs={"dashboard_address": ":0"},
        )
        try:
            client = Client(cluster, set_as_default=False)
        except BaseException:
            cluster.close()
            raise
        noun = "process" if workers == 1 else "processes"
        return cls(client, cluster=cluster, description=f"local Dask cluster ({workers} {noun})")

    @classmethod
    def connect(cls, address: str, *, timeout: float = DEFAULT_CONNECT_TIMEOUT) -> DaskExecutor:
        """Connect to a running Dask scheduler and wait until it has a worker.

        Parameters
        ----------
        address : str
            Scheduler address such as ``"tcp://10.0.0.5:8786"``.
        timeout : float, default 10
            Seconds to wait for the scheduler, and then again for at least one worker.

        Returns
        -------
        DaskExecutor

        Raises
        ------
        InputError
            If ``address`` or ``timeout`` is malformed.
        SchedulerUnreachableError
            If nothing answers at ``address`` or no worker joins in time; the message says how
            to start a scheduler and workers.
        """
        if not isinstance(address, str) or not address.strip():
            raise InputError(
                f"scheduler: expected an address such as 'tcp://host:8786', got {address!r}; "
                "pass the address printed by `dask scheduler`"
            )
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise InputError(
                f"timeout: expected a positive number of seconds, got {timeout!r}; e.g. 10"
            )
        from distributed import Client

        try:
            # Check the address before Client sees it: a Client that fails with ValueError does
            # not shut down its event loop, and later clients in this process then hang.
            _parse_address(address)
            client = Client(address, timeout=timeout, set_as_default=False)
        except (ValueError, TypeError, ImportError) as exc:
            raise InputError(
                f"scheduler: expected an address such as 'tcp://host:8786', got {address!r} "
                f"({exc}); pass the address printed by `dask scheduler`"
            ) from exc
        except (OSError, TimeoutError) as exc:
            raise SchedulerUnreachableError(
                f"scheduler: expected a Dask scheduler answering at {address!r}, got no answer "
                f"within {timeout:g} s; check the address, or start one with `dask scheduler` "
                f"and workers with `dask worker {address}`"
            ) from exc
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            client.close()
            raise SchedulerUnreachableError(
                f"scheduler {address!r}: expected at least one worker, got none within "
                f"{timeout:g} s; start workers with `dask worker {address}`"
            ) from exc
        return cls(client, description=f"Dask scheduler {address}")

    @property
    def description(self) -> str:
        """See :attr:`Executor.description`."""
        return self._description

    @property
    def client(self) -> distributed.Client:
        """The Dask client (for advanced use such as scattering large inputs)."""
        if self._client is None:
            raise InputError(
                f"executor: expected an open {self._description}, got a closed one; "
                "create a new executor"
            )
        return self._client

    def imap(self, units: Sequence[Unit]) -> Iterator[tuple[str, Any]]:
        """See :meth:`Executor.imap`."""
        from distributed import as_completed

        items = check_units(units)
        client = self.client
        futures = {
            client.submit(
                _call_unit,
                unit.fn,
                dict(unit.kwargs),
                key=f"{getattr(unit.fn, '__name__', 'unit')}-{uuid.uuid4().hex}",
                pure=False,
            ): unit.key
            for unit in items
        }
        try:
            for future in as_completed(list(futures), loop=client.loop):
                key = futures[future]
                try:
                    result = future.result()
                except Exception as exc:
                    _note_unit(exc, key)
                    raise
                future.release()
                yield key, result
        finally:
            pending = [f for f in futures if not f.done()]
            if pending and self._client is not None:
                client.cancel(pending)

    def close(self) -> None:
        """Close the client, then the cluster this executor started (if any)."""
        client, self._client = self._client, None
        cluster, self._cluster = self._cluster, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def _parse_address(address: str) -> None:
    """Raise ``ValueError`` unless ``address`` names a known Dask transport (with a port)."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    scheme, location = parse_address(address)
    get_backend(scheme)  # unknown scheme -> ValueError
    if scheme in ("tcp", "tls", "ws", "wss"):
        parse_host_port(location)  # missing or non-numeric port -> ValueError


def _check_workers(workers: object) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(
            f"workers: expected an int of at least 1, got {workers!r}; "
            "omit it to run in-process, or pass e.g. workers=4"
        )
    return workers


def make_executor(
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    timeout: float = DEFAULT_CONNECT_TIMEOUT,
) -> Executor:
    """Return the executor selected by the command-line options ``--workers`` / ``--scheduler``.

    Parameters
    ----------
    workers : int, optional
        Start a local Dask cluster of this many worker processes (one thread each).
    scheduler : str, optional
        Address of a running Dask scheduler (``"tcp://host:8786"``).
    timeout : float, default 10
        Seconds to wait for ``scheduler`` (ignored otherwise).

    Returns
    -------
    Executor
        :class:`InProcessExecutor` when neither option is given, else a :class:`DaskExecutor`.
        Use it as a context manager.

    Raises
    ------
    InputError
        If both options are given, ``workers`` is not a positive int or ``scheduler`` is not
        an address.
    SchedulerUnreachableError
        If ``scheduler`` does not answer or has no workers.
    """
    if workers is not None and scheduler is not None:
        raise InputError(
            f"workers/scheduler: expected at most one of them, got workers={workers!r} and "
            f"scheduler={scheduler!r}; use --workers for a local cluster or --scheduler for an "
            "existing one"
        )
    if scheduler is not None:
        return DaskExecutor.connect(scheduler, timeout=timeout)
    if workers is not None:
        return DaskExecutor.local(_check_workers(workers))
    return InProcessExecutor()

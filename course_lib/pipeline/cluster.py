"""The Dask cluster that grades: a LocalCluster sized to the machine, or an existing scheduler.

``gan-course autograde`` sends each grading unit (:func:`course_lib.pipeline.grading_unit.
grade_unit`) to a ``dask.distributed`` client and merges the answers as they come. There is one
code path whatever the cluster:

* by default a ``LocalCluster`` of ``workers`` processes (one per CPU core), one thread each, on
  this machine; it goes with the run;
* ``--scheduler ADDRESS`` (``tcp://host:8786``) uses a cluster started elsewhere (Slurm with
  ``dask-jobqueue``, Kubernetes with ``dask-kubernetes``, or ``dask scheduler`` / ``dask worker``
  by hand; see the README); it is left running.

Faults are Dask's: a worker that dies while it grades has its unit run again on another worker;
after ``allowed_failures`` deaths the unit is given up (``KilledWorker``). Dask also counts the
deaths of workers a unit only waited on, so the coordinator grades 0 only a submission that was
*running* at more than ``allowed_failures`` deaths (each try logs a start event on the
scheduler) and sends any other unit again. The scheduler of a LocalCluster gets
:func:`local_settings` here; an external one should be started with the same
(``DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=2``,
``DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION=1.0``; Dask's defaults are 3 and 1.1).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

#: Times a unit may kill the worker grading it before it is graded 0 (Dask's setting).
ALLOWED_FAILURES = 2
#: Seconds between refreshes of the progress bar.
REFRESH_SECONDS = 2.0


def local_settings(allowed_failures: int = ALLOWED_FAILURES) -> dict[str, Any]:
    """Dask settings of the grading scheduler.

    ``allowed-failures``: the deaths of workers a unit may cause before it is given up.
    ``worker-saturation`` 1.0: a worker holds only the units it runs (one per thread), none queued
    behind them, so a worker killed by one submission costs no other unit a try.
    """
    return {
        "distributed.scheduler.allowed-failures": allowed_failures,
        "distributed.scheduler.worker-saturation": 1.0,
    }


def dashboard_address(client: Any) -> str | None:
    """The address of the scheduler's dashboard, None where it has none (no ``bokeh``)."""
    try:
        services = client.scheduler_info().get("services", {})
    except Exception:
        return None
    if "dashboard" not in services:
        return None
    try:
        return str(client.dashboard_link)
    except Exception:
        return None


@contextlib.contextmanager
def grading_client(
    scheduler: str | None,
    workers: int,
    allowed_failures: int = ALLOWED_FAILURES,
    log: Callable[[str], None] = print,
) -> Iterator[Any]:
    """A ``distributed.Client``: on ``scheduler``, else on a LocalCluster of ``workers``."""
    import dask
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except OSError as exc:
            raise ConnectionError(f"no Dask scheduler answers at {scheduler}: {exc}") from exc
    else:
        with dask.config.set(local_settings(allowed_failures)):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
        client = Client(cluster)
    try:
        where = scheduler or f"a local cluster of {workers} worker process(es)"
        link = dashboard_address(client)
        if link and cluster is not None and importlib.util.find_spec("bokeh") is None:
            link += " (its plots need bokeh: pip install bokeh)"
        log(f"grading on {where}" + (f"; dashboard: {link}" if link else ""))
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def cluster_workers(client: Any) -> int:
    """Worker threads the cluster has now (at least 1)."""
    try:
        info = client.scheduler_info()
        return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))
    except Exception:
        return 1


def running_units(client: Any, keys: set[str]) -> int:
    """How many of ``keys`` the workers are running now (at most one per worker thread)."""
    try:
        processing = client.processing()
        nthreads = client.nthreads()
    except Exception:
        return 0
    return sum(
        min(nthreads.get(worker, 1), sum(1 for key in tasks if key in keys))
        for worker, tasks in processing.items()
    )


class Progress:
    """A tqdm bar of units done, running and failed, with an ETA; nothing when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.failed = 0

    def start(self, total: int) -> None:
        """Show the bar for ``total`` units."""
        if self.enabled and total:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="unit", desc="grading", dynamic_ncols=True)

    def write(self, line: str) -> None:
        """Print ``line`` above the bar."""
        if self.bar is not None:
            self.bar.write(line)
        else:
            print(line)

    def update(self, done: int, running: int, failed: int) -> None:
        """Advance by ``done`` units; show ``running`` and ``failed``."""
        self.failed += failed
        if self.bar is not None:
            self.bar.set_postfix_str(f"running {running}, failed {self.failed}", refresh=False)
            self.bar.update(done)

    def close(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def run_token() -> str:
    """A token that keeps this run's task keys apart from another run's on a shared cluster."""
    return f"{os.getpid()}-{time.time_ns()}"

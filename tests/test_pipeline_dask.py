"""Grading units on a Dask cluster of 2 worker processes: faults of workers and of submissions.

One batch on a LocalCluster started here (``autograde(..., scheduler=ADDRESS)``): ordinary
submissions with their known scores, and one whose kernel kills the Dask worker process grading
it (possible only without the sandbox, so the batch runs without it). While the batch runs, the
worker grading an ordinary submission is killed from outside. Every student must end graded with
the fixture's scores, cell by cell; the worker killer is graded 0 with the reason after the
scheduler's bounded retries.
"""

from __future__ import annotations

import csv
import os
import re
import signal
import sys
import tarfile
import threading
import time
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from nbformat.v4 import new_code_cell

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import course_fixture as cf  # noqa: E402

from course_lib.pipeline.autograde import autograde, make_template  # noqa: E402
from course_lib.pipeline.cluster import local_settings  # noqa: E402
from course_lib.pipeline.grading_unit import pack_template  # noqa: E402
from course_lib.pipeline.notebook_tools import notebook_text, read_notebook  # noqa: E402
from course_lib.pipeline.release import release  # noqa: E402

distributed = pytest.importorskip("distributed")

CELL_TIMEOUT = 8
ALLOWED_FAILURES = 1
ORDINARY = ["solved", "one_undone", "untouched"]
#: Without the sandbox a kernel can reach its ancestors: it kills the Dask worker running it.
KILLS_WORKER = """
import os, signal
pid = os.getppid()
while pid > 1:
    cmdline = open(f'/proc/{pid}/cmdline', 'rb').read()
    if b'spawn_main' in cmdline:
        os.kill(pid, signal.SIGKILL)
        break
    pid = int(open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1])
"""
LOST = {"one_undone": "combine_vectors"}


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def _executing(dask_worker) -> list[str]:
    return [str(ts.key) for ts in dask_worker.state.executing]


class _WorkerKiller(threading.Thread):
    """Kills the worker process that has graded an ordinary submission for a few seconds."""

    def __init__(self, address: str, students: list[str]) -> None:
        super().__init__(daemon=True)
        self.address = address
        self.students = students
        self.killed: tuple[str, int] | None = None
        self.stop = threading.Event()

    def _find(self, client) -> tuple[str, str] | None:
        try:
            # The worker killer in the same batch may take a worker down mid-broadcast.
            running = client.run(_executing, on_error="return")
        except OSError:  # CommClosedError is an OSError
            return None
        for worker, keys in running.items():
            if isinstance(keys, BaseException):
                continue
            for key in keys:
                if any(f"-{s}-" in key for s in self.students):
                    return worker, key
        return None

    def run(self) -> None:
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            while not self.stop.is_set() and self.killed is None:
                first = self._find(client)
                if first is None:
                    time.sleep(0.2)
                    continue
                time.sleep(1.5)  # mid-unit: its kernel is running
                if self._find(client) != first:
                    continue
                worker, key = first
                try:
                    pid = client.run(os.getpid, workers=[worker])[worker]
                except OSError:
                    continue
                os.kill(pid, signal.SIGKILL)
                self.killed = (key, pid)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    import dask
    from distributed import LocalCluster

    root = tmp_path_factory.mktemp("dask")
    solutions, notebooks = root / "solutions", root / "notebooks"
    cf.write_fixture_solutions(solutions)
    release(solutions, notebooks)
    student_nb = read_notebook(notebooks / f"{cf.NAME}.ipynb")
    submitted = cf.write_submissions(root / "submitted", student_nb, only=ORDINARY)
    killer = read_notebook(notebooks / f"{cf.NAME}.ipynb")
    killer.cells.insert(2, new_code_cell(KILLS_WORKER))
    target = submitted / "kills_worker" / cf.NAME / f"{cf.NAME}.ipynb"
    target.parent.mkdir(parents=True)
    target.write_text(notebook_text(killer), encoding="utf-8")

    with dask.config.set(local_settings(ALLOWED_FAILURES)):
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
    killer_thread = _WorkerKiller(cluster.scheduler_address, ["solved", "one_undone"])
    log: list[str] = []
    try:
        killer_thread.start()
        summary = autograde(
            submitted,
            course_dir=root / "course",
            solutions_dir=solutions,
            cell_timeout=CELL_TIMEOUT,
            log=log.append,
            sandbox=False,
            scheduler=cluster.scheduler_address,
        )
    finally:
        killer_thread.stop.set()
        killer_thread.join(timeout=30)
        cluster.close()
    return SimpleNamespace(
        root=root,
        solutions=solutions,
        summary=summary,
        rows=_rows(summary.csv_path),
        log=log,
        killed=killer_thread.killed,
    )


def test_every_student_is_graded_with_the_fixture_scores_cell_by_cell(batch):
    assert set(batch.rows) == {*ORDINARY, "kills_worker"}, batch.log
    for student in ORDINARY:
        row = batch.rows[student]
        assert row["status"] == "graded" and row["problems"] == "", (row, batch.log)
        assert float(row["score"]) == cf.EXPECTED[student], (row, batch.log)
        for name, points in cf.POINTS.items():
            untouched = student == "untouched" or LOST.get(student) == name
            assert float(row[name]) == (0.0 if untouched else points), (student, name, row)
    autograded = batch.root / "course" / "autograded"
    for student in ORDINARY:
        assert (autograded / student / cf.NAME / f"{cf.NAME}.ipynb").is_file()


def test_a_worker_killed_mid_unit_has_its_unit_graded_elsewhere(batch):
    assert batch.killed is not None, "no worker was killed during the batch"
    key, pid = batch.killed
    student = next(s for s in ORDINARY if f"-{s}-" in key)
    assert batch.rows[student]["status"] == "graded"
    assert float(batch.rows[student]["score"]) == cf.EXPECTED[student]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_submission_that_kills_every_worker_is_graded_zero_after_bounded_retries(batch):
    row = batch.rows["kills_worker"]
    assert row["status"] == "crashed", (row, batch.log)
    assert float(row["score"]) == 0.0
    times = re.search(r"killed the grading worker (\d+) times", row["problems"])
    assert times and int(times.group(1)) >= ALLOWED_FAILURES + 1, row["problems"]
    assert batch.summary.errors == []
    assert not (batch.root / "course" / "autograded" / "kills_worker" / cf.NAME).exists()


def test_a_rerun_retries_neither_graded_nor_crashed_submissions(batch):
    again = autograde(
        batch.root / "submitted",
        course_dir=batch.root / "course",
        solutions_dir=batch.solutions,
        log=lambda _: None,
        sandbox=False,
    )
    assert again.records == [] and len(again.skipped) == len(ORDINARY) + 1
    assert _rows(again.csv_path) == batch.rows


def test_the_template_a_unit_receives_holds_no_solution(batch, tmp_path):
    template = make_template(batch.solutions, tmp_path, None)
    with tarfile.open(fileobj=BytesIO(pack_template(template)), mode="r:gz") as tar:
        names = tar.getnames()
        assert "template/gradebook.db" in names
        assert not [n for n in names if n.endswith(".ipynb")], names
        for member in tar.getmembers():
            if member.isfile():
                data = tar.extractfile(member).read()
                assert b"BEGIN SOLUTION" not in data, member.name
                assert b"torch.cat([x.float(), y.float()], dim=1)" not in data, member.name


def test_a_unit_that_only_waited_on_a_killed_worker_is_graded_in_full(batch, tmp_path):
    """One worker, no failure allowed: the killer runs first, ``solved`` waits behind it.

    Dask marks both suspect when the worker dies; only the killer was running, so only it is
    graded 0, and ``solved`` is sent again and graded with its full score.
    """
    import dask
    from distributed import LocalCluster

    submitted = tmp_path / "submitted"
    for student in ("kills_worker", "solved"):
        source = batch.root / "submitted" / student
        target = submitted / student
        target.mkdir(parents=True)
        for path in source.rglob("*"):
            if path.is_file():
                dest = target / path.relative_to(source)
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(path.read_bytes())
    with dask.config.set(local_settings(0)):
        cluster = LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
    log: list[str] = []
    try:
        summary = autograde(
            submitted,
            course_dir=tmp_path / "course",
            solutions_dir=batch.solutions,
            cell_timeout=CELL_TIMEOUT,
            log=log.append,
            sandbox=False,
            scheduler=cluster.scheduler_address,
            allowed_failures=0,
        )
    finally:
        cluster.close()
    rows = _rows(summary.csv_path)
    assert rows["kills_worker"]["status"] == "crashed", (rows, log)
    assert "killed the grading worker once" in rows["kills_worker"]["problems"], rows
    assert rows["solved"]["status"] == "graded", (rows, log)
    assert float(rows["solved"]["score"]) == cf.EXPECTED["solved"], (rows, log)

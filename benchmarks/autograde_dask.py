"""How autograding scales on Dask: a class of N students with 1 and 2 workers, and a projection.

For each worker count (runs interleaved: 1, 2, 1, 2, ... with ``--repeats``) a class of
``--students`` students, each submitting every notebook of ``solutions/`` answered with the
solutions, is graded by ``autograde()`` on a fresh LocalCluster, end to end. Printed:

* wall time, cluster start, units per second;
* per-unit time: the median seconds a worker spent grading one notebook (grading process,
  sandboxed kernel, nbgrader), and the coordinator's merge time per unit (gradebook, report, CSV:
  serial in one process whatever the cluster);
* scheduler overhead per unit: the round trip of a unit-sized no-op task (the same template and
  notebook bytes) through the same kind of cluster, ``--noop`` of them, 2 workers;
* a projection for 300 students x 6 notebooks on 16 and 64 cores (one worker per core) from those
  measured figures: ``start + ceil(units / cores) * (unit + overhead)``, bounded below by the
  coordinator's serial merge ``units * merge``. A projection, not a measurement: it assumes each
  worker keeps one core to itself, as the 2-worker run on this machine's 2 cores does.

    python benchmarks/autograde_dask.py --students 1
    python benchmarks/autograde_dask.py --students 2 --repeats 2 --fixture
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from autograde_speed import clean_autograde, solved_notebooks, write_submissions  # noqa: E402

from course_lib.pipeline.autograde import make_template  # noqa: E402
from course_lib.pipeline.grading_unit import pack_template, shipped  # noqa: E402
from course_lib.pipeline.release import SOLUTIONS_DIR, list_sources  # noqa: E402
from course_lib.pipeline.sandbox import unavailable_reason  # noqa: E402
from course_lib.pipeline.settings import ensure_tools_on_path  # noqa: E402

PROJECTED_UNITS = 300 * 6
PROJECTED_CORES = (16, 64)


def _noop(payload: bytes, template: bytes) -> int:
    return len(payload) + len(template)


def scheduler_overhead(template: bytes, payload: bytes, tasks: int) -> float:
    """Seconds per unit-sized no-op task through a fresh 2-worker LocalCluster."""
    import dask
    from distributed import Client, LocalCluster

    from course_lib.pipeline.cluster import local_settings

    with dask.config.set(local_settings()):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0")
    try:
        with Client(cluster) as client:
            shared = client.submit(shipped, template, pure=False)
            client.gather(client.submit(_noop, b"", shared, pure=False))  # warm
            start = time.perf_counter()
            futures = [client.submit(_noop, payload, shared, pure=False) for _ in range(tasks)]
            client.gather(futures)
            return (time.perf_counter() - start) / tasks
    finally:
        cluster.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1, help="runs per worker count")
    parser.add_argument("--noop", type=int, default=200, help="no-op tasks for the overhead")
    parser.add_argument(
        "--fixture", action="store_true", help="the test fixture instead of solutions/"
    )
    args = parser.parse_args()
    ensure_tools_on_path()
    sandbox = unavailable_reason() is None

    with tempfile.TemporaryDirectory(prefix="gan-course-dask-bench-") as tmp:
        tmp_path = Path(tmp)
        solutions, label = SOLUTIONS_DIR, "solutions/"
        if args.fixture or not list_sources(solutions):
            import course_fixture

            solutions = tmp_path / "solutions"
            course_fixture.write_fixture_solutions(solutions)
            label = "the test fixture"
        notebooks = solved_notebooks(solutions, tmp_path)
        submitted = write_submissions(tmp_path / "submitted", notebooks, args.students)
        units = args.students * len(notebooks)
        print(
            f"autograde on Dask: {os.cpu_count()} CPU cores, {args.students} student(s) x "
            f"{len(notebooks)} notebook(s) of {label} = {units} units, "
            f"{'sandboxed' if sandbox else 'NOT sandboxed'}"
        )

        results: dict[int, list[dict[str, float]]] = {1: [], 2: []}
        for i in range(args.repeats):
            for workers in (1, 2):
                course = tmp_path / f"course-{workers}-{i}"
                summary = clean_autograde(submitted, solutions, course, workers, sandbox)
                results[workers].append(
                    {
                        "wall": summary.seconds,
                        "start": summary.timings.get("cluster_start", 0.0),
                        "unit": statistics.median(r.seconds for r in summary.records),
                        "merge": summary.timings.get("merge", 0.0) / len(summary.records),
                    }
                )

        med = {
            w: {k: statistics.median(run[k] for run in runs) for k in runs[0]}
            for w, runs in results.items()
        }
        print(f"measured (medians of {args.repeats} run(s) each, interleaved):")
        print("    workers   wall s   cluster start s   units/s   per-unit s   merge s/unit")
        for w, m in med.items():
            print(
                f"    {w:7d}   {m['wall']:6.1f}   {m['start']:15.1f}   "
                f"{units / m['wall']:7.3f}   {m['unit']:10.2f}   {m['merge']:12.3f}"
            )
        print(f"    speed-up 2 vs 1 worker: {med[1]['wall'] / med[2]['wall']:.2f}x")

        template = pack_template(make_template(solutions, tmp_path / "bench-template", None))
        payload = max((nb for nb in (submitted.rglob("*.ipynb"))), key=lambda p: p.stat().st_size)
        overhead = scheduler_overhead(template, payload.read_bytes(), args.noop)
        print(
            f"scheduler overhead: {overhead * 1000:.1f} ms per unit ({args.noop} unit-sized no-op "
            f"tasks, {len(template) // 1024} KiB template, {payload.stat().st_size // 1024} KiB "
            "notebook, 2 workers)"
        )

        unit, merge, start = med[2]["unit"], med[2]["merge"], med[2]["start"]
        print(
            f"projection (not measured) for 300 students x 6 notebooks = {PROJECTED_UNITS} "
            f"units, one worker per core, from the 2-worker figures (per-unit {unit:.2f} s, "
            f"overhead {overhead * 1000:.1f} ms, merge {merge * 1000:.0f} ms, start {start:.1f} s):"
        )
        for cores in PROJECTED_CORES:
            grading = start + math.ceil(PROJECTED_UNITS / cores) * (unit + overhead)
            serial_merge = PROJECTED_UNITS * merge
            total = max(grading, serial_merge)
            bound = "the coordinator's merge" if serial_merge > grading else "the workers"
            print(
                f"    {cores:3d} cores: {total / 60:6.1f} min (grading {grading / 60:.1f} min, "
                f"serial merge {serial_merge / 60:.1f} min; bound by {bound})"
            )


if __name__ == "__main__":
    main()

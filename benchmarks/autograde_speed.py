"""How fast the course autogrades: one student's whole course, and a class of 16 in parallel.

(a) Seconds for ``gan-course autograde`` to grade one student's whole course (every notebook of
    ``solutions/``, answered with the solutions) with 2 workers: the fast-mode budget is 60 s on
    2 CPU cores. End to end: gradebook set-up, worker start, kernels, merge, CSV. With and
    without the grading sandbox, runs interleaved (sandboxed, not, sandboxed, ...), medians and
    their ratio (the sandbox may add at most 10%).
(b) Wall time for 16 submissions of the first notebook: plain ``nbgrader autograde`` (one process,
    serial, same config), ``gan-course autograde --workers 1`` and ``--workers N`` (N = CPU
    cores), and the speed-ups.

While ``solutions/`` is empty the figures are for the test fixture (tests/fixtures/).

    python benchmarks/autograde_speed.py
    python benchmarks/autograde_speed.py --submissions 8 --workers 4 --skip-plain
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from course_lib.pipeline import notebook_tools as nt  # noqa: E402
from course_lib.pipeline.autograde import autograde  # noqa: E402
from course_lib.pipeline.release import (  # noqa: E402
    SOLUTIONS_DIR,
    build_student_notebooks,
    list_sources,
)
from course_lib.pipeline.settings import ensure_tools_on_path, find_config_file  # noqa: E402


def _solution_text(source: str) -> str:
    return "\n".join(
        ln for ln in source.split("\n") if nt.BEGIN_SOLUTION not in ln and nt.END_SOLUTION not in ln
    )


def solved_notebooks(solutions: Path, workdir: Path) -> dict[str, nt.NotebookNode]:
    """Student notebooks of ``solutions`` with every answer filled in from the source."""
    students = build_student_notebooks(solutions, workdir / "build")
    out = {}
    for name, student in students.items():
        source = nt.read_notebook(workdir / "build" / "source" / name / f"{name}.ipynb")
        answers = {
            nt.grade_id(c): c.source for c in source.cells if nt.is_answer(c) or nt.is_manual(c)
        }
        for cell in student.cells:
            if nt.grade_id(cell) in answers:
                cell.source = _solution_text(answers[nt.grade_id(cell)])
        out[name] = student
    return out


def write_submissions(folder: Path, notebooks: dict[str, nt.NotebookNode], students: int) -> Path:
    for i in range(students):
        for name, nb in notebooks.items():
            target = folder / f"student{i:02d}" / name / f"{name}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(nb), encoding="utf-8")
    return folder


def clean_autograde(
    submitted: Path, solutions: Path, course: Path, workers: int, sandbox: bool = True
) -> Any:
    """Autograde the solved class; stop the benchmark when any submission had a problem."""
    summary = autograde(
        submitted,
        course_dir=course,
        solutions_dir=solutions,
        workers=workers,
        log=lambda _: None,
        sandbox=sandbox,
    )
    bad = [r for r in summary.records if r.status != "graded" or r.problems]
    if bad:
        raise SystemExit(f"unexpected grading problems: {bad[:3]}")
    return summary


def timed_autograde(
    submitted: Path, solutions: Path, course: Path, workers: int, sandbox: bool = True
) -> float:
    start = time.monotonic()
    clean_autograde(submitted, solutions, course, workers, sandbox)
    return time.monotonic() - start


def timed_plain_nbgrader(submitted: Path, solutions: Path, course: Path, assignment: str) -> float:
    """``nbgrader autograde ASSIGNMENT`` in one process over every student (its usual use)."""
    from course_lib.pipeline.release import generate_assignments, stage_sources

    ids = stage_sources(solutions, course)
    generate_assignments(course, ids)
    os.symlink(submitted, course / "submitted")
    config = find_config_file()
    lines = ["c = get_config()"]
    if config is not None:
        lines.append(f"load_subconfig({str(config)!r})")
    lines.append(f"c.CourseDirectory.root = {str(course)!r}")
    (course / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
    env = dict(os.environ, GAN_COURSE_FAST="1")
    start = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"],
        cwd=course,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.monotonic() - start


def _burn(_: int) -> float:
    start = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i
    return time.perf_counter() - start


def cpu_parallelism(workers: int) -> float:
    """How many times more pure-Python work ``workers`` processes do than one (ideal: workers)."""
    from concurrent.futures import ProcessPoolExecutor

    one = _burn(0)
    with ProcessPoolExecutor(workers) as pool:
        start = time.perf_counter()
        list(pool.map(_burn, range(workers)))
        many = time.perf_counter() - start
    return workers * one / many


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--skip-plain", action="store_true", help="skip plain nbgrader")
    parser.add_argument(
        "--repeats", type=int, default=2, help="(a): runs with and without the sandbox each"
    )
    args = parser.parse_args()
    ensure_tools_on_path()

    import nbgrader
    import torch

    with tempfile.TemporaryDirectory(prefix="gan-course-bench-") as tmp:
        tmp_path = Path(tmp)
        solutions = SOLUTIONS_DIR
        label = "solutions/"
        if not list_sources(solutions):
            import course_fixture

            solutions = tmp_path / "solutions"
            course_fixture.write_fixture_solutions(solutions)
            label = "the test fixture (solutions/ is empty)"
        notebooks = solved_notebooks(solutions, tmp_path)
        first = sorted(notebooks)[0]
        print(
            f"autograde speed: {os.cpu_count()} CPU cores, torch {torch.__version__}, "
            f"nbgrader {nbgrader.__version__}; notebooks from {label}: {', '.join(notebooks)}"
        )

        import statistics

        from course_lib.pipeline.sandbox import unavailable_reason

        one = write_submissions(tmp_path / "one", notebooks, 1)
        sides = [True, False] if unavailable_reason() is None else [False]
        times: dict[bool, list[float]] = {side: [] for side in sides}
        for i in range(args.repeats):
            for side in sides:
                course = tmp_path / f"course-one-{side}-{i}"
                times[side].append(timed_autograde(one, solutions, course, 2, sandbox=side))
        print(f"(a) one student's whole course ({len(notebooks)} notebook(s)), 2 workers:")
        for side in sides:
            median = statistics.median(times[side])
            runs = ", ".join(f"{t:.1f}" for t in times[side])
            verdict = "within" if median <= 60 else "OVER"
            name = "sandboxed    " if side else "not sandboxed"
            print(f"    {name}  median {median:5.1f} s ({verdict} the 60 s budget; runs {runs})")
        if len(sides) == 2:
            ratio = statistics.median(times[True]) / statistics.median(times[False])
            print(f"    sandbox cost: {ratio:.3f}x ({(ratio - 1) * 100:+.1f}%)")
        else:
            print(f"    (no sandbox here: {unavailable_reason()})")

        many = write_submissions(tmp_path / "many", {first: notebooks[first]}, args.submissions)
        print(
            f"(b) {args.submissions} submissions of {first} (this machine runs "
            f"{cpu_parallelism(args.workers):.2f}x the pure-Python work with {args.workers} "
            f"processes as with one):"
        )
        plain = None
        if not args.skip_plain:
            plain = timed_plain_nbgrader(many, solutions, tmp_path / "course-plain", first)
            print(f"    plain nbgrader autograde (serial):   {plain:6.1f} s")
        serial = timed_autograde(many, solutions, tmp_path / "course-serial", workers=1)
        print(f"    gan-course autograde --workers 1:    {serial:6.1f} s")
        parallel = timed_autograde(
            many, solutions, tmp_path / "course-parallel", workers=args.workers
        )
        line = (
            f"    gan-course autograde --workers {args.workers}:    {parallel:6.1f} s   "
            f"speed-up {serial / parallel:.2f}x over --workers 1"
        )
        if plain is not None:
            line += f", {plain / parallel:.2f}x over plain nbgrader"
        print(line)


if __name__ == "__main__":
    main()

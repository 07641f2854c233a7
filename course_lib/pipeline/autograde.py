"""``gan-course autograde SUBMISSIONS``: grade a class in parallel into one consistent gradebook.

``SUBMISSIONS`` is laid out like nbgrader's ``submitted/`` folder:
``SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb`` (a ``timestamp.txt`` next to it is used
for late penalties, as nbgrader does). Each assignment is one notebook of ``solutions/``.

How it works:

1. The course directory (the repository by default) is brought up to date: ``solutions/`` staged
   into ``source/`` and nbgrader's ``generate_assignment`` run, so its ``gradebook.db`` knows every
   assignment. A template of that setup, without students or solution text, is packed for the
   workers (:func:`course_lib.pipeline.grading_unit.pack_template`).
2. Every submission is read first. One that is not a notebook (corrupt JSON, empty, truncated) or
   is missing gets zero, with the reason, without a kernel. A notebook saved under another name
   (``Copy of 01_cgan_basics.ipynb``) is graded as the expected one, with a note.
3. Each other submission becomes one grading unit (its files as bytes) sent to a Dask cluster
   (:mod:`course_lib.pipeline.cluster`: a LocalCluster of one process per core, or an existing
   cluster). A worker grades it in a private scratch course directory with the course's robust
   preprocessors (:mod:`course_lib.pipeline.grading_unit`); a grading process that crashes or
   runs past ``unit_timeout`` is killed and replaced, and that submission is reported as a
   grading error (the run's exit status is then 1). A worker that dies has its unit run again
   elsewhere; a submission that kills every worker it runs on is graded 0 (status ``crashed``).
4. This process alone writes the course gradebook: as each submission finishes, its grades go into
   ``gradebook.db`` (manual scores already entered by a grader are kept), its autograded notebook
   into ``autograded/<student>/<assignment>/``, a report into ``autograded/.reports/`` and a row
   into the CSV. A killed run loses nothing already merged; the next run skips submissions whose
   file and source notebook have not changed (``force`` grades them again).

The CSV (``autograded/grades.csv`` by default) has one row per student and assignment: ``student,
assignment, notebook, score, max_score``, one column per exercise (blank for written answers not
graded yet), ``needs_manual_grade``, ``status`` (``graded``, ``unreadable``, ``missing``,
``error``, ``crashed``) and ``problems``. It is rewritten from the gradebook at the end of every
run, so it also shows scores entered in the formgrader since.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import io
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from course_lib.config import REPO_ROOT

from .cluster import (
    ALLOWED_FAILURES,
    REFRESH_SECONDS,
    Progress,
    cluster_workers,
    grading_client,
    run_token,
    running_units,
)
from .grading_unit import (
    Unit,
    grade_unit,
    pack_template,
    retry_key,
    shipped,
    started_topic,
    submission_files,
)
from .notebook_tools import NotebookReadError, exercises, fmt_points, read_notebook
from .release import SOLUTIONS_DIR, check_edition, generate_assignments, stage_sources
from .settings import ensure_tools_on_path, find_config_file, load_config

REPORTS_DIR = ".reports"
WORK_DIR = ".work"
CSV_NAME = "grades.csv"
FIXED_COLUMNS = ["student", "assignment", "notebook", "score", "max_score"]
TAIL_COLUMNS = ["needs_manual_grade", "status", "problems", "sandboxed", "review"]
#: Seconds one submission may take in a worker before the worker is killed.
UNIT_TIMEOUT = 900.0


class AutogradeError(Exception):
    """The run itself cannot proceed (no submissions folder, a broken source notebook, ...)."""


@dataclass
class AssignmentInfo:
    """What the CSV needs to know about one assignment (one notebook)."""

    name: str
    notebook: str
    max_score: float
    exercises: list[str]
    grade_to_exercise: dict[str, str]
    manual: set[str]
    digest: str


@dataclass
class Submission:
    """One student's submission of one assignment, as found on disk."""

    student: str
    assignment: str
    folder: Path
    notebook_path: Path | None
    digest: str
    problems: list[str] = field(default_factory=list)
    unreadable: str | None = None


@dataclass
class Record:
    """The outcome for one submission: a CSV row and the report kept next to the gradebook."""

    student: str
    assignment: str
    notebook: str
    status: str
    score: float
    max_score: float
    exercises: dict[str, float | None]
    needs_manual_grade: bool
    problems: list[str]
    seconds: float = 0.0
    digest: str = ""
    source_digest: str = ""
    sandboxed: bool = True
    review: list[str] = field(default_factory=list)

    def row(self, columns: list[str]) -> dict[str, str]:
        """The CSV row for ``columns`` (the fixed ones plus the exercises)."""
        row = {
            "student": self.student,
            "assignment": self.assignment,
            "notebook": self.notebook,
            "score": fmt_points(self.score),
            "max_score": fmt_points(self.max_score),
            "needs_manual_grade": "yes" if self.needs_manual_grade else "no",
            "status": self.status,
            "problems": "; ".join(self.problems),
            "sandboxed": "yes" if self.sandboxed else "not sandboxed",
            "review": "; ".join(self.review),
        }
        for name in columns:
            if name in self.exercises:
                value = self.exercises[name]
                row[name] = "" if value is None else fmt_points(value)
        return row


@dataclass
class AutogradeSummary:
    """What a run did."""

    records: list[Record]
    skipped: list[tuple[str, str]]
    warnings: list[str]
    csv_path: Path
    gradebook: Path
    seconds: float
    #: Seconds of the run's phases: ``cluster_start`` (until the cluster answers) and ``merge``
    #: (this process writing the answers of the units into the gradebook, reports and CSV).
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> list[Record]:
        """Submissions the pipeline failed to grade (not the students' fault)."""
        return [r for r in self.records if r.status == "error"]


# --------------------------------------------------------------------------- discovery


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        if path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def submissions_root(folder: str | Path) -> Path:
    """``folder`` itself, or its ``submitted/`` subfolder when ``folder`` is an nbgrader course."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AutogradeError(f"{folder}: no such folder")
    nested = folder / "submitted"
    is_course = any((folder / name).exists() for name in ("gradebook.db", "nbgrader_config.py"))
    return nested if nested.is_dir() and is_course else folder


def find_submissions(
    folder: Path, assignments: dict[str, AssignmentInfo], students: list[str] | None = None
) -> tuple[list[Submission], list[str]]:
    """The submissions under ``folder`` and warnings about what is not a submission."""
    found: list[Submission] = []
    warnings: list[str] = []
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        student = student_dir.name
        if student.startswith(".") or (students and student not in students):
            continue
        for adir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            if adir.name.startswith("."):
                continue
            info = assignments.get(adir.name)
            if info is None:
                warnings.append(
                    f"{student}: unknown assignment {adir.name!r} (no solutions/{adir.name}.ipynb)"
                )
                continue
            expected = adir / f"{info.notebook}.ipynb"
            problems: list[str] = []
            path: Path | None = expected if expected.is_file() else None
            if path is None:
                others = sorted(p for p in adir.glob("*.ipynb") if p.is_file())
                if len(others) == 1:
                    path = others[0]
                    problems.append(f"graded {path.name!r} as {expected.name!r}")
                elif others:
                    names = ", ".join(repr(p.name) for p in others)
                    problems.append(f"no {expected.name!r}; found {names}, none graded")
            digest = _digest([p for p in (path, adir / "timestamp.txt") if p is not None])
            found.append(Submission(student, adir.name, adir, path, digest, problems))
    return found, warnings


def check_readable(sub: Submission) -> None:
    """Set ``sub.unreadable`` when its notebook is missing or not a notebook."""
    if sub.notebook_path is None:
        if not sub.problems:
            sub.problems.append("no notebook submitted")
        sub.unreadable = "missing"
        return
    try:
        read_notebook(sub.notebook_path)
    except NotebookReadError as exc:
        sub.unreadable = "unreadable"
        sub.problems.append(f"notebook is not readable: {exc}")


# --------------------------------------------------------------------------- course directory


def assignment_infos(course_dir: Path, ids: list[str]) -> dict[str, AssignmentInfo]:
    """Exercises and points of each staged assignment."""
    infos: dict[str, AssignmentInfo] = {}
    for aid in ids:
        path = course_dir / "source" / aid / f"{aid}.ipynb"
        nb = read_notebook(path)
        exs = exercises(nb)
        infos[aid] = AssignmentInfo(
            name=aid,
            notebook=aid,
            max_score=sum(ex.points for ex in exs),
            exercises=[ex.name for ex in exs if ex.grade_ids],
            grade_to_exercise={gid: ex.name for ex in exs for gid in ex.grade_ids},
            manual={ex.name for ex in exs if ex.kind == "manual"},
            digest=_digest([path]),
        )
    return infos


def prepare_course(
    course_dir: Path, solutions_dir: Path, config_file: Path | None, lang: str = "en"
) -> dict[str, AssignmentInfo]:
    """Stage ``solutions_dir`` (edition ``lang``) into ``course_dir``; register every assignment
    in its gradebook."""
    ids = stage_sources(solutions_dir, course_dir, lang=lang)
    if not ids:
        raise AutogradeError(f"no source notebooks in {solutions_dir}")
    generate_assignments(course_dir, ids, config_file, lang)
    return assignment_infos(course_dir, ids)


def make_template(
    solutions_dir: Path, workdir: Path, config_file: Path | None, lang: str = "en"
) -> Path:
    """A course directory with the assignments (edition ``lang``) and no students, copied for
    every worker."""
    template = workdir / "template"
    ids = stage_sources(solutions_dir, template, lang=lang)
    generate_assignments(template, ids, config_file, lang)
    shutil.rmtree(template / "release", ignore_errors=True)
    return template


# --------------------------------------------------------------------------- workers


def threads_per_worker(n_workers: int, cores: int | None = None) -> int:
    """CPU threads for each of ``n_workers`` grading kernels: an equal share of the cores."""
    cores = cores or os.cpu_count() or 1
    return max(1, cores // max(1, n_workers))


def submission_review(course_dir: Path, sub: Submission) -> list[str]:
    """Cells of ``sub`` that reach for the grading machinery (see :mod:`.review`)."""
    from .review import review_flags

    if sub.notebook_path is None:
        return []
    try:
        nb = read_notebook(sub.notebook_path)
        source = read_notebook(course_dir / "source" / sub.assignment / f"{sub.assignment}.ipynb")
    except (NotebookReadError, OSError):
        return []
    return review_flags(nb, [c.source for c in source.cells if c.cell_type == "code"])


# --------------------------------------------------------------------------- gradebook


def _gradebook(course_dir: Path, config_file: Path | None) -> tuple[str, str]:
    from nbgrader.coursedir import CourseDirectory

    config = load_config(course_dir, config_file)
    coursedir = CourseDirectory(config=config)
    return coursedir.db_url, coursedir.course_id


def merge(
    db_url: str,
    course_id: str,
    sub: Submission,
    info: AssignmentInfo,
    outcome: dict[str, Any] | None,
) -> None:
    """Write one submission's grades into the course gradebook (manual scores are kept).

    Without a successful ``outcome`` (unreadable, missing, grading error) every grade is zero.
    """
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    entry = None
    if outcome is not None and outcome.get("success"):
        entry = outcome.get("notebooks", {}).get(info.notebook)
    with Gradebook(db_url, course_id) as gb, warnings.catch_warnings():
        # nbgrader's add_submission triggers harmless autoflush warnings on SQLAlchemy 2
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_student(sub.student)
        kwargs: dict[str, Any] = {}
        stamp = (outcome or {}).get("timestamp")
        if stamp:
            kwargs["timestamp"] = datetime.fromisoformat(stamp)
        gb.update_or_create_submission(sub.assignment, sub.student, **kwargs)
        snb = gb.find_submission_notebook(info.notebook, sub.assignment, sub.student)
        for grade in snb.grades:
            data = (entry or {}).get("grades", {}).get(grade.name)
            if data is None:
                grade.auto_score = 0.0
                grade.needs_manual_grade = False
            else:
                grade.auto_score = data["auto_score"]
                grade.needs_manual_grade = (
                    grade.manual_score is not None or data["auto_score"] is None
                )
        comments = (entry or {}).get("comments", {})
        for comment in snb.comments:
            if comment.name in comments:
                comment.auto_comment = comments[comment.name]
            elif entry is None:
                comment.auto_comment = "No response."
        if entry is not None:
            snb.late_submission_penalty = entry.get("late_submission_penalty")
        gb.db.commit()


def read_record(
    gb: Any, student: str, info: AssignmentInfo, status: str, problems: list[str]
) -> Record:
    """A submission's scores, read from the gradebook."""
    snb = gb.find_submission_notebook(info.notebook, info.name, student)
    per_exercise: dict[str, float | None] = {}
    open_exercises: set[str] = set()
    needs_manual = False
    total = 0.0
    for grade in snb.grades:
        name = info.grade_to_exercise.get(grade.name, grade.name)
        score = grade.score or 0.0
        if grade.manual_score is None and grade.auto_score is None:
            open_exercises.add(name)
        if grade.needs_manual_grade:
            needs_manual = True
        per_exercise[name] = (per_exercise.get(name) or 0.0) + float(score)
        total += float(score)
    for name in open_exercises:
        per_exercise[name] = None
    penalty = snb.late_submission_penalty or 0.0
    return Record(
        student=student,
        assignment=info.name,
        notebook=f"{info.notebook}.ipynb",
        status=status,
        score=max(0.0, total - penalty),
        max_score=info.max_score,
        exercises=per_exercise,
        needs_manual_grade=needs_manual,
        problems=problems,
    )


def outcome_problems(outcome: dict[str, Any], info: AssignmentInfo) -> list[str]:
    """The learner-facing problems a worker found."""
    problems: list[str] = []
    entry = outcome.get("notebooks", {}).get(info.notebook)
    if entry:
        problems += entry.get("problems", [])
    if outcome.get("reason"):
        problems.append(outcome["reason"])
    elif not outcome.get("success"):
        problems.append(f"grading error: {outcome.get('error', 'unknown')}")
    return problems


# --------------------------------------------------------------------------- CSV and reports


def exercise_columns(infos: dict[str, AssignmentInfo]) -> list[str]:
    """Exercise names in course order (an exercise shared by two notebooks appears once)."""
    columns: list[str] = []
    for info in infos.values():
        for name in info.exercises:
            if name not in columns and name not in FIXED_COLUMNS + TAIL_COLUMNS:
                columns.append(name)
    return columns


def csv_text(records: list[Record], columns: list[str]) -> str:
    """The whole CSV for ``records``."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, FIXED_COLUMNS + columns + TAIL_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for record in sorted(records, key=lambda r: (r.student, r.assignment)):
        writer.writerow(record.row(columns))
    return buf.getvalue()


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def report_path(course_dir: Path, student: str, assignment: str) -> Path:
    """Where the report of one submission is kept."""
    return course_dir / "autograded" / REPORTS_DIR / student / f"{assignment}.json"


def load_report(course_dir: Path, student: str, assignment: str) -> Record | None:
    """The report of an earlier run, if any."""
    path = report_path(course_dir, student, assignment)
    try:
        return Record(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def all_reports(course_dir: Path, infos: dict[str, AssignmentInfo]) -> list[Record]:
    """Reports of every submission graded so far, for the current assignments."""
    records = []
    root = course_dir / "autograded" / REPORTS_DIR
    for path in sorted(root.glob("*/*.json")) if root.is_dir() else []:
        if path.stem in infos:
            record = load_report(course_dir, path.parent.name, path.stem)
            if record is not None:
                records.append(record)
    return records


# --------------------------------------------------------------------------- the run


def autograde(
    submissions: str | Path,
    course_dir: str | Path = REPO_ROOT,
    solutions_dir: str | Path = SOLUTIONS_DIR,
    csv_path: str | Path | None = None,
    workers: int | None = None,
    force: bool = False,
    cell_timeout: float | None = None,
    unit_timeout: float = UNIT_TIMEOUT,
    students: list[str] | None = None,
    config_file: str | Path | None = None,
    log: Callable[[str], None] | None = None,
    sandbox: bool = True,
    scheduler: str | None = None,
    allowed_failures: int = ALLOWED_FAILURES,
    progress: bool = False,
    lang: str = "en",
) -> AutogradeSummary:
    """Grade every submission under ``submissions`` into ``course_dir``'s gradebook and a CSV.

    ``lang`` is the edition graded (``en``, ``ko``): its sources are staged (the Korean ones
    have the English grade ids, points and code, so the same answers score the same) and the
    kernels get ``GAN_COURSE_LANG`` set to it, so that the check messages in the graded
    notebooks and the feedback are in that language.

    Every kernel runs in the grading sandbox (:mod:`course_lib.pipeline.sandbox`); where it
    cannot run, the run is refused (:class:`AutogradeError`, one sentence saying how to install
    it) unless ``sandbox=False``, and then every report line and CSV row says "not sandboxed".

    The submissions are graded on a Dask cluster (:mod:`course_lib.pipeline.cluster`): a
    LocalCluster of ``workers`` processes (default: one per CPU core), or the one whose scheduler
    is at ``scheduler``. A submission that kills the worker grading it more than
    ``allowed_failures`` times (a LocalCluster's setting) is graded 0 with that reason (status
    ``crashed``); a unit that only waited on dying workers is sent again. ``progress`` shows a
    bar of units done, running and failed, with an ETA; the report lines (``log``, default:
    print) then go above it.
    """
    start = time.monotonic()
    check_edition(lang)
    if sandbox:
        from .sandbox import unavailable_reason

        reason = unavailable_reason()
        if reason:
            raise AutogradeError(reason)
    ensure_tools_on_path()
    course_dir = Path(course_dir).resolve()
    course_dir.mkdir(parents=True, exist_ok=True)
    solutions_dir = Path(solutions_dir).resolve()
    config = Path(config_file).resolve() if config_file else find_config_file(course_dir)
    csv_file = Path(csv_path) if csv_path else course_dir / "autograded" / CSV_NAME
    folder = submissions_root(submissions).resolve()
    with run_lock(course_dir):
        return _autograde(
            folder, course_dir, solutions_dir, config, csv_file, workers, force,
            cell_timeout, unit_timeout, students, log, start, sandbox, scheduler,
            allowed_failures, progress, lang,
        )  # fmt: skip


@contextlib.contextmanager
def run_lock(course_dir: Path) -> Iterator[None]:
    """One autograde run at a time per course directory (the lock goes with the process)."""
    path = course_dir / "autograded" / ".lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise AutogradeError(f"another autograde run is using {course_dir}") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _autograde(
    folder: Path,
    course_dir: Path,
    solutions_dir: Path,
    config: Path | None,
    csv_file: Path,
    workers: int | None,
    force: bool,
    cell_timeout: float | None,
    unit_timeout: float,
    students: list[str] | None,
    log: Callable[[str], None] | None,
    start: float,
    sandbox: bool = True,
    scheduler: str | None = None,
    allowed_failures: int = ALLOWED_FAILURES,
    show_progress: bool = False,
    lang: str = "en",
) -> AutogradeSummary:
    """The run itself, under the course directory's lock (see :func:`autograde`)."""
    progress = Progress(show_progress)
    timings: dict[str, float] = {}
    if log is None:
        log = progress.write
    infos = prepare_course(course_dir, solutions_dir, config, lang)
    db_url, course_id = _gradebook(course_dir, config)
    columns = exercise_columns(infos)
    found, warnings = find_submissions(folder, infos, students)
    for warning in warnings:
        log(f"warning: {warning}")

    todo: list[Submission] = []
    skipped: list[tuple[str, str]] = []
    for sub in found:
        previous = load_report(course_dir, sub.student, sub.assignment)
        if (
            not force
            and previous is not None
            and previous.status != "error"
            and previous.digest == sub.digest
            and previous.source_digest == infos[sub.assignment].digest
        ):
            skipped.append((sub.student, sub.assignment))
            continue
        todo.append(sub)
    if skipped:
        log(f"{len(skipped)} submission(s) already graded and unchanged: skipped (--force to redo)")

    _write_atomic(csv_file, csv_text(all_reports(course_dir, infos), columns))
    csv_lock = threading.Lock()
    records: list[Record] = []

    def finish(sub: Submission, status: str, outcome: dict[str, Any] | None, secs: float) -> None:
        from nbgrader.api import Gradebook

        info = infos[sub.assignment]
        merge(db_url, course_id, sub, info, outcome)
        problems = list(sub.problems)
        if outcome is not None:
            problems += outcome_problems(outcome, info)
        with Gradebook(db_url, course_id) as gb:
            record = read_record(gb, sub.student, info, status, problems)
        record.seconds = round(secs, 2)
        record.digest = sub.digest
        record.source_digest = info.digest
        record.sandboxed = sandbox
        record.review = submission_review(course_dir, sub)
        _write_atomic(
            report_path(course_dir, sub.student, sub.assignment), json.dumps(asdict(record))
        )
        with csv_lock, open(csv_file, "a", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(
                handle, FIXED_COLUMNS + columns + TAIL_COLUMNS, extrasaction="ignore"
            )
            writer.writerow(record.row(columns))
        records.append(record)
        note = "" if sandbox else " -- not sandboxed"
        note += f" -- {'; '.join(problems)}" if problems else ""
        if record.review:
            note += f" -- review: {'; '.join(record.review)}"
        log(
            f"{sub.student} / {sub.assignment}: {fmt_points(record.score)}"
            f"/{fmt_points(record.max_score)} [{status}, {secs:.1f} s]{note}"
        )

    runnable: list[Submission] = []
    for sub in todo:
        check_readable(sub)
        if sub.unreadable:
            finish(sub, sub.unreadable, None, 0.0)
        else:
            runnable.append(sub)

    if runnable:
        # scratch space of the template; a killed run leaves it behind, the next run clears it
        shutil.rmtree(course_dir / "autograded" / WORK_DIR, ignore_errors=True)
        workdir = course_dir / "autograded" / WORK_DIR / f"run-{os.getpid()}-{time.time_ns()}"
        workdir.mkdir(parents=True)
        try:
            template = pack_template(make_template(solutions_dir, workdir, config, lang))
        finally:
            shutil.rmtree(course_dir / "autograded" / WORK_DIR, ignore_errors=True)
        config_text = config.read_text(encoding="utf-8") if config is not None else None
        n_workers = max(1, min(workers or os.cpu_count() or 1, len(runnable)))
        t0 = time.monotonic()
        with grading_client(scheduler, n_workers, allowed_failures, log) as client:
            timings["cluster_start"] = time.monotonic() - t0
            threads = None if scheduler else threads_per_worker(n_workers)
            units = [
                (
                    sub,
                    Unit(
                        student=sub.student,
                        assignment=sub.assignment,
                        notebook=infos[sub.assignment].notebook,
                        files=submission_files(
                            sub.folder, sub.notebook_path, infos[sub.assignment].notebook
                        ),
                        config_text=config_text,
                        cell_timeout=cell_timeout,
                        unit_timeout=unit_timeout,
                        sandbox=sandbox,
                        threads=threads,
                        lang=lang,
                    ),
                )
                for sub in runnable
                if sub.notebook_path is not None
            ]
            log(f"grading {len(units)} submission(s) on {cluster_workers(client)} worker thread(s)")
            progress.start(len(units))
            try:
                _run_units(
                    client, units, template, course_dir, finish, progress, allowed_failures, timings
                )
            finally:
                progress.close()

    final = refresh_records(course_dir, infos, db_url, course_id)
    _write_atomic(csv_file, csv_text(final, columns))
    return AutogradeSummary(
        records=records,
        skipped=skipped,
        warnings=warnings,
        csv_path=csv_file,
        gradebook=course_dir / "gradebook.db",
        seconds=time.monotonic() - start,
        timings=timings,
    )


#: Times a unit is sent again after its workers died while it only waited on them.
REQUEUES = 3


def _killed_reason(times: int) -> str:
    count = "once" if times == 1 else f"{times} times"
    return (
        f"the submission killed the grading worker {count} (on every worker that ran it);"
        " graded 0"
    )


def _starts(client: Any, key: str) -> int:
    """How many times the tries of the unit ``key`` started running (their start events)."""
    try:
        return len(client.get_events(started_topic(key)))
    except Exception:
        return 0


def _run_units(
    client: Any,
    units: list[tuple[Submission, Unit]],
    template: bytes,
    course_dir: Path,
    finish: Callable[[Submission, str, dict[str, Any] | None, float], None],
    progress: Progress,
    allowed_failures: int | None,
    timings: dict[str, float],
) -> None:
    """Submit every unit to ``client``; merge each answer as it comes (this process only).

    Dask gives a unit up (``KilledWorker``) once the workers holding it died more than
    ``allowed-failures`` times, counting the deaths of workers it only waited on. The submission
    is graded 0 only when it was *running* on more than ``allowed-failures`` of them (each try
    says on the scheduler that it started); otherwise the unit is sent again under a new key, at
    most :data:`REQUEUES` times, then reported as a grading error to run again.
    """
    from distributed import wait
    from distributed.scheduler import KilledWorker

    token = run_token()
    # a task, not scattered data: a worker that dies holding it does not lose it for the others
    template_future = client.submit(shipped, template, key=f"template-{token}", pure=False)
    #: future -> (submission, unit, first key, requeues so far)
    futures: dict[Any, tuple[Submission, Unit, str, int]] = {}

    def send(sub: Submission, unit: Unit, first: str, requeues: int) -> Any:
        key = retry_key(first, requeues) if requeues else first
        future = client.submit(grade_unit, unit, template_future, key=key, pure=False)
        futures[future] = (sub, unit, first, requeues)
        return future

    pending = {
        send(sub, unit, f"grade-{i}-{sub.student}-{sub.assignment}-{token}", 0)
        for i, (sub, unit) in enumerate(units)
    }
    keys = {f.key for f in futures}
    progress.update(0, running_units(client, keys), 0)
    try:
        while pending:
            try:
                done, pending = wait(
                    pending, timeout=REFRESH_SECONDS, return_when="FIRST_COMPLETED"
                )
            except TimeoutError:  # nothing finished: refresh the bar
                progress.update(0, running_units(client, keys), 0)
                continue
            failures = finished = 0
            for future in done:
                merge_start = time.monotonic()
                sub, unit, first, requeues = futures.pop(future)
                keys.discard(future.key)
                dest = course_dir / "autograded" / sub.student / sub.assignment
                status, secs = "graded", 0.0
                try:
                    result = future.result()
                    outcome, secs = result["outcome"], result["seconds"]
                    shutil.rmtree(dest, ignore_errors=True)
                    if outcome.get("success"):
                        for name, data in result["files"].items():
                            target = dest / name
                            target.parent.mkdir(parents=True, exist_ok=True)
                            target.write_bytes(data)
                    else:
                        status = "error"
                except KilledWorker as exc:
                    tries = getattr(exc, "allowed_failures", allowed_failures)
                    starts = _starts(client, first)
                    shutil.rmtree(dest, ignore_errors=True)
                    if isinstance(tries, int) and starts <= tries and requeues < REQUEUES:
                        again = send(sub, unit, first, requeues + 1)
                        pending.add(again)
                        keys.add(again.key)
                        future.release()
                        continue
                    if starts > (tries if isinstance(tries, int) else 0):
                        status = "crashed"
                        outcome = {
                            "success": False,
                            "notebooks": {},
                            "crashed": True,
                            "reason": _killed_reason(starts),
                        }
                    else:
                        status = "error"
                        outcome = {
                            "success": False,
                            "notebooks": {},
                            "error": "the grading workers kept dying while this submission"
                            " waited for one (not the submission's doing)",
                        }
                except Exception as exc:  # the unit could not even run (pickling, a lost client)
                    shutil.rmtree(dest, ignore_errors=True)
                    status = "error"
                    outcome = {"success": False, "notebooks": {}, "error": f"{exc!r}"[:600]}
                failures += status != "graded"
                finished += 1
                finish(sub, status, outcome, secs)
                future.release()
                timings["merge"] = timings.get("merge", 0.0) + time.monotonic() - merge_start
            progress.update(finished, running_units(client, keys) if pending else 0, failures)
    except BaseException:
        client.cancel(list(pending))
        raise


def refresh_records(
    course_dir: Path, infos: dict[str, AssignmentInfo], db_url: str, course_id: str
) -> list[Record]:
    """Every report, with its scores re-read from the gradebook (manual grades included)."""
    from nbgrader.api import Gradebook, MissingEntry

    records = []
    with Gradebook(db_url, course_id) as gb:
        for old in all_reports(course_dir, infos):
            try:
                fresh = read_record(
                    gb, old.student, infos[old.assignment], old.status, old.problems
                )
            except MissingEntry:
                continue
            fresh.seconds, fresh.digest, fresh.source_digest = (
                old.seconds,
                old.digest,
                old.source_digest,
            )
            fresh.sandboxed, fresh.review = old.sandboxed, old.review
            records.append(fresh)
    return records

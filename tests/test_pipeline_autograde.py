"""Round trip through real nbgrader, real kernels and a real gradebook with the fixture assignment.

One batch grades every kind of submission at once (solutions, untouched, one exercise undone,
edited and deleted test cells, infinite loops with and without SIGINT ignored, a hang in C code,
a syntax error, a 50 MB print, a replaced checker, a deleted setup cell, a corrupt file, a renamed
file, a missing notebook); the tests then read the CSV, the gradebook and the feedback.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import course_fixture as cf  # noqa: E402

from course_lib.pipeline.autograde import autograde  # noqa: E402
from course_lib.pipeline.feedback import generate_feedback  # noqa: E402
from course_lib.pipeline.notebook_tools import read_notebook  # noqa: E402
from course_lib.pipeline.release import release  # noqa: E402
from course_lib.pipeline.sandbox import unavailable_reason  # noqa: E402

CELL_TIMEOUT = 8
#: The batch runs in the grading sandbox where it can; the kernel then cannot reach its grader.
SANDBOX = unavailable_reason() is None
ROOT = Path(__file__).resolve().parent.parent


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def _make_course(root: Path) -> SimpleNamespace:
    solutions = root / "solutions"
    notebooks = root / "notebooks"
    cf.write_fixture_solutions(solutions)
    release(solutions, notebooks)
    student_nb = read_notebook(notebooks / f"{cf.NAME}.ipynb")
    return SimpleNamespace(solutions=solutions, notebooks=notebooks, student_nb=student_nb)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("autograde")
    course = _make_course(root)
    submitted = cf.write_submissions(root / "submitted", course.student_nb)
    renamed = submitted / "renamed" / cf.NAME
    renamed.mkdir(parents=True)
    (renamed / f"Copy of {cf.NAME}.ipynb").write_text(
        json.dumps(cf.solved(course.student_nb)), encoding="utf-8"
    )
    (submitted / "missing" / cf.NAME).mkdir(parents=True)
    log: list[str] = []
    start = time.monotonic()
    summary = autograde(
        submitted,
        course_dir=root / "course",
        solutions_dir=course.solutions,
        workers=2,
        cell_timeout=CELL_TIMEOUT,
        log=log.append,
        sandbox=SANDBOX,
    )
    return SimpleNamespace(
        root=root,
        course_dir=root / "course",
        submitted=submitted,
        solutions=course.solutions,
        summary=summary,
        rows=_rows(summary.csv_path),
        log=log,
        seconds=time.monotonic() - start,
    )


EXPECTED = {**cf.EXPECTED, "renamed": cf.AUTO_TOTAL, "missing": 0.0}
if SANDBOX:  # the kill misses (the grader is outside the kernel's PID namespace)
    EXPECTED["kills_grader"] = cf.AUTO_TOTAL - cf.POINTS["normalize_pixels"]


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_submission_gets_exactly_its_points(graded, student):
    row = graded.rows[student]
    assert float(row["score"]) == EXPECTED[student], (row, graded.log)
    assert float(row["max_score"]) == cf.MAX_SCORE


def test_solutions_score_full_marks_on_every_exercise(graded):
    row = graded.rows["solved"]
    for name, value in cf.POINTS.items():
        assert float(row[name]) == value
    assert row["why_one_hot"] == "" and row["needs_manual_grade"] == "yes"
    assert row["status"] == "graded" and row["problems"] == ""


def test_one_undone_or_broken_exercise_costs_only_its_points(graded):
    rows = graded.rows
    cost = {
        "one_undone": "combine_vectors",
        "loop": "combine_vectors",
        "sigint_loop": "normalize_pixels",
        "sleeper": "normalize_pixels",
        "syntax_error": "normalize_pixels",
        "edited_tests": "get_one_hot_labels",
        "deleted_tests": "get_one_hot_labels",
        "checker_replaced": "get_one_hot_labels",
        "kernel_exit": "normalize_pixels",
        "copied_cells": "get_one_hot_labels",
    }
    if SANDBOX:
        cost["kills_grader"] = "normalize_pixels"
    for student, lost in cost.items():
        for name, value in cf.POINTS.items():
            expected = 0.0 if name == lost else value
            assert float(rows[student][name]) == expected, (student, name, rows[student])


def test_untouched_and_unreadable_notebooks_score_zero_without_stopping_the_batch(graded):
    assert graded.rows["untouched"]["status"] == "graded"
    assert graded.rows["corrupt"]["status"] == "unreadable"
    assert "not valid JSON" in graded.rows["corrupt"]["problems"]
    assert graded.rows["missing"]["status"] == "missing"
    assert set(graded.rows) == set(EXPECTED)


def test_a_submission_that_kills_its_grader_is_reported_and_the_rest_graded(graded):
    row = graded.rows["kills_grader"]
    if SANDBOX:
        assert row["status"] == "graded" and "crashed" not in row["problems"]
        assert row["sandboxed"] == "yes" and "signals" in row["review"]
        assert graded.summary.errors == []
    else:
        assert row["status"] == "error" and "the grading process crashed" in row["problems"]
        assert [r.student for r in graded.summary.errors] == ["kills_grader"]
        assert row["sandboxed"] == "not sandboxed"


def test_the_csv_has_one_column_per_exercise(graded):
    with open(graded.summary.csv_path, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == [
        "student", "assignment", "notebook", "score", "max_score",
        "get_one_hot_labels", "combine_vectors", "normalize_pixels", "why_one_hot",
        "needs_manual_grade", "status", "problems", "sandboxed", "review",
    ]  # fmt: skip
    assert graded.rows["solved"]["assignment"] == cf.NAME
    assert graded.rows["solved"]["notebook"] == f"{cf.NAME}.ipynb"


def test_the_gradebook_agrees_with_the_csv(graded):
    from nbgrader.api import Gradebook

    db = f"sqlite:///{graded.course_dir / 'gradebook.db'}"
    with Gradebook(db) as gb:
        for student, expected in EXPECTED.items():
            submission = gb.find_submission(cf.NAME, student)
            assert submission.score == pytest.approx(expected), student
            grades = {g.name: g for g in submission.notebooks[0].grades}
            assert grades["test_get_one_hot_labels"].max_score == 3
        assert len(gb.students) == len(EXPECTED)


def test_problems_are_reported_per_student(graded):
    problems = {s: row["problems"] for s, row in graded.rows.items()}
    assert "stopped" in problems["loop"] and "stopped" in problems["sigint_loop"]
    assert "restarted" in problems["sleeper"]
    assert "SyntaxError" in problems["syntax_error"]
    assert "test_get_one_hot_labels was deleted" in problems["deleted_tests"]
    assert "test_get_one_hot_labels (read-only) was edited" in problems["edited_tests"]
    assert "setup was deleted" in problems["deleted_setup"]
    assert "the kernel died" in problems["kernel_exit"]
    assert "test_get_one_hot_labels appears 2 times" in problems["copied_cells"]
    assert "truncated" in problems["huge_output"]
    assert "graded 'Copy of 00_fixture.ipynb'" in problems["renamed"]
    assert problems["solved"] == problems["untouched"] == problems["one_undone"] == ""
    assert any(line.startswith("corrupt / 00_fixture: 0/8") for line in graded.log)


def test_huge_output_does_not_blow_up_the_autograded_notebook(graded):
    path = graded.course_dir / "autograded" / "huge_output" / cf.NAME / f"{cf.NAME}.ipynb"
    assert path.stat().st_size < 1_000_000


def test_a_rerun_skips_what_is_graded_and_keeps_the_csv(graded):
    before = _rows(graded.summary.csv_path)
    log: list[str] = []
    summary = autograde(
        graded.submitted,
        course_dir=graded.course_dir,
        solutions_dir=graded.solutions,
        workers=2,
        cell_timeout=CELL_TIMEOUT,
        log=log.append,
        sandbox=SANDBOX,
    )
    # only a grading error (without the sandbox: the submission that killed its grader) is
    # tried again
    retried = [] if SANDBOX else ["kills_grader"]
    assert [r.student for r in summary.records] == retried
    assert len(summary.skipped) == len(EXPECTED) - len(retried)
    after = _rows(summary.csv_path)
    assert {s: r for s, r in after.items() if s not in retried} == {
        s: r for s, r in before.items() if s not in retried
    }


def test_feedback_shows_failures_but_not_hidden_tests(graded):
    result = generate_feedback(
        graded.course_dir, students=["solved", "checker_replaced", "corrupt"]
    )
    assert result.problems == []
    pages = {p.parent.parent.name: p.read_text(encoding="utf-8") for p in result.written}
    assert set(pages) == {"solved", "checker_replaced", "corrupt"}
    for page in pages.values():
        assert cf.HIDDEN_MARKER not in page
        assert "wrong shape for 7 classes" not in page
    assert "Your get_one_hot_labels returns" in pages["checker_replaced"]
    assert "hidden tests ran here" in pages["checker_replaced"]
    assert "not valid JSON" in pages["corrupt"]


def test_nbgrader_default_feedback_would_show_hidden_tests(graded, tmp_path):
    """The problem the course's feedback fixes: plain generate_feedback shows hidden tests."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.converters import GenerateFeedback
    from nbgrader.preprocessors import GetGrades

    from course_lib.pipeline.settings import ensure_tools_on_path, load_config, run_converter

    ensure_tools_on_path()
    config = load_config(graded.course_dir)
    config.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor]
    config.CourseDirectory.feedback_directory = str(tmp_path / "plain-feedback")
    assert run_converter(GenerateFeedback, config, cf.NAME, "solved", force=True)["success"]
    page = next((tmp_path / "plain-feedback").rglob("*.html")).read_text(encoding="utf-8")
    assert cf.HIDDEN_MARKER in page


def test_a_submission_running_past_the_unit_timeout_is_stopped(tmp_path):
    course = _make_course(tmp_path)
    submitted = cf.write_submissions(tmp_path / "submitted", course.student_nb, only=["solved"])
    summary = autograde(
        submitted,
        course_dir=tmp_path / "course",
        solutions_dir=course.solutions,
        workers=1,
        unit_timeout=1,
        log=lambda _: None,
        sandbox=SANDBOX,
    )
    (record,) = summary.records
    assert record.status == "error" and record.score == 0
    assert "grading took longer than 1 s and was stopped" in record.problems[0]
    again = autograde(
        submitted,
        course_dir=tmp_path / "course",
        solutions_dir=course.solutions,
        workers=1,
        log=lambda _: None,
        sandbox=SANDBOX,
    )
    # a grading error is graded again by the next run
    assert [(r.student, r.status, r.score) for r in again.records] == [
        ("solved", "graded", cf.AUTO_TOTAL)
    ]


def test_a_killed_run_keeps_every_grade_already_written(tmp_path):
    course = _make_course(tmp_path)
    submitted = cf.write_submissions(
        tmp_path / "submitted", course.student_nb, only=["solved", "one_undone"]
    )
    course_dir = tmp_path / "course"
    csv_path = course_dir / "autograded" / "grades.csv"
    cmd = [
        sys.executable, "-m", "course_lib.cli", "autograde", str(submitted),
        "--course-dir", str(course_dir), "--solutions", str(course.solutions),
        "--workers", "1", "--cell-timeout", str(CELL_TIMEOUT),
        *([] if SANDBOX else ["--no-sandbox"]),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if csv_path.exists() and len(_rows(csv_path)) >= 1:
                break
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    first = _rows(csv_path)
    assert len(first) == 1
    (student,) = first
    assert float(first[student]["score"]) == cf.EXPECTED[student]

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        assert gb.find_submission(cf.NAME, student).score == pytest.approx(cf.EXPECTED[student])

    summary = autograde(
        submitted,
        course_dir=course_dir,
        solutions_dir=course.solutions,
        workers=2,
        cell_timeout=CELL_TIMEOUT,
        log=lambda _: None,
        sandbox=SANDBOX,
    )
    assert summary.skipped == [(student, cf.NAME)]
    rows = _rows(csv_path)
    assert {s: float(r["score"]) for s, r in rows.items()} == {
        s: cf.EXPECTED[s] for s in ("solved", "one_undone")
    }

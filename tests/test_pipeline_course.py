"""Round trip of every course notebook in ``solutions/`` through the real autograder.

For each notebook: its solutions score full marks, the untouched student notebook scores 0, and
the student notebook with every exercise answered but the first loses exactly that exercise's
points. All notebooks are graded in one batch with the settings of ``nbgrader_config.py`` (30 s
per cell); each notebook must grade in under 60 s.
"""

from __future__ import annotations

import copy
import csv
import json
from types import SimpleNamespace

import pytest
from nbformat import NotebookNode

from course_lib.pipeline import notebook_tools as nt
from course_lib.pipeline.autograde import autograde
from course_lib.pipeline.release import SOLUTIONS_DIR, build_student_notebooks, list_sources

SOURCES = list_sources(SOLUTIONS_DIR)
NAMES = [p.stem for p in SOURCES]


def _solution_text(source: str) -> str:
    lines = source.split("\n")
    keep = [ln for ln in lines if nt.BEGIN_SOLUTION not in ln and nt.END_SOLUTION not in ln]
    return "\n".join(keep)


def solve(
    student: NotebookNode, source: NotebookNode, skip: frozenset[str] = frozenset()
) -> NotebookNode:
    """The student notebook with every answer (but ``skip``) taken from the source notebook."""
    answers = {nt.grade_id(c): c.source for c in source.cells if nt.is_answer(c) or nt.is_manual(c)}
    solved = copy.deepcopy(student)
    for cell in solved.cells:
        gid = nt.grade_id(cell)
        if gid in answers and gid not in skip:
            cell.source = _solution_text(answers[gid])
    return solved


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    if not SOURCES:
        pytest.skip("no course notebooks in solutions/ yet")
    root = tmp_path_factory.mktemp("course-notebooks")
    student_nbs = build_student_notebooks(SOLUTIONS_DIR, root / "build")
    expected: dict[tuple[str, str], float] = {}
    for name in NAMES:
        source = nt.read_notebook(root / "build" / "source" / name / f"{name}.ipynb")
        student = student_nbs[name]
        exercises = [ex for ex in nt.exercises(source) if ex.kind == "auto" and ex.grade_ids]
        auto_total = sum(ex.points for ex in exercises)
        first = exercises[0]
        variants = {
            "solved": (solve(student, source), auto_total),
            "untouched": (student, 0.0),
            "one_undone": (
                solve(student, source, skip=frozenset({first.answer_id or first.name})),
                auto_total - first.points,
            ),
        }
        for who, (nb, score) in variants.items():
            target = root / "submitted" / who / name / f"{name}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(nb), encoding="utf-8")
            expected[(who, name)] = score
    summary = autograde(
        root / "submitted",
        course_dir=root / "gradebook",
        solutions_dir=SOLUTIONS_DIR,
        log=lambda _: None,
    )
    with open(summary.csv_path, newline="", encoding="utf-8") as handle:
        rows = {(r["student"], r["assignment"]): r for r in csv.DictReader(handle)}
    return SimpleNamespace(summary=summary, rows=rows, expected=expected)


@pytest.mark.parametrize("name", NAMES or ["(none)"])
@pytest.mark.parametrize("who", ["solved", "untouched", "one_undone"])
def test_course_notebook_round_trip(course, who, name):
    row = course.rows[(who, name)]
    assert row["status"] == "graded", row
    assert float(row["score"]) == pytest.approx(course.expected[(who, name)]), row


@pytest.mark.parametrize("name", NAMES or ["(none)"])
def test_course_notebook_grades_within_its_time_budget(course, name):
    record = next(
        r for r in course.summary.records if r.student == "solved" and r.assignment == name
    )
    assert record.seconds < 60, f"{name} took {record.seconds:.0f} s to grade in fast mode"

"""``gan-course feedback``: per-student feedback HTML that never shows the hidden tests.

nbgrader 0.9's ``generate_feedback`` renders the autograded notebook as it ran, and the autograder
puts the hidden tests back into the test cells (they are how the credit was computed), so the
learner would read every hidden test and, in tracebacks, the line that failed. Here the course's
:class:`~course_lib.pipeline.preprocessors.HideHiddenTests` runs first: hidden-test blocks become a
comment, and errors of test cells with hidden tests show the exception and its message (the
learner-facing message of ``check``) without the traceback. Each page is then verified: if any
hidden-test line can be found in its text, the page is deleted and reported.

Submissions that could not be graded (not a notebook, missing) get a short page with the reason.

The pages follow the notebook's language (its setup cell's ``start(..., lang="ko")``, else
``GAN_COURSE_LANG``, else English): the note where hidden tests were, and the short page's
text (in the language of ``GAN_COURSE_LANG`` or ``lang``, as there is no notebook to ask).
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.config import REPO_ROOT
from course_lib.i18n import N_, gettext_in

from .autograde import REPORTS_DIR, load_report
from .notebook_tools import hidden_test_lines, report_language, strip_hidden_tests
from .settings import ensure_tools_on_path, load_config, run_converter

TAG_RE = re.compile(r"<[^>]+>")
SPACE_RE = re.compile(r"\s+")


class FeedbackError(Exception):
    """Feedback could not be generated."""


@dataclass
class FeedbackResult:
    """Pages written and problems met."""

    written: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def visible_text(page: str) -> str:
    """The text a reader of an HTML page can see (tags removed, entities decoded, spaces folded)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return SPACE_RE.sub(" ", html.unescape(TAG_RE.sub(" ", page)))


def _squash(text: str) -> str:
    return SPACE_RE.sub("", text)


def leaked_lines(page: str, hidden: list[str]) -> list[str]:
    """Hidden-test lines that can be read in ``page`` (spacing ignored)."""
    text = _squash(visible_text(page))
    raw = _squash(html.unescape(page))
    return [line for line in hidden if len(_squash(line)) >= 8 and _squash(line) in text + raw]


def hidden_lines_by_assignment(db_url: str, course_id: str) -> dict[tuple[str, str], list[str]]:
    """Hidden-test lines of every notebook in the gradebook, by (assignment, notebook).

    Lines that also appear outside the hidden blocks are left out (they are not secret).
    """
    from nbgrader.api import Gradebook

    found: dict[tuple[str, str], list[str]] = {}
    with Gradebook(db_url, course_id) as gb:
        for assignment in gb.assignments:
            for notebook in assignment.notebooks:
                lines: list[str] = []
                shown: set[str] = set()
                for cell in notebook.source_cells:
                    lines += hidden_test_lines(cell.source or "")
                    visible = strip_hidden_tests(cell.source or "", note=None)
                    shown |= {line.strip() for line in visible.split("\n")}
                found[(assignment.name, notebook.name)] = [x for x in lines if x not in shown]
    return found


def _unreadable_page(student: str, assignment: str, problems: list[str], lang: str = "en") -> str:
    names = {"assignment": html.escape(assignment), "student": html.escape(student)}
    title = gettext_in(lang, N_("{assignment} feedback")).format(**names)
    heading = gettext_in(lang, N_("{assignment}: feedback for {student}")).format(**names)
    reason = gettext_in(lang, N_("Your submission could not be graded, so it scored 0:"))
    items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    items = items or "<li>" + gettext_in(lang, N_("no notebook")) + "</li>"
    return (
        f"<!DOCTYPE html>\n<html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{title}</title></head><body><h1>{heading}</h1><p>{reason}</p>"
        f"<ul>{items}</ul></body></html>\n"
    )


def generate_feedback(
    course_dir: str | Path = REPO_ROOT,
    students: list[str] | None = None,
    assignments: list[str] | None = None,
    config_file: str | Path | None = None,
    log: Callable[[str], None] = print,
    lang: str | None = None,
) -> FeedbackResult:
    """Write ``feedback/<student>/<assignment>/<notebook>.html`` for every graded submission.

    ``lang`` is the language of the pages of submissions that could not be graded (default:
    ``GAN_COURSE_LANG``, else English); the other pages follow their notebook's language, and
    ``lang`` where their notebook does not choose one.
    """
    from .execute import environment

    with environment(GAN_COURSE_LANG=lang or None) if lang else contextlib.nullcontext():
        return _generate_feedback(course_dir, students, assignments, config_file, log, lang)


def _generate_feedback(
    course_dir: str | Path,
    students: list[str] | None,
    assignments: list[str] | None,
    config_file: str | Path | None,
    log: Callable[[str], None],
    lang: str | None,
) -> FeedbackResult:
    ensure_tools_on_path()
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory

    course_dir = Path(course_dir).resolve()
    autograded = course_dir / "autograded"
    if not autograded.is_dir():
        raise FeedbackError(f"nothing autograded yet in {course_dir} (run gan-course autograde)")
    config = load_config(course_dir, config_file)
    coursedir = CourseDirectory(config=config)
    hidden = hidden_lines_by_assignment(coursedir.db_url, coursedir.course_id)
    known = {aid for aid, _ in hidden}
    result = FeedbackResult()
    pairs: list[tuple[str, str]] = []
    for student_dir in sorted(p for p in autograded.iterdir() if p.is_dir()):
        if student_dir.name.startswith(".") or (students and student_dir.name not in students):
            continue
        for adir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            if adir.name in known and (not assignments or adir.name in assignments):
                pairs.append((student_dir.name, adir.name))
    reports = autograded / REPORTS_DIR
    if reports.is_dir():
        for path in sorted(reports.glob("*/*.json")):
            student, aid = path.parent.name, path.stem
            if (student, aid) in pairs or aid not in known:
                continue
            if (students and student not in students) or (assignments and aid not in assignments):
                continue
            record = load_report(course_dir, student, aid)
            if record is not None and record.status in ("unreadable", "missing"):
                page = course_dir / "feedback" / student / aid / f"{aid}.html"
                page.parent.mkdir(parents=True, exist_ok=True)
                text = _unreadable_page(student, aid, record.problems, report_language(None, lang))
                page.write_text(text, encoding="utf-8")
                result.written.append(page)
    for student, aid in pairs:
        outcome = run_converter(GenerateFeedback, config, aid, student, force=True)
        if not outcome.get("success"):
            error = (outcome.get("error") or "").strip().splitlines()
            result.problems.append(
                f"{student} / {aid}: feedback failed: {error[-1] if error else 'unknown error'}"
            )
            continue
        folder = course_dir / "feedback" / student / aid
        for page in sorted(folder.glob("*.html")):
            leaks = leaked_lines(page.read_text(encoding="utf-8"), hidden.get((aid, page.stem), []))
            if leaks:
                page.unlink()
                result.problems.append(
                    f"{student} / {aid}: {page.name} showed hidden tests ({leaks[0]!r}); removed"
                )
            else:
                result.written.append(page)
    log(f"{len(result.written)} feedback page(s) written under {course_dir / 'feedback'}")
    for problem in result.problems:
        log(f"problem: {problem}")
    return result

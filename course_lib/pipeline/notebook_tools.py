"""Shared notebook helpers: robust reading, nbgrader metadata, exercises and points, placeholders.

An *exercise* is what a learner gets credit for and what the grades CSV has a column for:

* an autograded exercise ``<name>`` is an answer cell with grade id ``<name>`` together with its
  test cells ``test_<name>`` and ``test_<name>_<suffix>``; its points are the sum of theirs;
* a written answer graded by hand is one cell with grade id ``<name>`` (nbgrader "manually graded
  answer"); its points are that cell's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
from nbformat import NotebookNode

from course_lib.i18n import N_, gettext_in

if TYPE_CHECKING:
    from course_lib.config import Repository

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"
END_HIDDEN_TESTS = "### END HIDDEN TESTS"
#: Test cells import the checker afresh, so that rebinding ``check`` in an answer gains nothing.
CHECK_IMPORT = "from course_lib.grading import check"
#: What the feedback shows where hidden tests were (in English; :func:`hidden_tests_note`).
HIDDEN_TESTS_NOTE = N_("# (hidden tests ran here; they are not shown)")
#: The language a notebook's setup cell chooses: ``start(..., lang="ko")``.
SETUP_LANG_RE = re.compile(
    r"\bstart\((?:[^()]|\([^()]*\))*?\blang\s*=\s*[\"']([A-Za-z_.-]+)[\"']"
)  # the arguments may hold a call: start("digits", real="mnist" if on_colab() else None, ...)

#: ``{{NAME}}`` placeholders the release command fills in (see :func:`placeholder_values`).
PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Z][A-Z0-9_]*)\s*\}\}")
#: First line of a test cell that states its points, kept up to date by the release command
#: (the English ``# Check x (2 points)`` or the Korean ``# x 검사 (2점)``).
POINTS_LINE_RE = re.compile(
    r"^# (?:Check .*\(\d+(?:\.\d+)? points?\)|.+ 검사 \(\d+(?:\.\d+)?점\))\s*$"
)
#: The words of the points lines and the points table in each edition's language.
EDITION_WORDS = {
    "en": {
        "exercise": "exercise",
        "points": "points",
        "by_hand": " (graded by hand)",
        "total": "total",
    },
    "ko": {
        "exercise": "실습 문제",
        "points": "배점",
        "by_hand": " (서술형 답안, 사람이 채점)",
        "total": "합계",
    },
}


class NotebookReadError(Exception):
    """A file that cannot be read as a Jupyter notebook; the message is meant for people."""


def read_notebook(path: str | Path) -> NotebookNode:
    """Read a notebook, raising :class:`NotebookReadError` with a plain explanation if broken."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise NotebookReadError(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    if not raw.strip():
        raise NotebookReadError(f"{path.name} is empty")
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise NotebookReadError(f"{path.name} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookReadError(f"{path.name} is JSON but not a Jupyter notebook (no cell list)")
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
    except Exception as exc:  # nbformat raises several kinds on malformed notebooks
        raise NotebookReadError(f"{path.name} is not a valid notebook: {exc}") from exc
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NotebookReadError(
            f"{path.name} does not follow the notebook format: {message}"
        ) from exc
    return nb


def write_notebook(nb: NotebookNode, path: str | Path) -> None:
    """Write a notebook the way the repository stores them (nbformat 4, one-space indent)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(notebook_text(nb), encoding="utf-8")


def notebook_text(nb: NotebookNode) -> str:
    """The exact text :func:`write_notebook` writes, for comparisons."""
    return nbformat.writes(nb, version=4) + "\n"


# --------------------------------------------------------------------------- nbgrader metadata


def nbgrader_meta(cell: NotebookNode) -> dict[str, Any]:
    """The cell's ``metadata.nbgrader`` dict (empty when absent)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def grade_id(cell: NotebookNode) -> str | None:
    """The cell's nbgrader grade id, if any."""
    return nbgrader_meta(cell).get("grade_id")


def is_answer(cell: NotebookNode) -> bool:
    """An autograded answer cell (solution, not graded itself)."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("solution")) and not meta.get("grade")


def is_test(cell: NotebookNode) -> bool:
    """An autograder test cell (graded code cell that is not a solution)."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"


def is_manual(cell: NotebookNode) -> bool:
    """A written (or code) answer graded by hand."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and bool(meta.get("solution"))


def is_locked(cell: NotebookNode) -> bool:
    """A read-only cell (nbgrader ``locked``; test cells are always locked)."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("locked")) or is_test(cell)


def points(cell: NotebookNode) -> float:
    """Points of a graded cell (0 for other cells)."""
    meta = nbgrader_meta(cell)
    if not meta.get("grade"):
        return 0.0
    try:
        return float(meta.get("points", 0) or 0)
    except (TypeError, ValueError):
        return 0.0


def exercise_name(test_grade_id: str, answer_ids: Iterable[str]) -> str:
    """The exercise a test cell belongs to: ``test_<name>`` / ``test_<name>_<suffix>``.

    The longest answer grade id that the rest of the test id starts with wins; without one, the
    rest of the test id is the exercise name.
    """
    rest = test_grade_id[5:] if test_grade_id.startswith("test_") else test_grade_id
    best = ""
    for answer in answer_ids:
        if (rest == answer or rest.startswith(answer + "_")) and len(answer) > len(best):
            best = answer
    return best or rest


@dataclass
class Exercise:
    """One exercise of a notebook and the graded cells that make up its points."""

    name: str
    kind: str  # "auto" or "manual"
    points: float = 0.0
    grade_ids: list[str] = field(default_factory=list)
    answer_id: str | None = None


def exercises(nb: NotebookNode) -> list[Exercise]:
    """The notebook's exercises in order of first appearance."""
    answer_ids = [gid for c in nb.cells if is_answer(c) and (gid := grade_id(c))]
    found: dict[str, Exercise] = {}
    for cell in nb.cells:
        gid = grade_id(cell)
        if not gid:
            continue
        if is_answer(cell):
            found.setdefault(gid, Exercise(gid, "auto", answer_id=gid))
        elif is_test(cell):
            name = exercise_name(gid, answer_ids)
            ex = found.setdefault(name, Exercise(name, "auto"))
            ex.points += points(cell)
            ex.grade_ids.append(gid)
        elif is_manual(cell):
            ex = found.setdefault(gid, Exercise(gid, "manual"))
            ex.kind = "manual"
            ex.points += points(cell)
            ex.grade_ids.append(gid)
    return [ex for ex in found.values() if ex.grade_ids or ex.kind == "auto"]


def grade_to_exercise(nb: NotebookNode) -> dict[str, str]:
    """Map every graded cell's grade id to its exercise name."""
    return {gid: ex.name for ex in exercises(nb) for gid in ex.grade_ids}


def max_score(nb: NotebookNode) -> float:
    """Total points of a notebook."""
    return sum(points(c) for c in nb.cells)


def fmt_points(value: float) -> str:
    """``2`` rather than ``2.0``; ``1.5`` stays."""
    return f"{value:g}"


# --------------------------------------------------------------------------- sources


def strip_hidden_tests(source: str, note: str | None = HIDDEN_TESTS_NOTE) -> str:
    """Remove every ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block.

    Each removed block is replaced by ``note`` (a comment, at the block's indentation) unless
    ``note`` is None. An unterminated block is removed to the end of the cell.
    """
    out: list[str] = []
    hidden = False
    for line in source.split("\n"):
        if BEGIN_HIDDEN_TESTS in line:
            hidden = True
            if note:
                indent = line[: len(line) - len(line.lstrip())]
                out.append(indent + note)
            continue
        if END_HIDDEN_TESTS in line:
            hidden = False
            continue
        if not hidden:
            out.append(line)
    return "\n".join(out)


def has_hidden_tests(source: str) -> bool:
    """Whether a cell source contains a hidden-tests block."""
    return BEGIN_HIDDEN_TESTS in source


def hidden_test_lines(source: str) -> list[str]:
    """The non-empty source lines inside hidden-test blocks (used to verify they never leak)."""
    lines: list[str] = []
    hidden = False
    for line in source.split("\n"):
        if BEGIN_HIDDEN_TESTS in line:
            hidden = True
        elif END_HIDDEN_TESTS in line:
            hidden = False
        elif hidden and line.strip():
            lines.append(line.strip())
    return lines


def notebook_language(nb: NotebookNode) -> str | None:
    """The language the notebook's setup cell chooses (``start(..., lang="ko")``), else None."""
    from course_lib.i18n import normalise

    for cell in nb.cells:
        if cell.cell_type == "code" and grade_id(cell) == "setup":
            match = SETUP_LANG_RE.search(cell.source)
            if match:
                try:
                    return normalise(match.group(1))
                except ValueError:
                    return None
    return None


def hidden_tests_note(lang: str = "en") -> str:
    """:data:`HIDDEN_TESTS_NOTE` in ``lang``."""
    return gettext_in(lang, HIDDEN_TESTS_NOTE)


def report_language(nb: NotebookNode | None = None, lang: str | None = None) -> str:
    """The language of a report on ``nb``: ``lang`` when given, else the notebook's setup cell's
    (:func:`notebook_language`), else ``GAN_COURSE_LANG``, else English."""
    from course_lib.i18n import get_language, normalise

    if lang:
        return normalise(lang)
    return (notebook_language(nb) if nb is not None else None) or get_language()


def clear_outputs(nb: NotebookNode) -> NotebookNode:
    """Remove outputs, execution counts and execution timing metadata in place."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.get("metadata", {}).pop("execution", None)
    return nb


def colab_install_code(repo: Repository | None = None, lang: str = "en") -> str:
    """The setup cell's Colab install, the value of ``# {{COLAB_INSTALL}}``, in ``lang``.

    Its first line completes the comment the placeholder stands in. When pip fails (the
    repository is not reachable, was renamed or is private, or the runtime is offline) the cell
    stops with one sentence that says so and what to do, instead of pip's traceback.
    """
    from course_lib.config import Repository
    from course_lib.i18n import N_, gettext_in

    repo = repo or Repository()
    where = f"{repo.url} (branch {repo.branch})"
    comment = gettext_in(lang, N_("course_lib's repository: {where}.")).format(where=where)
    offline = gettext_in(
        lang,
        N_(
            "course_lib could not be installed: this Colab runtime cannot reach the internet, "
            "so check its connection and run this cell again."
        ),
    )
    moved = gettext_in(
        lang,
        N_(
            "course_lib could not be installed from {where}: the repository is not reachable "
            "there (renamed, private or mistyped), so ask your instructor for the course's "
            "current repository address."
        ),
    ).format(where=where)
    return f"""{comment}
if "google.colab" in sys.modules:
    import subprocess

    _pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "{repo.pip_spec()}"],
        capture_output=True,
        text=True,
    )
    if _pip.returncode != 0:
        if "resolve host" in _pip.stderr or "unreachable" in _pip.stderr:
            raise SystemExit(
{_string_lines(offline, 16)}
            )
        raise SystemExit(
{_string_lines(moved, 12)}
        )"""


def _string_lines(text: str, indent: int) -> str:
    """``text`` as adjacent string literals of about 72 columns (Hangul: two), one per line."""
    import textwrap

    width = 72 if text.isascii() else 40
    pieces = textwrap.wrap(
        text, width, drop_whitespace=False, break_on_hyphens=False, break_long_words=False
    ) or [""]
    return "\n".join(" " * indent + repr(piece) for piece in pieces)


def edition_words(lang: str) -> dict[str, str]:
    """The words of the points lines and table for the edition in ``lang`` (``en``, ``ko``)."""
    if lang not in EDITION_WORDS:
        known = ", ".join(sorted(EDITION_WORDS))
        raise ValueError(f"no edition in language {lang!r}: choose one of {known}")
    return EDITION_WORDS[lang]


def placeholder_values(
    notebook_relpath: str,
    nb: NotebookNode | None = None,
    repo: Repository | None = None,
    lang: str = "en",
) -> dict[str, str]:
    """Values of the ``{{NAME}}`` placeholders for a student notebook at ``notebook_relpath``.

    ``COLAB_URL`` (the notebook's "Open in Colab" address), ``COLAB_BADGE`` (the badge in
    Markdown), ``PIP_SPEC`` (what ``pip install`` takes to install course_lib on Colab),
    ``COLAB_INSTALL`` (the setup cell's install, :func:`colab_install_code`), ``REPO_URL``,
    ``REPO_BRANCH``, ``NOTEBOOK`` (the file name) and ``POINTS_TABLE`` (a Markdown table of the
    exercises and their points, built from ``nb``, headed in ``lang``). ``repo`` defaults to
    the address in :mod:`course_lib.config`.
    """
    from course_lib.config import Repository

    repo = repo or Repository()
    url = repo.colab_url(notebook_relpath)
    values = {
        "COLAB_URL": url,
        "COLAB_BADGE": (
            f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"
        ),
        "PIP_SPEC": repo.pip_spec(),
        "COLAB_INSTALL": colab_install_code(repo, lang),
        "REPO_URL": repo.url,
        "REPO_BRANCH": repo.branch,
        "NOTEBOOK": Path(notebook_relpath).name,
    }
    if nb is not None:
        values["POINTS_TABLE"] = points_table(nb, lang)
    return values


def points_table(nb: NotebookNode, lang: str = "en") -> str:
    """Markdown table of the notebook's exercises and their points, headed in ``lang``."""
    words = edition_words(lang)
    rows = [f"| {words['exercise']} | {words['points']} |", "|---|---|"]
    total = 0.0
    for ex in exercises(nb):
        if not ex.grade_ids:
            continue
        how = words["by_hand"] if ex.kind == "manual" else ""
        rows.append(f"| `{ex.name}`{how} | {fmt_points(ex.points)} |")
        total += ex.points
    rows.append(f"| **{words['total']}** | **{fmt_points(total)}** |")
    return "\n".join(rows)


def fill_placeholders(text: str, values: dict[str, str]) -> tuple[str, set[str]]:
    """Replace known ``{{NAME}}`` placeholders; return the text and the unknown names seen."""
    unknown: set[str] = set()

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        unknown.add(name)
        return match.group(0)

    return PLACEHOLDER_RE.sub(sub, text), unknown


def points_comment(test_grade_id: str, exercise: str, value: float, lang: str = "en") -> str:
    """The first line of a test cell: ``# Check <exercise> (<n> points)``.

    In Korean (``lang="ko"``): ``# <exercise> 검사 (<n>점)``. Only the comment differs; the
    cell's grade id and points are the same in every edition.
    """
    edition_words(lang)
    suffix = test_grade_id[len("test_" + exercise) :].lstrip("_")
    what = f"{exercise} [{suffix}]" if suffix else exercise
    if lang == "ko":
        return f"# {what} 검사 ({fmt_points(value)}점)"
    unit = "point" if value == 1 else "points"
    return f"# Check {what} ({fmt_points(value)} {unit})"


def set_points_comment(cell: NotebookNode, exercise: str, lang: str = "en") -> None:
    """Make the test cell's first line state its current points (insert or update it)."""
    line = points_comment(grade_id(cell) or "", exercise, points(cell), lang)
    lines = cell.source.split("\n")
    if lines and POINTS_LINE_RE.match(lines[0]):
        lines[0] = line
    else:
        lines.insert(0, line)
    cell.source = "\n".join(lines)


def error_outputs(cell: NotebookNode) -> list[NotebookNode]:
    """The cell's error outputs."""
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def first_error(cell: NotebookNode) -> tuple[str, str] | None:
    """``(ename, evalue)`` of the first error output, if any."""
    errors = error_outputs(cell)
    if not errors:
        return None
    return str(errors[0].get("ename", "Error")), str(errors[0].get("evalue", ""))


def cell_passed(cell: NotebookNode) -> bool:
    """Whether an executed test cell earns its points the way nbgrader decides it.

    nbgrader gives no credit to a test cell with an error output or any output on stderr.
    """
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return False
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return False
    return True


def stderr_text(cell: NotebookNode) -> str:
    """What the cell wrote to stderr."""
    return "".join(
        o.get("text", "")
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    )

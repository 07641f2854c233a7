"""``gan-course release``: regenerate the student notebooks in ``notebooks/`` from ``solutions/``.

Each ``solutions/X.ipynb`` is one nbgrader assignment ``X`` holding one notebook ``X.ipynb``. The
release stages it as ``source/X/X.ipynb`` in a course directory (placeholders filled in, the points
line of every test cell brought up to date), runs nbgrader's ``generate_assignment`` there (which
removes solutions and hidden tests, locks read-only cells and records checksums in the gradebook)
and writes ``release/X/X.ipynb`` without outputs to ``notebooks/X.ipynb``.

Staging is the same function for the release and for the autograder, so the gradebook's copy of
every read-only cell is byte for byte the one in the student notebook.

**Editions.** ``lang="ko"`` releases the Korean edition: each source is first translated with
``solutions/ko/X.toml`` (:mod:`.translation`), then staged the same way, with the Korean points
lines (``# x 검사 (2점)``) and points table, and written to ``notebooks/ko/X.ipynb`` (Colab
badges and ``COLAB_URL`` point there). Grade ids, points and code are the English edition's, so
nbgrader grades both editions alike. A cell whose translation is stale, missing or breaks the
rules stays English and is reported one line per cell (:attr:`ReleaseResult.translation`).
Which of those lines fail ``release --check`` is decided by :func:`translation_failures`.
"""

from __future__ import annotations

import difflib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode

from course_lib.config import REPO_ROOT, Repository

from .notebook_tools import (
    BEGIN_HIDDEN_TESTS,
    BEGIN_SOLUTION,
    CHECK_IMPORT,
    END_SOLUTION,
    NotebookReadError,
    clear_outputs,
    exercise_name,
    fill_placeholders,
    grade_id,
    is_answer,
    is_locked,
    is_manual,
    is_test,
    nbgrader_meta,
    notebook_text,
    placeholder_values,
    points,
    read_notebook,
    set_points_comment,
    write_notebook,
)
from .settings import ensure_tools_on_path, load_config, run_converter, set_solution_stubs
from .translation import (
    LANGUAGES,
    Entry,
    Report,
    TranslationError,
    load,
    translate,
    translation_path,
)

SOLUTIONS_DIR = REPO_ROOT / "solutions"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
#: Folder of the student notebooks inside the repository, as the Colab badge addresses them.
NOTEBOOKS_RELPATH = "notebooks"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


#: The editions: ``en`` (the sources' language) and every language with translations.
EDITIONS = ("en", *LANGUAGES)


class ReleaseError(Exception):
    """A source notebook breaks the conventions, or nbgrader failed on it."""


def check_edition(lang: str) -> str:
    """``lang`` when it names an edition; :class:`ReleaseError` naming the editions otherwise."""
    if lang not in EDITIONS:
        raise ReleaseError(f"no edition in language {lang!r}: choose one of {', '.join(EDITIONS)}")
    return lang


def edition_relpath(lang: str = "en") -> str:
    """Folder of an edition's student notebooks in the repository: ``notebooks``,
    ``notebooks/ko``."""
    check_edition(lang)
    return NOTEBOOKS_RELPATH if lang == "en" else f"{NOTEBOOKS_RELPATH}/{lang}"


def edition_dir(notebooks_dir: str | Path, lang: str = "en") -> Path:
    """Where the notebooks of edition ``lang`` go, given the English ``notebooks_dir``."""
    check_edition(lang)
    return Path(notebooks_dir) if lang == "en" else Path(notebooks_dir) / lang


@dataclass
class CellStatus:
    """Where one cell that a learner reads stands in a translation."""

    cell_id: str
    status: str  # "translated", "stale", "missing" or "invalid"
    lines: list[str] = field(default_factory=list)


def cell_statuses(
    nb: NotebookNode, entries: dict[str, Entry], name: str
) -> tuple[NotebookNode, list[CellStatus], Report]:
    """The translated notebook, the status of every cell that needs a translation, the report.

    ``missing``: no entry, or one still marked ``en = "TODO"`` (a skeleton's); ``stale``: the
    English text changed since the translation was made, or the entry names no cell any more;
    ``invalid``: the translation breaks a rule (:func:`.translation.translation_problems`).
    """
    out, report = translate(nb, entries, name)
    statuses = [
        CellStatus(cell_id, status, lines) for cell_id, (status, lines) in report.cells.items()
    ]
    return out, statuses, report


def in_progress(entries: dict[str, Entry]) -> bool:
    """A translation still being made: no file yet, or entries still marked ``en = "TODO"``."""
    return not entries or any(e.en == "TODO" for e in entries.values())


def translation_failures(statuses: list[CellStatus], entries: dict[str, Entry]) -> list[str]:
    """The report lines that fail ``release --check``.

    Stale and rule-breaking translations always fail: a translation that was current has
    drifted from the English, or was marked done while it breaks a rule. Missing cells fail
    only once a notebook's translation is complete (no ``TODO`` entries left): while a
    translation is in progress its untranslated cells are reported, and stay English.
    """
    failing = {"stale", "invalid"} if in_progress(entries) else {"stale", "invalid", "missing"}
    return [line for s in statuses if s.status in failing for line in s.lines]


@dataclass
class ReleaseResult:
    """What a release did (or, with ``check``, would do)."""

    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)
    lang: str = "en"
    #: The translation of every notebook (translated editions only).
    translations: list[Translated] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        """True when ``notebooks/`` already matched ``solutions/``."""
        return not self.written and not self.stale

    @property
    def translation_lines(self) -> list[str]:
        """One line per cell left in English (stale, missing or rule-breaking translation)."""
        return [line for t in self.translations for line in t.lines]

    @property
    def translation_failures(self) -> list[str]:
        """The lines of :attr:`translation_lines` that fail ``--check`` (see
        :func:`translation_failures`)."""
        return [line for t in self.translations for line in t.failures]


def list_sources(solutions_dir: str | Path = SOLUTIONS_DIR) -> list[Path]:
    """The source notebooks: ``solutions/*.ipynb`` sorted by name (hidden files skipped)."""
    folder = Path(solutions_dir)
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.glob("*.ipynb") if not p.name.startswith((".", "_")) and p.is_file()
    )


def assignment_id(path: str | Path) -> str:
    """Assignment (and notebook) id of a source or student notebook: its file stem."""
    return Path(path).stem


def lint_source(nb: NotebookNode, name: str) -> list[str]:
    """Convention problems of a source notebook (empty list when it is well-formed)."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    answers = [gid for c in nb.cells if is_answer(c) and (gid := grade_id(c))]
    tested: set[str] = set()
    has_setup = False
    for i, cell in enumerate(nb.cells):
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id")
        where = f"{name} cell {i}" + (f" ({gid})" if gid else "")
        src = cell.get("source", "")
        if meta and not gid:
            problems.append(f"{where}: nbgrader metadata without a grade_id")
            continue
        if gid:
            if gid in seen:
                problems.append(f"{where}: grade_id {gid!r} is also used by cell {seen[gid]}")
            seen[gid] = i
        if (BEGIN_SOLUTION in src or END_SOLUTION in src) and not meta.get("solution"):
            problems.append(f"{where}: solution markers in a cell that is not an answer cell")
        if BEGIN_HIDDEN_TESTS in src and not is_test(cell):
            problems.append(f"{where}: hidden tests in a cell that is not a test cell")
        if gid == "setup":
            has_setup = True
            if cell.cell_type != "code" or not is_locked(cell):
                problems.append(f"{where}: the setup cell must be a read-only code cell")
        if is_answer(cell):
            if cell.cell_type != "code":
                problems.append(f"{where}: an autograded answer must be a code cell")
            elif BEGIN_SOLUTION not in src or END_SOLUTION not in src:
                problems.append(f"{where}: answer cell without {BEGIN_SOLUTION}/{END_SOLUTION}")
            if gid and gid.startswith("test_"):
                problems.append(f"{where}: answer grade ids must not start with 'test_'")
        elif is_test(cell):
            if not gid.startswith("test_"):
                problems.append(f"{where}: test cell grade ids start with 'test_'")
            if points(cell) <= 0:
                problems.append(f"{where}: test cell without points")
            if not meta.get("locked"):
                problems.append(f"{where}: test cells must be read-only (locked)")
            if "check(" in src and CHECK_IMPORT not in src:
                problems.append(
                    f"{where}: a test cell that calls check must start with {CHECK_IMPORT!r}"
                )
            tested.add(exercise_name(gid, answers))
        elif is_manual(cell):
            if points(cell) <= 0:
                problems.append(f"{where}: written answer without points")
        elif meta.get("grade"):
            problems.append(f"{where}: graded Markdown cells must also be answers (manual)")
    if not has_setup:
        problems.append(f"{name}: no setup cell (a read-only code cell with grade_id 'setup')")
    for answer in answers:
        if answer not in tested:
            problems.append(f"{name}: answer cell {answer!r} has no test cell 'test_{answer}'")
    return problems


@dataclass
class Translated:
    """How the translation of one source notebook went (the edition's release keeps one each)."""

    name: str
    statuses: list[CellStatus]
    failures: list[str]

    @property
    def lines(self) -> list[str]:
        """One line per cell that is not translated (stale, missing or rule-breaking)."""
        return [line for s in self.statuses if s.status != "translated" for line in s.lines]


def translate_source(nb: NotebookNode, path: Path, lang: str) -> tuple[NotebookNode, Translated]:
    """``nb`` (the source at ``path``) in ``lang`` with ``solutions/<lang>/<stem>.toml``."""
    try:
        entries = load(translation_path(path.parent, lang, path.stem))
    except TranslationError as exc:
        raise ReleaseError(str(exc)) from exc
    out, statuses, _ = cell_statuses(nb, entries, path.stem)
    return out, Translated(path.stem, statuses, translation_failures(statuses, entries))


def stage_notebook(
    path: str | Path,
    repo: Repository | None = None,
    lang: str = "en",
    translations: list[Translated] | None = None,
) -> NotebookNode:
    """The nbgrader source of a solution notebook: placeholders filled in, points lines updated.

    ``repo`` is the repository stamped into the Colab badge and the setup cell (default: the
    address in :mod:`course_lib.config`). ``lang`` is the edition: for ``ko`` the notebook is
    translated first (cells without a current translation stay English) and how that went is
    appended to ``translations``.

    Raises :class:`ReleaseError` when the notebook cannot be read or breaks the conventions.
    """
    path = Path(path)
    check_edition(lang)
    try:
        nb = read_notebook(path)
    except NotebookReadError as exc:
        raise ReleaseError(str(exc)) from exc
    if lang != "en":
        nb, translated = translate_source(nb, path, lang)
        if translations is not None:
            translations.append(translated)
    problems = lint_source(nb, path.name)
    if problems:
        raise ReleaseError("\n".join(problems))
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.setdefault("language_info", {"name": "python"})
    answers = [gid for c in nb.cells if is_answer(c) and (gid := grade_id(c))]
    for cell in nb.cells:
        if is_test(cell):
            set_points_comment(cell, exercise_name(grade_id(cell) or "", answers), lang)
    values = placeholder_values(f"{edition_relpath(lang)}/{path.name}", nb, repo, lang)
    unknown: set[str] = set()
    for i, cell in enumerate(nb.cells):
        cell.source, missing = fill_placeholders(cell.source, values)
        unknown |= missing
        if not cell.get("id"):
            cell["id"] = grade_id(cell) or f"cell-{i}"
    if unknown:
        names = ", ".join("{{" + u + "}}" for u in sorted(unknown))
        raise ReleaseError(f"{path.name}: unknown placeholders {names}")
    return clear_outputs(nb)


def stage_sources(
    solutions_dir: str | Path,
    course_dir: str | Path,
    only: list[str] | None = None,
    repo: Repository | None = None,
    lang: str = "en",
    translations: list[Translated] | None = None,
) -> list[str]:
    """Write ``course_dir/source/<id>/<id>.ipynb`` for every source notebook; return the ids.

    ``lang`` is the edition staged (see :func:`stage_notebook`). Unchanged files are left
    untouched (nbgrader compares timestamps); problems in all notebooks are reported together in
    one :class:`ReleaseError`.
    """
    ids: list[str] = []
    errors: list[str] = []
    for path in list_sources(solutions_dir):
        aid = assignment_id(path)
        if only is not None and aid not in only:
            continue
        try:
            nb = stage_notebook(path, repo, lang, translations)
        except ReleaseError as exc:
            errors.append(str(exc))
            continue
        target = Path(course_dir) / "source" / aid / f"{aid}.ipynb"
        text = notebook_text(nb)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        ids.append(aid)
    if errors:
        raise ReleaseError("\n".join(errors))
    return ids


def generate_assignments(
    course_dir: str | Path,
    ids: list[str],
    config_file: str | Path | None = None,
    lang: str = "en",
) -> None:
    """Run nbgrader's ``generate_assignment`` for ``ids`` in ``course_dir`` (gradebook included),
    with the solution stubs of the edition in ``lang``."""
    if not ids:
        return
    from nbgrader.converters import GenerateAssignment

    ensure_tools_on_path()
    config = set_solution_stubs(load_config(course_dir, config_file), lang)
    for aid in ids:
        result = run_converter(GenerateAssignment, config, aid, force=True, create_assignment=True)
        if not result.get("success"):
            log = result.get("log", "")
            raise ReleaseError(
                f"nbgrader generate_assignment {aid} failed:\n{log}\n{result.get('error', '')}"
            )


def student_notebook(nb: NotebookNode) -> NotebookNode:
    """Final touches on a generated student notebook: no outputs, stable metadata."""
    clear_outputs(nb)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return nb


def build_student_notebooks(
    solutions_dir: str | Path,
    workdir: str | Path,
    config_file: str | Path | None = None,
    repo: Repository | None = None,
    lang: str = "en",
    translations: list[Translated] | None = None,
) -> dict[str, NotebookNode]:
    """Generate the student notebooks of every source (edition ``lang``) in a scratch course
    directory."""
    workdir = Path(workdir)
    ids = stage_sources(solutions_dir, workdir, repo=repo, lang=lang, translations=translations)
    generate_assignments(workdir, ids, config_file, lang)
    out: dict[str, NotebookNode] = {}
    for aid in ids:
        released = workdir / "release" / aid / f"{aid}.ipynb"
        out[aid] = student_notebook(read_notebook(released))
    return out


def _is_generated(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    cells = data.get("cells", []) if isinstance(data, dict) else []
    return any(isinstance(c, dict) and "nbgrader" in c.get("metadata", {}) for c in cells)


def release(
    solutions_dir: str | Path = SOLUTIONS_DIR,
    notebooks_dir: str | Path = NOTEBOOKS_DIR,
    check: bool = False,
    config_file: str | Path | None = None,
    stage_into: str | Path | None = None,
    repo: Repository | None = None,
    lang: str = "en",
) -> ReleaseResult:
    """Regenerate ``notebooks_dir`` from ``solutions_dir`` (or, with ``check``, only compare).

    ``lang`` is the edition: ``ko`` writes the Korean notebooks to ``notebooks_dir`` (give it
    ``notebooks/ko``, :func:`edition_dir`) and stages the Korean sources into ``stage_into``.

    A student notebook in ``notebooks_dir`` without a source is stale: the release removes it when
    it was generated (it carries nbgrader metadata), and ``check`` reports it. ``stage_into``
    (normally the repository, the nbgrader course directory) also receives the staged
    ``source/<id>/`` folders so that plain nbgrader commands work there. ``repo`` is the
    repository stamped into the Colab badges and setup cells (default: the address in
    :mod:`course_lib.config`; ``check`` compares with the notebooks stamped with it).
    """
    notebooks_dir = Path(notebooks_dir)
    result = ReleaseResult(lang=check_edition(lang))
    with tempfile.TemporaryDirectory(prefix="gan-course-release-") as tmp:
        generated = build_student_notebooks(
            solutions_dir, tmp, config_file, repo, lang, result.translations
        )
    expected = {f"{aid}.ipynb" for aid in generated}
    for aid, nb in generated.items():
        target = notebooks_dir / f"{aid}.ipynb"
        text = notebook_text(nb)
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current == text:
            result.unchanged.append(target)
            continue
        result.written.append(target)
        result.diffs[target.name] = "".join(
            difflib.unified_diff(
                (current or "").splitlines(keepends=True)[:2000],
                text.splitlines(keepends=True)[:2000],
                fromfile=f"{target.name} (in {notebooks_dir.name}/)",
                tofile=f"{target.name} (from solutions)",
                n=1,
            )
        )
        if not check:
            write_notebook(nb, target)
    if notebooks_dir.is_dir():
        for path in sorted(notebooks_dir.glob("*.ipynb")):
            if path.name not in expected and _is_generated(path):
                result.stale.append(path)
                if not check:
                    path.unlink()
    if stage_into is not None and not check:
        stage_sources(solutions_dir, stage_into, repo=repo, lang=lang)
    return result

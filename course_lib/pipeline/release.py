"""``gan-course release``: regenerate the student notebooks in ``notebooks/`` from ``solutions/``.

Each ``solutions/X.ipynb`` is one nbgrader assignment ``X`` holding one notebook ``X.ipynb``. The
release stages it as ``source/X/X.ipynb`` in a course directory (placeholders filled in, the points
line of every test cell brought up to date), runs nbgrader's ``generate_assignment`` there (which
removes solutions and hidden tests, locks read-only cells and records checksums in the gradebook)
and writes ``release/X/X.ipynb`` without outputs to ``notebooks/X.ipynb``.

Staging is the same function for the release and for the autograder, so the gradebook's copy of
every read-only cell is byte for byte the one in the student notebook.
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
from .settings import ensure_tools_on_path, load_config, run_converter

SOLUTIONS_DIR = REPO_ROOT / "solutions"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
#: Folder of the student notebooks inside the repository, as the Colab badge addresses them.
NOTEBOOKS_RELPATH = "notebooks"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class ReleaseError(Exception):
    """A source notebook breaks the conventions, or nbgrader failed on it."""


@dataclass
class ReleaseResult:
    """What a release did (or, with ``check``, would do)."""

    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)

    @property
    def up_to_date(self) -> bool:
        """True when ``notebooks/`` already matched ``solutions/``."""
        return not self.written and not self.stale


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


def stage_notebook(path: str | Path, repo: Repository | None = None) -> NotebookNode:
    """The nbgrader source of a solution notebook: placeholders filled in, points lines updated.

    ``repo`` is the repository stamped into the Colab badge and the setup cell (default: the
    address in :mod:`course_lib.config`).

    Raises :class:`ReleaseError` when the notebook cannot be read or breaks the conventions.
    """
    path = Path(path)
    try:
        nb = read_notebook(path)
    except NotebookReadError as exc:
        raise ReleaseError(str(exc)) from exc
    problems = lint_source(nb, path.name)
    if problems:
        raise ReleaseError("\n".join(problems))
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.setdefault("language_info", {"name": "python"})
    answers = [gid for c in nb.cells if is_answer(c) and (gid := grade_id(c))]
    for cell in nb.cells:
        if is_test(cell):
            set_points_comment(cell, exercise_name(grade_id(cell) or "", answers))
    values = placeholder_values(f"{NOTEBOOKS_RELPATH}/{path.name}", nb, repo)
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
) -> list[str]:
    """Write ``course_dir/source/<id>/<id>.ipynb`` for every source notebook; return the ids.

    Unchanged files are left untouched (nbgrader compares timestamps); problems in all notebooks
    are reported together in one :class:`ReleaseError`.
    """
    ids: list[str] = []
    errors: list[str] = []
    for path in list_sources(solutions_dir):
        aid = assignment_id(path)
        if only is not None and aid not in only:
            continue
        try:
            nb = stage_notebook(path, repo)
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
    course_dir: str | Path, ids: list[str], config_file: str | Path | None = None
) -> None:
    """Run nbgrader's ``generate_assignment`` for ``ids`` in ``course_dir`` (gradebook included)."""
    if not ids:
        return
    from nbgrader.converters import GenerateAssignment

    ensure_tools_on_path()
    config = load_config(course_dir, config_file)
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
) -> dict[str, NotebookNode]:
    """Generate the student notebooks of every source in a scratch course directory."""
    workdir = Path(workdir)
    ids = stage_sources(solutions_dir, workdir, repo=repo)
    generate_assignments(workdir, ids, config_file)
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
) -> ReleaseResult:
    """Regenerate ``notebooks_dir`` from ``solutions_dir`` (or, with ``check``, only compare).

    A student notebook in ``notebooks_dir`` without a source is stale: the release removes it when
    it was generated (it carries nbgrader metadata), and ``check`` reports it. ``stage_into``
    (normally the repository, the nbgrader course directory) also receives the staged
    ``source/<id>/`` folders so that plain nbgrader commands work there. ``repo`` is the
    repository stamped into the Colab badges and setup cells (default: the address in
    :mod:`course_lib.config`; ``check`` compares with the notebooks stamped with it).
    """
    notebooks_dir = Path(notebooks_dir)
    result = ReleaseResult()
    with tempfile.TemporaryDirectory(prefix="gan-course-release-") as tmp:
        generated = build_student_notebooks(solutions_dir, tmp, config_file, repo)
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
        stage_sources(solutions_dir, stage_into, repo=repo)
    return result

"""Build well-formed nbgrader source notebooks from Python, without writing metadata JSON by hand.

Example::

    from course_lib.pipeline.cells import (
        answer_cell, code, header, make_source_notebook, manual_answer, markdown, setup_cell,
        test_cell, write_source_notebook,
    )

    nb = make_source_notebook([
        header("Conditional GAN basics", "Conditioning a GAN on a class label."),
        setup_cell("import torch\\nimport torch.nn.functional as F"),
        markdown("## Exercise 1: one-hot labels"),
        answer_cell("get_one_hot_labels", '''
    def get_one_hot_labels(labels, n_classes):
        ### BEGIN SOLUTION
        return F.one_hot(labels, n_classes)
        ### END SOLUTION
    '''),
        test_cell("test_get_one_hot_labels", '''
    check("cgan.get_one_hot_labels", get_one_hot_labels)
    ### BEGIN HIDDEN TESTS
    check("cgan.get_one_hot_labels", get_one_hot_labels, hidden=True)
    ### END HIDDEN TESTS
    ''', points=2),
        *manual_answer("why_one_hot", 1, "Why one-hot rather than the label as a number?"),
    ])
    write_source_notebook(nb, "solutions/01_cgan_basics.ipynb")

See :mod:`course_lib.pipeline` for the conventions these helpers follow.
"""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .notebook_tools import (
    BEGIN_SOLUTION,
    CHECK_IMPORT,
    END_SOLUTION,
    exercise_name,
    set_points_comment,
    write_notebook,
)

SCHEMA_VERSION = 3
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}

SETUP_TEMPLATE = """\
# Setup. On Colab this installs course_lib from the course repository (Colab keeps its own
# PyTorch); on your machine it is installed already.
import sys

# {{COLAB_INSTALL}}
"""


def _clean(source: str) -> str:
    return textwrap.dedent(source).strip("\n")


def _cell_id(kind: str, key: str) -> str:
    return f"{kind}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"


def _nbgrader(
    grade_id: str,
    *,
    grade: bool = False,
    solution: bool = False,
    locked: bool = False,
    points: float | None = None,
    task: bool = False,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": SCHEMA_VERSION,
        "solution": solution,
        "task": task,
    }
    if grade or task:
        meta["points"] = points if points is not None else 0
    return meta


def markdown(text: str) -> NotebookNode:
    """A plain Markdown cell (the learner may edit it; no nbgrader metadata)."""
    source = _clean(text)
    return new_markdown_cell(source, id=_cell_id("md", source))


def code(source: str) -> NotebookNode:
    """A plain code cell: demonstrations, plots, training (the learner may edit it)."""
    source = _clean(source)
    return new_code_cell(source, id=_cell_id("code", source))


def readonly_markdown(grade_id: str, text: str) -> NotebookNode:
    """A read-only Markdown cell (nbgrader "read-only"), e.g. instructions that must not change."""
    cell = new_markdown_cell(_clean(text), id=grade_id)
    cell.metadata["nbgrader"] = _nbgrader(grade_id, locked=True)
    return cell


def readonly_code(grade_id: str, source: str) -> NotebookNode:
    """A read-only code cell (nbgrader "read-only")."""
    cell = new_code_cell(_clean(source), id=grade_id)
    cell.metadata["nbgrader"] = _nbgrader(grade_id, locked=True)
    return cell


def header(title: str, intro: str = "", points_table: bool = True) -> NotebookNode:
    """The first cell: title, the "Open in Colab" badge, an introduction and the points table.

    Read-only, grade id ``header``. ``{{COLAB_BADGE}}`` and ``{{POINTS_TABLE}}`` are filled in by
    the release command.
    """
    parts = [f"# {title}", "{{COLAB_BADGE}}"]
    if intro:
        parts.append(_clean(intro))
    if points_table:
        parts.append("**Exercises and points**\n\n{{POINTS_TABLE}}")
    return readonly_markdown("header", "\n\n".join(parts))


def setup_cell(imports: str = "") -> NotebookNode:
    """The setup cell: installs course_lib on Colab (``{{COLAB_INSTALL}}``), then ``imports``.

    Read-only, grade id ``setup``; the autograder restores it if a learner deletes it.
    """
    source = SETUP_TEMPLATE + ("\n" + _clean(imports) if imports.strip() else "")
    return readonly_code("setup", source)


def answer_cell(grade_id: str, source: str) -> NotebookNode:
    """An autograded answer cell ``grade_id`` (the name of the function or class to write).

    ``source`` must mark the solution with ``### BEGIN SOLUTION`` / ``### END SOLUTION``; the
    release command replaces that region with ``raise NotImplementedError()``.
    """
    source = _clean(source)
    if BEGIN_SOLUTION not in source or END_SOLUTION not in source:
        raise ValueError(f"answer cell {grade_id!r} needs {BEGIN_SOLUTION} / {END_SOLUTION}")
    cell = new_code_cell(source, id=grade_id)
    cell.metadata["nbgrader"] = _nbgrader(grade_id, solution=True)
    return cell


def test_cell(
    grade_id: str,
    source: str,
    points: float,
    exercise: str | None = None,
    import_check: bool = True,
) -> NotebookNode:
    """A read-only autograder test cell worth ``points``.

    ``grade_id`` is ``test_<name>`` or ``test_<name>_<suffix>`` for the answer cell ``<name>``.
    The cell gets a first line stating its points and imports ``check`` afresh (so that a learner
    who rebinds ``check`` gains nothing). Hidden cases go between ``### BEGIN HIDDEN TESTS`` and
    ``### END HIDDEN TESTS``. Do not end the cell with an expression: nbgrader reads a number
    printed as the cell's result as partial credit. ``exercise`` names the answer cell when
    the grade id alone is ambiguous; ``import_check=False`` leaves the import out (plain
    ``assert`` tests).
    """
    if not grade_id.startswith("test_"):
        raise ValueError(f"test cell grade ids start with 'test_': {grade_id!r}")
    if points <= 0:
        raise ValueError(f"test cell {grade_id!r} needs points > 0")
    body = _clean(source)
    if import_check and CHECK_IMPORT not in body:
        body = f"{CHECK_IMPORT}\n\n{body}"
    cell = new_code_cell(body, id=grade_id)
    cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, locked=True, points=points)
    set_points_comment(cell, exercise or exercise_name(grade_id, []))
    return cell


def manual_answer(
    grade_id: str, points: float, prompt: str, solution: str = ""
) -> list[NotebookNode]:
    """A written answer graded by hand: a read-only prompt and the learner's Markdown cell.

    Returns two cells: the prompt (grade id ``<grade_id>_prompt``, stating the points) and the
    answer cell ``grade_id`` (nbgrader "manually graded answer"). ``solution`` is the model answer,
    kept in the source notebook between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` and replaced
    by "YOUR ANSWER HERE" in the student notebook.
    """
    unit = "point" if points == 1 else "points"
    prompt_cell = readonly_markdown(
        f"{grade_id}_prompt",
        f"{_clean(prompt)}\n\n*Written answer, {points:g} {unit}, graded by hand.*",
    )
    model = _clean(solution) or "(model answer)"
    answer = new_markdown_cell(f"{BEGIN_SOLUTION}\n{model}\n{END_SOLUTION}", id=grade_id)
    answer.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, solution=True, points=points)
    return [prompt_cell, answer]


def make_source_notebook(cells: Iterable[NotebookNode | list[NotebookNode]]) -> NotebookNode:
    """Assemble a source notebook (Python 3 kernel, nbformat 4.5) from cells or lists of cells."""
    flat: list[NotebookNode] = []
    for item in cells:
        if isinstance(item, list):
            flat.extend(item)
        else:
            flat.append(item)
    seen: set[str] = set()
    for i, cell in enumerate(flat):
        if cell.get("id") in seen:
            cell["id"] = f"{cell['id']}-{i}"
        seen.add(cell["id"])
    return new_notebook(
        cells=flat, metadata={"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    )


def write_source_notebook(nb: NotebookNode, path: str | Path) -> Path:
    """Write a source notebook (to ``solutions/``); returns the path."""
    path = Path(path)
    write_notebook(nb, path)
    return path

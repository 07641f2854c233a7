"""A failing check shows its message alone; a check run before its answer cell says so."""

from __future__ import annotations

import os
from pathlib import Path

import nbclient
import nbformat
import pytest

from course_lib.grading import CheckFailed, check
from course_lib.grading.display import name_hint

ROOT = Path(__file__).resolve().parents[1]


def test_a_wrong_answer_raises_check_failed_rendered_as_its_message() -> None:
    with pytest.raises(AssertionError) as info:
        check("cgan.combine_vectors", lambda x, y: x, device="cpu")
    assert isinstance(info.value, CheckFailed)
    assert info.value._render_traceback_() == str(info.value).splitlines()
    assert "combine_vectors" in str(info.value)


def test_name_hint_names_the_cell_to_run_first() -> None:
    hint = name_hint(
        NameError("name 'get_disc_loss' is not defined", name="get_disc_loss"), ["get_disc_loss"]
    )
    assert hint is not None and "Run the cell where you write get_disc_loss" in hint
    assert name_hint(NameError("x", name="other"), ["get_disc_loss"]) is None
    assert name_hint(ValueError("get_disc_loss"), ["get_disc_loss"]) is None


def test_executed_check_cells_show_the_message_alone(monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            'from course_lib.grading import check\ncheck("cgan.combine_vectors", lambda x, y: x)'
        ),
        nbformat.v4.new_code_cell(
            'from course_lib.grading import check\ncheck("cgan.get_disc_loss", get_disc_loss)'
        ),
        nbformat.v4.new_code_cell("undefined_name + 1"),
    ]
    nbclient.NotebookClient(nb, timeout=120, allow_errors=True).execute()
    wrong, missing, other = ([o for o in c.outputs if o.output_type == "error"] for c in nb.cells)
    assert len(wrong) == 1 and wrong[0].traceback == wrong[0].evalue.splitlines()
    assert issubclass(CheckFailed, AssertionError) and wrong[0].ename == "CheckFailed"
    assert len(missing) == 1 and missing[0].ename == "NameError"
    assert len(missing[0].traceback) == 1
    assert "Run the cell where you write get_disc_loss" in missing[0].traceback[0]
    # Other errors keep IPython's usual traceback.
    assert len(other) == 1 and len(other[0].traceback) > 1

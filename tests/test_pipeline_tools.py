"""Unit tests of the pipeline's notebook helpers and preprocessors (no kernels)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import course_fixture as cf  # noqa: E402

from course_lib import config  # noqa: E402
from course_lib.pipeline import cells  # noqa: E402
from course_lib.pipeline import notebook_tools as nt
from course_lib.pipeline.autograde import (  # noqa: E402
    Record,
    csv_text,
    find_submissions,
    threads_per_worker,
)
from course_lib.pipeline.feedback import leaked_lines  # noqa: E402
from course_lib.pipeline.preprocessors import HideHiddenTests, LimitOutputSize  # noqa: E402
from course_lib.pipeline.release import ReleaseError, lint_source, stage_notebook  # noqa: E402


def test_cell_helpers_write_valid_nbgrader_metadata():
    nb = cf.build_fixture_notebook(use_check=False)
    nbformat.validate(nb)
    by_id = {nt.grade_id(c): c for c in nb.cells if nt.grade_id(c)}
    assert nt.is_answer(by_id["get_one_hot_labels"])
    assert nt.is_test(by_id["test_get_one_hot_labels"])
    assert nt.is_locked(by_id["setup"]) and by_id["setup"].cell_type == "code"
    assert nt.is_manual(by_id["why_one_hot"]) and by_id["why_one_hot"].cell_type == "markdown"
    assert nt.points(by_id["test_get_one_hot_labels"]) == 3
    assert by_id["test_get_one_hot_labels"].source.startswith(
        "# Check get_one_hot_labels (3 points)"
    )
    assert lint_source(nb, "fixture") == []


def test_test_cells_import_check_afresh():
    cell = cells.test_cell("test_get_disc_loss", 'check("pix2pix.get_disc_loss", f)', points=2)
    assert cells.CHECK_IMPORT in cell.source
    assert cell.metadata["nbgrader"]["locked"] and cell.metadata["nbgrader"]["grade"]
    with pytest.raises(ValueError):
        cells.test_cell("get_disc_loss", "pass", points=1)
    with pytest.raises(ValueError):
        cells.answer_cell("f", "def f():\n    return 1")


def test_exercises_group_test_cells_by_answer():
    nb = cf.build_fixture_notebook(use_check=False)
    exs = {ex.name: ex for ex in nt.exercises(nb)}
    assert list(exs) == ["get_one_hot_labels", "combine_vectors", "normalize_pixels", "why_one_hot"]
    assert exs["combine_vectors"].grade_ids == [
        "test_combine_vectors",
        "test_combine_vectors_dtype",
    ]
    assert exs["combine_vectors"].points == 2
    assert exs["why_one_hot"].kind == "manual" and exs["why_one_hot"].points == 2
    assert (
        nt.exercise_name("test_get_gen_loss_shapes", ["get_gen", "get_gen_loss"]) == "get_gen_loss"
    )
    assert nt.exercise_name("test_other", []) == "other"


def test_strip_hidden_tests_keeps_the_visible_part():
    source = "a = 1\n    ### BEGIN HIDDEN TESTS\n    secret()\n    ### END HIDDEN TESTS\nb = 2"
    assert nt.strip_hidden_tests(source, note=None) == "a = 1\nb = 2"
    assert nt.strip_hidden_tests(source) == f"a = 1\n    {nt.HIDDEN_TESTS_NOTE}\nb = 2"
    assert nt.hidden_test_lines(source) == ["secret()"]


def test_placeholders_come_from_config():
    values = nt.placeholder_values("notebooks/02_pix2pix.ipynb")
    assert values["COLAB_URL"] == config.colab_url("notebooks/02_pix2pix.ipynb")
    assert config.REPO_URL.removeprefix("https://github.com/") in values["COLAB_BADGE"]
    assert values["PIP_SPEC"] == config.pip_spec()
    text, unknown = nt.fill_placeholders("{{COLAB_URL}} {{ PIP_SPEC }} {{OTHER}}", values)
    assert text.startswith("https://colab.research.google.com/") and unknown == {"OTHER"}


def test_staging_fills_placeholders_and_rejects_broken_sources(tmp_path):
    path = cf.write_fixture_solutions(tmp_path, use_check=False)
    staged = stage_notebook(path)
    text = json.dumps(staged)
    assert "{{" not in text and config.pip_spec() in text and "colab-badge.svg" in text
    assert "| **total** | **8** |" in staged.cells[0].source

    nb = cf.build_fixture_notebook(use_check=False)
    nb.cells = [c for c in nb.cells if nt.grade_id(c) != "test_normalize_pixels"]
    nb.cells.append(cells.markdown("{{NOT_A_PLACEHOLDER}}"))
    broken = tmp_path / "broken.ipynb"
    nt.write_notebook(nb, broken)
    with pytest.raises(ReleaseError, match="normalize_pixels"):
        stage_notebook(broken)


def test_lint_names_the_faulty_cells():
    nb = cells.make_source_notebook(
        [
            cells.answer_cell(
                "f", "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
            ),
            cells.answer_cell(
                "f", "def f():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION"
            ),
            cells.code("### BEGIN HIDDEN TESTS\nx\n### END HIDDEN TESTS"),
        ]
    )
    problems = "\n".join(lint_source(nb, "x.ipynb"))
    assert "also used by cell 0" in problems
    assert "hidden tests in a cell that is not a test cell" in problems
    assert "no setup cell" in problems
    assert "has no test cell 'test_f'" in problems


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"cells": [', "not valid JSON"),
        ("", "is empty"),
        ('{"a": 1}', "not a Jupyter notebook"),
        (
            '{"cells": [{"cell_type": "code"}], "nbformat": 4, "nbformat_minor": 5, '
            '"metadata": {}}',
            "notebook",
        ),
    ],
)
def test_read_notebook_explains_broken_files(tmp_path, content, message):
    path = tmp_path / "nb.ipynb"
    path.write_text(content)
    with pytest.raises(nt.NotebookReadError, match=message):
        nt.read_notebook(path)


def _test_cell_with_error(source: str) -> NotebookNode:
    cell = cells.test_cell("test_f", source, points=1, import_check=False)
    cell.outputs = [
        NotebookNode(
            output_type="error",
            ename="AssertionError",
            evalue="your f returns 2, expected 1",
            traceback=["Traceback", "----> 3 secret_case(f)  # SECRET", "AssertionError: ..."],
        )
    ]
    return cell


def test_hide_hidden_tests_keeps_the_message_not_the_source():
    cell = _test_cell_with_error(
        "check('t.f', f)\n### BEGIN HIDDEN TESTS\nsecret_case(f)  # SECRET\n### END HIDDEN TESTS"
    )
    nb = cells.make_source_notebook([cell])
    HideHiddenTests().preprocess(nb, {})
    text = json.dumps(nb)
    assert "SECRET" not in text
    assert "your f returns 2, expected 1" in text
    assert nt.HIDDEN_TESTS_NOTE in nb.cells[0].source


def test_leak_detection_sees_through_html_markup():
    page = '<span class="n">secret_case</span><span class="p">(</span>f<span>)</span>'
    assert leaked_lines(page, ["secret_case(f)"]) == ["secret_case(f)"]
    assert leaked_lines("<p>nothing here</p>", ["secret_case(f)"]) == []


def test_limit_output_size_caps_text_and_images():
    cell = cells.code("print(1)")
    cell.outputs = [
        NotebookNode(output_type="stream", name="stdout", text="x" * 500),
        NotebookNode(output_type="stream", name="stdout", text="y" * 500),
        NotebookNode(
            output_type="display_data",
            metadata={},
            data={"image/png": "A" * 3000, "text/plain": "z"},
        ),
    ]
    limiter = LimitOutputSize(max_chars=600, max_bytes=1000)
    limiter.preprocess_cell(cell, {}, 0)
    texts = "".join(o.get("text", "") for o in cell.outputs)
    assert texts.count("x") == 500 and "y" * 100 in texts and "y" * 101 not in texts
    assert "truncated" in texts
    assert all("image/png" not in o.get("data", {}) for o in cell.outputs)


def test_submissions_are_found_by_layout(tmp_path):
    from course_lib.pipeline.autograde import AssignmentInfo

    info = AssignmentInfo("00_fixture", "00_fixture", 8, [], {}, set(), "")
    good = tmp_path / "alice" / "00_fixture"
    good.mkdir(parents=True)
    (good / "00_fixture.ipynb").write_text("{}")
    renamed = tmp_path / "bob" / "00_fixture"
    renamed.mkdir(parents=True)
    (renamed / "Copy of 00_fixture.ipynb").write_text("{}")
    (tmp_path / "carol" / "99_unknown").mkdir(parents=True)
    (tmp_path / "dave" / "00_fixture").mkdir(parents=True)
    found, warnings = find_submissions(tmp_path, {"00_fixture": info})
    by_student = {s.student: s for s in found}
    assert by_student["alice"].notebook_path == good / "00_fixture.ipynb"
    assert by_student["bob"].notebook_path == renamed / "Copy of 00_fixture.ipynb"
    assert "graded 'Copy of 00_fixture.ipynb'" in by_student["bob"].problems[0]
    assert by_student["dave"].notebook_path is None
    assert any("unknown assignment '99_unknown'" in w for w in warnings)


def test_csv_has_one_column_per_exercise():
    record = Record(
        "alice", "00_fixture", "00_fixture.ipynb", "graded", 5, 8,
        {"get_one_hot_labels": 3, "combine_vectors": 2, "why_one_hot": None}, True, ["a; b"],
    )  # fmt: skip
    text = csv_text([record], ["get_one_hot_labels", "combine_vectors", "why_one_hot"])
    header, row = text.splitlines()
    assert header.split(",")[:5] == ["student", "assignment", "notebook", "score", "max_score"]
    assert header.split(",")[5:8] == ["get_one_hot_labels", "combine_vectors", "why_one_hot"]
    assert row.startswith("alice,00_fixture,00_fixture.ipynb,5,8,3,2,,yes,graded,")


def test_one_autograde_run_at_a_time_per_course(tmp_path):
    from course_lib.pipeline.autograde import AutogradeError, autograde, run_lock

    (tmp_path / "submitted").mkdir()
    with run_lock(tmp_path / "course"), pytest.raises(AutogradeError, match="another autograde"):
        autograde(tmp_path / "submitted", course_dir=tmp_path / "course", log=lambda _: None)


def test_parallel_workers_share_the_cores_instead_of_oversubscribing_them():
    assert threads_per_worker(1, cores=2) == 2
    assert threads_per_worker(2, cores=2) == 1
    assert threads_per_worker(3, cores=8) == 2
    assert threads_per_worker(16, cores=2) == 1

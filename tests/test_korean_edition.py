"""The Korean edition: released from the sources and their translations, checked, graded alike."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import course_fixture as cf  # noqa: E402

from course_lib import config  # noqa: E402
from course_lib.cli import main  # noqa: E402
from course_lib.pipeline import notebook_tools as nt  # noqa: E402
from course_lib.pipeline.release import (  # noqa: E402
    NOTEBOOKS_DIR,
    SOLUTIONS_DIR,
    list_sources,
    release,
)
from course_lib.pipeline.translation import english_hash, needs_translation  # noqa: E402

#: The Korean words the fixture's translation puts in every Markdown cell.
KO = "한국어 번역입니다."


def korean_toml(nb, todo: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> str:
    """A complete translation of ``nb``: Markdown with Korean added, code kept (``same``).

    Cells in ``todo`` are left as a skeleton leaves them (``en = "TODO"``), cells in ``skip``
    have no entry.
    """
    lines = []
    for cell in nb.cells:
        if not needs_translation(cell) or cell.id in skip:
            continue
        en = "TODO" if cell.id in todo else english_hash(cell.source)
        lines += [f"[cell.{cell.id}]", f'en = "{en}"']
        if cell.cell_type == "markdown":
            lines.append(f"text = '''\n{cell.source}\n\n{KO}\n'''")
        else:
            lines.append("same = true")
        lines.append("")
    return "\n".join(lines)


def write_course(root: Path, **options) -> tuple[Path, Path]:
    """The fixture's sources and a translation; (solutions, notebooks)."""
    solutions = root / "solutions"
    path = cf.write_fixture_solutions(solutions)
    (solutions / "ko").mkdir()
    toml = korean_toml(nt.read_notebook(path), **options)
    (solutions / "ko" / f"{cf.NAME}.toml").write_text(toml, encoding="utf-8")
    return solutions, root / "notebooks"


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    root = tmp_path_factory.mktemp("editions")
    solutions, notebooks = write_course(root)
    english = release(solutions, notebooks)
    korean = release(solutions, notebooks / "ko", lang="ko", stage_into=root / "course")
    return root, english, korean


def _graded(nb) -> dict[str, dict]:
    keep = ("grade", "solution", "locked", "points", "task")
    return {
        nt.grade_id(c): {k: nt.nbgrader_meta(c).get(k) for k in keep}
        for c in nb.cells
        if nt.grade_id(c)
    }


def test_the_korean_edition_has_the_english_grade_ids_points_and_code(editions):
    root, english, korean = editions
    assert [p.name for p in korean.written] == [f"{cf.NAME}.ipynb"]
    assert korean.translation_lines == [] and korean.translation_failures == []
    en = nt.read_notebook(root / "notebooks" / f"{cf.NAME}.ipynb")
    ko = nt.read_notebook(root / "notebooks" / "ko" / f"{cf.NAME}.ipynb")
    assert _graded(ko) == _graded(en) and len(ko.cells) == len(en.cells)
    for a, b in zip(en.cells, ko.cells, strict=True):
        if a.cell_type == "code":  # the code is the English edition's, comments aside
            strip = [ln for ln in a.source.split("\n") if not ln.startswith("# ")]
            assert [ln for ln in b.source.split("\n") if not ln.startswith("# ")] == strip
        else:
            assert KO in b.source and KO not in a.source
    assert "BEGIN SOLUTION" not in json.dumps(ko) and cf.HIDDEN_MARKER not in json.dumps(ko)


def test_korean_points_lines_table_and_colab_badge(editions):
    root, _, _ = editions
    ko = nt.read_notebook(root / "notebooks" / "ko" / f"{cf.NAME}.ipynb")
    tests = {nt.grade_id(c): c.source.split("\n")[0] for c in ko.cells if nt.is_test(c)}
    assert tests["test_get_one_hot_labels"] == "# get_one_hot_labels 검사 (3점)"
    assert tests["test_combine_vectors_dtype"] == "# combine_vectors [dtype] 검사 (1점)"
    header = ko.cells[0].source
    assert f"({config.colab_url(f'notebooks/ko/{cf.NAME}.ipynb')})" in header
    assert "| 실습 문제 | 배점 |" in header and "| `combine_vectors` | 2 |" in header
    assert "| `why_one_hot` (서술형 답안, 사람이 채점) | 2 |" in header
    assert "| **합계** | **8** |" in header and "{{" not in json.dumps(ko)


def test_release_lang_ko_stages_the_korean_sources_for_nbgrader(editions):
    root, _, _ = editions
    staged = nt.read_notebook(root / "course" / "source" / cf.NAME / f"{cf.NAME}.ipynb")
    assert "BEGIN SOLUTION" in json.dumps(staged)  # the nbgrader source, solutions included
    assert any(KO in c.source for c in staged.cells)
    assert nt.exercises(staged) == nt.exercises(cf.build_fixture_notebook())


def test_points_lines_of_either_language_are_recognised_and_replaced():
    cell = cf.build_fixture_notebook().cells[4]
    nt.set_points_comment(cell, "get_one_hot_labels", "ko")
    nt.set_points_comment(cell, "get_one_hot_labels", "ko")
    assert cell.source.split("\n")[:2] == [
        "# get_one_hot_labels 검사 (3점)",
        "from course_lib.grading import check",
    ]
    nt.set_points_comment(cell, "get_one_hot_labels")
    assert cell.source.split("\n")[0] == "# Check get_one_hot_labels (3 points)"
    with pytest.raises(ValueError, match="no edition in language 'fr'"):
        nt.points_comment("test_x", "x", 1, "fr")


def _release_args(solutions: Path, notebooks: Path, *more: str) -> list[str]:
    return ["release", "--solutions", str(solutions), "--notebooks", str(notebooks), *more]


def test_stale_and_missing_cells_stay_english_one_line_each_and_fail_the_check(tmp_path, capsys):
    solutions, notebooks = write_course(tmp_path, skip=("md-22c8b033ea",))
    path = solutions / f"{cf.NAME}.ipynb"
    nb = nt.read_notebook(path)
    nb.cells[2].source += " (again)"  # md-cb537207de: its translation is now stale
    nt.write_notebook(nb, path)
    course = ["--course-dir", str(tmp_path / "course")]
    assert main(_release_args(solutions, notebooks, "--lang", "ko", *course)) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"untranslated: {cf.NAME}: cell md-cb537207de: stale translation "
        "(the English text changed)",
        f"untranslated: {cf.NAME}: cell md-22c8b033ea: missing translation",
    ]
    ko = nt.read_notebook(notebooks / "ko" / f"{cf.NAME}.ipynb")
    by_id = {c.id: c.source for c in ko.cells}
    assert by_id["md-cb537207de"] == nb.cells[2].source  # English, as the source has it
    assert by_id["md-22c8b033ea"] == "## Exercise 3: pixel range"
    assert KO in by_id["header"]
    # the notebooks are current, but a translation that was complete has drifted: CI fails
    assert main(_release_args(solutions, notebooks, "--lang", "ko", "--check")) == 1
    out = capsys.readouterr().out
    assert out.count("translation out of date:") == 2


def test_a_translation_in_progress_warns_but_passes_the_check(tmp_path, capsys):
    solutions, notebooks = write_course(tmp_path, todo=("md-22c8b033ea", "why_one_hot"))
    assert main(_release_args(solutions, notebooks, "--lang", "all")) == 0
    assert (notebooks / f"{cf.NAME}.ipynb").is_file()
    assert (notebooks / "ko" / f"{cf.NAME}.ipynb").is_file()
    capsys.readouterr()
    assert main(_release_args(solutions, notebooks, "--lang", "all", "--check")) == 0
    captured = capsys.readouterr()
    assert captured.err.count("missing translation") == 2
    assert "is up to date" in captured.out and "translation out of date" not in captured.out
    # a translation marked done that breaks a rule fails even while others are in progress
    toml = solutions / "ko" / f"{cf.NAME}.toml"
    toml.write_text(toml.read_text().replace("{{COLAB_BADGE}}", "", 1), encoding="utf-8")
    assert main(_release_args(solutions, notebooks, "--lang", "ko", "--check")) == 1
    assert "a placeholder of the English cell" in capsys.readouterr().out


def test_the_english_release_leaves_the_korean_folder_alone(editions):
    root, _, _ = editions
    solutions, notebooks = root / "solutions", root / "notebooks"
    again = release(solutions, notebooks, check=True)
    assert again.up_to_date and again.stale == [] and again.translations == []
    assert release(solutions, notebooks / "ko", check=True, lang="ko").up_to_date


def test_the_repository_korean_notebooks_are_up_to_date():
    result = release(SOLUTIONS_DIR, NOTEBOOKS_DIR / "ko", check=True, lang="ko")
    diffs = "\n".join(result.diffs.values())[:3000]
    assert result.up_to_date, (
        "notebooks/ko/ is out of date (run `gan-course release --lang ko`): "
        f"{[p.name for p in result.written + result.stale]}\n{diffs}"
    )
    assert len(result.unchanged) == len(list_sources(SOLUTIONS_DIR))
    assert result.translation_failures == [], "\n".join(result.translation_failures)

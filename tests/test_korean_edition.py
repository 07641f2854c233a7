"""The Korean edition: released from the sources and their translations, checked, graded alike."""

from __future__ import annotations

import json
import re
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
from course_lib.pipeline.translation import (  # noqa: E402
    code_tokens,
    english_hash,
    needs_translation,
)

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
        if a.cell_type == "code":  # the code is the English edition's, comments and text aside
            assert code_tokens(b.source) == code_tokens(a.source)
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
    stubs = [c.source for c in ko.cells if nt.is_answer(c) or nt.is_manual(c)]
    assert any("# 여기에 코드를 작성하십시오\n    raise NotImplementedError()" in s for s in stubs)
    assert any("여기에 답을 작성하십시오" in s for s in stubs) and "YOUR" not in json.dumps(ko)


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
    """``gan-course release`` on a scratch course (its sources staged next to ``notebooks``)."""
    course = ["--course-dir", str(notebooks.parent / "course")]
    return ["release", "--solutions", str(solutions), "--notebooks", str(notebooks), *course, *more]


def test_stale_and_missing_cells_stay_english_one_line_each_and_fail_the_check(tmp_path, capsys):
    solutions, notebooks = write_course(tmp_path, skip=("md-22c8b033ea",))
    path = solutions / f"{cf.NAME}.ipynb"
    nb = nt.read_notebook(path)
    nb.cells[2].source += " (again)"  # md-cb537207de: its translation is now stale
    nt.write_notebook(nb, path)
    assert main(_release_args(solutions, notebooks, "--lang", "ko")) == 0
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
    assert (tmp_path / "course" / "source" / cf.NAME / f"{cf.NAME}.ipynb").is_file()
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


# --------------------------------------------------------------------------- grading in Korean


@pytest.fixture(scope="module")
def graded_ko(tmp_path_factory):
    from course_lib.pipeline.autograde import autograde
    from course_lib.pipeline.sandbox import unavailable_reason

    root = tmp_path_factory.mktemp("graded-ko")
    solutions, notebooks = write_course(root)
    assert main(_release_args(solutions, notebooks, "--lang", "all")) == 0
    english = nt.read_notebook(notebooks / f"{cf.NAME}.ipynb")
    korean = nt.read_notebook(notebooks / "ko" / f"{cf.NAME}.ipynb")
    probe = 'import os\nprint("kernel language:", os.environ.get("GAN_COURSE_LANG"))\n'
    answers = {
        "solved": cf.fill(cf.solved(korean), {"normalize_pixels": probe + cf.SOLUTIONS[
            "normalize_pixels"]}),
        "blank": korean,
        "one_undone": cf.solved(korean, skip=("combine_vectors",)),
    }  # fmt: skip
    for student, nb in answers.items():
        target = root / "submitted" / student / cf.NAME / f"{cf.NAME}.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(nb), encoding="utf-8")
    summary = autograde(
        root / "submitted",
        course_dir=root / "course",
        solutions_dir=solutions,
        workers=2,
        cell_timeout=20,
        log=lambda _: None,
        sandbox=unavailable_reason() is None,
        lang="ko",
    )
    return root, summary, english


def _grades(course: Path, student: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    from course_lib.pipeline.autograde import _gradebook

    db_url, course_id = _gradebook(course, None)
    with Gradebook(db_url, course_id) as gb:
        nb = gb.find_submission_notebook(cf.NAME, cf.NAME, student)
        return {g.name: float(g.score) for g in nb.grades if g.auto_score is not None}


@pytest.mark.parametrize(
    ("student", "undone"),
    [("solved", ()), ("blank", tuple(cf.POINTS)), ("one_undone", ("combine_vectors",))],
)
def test_korean_submissions_score_what_the_english_edition_gives_per_grade_id(
    graded_ko, student, undone
):
    root, summary, english = graded_ko
    record = next(r for r in summary.records if r.student == student)
    assert record.status == "graded", record
    expected = {}
    for cell in english.cells:
        if nt.is_test(cell):
            exercise = nt.exercise_name(nt.grade_id(cell), cf.POINTS)
            expected[nt.grade_id(cell)] = 0.0 if exercise in undone else nt.points(cell)
    grades = _grades(root / "course", student)
    assert {g: grades[g] for g in expected} == expected
    if student == "blank":  # the untouched Korean stub is recognised as unanswered (checksums)
        assert grades.get("why_one_hot") == 0.0, grades
    assert record.score == sum(expected.values()) and record.max_score == cf.MAX_SCORE


def test_korean_feedback_pages_hide_the_hidden_tests_with_a_korean_note(graded_ko):
    from course_lib.pipeline.feedback import generate_feedback

    root, _, _ = graded_ko
    result = generate_feedback(root / "course", students=["solved"], lang="ko", log=print)
    assert result.problems == [] and len(result.written) == 1
    page = result.written[0].read_text(encoding="utf-8")
    assert "숨겨진 검사가 여기에서 실행되었습니다" in page and cf.HIDDEN_MARKER not in page
    assert "한국어 번역입니다." in page


def test_korean_grading_kernels_run_in_korean(graded_ko):
    root, _, _ = graded_ko
    graded = root / "course" / "autograded" / "solved" / cf.NAME / f"{cf.NAME}.ipynb"
    text = json.dumps(nt.read_notebook(graded), ensure_ascii=False)
    assert "kernel language: ko" in text and "# get_one_hot_labels 검사 (3점)" in text


# --------------------------------------------------------------------------- translations CLI


def _table(out: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:] if line}


def test_translations_table_skeleton_and_done(tmp_path, capsys):
    solutions, _ = write_course(tmp_path, todo=("why_one_hot",))
    common = ["translations", "--solutions", str(solutions)]
    assert main(common) == 0
    assert _table(capsys.readouterr().out)[cf.NAME] == ["14", "0", "1", "0", "in", "progress"]

    # the English gains a cell and changes another: --skeleton adds the new one as TODO
    path = solutions / f"{cf.NAME}.ipynb"
    nb = nt.read_notebook(path)
    new = nt.nbformat.v4.new_markdown_cell("A new paragraph.")
    new.id = "md-new"
    nb.cells.insert(3, new)
    nb.cells[2].source = "## Exercise 1: one-hot labels, again"
    nt.write_notebook(nb, path)
    assert main([*common, cf.NAME]) == 1  # a stale cell fails, as in release --check
    out = capsys.readouterr().out
    assert _table(out)[cf.NAME][:4] == ["13", "1", "2", "0"]
    assert f"{cf.NAME}: cell md-cb537207de: stale translation (the English text changed)" in out
    assert f"{cf.NAME}: cell md-new: missing translation" in out
    toml = solutions / "ko" / f"{cf.NAME}.toml"
    kept = toml.read_text()
    assert main([*common, cf.NAME, "--skeleton"]) == 1
    assert "1 new cell(s)" in capsys.readouterr().out
    text = toml.read_text()
    assert '[cell.md-new]\nen = "TODO"' in text and KO in text and len(text) > len(kept)

    # translate both, record them: the TODO ones by --done alone (why_one_hot's text is Korean
    # already), the stale one by its id
    text = text.replace("A new paragraph.", "새 문단입니다.")
    text = text.replace("## Exercise 1: one-hot labels\n", "## 실습 1: one-hot 레이블, 다시\n")
    toml.write_text(text, encoding="utf-8")
    assert main([*common, cf.NAME, "--done"]) == 1  # the stale one is still stale
    assert "2 cell(s) recorded as current" in capsys.readouterr().out
    assert main([*common, cf.NAME, "--done", "md-cb537207de"]) == 0
    out = capsys.readouterr().out
    assert _table(out)[cf.NAME] == ["16", "0", "0", "0", "complete"]
    assert main([*common, cf.NAME, "--done", "no-such-cell"]) == 2
    assert "has no entry for no-such-cell" in capsys.readouterr().err
    assert main([*common, "--done", "md-new"]) == 2
    assert "needs exactly one NOTEBOOK" in capsys.readouterr().err
    assert main([*common, "07_missing"]) == 2
    assert "no source notebook 07_missing" in capsys.readouterr().err


# --------------------------------------------------------------------------- the READMEs

ROOT = Path(__file__).resolve().parent.parent
#: ``gan-course COMMAND`` and what follows it on the same line, up to the end of the code span.
COMMAND_RE = re.compile(r"gan-course ([a-z]+)((?: [^`|\n#]*)?)")


def _options(command: str) -> set[str]:
    from course_lib.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")  # the subcommands
    assert command in sub.choices, f"the README names `gan-course {command}`, which is not one"
    return {opt for action in sub.choices[command]._actions for opt in action.option_strings}


@pytest.mark.parametrize("readme", ["README.md", "README.ko.md"])
def test_the_readmes_name_only_commands_and_options_the_cli_has(readme):
    text = (ROOT / readme).read_text(encoding="utf-8")
    found = COMMAND_RE.findall(text)
    assert len(found) > 10
    for command, rest in found:
        options = _options(command)
        for option in re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest):
            assert option in options, f"{readme}: `gan-course {command}` has no {option}"


def test_the_korean_readme_links_the_korean_notebooks_and_is_linked_from_the_readme():
    english = (ROOT / "README.md").read_text(encoding="utf-8")
    korean = (ROOT / "README.ko.md").read_text(encoding="utf-8")
    assert "한국어: [README.ko.md](README.ko.md)" in english.split("\n\n")[1]
    for path in list_sources(SOLUTIONS_DIR):
        assert f"({config.colab_url(f'notebooks/ko/{path.name}')})" in korean
    assert "--lang ko" in english and "합니다" in korean


# --------------------------------------------------------------------------- validate, feedback


def test_the_notebooks_setup_cell_chooses_the_language_of_reports(monkeypatch):
    from nbformat.v4 import new_code_cell, new_notebook

    monkeypatch.delenv("GAN_COURSE_LANG", raising=False)
    setup = new_code_cell('session = start("unpaired", lang="ko")')
    setup.metadata["nbgrader"] = {"grade_id": "setup", "locked": True}
    nb = new_notebook(cells=[setup])
    assert nt.notebook_language(nb) == "ko" and nt.report_language(nb) == "ko"
    assert nt.report_language(nb, "en") == "en"  # --lang wins
    setup.source = 'session = start("unpaired")'
    assert nt.notebook_language(nb) is None and nt.report_language(nb) == "en"
    monkeypatch.setenv("GAN_COURSE_LANG", "ko")
    assert nt.report_language(nb) == "ko"
    setup.source = 'session = start("digits", real="mnist" if on_colab() else None, lang="ko")'
    assert nt.notebook_language(nb) == "ko"
    monkeypatch.delenv("GAN_COURSE_LANG")
    for path in list_sources(SOLUTIONS_DIR):
        english = nt.read_notebook(NOTEBOOKS_DIR / path.name)
        korean = nt.read_notebook(NOTEBOOKS_DIR / "ko" / path.name)
        assert nt.report_language(english) == "en", path.name
        assert nt.report_language(korean) == "ko", path.name


def test_feedback_hides_hidden_tests_with_a_note_in_the_notebooks_language():
    from course_lib.pipeline.preprocessors import HideHiddenTests

    korean = nt.read_notebook(SOLUTIONS_DIR / "06_image_pool.ipynb")
    for cell in korean.cells:
        if nt.grade_id(cell) == "setup":
            cell.source = cell.source.replace('lang="en"', 'lang="ko"')
    english = nt.read_notebook(SOLUTIONS_DIR / "06_image_pool.ipynb")
    notes = {"ko": "# (숨겨진 검사가 여기에서 실행되었습니다. 내용은 보여 주지 않습니다)"}
    for nb, note in ((korean, notes["ko"]), (english, nt.HIDDEN_TESTS_NOTE)):
        nb, _ = HideHiddenTests().preprocess(nb, {})
        (test,) = [c for c in nb.cells if nt.grade_id(c) == "test_ImagePool"]
        assert note in test.source and "hidden=True" not in test.source


def test_validate_reports_in_the_notebooks_language(tmp_path, capsys):
    from nbformat.v4 import new_code_cell

    solutions, notebooks = write_course(tmp_path)
    release(solutions, notebooks / "ko", lang="ko")
    student = notebooks / "ko" / f"{cf.NAME}.ipynb"
    nb = cf.solved(nt.read_notebook(student), skip=("combine_vectors",))
    nb.cells.append(new_code_cell('raise ValueError("no plot")'))
    nt.write_notebook(nb, student)
    assert main(["validate", str(student), "--lang", "ko", "--sandbox", "off"]) == 1
    out = capsys.readouterr().out
    assert f"{cf.NAME}.ipynb: 실습 문제 3개 중 2개 통과, 4/6점" in out
    assert "  실패  combine_vectors" in out and "  통과  normalize_pixels" in out
    assert "아직 작성하지 않았습니다(NotImplementedError가 발생합니다)" in out
    assert "why_one_hot" in out and "2점, 사람이 채점" in out
    assert f"경고: 셀 {len(nb.cells)}에서 오류가 났습니다: ValueError: no plot" in out

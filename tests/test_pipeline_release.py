"""The release: student notebooks generated from the sources, and kept up to date."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import types
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


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    root = tmp_path_factory.mktemp("release")
    solutions = root / "solutions"
    cf.write_fixture_solutions(solutions)
    result = release(solutions, root / "notebooks")
    return root, result


def test_student_notebooks_have_no_solutions_hidden_tests_or_outputs(released):
    root, result = released
    assert [p.name for p in result.written] == [f"{cf.NAME}.ipynb"]
    text = (root / "notebooks" / f"{cf.NAME}.ipynb").read_text()
    nb = nt.read_notebook(root / "notebooks" / f"{cf.NAME}.ipynb")
    assert "BEGIN SOLUTION" not in text and "F.one_hot(labels" not in text
    assert "HIDDEN TESTS" not in text and cf.HIDDEN_MARKER not in text
    assert text.count("raise NotImplementedError()") == 3
    assert "YOUR ANSWER HERE" in text
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        if nt.is_locked(cell):
            assert cell.metadata["nbgrader"]["checksum"] and cell.metadata["editable"] is False


def test_badge_setup_cell_and_points_come_from_config(released):
    root, _ = released
    nb = nt.read_notebook(root / "notebooks" / f"{cf.NAME}.ipynb")
    header, setup = nb.cells[0], nb.cells[1]
    assert f"({config.colab_url(f'notebooks/{cf.NAME}.ipynb')})" in header.source
    assert "| `combine_vectors` | 2 |" in header.source
    assert nt.grade_id(setup) == "setup" and config.pip_spec() in setup.source
    tests = {nt.grade_id(c): c.source.split("\n")[0] for c in nb.cells if nt.is_test(c)}
    assert tests["test_get_one_hot_labels"] == "# Check get_one_hot_labels (3 points)"
    assert tests["test_combine_vectors_dtype"] == "# Check combine_vectors [dtype] (1 point)"
    assert "{{" not in json.dumps(nb)


def test_check_fails_when_a_solution_changes_and_writes_nothing(tmp_path):
    solutions, notebooks = tmp_path / "solutions", tmp_path / "notebooks"
    cf.write_fixture_solutions(solutions)
    release(solutions, notebooks)
    assert release(solutions, notebooks, check=True).up_to_date

    path = solutions / f"{cf.NAME}.ipynb"
    nb = nt.read_notebook(path)
    for cell in nb.cells:
        if nt.grade_id(cell) == "test_normalize_pixels":
            cell.metadata["nbgrader"]["points"] = 4
    nt.write_notebook(nb, path)
    before = (notebooks / f"{cf.NAME}.ipynb").read_text()
    result = release(solutions, notebooks, check=True)
    assert not result.up_to_date and result.written == [notebooks / f"{cf.NAME}.ipynb"]
    assert "(4 points)" in result.diffs[f"{cf.NAME}.ipynb"]
    assert (notebooks / f"{cf.NAME}.ipynb").read_text() == before
    args = ["release", "--check", "--solutions", str(solutions), "--notebooks", str(notebooks)]
    assert main(args) == 1

    assert main(["release", "--solutions", str(solutions), "--notebooks", str(notebooks),
                 "--course-dir", str(tmp_path / "course")]) == 0  # fmt: skip
    assert (tmp_path / "course" / "source" / cf.NAME / f"{cf.NAME}.ipynb").is_file()
    assert main(args) == 0

    shutil.copy(notebooks / f"{cf.NAME}.ipynb", notebooks / "07_removed.ipynb")
    result = release(solutions, notebooks, check=True)
    assert result.stale == [notebooks / "07_removed.ipynb"]
    release(solutions, notebooks)
    assert not (notebooks / "07_removed.ipynb").exists()


def test_the_repository_notebooks_are_up_to_date_with_the_solutions():
    result = release(SOLUTIONS_DIR, NOTEBOOKS_DIR, check=True)
    diffs = "\n".join(result.diffs.values())[:5000]
    assert result.up_to_date, (
        f"notebooks/ is out of date (run `gan-course release`): "
        f"{[p.name for p in result.written + result.stale]}\n{diffs}"
    )
    assert len(result.unchanged) == len(list_sources(SOLUTIONS_DIR))


def test_sources_use_placeholders_not_the_repository_url():
    for path in list_sources(SOLUTIONS_DIR):
        assert config.REPO_URL not in path.read_text(), f"{path.name}: use {{{{COLAB_URL}}}}"


FORK = "https://github.com/an-instructor/gan-course-fork"


def test_release_stamps_a_forks_address_given_on_the_command_line(tmp_path, capsys):
    solutions, notebooks = tmp_path / "solutions", tmp_path / "notebooks"
    cf.write_fixture_solutions(solutions)
    common = ["--solutions", str(solutions), "--notebooks", str(notebooks)]
    stamp = ["--repo-url", FORK + ".git", "--branch", "spring"]
    assert main(["release", *common, *stamp, "--course-dir", str(tmp_path / "course")]) == 0
    nb = nt.read_notebook(notebooks / f"{cf.NAME}.ipynb")
    header, setup = nb.cells[0], nb.cells[1]
    assert f"/github/an-instructor/gan-course-fork/blob/spring/notebooks/{cf.NAME}.ipynb" in (
        header.source
    )
    assert f"git+{FORK}@spring" in setup.source
    assert config.REPO_URL not in json.dumps(nb)
    assert main(["release", "--check", *common, *stamp]) == 0
    assert main(["release", "--check", *common]) == 1  # the default address differs
    capsys.readouterr()


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (["--repo-url", "https://gitlab.com/a/b"], "GitHub repository address"),
        (["--repo-url", "https://github.com/only-owner"], "GitHub repository address"),
        (["--branch", "bad..name"], "git branch name"),
    ],
)
def test_a_bad_repository_address_is_refused_in_one_line(tmp_path, capsys, options, problem):
    args = ["release", "--solutions", str(tmp_path), "--notebooks", str(tmp_path / "nb")]
    assert main([*args, *options]) == 2
    err = capsys.readouterr().err.strip()
    assert problem in err and len(err.splitlines()) == 1


def _run_setup_install(monkeypatch, returncode: int, stderr: str, lang: str = "en") -> None:
    """Run the setup cell's Colab install as Colab would, with pip's result replaced."""
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, returncode, "", stderr)

    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(subprocess, "run", fake_run)
    repo = config.Repository.checked(FORK, "spring")
    code = "import sys\n# " + nt.colab_install_code(repo, lang)
    try:
        exec(compile(code, "setup", "exec"), {})
    finally:
        assert calls and calls[0][-1] == f"git+{FORK}@spring"


def test_colab_install_failure_is_one_sentence_for_the_learner(monkeypatch):
    _run_setup_install(monkeypatch, 0, "")
    with pytest.raises(SystemExit) as info:
        _run_setup_install(monkeypatch, 1, "fatal: repository 'x' not found\nERROR: ...")
    message = str(info.value)
    assert FORK in message and "ask your instructor" in message
    assert "Traceback" not in message and "\n" not in message
    with pytest.raises(SystemExit, match="cannot reach the internet"):
        _run_setup_install(monkeypatch, 1, "fatal: Could not resolve host: github.com")


def test_the_korean_setup_cell_says_it_in_korean(monkeypatch):
    with pytest.raises(SystemExit) as info:
        _run_setup_install(monkeypatch, 1, "fatal: repository 'x' not found", lang="ko")
    message = str(info.value)
    assert FORK in message and "강사에게" in message and "\n" not in message
    with pytest.raises(SystemExit, match="인터넷"):
        _run_setup_install(monkeypatch, 1, "Could not resolve host: github.com", lang="ko")

"""The ``gan-course`` command: help, validate and the course's main job (build)."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import course_fixture as cf  # noqa: E402

from course_lib.cli import main  # noqa: E402
from course_lib.pipeline import cells  # noqa: E402
from course_lib.pipeline.release import release  # noqa: E402


def test_console_script_help_lists_the_commands():
    script = Path(sys.executable).with_name("gan-course")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "course_lib.cli"]
    out = subprocess.run([*cmd, "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("build", "slides", "validate", "release", "autograde", "feedback", "examples:"):
        assert command in out


@pytest.fixture(scope="module")
def fixture_notebooks(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    solutions = root / "solutions"
    cf.write_fixture_solutions(solutions)
    release(solutions, root / "notebooks")
    return root


def test_validate_passes_the_solutions_and_fails_the_untouched_notebook(fixture_notebooks, capsys):
    assert main(["validate", str(fixture_notebooks / "solutions" / f"{cf.NAME}.ipynb")]) == 0
    out = capsys.readouterr().out
    assert "3 of 3 exercise(s) pass, 6/6 points" in out
    assert "PASS  get_one_hot_labels" in out and "why_one_hot" in out

    assert main(["validate", str(fixture_notebooks / "notebooks" / f"{cf.NAME}.ipynb")]) == 1
    out = capsys.readouterr().out
    assert "0 of 3 exercise(s) pass" in out
    assert "FAIL  combine_vectors" in out and "NotImplementedError" in out
    assert "hidden tests" in out


def test_validate_reports_a_wrong_answer_with_the_check_message(
    fixture_notebooks, capsys, tmp_path
):
    from course_lib.pipeline.notebook_tools import read_notebook, write_notebook

    student = read_notebook(fixture_notebooks / "notebooks" / f"{cf.NAME}.ipynb")
    nb = cf.fill(cf.solved(student), {"normalize_pixels": "def normalize_pixels(v):\n    return v"})
    path = tmp_path / "mine.ipynb"
    write_notebook(nb, path)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "2 of 3 exercise(s) pass, 5/6 points" in out
    assert "map 0 to -1 and 255 to 1" in out

    (tmp_path / "broken.ipynb").write_text("{not json")
    assert main(["validate", str(tmp_path / "broken.ipynb")]) == 2
    assert "not valid JSON" in capsys.readouterr().err


@pytest.fixture
def fake_data(monkeypatch):
    calls = []
    module = types.ModuleType("course_lib.data.synthetic")

    def generate_all(root, seed=0, size="default"):
        calls.append((Path(root), seed, size))
        Path(root).mkdir(parents=True, exist_ok=True)
        (Path(root) / "digits").mkdir(exist_ok=True)

    module.generate_all = generate_all
    monkeypatch.setitem(sys.modules, "course_lib.data.synthetic", module)
    return calls


def test_build_runs_every_solution_and_writes_figures_and_report(tmp_path, fake_data, capsys):
    solutions = tmp_path / "solutions"
    cf.write_fixture_solutions(solutions)
    args = ["build", "--solutions", str(solutions), "--outputs", str(tmp_path / "outputs"),
            "--data", str(tmp_path / "data")]  # fmt: skip
    for _ in range(2):  # idempotent
        assert main(args) == 0
    out = capsys.readouterr().out
    assert fake_data == [(tmp_path / "data", 0, "default")] * 2
    assert "jupyter lab notebooks/" in out
    figures = sorted((tmp_path / "outputs" / "figures" / cf.NAME).glob("*.png"))
    assert [p.name for p in figures] == ["01.png"]
    from PIL import Image

    # fast mode: every saved figure carries the "smoke test, not a result" band
    assert Image.open(figures[0]).convert("RGB").getpixel((1, 1)) == (176, 0, 32)
    assert (tmp_path / "outputs" / "executed" / f"{cf.NAME}.ipynb").is_file()
    report = (tmp_path / "outputs" / "report.md").read_text()
    assert f"| `{cf.NAME}.ipynb` | ok |" in report and "| 4 | 0 | 1 |" in report
    assert "total time" in report


def test_build_without_notebooks_still_makes_the_data(tmp_path, fake_data):
    args = ["build", "--solutions", str(tmp_path / "none"), "--outputs", str(tmp_path / "out"),
            "--data", str(tmp_path / "data")]  # fmt: skip
    assert main(args) == 0
    assert (tmp_path / "data" / "digits").is_dir()
    assert "No solution notebooks" in (tmp_path / "out" / "report.md").read_text()


def test_build_names_a_failing_notebook(tmp_path, fake_data, capsys):
    nb = cells.make_source_notebook(
        [cells.setup_cell("import math"), cells.code("raise RuntimeError('broken on purpose')")]
    )
    cells.write_source_notebook(nb, tmp_path / "solutions" / "09_broken.ipynb")
    args = ["build", "--solutions", str(tmp_path / "solutions"), "--outputs",
            str(tmp_path / "out"), "--data", str(tmp_path / "data")]  # fmt: skip
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "FAILED: 09_broken.ipynb" in out
    assert "broken on purpose" in (tmp_path / "out" / "report.md").read_text()

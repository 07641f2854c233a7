"""``gan-course build --full``: default settings, resumable, progress with ETA, the report."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from PIL import Image

from course_lib.figures.marks import FAST_MODE_MARK, stamp_png
from course_lib.pipeline import cells
from course_lib.pipeline.execute import build, lesson_numbers, load_state
from course_lib.pipeline.notebook_tools import read_notebook

LESSON = """
import os
from pathlib import Path

runs = Path(os.environ["BUILD_TEST_DIR"]) / "lesson_runs.txt"
with runs.open("a") as f:
    f.write(os.environ.get("GAN_COURSE_FAST", "?") + "\\n")
print(f"judge accuracy: 97.5%")
print("| arm | drift |")
print("| with | 4.2 |")
"""

FIGURE = """
import matplotlib.pyplot as plt
plt.figure(figsize=(3, 2))
plt.plot([0, 1], [1, 0])
plt.show()
"""

INTERRUPTED = """
import os
from pathlib import Path

mark = Path(os.environ["BUILD_TEST_DIR"]) / "interrupted_once"
if not mark.exists():
    mark.write_text("1")
    raise RuntimeError("stopped half-way on purpose")
print("resumed: 12.5% of the way was already done")
"""


@pytest.fixture
def fake_data(monkeypatch):
    module = types.ModuleType("course_lib.data.synthetic")

    def generate_all(root, seed=0, size="default"):
        Path(root).mkdir(parents=True, exist_ok=True)

    module.generate_all = generate_all
    monkeypatch.setitem(sys.modules, "course_lib.data.synthetic", module)


def _write_sources(folder: Path) -> None:
    lesson = cells.make_source_notebook(
        [cells.header("Lesson", "A lesson.", points_table=False), cells.setup_cell("import math"),
         cells.code(LESSON), cells.code(FIGURE)]
    )  # fmt: skip
    cells.write_source_notebook(lesson, folder / "01_lesson.ipynb")
    interrupted = cells.make_source_notebook(
        [cells.header("Second", "Another.", points_table=False), cells.setup_cell("import math"),
         cells.code(INTERRUPTED)]
    )  # fmt: skip
    cells.write_source_notebook(interrupted, folder / "02_second.ipynb")


def test_full_build_resumes_reports_and_shows_progress(tmp_path, fake_data, monkeypatch, capsys):
    monkeypatch.setenv("BUILD_TEST_DIR", str(tmp_path))
    solutions, outputs = tmp_path / "solutions", tmp_path / "outputs"
    _write_sources(solutions)
    logs: list[str] = []
    kwargs = dict(data_dir=tmp_path / "data", timeout=120, full=True, log=logs.append)

    first = build(solutions, outputs, **kwargs)
    assert first.failed == ["02_second.ipynb"]
    assert (tmp_path / "lesson_runs.txt").read_text() == "0\n"  # GAN_COURSE_FAST=0: defaults
    full = outputs / "full"
    executed = read_notebook(full / "executed" / "01_lesson.ipynb")
    assert executed.metadata["gan_course"] == {"mode": "full"}
    state = load_state(full / "state.json")
    assert state["01_lesson.ipynb"]["status"] == "ok"
    assert state["02_second.ipynb"]["status"] == "failed"
    (figure,) = sorted((full / "figures" / "01_lesson").glob("*.png"))
    assert Image.open(figure).convert("RGB").getpixel((0, 0)) != (176, 0, 32)  # not stamped
    bars = capsys.readouterr().err
    assert "01_lesson" in bars and "cell" in bars  # first run: counts cells

    logs.clear()
    second = build(solutions, outputs, **kwargs)
    assert second.failed == []
    assert (tmp_path / "lesson_runs.txt").read_text() == "0\n", "a finished notebook ran again"
    assert any("01_lesson.ipynb: done in a previous run, kept" in line for line in logs)
    assert any("running 02_second.ipynb" in line and "last run" in line for line in logs)
    assert " s [" in capsys.readouterr().err  # second run: the bar counts the last run's seconds
    report = (full / "report.md").read_text()
    assert "default settings (full build)" in report
    assert "| `01_lesson.ipynb` | ok (kept) |" in report and "| `02_second.ipynb` | ok |" in report
    assert "judge accuracy: 97.5%" in report and "| with | 4.2 |" in report
    assert "resumed: 12.5% of the way" in report
    assert "Slowest cells:" in report
    assert (outputs / "slides" / "01_lesson.html").is_file(), "the decks were not written"
    assert "outputs/slides/01_lesson.html" in report.replace(str(tmp_path) + "/", "")

    # an edited source runs again; --force runs everything again
    logs.clear()
    build(solutions, outputs, **kwargs, force=True, decks=False, progress=False)
    assert (tmp_path / "lesson_runs.txt").read_text() == "0\n0\n"


def test_lesson_numbers_keep_tables_percentages_and_claims():
    nb = cells.make_source_notebook([cells.setup_cell("print('settings 50%')"), cells.code("x")])
    nb.cells[1].outputs = [
        {"output_type": "stream", "name": "stdout",
         "text": "loading\naccuracy: 81.0%\n[x] L1 is sharper\n| a | b |\n"},
        {"output_type": "display_data", "metadata": {},
         "data": {"text/markdown": "| arm | value |\n|---|---|\n| L1 | 0.3 |"}},
    ]  # fmt: skip
    nb.cells[0].outputs = [{"output_type": "stream", "name": "stdout", "text": "settings 50%\n"}]
    assert lesson_numbers(nb) == [
        "accuracy: 81.0%",
        "[x] L1 is sharper",
        "| a | b |",
        "| arm | value |",
        "|---|---|",
        "| L1 | 0.3 |",
    ]


def test_the_fast_mode_stamp_is_visible_and_keeps_the_figure(tmp_path):
    import io

    figure = Image.new("RGB", (400, 300), (255, 255, 255))
    buf = io.BytesIO()
    figure.save(buf, format="PNG")
    stamped = Image.open(io.BytesIO(stamp_png(buf.getvalue(), FAST_MODE_MARK))).convert("RGB")
    assert stamped.width == 400 and stamped.height > 300
    band = stamped.height - 300
    assert stamped.getpixel((2, 2)) == (176, 0, 32)
    assert stamped.getpixel((200, band + 150)) == (255, 255, 255)  # the figure, below the band
    row = [stamped.getpixel((x, band // 2)) for x in range(400)]
    assert any(p[0] > 240 and p[1] > 240 for p in row), "no text in the band"


def test_the_korean_build_runs_the_korean_notebooks_into_their_own_folders(
    tmp_path, fake_data, monkeypatch
):
    from course_lib.pipeline.translation import english_hash, needs_translation

    monkeypatch.setenv("BUILD_TEST_DIR", str(tmp_path))
    solutions, outputs = tmp_path / "solutions", tmp_path / "outputs"
    _write_sources(solutions)
    (solutions / "ko").mkdir()
    for source in sorted(solutions.glob("*.ipynb")):
        lines = []
        for cell in read_notebook(source).cells:
            if needs_translation(cell):
                lines += [f"[cell.{cell.id}]", f'en = "{english_hash(cell.source)}"']
                if cell.cell_type == "markdown":
                    lines.append(f"text = '''\n{cell.source}\n\n한국어 번역입니다.\n'''")
                else:
                    lines.append("same = true")
        (solutions / "ko" / f"{source.stem}.toml").write_text("\n".join(lines), encoding="utf-8")
    report = build(
        solutions, outputs, data_dir=tmp_path / "data", timeout=120, progress=False,
        log=lambda line: None, lang="ko", only=["01_lesson"],
    )  # fmt: skip
    assert report.failed == [] and report.report_path == outputs / "report.ko.md"
    executed = read_notebook(outputs / "executed" / "ko" / "01_lesson.ipynb")
    assert "한국어 번역입니다." in executed.cells[0].source
    assert not (outputs / "executed" / "01_lesson.ipynb").exists(), "the English copy was written"
    (figure,) = sorted((outputs / "figures" / "ko" / "01_lesson").glob("*.png"))
    assert Image.open(figure).convert("RGB").getpixel((0, 0)) == (176, 0, 32)  # stamped
    assert (outputs / "report.ko.md").is_file() and not (outputs / "report.md").exists()

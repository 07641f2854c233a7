"""``gan-course slides``: offline decks, stubs or solutions, and slides that fit a projector."""

from __future__ import annotations

import base64
import copy
import io
import re
import struct
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from course_lib.cli import main
from course_lib.pipeline import cells
from course_lib.pipeline.slides import (
    FAST_BANNER,
    MAX_LINES,
    MAX_OUTPUT_SLIDES,
    build_slides,
    clear_solution,
    plan_slides,
    strip_solution_markers,
)

ROOT = Path(__file__).resolve().parent.parent
COURSE = sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb"))
#: "About 20 lines": the test measures the HTML its own way, a little more loosely.
HTML_LINE_LIMIT = MAX_LINES + 2


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    """Every course deck, learner's and lecturer's, built from the sources (no kernel)."""
    out = tmp_path_factory.mktemp("slides")
    built = build_slides(executed=False, slides_dir=out, log=lambda _: None)
    built += build_slides(executed=False, slides_dir=out, with_solutions=True, log=lambda _: None)
    return {d.path.stem: d.path for d in built}


@pytest.fixture(scope="module")
def ko_decks(tmp_path_factory):
    """The Korean edition's learner decks, from the translated sources (no kernel)."""
    out = tmp_path_factory.mktemp("slides-ko")
    built = build_slides(executed=False, slides_dir=out, log=lambda _: None, lang="ko")
    return {d.path.stem: d.path for d in built}


#: The deck sets the offline and height tests run on: English (learner's and lecturer's), Korean.
EDITIONS = ["decks", "ko_decks"]


def test_a_deck_per_notebook_and_one_with_solutions(decks):
    assert COURSE, "no course notebooks found"
    assert sorted(decks) == sorted([*COURSE, *(f"{n}-solutions" for n in COURSE)])


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("name", COURSE)
def test_deck_loads_no_script_style_sheet_or_font_from_the_network(request, edition, name):
    path = request.getfixturevalue(edition)[name]
    html = path.read_text(encoding="utf-8")
    refs = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", html)
    refs += re.findall(r"<link[^>]*\bhref=\"([^\"]+)\"", html)
    refs += re.findall(r"@import\s+(?:url\()?[\"']?([^\"')\s;]+)", html)
    assert any("reveal.js" in r for r in refs) and any("tex-svg.js" in r for r in refs)
    for ref in refs:
        assert not re.match(r"(https?:)?//", ref), f"{name} loads {ref} from the network"
        assert (path.parent / ref).is_file(), f"{name} refers to {ref}, which is not there"
    # the reveal theme's fonts are local too (one copy of the assets for every edition)
    reveal = next(r for r in refs if r.endswith("reveal.js")).split("/dist/")[0]
    theme = (path.parent / reveal / "dist/theme/white.css").read_text()
    assert "http" not in re.sub(r"/\*.*?\*/", "", theme, flags=re.DOTALL)


def test_stubs_by_default_solutions_on_request_never_markers_or_checks(decks):
    learner = decks["02_pix2pix"].read_text(encoding="utf-8")
    lecturer = decks["02_pix2pix-solutions"].read_text(encoding="utf-8")
    solution_line = "self.norm(self.conv(self.activation(x)))"
    assert "NotImplementedError" in learner and "YOUR ANSWER HERE" in learner
    assert solution_line not in _code_text(learner)
    assert solution_line in _code_text(lecturer) and "NotImplementedError" not in lecturer
    for html in (learner, lecturer):
        assert "BEGIN SOLUTION" not in html and "END SOLUTION" not in html
        assert "HIDDEN TESTS" not in html
        assert "course_lib.grading" not in _code_text(html), "a check cell is on a slide"
        assert "colab-badge" not in html and "{{" not in html


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("name", COURSE)
def test_no_slide_is_taller_than_a_projector_shows(request, edition, name):
    decks = request.getfixturevalue(edition)
    for label in (name, f"{name}-solutions") if edition == "decks" else (name,):
        heights = measure_html(decks[label].read_text(encoding="utf-8"))
        assert heights, f"{label}: no slides"
        too_tall = [(title, round(h, 1)) for title, h in heights if h > HTML_LINE_LIMIT]
        assert not too_tall, f"{label}: slides over {HTML_LINE_LIMIT} lines: {too_tall}"


def test_korean_decks_are_in_korean_next_to_the_english_assets(ko_decks):
    path = ko_decks["06_image_pool"]
    assert path.parent.name == "ko" and sorted(ko_decks) == COURSE
    html = path.read_text(encoding="utf-8")
    assert "Discriminator를 위한 기억" in html and "실습 문제와 배점" in html
    assert 'src="../assets/' in html and "실행되지 않음" in html  # the no-outputs banner
    assert "course_lib.grading" not in _code_text(html) and "{{" not in html


def test_clear_solution_keeps_the_indentation_and_the_rest():
    source = "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION"
    assert clear_solution(source, "code") == (
        "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    )
    assert strip_solution_markers(source) == "def f(x):\n    y = 1\n    return x + y"
    answer = "### BEGIN SOLUTION\nBecause.\n### END SOLUTION"
    assert clear_solution(answer, "markdown") == "YOUR ANSWER HERE"


def _png(width: int, height: int) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 200, 255)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def synthetic_notebook():
    """Everything the slide rules deal with: long code, a long printout, tall figures, checks."""
    long_code = "\n".join(f"x{i} = {i}  # line {i}" for i in range(60))
    printout = new_code_cell("print(model)")
    printout.outputs = [
        new_output("stream", name="stdout", text="".join(f"layer {i}\n" for i in range(200)))
    ]
    figure = new_code_cell("plt.plot(x)\nplt.show()")
    figure.outputs = [new_output("display_data", data={"image/png": _png(1400, 900)})]
    two_figures = new_code_cell("show_two()")
    two_figures.outputs = [
        new_output("display_data", data={"image/png": _png(1000, 400)}) for _ in range(2)
    ]
    slide = {"slideshow": {"slide_type": "slide"}}
    nb = cells.make_source_notebook(
        [
            cells.header("Synthetic", "An introduction.\n\n" + "More text. " * 40),
            cells.setup_cell("import math"),
            new_markdown_cell("## Long things", metadata=slide),
            new_code_cell(long_code),
            printout,
            figure,
            two_figures,
            cells.answer_cell(
                "f", "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
            ),
            cells.test_cell("test_f", "assert f() == 1", points=1, import_check=False),
            new_markdown_cell("Left out.", metadata={"slideshow": {"slide_type": "skip"}}),
        ]
    )
    nb.metadata["gan_course"] = {"mode": "fast"}
    return nb


def test_long_cells_are_cut_into_slides_that_fit():
    slides = plan_slides(synthetic_notebook())
    assert all(s.lines <= MAX_LINES for s in slides), [round(s.lines, 1) for s in slides]
    text = ["\n".join(c.source for c in s.cells) for s in slides]
    joined = "\n".join(text)
    assert all(f"x{i} = {i}" in joined for i in range(60)), "code was lost in the cut"
    code_slides = [t for t in text if "x1 = 1" in t or "x59 = 59" in t]
    assert len(code_slides) >= 3 or sum("# line" in t for t in text) >= 3
    assert sum("(continued)" in t for t in text) >= 3
    printed = [
        o["text"]
        for s in slides
        for c in s.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.get("output_type") == "stream"
    ]
    assert len(printed) == MAX_OUTPUT_SLIDES
    assert "more lines in the notebook" in printed[-1]
    assert "assert f() == 1" not in joined and "Left out." not in joined
    assert "raise NotImplementedError()" in joined
    # the title slide's points table has a slide of its own
    (points,) = [t for t in text if "**Exercises and points**" in t]
    assert "# Synthetic\n" not in points and "More text." not in points


def test_a_fast_mode_deck_says_so_on_every_slide(tmp_path):
    from course_lib.pipeline.notebook_tools import write_notebook

    solutions = tmp_path / "solutions"
    nb = synthetic_notebook()
    write_notebook(nb, tmp_path / "outputs" / "executed" / "07_synthetic.ipynb")
    cells.write_source_notebook(synthetic_notebook(), solutions / "07_synthetic.ipynb")
    (built,) = build_slides(
        ["07_synthetic"], solutions_dir=solutions, outputs_dir=tmp_path / "outputs",
        log=lambda _: None,
    )  # fmt: skip
    assert built.mode == "fast" and built.path == tmp_path / "outputs/slides/07_synthetic.html"
    html = built.path.read_text(encoding="utf-8")
    assert f'<div class="deck-banner">{FAST_BANNER}</div>' in html
    assert html.count('src="data:image/png') == 3


def test_a_korean_deck_takes_the_outputs_of_the_english_run_and_says_fast_mode_in_korean(
    tmp_path,
):
    from course_lib.pipeline.notebook_tools import write_notebook
    from course_lib.pipeline.slides import DECK_WORDS

    solutions = tmp_path / "solutions"
    nb = synthetic_notebook()  # the run and the source share their cell ids, as in a build
    write_notebook(nb, tmp_path / "outputs" / "executed" / "07_synthetic.ipynb")
    cells.write_source_notebook(copy.deepcopy(nb), solutions / "07_synthetic.ipynb")
    (built,) = build_slides(
        ["07_synthetic"], solutions_dir=solutions, outputs_dir=tmp_path / "outputs",
        log=lambda _: None, lang="ko",
    )  # fmt: skip
    assert built.mode == "fast" and built.path == tmp_path / "outputs/slides/ko/07_synthetic.html"
    html = built.path.read_text(encoding="utf-8")
    assert f'<div class="deck-banner">{DECK_WORDS["ko"]["fast"]}</div>' in html
    assert html.count('src="data:image/png') == 3
    assert (tmp_path / "outputs/slides/assets/reveal/dist/reveal.js").is_file()


def test_cli_names_an_unknown_notebook(capsys):
    assert main(["slides", "99_nothing", "--no-outputs", "--outputs", "/tmp/none"]) == 2
    err = capsys.readouterr().err
    assert "no notebook '99_nothing'" in err and "02_pix2pix" in err


# --------------------------------------------------------------------------- measuring HTML


def _code_text(html: str) -> str:
    """The deck's text without tags (code is split into highlighting spans)."""
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


class _SlideText(HTMLParser):
    """Per innermost ``<section>``: an estimate of its height in lines, from the HTML alone."""

    BLOCKS = {"p": 1.0, "li": 1.0, "h1": 2.0, "h2": 1.7, "h3": 1.4, "tr": 1.05}
    WIDTH = {"p": 100, "li": 95, "h1": 56, "h2": 66, "h3": 80, "tr": 120}

    def __init__(self) -> None:
        super().__init__()
        self.slides: list[list[object]] = []  # [title, lines]
        self.depth = 0
        self.stack: list[tuple[str, list[str]]] = []
        self.in_pre = 0
        self.pre: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.slides.append(["", 0.0])
        elif tag in ("style", "script", "aside"):
            self.skip += 1
        elif tag == "pre":
            self.in_pre += 1
            self.pre = []
        elif tag in self.BLOCKS and not self.in_pre:
            self.stack.append((tag, []))
        elif tag == "img" and self.slides:
            src = attrs.get("src", "")
            if src.startswith("data:image/png;base64,"):
                raw = base64.b64decode(src.split(",", 1)[1])
                w, h = struct.unpack(">II", raw[16:24])
                scale = min(1.0, 1180 / w, 480 / h)
                self.slides[-1][1] += h * scale / 32

    def handle_endtag(self, tag):
        if tag in ("style", "script", "aside"):
            self.skip -= 1
        elif tag == "pre" and self.in_pre:
            self.in_pre -= 1
            text = "".join(self.pre).rstrip("\n")
            if self.slides and text:
                self.slides[-1][1] += sum(max(1, -(-len(ln) // 92)) for ln in text.split("\n"))
        elif self.stack and tag == self.stack[-1][0]:
            name, parts = self.stack.pop()
            text = " ".join("".join(parts).split())
            if self.slides and text:
                self.slides[-1][1] += self.BLOCKS[name] * max(1, -(-len(text) // self.WIDTH[name]))
                if name.startswith("h") and not self.slides[-1][0]:
                    self.slides[-1][0] = text.rstrip("¶")

    def handle_data(self, data):
        if self.skip:
            return
        if self.in_pre:
            self.pre.append(data)
        elif self.stack:
            self.stack[-1][1].append(data)


def measure_html(html: str) -> list[tuple[str, float]]:
    """``(title, lines)`` of every slide of a deck (a vertical stack's own section is skipped)."""
    parser = _SlideText()
    parser.feed(html)
    return [(title, lines) for title, lines in parser.slides if lines > 0]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))

"""The slide rules of the decks: what a slide shows, how tall it is, and where cells are cut.

:func:`plan_slides` turns a notebook (executed or not) into :class:`Slide` s, following the
notebook's slide metadata (``slideshow.slide_type``) and these rules:

* check cells (autograder tests), ``skip`` cells and the setup cell are left out, and so are the
  Colab badge and the nbgrader markers: answer cells show the learner's stub, or with
  ``with_solutions`` the solution without its ``### BEGIN/END SOLUTION`` lines;
* no slide holds more than :data:`MAX_LINES` lines (what a 16:9 projector shows at the deck's
  font size). Content that would overflow goes on a continuation slide that repeats the
  heading; a code cell or a printout longer than a slide is cut into pieces of about equal
  length between statements, and a printout longer than :data:`MAX_OUTPUT_SLIDES` slides is
  shortened (the notebook has it all); the title's points table gets a slide of its own, and a
  line that introduces what follows ("...:") moves with it.

The height of a cell is estimated in lines of code (:func:`cell_lines`): source lines wrapped at
the deck's width, text, headings and table rows weighted, figures by their height in pixels.
:func:`deck_notebook` lays the slides out as a notebook for nbconvert.
"""

from __future__ import annotations

import base64
import copy
import math
import re
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell

from .notebook_tools import (
    BEGIN_SOLUTION,
    END_SOLUTION,
    is_answer,
    is_manual,
    is_test,
    nbgrader_meta,
)

#: Lines of text or code that fit on one slide at the deck's font size.
MAX_LINES = 20
#: Slides a single printout may fill before it is shortened.
MAX_OUTPUT_SLIDES = 2
#: The deck's canvas (16:9); reveal.js scales it to the screen.
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
#: Height of one line of code in the deck's CSS, in canvas pixels.
LINE_PX = 29
#: Characters per line before the browser wraps, for text and for code.
TEXT_CHARS, CODE_CHARS = 88, 92
#: A line of text is this many lines of code high (the unit of :data:`MAX_LINES`).
TEXT_WEIGHT = 1.15
#: A piece that introduces the next ("...:") may take a slide this much over MAX_LINES.
LEAD_IN_SLACK = 1.1
#: Widest and tallest a figure is shown (CSS ``max-width`` / ``max-height``), in canvas pixels.
IMAGE_MAX_WIDTH, IMAGE_MAX_HEIGHT = 1180, 480
#: What a stub shows in place of a solution (nbgrader's own stubs).
#: The line above the points table of a title cell; the table gets a slide of its own.
POINTS_TABLE_TITLE = "**Exercises and points**"
#: The title of the points table in every edition (the Korean one's: "실습 문제와 배점").
POINTS_TABLE_TITLES = (POINTS_TABLE_TITLE, "**실습 문제와 배점**")

# --------------------------------------------------------------------------- sources


def clear_solution(source: str, cell_type: str, lang: str = "en") -> str:
    """The learner's version of an answer: each solution region replaced by nbgrader's stub
    (in ``lang``, as the release writes it)."""
    from .settings import solution_stubs

    code_stub, text_stub = solution_stubs(lang)
    if cell_type == "markdown":
        if BEGIN_SOLUTION not in source:
            return source
        return _replace_regions(source, lambda indent: [text_stub])
    lines = code_stub.split("\n")
    return _replace_regions(source, lambda indent: [indent + line for line in lines])


def strip_solution_markers(source: str) -> str:
    """The solution without its ``### BEGIN SOLUTION`` / ``### END SOLUTION`` lines."""
    lines = [ln for ln in source.splitlines() if ln.strip() not in (BEGIN_SOLUTION, END_SOLUTION)]
    return "\n".join(lines)


def _replace_regions(source: str, stub: Callable[[str], list[str]]) -> str:
    out: list[str] = []
    inside = False
    for line in source.splitlines():
        if line.strip() == BEGIN_SOLUTION:
            inside = True
            out.extend(stub(line[: len(line) - len(line.lstrip())]))
        elif line.strip() == END_SOLUTION:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


_BADGE_RE = re.compile(r"^\s*\[!\[Open In Colab\].*$\n?", re.MULTILINE | re.IGNORECASE)


def lecture_source(cell: NotebookNode, with_solutions: bool, lang: str = "en") -> str:
    """A cell's source as the deck shows it (stub or solution, no markers, no Colab badge)."""
    source = cell.source
    if is_answer(cell) or is_manual(cell):
        source = (
            strip_solution_markers(source)
            if with_solutions
            else clear_solution(source, cell.cell_type, lang)
        )
    if cell.cell_type == "markdown":
        source = _BADGE_RE.sub("", source)
        source = re.sub(r"\n{3,}", "\n\n", source)
    return source.strip("\n")


# --------------------------------------------------------------------------- measuring


def _wrapped(line: str, width: int) -> int:
    return max(1, math.ceil(len(line.rstrip()) / width))


def markdown_lines(text: str) -> float:
    """Estimated height of rendered Markdown, in lines of body text."""
    total = 0.0
    in_math = in_fence = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("```"):
            in_fence = not in_fence
            total += 0.5
            continue
        if in_fence:
            total += 1
            continue
        if line.startswith("$$"):
            single = line.endswith("$$") and len(line) > 4
            if single:
                total += 1.8
            else:
                in_math = not in_math
                total += 0.6
            continue
        if in_math or line.endswith("$$"):
            total += 1.3
            if line.endswith("$$"):
                in_math = False
            continue
        if not line:
            total += 0.35
        elif line.startswith("# "):
            total += 2.2 * _wrapped(line, 50)
        elif line.startswith("## "):
            total += 1.9 * _wrapped(line, 60)
        elif line.startswith("### "):
            total += 1.5 * _wrapped(line, 74)
        elif re.fullmatch(r"\|?\s*:?-{2,}.*", line):
            continue  # the separator row of a table
        elif line.startswith("|"):
            total += 1.2 * _wrapped(line, TEXT_CHARS + 20)
        else:
            total += TEXT_WEIGHT * _wrapped(line, TEXT_CHARS)
    return total


def text_lines(text: str, width: int = CODE_CHARS) -> float:
    """Height of preformatted text (code, printouts), in lines."""
    return float(sum(_wrapped(line, width) for line in text.rstrip("\n").split("\n")))


def png_size(data: str | list[str]) -> tuple[int, int]:
    """Width and height of a base64 PNG."""
    raw = base64.b64decode(data if isinstance(data, str) else "".join(data))
    if raw[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    width, height = struct.unpack(">II", raw[16:24])
    return width, height


def image_lines(width: int, height: int, dpi_scale: float = 1.0) -> float:
    """Height of a figure on a slide, in lines (it is shown at most IMAGE_MAX_* pixels)."""
    width, height = width / dpi_scale, height / dpi_scale
    scale = min(1.0, IMAGE_MAX_WIDTH / max(width, 1), IMAGE_MAX_HEIGHT / max(height, 1))
    return height * scale / LINE_PX + 0.3


def output_lines(output: NotebookNode) -> float:
    """Height of one output, in lines."""
    kind = output.get("output_type")
    if kind == "stream":
        return text_lines(output.get("text", "")) + 0.3
    if kind == "error":
        return text_lines("\n".join(output.get("traceback", []))) + 0.3
    data = output.get("data", {})
    if "image/png" in data:
        try:
            w, h = png_size(data["image/png"])
        except ValueError:
            return MAX_LINES / 2
        return image_lines(w, h)
    if "text/markdown" in data:
        return markdown_lines(_text(data["text/markdown"]))
    if "text/html" in data:
        return max(1.0, _text(data["text/html"]).count("<tr") * 1.1)
    if "text/plain" in data:
        return text_lines(_text(data["text/plain"])) + 0.3
    return 0.0


def cell_lines(cell: NotebookNode) -> float:
    """Height of a cell of a deck (its input unless hidden, and its outputs), in lines."""
    if cell.cell_type == "markdown":
        return markdown_lines(cell.source)
    total = 0.0
    if not cell.metadata.get("deck", {}).get("output_only") and cell.source.strip():
        total += text_lines(cell.source) + 0.5
    return total + sum(output_lines(o) for o in cell.get("outputs", []))


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


# --------------------------------------------------------------------------- splitting


def slide_type(cell: NotebookNode) -> str:
    """The cell's ``slideshow.slide_type`` (``-`` when unset)."""
    return (cell.metadata.get("slideshow") or {}).get("slide_type") or "-"


def _deck_cell(cell: NotebookNode, source: str, outputs: list | None = None) -> NotebookNode:
    piece = copy.deepcopy(cell)
    piece.source = source
    if piece.cell_type == "code":
        piece.outputs = list(outputs or [])
    piece.metadata = {
        key: value for key, value in piece.metadata.items() if key not in ("nbgrader", "deck")
    }
    piece.metadata["slideshow"] = {"slide_type": "-"}
    return piece


def split_markdown(cell: NotebookNode, source: str, budget: float) -> list[NotebookNode]:
    """Markdown cut at paragraph boundaries into pieces of at most ``budget`` lines.

    Paragraphs, tables, display equations and fenced code are never cut; a table of exercise
    points (the title slide's) always gets a piece of its own.
    """
    blocks = _markdown_blocks(source)
    pieces: list[list[str]] = [[]]
    own_slide: set[int] = set()
    for block in blocks:
        own = block.lstrip().startswith(POINTS_TABLE_TITLES)
        current = "\n\n".join(pieces[-1])
        if pieces[-1] and (own or markdown_lines(current + "\n\n" + block) > budget):
            pieces.append([])
        if own:
            own_slide.add(len(pieces) - 1)
        pieces[-1].append(block)
    cut = []
    for i, blocks_of_piece in enumerate(pieces):
        if not blocks_of_piece:
            continue
        piece = _deck_cell(cell, "\n\n".join(blocks_of_piece))
        if i in own_slide:
            piece.metadata["deck"] = {"new_slide": True}
        cut.append(piece)
    return cut


def _markdown_blocks(source: str) -> list[str]:
    blocks: list[list[str]] = [[]]
    in_math = in_fence = False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_fence = not in_fence
        elif stripped.startswith("$$") and not (stripped.endswith("$$") and len(stripped) > 4):
            in_math = not in_math
        elif in_math and stripped.endswith("$$"):
            in_math = False
        if not stripped and not in_math and not in_fence:
            if blocks[-1]:
                blocks.append([])
            continue
        blocks[-1].append(line)
    joined = ["\n".join(b) for b in blocks if b]
    # a heading, or a line that introduces what follows (ends with ":"), stays with the next block
    merged: list[str] = []
    carry = ""
    for block in joined:
        if carry:
            block = carry + "\n\n" + block
            carry = ""
        last = block.splitlines()[-1].strip()
        lead_in = last.startswith("#") or last.endswith(":") or last in POINTS_TABLE_TITLES
        if len(block.splitlines()) == 1 and lead_in:
            carry = block
            continue
        merged.append(block)
    if carry:
        merged.append(carry)
    return merged


def split_code(cell: NotebookNode, source: str, budget: float) -> list[NotebookNode]:
    """A code cell cut into pieces of at most ``budget`` lines: its input, then its outputs.

    An input of at most :data:`MAX_LINES` lines stays whole; a longer one is cut into pieces of
    about equal length, between statements (at blank lines where possible). A printout longer
    than a slide is cut into slide-sized pieces, and one longer than :data:`MAX_OUTPUT_SLIDES`
    slides is shortened.
    """
    pieces: list[NotebookNode] = []
    outputs = [o for o in cell.get("outputs", []) if not _is_progress_noise(o)]
    lines = source.split("\n")
    if not source.strip():
        chunks: list[list[str]] = []
    elif text_lines(source) <= MAX_LINES:
        chunks = [lines]
    else:
        chunks = _cut_code(lines, budget - 1)
    for chunk in chunks:
        pieces.append(_deck_cell(cell, "\n".join(chunk)))
    # outputs follow the last input piece while they fit
    for output in outputs:
        for part in _split_output(output, budget - 1):
            if pieces and cell_lines(pieces[-1]) + output_lines(part) <= budget:
                pieces[-1].outputs.append(part)
            else:
                piece = _deck_cell(cell, "", [part])
                piece.metadata["deck"] = {"output_only": True}
                pieces.append(piece)
    return pieces or [_deck_cell(cell, source)]


def _is_progress_noise(output: NotebookNode) -> bool:
    """A stderr stream of progress bars or warnings, which a lecture does not show."""
    return output.get("output_type") == "stream" and output.get("name") == "stderr"


def _cut_code(lines: list[str], budget: float) -> list[list[str]]:
    """Code cut into chunks of about equal length, each within ``budget``, between statements."""
    n = math.ceil(text_lines("\n".join(lines)) / budget)
    chunks: list[list[str]] = []
    rest = lines
    while rest:
        if text_lines("\n".join(rest)) <= budget or n <= 1:
            chunks.append(rest)
            break
        target = len(rest) / n
        best, best_score = 1, -1e9
        for i in range(1, len(rest)):
            if text_lines("\n".join(rest[:i])) > budget:
                break
            score = -abs(i - target) + _cut_quality(rest, i)
            if score > best_score:
                best, best_score = i, score
        chunks.append(rest[:best])
        rest = rest[best:]
        while rest and not rest[0].strip():
            rest = rest[1:]
        n -= 1
    return [c for c in chunks if any(ln.strip() for ln in c)]


def _cut_quality(lines: list[str], i: int) -> float:
    """How good a place it is to start a new chunk at line ``i`` (higher is better)."""
    before, after = lines[i - 1].rstrip(), lines[i]
    if not before.strip():
        return 6.0  # after a blank line
    if before.endswith(("(", "[", "{", ",", "\\", ":")) or after.strip().startswith(
        (")", "]", "}")
    ):
        return -20.0  # inside a statement or right after a block opener
    indent = len(after) - len(after.lstrip())
    return 3.0 if indent == 0 else 0.0


def _split_output(output: NotebookNode, budget: float) -> list[NotebookNode]:
    if output.get("output_type") != "stream" or output_lines(output) <= max(budget, MAX_LINES):
        return [output]
    lines = output.get("text", "").rstrip("\n").split("\n")
    chunks = _cut_code(lines, budget - 1)
    if len(chunks) > MAX_OUTPUT_SLIDES:
        shown = chunks[:MAX_OUTPUT_SLIDES]
        rest = len(lines) - sum(len(c) for c in shown)
        shown[-1] = [*shown[-1][:-1], f"... ({rest} more lines in the notebook)"]
        chunks = shown
    parts = []
    for chunk in chunks:
        part = copy.deepcopy(output)
        part["text"] = "\n".join(chunk) + "\n"
        parts.append(part)
    return parts


# --------------------------------------------------------------------------- the deck


@dataclass
class Slide:
    """One slide of a deck: its cells and their estimated height."""

    kind: str  # "slide" or "subslide"
    cells: list[NotebookNode] = field(default_factory=list)
    lines: float = 0.0
    heading: str = ""
    continued: bool = False


def heading_of(source: str) -> str:
    """The text of the first Markdown heading in ``source`` ("" when there is none)."""
    for line in source.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return ""


def _continuation(heading: str) -> NotebookNode:
    text = f"### {heading} (continued)" if heading else "### (continued)"
    cell = new_markdown_cell(text)
    cell.metadata["slideshow"] = {"slide_type": "-"}
    cell.metadata["deck"] = {"continued": True}
    return cell


def _leads_in(slide: Slide, next_lines: float, limit: float) -> bool:
    """True when the slide ends with a lead-in ("...:") and the next piece fits within ``limit``."""
    last = slide.cells[-1] if slide.cells else None
    return (
        last is not None
        and last.cell_type == "markdown"
        and last.source.rstrip().endswith(":")
        and slide.lines + next_lines <= limit
    )


def _pop_lead_in(slide: Slide, next_lines: float, max_lines: float) -> NotebookNode | None:
    """The slide's last cell if it introduces what follows ("...:"), taken off the slide.

    It is moved when the next piece goes on a new slide, so that "Follow the shapes:" is not
    left at the bottom of one slide with the code it announces on the next.
    """
    if len(slide.cells) < 2:
        return None
    last = slide.cells[-1]
    if last.cell_type != "markdown" or not last.source.rstrip().endswith(":"):
        return None
    cost = cell_lines(last)
    if cost + next_lines + markdown_lines("### x (continued)") > max_lines:
        return None
    slide.cells.pop()
    slide.lines -= cost
    return last


def plan_slides(
    nb: NotebookNode, with_solutions: bool = False, max_lines: float = MAX_LINES, lang: str = "en"
) -> list[Slide]:
    """The deck's slides: cells kept, cut and grouped by the slide rules (module docstring);
    learner's stubs in ``lang``."""
    slides: list[Slide] = []
    heading = ""

    def start(kind: str, continued: bool = False) -> Slide:
        slide = Slide(kind="slide" if not slides else kind, heading=heading, continued=continued)
        if continued:
            head = _continuation(heading)
            slide.cells.append(head)
            slide.lines += markdown_lines(head.source)
        slides.append(slide)
        return slide

    for cell in nb.cells:
        kind = slide_type(cell)
        if kind == "skip" or is_test(cell) or nbgrader_meta(cell).get("grade_id") == "setup":
            continue
        if cell.cell_type not in ("markdown", "code"):
            continue
        source = lecture_source(cell, with_solutions, lang)
        if not source.strip() and not cell.get("outputs"):
            continue
        if kind == "notes":
            if slides:
                note = _deck_cell(cell, source)
                note.metadata["slideshow"] = {"slide_type": "notes"}
                slides[-1].cells.append(note)
            continue
        budget = max_lines - (markdown_lines("### x (continued)") if slides else 0)
        if cell.cell_type == "markdown":
            pieces = split_markdown(cell, source, budget)
        else:
            pieces = split_code(cell, source, budget)
        for i, piece in enumerate(pieces):
            new_heading = heading_of(piece.source) if piece.cell_type == "markdown" else ""
            lines = cell_lines(piece)
            if not slides or (i == 0 and kind in ("slide", "subslide")):
                current = start(kind)
            elif (
                slides[-1].lines + lines > max_lines
                and not _leads_in(slides[-1], lines, LEAD_IN_SLACK * max_lines)
            ) or piece.metadata.get("deck", {}).get("new_slide"):
                lead_in = _pop_lead_in(slides[-1], lines, max_lines)
                heading_cost = markdown_lines("### x (continued)")
                fits = lines + heading_cost <= LEAD_IN_SLACK * max_lines
                current = start("subslide", continued=not new_heading and fits)
                if lead_in is not None:
                    current.cells.append(lead_in)
                    current.lines += cell_lines(lead_in)
            else:
                current = slides[-1]
            if new_heading:
                heading = new_heading
                if not current.heading or current.lines == 0:
                    current.heading = heading
            if i > 0 or kind != "fragment":
                piece.metadata["slideshow"] = {"slide_type": "-"}
            else:
                piece.metadata["slideshow"] = {"slide_type": "fragment"}
            current.cells.append(piece)
            current.lines += lines
    return slides


def deck_notebook(slides: Iterable[Slide], nb: NotebookNode) -> NotebookNode:
    """A notebook whose slide metadata lays out ``slides`` exactly (input to nbconvert)."""
    deck = copy.deepcopy(nb)
    cells: list[NotebookNode] = []
    for slide in slides:
        for i, cell in enumerate(slide.cells):
            if i == 0:
                cell.metadata["slideshow"] = {"slide_type": slide.kind}
            cell["id"] = f"deck-{len(cells)}"
            cells.append(cell)
    deck.cells = cells
    deck.metadata.pop("widgets", None)
    return deck

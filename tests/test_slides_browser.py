"""The decks in headless Chromium: every slide of every deck fits the 16:9 canvas, offline."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from course_lib.pipeline.deck_browser import find_chromium, measure_slides
from course_lib.pipeline.slides import SLIDE_HEIGHT, build_slides

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)"
)

sys.path.insert(0, str(Path(__file__).parent))
from test_slides import synthetic_notebook  # noqa: E402


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    """The course decks from the sources, and a deck with outputs (long printout, figures)."""
    from course_lib.pipeline import cells
    from course_lib.pipeline.notebook_tools import write_notebook

    root = tmp_path_factory.mktemp("browser")
    quiet = {"log": lambda _: None}
    paths = [d.path for d in build_slides(executed=False, slides_dir=root / "course", **quiet)]
    write_notebook(synthetic_notebook(), root / "outputs" / "executed" / "07_synthetic.ipynb")
    cells.write_source_notebook(synthetic_notebook(), root / "solutions" / "07_synthetic.ipynb")
    synthetic = build_slides(
        ["07_synthetic"], solutions_dir=root / "solutions", outputs_dir=root / "outputs", **quiet
    )
    paths += [d.path for d in synthetic]
    return paths


def test_every_slide_of_every_deck_fits_the_canvas(decks):
    with ThreadPoolExecutor(3) as pool:
        measured = list(pool.map(lambda deck: measure_slides(deck, CHROMIUM), decks))
    for deck, slides in zip(decks, measured):
        assert slides, f"{deck.name}: no slides rendered"
        too_tall = [(s.anchor, s.title, s.height) for s in slides if s.height > SLIDE_HEIGHT]
        assert not too_tall, f"{deck.name}: slides taller than {SLIDE_HEIGHT}px: {too_tall}"
        # MathJax, from the local copy, typeset every equation: no raw TeX is left on a slide
        assert not [s.anchor for s in slides if s.raw_tex], f"{deck.name}: raw TeX on slides"
    assert sum(s.math for s in measured[1]) > 10, "02_pix2pix: the equations were not typeset"

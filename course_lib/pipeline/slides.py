"""``gan-course slides``: reveal.js decks of the notebooks that a lecturer can project offline.

A deck is built from an executed notebook (the full build's, else the fast build's, else the
source without outputs) and written to ``outputs/slides/<notebook>.html`` with the reveal.js and
MathJax files it loads copied to ``outputs/slides/assets/`` (from the ``sphinx-revealjs`` and
``django-static-mathjax`` packages): no script, style sheet or font comes from the network. The
slides follow the rules of :mod:`~course_lib.pipeline.slide_plan` (check cells left out, stubs
or solutions without markers, nothing taller than a projector shows); a deck from a fast-mode
run carries a banner saying so on every slide.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from nbformat import NotebookNode

from course_lib.config import REPO_ROOT

from .notebook_tools import read_notebook
from .slide_plan import (
    IMAGE_MAX_HEIGHT,
    IMAGE_MAX_WIDTH,
    MAX_LINES,
    MAX_OUTPUT_SLIDES,
    SLIDE_HEIGHT,
    SLIDE_WIDTH,
    Slide,
    clear_solution,
    deck_notebook,
    heading_of,
    plan_slides,
    strip_solution_markers,
)

__all__ = [
    "MAX_LINES",
    "MAX_OUTPUT_SLIDES",
    "SLIDE_HEIGHT",
    "SLIDE_WIDTH",
    "DeckResult",
    "SlidesError",
    "build_slides",
    "clear_solution",
    "plan_slides",
    "render_deck",
    "strip_solution_markers",
]

OUTPUTS_DIR = REPO_ROOT / "outputs"
SLIDES_DIR = OUTPUTS_DIR / "slides"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_FILE = "course_slides.html.j2"
FAST_BANNER = "fast mode: smoke test, not a result"
NO_OUTPUTS_BANNER = "not executed: run `gan-course build --full` for the figures"

DECK_CSS = f"""
.reveal .slides section {{ font-size: 24px; line-height: 1.33; }}
:root {{
  --jp-content-font-size1: 24px;
  --jp-ui-font-size1: 22px;
  --jp-code-font-size: 20px;
  --jp-code-line-height: 1.3;
  --jp-content-line-height: 1.33;
  --jp-cell-prompt-width: 0px;
}}
.reveal .jp-InputPrompt, .reveal .jp-OutputPrompt {{ display: none; }}
.reveal .jp-Cell {{ padding: 2px 0; }}
.reveal .jp-Notebook, .reveal .jp-Cell-inputWrapper, .reveal .jp-OutputArea {{ overflow: hidden; }}
.reveal .slides h1, .reveal .slides h2, .reveal .slides h3 {{
  text-transform: none !important; line-height: 1.15 !important;
}}
.reveal .slides h1 {{ font-size: 46px !important; margin: 0 0 12px 0 !important; }}
.reveal .slides h2 {{ font-size: 38px !important; margin: 0 0 10px 0 !important; }}
.reveal .slides h3 {{ font-size: 31px !important; margin: 0 0 8px 0 !important; }}
.reveal .slides .jp-RenderedHTMLCommon {{ font-size: 26px !important; }}
.reveal .jp-RenderedHTMLCommon p, .reveal .jp-RenderedHTMLCommon li {{
  margin: 3px 0; line-height: 1.33;
}}
.reveal .jp-RenderedHTMLCommon ul, .reveal .jp-RenderedHTMLCommon ol {{
  margin: 4px 0 4px 1.2em;
}}
.reveal .jp-RenderedHTMLCommon code {{ font-size: 0.85em; padding: 0 3px; }}
.reveal .slides pre, .reveal .slides pre code {{
  font-size: 22px !important; line-height: 1.3 !important; margin: 0; white-space: pre-wrap;
}}
.reveal .slides .jp-OutputArea-output pre {{ font-size: 21px !important; }}
.reveal .slides table {{ font-size: 23px !important; margin: 6px 0; }}
.reveal table th, .reveal table td {{ padding: 2px 10px; }}
.reveal section img {{
  max-width: {IMAGE_MAX_WIDTH}px; max-height: {IMAGE_MAX_HEIGHT}px; width: auto; height: auto;
  margin: 4px 0;
}}
.reveal mjx-container[display="true"] {{ margin: 6px 0 !important; }}
.reveal .controls {{ font-size: 9px; }}
body.deck-banner-on .reveal .slides section {{ padding-top: 30px; }}
.deck-banner {{
  position: fixed; top: 0; left: 0; right: 0; z-index: 50; text-align: center;
  background: #b00020; color: white; font: bold 17px sans-serif; padding: 3px;
}}
"""


class SlidesError(Exception):
    """A deck cannot be built (unknown notebook, missing assets); the message says why."""


# --------------------------------------------------------------------------- assets


def asset_sources() -> dict[str, Path]:
    """Where the installed packages keep reveal.js (a folder) and MathJax (one script)."""
    reveal = _package_dir("sphinx_revealjs", "sphinx-revealjs")
    mathjax = _package_dir("mathjax", "django-static-mathjax")
    found = {
        "reveal": reveal / "_static" / "revealjs",
        "mathjax": mathjax / "static" / "mathjax" / "es5" / "tex-svg.js",
    }
    for name, path in found.items():
        if not path.exists():
            raise SlidesError(f"{name} not found at {path}: reinstall the course extra")
    return found


def _package_dir(module: str, package: str) -> Path:
    spec = find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SlidesError(
            f"the decks need the {package!r} package (reveal.js / MathJax files): "
            f'pip install -e ".[course]"'
        )
    return Path(next(iter(spec.submodule_search_locations)))


def copy_assets(slides_dir: Path) -> dict[str, str]:
    """Copy reveal.js and MathJax into ``slides_dir/assets``; their addresses relative to a deck."""
    sources = asset_sources()
    target = slides_dir / "assets"
    reveal = target / "reveal"
    wanted = [
        "dist/reveal.css",
        "dist/reveal.js",
        "dist/reset.css",
        "dist/theme/white.css",
        "dist/theme/fonts/source-sans-pro/source-sans-pro.css",
        "plugin/notes/notes.js",
    ]
    wanted += [
        str(p.relative_to(sources["reveal"]))
        for p in (sources["reveal"] / "dist/theme/fonts/source-sans-pro").glob("*.woff")
    ]
    for rel in wanted:
        src, dst = sources["reveal"] / rel, reveal / rel
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    mathjax = target / "mathjax" / "tex-svg.js"
    if not mathjax.exists() or mathjax.stat().st_size != sources["mathjax"].stat().st_size:
        mathjax.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sources["mathjax"], mathjax)
    return {"reveal": "assets/reveal", "mathjax": "assets/mathjax/tex-svg.js"}


def notebook_mode(nb: NotebookNode) -> str:
    """How the notebook was run: ``full``, ``fast``, or ``none`` (never executed)."""
    mode = (nb.metadata.get("gan_course") or {}).get("mode")
    if mode in ("full", "fast"):
        return mode
    has_outputs = any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
    return "fast" if has_outputs else "none"


def render_deck(
    nb: NotebookNode,
    slides: list[Slide],
    title: str,
    assets: dict[str, str],
    banner: str = "",
) -> str:
    """The deck's HTML: ``slides`` (from :func:`plan_slides` of ``nb``) through nbconvert."""
    from nbconvert import SlidesExporter

    deck = deck_notebook(slides, nb)
    deck.metadata["title"] = title
    exporter = SlidesExporter(
        extra_template_paths=[str(TEMPLATE_DIR)],
        template_file=TEMPLATE_FILE,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        reveal_url_prefix=assets["reveal"],
        reveal_theme="white",
        reveal_transition="none",
    )
    resources = {
        "deck": {
            "reveal": assets["reveal"],
            "mathjax": assets["mathjax"],
            "css": DECK_CSS,
            "banner": banner,
            "width": SLIDE_WIDTH,
            "height": SLIDE_HEIGHT,
        },
    }
    html, _ = exporter.from_notebook_node(deck, resources=resources)
    return html


@dataclass
class DeckResult:
    """One deck written by :func:`build_slides`."""

    name: str
    path: Path
    source: Path
    mode: str
    slides: int


def resolve_notebooks(names: Iterable[str | Path], solutions_dir: Path) -> list[Path]:
    """The source notebooks that ``names`` (stems or paths of any copy) refer to."""
    from .release import list_sources

    sources = {p.stem: p for p in list_sources(solutions_dir)}
    wanted = list(names)
    if not wanted:
        return list(sources.values())
    found = []
    for name in wanted:
        stem = Path(name).stem
        if stem not in sources:
            known = ", ".join(sources) or "none"
            raise SlidesError(f"no notebook {stem!r} in {solutions_dir} (there are: {known})")
        found.append(sources[stem])
    return found


def executed_copy(stem: str, outputs_dir: Path) -> Path | None:
    """The full build's executed notebook ``stem``, else the fast build's, else None."""
    for folder in (outputs_dir / "full" / "executed", outputs_dir / "executed"):
        path = folder / f"{stem}.ipynb"
        if path.is_file():
            return path
    return None


def build_slides(
    names: Iterable[str | Path] = (),
    with_solutions: bool = False,
    solutions_dir: str | Path | None = None,
    outputs_dir: str | Path = OUTPUTS_DIR,
    slides_dir: str | Path | None = None,
    executed: bool = True,
    log: Callable[[str], None] = print,
) -> list[DeckResult]:
    """Write a deck per notebook to ``outputs/slides/`` (``<name>-solutions.html`` with solutions).

    Each deck is built from the notebook's executed copy (:func:`executed_copy`) unless
    ``executed`` is false or there is none, then from the source without outputs. A deck from a
    fast-mode run carries a banner saying so on every slide.
    """
    from .release import SOLUTIONS_DIR, stage_notebook

    solutions = Path(solutions_dir) if solutions_dir else SOLUTIONS_DIR
    outputs_dir = Path(outputs_dir)
    target = Path(slides_dir) if slides_dir else outputs_dir / "slides"
    sources = resolve_notebooks(names, solutions)
    target.mkdir(parents=True, exist_ok=True)
    assets = copy_assets(target)
    results: list[DeckResult] = []
    for source in sources:
        run = executed_copy(source.stem, outputs_dir) if executed else None
        nb = read_notebook(run) if run else stage_notebook(source)
        mode = notebook_mode(nb)
        banner = {"fast": FAST_BANNER, "none": NO_OUTPUTS_BANNER}.get(mode, "")
        title = heading_of(nb.cells[0].source) if nb.cells else source.stem
        slides = plan_slides(nb, with_solutions)
        html = render_deck(nb, slides, title or source.stem, assets, banner)
        suffix = "-solutions" if with_solutions else ""
        path = target / f"{source.stem}{suffix}.html"
        path.write_text(html, encoding="utf-8")
        count = len(slides)
        results.append(DeckResult(source.stem, path, run or source, mode, count))
        shown = {"full": "default settings", "fast": "FAST MODE", "none": "no outputs"}[mode]
        log(f"{path}: {count} slides from {run or source} ({shown})")
    return results

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
#: The banners and the continuation mark of each edition's decks.
DECK_WORDS = {
    "en": {"fast": FAST_BANNER, "none": NO_OUTPUTS_BANNER, "continued": "(continued)"},
    "ko": {
        "fast": "빠른 모드(fast mode): 스모크 테스트이며 결과가 아닙니다",
        "none": "실행되지 않음: 그림은 `gan-course build --full`을 실행하면 생깁니다",
        "continued": "(계속)",
    },
}

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


def executed_copy(stem: str, outputs_dir: Path, lang: str = "en") -> Path | None:
    """The full build's executed notebook ``stem``, else the fast build's, else None.

    For a translated edition (``lang="ko"``) an executed copy of that edition
    (``executed/ko/<stem>.ipynb``) comes first, then the English one.
    """
    folders = [outputs_dir / "full" / "executed", outputs_dir / "executed"]
    if lang != "en":
        folders = [f / lang for f in folders] + folders
    for folder in folders:
        path = folder / f"{stem}.ipynb"
        if path.is_file():
            return path
    return None


def with_outputs_of(nb: NotebookNode, run: NotebookNode) -> NotebookNode:
    """``nb`` (a translated edition's source) with the outputs of the executed ``run`` (the
    English one), cell by cell id: the code is the same, so are its outputs."""
    outputs = {c.get("id"): c for c in run.cells if c.cell_type == "code"}
    for cell in nb.cells:
        ran = outputs.get(cell.get("id"))
        if cell.cell_type == "code" and ran is not None:
            cell.outputs = ran.get("outputs", [])
            cell.execution_count = ran.get("execution_count")
    if "gan_course" in run.metadata:
        nb.metadata["gan_course"] = run.metadata["gan_course"]
    return nb


def build_slides(
    names: Iterable[str | Path] = (),
    with_solutions: bool = False,
    solutions_dir: str | Path | None = None,
    outputs_dir: str | Path = OUTPUTS_DIR,
    slides_dir: str | Path | None = None,
    executed: bool = True,
    log: Callable[[str], None] = print,
    lang: str = "en",
) -> list[DeckResult]:
    """Write a deck per notebook to ``outputs/slides/`` (``<name>-solutions.html`` with solutions).

    Each deck is built from the notebook's executed copy (:func:`executed_copy`) unless
    ``executed`` is false or there is none, then from the source without outputs. A deck from a
    fast-mode run carries a banner saying so on every slide.

    ``lang="ko"``: the Korean edition's decks, ``outputs/slides/ko/<name>.html`` (the assets
    stay in ``outputs/slides/assets/``), from the translated sources; the outputs are those of
    a Korean executed copy where there is one, else of the English one (same code, same
    outputs; their figures' labels are then English).
    """
    from .release import SOLUTIONS_DIR, check_edition, stage_notebook

    words = DECK_WORDS[check_edition(lang)]
    solutions = Path(solutions_dir) if solutions_dir else SOLUTIONS_DIR
    outputs_dir = Path(outputs_dir)
    base = Path(slides_dir) if slides_dir else outputs_dir / "slides"
    target = base if lang == "en" else base / lang
    sources = resolve_notebooks(names, solutions)
    target.mkdir(parents=True, exist_ok=True)
    assets = copy_assets(base)
    if lang != "en":
        assets = {key: f"../{value}" for key, value in assets.items()}
    results: list[DeckResult] = []
    for source in sources:
        run = executed_copy(source.stem, outputs_dir, lang) if executed else None
        if lang == "en" or (run is not None and run.parent.name == lang):
            nb = read_notebook(run) if run else stage_notebook(source)
        else:
            nb = stage_notebook(source, lang=lang)
            if run is not None:
                nb = with_outputs_of(nb, read_notebook(run))
        mode = notebook_mode(nb)
        banner = {"fast": words["fast"], "none": words["none"]}.get(mode, "")
        title = heading_of(nb.cells[0].source) if nb.cells else source.stem
        slides = plan_slides(nb, with_solutions, lang=lang)
        if lang != "en":
            for slide in slides:
                for cell in slide.cells:
                    if cell.metadata.get("deck", {}).get("continued"):
                        cell.source = cell.source.replace("(continued)", words["continued"])
        html = render_deck(nb, slides, title or source.stem, assets, banner)
        suffix = "-solutions" if with_solutions else ""
        path = target / f"{source.stem}{suffix}.html"
        path.write_text(html, encoding="utf-8")
        count = len(slides)
        results.append(DeckResult(source.stem, path, run or source, mode, count))
        shown = {"full": "default settings", "fast": "FAST MODE", "none": "no outputs"}[mode]
        log(f"{path}: {count} slides from {run or source} ({shown})")
    return results

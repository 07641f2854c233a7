"""``gan-course build``: the course's main job, and the guarded notebook runner it shares.

``build`` generates the embedded datasets, runs every notebook of ``solutions/`` in fast mode (as
the release stages it: placeholders filled in, conventions checked),
keeps the executed notebooks (``outputs/executed/``) and their figures
(``outputs/figures/<notebook>/NN.png``, each stamped "fast mode: smoke test, not a result"),
writes ``outputs/report.md`` and says how to open the course in JupyterLab. It can be run again
at any time: the datasets are kept, the outputs replaced.

``build(full=True)`` (``gan-course build --full``) runs every notebook at its default settings
instead, into ``outputs/full/`` (executed notebooks, unmarked figures, ``report.md`` with each
lesson's numbers and times, ``state.json``), then writes the decks (``outputs/slides/``). It
shows a progress bar per notebook whose ETA comes from the previous run's cell times when there
was one. It is resumable: a notebook that finished is kept while its source is unchanged
(``--force`` runs it again), and a notebook that was interrupted runs again with its training
resuming from the checkpoints it saved.

``build(lang="ko")`` (``--lang ko``) runs the Korean edition the same way: executed notebooks in
``executed/ko/``, figures in ``figures/ko/<notebook>/`` (Korean titles and labels, the fast-mode
band in Korean), ``report.ko.md`` and, with ``full``, the Korean decks. Both editions train
through the same ``checkpoints/`` folder, so a full Korean build reuses the models the English
one trained (and the other way round).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode

from course_lib.config import DEFAULT_DATA_DIR, REPO_ROOT

from .notebook_tools import (
    cell_passed,
    first_error,
    grade_id,
    is_test,
    read_notebook,
    write_notebook,
)
from .release import SOLUTIONS_DIR, ReleaseError, list_sources, stage_notebook
from .settings import CELL_TIMEOUT, ensure_tools_on_path

OUTPUTS_DIR = REPO_ROOT / "outputs"
BUILD_CELL_TIMEOUT = 600
#: Seconds a cell may run in a full build (a training cell at the default settings on a CPU).
FULL_CELL_TIMEOUT = 7200
#: Lines of each lesson's numbers the report keeps.
MAX_NUMBER_LINES = 30


@contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Set (or, with None, unset) environment variables for the duration of a block."""
    saved = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_notebook(
    nb: NotebookNode,
    cwd: str | Path,
    timeout: float = CELL_TIMEOUT,
    fast: bool = True,
    sandbox: bool = False,
    on_cell_executed: Callable[..., None] | None = None,
) -> NotebookNode:
    """Execute ``nb`` in place in a fresh Python 3 kernel started in ``cwd``.

    Errors do not stop the run (every cell runs). The kernel has the course's guard: a cell
    running past ``timeout`` is stopped, one that cannot be stopped gets the kernel restarted, and
    huge outputs are cut. ``fast`` sets ``GAN_COURSE_FAST=1`` (training skipped or shortened).
    ``sandbox`` starts the kernel in the grading sandbox (for notebooks written by someone else;
    it then works on a private copy of ``cwd``); the course's own notebooks run without it.
    ``on_cell_executed(cell=..., cell_index=..., execute_reply=...)`` is called after each code
    cell (nbclient's hook), e.g. for a progress bar.
    """
    from traitlets.config import Config

    from .preprocessors import GuardedExecute

    ensure_tools_on_path()
    config = Config()
    config.SandboxedKernelManager.sandbox = sandbox
    executor = GuardedExecute(timeout=int(timeout), kernel_name="python3", config=config)
    if on_cell_executed is not None:
        executor.on_cell_executed = on_cell_executed
    with environment(GAN_COURSE_FAST="1" if fast else "0"):
        executor.preprocess(nb, {"metadata": {"path": str(cwd)}})
    return nb


@dataclass
class NotebookRun:
    """How one notebook of the build went."""

    name: str
    status: str
    seconds: float
    checks_passed: int = 0
    checks_failed: int = 0
    figures: list[Path] = field(default_factory=list)
    error: str = ""
    numbers: list[str] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)
    kept: bool = False

    @property
    def ok(self) -> bool:
        """True when every cell ran without an error."""
        return self.status == "ok"


@dataclass
class BuildReport:
    """What the build did."""

    data_dir: Path
    data_status: str
    runs: list[NotebookRun]
    seconds: float
    report_path: Path
    full: bool = False
    decks: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> list[str]:
        """Names of what failed (the datasets or notebooks)."""
        names = [r.name for r in self.runs if not r.ok]
        if not self.data_status.startswith("ok"):
            names.insert(0, "datasets")
        return names


def generate_data(data_dir: Path) -> str:
    """Generate the embedded datasets into ``data_dir``; a status line for the report."""
    try:
        from course_lib.data.synthetic import generate_all
    except Exception as exc:
        return f"failed: course_lib.data.synthetic.generate_all unavailable ({exc})"
    start = time.monotonic()
    try:
        generate_all(data_dir, seed=0, size="default")
    except Exception as exc:
        return f"failed: {type(exc).__name__}: {exc}"
    return f"ok ({time.monotonic() - start:.1f} s)"


def save_figures(
    nb: NotebookNode, folder: Path, mark: str | None = None, lang: str | None = None
) -> list[Path]:
    """Write every ``image/png`` output of ``nb`` to ``folder/NN.png`` (the folder is replaced).

    With ``mark`` (the fast build's "fast mode: smoke test, not a result") every figure gets a
    band across the top that says so, in ``lang`` (default: the course's language now).
    """
    from course_lib.figures.marks import stamp_png

    shutil.rmtree(folder, ignore_errors=True)
    written: list[Path] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = (
                out.get("data", {})
                if out.get("output_type")
                in (
                    "display_data",
                    "execute_result",
                )
                else {}
            )
            png = data.get("image/png")
            if not png:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{len(written) + 1:02d}.png"
            raw = base64.b64decode(png if isinstance(png, str) else "".join(png))
            path.write_bytes(stamp_png(raw, mark, lang=lang) if mark else raw)
            written.append(path)
    return written


def summarize_run(
    nb: NotebookNode,
    name: str,
    seconds: float,
    figures: list[Path],
    cell_seconds: dict[int, float] | None = None,
) -> NotebookRun:
    """Status, checks, first error, numbers and slowest cells of an executed notebook."""
    run = NotebookRun(name=name, status="ok", seconds=seconds, figures=figures)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if is_test(cell):
            if cell_passed(cell):
                run.checks_passed += 1
            else:
                run.checks_failed += 1
        err = first_error(cell)
        if err and not run.error:
            where = grade_id(cell) or f"cell {i + 1}"
            run.error = f"{where}: {err[0]}: {' '.join(err[1].split())[:300]}"
            run.status = "failed"
    run.numbers = lesson_numbers(nb)
    if cell_seconds:
        ranked = sorted(cell_seconds.items(), key=lambda item: -item[1])[:3]
        run.slowest = [(t, _first_line(nb.cells[i].source)) for i, t in ranked if t >= 0.05]
    return run


_NUMBER_LINE = re.compile(r"\d(\.\d+)?\s*%|^\s*\[[x ]\]|^\s*\|")


def lesson_numbers(nb: NotebookNode) -> list[str]:
    """The results a notebook prints: its tables and the lines that state a number or a claim.

    Markdown tables displayed by a cell, printed table rows (``| ... |``), percentages and
    ``[x]``/``[ ]`` claims, from every code cell except the setup cell and the checks.
    """
    found: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code" or is_test(cell) or grade_id(cell) == "setup":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                found += [ln.rstrip() for ln in out.get("text", "").splitlines()
                          if _NUMBER_LINE.search(ln)]  # fmt: skip
            elif out.get("output_type") in ("display_data", "execute_result"):
                text = out.get("data", {}).get("text/markdown")
                if text:
                    text = text if isinstance(text, str) else "".join(text)
                    found += [ln.rstrip() for ln in text.splitlines() if ln.strip()]
    return found[:MAX_NUMBER_LINES]


def _first_line(source: str) -> str:
    lines = [ln.strip() for ln in source.splitlines() if ln.strip() and not ln.startswith("#")]
    return (lines[0] if lines else "")[:70]


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


def write_report(report: BuildReport, path: Path) -> None:
    """Write the build's ``report.md`` (``outputs/`` or, for a full build, ``outputs/full/``)."""
    mode = "default settings (full build)" if report.full else "fast mode (smoke test)"
    lines = [
        "# Course build report",
        "",
        f"- mode: {mode}",
        f"- datasets ({_rel(report.data_dir)}): {report.data_status}",
        f"- total time: {report.seconds:.1f} s",
        f"- machine: {os.cpu_count()} CPU core(s), torch threads as the notebooks set them",
        "",
    ]
    if not report.full:
        lines += [
            "Fast mode trains for a few iterations only: its figures (stamped so) and numbers "
            "are a smoke test, not results. `gan-course build --full` gives the real ones.",
            "",
        ]
    if not report.runs:
        lines.append("No solution notebooks in `solutions/` yet: only the datasets were built.")
    else:
        lines += [
            "| notebook | status | seconds | checks passed | checks failed | figures |",
            "|---|---|---|---|---|---|",
        ]
        for run in report.runs:
            status = f"{run.status} (kept)" if run.kept else run.status
            lines.append(
                f"| `{run.name}` | {status} | {run.seconds:.1f} | {run.checks_passed} "
                f"| {run.checks_failed} | {len(run.figures)} |"
            )
        errors = [r for r in report.runs if r.error]
        if errors:
            lines += ["", "## Errors", ""]
            lines += [f"- `{r.name}`: {r.error}" for r in errors]
        lines += ["", "## Each lesson's numbers and times", ""]
        for run in report.runs:
            lines += [f"### `{run.name}`", ""]
            when = "in a previous run, kept" if run.kept else "in this run"
            lines.append(f"Ran in {_duration(run.seconds)} ({when}).")
            if run.slowest:
                lines += ["", "Slowest cells:", ""]
                lines += [f"- {_duration(t)}: `{src}`" for t, src in run.slowest]
            if run.numbers:
                lines += ["", "Printed results:", "", "```text", *run.numbers, "```"]
            lines.append("")
    if report.decks:
        lines += ["## Decks", ""] + [f"- `{_rel(d)}`" for d in report.decks]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def jupyter_hint() -> str:
    """The command that opens the course in JupyterLab with this environment."""
    jupyter = Path(sys.executable).with_name("jupyter")
    shown = _rel(jupyter) if jupyter.exists() else "jupyter"
    return f"{shown} lab notebooks/"


# --------------------------------------------------------------------------- progress, state


class CellProgress:
    """A progress bar over a notebook's code cells, with an ETA.

    With the cell times of a previous run (``expected``: seconds by cell index) the bar counts
    expected seconds, so its ETA is the previous run's time still to go; without, it counts
    cells. ``__call__`` is nbclient's ``on_cell_executed`` hook; :attr:`cell_seconds` collects
    each cell's time (from the end of the previous cell).
    """

    def __init__(
        self,
        nb: NotebookNode,
        name: str,
        expected: dict[int, float] | None = None,
        enabled: bool = True,
        file: object = None,
    ) -> None:
        from tqdm.auto import tqdm

        self.code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        self.expected = {int(k): float(v) for k, v in (expected or {}).items()}
        self.by_time = bool(self.expected)
        total = sum(self.expected.values()) if self.by_time else len(self.code_cells)
        self.bar = tqdm(
            total=round(total, 1),
            desc=f"  {name}",
            unit="s" if self.by_time else "cell",
            disable=not enabled,
            file=file if file is not None else sys.stderr,
            dynamic_ncols=True,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} {unit} "
            "[{elapsed}<{remaining}]",
        )
        self.cell_seconds: dict[int, float] = {}
        self._last = time.monotonic()

    def __call__(self, cell: NotebookNode | None = None, cell_index: int = -1, **_: object) -> None:
        """Record cell ``cell_index`` as done."""
        now = time.monotonic()
        self.cell_seconds[cell_index] = self.cell_seconds.get(cell_index, 0.0) + now - self._last
        self._last = now
        if self.by_time:
            step = self.expected.get(cell_index, 0.0)
            self.bar.update(min(step, max(0.0, self.bar.total - self.bar.n)))
        else:
            self.bar.update(1)

    def close(self) -> None:
        """Finish the bar."""
        if self.bar.total and self.bar.n < self.bar.total:
            self.bar.update(self.bar.total - self.bar.n)
        self.bar.close()


def source_digest(path: Path) -> str:
    """What decides whether a finished notebook of a full build is still current."""
    return hashlib.sha1(path.read_bytes()).hexdigest()


def load_state(path: Path) -> dict[str, dict]:
    """The full build's ``state.json`` (empty when absent or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_state(path: Path, state: dict[str, dict]) -> None:
    """Write ``state.json`` atomically (an interruption never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


# --------------------------------------------------------------------------- the build


def build(
    solutions_dir: str | Path = SOLUTIONS_DIR,
    outputs_dir: str | Path = OUTPUTS_DIR,
    data_dir: str | Path | None = None,
    timeout: float = BUILD_CELL_TIMEOUT,
    log: Callable[[str], None] = print,
    full: bool = False,
    only: list[str] | None = None,
    force: bool = False,
    progress: bool = True,
    decks: bool = True,
    lang: str = "en",
) -> BuildReport:
    """Generate the datasets, run the solution notebooks, write figures and the report.

    Fast mode by default (``outputs/``); with ``full`` the default settings, into
    ``outputs/full/``, resumable, followed by the decks (see the module docstring). ``only``
    limits the run to these notebooks (names or paths); ``progress`` shows the bars. ``lang``
    the edition (``en``, or ``ko``: the Korean notebooks, in ``executed/ko/``).
    """
    from course_lib.figures.marks import FAST_MODE_MARK

    start = time.monotonic()
    outputs_dir = Path(outputs_dir)
    root = outputs_dir / "full" if full else outputs_dir
    data = Path(data_dir) if data_dir else DEFAULT_DATA_DIR
    log(f"datasets -> {_rel(data)}")
    data_status = generate_data(data)
    log(f"  {data_status}")
    runs: list[NotebookRun] = []
    executed_dir = root / "executed"  # the kernels' folder, whatever the edition
    edition = "" if lang == "en" else lang
    kept_dir = executed_dir / edition if edition else executed_dir
    figures_dir = root / "figures" / edition if edition else root / "figures"
    kept_dir.mkdir(parents=True, exist_ok=True)
    sources = list_sources(solutions_dir)
    if only:
        wanted = {Path(name).stem for name in only}
        unknown = wanted - {p.stem for p in sources}
        if unknown:
            log(f"no such notebook in {_rel(Path(solutions_dir))}: {', '.join(sorted(unknown))}")
        sources = [p for p in sources if p.stem in wanted]
    if not sources:
        log(f"no solution notebooks in {_rel(Path(solutions_dir))}: nothing to run")
    state_path = root / "state.json"
    state = load_state(state_path) if full else {}
    mode = "default settings" if full else "fast mode"
    with environment(GAN_COURSE_DATA=str(data.resolve())):
        for n, path in enumerate(sources, 1):
            key = f"{edition}/{path.name}" if edition else path.name
            done = state.get(key, {})
            executed = kept_dir / path.name
            if (
                full
                and not force
                and done.get("status") == "ok"
                and done.get("source") == source_digest(path)
                and executed.is_file()
            ):
                nb = read_notebook(executed)
                figures = sorted((figures_dir / path.stem).glob("*.png"))
                cell_seconds = {int(k): v for k, v in done.get("cell_seconds", {}).items()}
                run = summarize_run(nb, path.name, done.get("seconds", 0.0), figures, cell_seconds)
                run.kept = True
                runs.append(run)
                log(f"[{n}/{len(sources)}] {path.name}: done in a previous run, kept")
                continue
            eta = ""
            if full and done.get("cell_seconds"):
                eta = f" (last run: {_duration(done.get('seconds', 0.0))})"
            log(f"[{n}/{len(sources)}] running {path.name} ({mode}){eta} ...")
            t0 = time.monotonic()
            try:
                # as graded: placeholders filled in, conventions checked, translated
                nb = stage_notebook(path, lang=lang)
            except ReleaseError as exc:
                runs.append(NotebookRun(path.name, "failed", 0.0, error=" ".join(str(exc).split())))
                log(f"  failed: {exc}")
                continue
            bar = CellProgress(
                nb, path.stem, done.get("cell_seconds") if full else None, enabled=progress
            )
            try:
                run_notebook(nb, executed_dir, timeout=timeout, fast=not full, on_cell_executed=bar)
            except Exception as exc:  # the kernel could not start, ...
                bar.close()
                runs.append(
                    NotebookRun(path.name, "failed", time.monotonic() - t0, error=repr(exc))
                )
                log(f"  failed: {exc!r}")
                continue
            bar.close()
            seconds = time.monotonic() - t0
            nb.metadata["gan_course"] = {"mode": "full" if full else "fast"}
            write_notebook(nb, executed)
            figures = save_figures(
                nb, figures_dir / path.stem, mark=None if full else FAST_MODE_MARK, lang=lang
            )
            run = summarize_run(nb, path.name, seconds, figures, bar.cell_seconds)
            runs.append(run)
            if full:
                state[key] = {
                    "status": run.status,
                    "source": source_digest(path),
                    "seconds": round(seconds, 1),
                    "cell_seconds": {str(k): round(v, 2) for k, v in bar.cell_seconds.items()},
                }
                save_state(state_path, state)
            log(
                f"  {run.status} in {_duration(seconds)}: {run.checks_passed} check(s) passed, "
                f"{run.checks_failed} failed, {len(figures)} figure(s)"
                + (f" -- {run.error}" if run.error else "")
            )
    report = BuildReport(
        data_dir=data,
        data_status=data_status,
        runs=runs,
        seconds=time.monotonic() - start,
        report_path=root / (f"report.{edition}.md" if edition else "report.md"),
        full=full,
    )
    if full and decks and any(r.ok for r in runs):
        from .slides import SlidesError, build_slides

        try:
            built = build_slides(
                [r.name for r in runs if r.ok],
                solutions_dir=Path(solutions_dir),
                outputs_dir=outputs_dir,
                log=lambda line: log(f"  deck {line}"),
                lang=lang,
            )
            report.decks = [d.path for d in built]
        except SlidesError as exc:
            log(f"decks not written: {exc}")
    write_report(report, report.report_path)
    log(f"report: {_rel(report.report_path)} ({_duration(report.seconds)} in all)")
    return report

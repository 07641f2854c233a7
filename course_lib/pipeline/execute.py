"""``gan-course build``: the course's main job, and the guarded notebook runner it shares.

``build`` generates the embedded datasets, runs every notebook of ``solutions/`` in fast mode (as
the release stages it: placeholders filled in, conventions checked),
keeps the executed notebooks (``outputs/executed/``) and their figures
(``outputs/figures/<notebook>/NN.png``), writes ``outputs/report.md`` and says how to open the
course in JupyterLab. It can be run again at any time: the datasets are kept, the outputs replaced.
"""

from __future__ import annotations

import base64
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode

from course_lib.config import DEFAULT_DATA_DIR, REPO_ROOT

from .notebook_tools import cell_passed, first_error, grade_id, is_test, write_notebook
from .release import SOLUTIONS_DIR, ReleaseError, list_sources, stage_notebook
from .settings import CELL_TIMEOUT, ensure_tools_on_path

OUTPUTS_DIR = REPO_ROOT / "outputs"
BUILD_CELL_TIMEOUT = 600


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
) -> NotebookNode:
    """Execute ``nb`` in place in a fresh Python 3 kernel started in ``cwd``.

    Errors do not stop the run (every cell runs). The kernel has the course's guard: a cell
    running past ``timeout`` is stopped, one that cannot be stopped gets the kernel restarted, and
    huge outputs are cut. ``fast`` sets ``GAN_COURSE_FAST=1`` (training skipped or shortened).
    ``sandbox`` starts the kernel in the grading sandbox (for notebooks written by someone else;
    it then works on a private copy of ``cwd``); the course's own notebooks run without it.
    """
    from traitlets.config import Config

    from .preprocessors import GuardedExecute

    ensure_tools_on_path()
    config = Config()
    config.SandboxedKernelManager.sandbox = sandbox
    executor = GuardedExecute(timeout=int(timeout), kernel_name="python3", config=config)
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


def save_figures(nb: NotebookNode, folder: Path) -> list[Path]:
    """Write every ``image/png`` output of ``nb`` to ``folder/NN.png`` (the folder is replaced)."""
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
            path.write_bytes(base64.b64decode(png if isinstance(png, str) else "".join(png)))
            written.append(path)
    return written


def summarize_run(nb: NotebookNode, name: str, seconds: float, figures: list[Path]) -> NotebookRun:
    """Status, checks and first error of an executed notebook."""
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
    return run


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def write_report(report: BuildReport, path: Path) -> None:
    """Write ``outputs/report.md``."""
    lines = [
        "# Course build report",
        "",
        f"- datasets ({_rel(report.data_dir)}): {report.data_status}",
        f"- total time: {report.seconds:.1f} s",
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
            lines.append(
                f"| `{run.name}` | {run.status} | {run.seconds:.1f} | {run.checks_passed} "
                f"| {run.checks_failed} | {len(run.figures)} |"
            )
        errors = [r for r in report.runs if r.error]
        if errors:
            lines += ["", "## Errors", ""]
            lines += [f"- `{r.name}`: {r.error}" for r in errors]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def jupyter_hint() -> str:
    """The command that opens the course in JupyterLab with this environment."""
    jupyter = Path(sys.executable).with_name("jupyter")
    shown = _rel(jupyter) if jupyter.exists() else "jupyter"
    return f"{shown} lab notebooks/"


def build(
    solutions_dir: str | Path = SOLUTIONS_DIR,
    outputs_dir: str | Path = OUTPUTS_DIR,
    data_dir: str | Path | None = None,
    timeout: float = BUILD_CELL_TIMEOUT,
    log: Callable[[str], None] = print,
) -> BuildReport:
    """Generate the datasets, run every solution notebook in fast mode, write figures and report."""
    start = time.monotonic()
    outputs_dir = Path(outputs_dir)
    data = Path(data_dir) if data_dir else DEFAULT_DATA_DIR
    log(f"datasets -> {_rel(data)}")
    data_status = generate_data(data)
    log(f"  {data_status}")
    runs: list[NotebookRun] = []
    executed_dir = outputs_dir / "executed"
    executed_dir.mkdir(parents=True, exist_ok=True)
    sources = list_sources(solutions_dir)
    if not sources:
        log(f"no solution notebooks in {_rel(Path(solutions_dir))}: nothing to run")
    with environment(GAN_COURSE_DATA=str(data.resolve())):
        for path in sources:
            log(f"running {path.name} (fast mode) ...")
            t0 = time.monotonic()
            try:
                nb = stage_notebook(path)  # as graded: placeholders filled in, conventions checked
            except ReleaseError as exc:
                runs.append(NotebookRun(path.name, "failed", 0.0, error=" ".join(str(exc).split())))
                log(f"  failed: {exc}")
                continue
            try:
                run_notebook(nb, executed_dir, timeout=timeout, fast=True)
            except Exception as exc:  # the kernel could not start, ...
                runs.append(
                    NotebookRun(path.name, "failed", time.monotonic() - t0, error=repr(exc))
                )
                log(f"  failed: {exc!r}")
                continue
            seconds = time.monotonic() - t0
            write_notebook(nb, executed_dir / path.name)
            figures = save_figures(nb, outputs_dir / "figures" / path.stem)
            run = summarize_run(nb, path.name, seconds, figures)
            runs.append(run)
            log(
                f"  {run.status} in {seconds:.1f} s: {run.checks_passed} check(s) passed, "
                f"{run.checks_failed} failed, {len(figures)} figure(s)"
                + (f" -- {run.error}" if run.error else "")
            )
    report = BuildReport(
        data_dir=data,
        data_status=data_status,
        runs=runs,
        seconds=time.monotonic() - start,
        report_path=outputs_dir / "report.md",
    )
    write_report(report, report.report_path)
    log(f"report: {_rel(report.report_path)} ({report.seconds:.1f} s in all)")
    return report

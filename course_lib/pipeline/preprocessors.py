"""nbgrader preprocessors that make autograding and feedback robust to hostile submissions.

``nbgrader_config.py`` puts them in place of (or next to) nbgrader's own, see
:func:`course_lib.pipeline.settings.configure_nbgrader`:

* :class:`ResetCellMetadata` (sanitizing, first): every cell whose grade id the gradebook knows
  gets the gradebook's nbgrader metadata back (a learner who turns a test cell into an ungraded or
  a manually graded one, or changes its points, gains nothing); nbgrader metadata with an unknown
  or missing grade id is dropped (nbgrader would otherwise fail the whole submission).
* :class:`RestoreMissingCells` (instead of ``OverwriteCells``): deleted test cells, written
  answers and read-only code cells (the setup cell) are put back where they were, even when their
  neighbours were deleted too.
* :class:`GuardedExecute` (instead of ``Execute``): loads :mod:`course_lib.pipeline.kernel_guard`
  into the kernel, and when a cell still hangs after the timeout (it ignored the interrupt) or
  the kernel dies, it restarts the kernel, re-runs the cells that had run, records an error in the
  cell and goes on: only that cell's exercise loses its points.
* :class:`LimitOutputSize` (after ``LimitOutput``): caps the characters and bytes a cell's outputs
  keep, so a huge output cannot blow up the autograded notebook or the feedback page.
* :class:`HideHiddenTests` (feedback): removes hidden-test source from test cells and shortens
  error tracebacks to the exception and its message (a traceback quotes the failing source line).
"""

from __future__ import annotations

import copy
import os
from typing import Any

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import Execute, NbGraderPreprocessor, OverwriteCells
from traitlets import Float, Integer

from . import kernel_guard
from .notebook_tools import (
    HIDDEN_TESTS_NOTE,
    grade_id,
    has_hidden_tests,
    hidden_tests_note,
    is_test,
    report_language,
    strip_hidden_tests,
)


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(
        output_type="error",
        ename=ename,
        evalue=evalue,
        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"],
    )


class ResetCellMetadata(NbGraderPreprocessor):
    """Give every cell the nbgrader metadata the gradebook has for its grade id.

    Runs first when sanitizing: a learner who unmarks a test cell, marks it as an answer, changes
    its points or invents a graded cell gains nothing, and malformed metadata (which makes
    nbgrader fail the whole submission) is dropped.
    """

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[Any, Any]:
        notebook_id = resources["nbgrader"]["notebook"]
        assignment_id = resources["nbgrader"]["assignment"]
        with Gradebook(resources["nbgrader"]["db_url"]) as gb:
            try:
                source_nb = gb.find_notebook(notebook_id, assignment_id)
            except MissingEntry:
                return nb, resources
            grade_cells = {c.name: float(c.max_score) for c in source_nb.grade_cells}
            solution_ids = {c.name for c in source_nb.solution_cells}
            task_ids = {c.name for c in source_nb.task_cells}
            known = {c.name: (bool(c.locked), c.checksum) for c in source_nb.source_cells}
        for cell in nb.cells:
            metadata = cell.setdefault("metadata", NotebookNode())
            meta = metadata.get("nbgrader")
            if meta is None:
                continue
            gid = meta.get("grade_id") if isinstance(meta, dict) else None
            if not isinstance(gid, str) or gid not in known:
                if gid:
                    self.log.warning("Cell with unknown grade id %r: metadata dropped", gid)
                del metadata["nbgrader"]
                continue
            locked, checksum = known[gid]
            fresh = NotebookNode(
                grade=gid in grade_cells,
                grade_id=gid,
                locked=locked,
                schema_version=3,
                solution=gid in solution_ids,
                task=gid in task_ids,
                checksum=checksum,
            )
            if gid in grade_cells:
                fresh["points"] = grade_cells[gid]
            if dict(meta) != dict(fresh):
                changed = sorted(k for k in fresh if meta.get(k) != fresh[k] and k != "checksum")
                if changed:
                    self.log.warning("Cell %s: nbgrader metadata %s restored", gid, changed)
            metadata["nbgrader"] = fresh
        return nb, resources


class RestoreMissingCells(OverwriteCells):
    """nbgrader's ``OverwriteCells`` that also puts back deleted cells wherever they were.

    nbgrader's own ``add_missing_cells`` fails the whole submission when the cell before a deleted
    test cell is missing too or is a read-only Markdown cell, or when a graded cell was copied;
    here each missing graded cell (and each missing read-only code cell, such as the setup cell)
    goes after the nearest earlier source cell still present, or first.
    """

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[Any, Any]:
        # DeduplicateIds leaves ``nbgrader: {}`` on copies of a graded cell, which nbgrader's own
        # add_missing_task_cells then fails on (KeyError 'grade_id'): drop those first
        for cell in nb.cells:
            if cell.get("metadata", {}).get("nbgrader", None) == {}:
                del cell.metadata["nbgrader"]
        return super().preprocess(nb, resources)

    def add_missing_grade_cells(self, nb: NotebookNode, resources: Any) -> tuple[Any, Any]:
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        source_cells = list(source_nb.source_cells)
        order = [c.name for c in source_cells]
        grade_cells = {c.name: c for c in source_nb.grade_cells}
        solution_ids = {c.name for c in source_nb.solution_cells}
        present = {grade_id(c) for c in nb.cells if grade_id(c)}
        for src in source_cells:
            if src.name in present:
                continue
            if src.name in grade_cells:
                self.log.warning("Missing grade cell %s encountered, adding to notebook", src.name)
                cell = self.missing_cell_transform(
                    src, grade_cells[src.name].max_score, is_solution=src.name in solution_ids
                )
            elif src.locked and src.cell_type == "code" and src.name not in solution_ids:
                self.log.warning("Missing read-only cell %s encountered, adding it", src.name)
                cell = self._readonly_cell(src)
            else:
                continue
            position = 0
            for previous in reversed(order[: order.index(src.name)]):
                idx = next((i for i, c in enumerate(nb.cells) if grade_id(c) == previous), None)
                if idx is not None:
                    position = idx + 1
                    break
            nb.cells.insert(position, cell)
            present.add(src.name)
        return nb, resources

    @staticmethod
    def _readonly_cell(src: Any) -> NotebookNode:
        return NotebookNode(
            cell_type="code",
            execution_count=None,
            outputs=[],
            id=f"restored-{src.name}"[:64],
            metadata=NotebookNode(
                deletable=False,
                editable=False,
                nbgrader=NotebookNode(
                    grade=False,
                    grade_id=src.name,
                    locked=True,
                    schema_version=3,
                    solution=False,
                    task=False,
                    checksum=src.checksum,
                ),
            ),
            source=src.source,
        )


class GuardedExecute(Execute):
    """nbgrader's ``Execute`` with a kernel-side watchdog and recovery from hung or dead kernels.

    Its kernels start in the grading sandbox (:class:`course_lib.pipeline.sandbox.
    SandboxedKernelManager`) unless ``SandboxedKernelManager.sandbox`` is set to False.
    """

    guard_margin = Float(
        5.0,
        help="Seconds before the executor's timeout at which the kernel watchdog stops a cell.",
    ).tag(config=True)

    max_output_chars = Integer(
        kernel_guard.DEFAULT_MAX_OUTPUT,
        help="Characters a cell may print (stdout and stderr together) before being cut off.",
    ).tag(config=True)

    max_restarts = Integer(
        3, help="Kernel restarts allowed per notebook before the remaining cells are skipped."
    ).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # nbgrader's Execute would set its own AsyncKernelManager here
        from .sandbox import SandboxedKernelManager

        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)

    def _budget(self) -> float:
        timeout = self.timeout or 0
        if timeout <= 0:
            return 0.0
        margin = min(self.guard_margin, timeout / 4)
        return max(1.0, timeout - margin)

    async def async_start_new_kernel(self, **kwargs: Any) -> None:
        """Start the kernel with the guard extension and its settings in the environment."""
        for arg in [*kernel_guard.kernel_arguments(), "--IPKernelApp.log_level=ERROR"]:
            if arg not in self.extra_arguments:
                self.extra_arguments = [*self.extra_arguments, arg]
        env = dict(kwargs.pop("env", None) or os.environ)
        env.update(kernel_guard.kernel_environment(self._budget(), self.max_output_chars))
        await super().async_start_new_kernel(env=env, **kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None) -> Any:
        self._completed: list[int] = []
        self._restarts = 0
        self._given_up = False
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        self._check_assign_resources(resources)
        if cell.cell_type != "code":
            return cell, self.resources
        if self._given_up:
            cell.outputs = [
                _error_output("NotRun", "not run: the kernel had to be restarted too many times")
            ]
            return cell, self.resources
        try:
            cell = self.execute_cell(cell, index, store_history=True)
        except (CellTimeoutError, DeadKernelError, TimeoutError) as exc:
            died = isinstance(exc, DeadKernelError)
            what = (
                "the kernel died while running this cell"
                if died
                else f"this cell did not finish within {self.timeout} s and did not respond to"
                " an interrupt, so the kernel was restarted"
            )
            self.log.warning("Cell %s: %s", index, what)
            cell.outputs = [
                *cell.get("outputs", []),
                _error_output("CellTimeout" if not died else "KernelDied", what),
            ]
            self._recover()
        else:
            # replayed after a restart, unless it was stopped by the watchdog (it would be again)
            stopped = any(
                o.get("ename") == "CellTimeout" or "CellTimeout" in str(o.get("evalue", ""))
                for o in cell.get("outputs", [])
                if o.get("output_type") == "error"
            )
            if not stopped:
                self._completed.append(index)
        return cell, self.resources

    def _recover(self) -> None:
        self._restarts += 1
        if self._restarts > self.max_restarts:
            self._given_up = True
            return
        try:
            run_sync(self._async_restart)()
        except Exception:
            self.log.exception("The kernel could not be restarted; the remaining cells are skipped")
            self._given_up = True
            return
        for idx in list(self._completed):
            original = self.nb.cells[idx]
            replay = copy.deepcopy(original)
            try:
                self.execute_cell(replay, idx, store_history=False)
            except (CellTimeoutError, DeadKernelError, TimeoutError):
                self.log.warning("Cell %s hung while being re-run after a restart", idx)
                self._completed.remove(idx)
                self.nb.cells[idx] = original
                self._recover()
                return
            finally:
                self.nb.cells[idx] = original

    async def _async_restart(self) -> None:
        assert self.km is not None
        if self.kc is not None:
            try:
                await ensure_async(self.kc.stop_channels())
            except Exception:  # the old channels may already be gone
                pass
            self.kc = None
        await ensure_async(self.km.restart_kernel(now=True))
        await self.async_start_new_kernel_client()


class LimitOutputSize(NbGraderPreprocessor):
    """Cap what a cell's outputs keep: text characters and the bytes of rich data."""

    max_chars = Integer(
        100_000, help="Characters of text output (streams, text/*) kept per cell."
    ).tag(config=True)
    max_bytes = Integer(
        5_000_000, help="Bytes of rich output data (images, HTML, ...) kept per cell."
    ).tag(config=True)
    max_traceback_chars = Integer(20_000, help="Characters kept of an error traceback.").tag(
        config=True
    )

    note = "\n... output truncated by the autograder ...\n"

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> tuple[Any, Any]:
        if cell.cell_type != "code":
            return cell, resources
        chars = 0
        size = 0
        kept = []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                text = out.get("text", "")
                room = self.max_chars - chars
                if room <= 0:
                    continue
                if len(text) > room:
                    out["text"] = text[:room] + self.note
                chars += len(out["text"])
            elif kind in ("display_data", "execute_result"):
                data = out.get("data", {})
                for mime in list(data):
                    value = data[mime]
                    value_len = len(value) if isinstance(value, str) else len(str(value))
                    if mime.startswith("text/"):
                        room = self.max_chars - chars
                        if room <= 0:
                            del data[mime]
                            continue
                        if isinstance(value, str) and len(value) > room:
                            data[mime] = value[:room] + self.note
                        chars += min(value_len, room)
                    else:
                        if size + value_len > self.max_bytes:
                            del data[mime]
                            continue
                        size += value_len
                if not data:
                    continue
            elif kind == "error":
                tb = out.get("traceback", [])
                total = sum(len(line) for line in tb)
                if total > self.max_traceback_chars:
                    keep = []
                    used = 0
                    for line in tb:
                        if used + len(line) > self.max_traceback_chars:
                            keep.append("... traceback truncated ...")
                            break
                        keep.append(line)
                        used += len(line)
                    out["traceback"] = keep
                evalue = str(out.get("evalue", ""))
                if len(evalue) > self.max_chars:
                    out["evalue"] = evalue[: self.max_chars] + self.note
            kept.append(out)
        cell.outputs = kept
        return cell, resources


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback: hidden-test source never reaches the learner; failures stay visible.

    In every test cell, hidden-test blocks are replaced by a comment; in every error output of a
    test cell that had hidden tests, the traceback (which quotes the source line that failed) is
    replaced by the exception's name and message, the learner-facing message of ``check``.
    The comment is in the notebook's language (:func:`~.notebook_tools.report_language`).
    """

    _note = HIDDEN_TESTS_NOTE

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[Any, Any]:
        self._note = hidden_tests_note(report_language(nb))
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> tuple[Any, Any]:
        if cell.cell_type != "code" or not is_test(cell):
            return cell, resources
        hidden = has_hidden_tests(cell.source)
        cell.source = strip_hidden_tests(cell.source, self._note)
        if hidden:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    if out.get("ename") == "CheckFailed":  # a check's message says it all
                        out["traceback"] = [str(out.get("evalue", ""))]
                    else:
                        out["traceback"] = [
                            f"\x1b[0;31m{out.get('ename', 'Error')}\x1b[0m: "
                            f"{out.get('evalue', '')}"
                        ]
        return cell, resources

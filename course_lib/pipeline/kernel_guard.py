"""IPython extension that keeps one student's cell from spoiling the rest of a graded notebook.

The grading and validation kernels load it at start-up (``--IPKernelApp.extensions=...``, see
:func:`kernel_arguments`). Before every cell it

* arms a watchdog: when the cell runs longer than its budget, a :class:`CellTimeout` exception is
  raised in the thread running the cell (``PyThreadState_SetAsyncExc``), again every half second
  while the cell keeps running. This stops pure-Python loops even when they ignore ``SIGINT``
  (``signal.signal(signal.SIGINT, signal.SIG_IGN)``), which the executor's interrupt cannot;
  whatever the watchdog cannot stop (a hang inside C code, a dead kernel) is left to
  :class:`course_lib.pipeline.preprocessors.GuardedExecute`, which restarts the kernel;
* caps what the cell may print (``max_output`` characters on stdout and stderr together), so a
  runaway ``print`` cannot flood the executor, the notebook file or the feedback page;
* puts back the functions, classes and submodules of the modules the checks rely on
  (``course_lib.grading``, ``course_lib.losses``, ``course_lib.models``,
  ``course_lib.image_pool``) as they were when first imported:
  ``import course_lib.grading as g; g.check = lambda *a: None`` in an answer cell is undone before
  the test cell runs (the checks themselves also restore what they rely on).

It also makes ``exit()`` and ``quit()`` print a note instead of shutting the kernel down: a
shut-down scheduled after the cell would race with the next cell, and the grade would depend on
the machine's load. (``os._exit`` still kills the kernel at once; the executor recovers.)

The settings come from the environment of the kernel: ``GAN_COURSE_CELL_BUDGET`` (seconds,
``0`` disables the watchdog) and ``GAN_COURSE_MAX_OUTPUT`` (characters per cell).
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
import types
from typing import Any

BUDGET_ENV = "GAN_COURSE_CELL_BUDGET"
MAX_OUTPUT_ENV = "GAN_COURSE_MAX_OUTPUT"
DEFAULT_MAX_OUTPUT = 100_000
EXIT_IGNORED = "exit() / quit() is ignored while the notebook is graded: the kernel keeps running."
#: Modules (and their submodules) restored before every cell.
PROTECTED_PREFIXES = (
    "course_lib.grading",
    "course_lib.losses",
    "course_lib.models",
    "course_lib.image_pool",
)
TRUNCATION_NOTE = "\n... output truncated: a cell may print at most {limit} characters ...\n"


class CellTimeout(Exception):  # noqa: N818 - the name learners see in the cell's output
    """Raised inside a cell that ran past its time budget."""

    budget: float = 0.0

    def __init__(self, *args: object) -> None:
        if not args:
            args = (
                f"this cell ran for more than {self.budget:g} s and was stopped "
                "(an infinite loop?)",
            )
        super().__init__(*args)


def kernel_arguments() -> list[str]:
    """Extra kernel command-line arguments that load this extension into an IPython kernel."""
    return [f"--IPKernelApp.extensions={__name__}"]


def kernel_environment(budget: float, max_output: int = DEFAULT_MAX_OUTPUT) -> dict[str, str]:
    """Environment variables that configure the extension in the kernel it is loaded into."""
    return {BUDGET_ENV: f"{max(0.0, budget):g}", MAX_OUTPUT_ENV: str(int(max_output))}


class _Watchdog:
    """One daemon thread that raises :class:`CellTimeout` in a cell running past its budget."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._target: int | None = None
        thread = threading.Thread(target=self._run, name="gan-course-watchdog", daemon=True)
        thread.start()

    def arm(self) -> None:
        with self._cond:
            self._target = threading.get_ident()
            self._deadline = time.monotonic() + self.budget
            self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._deadline = None
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while True:
                if self._deadline is None or self._target is None:
                    self._cond.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(self._target), ctypes.py_object(CellTimeout)
                )
                # again in half a second if the cell swallows the exception
                self._deadline = time.monotonic() + 0.5


class _OutputCap:
    """Wraps ``write`` of the kernel's stdout/stderr so a cell prints at most ``limit`` chars."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.truncated = False

    def reset(self) -> None:
        self.used = 0
        self.truncated = False
        # IPython swaps ``write`` around every cell (it tees the output into its history), so the
        # cap wraps whatever ``write`` is current each time
        for stream in (sys.stdout, sys.stderr):
            if stream is not None and not getattr(stream.write, "_gan_course_cap", False):
                self._wrap(stream)

    def _wrap(self, stream: Any) -> None:
        original = stream.write
        cap = self

        def write(text: str) -> int:
            if not isinstance(text, str):
                return original(text)
            room = cap.limit - cap.used
            if room <= 0:
                if not cap.truncated:
                    cap.truncated = True
                    original(TRUNCATION_NOTE.format(limit=cap.limit))
                return len(text)
            chunk = text[:room]
            cap.used += len(chunk)
            original(chunk)
            if len(text) > room and not cap.truncated:
                cap.truncated = True
                original(TRUNCATION_NOTE.format(limit=cap.limit))
            return len(text)

        write._gan_course_cap = True  # type: ignore[attr-defined]
        try:
            stream.write = write
        except (AttributeError, TypeError):
            pass


class _ModuleSnapshot:
    """Remembers the functions, classes and submodules of protected modules; puts them back.

    Data attributes (caches, counters, settings) are left alone.
    """

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self.prefixes = prefixes
        self.modules: dict[str, Any] = {}
        self.namespaces: dict[str, dict[str, Any]] = {}

    def _protected(self, name: str) -> bool:
        return any(name == p or name.startswith(p + ".") for p in self.prefixes)

    def take_new(self) -> None:
        for name, module in list(sys.modules.items()):
            if module is None or name in self.modules or not self._protected(name):
                continue
            self.modules[name] = module
            self.namespaces[name] = {
                key: value
                for key, value in vars(module).items()
                if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type))
                or isinstance(value, types.ModuleType)
            }

    def restore(self) -> None:
        for name, module in self.modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
            namespace = vars(module)
            for key, value in self.namespaces[name].items():
                if namespace.get(key, _MISSING) is not value:
                    namespace[key] = value


_MISSING = object()


def _preload_checks() -> None:
    """Import the checker now so that its pristine state is the one remembered."""
    try:
        import course_lib.grading  # noqa: F401
    except Exception:  # the checks are optional for the guard itself
        pass


def load_ipython_extension(ipython: Any) -> None:
    """Entry point called by IPython (``%load_ext`` or ``--IPKernelApp.extensions``)."""
    if getattr(ipython, "_gan_course_guard", None) is not None:
        return
    budget = float(os.environ.get(BUDGET_ENV, "0") or 0)
    limit = int(os.environ.get(MAX_OUTPUT_ENV, str(DEFAULT_MAX_OUTPUT)) or DEFAULT_MAX_OUTPUT)
    CellTimeout.budget = budget
    watchdog = _Watchdog(budget) if budget > 0 else None
    cap = _OutputCap(limit)
    snapshot = _ModuleSnapshot(PROTECTED_PREFIXES)
    _preload_checks()
    snapshot.take_new()

    def pre_run_cell(*_args: Any) -> None:
        snapshot.take_new()
        snapshot.restore()
        cap.reset()
        if watchdog is not None:
            watchdog.arm()

    def post_run_cell(*_args: Any) -> None:
        if watchdog is not None:
            watchdog.disarm()
        snapshot.take_new()

    def ask_exit(*_args: Any, **_kwargs: Any) -> None:
        print(EXIT_IGNORED, file=sys.stderr)

    ipython.ask_exit = ask_exit
    ipython.events.register("pre_run_cell", pre_run_cell)
    ipython.events.register("post_run_cell", post_run_cell)
    ipython._gan_course_guard = (watchdog, cap, snapshot)

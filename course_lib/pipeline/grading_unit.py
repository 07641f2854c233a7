"""One grading unit: one student's submission of one assignment, graded wherever it is sent.

:func:`grade_unit` is a plain function that a Dask worker runs (``gan-course autograde`` submits
one call per submission, see :mod:`course_lib.pipeline.cluster`). It needs nothing of the
coordinator's file system:

* in: a :class:`Unit` -- the submission's files as bytes (the notebook under its expected name,
  plus small files next to it such as ``timestamp.txt``) and the grading settings -- and the
  template course directory as a gzipped tarball (:func:`pack_template`: the assignments
  registered in a gradebook without students, ``source/`` without its notebooks, so no solution
  text leaves the coordinator; hidden tests are in the gradebook, as nbgrader needs them);
* out: a dict with the outcome (scores per grade cell, comments, problems, as
  :func:`course_lib.pipeline.worker.grade` reports them) and the files of the autograded folder
  as bytes.

In each worker process the unit is graded by a :class:`WorkerSlot`: a grading subprocess
(:mod:`course_lib.pipeline.worker`) that owns a private scratch course directory, kept between
units and reset for each (submission folder, autograded folder and gradebook), with every
kernel in the sandbox unless the unit says otherwise. The subprocess is killed and replaced
when it crashes or runs past the unit's timeout; the unit then reports a grading error.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import json
import os
import select
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Environment variables that set the CPU threads of a grading kernel's libraries.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: Seconds a grading subprocess may take to start.
STARTUP_TIMEOUT = 180.0
#: Files next to a submitted notebook larger than this are not shipped with the unit.
MAX_EXTRA_FILE_BYTES = 50_000_000


@dataclass
class Unit:
    """What a worker needs to grade one submission (and nothing else of the course)."""

    student: str
    assignment: str
    notebook: str
    files: dict[str, bytes]
    config_text: str | None = None
    cell_timeout: float | None = None
    unit_timeout: float = 900.0
    sandbox: bool = True
    threads: int | None = None
    #: The edition graded; the kernels get ``GAN_COURSE_LANG`` set to it.
    lang: str = "en"


def pack_template(template: Path) -> bytes:
    """``template`` as a gzipped tarball, without any notebook of ``source/`` (the solutions)."""

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        parts = Path(info.name).parts
        if len(parts) > 1 and parts[1] == "source" and info.name.endswith(".ipynb"):
            return None
        return info

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(template, arcname="template", filter=keep)
    return buf.getvalue()


def unpack_template(data: bytes, folder: Path) -> Path:
    """Extract a tarball of :func:`pack_template` into ``folder``; the template's path."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(folder, filter="data")
    return folder / "template"


def submission_files(folder: Path, notebook_path: Path, notebook: str) -> dict[str, bytes]:
    """The files of a submission folder to ship: the notebook as ``<notebook>.ipynb`` and the
    small files next to it (no other notebook)."""
    files: dict[str, bytes] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix != ".ipynb":
            if path.stat().st_size < MAX_EXTRA_FILE_BYTES:
                files[path.name] = path.read_bytes()
    files[f"{notebook}.ipynb"] = notebook_path.read_bytes()
    return files


def shipped(data: bytes) -> bytes:
    """``data`` itself: the task that hands the template to the workers (recomputed, not lost,
    when the worker that held it dies)."""
    return data


#: What nbgrader says when a kernel died before it could run a single cell.
KERNEL_START_FAILURE = "Kernel died before replying to kernel_info"


def kernel_never_started(outcome: dict[str, Any]) -> bool:
    """Whether grading failed because the kernel died as it started (before any cell ran)."""
    return not outcome.get("success") and KERNEL_START_FAILURE in str(outcome.get("error", ""))


def failed(reason: str) -> dict[str, Any]:
    """The outcome of a unit that could not be graded."""
    return {"success": False, "error": reason, "notebooks": {}, "crashed": True}


class WorkerSlot:
    """A grading subprocess with its own course directory; restarted after a crash or timeout."""

    def __init__(
        self,
        template: Path,
        workdir: Path,
        config_file: Path | None,
        cell_timeout: float | None,
        threads: int | None = None,
        sandbox: bool = True,
        lang: str = "en",
    ) -> None:
        self.sandbox = sandbox
        self.lang = lang
        self.threads = threads
        self.dir = workdir / "course"
        self.template = template
        self.config_file = config_file
        self.cell_timeout = cell_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "worker.log"
        self._buffer = b""
        self._jobs = 0

    def _ensure_dir(self) -> None:
        if not self.dir.exists():
            shutil.copytree(self.template, self.dir)

    def start(self) -> None:
        """Start the grading subprocess and wait until it is ready."""
        self._ensure_dir()
        cmd = [sys.executable, "-m", "course_lib.pipeline.worker", "--course-dir", str(self.dir)]
        if self.config_file is not None:
            cmd += ["--config", str(self.config_file)]
        if self.cell_timeout is not None:
            cmd += ["--cell-timeout", str(self.cell_timeout)]
        if not self.sandbox:
            cmd += ["--no-sandbox"]
        env = dict(os.environ)
        env["GAN_COURSE_LANG"] = self.lang  # the sandbox passes GAN_COURSE_* to the kernels
        if self.threads:
            # workers share the cores: each kernel's torch gets its share of threads, so that
            # parallel grading does not oversubscribe the CPU and push cells past the timeout
            for key in THREAD_VARIABLES:
                env.setdefault(key, str(self.threads))
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child process
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, bufsize=0, env=env
        )
        log.close()
        self._buffer = b""
        line = self._readline(STARTUP_TIMEOUT)
        if not line or not json.loads(line).get("ready"):
            self.stop()
            raise RuntimeError(f"grading worker did not start (see {self.log_path})")

    def _readline(self, timeout: float) -> str | None:
        """The next protocol line; None after ``timeout``; ``""`` when the worker is gone."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], min(remaining, 1.0))
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return ""
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def stop(self) -> None:
        """Kill the grading subprocess (its kernels exit when their parent goes)."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None:
                    stream.close()
            self.proc = None

    def close(self) -> None:
        """Let the grading subprocess finish (stdin closed), then stop it."""
        if self.proc is not None and self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.stop()

    def _stage(self, unit: Unit) -> None:
        """Only this unit's submission in the course directory, and a gradebook without students."""
        for step in ("submitted", "autograded"):
            shutil.rmtree(self.dir / step, ignore_errors=True)
        shutil.copy2(self.template / "gradebook.db", self.dir / "gradebook.db")
        target = self.dir / "submitted" / unit.student / unit.assignment
        target.mkdir(parents=True)
        for name, data in unit.files.items():
            if Path(name).name != name or name.startswith("."):
                continue
            (target / name).write_bytes(data)

    def grade(self, unit: Unit) -> tuple[dict[str, Any], dict[str, bytes]]:
        """Grade ``unit``; its outcome and the files of its autograded folder."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None
        self._stage(unit)
        self._jobs += 1
        result = self.dir.parent / f"result-{self._jobs}.json"
        job = {
            "id": self._jobs,
            "assignment": unit.assignment,
            "student": unit.student,
            "result": str(result),
        }
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:
            self.stop()
            return failed("the grading process could not be reached"), {}
        line = self._readline(unit.unit_timeout)
        if not line:
            if line == "":
                try:
                    code = self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    code = None
                self.stop()
                return failed(f"the grading process crashed (exit status {code})"), {}
            self.stop()
            return failed(f"grading took longer than {unit.unit_timeout:g} s and was stopped"), {}
        try:
            outcome = json.loads(result.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return failed(f"the grading process left no result ({exc})"), {}
        finally:
            result.unlink(missing_ok=True)
        graded = self.dir / "autograded" / unit.student / unit.assignment
        files: dict[str, bytes] = {}
        if graded.is_dir():
            for path in sorted(graded.rglob("*")):
                if path.is_file():
                    files[str(path.relative_to(graded))] = path.read_bytes()
        return outcome, files


# --------------------------------------------------------------------------- in a worker process

_LOCK = threading.Lock()
_STATE: dict[str, Any] = {"key": None, "slot": None, "root": None}


SCRATCH_PREFIX = "gan-course-grading-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _scratch_root() -> Path:
    """This process's scratch folder; those of dead (killed) worker processes are removed."""
    if _STATE["root"] is None:
        for old in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
            pid = old.name[len(SCRATCH_PREFIX) :].split("-")[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)
        _STATE["root"] = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
        atexit.register(_cleanup)
    return _STATE["root"]


def _cleanup() -> None:
    slot = _STATE.get("slot")
    if slot is not None:
        slot.close()
    if _STATE.get("root") is not None:
        shutil.rmtree(_STATE["root"], ignore_errors=True)
    _STATE.update(key=None, slot=None, root=None)


def _slot_for(unit: Unit, template: bytes) -> WorkerSlot:
    """This process's grading slot for ``unit``'s template and settings (made once)."""
    h = hashlib.sha256(template)
    settings = [unit.config_text, unit.cell_timeout, unit.sandbox, unit.threads, unit.lang]
    h.update(json.dumps(settings).encode())
    key = h.hexdigest()[:16]
    if _STATE["key"] == key and _STATE["slot"] is not None:
        return _STATE["slot"]
    if _STATE["slot"] is not None:
        _STATE["slot"].close()
    workdir = _scratch_root() / key
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    template_dir = unpack_template(template, workdir / "template-files")
    config_file = None
    if unit.config_text is not None:
        config_file = workdir / "nbgrader_config.py"
        config_file.write_text(unit.config_text, encoding="utf-8")
    slot = WorkerSlot(
        template_dir,
        workdir,
        config_file,
        unit.cell_timeout,
        unit.threads,
        unit.sandbox,
        unit.lang,
    )
    _STATE.update(key=key, slot=slot)
    return slot


#: How a retried unit's key ends: ``-retry<N>`` after the first key.
RETRY_MARK = "-retry"


def retry_key(key: str, attempt: int) -> str:
    """The key of ``attempt`` (1, 2, ...) of the unit whose first key is ``key``."""
    return f"{key}{RETRY_MARK}{attempt}"


def started_topic(key: str) -> str:
    """The scheduler's event topic on which every try of the unit ``key`` says it started.

    A worker's death marks every unit it held as suspect, including units only waiting there; the
    coordinator counts these events to tell the units that were *running* when a worker died.
    """
    return "grading-started:" + key.split(RETRY_MARK, 1)[0]


def announce_start() -> None:
    """Tell the Dask scheduler that the current unit runs now (nothing outside a Dask worker)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return
    key = str(worker.get_current_task())
    worker.log_event(started_topic(key), {"key": key, "worker": worker.address})


def grade_unit(unit: Unit, template: bytes) -> dict[str, Any]:
    """Grade one submission in this process's private scratch course directory.

    Returns ``{"outcome": ..., "files": {relative path: bytes}, "seconds": ..., "host": ...,
    "pid": ...}``. Never raises for a broken submission or a failed grading process: the outcome
    says what went wrong. Only the death of this process ends a unit without an answer (Dask then
    runs it again elsewhere, a bounded number of times).
    """
    start = time.monotonic()
    files: dict[str, bytes] = {}
    with _LOCK:
        announce_start()
        try:
            if unit.sandbox:
                from .sandbox import unavailable_reason

                reason = unavailable_reason()
                if reason:
                    raise RuntimeError(f"no grading sandbox on {os.uname().nodename}: {reason}")
            slot = _slot_for(unit, template)
            try:
                outcome, files = slot.grade(unit)
                if kernel_never_started(outcome):
                    # says nothing about the submission (e.g. the processes a previous unit's
                    # kernel left behind still count against the process limit of this grading
                    # process's kernel user): once more, from a fresh grading process
                    slot.stop()
                    outcome, files = slot.grade(unit)
            except Exception:
                slot.stop()
                raise
        except Exception as exc:  # a worker that cannot start, a full disk, ...
            outcome = failed(f"{type(exc).__name__}: {exc}")
    return {
        "outcome": outcome,
        "files": files,
        "seconds": time.monotonic() - start,
        "host": os.uname().nodename,
        "pid": os.getpid(),
    }

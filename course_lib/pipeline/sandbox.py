"""Every grading kernel runs in a bubblewrap sandbox.

The code of a submission runs in its kernel with whatever rights that kernel has. In-kernel guards
(:mod:`course_lib.pipeline.kernel_guard`, the checks' own integrity measures) keep an honest
mistake from spoiling the rest of a notebook; they cannot keep out code that means harm. So the
kernel itself is started by `bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``,
the sandbox under Flatpak: no daemon, no images), from :class:`SandboxedKernelManager`, the kernel
manager the course's nbgrader config sets for every executor. Whatever starts grading --
``gan-course autograde``, ``gan-course validate``, plain ``nbgrader autograde`` with the course
config or the formgrader's Autograde button -- gets its kernels from there.

Inside the sandbox
------------------
* the system (``/usr``), the Python installation, its environment's packages and ``course_lib``
  are visible read-only; so are the datasets (prepared by the grader before the kernel starts);
* the working folder is a private copy of the submission's folder (without the notebook file,
  which nbgrader stages with the hidden tests in it) on a size-limited tmpfs, the
  only writable place besides a private, size-limited ``/tmp`` (and the folder holding the
  kernel's sockets); nothing else of the course directory exists there -- no ``solutions/``,
  ``source/``, gradebook, other submissions, ``autograded/`` or ``feedback/`` -- nor any home
  directory (no SSH keys, tokens or configuration);
* its own user, PID, IPC, UTS and network namespaces: it cannot see or signal the grader or other
  kernels and has no network; it talks to the grader over unix sockets (jupyter_client's
  ``transport="ipc"``) in a folder of its own bound into the sandbox; the environment is cleared
  but for what a kernel needs (:data:`PASSED_ENV`);
* limits (:class:`SandboxLimits`, set inside the sandbox by
  :mod:`course_lib.pipeline.sandbox_init`): memory (data segment), processes and threads, file
  size, open files; the wall time per cell and per submission is the grader's, as without the
  sandbox. A cell that runs into one of them fails with an error (``MemoryError``, ``OSError``
  ...); a kernel that dies is restarted by the executor; the rest of the notebook is graded.

Without ``bwrap`` (macOS, Windows) or where user namespaces are turned off, a sandboxed kernel
cannot start: :func:`unavailable_reason` says why in one sentence, and the instructor commands
refuse to grade unless told ``--no-sandbox``.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer

from course_lib.config import DEFAULT_DATA_DIR, EMBEDDED, fast_mode

#: Inside the sandbox: the kernel's working folder (also ``$HOME``) and the scratch folder.
WORK_DIR = "/home/student"
TMP_DIR = "/tmp"
#: Where the submission's folder is bound read-only, to be copied into ``WORK_DIR``.
SOURCE_DIR = "/run/submission"
#: Environment variables a kernel keeps (all others are cleared).
PASSED_ENV = ("LANG", "LANGUAGE", "TZ", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "MPLBACKEND")
PASSED_PREFIXES = ("LC_", "GAN_COURSE_", "NBGRADER_", "JPY_", "PYDEVD_", "CUDA_")
#: Files of /etc the Python stack reads (the dynamic linker's cache, time zone, MIME types,
#: fonts).
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "mime.types",
    "nsswitch.conf",
    "os-release",
    "alternatives",
    "fonts",  # fontconfig's configuration: without it, libraries print an error to stderr
)
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf "
    "install bubblewrap) on a Linux machine with user namespaces enabled, or pass --no-sandbox "
    "to grade without it (not safe for untrusted submissions)"
)
#: The kernel's user id inside the sandbox of an unprivileged grader (a user namespace maps it to
#: the grader's own user).
SANDBOX_UID = 1000
#: A grader running as root gives each kernel a host user id of its own, from this one up (no
#: user namespace: mapped to root, a kernel would own root's files and escape the process limit,
#: which the kernel never applies to root).
HOST_UID_BASE = 200_000
MIB = 1024 * 1024


class SandboxUnavailable(RuntimeError):
    """A sandboxed kernel cannot be started on this machine."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one grading kernel (and of everything it starts)."""

    memory_mb: int = 4096
    processes: int = 256
    file_size_mb: int = 256
    open_files: int = 1024
    tmp_mb: int = 512
    work_mb: int = 512

    def for_init(self) -> dict[str, int]:
        """The limits :mod:`course_lib.pipeline.sandbox_init` sets, in its units."""
        return {
            "memory_bytes": self.memory_mb * MIB,
            "processes": self.processes,
            "file_size_bytes": self.file_size_mb * MIB,
            "open_files": self.open_files,
        }

    def describe(self) -> str:
        """One line for reports."""
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in asdict(self).items())


def find_bwrap() -> str | None:
    """The ``bwrap`` executable, or None."""
    return shutil.which("bwrap")


@functools.cache
def unavailable_reason() -> str | None:
    """None when sandboxed kernels can run here; else one sentence saying why not and what to do.

    Runs ``bwrap`` once (per process) with the namespaces the kernels use.
    """
    if not sys.platform.startswith("linux"):
        return f"The grading sandbox needs Linux (this is {sys.platform}): {INSTALL_HINT}."
    bwrap = find_bwrap()
    if bwrap is None:
        return f"The grading sandbox needs bubblewrap, and no 'bwrap' is on PATH: {INSTALL_HINT}."
    probe = [
        bwrap, *_namespace_args(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
        "--", "/bin/sh", "-c", "exit 0",
    ]  # fmt: skip
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not be run ({exc}): {INSTALL_HINT}."
    if done.returncode != 0:
        why = " ".join(done.stderr.split())[:200] or f"exit status {done.returncode}"
        return (
            f"bubblewrap cannot create the sandbox here ({why}); user namespaces may be "
            f"disabled: {INSTALL_HINT}."
        )
    return None


def require_sandbox() -> None:
    """Raise :class:`SandboxUnavailable` (with :func:`unavailable_reason`) when it cannot run."""
    reason = unavailable_reason()
    if reason:
        raise SandboxUnavailable(reason)


def _privileged() -> bool:
    return os.geteuid() == 0


def kernel_uid() -> int:
    """The host user id of this grader's kernels (see :data:`HOST_UID_BASE`); one per grading
    process, so parallel workers do not share a process limit."""
    return HOST_UID_BASE + os.getpid() % 100_000 if _privileged() else os.getuid()


def _namespace_args() -> list[str]:
    common = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    common += ["--unshare-cgroup-try", "--hostname", "grading", "--die-with-parent"]
    if _privileged():
        # no user namespace; the first process keeps only what it needs to hand the kernel its
        # own user id (sandbox_init), then drops to it and so loses these too
        caps = ["--cap-drop", "ALL"]
        for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_CHOWN"):
            caps += ["--cap-add", cap]
        return [*common, *caps]
    return [
        *common,
        "--unshare-user",
        "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
        "--cap-drop", "ALL",
        "--disable-userns",
    ]  # fmt: skip


def _package_dir() -> Path:
    import course_lib

    return Path(course_lib.__file__).resolve().parent


def readonly_paths(data_dir: str | Path | None = None) -> list[Path]:
    """Host folders a kernel sees read-only (besides ``/usr``): Python, packages, course_lib, data.

    Besides the installation's prefixes, only ``sys.path`` folders that are package folders
    (``site-packages``, ``dist-packages``) are included: a folder such as the current directory
    or a checkout's root (which holds ``solutions/``) is not, and of a checkout only the
    ``course_lib`` package itself is.
    """
    package = _package_dir()
    paths: list[Path] = [package]
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        paths.append(Path(prefix).resolve())
    paths.append(Path(sys.executable).resolve().parent)
    for entry in sys.path:
        if entry and os.path.isdir(entry):
            folder = Path(entry).resolve()
            if folder.name in ("site-packages", "dist-packages"):
                paths.append(folder)
    if data_dir is not None and Path(data_dir).is_dir():
        paths.append(Path(data_dir).resolve())
    return _outermost(p for p in paths if not str(p).startswith("/usr/"))


def _outermost(paths: Iterable[Path]) -> list[Path]:
    """``paths`` without duplicates and without folders inside another one of them."""
    kept: list[Path] = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if not any(path == k or k in path.parents for k in kept):
            kept.append(path)
    return kept


def sandbox_environment(env: dict[str, str]) -> dict[str, str]:
    """The kernel's environment: the variables it needs from ``env``, with sandbox paths."""
    kept = {k: v for k, v in env.items() if k in PASSED_ENV or k.startswith(PASSED_PREFIXES)}
    bindir = str(Path(sys.executable).parent)
    kept.update(
        PATH=f"{bindir}:/usr/local/bin:/usr/bin:/bin",
        HOME=WORK_DIR,
        USER="student",
        LOGNAME="student",
        TMPDIR=TMP_DIR,
        MPLCONFIGDIR=f"{TMP_DIR}/matplotlib",
        PYTHONNOUSERSITE="1",
        PYTHONDONTWRITEBYTECODE="1",
        GAN_COURSE_SANDBOXED="1",
        # the kernel's parent is the sandbox's init (PID 1), which ipykernel takes as "a parent
        # that cannot go away": no parent poller, no console note (bwrap's --die-with-parent
        # ends the kernel with its grader)
        JPY_PARENT_PID="1",
    )
    kept.setdefault("LANG", "C.UTF-8")
    if env.get("PYTHONPATH"):
        kept["PYTHONPATH"] = env["PYTHONPATH"]
    if env.get("GAN_COURSE_DATA") or DEFAULT_DATA_DIR:
        kept["GAN_COURSE_DATA"] = str(env.get("GAN_COURSE_DATA") or DEFAULT_DATA_DIR)
    return kept


#: Where the grader's matplotlib font list is bound, to be copied into the kernel's MPLCONFIGDIR
#: (a kernel would otherwise build it anew, a fraction of a second every start).
FONT_CACHE_DIR = "/run/matplotlib"


@functools.cache
def _font_list() -> Path | None:
    """The grader's matplotlib font list (``fontlist-*.json``), built if need be; or None."""
    try:
        import matplotlib
        import matplotlib.font_manager  # noqa: F401 - builds the font list when missing

        found = sorted(Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))
    except Exception:
        return None
    return found[-1] if found else None


def _identity_files(rundir: Path) -> tuple[Path, Path]:
    passwd = rundir / "passwd"
    group = rundir / "group"
    passwd.write_text(
        f"student:x:{SANDBOX_UID}:{SANDBOX_UID}:student:{WORK_DIR}:/bin/sh\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
        encoding="utf-8",
    )
    group.write_text(f"student:x:{SANDBOX_UID}:\nnogroup:x:65534:\n", encoding="utf-8")
    for path in (passwd, group):
        path.chmod(0o644)
    return passwd, group


def seed_folder(workdir: str | Path, seed: Path) -> Path:
    """A copy of ``workdir`` without its notebooks, for the kernel's working folder.

    The notebook being graded lies in its working folder as nbgrader staged it, with the hidden
    tests put back into its test cells: the kernel never sees it (it gets its cells from the
    grader, not from the file).
    """
    shutil.rmtree(seed, ignore_errors=True)
    if Path(workdir).is_dir():
        shutil.copytree(
            workdir,
            seed,
            symlinks=True,
            ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"),
        )
    else:
        seed.mkdir()
    return seed


def prepare_rundir(rundir: str | Path) -> None:
    """Make ``rundir`` (the kernel's sockets) writable for the kernel's host user."""
    if _privileged():
        os.chown(rundir, kernel_uid(), kernel_uid())


def bwrap_command(
    command: list[str],
    workdir: str | Path,
    rundir: str | Path,
    env: dict[str, str],
    limits: SandboxLimits = SandboxLimits(),
    data_dir: str | Path | None = None,
) -> list[str]:
    """``command`` (a kernel's command line) wrapped in ``bwrap`` with the course's sandbox.

    ``workdir`` is the host folder whose files the kernel gets as its working folder (a copy);
    ``rundir`` the host folder of the kernel's connection file and sockets (bound read-write at
    the same path, so the connection file's paths hold on both sides); ``env`` the environment
    the kernel would have had (filtered by :func:`sandbox_environment`).
    """
    bwrap = find_bwrap()
    if bwrap is None:
        raise SandboxUnavailable(unavailable_reason() or "no bwrap on PATH")
    rundir = Path(rundir)
    prepare_rundir(rundir)
    passwd, group = _identity_files(rundir)
    args = [bwrap, *_namespace_args()]
    # the private folders first: a checkout or Python under /tmp is bound on top of them
    args += ["--size", str(limits.tmp_mb * MIB), "--tmpfs", TMP_DIR]
    args += ["--size", str(limits.work_mb * MIB), "--tmpfs", WORK_DIR]
    args += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            args += ["--ro-bind", str(host), str(host)]
    args += ["--perms", "0755", "--dir", "/etc", "--perms", "0755", "--dir", "/run"]
    for name in ETC_FILES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    args += ["--ro-bind", str(passwd), "/etc/passwd", "--ro-bind", str(group), "/etc/group"]
    bound = readonly_paths(data_dir if data_dir is not None else DEFAULT_DATA_DIR)
    parents = sorted({str(q) for p in [*bound, rundir] for q in p.parents if str(q) != "/"})
    for parent in parents:  # traversable by the kernel's user (bwrap would make them 0700)
        args += ["--perms", "0755", "--dir", parent]
    for path in bound:
        args += ["--ro-bind", str(path), str(path)]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for device in sorted(Path("/dev").glob("nvidia*")):  # a GPU grader keeps its GPU
        args += ["--dev-bind", str(device), str(device)]
    args += ["--ro-bind", str(Path(workdir).resolve()), SOURCE_DIR]
    font_list = _font_list()
    if font_list is not None:
        args += ["--ro-bind", str(font_list), f"{FONT_CACHE_DIR}/{font_list.name}"]
    args += ["--bind", str(rundir), str(rundir)]
    args += ["--clearenv"]
    for key, value in sorted(sandbox_environment(env).items()):
        args += ["--setenv", key, value]
    args += ["--chdir", TMP_DIR, "--"]
    init = Path(__file__).with_name("sandbox_init.py")
    settings: dict[str, Any] = dict(limits.for_init())
    if font_list is not None:
        settings["copy"] = [[FONT_CACHE_DIR, f"{TMP_DIR}/matplotlib"]]
    if _privileged():
        settings["uid"] = kernel_uid()
    return [*args, sys.executable, "-I", str(init), json.dumps(settings), SOURCE_DIR, WORK_DIR,
            "--", *command]  # fmt: skip


def prepare_data(data_dir: str | Path | None = None, size: str = "small") -> None:
    """Generate the embedded datasets before kernels start: inside, the data is read-only.

    Where every dataset folder already has its manifest, nothing is imported or read (the
    kernels' own set-up checks the manifests' contents).
    """
    root = Path(data_dir) if data_dir else DEFAULT_DATA_DIR
    folder = root if size == "default" else root / size
    if all((folder / name / "manifest.json").is_file() for name in EMBEDDED):
        return
    from course_lib.notebook import ensure_embedded

    for name in EMBEDDED:
        ensure_embedded(name, root, size)


@functools.cache
def _prepare_once(size: str) -> None:
    """Before the first kernel of this process: the datasets, and course_lib's bytecode (a
    sandboxed kernel cannot write ``__pycache__`` and would compile every module anew)."""
    import compileall

    prepare_data(None, size)
    compileall.compile_dir(str(_package_dir()), quiet=2)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts every kernel in the course's bubblewrap sandbox.

    Set for every executor by :func:`course_lib.pipeline.settings.configure_nbgrader`; its
    options are configurable like any nbgrader setting, e.g. in ``nbgrader_config.py``::

        c.SandboxedKernelManager.memory_mb = 8192
        c.SandboxedKernelManager.sandbox = False   # only for trusted notebooks

    The kernel talks to the grader over unix sockets in a fresh folder of its own; its working
    folder is a private copy of the folder the executor started it in.
    """

    sandbox = Bool(True, help="Start kernels in the bubblewrap sandbox.").tag(config=True)
    memory_mb = Integer(SandboxLimits.memory_mb, help="Memory (MiB) a kernel may use.").tag(
        config=True
    )
    processes = Integer(
        SandboxLimits.processes, help="Processes and threads a kernel may have at once."
    ).tag(config=True)
    file_size_mb = Integer(
        SandboxLimits.file_size_mb, help="Largest file (MiB) a kernel may write."
    ).tag(config=True)
    tmp_mb = Integer(SandboxLimits.tmp_mb, help="Size (MiB) of the kernel's /tmp.").tag(config=True)
    work_mb = Integer(SandboxLimits.work_mb, help="Size (MiB) of the kernel's working folder.").tag(
        config=True
    )

    _rundir: str | None = None
    _workdir: str | None = None

    @property
    def limits(self) -> SandboxLimits:
        """The configured limits."""
        return SandboxLimits(
            memory_mb=self.memory_mb,
            processes=self.processes,
            file_size_mb=self.file_size_mb,
            tmp_mb=self.tmp_mb,
            work_mb=self.work_mb,
        )

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        if not self.sandbox:
            return await super()._async_pre_start_kernel(**kw)
        require_sandbox()
        _prepare_once("small" if fast_mode() else "default")
        if self._rundir is None:
            self._rundir = tempfile.mkdtemp(prefix="gan-course-kernel-")
            self.transport = "ipc"
            self.ip = os.path.join(self._rundir, "kernel")
            self.connection_file = os.path.join(self._rundir, "kernel.json")
        self._workdir = str(kw.get("cwd") or os.getcwd())
        seed = seed_folder(self._workdir, Path(self._rundir) / "seed")
        cmd, launch = await super()._async_pre_start_kernel(**kw)
        env = dict(launch.get("env") or os.environ)
        launch["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        launch["cwd"] = self._rundir
        wrapped = bwrap_command(cmd, seed, self._rundir, env, self.limits)
        if _privileged():  # the connection file (mode 0600) must be the kernel user's to read
            os.chown(self.connection_file, kernel_uid(), kernel_uid())
        return wrapped, launch

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._rundir is not None:
            shutil.rmtree(self._rundir, ignore_errors=True)
            self._rundir = None

    cleanup_resources = _async_cleanup_resources  # type: ignore[assignment]

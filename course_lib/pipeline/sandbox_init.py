"""The first program inside a grading sandbox: set the limits, copy the working folder, start.

:mod:`course_lib.pipeline.sandbox` runs it as bubblewrap's command::

    python -I sandbox_init.py SETTINGS_JSON SOURCE_DIR WORK_DIR -- KERNEL_COMMAND...

It sets the resource limits of ``SETTINGS_JSON`` on itself (they are inherited by the kernel and by
everything the kernel starts), copies the files of the submission's working folder ``SOURCE_DIR``
(bound read-only) into ``WORK_DIR`` (a private, size-limited tmpfs), changes into it and replaces
itself with the kernel; where the grader runs as root, it first hands the working folder and
``/tmp`` to the kernel's own user id (``"uid"`` in the settings) and drops to it. It imports
nothing but the standard library, and runs with ``-I`` so that no environment variable or user
site directory changes what it does.

The process limit is set here, inside the sandbox, and not by the grader: Linux counts processes
per user (and user namespace), so it counts only the kernel user's processes and threads.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys

#: LIMITS_JSON key -> resource limit it sets.
LIMITS = {
    "memory_bytes": resource.RLIMIT_DATA,
    "processes": resource.RLIMIT_NPROC,
    "file_size_bytes": resource.RLIMIT_FSIZE,
    "open_files": resource.RLIMIT_NOFILE,
}


def apply_limits(limits: dict[str, int]) -> None:
    """Lower the soft and hard limits of this process to ``limits`` (see :data:`LIMITS`)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for key, which in LIMITS.items():
        value = int(limits.get(key, 0) or 0)
        if value > 0:
            resource.setrlimit(which, (value, value))


def copy_working_folder(source: str, work: str) -> None:
    """Copy the files and folders of ``source`` into ``work`` (links and what does not fit are
    skipped)."""
    os.makedirs(work, exist_ok=True)
    if not os.path.isdir(source):
        return
    for entry in os.scandir(source):
        target = os.path.join(work, entry.name)
        try:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                shutil.copytree(entry.path, target, symlinks=True, dirs_exist_ok=True)
            elif entry.is_file():
                shutil.copy2(entry.path, target)
        except OSError as exc:  # a full working folder: the kernel starts without the rest
            print(
                f"sandbox: {entry.name} not copied into the working folder ({exc})", file=sys.stderr
            )


def become(uid: int, folders: list[str]) -> None:
    """Give ``folders`` (and what is in them) to ``uid``, then drop to that user for good.

    Used where the grader runs as root: the sandbox then has no user namespace, and this process
    holds just the capabilities to do this; changing to an unprivileged user clears them.
    """
    for folder in folders:
        device = os.lstat(folder).st_dev
        for top, dirs, files in os.walk(folder):
            # what is bound inside (a checkout under /tmp, the kernel's sockets) stays as it is
            dirs[:] = [d for d in dirs if os.lstat(os.path.join(top, d)).st_dev == device]
            for name in [top, *(os.path.join(top, n) for n in dirs + files)]:
                os.lchown(name, uid, uid)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.geteuid() != uid or os.getegid() != uid:
        sys.exit("sandbox: could not change to the kernel's user")


def main(argv: list[str]) -> None:
    """``SETTINGS_JSON SOURCE_DIR WORK_DIR -- COMMAND...``: see the module docstring."""
    if len(argv) < 5 or argv[3] != "--":
        sys.exit("usage: sandbox_init.py SETTINGS_JSON SOURCE_DIR WORK_DIR -- COMMAND...")
    settings, source, work, command = json.loads(argv[0]), argv[1], argv[2], argv[4:]
    copy_working_folder(source, work)
    for from_dir, to_dir in settings.get("copy", []):  # caches the grader prepared
        copy_working_folder(from_dir, to_dir)
    apply_limits(settings)
    if settings.get("uid") is not None:
        become(int(settings["uid"]), [work, "/tmp"])
    os.chdir(work)
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])

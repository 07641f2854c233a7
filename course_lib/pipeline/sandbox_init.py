"""The first program inside a grading sandbox: set the limits, copy the working folder, start.

:mod:`course_lib.pipeline.sandbox` runs it as bubblewrap's command::

    python -I sandbox_init.py LIMITS_JSON SOURCE_DIR WORK_DIR -- KERNEL_COMMAND...

It sets the resource limits of ``LIMITS_JSON`` on itself (they are inherited by the kernel and by
everything the kernel starts), copies the files of the submission's working folder ``SOURCE_DIR``
(bound read-only) into ``WORK_DIR`` (a private, size-limited tmpfs), changes into it and replaces
itself with the kernel. It imports nothing but the standard library, and runs with ``-I`` so that
no environment variable or user site directory changes what it does.

The process limit is set here, inside the sandbox's user namespace, and not by the grader: the
kernel counts processes per user and namespace, so set here it counts only the sandbox's own
processes and threads.
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


def main(argv: list[str]) -> None:
    """``LIMITS_JSON SOURCE_DIR WORK_DIR -- COMMAND...``: see the module docstring."""
    if len(argv) < 5 or argv[3] != "--":
        sys.exit("usage: sandbox_init.py LIMITS_JSON SOURCE_DIR WORK_DIR -- COMMAND...")
    limits, source, work, command = json.loads(argv[0]), argv[1], argv[2], argv[4:]
    copy_working_folder(source, work)
    apply_limits(limits)
    os.chdir(work)
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])

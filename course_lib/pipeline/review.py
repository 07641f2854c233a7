"""Submissions whose code reaches for the grading machinery, listed for the instructor.

The sandbox (:mod:`course_lib.pipeline.sandbox`) keeps a submission from damaging or reading
anything; it does not say who tried. :func:`review_flags` reads the code a learner wrote (every
code cell that is not, word for word, a cell of the source notebook) and names each cell that
reaches for IPython's internals (custom exception handlers, traceback display, event hooks), the
interpreter's (``sys.modules``, ``builtins``, ``ctypes``, ``gc``, frames and tracers), signals,
processes, sqlite, the network, or files outside the working folder. The autograde report and
the CSV's ``review`` column list them: flagged, not penalised -- the instructor decides.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import Any

from .notebook_tools import grade_id

#: Modules whose import is worth a look, and why.
MODULES = {
    "ctypes": "ctypes (raw memory and C calls)",
    "gc": "gc (reaching objects of the grader)",
    "builtins": "builtins",
    "signal": "signals",
    "subprocess": "a subprocess",
    "pty": "a subprocess",
    "sqlite3": "sqlite (the gradebook is a sqlite file)",
    "socket": "the network",
    "urllib": "the network",
    "http": "the network",
    "requests": "the network",
    "inspect": "inspect (reading the grader's frames or code)",
    "importlib": "importlib (reloading or replacing modules)",
    "ipykernel": "IPython/kernel internals",
    "IPython": "IPython/kernel internals",
    "zmq": "IPython/kernel internals",
    "nbgrader": "nbgrader",
}
#: Attribute names that reach IPython's machinery, whatever object they are read from.
ATTRIBUTES = {
    "set_custom_exc": "IPython's custom exception handler",
    "showtraceback": "IPython's traceback display",
    "_showtraceback": "IPython's traceback display",
    "showsyntaxerror": "IPython's traceback display",
    "_render_traceback_": "IPython's traceback display",
    "register_magic_function": "IPython's magics",
    "run_cell": "IPython's cell runner",
    "__builtins__": "builtins",
    "__globals__": "another function's globals",
    "__subclasses__": "the class hierarchy",
}
#: ``module.attribute`` pairs worth a look (``model.modules()`` is not ``sys.modules``).
QUALIFIED = {
    **{
        ("sys", a): "the interpreter's internals"
        for a in (
            "modules",
            "excepthook",
            "settrace",
            "setprofile",
            "_getframe",
            "meta_path",
            "path_hooks",
        )
    },
    **{
        ("os", a): "a subprocess"
        for a in (
            "system",
            "popen",
            "fork",
            "forkpty",
            "execv",
            "execve",
            "execvp",
            "execvpe",
            "execl",
            "execlp",
            "spawnv",
            "spawnl",
            "posix_spawn",
        )
    },
    ("os", "kill"): "signals",
    ("os", "killpg"): "signals",
    ("os", "_exit"): "ending the kernel",
    ("os", "chdir"): "files outside the working folder",
    ("resource", "setrlimit"): "resource limits",
    ("gc", "get_objects"): "gc (reaching objects of the grader)",
    ("get_ipython()", "events"): "IPython's event hooks",
}
#: Names called with a path argument.
FILE_CALLS = {"open", "Path", "remove", "unlink", "rmtree", "listdir", "scandir", "walk", "glob"}
SHELL = re.compile(r"^\s*(!|%%?(?:bash|sh|system|sx|script|writefile)\b)", re.MULTILINE)


def _outside(path: str) -> bool:
    return path.startswith(("/", "~")) or ".." in path.replace("\\", "/").split("/")


def _module_reason(name: str) -> str | None:
    return MODULES.get(name.split(".")[0])


def code_reasons(source: str) -> list[str]:
    """Why ``source`` (one cell) is worth a look; empty when it is not."""
    reasons: list[str] = []
    if SHELL.search(source):
        reasons.append("a shell command")
    lines = [line for line in source.splitlines() if not SHELL.match(line)]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        tree = None
    if tree is None:  # cells with IPython syntax or broken code: look for the words
        words = {**MODULES, **ATTRIBUTES, **{a: w for (_, a), w in QUALIFIED.items()}}
        for word, why in words.items():
            if re.search(rf"\b{re.escape(word)}\b", source):
                reasons.append(why)
        return sorted(set(reasons))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            reasons += [r for a in node.names if (r := _module_reason(a.name))]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if why := _module_reason(node.module):
                reasons.append(why)
            reasons += [ATTRIBUTES[a.name] for a in node.names if a.name in ATTRIBUTES]
        elif isinstance(node, ast.Attribute):
            if node.attr in ATTRIBUTES:
                reasons.append(ATTRIBUTES[node.attr])
            owner = node.value
            owner_name = (
                owner.id
                if isinstance(owner, ast.Name)
                else "get_ipython()"
                if isinstance(owner, ast.Call) and getattr(owner.func, "id", "") == "get_ipython"
                else ""
            )
            if (owner_name, node.attr) in QUALIFIED:
                reasons.append(QUALIFIED[(owner_name, node.attr)])
        elif isinstance(node, ast.Name) and node.id in ("__builtins__", "__import__"):
            reasons.append("builtins")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in ("__import__", "import_module"):
                arg = node.args[0] if node.args else None
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    reasons.append(_module_reason(arg.value) or "importlib")
                else:
                    reasons.append("a computed import")
            elif isinstance(func, ast.Name) and name in ("exec", "eval", "compile"):
                reasons.append("exec/eval of generated code")
            if name in FILE_CALLS:
                for arg in node.args[:1]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        if _outside(arg.value):
                            reasons.append("files outside the working folder")
    return sorted(set(reasons))


def review_flags(nb: Any, known_sources: Iterable[str] = ()) -> list[str]:
    """``"<cell>: <reasons>"`` for each cell of ``nb`` written by the learner that is worth a look.

    Cells whose source is one of ``known_sources`` (the source notebook's cells) are skipped.
    """
    known = {s.strip() for s in known_sources}
    flags: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        if source.strip() in known:
            continue
        reasons = code_reasons(source)
        if reasons:
            where = grade_id(cell) or f"cell {index + 1}"
            flags.append(f"{where}: {', '.join(reasons)}")
    return flags

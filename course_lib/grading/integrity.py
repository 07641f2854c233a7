"""Integrity of a check: trusted originals, a clean torch state and reference-call detection.

A check must give the true verdict whatever the notebook did before it ran:

* :func:`capture` records, when :mod:`course_lib.grading` is imported, the functions and classes a
  check relies on (torch, ``torch.Tensor``, ``torch.nn``, the builtins it uses, ``random``,
  ``math``, the course's references and the grading package itself, including the code objects of
  their Python functions). The restorer it returns puts every recorded original back; a check
  calls it before it starts and after every call of the learner's code, so
  ``torch.allclose = lambda *a, **k: True`` or a patched helper of this package has no effect on
  the verdict. The originals stay restored after the check.
* :func:`clean_state` runs a check with gradients enabled, float32 as the default dtype, no TF32,
  no active torch function or dispatch mode, and the learner's random-number state preserved.
* :class:`CallWatch` watches, while the learner's code runs, for calls of the reference being
  checked (however it is reached: an alias, a wrapper, ``super().forward``), of ``backward`` and
  of an optimizer's ``step``.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import gc
import itertools
import linecache
import operator
import os
import random
import site
import sys
import sysconfig
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch

__all__ = [
    "capture",
    "clean_state",
    "CallWatch",
    "is_trusted_file",
    "learner_line",
]

_MISSING = object()

#: Builtins a check or a learner's answer commonly relies on. Only these are restored: the
#: notebook kernel legitimately swaps others (``input``, ``exit``) between cells.
_BUILTIN_NAMES = (
    "__import__",
    "abs",
    "all",
    "any",
    "bool",
    "callable",
    "delattr",
    "dict",
    "divmod",
    "enumerate",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "hasattr",
    "hash",
    "id",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "list",
    "map",
    "max",
    "min",
    "next",
    "object",
    "pow",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "Exception",
    "IndexError",
    "KeyError",
    "NameError",
    "NotImplementedError",
    "RuntimeError",
    "StopIteration",
    "TypeError",
    "ValueError",
    "ZeroDivisionError",
)
_SYS_NAMES = ("settrace", "gettrace", "setprofile", "getprofile", "_getframe", "exc_info")

#: Modules whose functions, classes and submodules are restored (data attributes are left
#: alone): all of them (None), or the names listed.
_LIBRARY_MODULES: dict[str, tuple[str, ...] | None] = {
    "torch": None,
    "torch.nn": None,
    "torch.nn.functional": None,
    "torch.testing": None,
    "torch.testing._comparison": ("assert_close", "not_close_error_metas"),
    "torch.autograd": None,
    "torch.random": ("fork_rng", "manual_seed", "get_rng_state", "set_rng_state", "seed"),
    "torch.cuda": (
        "is_available",
        "manual_seed",
        "manual_seed_all",
        "get_rng_state",
        "set_rng_state",
        "device_count",
    ),
    "math": None,
    "random": None,
    "operator": None,
    "functools": ("partial", "wraps", "reduce"),
    "copy": ("deepcopy", "copy"),
    "inspect": ("signature", "unwrap", "getsource", "Parameter"),
    "linecache": ("getline", "getlines", "checkcache"),
    "types": ("FunctionType", "CodeType", "ModuleType", "FrameType"),
    "numbers": None,
    "itertools": ("permutations",),
    "contextlib": ("contextmanager", "suppress"),
    "difflib": ("get_close_matches",),
}
#: Course modules: every attribute is restored (constants such as tolerances included).
_COURSE_PREFIXES = (
    "course_lib.grading",
    "course_lib.losses",
    "course_lib.models",
    "course_lib.image_pool",
    "course_lib.metrics",
)


def _trusted_roots() -> tuple[str, ...]:
    roots = set()
    paths = sysconfig.get_paths()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        if paths.get(key):
            roots.add(paths[key])
    with contextlib.suppress(Exception):
        roots.update(site.getsitepackages())
    with contextlib.suppress(Exception):
        roots.add(site.getusersitepackages())
    roots.add(os.path.dirname(os.path.dirname(torch.__file__)))
    roots.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # course_lib
    roots.add(os.path.dirname(os.__file__))
    return tuple(sorted(os.path.join(os.path.realpath(r), "") for r in roots if r))


_ROOTS = _trusted_roots()


def is_trusted_file(filename: str) -> bool:
    """True for code of the standard library, installed packages and course_lib (not the
    notebook's cells, nor scripts or tests outside them)."""
    if filename.startswith("<frozen"):
        return True
    if not filename or filename.startswith("<"):
        return False
    path = os.path.join(os.path.realpath(filename), "")
    return any(path.startswith(root) for root in _ROOTS)


def _trusted_function(fn: types.FunctionType) -> bool:
    """Code from a trusted file, or generated (``<string>``) inside a trusted module, as
    dataclasses and namedtuples do."""
    filename = fn.__code__.co_filename
    if is_trusted_file(filename):
        return True
    if filename == "<string>":
        module = sys.modules.get(getattr(fn, "__module__", None) or "")
        module_file = getattr(module, "__file__", None)
        return module_file is not None and is_trusted_file(module_file)
    return False


def _is_foreign(value: Any) -> bool:
    """Whether ``value`` is a function or class defined outside trusted code."""
    if isinstance(value, functools.partial):
        return _is_foreign(value.func)
    if isinstance(value, (staticmethod, classmethod)):
        return _is_foreign(value.__func__)
    if isinstance(value, property):
        return any(_is_foreign(f) for f in (value.fget, value.fset) if f is not None)
    if isinstance(value, types.FunctionType):
        return not _trusted_function(value)
    if isinstance(value, type):
        module_name = getattr(value, "__module__", None) or ""
        if module_name == "__main__":
            return True
        filename = getattr(sys.modules.get(module_name), "__file__", None)
        return filename is not None and not is_trusted_file(filename)
    return False


def _functions_of(value: Any) -> Iterator[types.FunctionType]:
    if isinstance(value, types.FunctionType):
        yield value
    elif isinstance(value, (staticmethod, classmethod)):
        yield from _functions_of(value.__func__)
    elif isinstance(value, property):
        for f in (value.fget, value.fset, value.fdel):
            yield from _functions_of(f)
    elif isinstance(value, functools.partial):
        yield from _functions_of(value.func)


def _restorable(value: Any) -> bool:
    return callable(value) or isinstance(value, types.ModuleType)


def _course_modules() -> list[types.ModuleType]:
    return [
        m
        for name, m in sorted(sys.modules.items())
        if isinstance(m, types.ModuleType) and name.startswith(_COURSE_PREFIXES)
    ]


#: torch.nn classes the checks and the course's networks use (their bases are added).
_NN_CLASSES = (
    "Module",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "Conv2d",
    "ConvTranspose2d",
    "Linear",
    "BatchNorm2d",
    "InstanceNorm2d",
    "LeakyReLU",
    "ReLU",
    "Tanh",
    "Sigmoid",
    "Dropout",
    "Identity",
    "ReflectionPad2d",
    "ZeroPad2d",
    "MSELoss",
    "L1Loss",
    "BCEWithLogitsLoss",
    "BCELoss",
    "SmoothL1Loss",
    "HuberLoss",
    "Parameter",
)


def _classes_to_guard(modules: Iterable[types.ModuleType]) -> list[type]:
    classes: list[type] = [torch.Tensor, torch.autograd.Function, torch.optim.Optimizer]
    classes += [getattr(torch.nn, name) for name in _NN_CLASSES if hasattr(torch.nn, name)]
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, type) and getattr(value, "__module__", "").startswith(
                "course_lib"
            ):
                classes.append(value)
    seen: set[int] = set()
    unique = []
    for cls in classes:
        for klass in cls.__mro__:
            if klass is object or id(klass) in seen:
                continue
            if klass.__module__ == "builtins":
                continue
            seen.add(id(klass))
            unique.append(klass)
    return unique


def capture(extra_mappings: Iterable[dict] = ()) -> tuple[Callable[[], int], list[str]]:
    """Record the originals; return ``(restore, tainted)``.

    ``restore()`` puts every recorded original back and returns how many it had to repair.
    ``tainted`` names the recorded objects that were already replaced by untrusted code (a
    notebook cell) before this import: they cannot be vouched for, and :func:`check` refuses to
    grade while there are any. ``extra_mappings`` are dictionaries (such as the exercise
    registry) whose items are restored as well.
    """
    module_items: list[tuple[dict, dict]] = []
    tainted: list[str] = []

    def add_module(module: types.ModuleType, names: Iterable[str] | None, everything: bool):
        d = vars(module)
        keys = list(d) if names is None else [n for n in names if n in d]
        snap = {}
        for k in keys:
            v = d[k]
            if everything or _restorable(v):
                snap[k] = v
                if _is_foreign(v):
                    tainted.append(f"{module.__name__}.{k}")
        module_items.append((d, snap))

    add_module(builtins, _BUILTIN_NAMES, everything=True)
    add_module(sys, _SYS_NAMES, everything=True)
    for name, only in _LIBRARY_MODULES.items():
        module = sys.modules.get(name)
        if module is not None:
            add_module(module, only, everything=False)
    course = _course_modules()
    for module in course:
        add_module(module, None, everything=True)

    class_items: list[tuple[type, dict]] = []
    for cls in _classes_to_guard(course):
        snap = dict(cls.__dict__)
        for k, v in snap.items():
            if _is_foreign(v):
                tainted.append(f"{cls.__module__}.{cls.__qualname__}.{k}")
        class_items.append((cls, snap))

    function_items: list[tuple[types.FunctionType, Any, Any, Any]] = []
    course_functions: list[types.FunctionType] = []
    seen: set[int] = set()
    values: list[Any] = []
    for _, snap in module_items:
        values.extend(snap.values())
    for _, snap in class_items:
        values.extend(snap.values())
    for value in values:
        for fn in _functions_of(value):
            if id(fn) in seen or not _trusted_function(fn):
                continue
            seen.add(id(fn))
            function_items.append((fn, fn.__code__, fn.__defaults__, fn.__kwdefaults__))
            if (getattr(fn, "__module__", None) or "").startswith("course_lib"):
                course_functions.append(fn)

    mapping_items = [(m, dict(m)) for m in extra_mappings]
    restorer = _make_restorer(
        module_items, class_items, function_items, mapping_items, course_functions
    )
    return restorer, sorted(set(tainted))


def _real_dict(cls: type) -> dict | None:
    """The dictionary behind ``cls.__dict__`` (read-only use: writes go through setattr)."""
    referents = gc.get_referents(cls.__dict__)
    return referents[0] if len(referents) == 1 and isinstance(referents[0], dict) else None


def _make_restorer(
    module_items, class_items, function_items, mapping_items, course_functions
) -> Callable[[], int]:
    # Everything the restorer uses is bound here, so patching a global cannot disable it.
    _setattr, _delattr, _list, _missing = setattr, delattr, list, _MISSING
    _suppress, _all, _map, _len = contextlib.suppress, all, map, len
    _is = operator.is_
    code_of = operator.attrgetter("__code__")
    defaults_of = operator.attrgetter("__defaults__")
    kwdefaults_of = operator.attrgetter("__kwdefaults__")

    # Per dictionary, an itemgetter over the recorded keys (it returns a tuple, even for one
    # key), and all recorded values in one flat tuple, so that the test "nothing changed" runs
    # at C speed.
    getters: list[Any] = []
    dicts: list[dict] = []
    flat_values: list[Any] = []
    sized: list[dict] = []
    sizes: list[int] = []

    def add_group(d: dict, snap: dict, check_length: bool) -> None:
        if not snap:
            return
        keys = tuple(snap)
        if len(keys) == 1:
            keys = keys * 2
        getters.append(operator.itemgetter(*keys))
        dicts.append(d)
        flat_values.extend(snap[k] for k in keys)
        if check_length:
            sized.append(d)
            sizes.append(len(snap))

    for d, snap in module_items:
        add_group(d, snap, check_length=False)
    for cls, snap in class_items:
        real = _real_dict(cls)
        if real is not None:
            add_group(real, snap, check_length=True)
    for mapping, snap in mapping_items:
        add_group(mapping, snap, check_length=True)
    values = tuple(flat_values)
    # Code objects of every recorded function; defaults of the course's own functions (where
    # tolerances live). Replaced defaults of library functions are still repaired on the slow
    # path, which any other change triggers.
    functions = [f[0] for f in function_items]
    codes = [f[1] for f in function_items]
    defaults = [f.__defaults__ for f in course_functions]
    kwdefaults = [f.__kwdefaults__ for f in course_functions]
    _call = getattr(operator, "call", None) or (lambda f, *a: f(*a))
    _chain = itertools.chain.from_iterable
    _eq = operator.eq

    def unchanged() -> bool:
        try:
            same = _all(_map(_is, values, _chain(_map(_call, getters, dicts))))
        except KeyError:
            return False
        return (
            same
            and _all(_map(_eq, sizes, _map(_len, sized)))
            and _all(_map(_is, codes, _map(code_of, functions)))
            and _all(_map(_is, defaults, _map(defaults_of, course_functions)))
            and _all(_map(_is, kwdefaults, _map(kwdefaults_of, course_functions)))
        )

    def restore() -> int:
        if unchanged():
            return 0
        repaired = 0
        for d, snap in module_items:
            for k, v in snap.items():
                if d.get(k, _missing) is not v:
                    d[k] = v
                    repaired += 1
        for cls, snap in class_items:
            current = cls.__dict__
            for k in _list(current):
                if k not in snap:
                    with _suppress(Exception):
                        _delattr(cls, k)
                        repaired += 1
            for k, v in snap.items():
                if current.get(k, _missing) is not v:
                    with _suppress(Exception):
                        _setattr(cls, k, v)
                        repaired += 1
        for fn, code, fn_defaults, fn_kwdefaults in function_items:
            if fn.__code__ is not code:
                fn.__code__ = code
                repaired += 1
            if fn.__defaults__ is not fn_defaults:
                fn.__defaults__ = fn_defaults
                repaired += 1
            if fn.__kwdefaults__ is not fn_kwdefaults:
                fn.__kwdefaults__ = fn_kwdefaults
                repaired += 1
        for mapping, snap in mapping_items:
            if mapping != snap or any(mapping[k] is not v for k, v in snap.items()):
                mapping.clear()
                mapping.update(snap)
                repaired += 1
        return repaired

    return restore


@contextlib.contextmanager
def clean_state(device: torch.device) -> Iterator[None]:
    """Run a check in a known torch state and give the learner's state back afterwards.

    Gradients on (whatever ``torch.set_grad_enabled`` or an unclosed ``no_grad`` left), not in
    inference mode, float32 default dtype, TF32 off (so CPU and CUDA tolerances are the same),
    torch function and dispatch modes (``torch.set_default_device`` included) suspended, one
    intra-op thread (the probes are tiny: threads only add overhead, and a lot of it on a busy
    machine), and the Python and torch random states saved and restored.
    """
    dtype = torch.get_default_dtype()
    threads = torch.get_num_threads()
    cudnn_tf32 = torch.backends.cudnn.allow_tf32
    matmul_tf32 = torch.backends.cuda.matmul.allow_tf32
    py_state = random.getstate()
    function_modes = _pop_function_modes()
    dispatch_modes = _pop_dispatch_modes()
    devices = [device.index or 0] if device.type == "cuda" else []
    try:
        torch.set_default_dtype(torch.float32)
        torch.set_num_threads(1)
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        with torch.random.fork_rng(devices=devices), torch.inference_mode(False):
            with torch.enable_grad():
                yield
    finally:
        random.setstate(py_state)
        torch.set_default_dtype(dtype)
        torch.set_num_threads(threads)
        torch.backends.cudnn.allow_tf32 = cudnn_tf32
        torch.backends.cuda.matmul.allow_tf32 = matmul_tf32
        _push_modes(function_modes, dispatch_modes)


def _pop_function_modes() -> list[Any]:
    modes = []
    with contextlib.suppress(Exception):
        while torch._C._len_torch_function_stack() > 0:
            modes.append(torch._C._pop_torch_function_stack())
    return modes


def _pop_dispatch_modes() -> list[Any]:
    modes = []
    with contextlib.suppress(Exception):
        from torch.utils._python_dispatch import _pop_mode

        while torch._C._len_torch_dispatch_stack() > 0:
            modes.append(_pop_mode())
    return modes


def _push_modes(function_modes: list[Any], dispatch_modes: list[Any]) -> None:
    with contextlib.suppress(Exception):
        for mode in reversed(function_modes):
            torch._C._push_on_torch_function_stack(mode)
    with contextlib.suppress(Exception):
        from torch.utils._python_dispatch import _push_mode

        for mode in reversed(dispatch_modes):
            _push_mode(mode)


_OPTIM_DIR = os.path.join(os.path.realpath(os.path.dirname(torch.optim.__file__)), "")
_BACKWARD_CODES = frozenset(
    {
        torch.Tensor.backward.__code__,
        torch.autograd.backward.__code__,
        torch.autograd.grad.__code__,
    }
)


class CallWatch:
    """Context manager that records, while the learner's code runs, which watched functions it
    reached (directly or through any alias or wrapper), and whether it called ``backward`` or
    an optimizer's ``step``/``zero_grad``.

    ``forbidden`` maps code objects (the reference of the exercise) to the name shown to the
    learner; copies of them (``code.replace(...)``) are recognised by their file and first
    line. Uses ``sys.settrace`` with a global trace function that only looks at ``call``
    events, and puts back any tracer (debugger, coverage) that was there before.
    ``tracer_removed`` tells whether the learner's code replaced the tracer while it ran.
    """

    def __init__(self, forbidden: dict[types.CodeType, str]) -> None:
        self.forbidden = forbidden
        self.locations = {(c.co_filename, c.co_firstlineno): n for c, n in forbidden.items()}
        self.files = {c.co_filename for c in forbidden}
        self.reference_called: str | None = None
        self.backward_called = False
        self.optimizer_called: str | None = None
        self.tracer_removed = False
        self._previous: Any = None
        self._tracer = self._trace

    def _trace(self, frame: types.FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return None
        code = frame.f_code
        if code in self.forbidden or (
            code.co_filename in self.files
            and (code.co_filename, code.co_firstlineno) in self.locations
        ):
            if self.reference_called is None:
                self.reference_called = self.locations[(code.co_filename, code.co_firstlineno)]
        elif code in _BACKWARD_CODES:
            self.backward_called = True
        elif code.co_name in ("step", "zero_grad") and code.co_filename.startswith(_OPTIM_DIR):
            self.optimizer_called = self.optimizer_called or code.co_name
        return None

    def __enter__(self) -> CallWatch:
        self._previous = sys.gettrace()
        sys.settrace(self._tracer)
        return self

    def __exit__(self, *exc: object) -> None:
        self.tracer_removed = sys.gettrace() is not self._tracer
        sys.settrace(self._previous)


def learner_line(exc: BaseException) -> str | None:
    """The source line, in the learner's own code, where ``exc`` was raised (None if unknown)."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if not is_trusted_file(code.co_filename):
            found = (code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    if found is None:
        return None
    line = linecache.getline(found[0], found[1]).strip()
    return line or None

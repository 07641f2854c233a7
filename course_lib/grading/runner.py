"""Running the learner's code inside a check, and turning what goes wrong into messages."""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch

from ..i18n import N_, _
from .display import CheckFailed
from .integrity import CallWatch, learner_line
from .registry import Exercise

__all__ = ["CheckContext", "CheckFailed", "fail", "forbidden_codes", "substitute_globals"]


def fail(message: str) -> None:
    """Reject the answer with ``message`` (a :class:`CheckFailed`, an ``AssertionError``)."""
    raise CheckFailed(message)


def _code_of(obj: Any) -> types.CodeType | None:
    obj = inspect.unwrap(obj) if callable(obj) else obj
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    code = getattr(obj, "__code__", None)
    return code if isinstance(code, types.CodeType) else None


def _qualified(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def forbidden_codes(exercise: Exercise) -> dict[types.CodeType, str]:
    """Code objects whose execution means the learner's answer runs the reference."""
    ref = exercise.reference
    targets: list[Any] = []
    if isinstance(ref, type):
        for attr in ("forward", "query"):
            if attr in vars(ref):
                targets.append(vars(ref)[attr])
    else:
        targets.append(ref)
    targets.extend(exercise.forbidden)
    codes = {}
    for t in targets:
        code = _code_of(t)
        if code is not None:
            codes[code] = _qualified(t)
    return codes


def substitute_globals(fn: Any, replacements: Mapping[str, Any]) -> Any:
    """``fn`` with the given global names bound to ``replacements`` (the reference helpers),
    so that a composite exercise is graded independently of the learner's own helpers:
    whether the learner's helper is wrong or was never defined (its cell failed or was
    stopped), the composite sees the reference.

    Only plain Python functions that use one of the names are rebuilt; anything else is
    returned as it is.
    """
    if not isinstance(fn, types.FunctionType):
        return fn
    used = set()

    def names_of(code: types.CodeType) -> None:
        used.update(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                names_of(const)

    names_of(fn.__code__)
    present = {k: v for k, v in replacements.items() if k in used}
    if not present:
        return fn
    new_globals = dict(fn.__globals__)
    new_globals.update(present)
    clone = types.FunctionType(
        fn.__code__, new_globals, fn.__name__, fn.__defaults__, fn.__closure__
    )
    clone.__kwdefaults__ = fn.__kwdefaults__
    clone.__dict__.update(fn.__dict__)
    return clone


_ERROR_HINTS: tuple[tuple[str, str], ...] = (
    (
        "same device",
        N_(
            "A tensor you create inside the function (a target, a kernel) must take the input's "
            "dtype and device: build it from the input (the *_like functions) or pass dtype= and "
            "device= from the input."
        ),
    ),
    (
        "not defined",
        N_(
            "Use only the function's arguments (and torch): names from elsewhere in the notebook "
            "may not exist when it is checked."
        ),
    ),
)


class CheckContext:
    """State of one ``check`` call: the exercise, the device, the seed and the restorer.

    ``call`` runs the learner's code: it watches for the reference, reports an exception as a
    learner-facing ``AssertionError`` naming the input, and restores the trusted originals
    afterwards (in case the learner's code patched torch while it ran).
    """

    def __init__(
        self,
        exercise: Exercise,
        device: torch.device,
        seed: int,
        restore: Callable[[], int],
    ) -> None:
        self.exercise = exercise
        self.device = device
        self.seed = seed
        self.restore = restore
        self.forbidden = forbidden_codes(exercise)
        self.last_watch: CallWatch | None = None

    @property
    def who(self) -> str:
        """``Your get_disc_loss`` / ``Your ContractingBlock``."""
        return _("Your {short_name}").format(short_name=self.exercise.short_name)

    @property
    def your(self) -> str:
        """``your get_disc_loss``: :attr:`who` inside a sentence."""
        return _("your {short_name}").format(short_name=self.exercise.short_name)

    def call(self, fn: Callable[..., Any], args: Iterable[Any] = (), where: str = "") -> Any:
        """Run ``fn(*args)``, the learner's code; ``where`` describes the input for messages."""
        watch = CallWatch(self.forbidden)
        self.last_watch = watch
        try:
            with watch:
                result = fn(*args)
        except Exception as exc:  # the learner's error becomes the verdict
            self.restore()
            self.reject_reference(watch)
            raise CheckFailed(self.describe_error(exc, where)) from None
        self.restore()
        self.reject_reference(watch)
        return result

    def attempt(
        self, fn: Callable[..., Any], args: Iterable[Any] = ()
    ) -> tuple[Any, Exception | None]:
        """Run ``fn(*args)`` where an exception is a possible right answer: returns
        ``(result, None)`` or ``(None, exception)``; calling the reference still fails."""
        watch = CallWatch(self.forbidden)
        try:
            with watch:
                result = fn(*args)
        except Exception as exc:
            self.restore()
            self.reject_reference(watch)
            return None, exc
        self.restore()
        self.reject_reference(watch)
        return result, None

    def reject_reference(self, watch: CallWatch) -> None:
        """Fail when the learner's code ran the reference or switched off the watch."""
        if watch.tracer_removed:
            fail(
                _(
                    "{who} replaces the Python trace function (sys.settrace, or a debugger "
                    "started inside it) while it runs, which the check relies on: remove that "
                    "and run the check again."
                ).format(who=self.who)
            )
        if watch.reference_called:
            fail(
                _(
                    "{who} calls course_lib's own solution ({reference_called}), directly or "
                    "through another function. Write the code yourself: the reference is what "
                    "your answer is compared with."
                ).format(who=self.who, reference_called=watch.reference_called)
            )

    def describe_error(self, exc: BaseException, where: str) -> str:
        """``Your get_disc_loss raised on input #2 (...): RuntimeError: ...`` plus the line."""
        kind = type(exc).__name__
        text = str(exc).strip().splitlines()
        last = text[-1] if text else ""
        if isinstance(exc, NotImplementedError):
            return _("{who} is not written yet (it raises NotImplementedError).").format(
                who=self.who
            )
        if where:
            message = (
                _("{who} raised on {where}: {kind}: {last}").format(
                    who=self.who, where=where, kind=kind, last=last
                )
                if last
                else _("{who} raised on {where}: {kind}").format(
                    who=self.who, where=where, kind=kind
                )
            )
        else:
            message = (
                _("{who} raised: {kind}: {last}").format(who=self.who, kind=kind, last=last)
                if last
                else _("{who} raised: {kind}").format(who=self.who, kind=kind)
            )
        line = learner_line(exc)
        if line:
            message += "\n  " + _("in your line: {line}").format(line=line)
        for fragment, hint in (*self.exercise.error_hints, *_ERROR_HINTS):
            if fragment in str(exc):
                message += "\n" + _(hint)
                break
        return message

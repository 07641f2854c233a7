"""The case registry of the mutation suite."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["Case", "CASES", "mutant", "alternative"]

T = TypeVar("T")


@dataclass(frozen=True)
class Case:
    """One answer to an exercise.

    ``expect`` is None for a correct answer (it must be accepted) or the fragments that the
    rejection message must contain (all of them).
    """

    exercise: str
    name: str
    candidate: Any
    expect: tuple[str, ...] | None

    @property
    def id(self) -> str:
        kind = "alternative" if self.expect is None else "mutant"
        return f"{self.exercise}:{kind}:{self.name}"


CASES: list[Case] = []


def mutant(exercise: str, *expect: str) -> Callable[[T], T]:
    """Register the decorated wrong answer; its message must contain every ``expect``."""
    if not expect:
        raise ValueError("a mutant needs at least one expected message fragment")

    def register(candidate: T) -> T:
        CASES.append(Case(exercise, candidate.__name__, candidate, tuple(expect)))
        return candidate

    return register


def alternative(exercise: str) -> Callable[[T], T]:
    """Register the decorated correct answer, written differently from the reference."""

    def register(candidate: T) -> T:
        CASES.append(Case(exercise, candidate.__name__, candidate, None))
        return candidate

    return register

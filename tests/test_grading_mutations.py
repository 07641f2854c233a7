"""Every mutant is rejected with a message naming its mistake; every alternative is accepted.

Each case runs with several probe seeds: a verdict must not depend on the inputs drawn.
"""

from __future__ import annotations

import pytest
from mutations import CASES, Case

from course_lib.grading import check

SEEDS = (0, 1, 2)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    for seed in SEEDS:
        if case.expect is None:
            check(case.exercise, case.candidate, device="cpu", seed=seed)
            continue
        with pytest.raises(AssertionError) as info:
            check(case.exercise, case.candidate, device="cpu", seed=seed)
        message = str(info.value)
        missing = [fragment for fragment in case.expect if fragment not in message]
        assert not missing, f"seed {seed}: {missing} not in the message:\n{message}"

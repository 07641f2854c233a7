"""The image pool's statistical check: its false-alarm bound, and no false alarm in practice."""

from __future__ import annotations

import math

import pytest
from mutations.pool import PoolOfficial, PoolTorchBuffer

from course_lib.grading import check, checks_pool


def _tail(n: int, k: int) -> float:
    """P(Binomial(n, 1/2) <= k), computed independently of the module."""
    return math.fsum(math.comb(n, i) * 0.5**n for i in range(k + 1))


def test_documented_thresholds_and_bound() -> None:
    lo, hi, p = checks_pool.history_bounds(checks_pool.N_SINGLE)
    assert (lo, hi) == (65, 135)
    assert p == pytest.approx(_tail(200, 64), rel=1e-9)
    assert _tail(200, 64) <= 2e-7 < _tail(200, 65)
    mix_lo, _, p_mix = checks_pool.history_bounds(checks_pool.N_BATCHES)
    assert mix_lo == 25 and _tail(100, 24) <= 2e-7 < _tail(100, 25)
    assert checks_pool.FALSE_ALARM_BOUND == pytest.approx(4 * p + p_mix)
    assert checks_pool.FALSE_ALARM_BOUND < 1e-6


@pytest.mark.parametrize(
    ("pool", "runs"), [(PoolOfficial, 60), (PoolTorchBuffer, 15)], ids=["random", "torch"]
)
def test_correct_pools_pass_for_every_seed(pool, runs: int) -> None:
    for seed in range(runs):
        check("cyclegan.ImagePool", pool, device="cpu", seed=seed)

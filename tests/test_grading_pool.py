"""The image pool's statistical check: its false-alarm bound, and no false alarm in practice."""

from __future__ import annotations

import math

import pytest
from mutations.pool import PoolOfficial, PoolTorchBuffer

from course_lib.grading import check, checks_pool


def _tail(n: int, k: int) -> float:
    """P(Binomial(n, 1/2) <= k), computed independently of the module."""
    return math.fsum(math.comb(n, i) * 0.5**n for i in range(k + 1))


def _quarter_tail(n: int, k: int) -> float:
    """P(Binomial(n, 1/4) <= k), computed independently of the module."""
    return math.fsum(math.comb(n, i) * 0.25**i * 0.75 ** (n - i) for i in range(k + 1))


def test_documented_thresholds_and_bound() -> None:
    lo, hi, p = checks_pool.history_bounds(checks_pool.N_SINGLE)
    assert (lo, hi) == (106, 194)
    assert p == pytest.approx(_tail(300, 105), rel=1e-9)
    assert _tail(300, 105) <= 2e-7 < _tail(300, 106)
    assert checks_pool.history_bounds(2 * checks_pool.N_BATCHES)[:2] == (65, 135)
    p_b = checks_pool.history_bounds(2 * checks_pool.N_BATCHES)[2]
    assert p_b == pytest.approx(_tail(200, 64), rel=1e-9)
    mix_lo, _, p_mix = checks_pool.history_bounds(checks_pool.N_BATCHES)
    assert mix_lo == 25 and _tail(100, 24) <= 2e-7 < _tail(100, 25)
    # The slot and age counts: Binomial(100, 1/4), used only when at least 100 stored images
    # were returned (guaranteed once the count lies in [lo, hi]).
    assert checks_pool.N_SLOT_DRAWS <= lo
    s_lo, s_hi, p_lo, p_hi = checks_pool.slot_bounds(checks_pool.N_SLOT_DRAWS)
    assert (s_lo, s_hi) == (checks_pool.SLOT_LO, checks_pool.SLOT_HI) == (4, 51)
    assert p_lo == pytest.approx(_quarter_tail(100, 3), rel=1e-9)
    assert _quarter_tail(100, 3) <= 1e-8 < _quarter_tail(100, 4)
    assert 1 - _quarter_tail(100, 51) <= 1e-8 < 1 - _quarter_tail(100, 50)
    assert p_hi == pytest.approx(1 - _quarter_tail(100, 51), rel=1e-6)
    assert checks_pool.FALSE_ALARM_BOUND == pytest.approx(
        2 * p + 2 * p_b + p_mix + 8 * (p_lo + p_hi)
    )
    assert checks_pool.FALSE_ALARM_BOUND < 1e-6


@pytest.mark.parametrize(
    ("pool", "runs"), [(PoolOfficial, 60), (PoolTorchBuffer, 15)], ids=["random", "torch"]
)
def test_correct_pools_pass_for_every_seed(pool, runs: int) -> None:
    for seed in range(runs):
        check("cyclegan.ImagePool", pool, device="cpu", seed=seed)

"""Check of the CycleGAN image pool exercise (``ImagePool(pool_size)``, ``.query(images)``).

The official semantics: stored and returned images are detached; until ``pool_size`` images are
stored, each new image is stored and returned; once full, with probability 1/2 a random stored
image is returned and the new image takes its slot, otherwise the new image is returned and the
pool is unchanged; ``pool_size=0`` returns the input as it is. Each image of a batch is handled
on its own.

Every image given to the pool is unique, so each returned image is identified exactly, and the
check follows the pool's contents as the official semantics define them. Any violation of
that bookkeeping (an image never given, a stored image returned twice, an image returned as new
and later as stored) is deterministic: a correct pool never commits one. The statistical part
counts, once the pool is full, how many returned images come from the history:

* phase A, ``N_SINGLE = 300`` single-image queries into a full pool of 4: the count is
  Binomial(300, 1/2) for a correct pool; it must lie in ``[106, 194]``;
* phase B, ``N_BATCHES = 100`` batches of 2 into a full pool of 3: the count over the 200 images
  must lie in ``[65, 135]`` and at least 25 batches must mix one stored and one new image
  (Binomial(100, 1/2) for a correct pool; a pool deciding once per batch never mixes).

The slot a stored image is returned from must be chosen uniformly. In phase A the check
follows each of the 4 slots (the image stored there and the images that took its place) and
the age of every stored image, and looks at the first ``N_SLOT_DRAWS = 100`` images returned
from the history (a correct pool returns at least 106 once phase A passes): for a correct pool
the slot they come from and their age rank among the 4 stored images (oldest to newest) are each
uniform on 4 values, so each of the 4 slots and each of the 4 ranks is seen a
Binomial(100, 1/4) number of times, which must lie in ``[SLOT_LO, SLOT_HI]``. This rejects a
pool that always swaps the same slot, one that never chooses the last slot, and one that
returns the oldest or the newest stored image.

Capacity: a pool of 5 filled by batches of 3 and a pool of 50 filled by batches of 4 (sizes
that the batch size does not divide) must never hold more than ``pool_size`` images (the check
counts the distinct given images found in the pool's tensors after every query).

The thresholds are computed from the exact binomial tails: each of the five counting tails has
probability at most 2e-7 and each of the 16 slot and age tails at most 1e-8 for a correct
pool, so by the union bound a correct pool is rejected with probability at most
:data:`FALSE_ALARM_BOUND` (below 1e-6), whichever random numbers it uses (Python's ``random``
and torch's generators are both seeded from the check's seed).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

import torch

from ..i18n import N_, _
from ..image_pool import ImagePool
from .registry import Exercise, register
from .runner import CheckContext, fail

__all__ = ["check_image_pool", "FALSE_ALARM_BOUND", "history_bounds", "slot_bounds"]

N_SINGLE = 300
N_BATCHES = 100
N_SLOT_DRAWS = 100
_TAIL = 2e-7
_SLOT_TAIL = 1e-8


def _binomial_cdf(n: int, k: int) -> float:
    """P(Binomial(n, 1/2) <= k), exactly."""
    if k < 0:
        return 0.0
    return sum(math.comb(n, i) for i in range(min(k, n) + 1)) / 2**n


def _quarter_cdf(n: int, k: int) -> float:
    """P(Binomial(n, 1/4) <= k), exactly (as a fraction of integers, then a float)."""
    if k < 0:
        return 0.0
    return sum(math.comb(n, i) * 3 ** (n - i) for i in range(min(k, n) + 1)) / 4**n


def slot_bounds(n: int, tail: float = _SLOT_TAIL) -> tuple[int, int, float, float]:
    """``(lo, hi, p_lo, p_hi)``: accept a Binomial(n, 1/4) count in ``[lo, hi]``; the tails
    below ``lo`` and above ``hi`` have probabilities ``p_lo, p_hi <= tail``."""
    lo = max(k for k in range(n + 1) if _quarter_cdf(n, k - 1) <= tail)
    hi = min(k for k in range(n + 1) if 1 - _quarter_cdf(n, k) <= tail)
    return lo, hi, _quarter_cdf(n, lo - 1), 1 - _quarter_cdf(n, hi)


def history_bounds(n: int, tail: float = _TAIL) -> tuple[int, int, float]:
    """``(lo, hi, p)``: accept a Binomial(n, 1/2) count in ``[lo, hi]``; each tail has
    probability ``p <= tail``."""
    lo = max(k for k in range(n + 1) if _binomial_cdf(n, k - 1) <= tail)
    return lo, n - lo, _binomial_cdf(n, lo - 1)


_LO, _HI, _P_COUNT = history_bounds(N_SINGLE)
_LO_B, _HI_B, _P_COUNT_B = history_bounds(2 * N_BATCHES)
_MIX_LO, _MIX_HI, _P_MIX = history_bounds(N_BATCHES)
SLOT_LO, SLOT_HI, _P_SLOT_LO, _P_SLOT_HI = slot_bounds(N_SLOT_DRAWS)
#: Probability that a correct pool fails the statistical tests (union bound over 21 tails).
FALSE_ALARM_BOUND = 2 * _P_COUNT + 2 * _P_COUNT_B + _P_MIX + 8 * (_P_SLOT_LO + _P_SLOT_HI)


class _Tracker:
    """Unique images, what the pool must contain, and the check's verdicts on returned images."""

    def __init__(self, ctx: CheckContext, shape: tuple[int, ...], dtype: torch.dtype) -> None:
        self.ctx = ctx
        self.shape = shape
        self.dtype = dtype
        self.generator = torch.Generator().manual_seed(ctx.seed * 7919 + 17)
        self.images: dict[tuple[float, ...], tuple[int, torch.Tensor]] = {}
        self.pool: list[int] = []
        self.returned_new: set[int] = set()
        self.count = 0
        self.slots: list[int] = []
        self.ranks: list[int] = []

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
        """A batch of ``n`` new unique images that carry an autograd graph."""
        values = torch.randn(n, *self.shape, generator=self.generator, dtype=self.dtype)
        ids = []
        for v in values:
            self.images[self._key(v)] = (self.count, v.clone())
            ids.append(self.count)
            self.count += 1
        leaf = values.to(self.ctx.device).requires_grad_()
        return leaf, leaf * 1.0, ids

    @staticmethod
    def _key(v: torch.Tensor) -> tuple[float, ...]:
        return tuple(v.detach().reshape(-1)[:6].cpu().tolist())

    def identify(self, image: torch.Tensor) -> int | None:
        found = self.images.get(self._key(image))
        if found is None or not torch.equal(found[1], image.detach().cpu()):
            return None
        return found[0]

    def held(self, pool: Any) -> int:
        """How many distinct given images the pool object holds in its tensors."""
        ids = set()
        numel = math.prod(self.shape)
        for t in _tensors_in(pool):
            if (
                t.numel() == 0
                or t.numel() % numel
                or tuple(t.shape[-len(self.shape) :]) != (self.shape)
            ):
                continue
            for row in t.detach().reshape(-1, *self.shape):
                found = self.identify(row)
                if found is not None:
                    ids.add(found)
        return len(ids)


def _describe(where: str) -> str:
    return _(" (on {where})").format(where=where)


def _query(ctx: CheckContext, pool: Any, images: torch.Tensor, where: str) -> torch.Tensor:
    version = images._version
    kept = images.detach().clone()
    out = ctx.call(pool.query, (images,), where)
    if images._version != version or not torch.equal(images.detach(), kept):
        fail(
            _("{who}.query modifies the images it is given in place{at}.").format(
                who=ctx.who, at=_describe(where)
            )
        )
    if not isinstance(out, torch.Tensor):
        fail(
            _(
                "{who}.query returns a {out_type}{at}; return one tensor batch "
                "shaped like the input (torch.cat or torch.stack the images)."
            ).format(who=ctx.who, out_type=type(out).__name__, at=_describe(where))
        )
    if tuple(out.shape) != tuple(images.shape):
        fail(
            _(
                "{who}.query returns shape {tuple_shape} for a batch of shape "
                "{tuple_shape2}{at}; return one image per input image."
            ).format(
                who=ctx.who,
                tuple_shape=tuple(out.shape),
                tuple_shape2=tuple(images.shape),
                at=_describe(where),
            )
        )
    if out.device != images.device or out.dtype != images.dtype:
        fail(
            _(
                "{who}.query returns {dtype} on {device} for {dtype2} images on "
                "{device2}{at}: keep the input's dtype and device."
            ).format(
                who=ctx.who,
                dtype=out.dtype,
                device=out.device,
                dtype2=images.dtype,
                device2=images.device,
                at=_describe(where),
            )
        )
    if out.requires_grad:
        fail(
            _(
                "`query` returned an image that still has a grad_fn{at}: store and "
                "return detached images (image.detach()), or the discriminator's loss would "
                "backpropagate into old generator graphs."
            ).format(at=_describe(where))
        )
    return out


def _tensors_in(obj: Any, depth: int = 0) -> Iterator[torch.Tensor]:
    if depth > 4:
        return
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _tensors_in(v, depth + 1)
    elif isinstance(obj, (list, tuple, set)) or type(obj).__name__ == "deque":
        for v in obj:
            yield from _tensors_in(v, depth + 1)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type) and depth == 0:
        for v in vars(obj).values():
            yield from _tensors_in(v, depth + 1)


def _no_stored_graph(ctx: CheckContext, pool: Any, where: str) -> None:
    if any(t.requires_grad for t in _tensors_in(pool)):
        fail(
            _(
                "{who} keeps the autograd graph of stored images{at}: store "
                "image.detach(), or every stored image keeps its generator graph alive in memory."
            ).format(who=ctx.who, at=_describe(where))
        )


def _follow(
    ctx: CheckContext,
    tracker: _Tracker,
    out: torch.Tensor,
    ids: list[int],
    pool_size: int,
    where: str,
) -> list[bool]:
    """Check each returned image against the pool's contents; True where it came from history
    (for images queried once the pool was full)."""
    history = []
    for j, (image, new_id) in enumerate(zip(out, ids, strict=True)):
        got = tracker.identify(image)
        if got is None:
            fail(
                _(
                    "{who}.query returned an image that was never given to the pool (image {j} "
                    "of the batch, on {where}): return each new image or a stored one unchanged, "
                    "without mixing or modifying them."
                ).format(who=ctx.who, j=j, where=where)
            )
        if len(tracker.pool) < pool_size:
            if got != new_id:
                fail(
                    _(
                        "{who}.query did not return the new image while the pool was not full "
                        "(image {j} of the batch, on {where}): until it holds pool_size images, "
                        "query stores each new image and returns it as it is."
                    ).format(who=ctx.who, j=j, where=where)
                )
            tracker.pool.append(new_id)
            continue
        if got == new_id:
            tracker.returned_new.add(new_id)
            history.append(False)
            continue
        if got not in tracker.pool:
            if got in tracker.returned_new:
                fail(
                    _(
                        "{who}.query returned, as a stored image, an image it had returned as "
                        "new once the pool was full{at}: when query returns the new "
                        "image, the pool must stay as it is (don't store it)."
                    ).format(who=ctx.who, at=_describe(where))
                )
            fail(
                _(
                    "{who}.query returned a stored image that should no longer be in the "
                    "pool{at}: when query returns a stored image, the new image "
                    "takes its place, so each stored image is returned at most once (the pool "
                    "must refresh)."
                ).format(who=ctx.who, at=_describe(where))
            )
        slot = tracker.pool.index(got)
        tracker.slots.append(slot)
        tracker.ranks.append(sorted(tracker.pool).index(got))
        tracker.pool[slot] = new_id
        history.append(True)
    return history


def _seed_all(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


def check_image_pool(candidate: Any, ctx: CheckContext) -> None:
    """``ImagePool(pool_size)`` with ``query(images)``, the official semantics.

    Catches: a pool that never or always returns stored images (or with another probability),
    one whose slot choice is not uniform (always the same slot, never the last, the oldest or
    the newest image), one that stores a whole batch and so holds more than pool_size images,
    one that decides once per batch, one that never refreshes (returns a stored image without
    putting the new one in its place) or stores images it returned as new, returned or stored
    images that keep their autograd graph, a fill phase that does not return the new images,
    pool_size=0 not returning the input, wrong shape, dtype or device, modified inputs, a query
    inherited from or calling course_lib's. Accepts Python's or torch's random numbers, lists or
    tensors for storage, any way of assembling the batch. False-alarm probability of the
    statistical part: below 1e-6 (see the module docstring).
    """
    ref = ctx.exercise.reference
    if not isinstance(candidate, type):
        fail(_("Pass the class ImagePool itself to check(), not an instance."))
    if getattr(candidate, "query", None) is ref.query:
        fail(_("Your ImagePool does not define query: it inherits course_lib's. Write query."))
    seed = ctx.seed * 1000 + 900
    shape = (3, 4, 4)

    # pool_size 0: the input as it is.
    _seed_all(seed)
    where = _("pool_size=0, a batch of 2")
    pool = ctx.call(candidate, (0,), "ImagePool(0)")
    images = torch.randn(2, *shape, generator=torch.Generator().manual_seed(seed))
    images = images.to(ctx.device)
    out = ctx.call(pool.query, (images,), where)
    if not isinstance(out, torch.Tensor) or not torch.equal(out.detach(), images):
        fail(
            _(
                "With pool_size=0 the pool is switched off: {your}.query "
                "must return the images it is given, unchanged (on pool_size=0, a batch of 2)."
            ).format(your=ctx.your)
        )

    # Fill phase, in batches, and the dtype of the result.
    _seed_all(seed + 1)
    tracker = _Tracker(ctx, shape, torch.float64)
    pool = ctx.call(candidate, (5,), "ImagePool(5)")
    for k, n in enumerate((2, 2, 1), 1):
        where = _("pool_size=5, query #{k} of a batch of {n} float64 images while filling").format(
            k=k, n=n
        )
        leaf, images, ids = tracker.batch(n)
        out = _query(ctx, pool, images, where)
        _follow(ctx, tracker, out, ids, 5, where)
        _no_stored_graph(ctx, pool, where)

    # Phase A: single images into a full pool of 4.
    _seed_all(seed + 2)
    tracker = _Tracker(ctx, shape, torch.float32)
    pool = ctx.call(candidate, (4,), "ImagePool(4)")
    history: list[bool] = []
    for k in range(4 + N_SINGLE):
        where = _("pool_size=4, query #{k_1}, one image at a time").format(k_1=k + 1)
        leaf, images, ids = tracker.batch(1)
        out = _query(ctx, pool, images, where)
        history += _follow(ctx, tracker, out, ids, 4, where)
    _no_stored_graph(ctx, pool, _("pool_size=4 after 204 queries"))
    _judge_count(
        ctx,
        sum(history),
        len(history),
        _("pool_size=4, {N_SINGLE} single images once full").format(N_SINGLE=N_SINGLE),
    )
    _judge_slots(ctx, tracker)

    # Phase B: batches of 2 into a full pool of 3.
    _seed_all(seed + 3)
    tracker = _Tracker(ctx, shape, torch.float32)
    pool = ctx.call(candidate, (3,), "ImagePool(3)")
    leaf, images, ids = tracker.batch(3)
    out = _query(ctx, pool, images, _("pool_size=3, a first batch of 3 filling the pool"))
    _follow(ctx, tracker, out, ids, 3, _("pool_size=3, the first batch"))
    history, mixed = [], 0
    for k in range(N_BATCHES):
        where = _("pool_size=3, query #{k_2}, batches of 2").format(k_2=k + 2)
        leaf, images, ids = tracker.batch(2)
        out = _query(ctx, pool, images, where)
        h = _follow(ctx, tracker, out, ids, 3, where)
        history += h
        mixed += h[0] != h[1]
    _judge_count(ctx, sum(history), len(history), _("pool_size=3, 100 batches of 2 once full"))
    if mixed < _MIX_LO:
        fail(
            _(
                "{who} seems to decide once per batch: only {mixed} of {N_BATCHES} batches of 2 "
                "mixed a stored and a new image (about half should). Decide for each image of "
                "the batch separately (pool_size=3, batches of 2)."
            ).format(who=ctx.who, mixed=mixed, N_BATCHES=N_BATCHES)
        )

    # Capacity: pool sizes that the batch size does not divide.
    for size, batch, n_queries in ((5, 3, 6), (50, 4, 20)):
        _seed_all(seed + 4 + size)
        tracker = _Tracker(ctx, shape, torch.float32)
        pool = ctx.call(candidate, (size,), f"ImagePool({size})")
        for k in range(n_queries):
            where = _("pool_size={size}, query #{k_1}, batches of {batch}").format(
                size=size, k_1=k + 1, batch=batch
            )
            leaf, images, ids = tracker.batch(batch)
            out = _query(ctx, pool, images, where)
            held = tracker.held(pool)
            if held > size:
                fail(
                    _(
                        "{who} holds {held} images after {where}, more than pool_size={size}: a "
                        "batch can fill the pool partway through, so go through the batch one "
                        "image at a time and store a new image only while fewer than pool_size "
                        "are stored."
                    ).format(who=ctx.who, held=held, where=where, size=size)
                )
            _follow(ctx, tracker, out, ids, size, where)


def _judge_slots(ctx: CheckContext, tracker: _Tracker) -> None:
    """The slot and the age rank of the first history images returned must be uniform."""
    your = ctx.your
    where = _("the first {N_SLOT_DRAWS} stored images returned, pool_size=4").format(
        N_SLOT_DRAWS=N_SLOT_DRAWS
    )
    slots, ranks = tracker.slots[:N_SLOT_DRAWS], tracker.ranks[:N_SLOT_DRAWS]
    for rank, name in ((0, N_("oldest")), (3, N_("newest"))):
        if ranks.count(rank) == len(ranks):
            fail(
                _(
                    "Once full, {your} always returns the {name} stored image ({where}): choose "
                    "the slot at random, each of the pool_size stored images with the same "
                    "probability (random.randrange(pool_size))."
                ).format(your=your, name=_(name), where=where)
            )
    for slot in range(4):
        n = slots.count(slot)
        if n < SLOT_LO:
            fail(
                _(
                    "Once full, {your} chose slot {slot} of 4 only {n} times out of {n_slots} "
                    "({where}; each slot should be chosen about 1 time in 4): choose among all "
                    "pool_size slots with the same probability (random.randrange(pool_size) or "
                    "random.randint(0, pool_size - 1); randint includes its upper end)."
                ).format(your=your, slot=slot, n=n, n_slots=len(slots), where=where)
            )
        if n > SLOT_HI:
            fail(
                _(
                    "Once full, {your} chose slot {slot} of 4 {n} times out of {n_slots} "
                    "({where}; each slot should be chosen about 1 time in 4): choose the slot at "
                    "random, each with the same probability (random.randrange(pool_size))."
                ).format(your=your, slot=slot, n=n, n_slots=len(slots), where=where)
            )
    for rank in range(4):
        n = ranks.count(rank)
        if not SLOT_LO <= n <= SLOT_HI:
            age = (_("oldest"), _("second oldest"), _("second newest"), _("newest"))[rank]
            fail(
                _(
                    "Once full, {your} returned the {age} of the 4 stored images {n} times out "
                    "of {n_ranks} ({where}; about 1 time in 4 for a random slot): choose the "
                    "slot at random, not by the images' age."
                ).format(your=your, age=age, n=n, n_ranks=len(ranks), where=where)
            )


def _judge_count(ctx: CheckContext, count: int, n: int, where: str) -> None:
    lo, hi, _p = history_bounds(n)
    if count == 0:
        fail(
            _(
                "Once full, {your} never returns a stored image: with "
                "probability 1/2, query should return a random stored image and put the new one "
                "in its place ({where})."
            ).format(your=ctx.your, where=where)
        )
    if count == n:
        fail(
            _(
                "Once full, {your} always returns a stored image: that "
                "should happen with probability 1/2 only; otherwise return the new image "
                "({where})."
            ).format(your=ctx.your, where=where)
        )
    if not lo <= count <= hi:
        fail(
            _(
                "Once full, {your} returned a stored image {count} times out "
                "of {n} ({where}). With probability 1/2 per image the count lies between {lo} "
                "and {hi} (a correct pool falls outside with probability below 1e-6): use "
                "random.random() < 0.5 (or torch.rand(1) < 0.5) for each image."
            ).format(
                your=ctx.your,
                count=count,
                n=n,
                where=where,
                lo=lo,
                hi=hi,
            )
        )


register(
    Exercise(
        "cyclegan.ImagePool",
        "class ImagePool: __init__(self, pool_size); query(self, images) -> Tensor",
        ImagePool,
        check_image_pool,
        kind="class",
        catches=(
            "never or always uses the history",
            "wrong probability",
            "slot choice not uniform (same slot, last slot never, oldest or newest)",
            "more than pool_size images held",
            "decides per batch",
            "never refreshes",
            "stores returned new images",
            "keeps autograd graphs",
            "fill phase",
            "pool_size=0",
            "shape/dtype/device",
            "modified input",
        ),
    )
)

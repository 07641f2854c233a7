"""Checking a loss function: values, returned tensors, gradients and side effects.

A loss exercise is described by probes (seeded inputs built afresh for every run, so the
reference and the learner's answer never share networks) and by a catalogue of known mistakes,
each a function computed from the references with a hint in the learner's terms. The learner's
answer must match the reference on every probe: the returned values, whether each returned
tensor is part of the autograd graph, and, after ``backward()``, the gradients of every network.
When it does not, the first catalogued mistake that reproduces the learner's result names the
problem; otherwise the message shows the expected and the obtained values on the named input.
"""

from __future__ import annotations

import itertools
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ..i18n import N_, _
from .probes import SideEffects, close, fmt, grad_norm, grads_close, shape_str, tensors_close
from .runner import CheckContext, fail, substitute_globals

__all__ = [
    "ProbeData",
    "Probe",
    "Mistake",
    "LossSpec",
    "check_loss",
    "GEN_ONCE",
    "SEPARATE_BATCHES",
]

#: Why a loss generates its fake images once (``LossSpec.max_calls``).
GEN_ONCE = N_(
    "Generate the fake images once and use that same batch wherever the loss needs it: in "
    "training, dropout makes every generator call a different fake, so two calls would judge "
    "and reconstruct two different images (at twice the cost)."
)
#: Why real and fake images are judged in separate calls (``LossSpec.batch_of``).
SEPARATE_BATCHES = N_(
    "Call the discriminator once on the fake batch and once on the real batch: in training, "
    "BatchNorm normalises each batch with its own statistics, so judging real and fake "
    "images together in one batch gives other verdicts than the training loop expects."
)


@dataclass
class ProbeData:
    """One freshly built input: positional ``args``, the networks among them, the tensors that
    must not be modified, and ``params`` used to fill in hints (``lambda_recon`` ...)."""

    args: tuple[Any, ...]
    nets: dict[str, nn.Module]
    watched: dict[str, torch.Tensor]
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Probe:
    """A named input; ``build()`` returns a new :class:`ProbeData` each time (same seed)."""

    label: str
    build: Callable[[], ProbeData]


@dataclass
class Mistake:
    """A known wrong answer: ``fn`` computes it with the references, ``hint`` explains it.

    ``on="value"`` recognises it by the returned values, ``on="grads"`` by values and gradients
    (for detach mistakes that leave the value unchanged). ``hint`` may use the probe's params
    and ``{got}`` / ``{expected}``.
    """

    fn: Callable[..., Any]
    hint: str
    on: str = "value"


@dataclass
class LossSpec:
    """How a loss exercise is checked.

    Attributes:
        outputs: names of the returned values, the loss first (``("loss", "fake_Y")``).
        probes: the inputs, in the order they are tried.
        mistakes: the catalogue used for hints.
        reminder: one sentence stating the correct computation (used in generic messages).
        helpers: names the learner's function may call that are replaced by the references.
        net_hints: per network, hints for gradients that should not / should reach it.
        detached_ok: returned tensors (besides the loss) that may be returned detached
            (they are only displayed or detached by the caller anyway).
        max_calls: per network, how many times the answer may call it (the probes run the
            networks in eval mode, where a second generator call gives the same fake; in
            training, with dropout, it would not), with the hint shown when it calls more.
        batch_of: per network, the name of the input tensor whose batch size every call of
            the network must have (real and fake judged in separate calls: in training,
            BatchNorm normalises a batch with its own statistics), with the hint.
    """

    outputs: tuple[str, ...]
    probes: Sequence[Probe]
    mistakes: Sequence[Mistake] = ()
    reminder: str = ""
    helpers: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    net_hints: dict[str, dict[str, str]] = field(default_factory=dict)
    detached_ok: tuple[str, ...] = ()
    max_calls: dict[str, tuple[int, str]] = field(default_factory=dict)
    batch_of: dict[str, tuple[str, str]] = field(default_factory=dict)


class _CallLog:
    """Counts the calls of the probe's networks and the batch size of each (forward pre-hooks,
    removed when the answer returns)."""

    def __init__(self, nets: Mapping[str, nn.Module]) -> None:
        self.batches: dict[str, list[int]] = {name: [] for name in nets}
        self.handles = [
            net.register_forward_pre_hook(self._hook(name)) for name, net in nets.items()
        ]

    def _hook(self, name: str) -> Callable[..., None]:
        def hook(module: nn.Module, args: tuple[Any, ...]) -> None:
            first = next((a for a in args if isinstance(a, torch.Tensor)), None)
            self.batches[name].append(-1 if first is None or first.dim() == 0 else len(first))

        return hook

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def _check_calls(
    ctx: CheckContext, spec: LossSpec, data: ProbeData, log: _CallLog, where: str
) -> None:
    for name, (limit, hint) in spec.max_calls.items():
        n = len(log.batches.get(name, ()))
        if n > limit:
            fail(
                _("{who} calls `{name}` {n} times on {where}; it should call it {times}. {hint}")
                .format(
                    who=ctx.who,
                    name=name,
                    n=n,
                    where=where,
                    times=_("once")
                    if limit == 1
                    else _("at most {limit} times").format(limit=limit),
                    hint=_(hint),
                )
                .rstrip()
            )
    for name, (tensor, hint) in spec.batch_of.items():
        size = len(data.watched[tensor])
        sizes = log.batches.get(name, [])
        if any(b != size for b in sizes):
            fail(
                _(
                    "{who} calls `{name}` on a batch of {max_sizes} images on {where}, where "
                    "`{tensor}` holds {size}. {hint}"
                )
                .format(
                    who=ctx.who,
                    name=name,
                    max_sizes=max(sizes),
                    where=where,
                    tensor=tensor,
                    size=size,
                    hint=_(hint),
                )
                .rstrip()
            )


@dataclass
class _Result:
    outputs: tuple[Any, ...]
    grads: dict[str, list[torch.Tensor | None]]


def _backprop(outputs: tuple[Any, ...], nets: dict[str, nn.Module]) -> dict[str, list]:
    loss = outputs[0]
    if isinstance(loss, torch.Tensor) and loss.requires_grad and loss.numel() == 1:
        loss.reshape(()).backward()
    return {
        name: [None if p.grad is None else p.grad.detach().clone() for p in net.parameters()]
        for name, net in nets.items()
    }


def _evaluate(
    fn: Callable[..., Any], data: ProbeData, n_outputs: int, grads: bool = True
) -> _Result | None:
    """Run a trusted function (reference or catalogued mistake); None if it fails.

    With ``grads=False`` (values only) nothing is backpropagated.
    """
    try:
        raw = fn(*data.args)
    except Exception:
        return None
    outputs = (raw,) if n_outputs == 1 else tuple(raw)
    return _Result(outputs, _backprop(outputs, data.nets) if grads else {})


def _kind(x: Any) -> str:
    if x is None:
        return "None"
    if isinstance(x, bool):
        return _("a bool")
    if isinstance(x, numbers.Number):
        return _("a Python number ({x!r})").format(x=x)
    if isinstance(x, (tuple, list)):
        return _("a {x_type} of {n_x} values").format(x_type=type(x).__name__, n_x=len(x))
    return _("a {x_type}").format(x_type=type(x).__name__)


def _validate(
    ctx: CheckContext, raw: Any, spec: LossSpec, ref: _Result, where: str
) -> tuple[Any, ...]:
    """The learner's return value as a tuple of tensors, or a failure naming what is wrong."""
    who, names = ctx.who, spec.outputs
    wanted = names[0] if len(names) == 1 else f"({', '.join(names)})"
    if raw is None:
        fail(
            _("{who} returns None on {where}: did you forget `return`? Return {wanted}.").format(
                who=who, where=where, wanted=wanted
            )
        )
    if len(names) == 1:
        if isinstance(raw, (tuple, list)):
            fail(
                _("{who} returns {kind} on {where}; return only the loss, one tensor.").format(
                    who=who, kind=_kind(raw), where=where
                )
            )
        outputs: tuple[Any, ...] = (raw,)
    else:
        if not isinstance(raw, (tuple, list)):
            fail(
                _("{who} returns {kind} on {where}; return the tuple {wanted}.").format(
                    who=who, kind=_kind(raw), where=where, wanted=wanted
                )
            )
        if len(raw) != len(names):
            fail(
                _("{who} returns {n_raw} values on {where}; return the tuple {wanted}.").format(
                    who=who, n_raw=len(raw), where=where, wanted=wanted
                )
            )
        outputs = tuple(raw)
    for name, out in zip(names, outputs, strict=True):
        what = _("the loss") if name == names[0] else f"`{name}`"
        if isinstance(out, numbers.Number) and not isinstance(out, bool):
            fail(
                _(
                    "{who} returns {what} as a Python number ({out!r}) on {where}: return a "
                    "tensor that is part of the autograd graph (did you call .item() or "
                    "float()?)."
                ).format(who=who, what=what, out=out, where=where)
            )
        if not isinstance(out, torch.Tensor):
            fail(
                _("{who} returns {kind} as {what} on {where}; it should be a tensor.").format(
                    who=who, kind=_kind(out), what=what, where=where
                )
            )
        if type(out) not in (torch.Tensor, nn.Parameter):
            fail(
                _(
                    "{who} returns a {out_type} as {what} on {where}; return a plain torch.Tensor."
                ).format(who=who, out_type=type(out).__name__, what=what, where=where)
            )
    _check_order(ctx, outputs, spec, ref, where)
    for name, out, expected in zip(names, outputs, ref.outputs, strict=True):
        what = _("the loss") if name == names[0] else f"`{name}`"
        if expected.numel() == 1 and out.numel() != 1:
            fail(
                _(
                    "{who} returns {what} with shape {out_shape} on {where}; it should be a "
                    "single number (a 0-dim tensor): the criterion already averages over all "
                    "elements, don't keep a per-element or per-image loss."
                ).format(who=who, what=what, out_shape=shape_str(out), where=where)
            )
        if expected.numel() != 1 and tuple(out.shape) != tuple(expected.shape):
            fail(
                _(
                    "{who} returns {what} with shape {out_shape} on {where}; expected "
                    "{expected_shape}."
                ).format(
                    who=who,
                    what=what,
                    out_shape=shape_str(out),
                    where=where,
                    expected_shape=shape_str(expected),
                )
            )
        if out.device != expected.device:
            fail(
                _(
                    "{who} returns {what} on {device}, but the inputs are on {device2}: create "
                    "new tensors on the inputs' device."
                ).format(who=who, what=what, device=out.device, device2=expected.device)
            )
        if out.dtype != expected.dtype:
            fail(
                _(
                    "{who} returns {what} as {dtype}, the inputs are {dtype2}: keep the inputs' "
                    "dtype."
                ).format(who=who, what=what, dtype=out.dtype, dtype2=expected.dtype)
            )
    return outputs


def _check_order(
    ctx: CheckContext, outputs: tuple[Any, ...], spec: LossSpec, ref: _Result, where: str
) -> None:
    if len(outputs) < 2:
        return

    def matches(a: torch.Tensor, b: torch.Tensor) -> bool:
        if b.numel() == 1:
            return a.numel() == 1 and close(a, b)
        return tensors_close(a, b)

    if all(matches(o, r) for o, r in zip(outputs, ref.outputs, strict=True)):
        return
    for perm in itertools.permutations(range(len(outputs))):
        if list(perm) == list(range(len(outputs))):
            continue
        if all(matches(outputs[p], r) for p, r in zip(perm, ref.outputs, strict=True)):
            got = ", ".join(spec.outputs[perm.index(i)] for i in range(len(outputs)))
            fail(
                _(
                    "{who} returns its values in the wrong order on {where}: ({got}). Return "
                    "({outputs})."
                ).format(who=ctx.who, where=where, got=got, outputs=", ".join(spec.outputs))
            )


def _same_values(outputs: tuple[Any, ...], ref: tuple[Any, ...]) -> bool:
    for o, r in zip(outputs, ref, strict=True):
        if not isinstance(o, torch.Tensor) or not isinstance(r, torch.Tensor):
            return False
        if r.numel() == 1:
            if o.numel() != 1 or not close(o, r):
                return False
        elif not tensors_close(o, r):
            return False
    return True


def _same_grads(a: dict[str, list], b: dict[str, list]) -> bool:
    return all(grads_close(a[k], b[k]) for k in b)


def _diagnose(
    ctx: CheckContext,
    spec: LossSpec,
    probe: Probe,
    outputs: tuple[Any, ...],
    grads: dict[str, list] | None,
    where: str,
    expected: _Result,
) -> None:
    params = dict(probe.build().params)
    params.update(got=fmt(outputs[0]), expected=fmt(expected.outputs[0]))
    wanted = "value" if grads is None else "grads"
    for mistake in spec.mistakes:
        if mistake.on != wanted:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = _evaluate(
                mistake.fn, probe.build(), len(spec.outputs), grads=wanted == "grads"
            )
        if result is None or not _same_values(outputs, result.outputs):
            continue
        if mistake.on == "grads" and not _same_grads(grads, result.grads):
            continue
        fail(
            _("{hint}\n(seen on {where})").format(
                hint=_(mistake.hint).format(**params), where=where
            )
        )


def check_loss(ctx: CheckContext, candidate: Any, spec: LossSpec) -> None:
    """Check a loss function against ``ctx.exercise.reference`` on every probe of ``spec``."""
    who = ctx.who
    reference = ctx.exercise.reference
    candidate = substitute_globals(candidate, spec.helpers)
    n = len(spec.outputs)
    for i, probe in enumerate(spec.probes, 1):
        where = _("input #{i} ({label})").format(i=i, label=_(probe.label))
        ref = _evaluate(reference, probe.build(), n)
        if ref is None:
            raise RuntimeError(f"the reference fails on {where}")
        data = probe.build()
        effects = SideEffects(data.watched, data.nets)
        log = _CallLog(data.nets)
        try:
            raw = ctx.call(candidate, data.args, where)
        finally:
            log.remove()
        watch = ctx.last_watch
        if watch is not None and watch.optimizer_called:
            fail(
                _(
                    "{who} calls an optimizer's {optimizer_called}() on {where}: a loss function "
                    "only computes the loss; the training loop steps the optimizer."
                ).format(who=who, optimizer_called=watch.optimizer_called, where=where)
            )
        problems = effects.problems(who)
        if watch is not None and watch.backward_called and not problems:
            problems = [
                _(
                    "{who} calls backward(): return the loss and let the training loop call "
                    "backward()."
                ).format(who=who)
            ]
        if problems:
            fail(_("{problem}\n(seen on {where})").format(problem=problems[0], where=where))
        outputs = _validate(ctx, raw, spec, ref, where)
        _check_calls(ctx, spec, data, log, where)

        if not _same_values(outputs, ref.outputs):
            _diagnose(ctx, spec, probe, outputs, None, where, ref)
            _fail_values(ctx, spec, outputs, ref, where)

        for name, out, expected in zip(spec.outputs, outputs, ref.outputs, strict=True):
            if expected.requires_grad and not out.requires_grad and name not in spec.detached_ok:
                if name == spec.outputs[0]:
                    fail(
                        _(
                            "{who} returns a loss that is not part of the autograd graph on "
                            "{where} (.item(), .detach(), torch.tensor(...) or torch.no_grad() "
                            "cut it): backward() on it would train nothing."
                        ).format(who=who, where=where)
                    )
                fail(
                    _(
                        "{who} returns `{name}` detached from the autograd graph on {where}: "
                        "return it as computed; the cycle-consistency loss backpropagates "
                        "through it."
                    ).format(who=who, name=name, where=where)
                )
        # backward() runs the learner's graph (custom autograd functions included): it is run
        # like the learner's code, watched and followed by a restore.
        grads = ctx.call(
            _backprop, (outputs, data.nets), _("{where}, during backward()").format(where=where)
        )
        if not _same_grads(grads, ref.grads):
            _diagnose(ctx, spec, probe, outputs, grads, where, ref)
            _fail_grads(ctx, spec, grads, ref, where)


def _fail_values(
    ctx: CheckContext, spec: LossSpec, outputs: tuple[Any, ...], ref: _Result, where: str
) -> None:
    for name, out, expected in zip(spec.outputs, outputs, ref.outputs, strict=True):
        if expected.numel() == 1:
            if not close(out, expected):
                what = _("loss") if name == spec.outputs[0] else f"`{name}`"
                fail(
                    _(
                        "{who} returns the wrong {what} on {where}: expected {expected}, got "
                        "{out}. {reminder}"
                    )
                    .format(
                        who=ctx.who,
                        what=what,
                        where=where,
                        expected=fmt(expected),
                        out=fmt(out),
                        reminder=_(spec.reminder),
                    )
                    .rstrip()
                )
        elif not tensors_close(out, expected):
            fail(
                _(
                    "{who} returns the wrong `{name}` on {where}: its values differ from the "
                    "expected ones. {reminder}"
                )
                .format(who=ctx.who, name=name, where=where, reminder=_(spec.reminder))
                .rstrip()
            )


def _fail_grads(
    ctx: CheckContext, spec: LossSpec, grads: dict[str, list], ref: _Result, where: str
) -> None:
    for name in ref.grads:
        if grads_close(grads[name], ref.grads[name]):
            continue
        hints = spec.net_hints.get(name, {})
        expected_norm, got_norm = grad_norm(ref.grads[name]), grad_norm(grads[name])
        if expected_norm == 0:
            fail(
                _(
                    "{who} sends gradients into `{name}`, which this loss must not train (seen "
                    "on {where}). {hint}"
                )
                .format(who=ctx.who, name=_(name), where=where, hint=_(hints.get("none", "")))
                .rstrip()
            )
        if got_norm == 0:
            fail(
                _(
                    "No gradient reaches `{name}` through {your} (seen on "
                    "{where}): something is detached or computed under torch.no_grad(). "
                    "{hint}"
                )
                .format(
                    name=_(name),
                    your=ctx.your,
                    where=where,
                    hint=_(hints.get("some", "")),
                )
                .rstrip()
            )
        fail(
            _(
                "{who} has the right value but the wrong gradients for `{name}` on {where}: part "
                "of the computation is detached or uses a detached tensor. {hint}"
            )
            .format(who=ctx.who, name=_(name), where=where, hint=_(hints.get("some", "")))
            .rstrip()
        )

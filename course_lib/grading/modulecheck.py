"""Checking a network's ``forward``: the learner's class against the reference class.

The notebooks give the learner the reference's ``__init__`` (``class ContractingBlock(
course_lib.models.ContractingBlock)``, writing only ``forward``); a stand-alone ``nn.Module``
with the same constructor and submodule names is accepted too. For every constructor argument
set the check builds both classes, copies the reference's weights into the learner's module
(strict ``load_state_dict``), and compares, in train mode (dropout seeded alike) and in eval
mode, the outputs and, after ``backward`` with the same upstream gradient, the gradients of the
inputs and of every parameter.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ..i18n import _
from .probes import grads_close, probe_init_, seeded, shape_str, tensors_close
from .runner import CheckContext, fail

__all__ = ["ModuleCase", "ForwardMistake", "ModuleSpec", "check_module"]


@dataclass
class ModuleCase:
    """One constructor call and the forward inputs to try it on.

    ``inputs(generator)`` returns the forward's positional arguments (tensors or None), built
    on the CPU.
    """

    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    inputs: Callable[[torch.Generator], tuple[torch.Tensor | None, ...]]


@dataclass
class ForwardMistake:
    """A wrong ``forward(self, *inputs)`` written with the reference's submodules, and its hint.

    ``on="grads"`` recognises it by gradients (the output being right).
    """

    forward: Callable[..., torch.Tensor]
    hint: str
    on: str = "value"


@dataclass
class ModuleSpec:
    """How a module exercise is checked: constructor cases, known mistakes, a reminder."""

    cases: Sequence[ModuleCase]
    mistakes: Sequence[ForwardMistake] = ()
    reminder: str = ""
    call: str = "forward(x)"
    extra_checks: list[Callable[[CheckContext, type], None]] = field(default_factory=list)


def _ctor_str(cls_name: str, case: ModuleCase) -> str:
    parts = [repr(a) for a in case.args] + [f"{k}={v!r}" for k, v in case.kwargs.items()]
    return f"{cls_name}({', '.join(parts)})"


def _inputs_str(inputs: tuple[torch.Tensor | None, ...]) -> str:
    return ", ".join(
        "None" if t is None else _("a {t_shape} batch").format(t_shape=shape_str(t)) for t in inputs
    )


def _class_problems(ctx: CheckContext, candidate: Any, ref_cls: type) -> None:
    name = ref_cls.__name__
    if isinstance(candidate, nn.Module):
        fail(
            _(
                "Pass the class {name} itself to check(), not an instance ({name}(...)): the "
                "check builds it with several constructor arguments."
            ).format(name=name)
        )
    if not isinstance(candidate, type) or not issubclass(candidate, nn.Module):
        fail(_("Pass your class {name} (a subclass of nn.Module) to check().").format(name=name))
    forward = getattr(candidate, "forward", None)
    if forward is ref_cls.forward:
        fail(
            _(
                "Your {name} does not define forward: it inherits course_lib's. Write `def "
                "forward(self, ...)` in your class."
            ).format(name=name)
        )
    if forward is nn.Module.forward or forward is None:
        fail(
            _("Your {name} has no forward method: write `def forward(self, ...)`.").format(
                name=name
            )
        )


def _fresh_inputs(
    raw: tuple[torch.Tensor | None, ...], device: torch.device
) -> tuple[list[torch.Tensor | None], list[torch.Tensor | None]]:
    leaves, passed = [], []
    for t in raw:
        if t is None:
            leaves.append(None)
            passed.append(None)
            continue
        leaf = t.detach().clone().to(device).requires_grad_()
        leaves.append(leaf)
        passed.append(leaf.clone())
    return leaves, passed


def _forward(fn: Callable[..., Any], inputs: list, rng_seed: int) -> Any:
    torch.manual_seed(rng_seed)
    return fn(*inputs)


def _param_grads(module: nn.Module, names: list[str]) -> list[torch.Tensor | None]:
    params = dict(module.named_parameters())
    return [params[n].grad if n in params else None for n in names]


def check_module(ctx: CheckContext, candidate: Any, spec: ModuleSpec) -> None:
    """Check the learner's module class against ``ctx.exercise.reference``."""
    ref_cls = ctx.exercise.reference
    name = ref_cls.__name__
    _class_problems(ctx, candidate, ref_cls)
    for extra in spec.extra_checks:
        extra(ctx, candidate)
    for i, case in enumerate(spec.cases, 1):
        seed = ctx.seed * 1000 + 37 * i
        ctor = _ctor_str(name, case)
        torch.manual_seed(seed)
        ref = probe_init_(ref_cls(*case.args, **case.kwargs), seed)
        module = ctx.call(
            lambda case=case: candidate(*case.args, **case.kwargs),
            (),
            _("building {ctor}").format(ctor=ctor),
        )
        if not isinstance(module, nn.Module):
            fail(_("Your {name}(...) did not build an nn.Module.").format(name=name))
        _load_weights(module, ref, name, ctor)
        ref.to(ctx.device)
        module.to(ctx.device)
        raw_inputs = case.inputs(seeded(seed + 5))
        for mode in ("train", "eval"):
            where = _("input #{i} ({ctor} in {mode} mode, called with {inputs})").format(
                i=i, ctor=ctor, mode=mode, inputs=_inputs_str(raw_inputs)
            )
            _compare_forward(ctx, spec, module, ref, ref_cls, case, raw_inputs, mode, seed, where)


def _load_weights(module: nn.Module, ref: nn.Module, name: str, ctor: str) -> None:
    advice = _(
        "keep the __init__ given in the notebook (subclass course_lib.models.{name} and "
        "write only forward)."
    ).format(name=name)
    try:
        result = module.load_state_dict(ref.state_dict(), strict=False)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[-1].strip()
        fail(
            _(
                "The layers of your {ctor} have other shapes than course_lib's ({first}): {advice}"
            ).format(ctor=ctor, first=first, advice=advice)
        )
    if result.missing_keys or result.unexpected_keys:
        details = []
        if result.missing_keys:
            details.append(_("missing {keys}").format(keys=", ".join(result.missing_keys[:4])))
        if result.unexpected_keys:
            details.append(
                _("unexpected {keys}").format(keys=", ".join(result.unexpected_keys[:4]))
            )
        fail(
            _("The layers of your {ctor} differ from course_lib's ({details}): {advice}").format(
                ctor=ctor, details="; ".join(details), advice=advice
            )
        )


def _compare_forward(
    ctx: CheckContext,
    spec: ModuleSpec,
    module: nn.Module,
    ref: nn.Module,
    ref_cls: type,
    case: ModuleCase,
    raw_inputs: tuple[torch.Tensor | None, ...],
    mode: str,
    seed: int,
    where: str,
) -> None:
    who = ctx.who
    training = mode == "train"
    state = copy.deepcopy(ref.state_dict())
    ref.train(training)
    module.train(training)
    rng = seed + (1 if training else 2)

    ref_leaves, ref_inputs = _fresh_inputs(raw_inputs, ctx.device)
    expected = _forward(ref, ref_inputs, rng)
    leaves, inputs = _fresh_inputs(raw_inputs, ctx.device)
    versions = [None if t is None else t._version for t in inputs]
    torch.manual_seed(rng)
    out = ctx.call(module, inputs, where)
    for t, v in zip(inputs, versions, strict=True):
        if t is not None and t._version != v:
            fail(
                _(
                    "{who}.forward modifies its input in place on {where} (`x += ...`, an "
                    "in-place activation or an operation ending in _): compute a new tensor, "
                    "e.g. `x = x + ...`."
                ).format(who=who, where=where)
            )
    if out is None:
        fail(
            _("{who}.forward returns None on {where}: did you forget `return`?").format(
                who=who, where=where
            )
        )
    if not isinstance(out, torch.Tensor):
        fail(
            _("{who}.forward returns a {out_type} on {where}; return a tensor.").format(
                who=who, out_type=type(out).__name__, where=where
            )
        )
    if type(out) not in (torch.Tensor, nn.Parameter):
        fail(
            _("{who}.forward returns a {out_type} on {where}; return a plain torch.Tensor.").format(
                who=who, out_type=type(out).__name__, where=where
            )
        )

    def diagnose(on: str, grads: dict | None = None) -> None:
        for mistake in spec.mistakes:
            if mistake.on != on:
                continue
            twin = ref_cls(*case.args, **case.kwargs).to(ctx.device)
            twin.load_state_dict(state)
            twin.train(training)
            m_leaves, m_inputs = _fresh_inputs(raw_inputs, ctx.device)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    m_out = _forward(lambda *a, t=twin, m=mistake: m.forward(t, *a), m_inputs, rng)
                    if not tensors_close(out, m_out):
                        continue
                    if on == "grads":
                        m_out.backward(upstream)
            except Exception:
                continue
            if on == "grads" and not _grads_match(grads, twin, m_leaves, names):
                continue
            fail(_("{hint}\n(seen on {where})").format(hint=_(mistake.hint), where=where))

    if tuple(out.shape) != tuple(expected.shape) or not tensors_close(out, expected):
        diagnose("value")
        if tuple(out.shape) != tuple(expected.shape):
            fail(
                _(
                    "{who}.forward returns shape {out_shape} on {where}; expected "
                    "{expected_shape}. {reminder}"
                )
                .format(
                    who=who,
                    out_shape=shape_str(out),
                    where=where,
                    expected_shape=shape_str(expected),
                    reminder=_(spec.reminder),
                )
                .rstrip()
            )
        if out.device != expected.device or out.dtype != expected.dtype:
            fail(
                _("{who}.forward returns {dtype} on {device}; keep the input's.").format(
                    who=who, dtype=out.dtype, device=out.device
                )
            )
        fail(
            _("{who}.forward returns the right shape but the wrong values on {where}. {reminder}")
            .format(who=who, where=where, reminder=_(spec.reminder))
            .rstrip()
        )

    names = [n for n, _ in ref.named_parameters()]
    upstream = torch.randn(expected.shape, generator=seeded(rng + 7)).to(ctx.device)
    expected.backward(upstream)
    expected_grads = {
        "inputs": [None if t is None else t.grad for t in ref_leaves],
        "params": _param_grads(ref, names),
    }
    if not out.requires_grad:
        fail(
            _(
                "{who}.forward returns a tensor cut from the autograd graph on {where} "
                "(.detach(), torch.no_grad() or .data): the network could not be trained."
            ).format(who=who, where=where)
        )
    ctx.call(out.backward, (upstream,), _("{where}, during backward()").format(where=where))
    grads = {
        "inputs": [None if t is None else t.grad for t in leaves],
        "params": _param_grads(module, names),
    }
    if not (
        grads_close(grads["inputs"], expected_grads["inputs"])
        and grads_close(grads["params"], expected_grads["params"])
    ):
        diagnose("grads", grads)
        fail(
            _(
                "{who}.forward returns the right values but the wrong gradients on {where}: part "
                "of the computation is detached (.detach(), .data or torch.no_grad())."
            ).format(who=who, where=where)
        )
    module.zero_grad(set_to_none=True)
    ref.zero_grad(set_to_none=True)


def _grads_match(grads: dict, twin: nn.Module, leaves: list, names: list[str]) -> bool:
    return grads_close(grads["inputs"], [None if t is None else t.grad for t in leaves]) and (
        grads_close(grads["params"], _param_grads(twin, names))
    )

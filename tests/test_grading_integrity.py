"""A check's verdict cannot be faked from the notebook, reference calls are caught, and the
learner's errors are reported with the input and the line."""

from __future__ import annotations

import builtins
import contextlib
import functools
import random
import subprocess
import sys
import textwrap

import pytest
import torch
import torch.nn.functional as F
from mutations import cgan as cgan_cases
from mutations import pix2pix as pix2pix_cases
from torch.overrides import TorchFunctionMode

import course_lib.grading as grading
import course_lib.grading.losscheck as losscheck
import course_lib.grading.probes as probes
import course_lib.losses.pix2pix as pix2pix_ref
from course_lib.grading import check, reference

WRONG = pix2pix_cases.disc_loss_swapped  # real/fake targets swapped
RIGHT = pix2pix_cases.disc_loss_detach


def _rejected(candidate=WRONG, name: str = "pix2pix.get_disc_loss") -> str:
    with pytest.raises(AssertionError) as info:
        check(name, candidate, device="cpu")
    return str(info.value)


PATCHES = {
    "torch.allclose": (torch, "allclose", lambda *a, **k: True),
    "torch.equal": (torch, "equal", lambda *a, **k: True),
    "torch.isclose": (torch, "isclose", lambda a, b, **k: torch.ones_like(a, dtype=torch.bool)),
    "torch.testing.assert_close": (torch.testing, "assert_close", lambda *a, **k: None),
    "Tensor.__eq__": (torch.Tensor, "__eq__", lambda self, other: True),
    "Tensor.__sub__": (torch.Tensor, "__sub__", lambda self, other: self * 0),
    "Tensor.abs": (torch.Tensor, "abs", lambda self: self * 0),
    "builtins.abs": (builtins, "abs", lambda x: 0),
    "builtins.max": (builtins, "max", lambda *a, **k: 1e30),
    "probes.close": (probes, "close", lambda *a, **k: True),
    "probes.tensors_close": (probes, "tensors_close", lambda *a, **k: True),
    "probes.grads_close": (probes, "grads_close", lambda *a, **k: True),
    "losscheck._same_values": (losscheck, "_same_values", lambda *a, **k: True),
    "losscheck.check_loss": (losscheck, "check_loss", lambda *a, **k: None),
    "losscheck.fail": (losscheck, "fail", lambda *a, **k: None),
}


@pytest.mark.parametrize("patch", PATCHES.values(), ids=list(PATCHES))
def test_patched_comparisons_do_not_change_the_verdict(patch):
    target, attribute, fake = patch
    with _patched(target, attribute, fake):
        assert "targets are swapped" in _rejected()
        check("pix2pix.get_disc_loss", RIGHT, device="cpu")
        assert getattr(target, attribute) is not fake  # the originals stay restored


@contextlib.contextmanager
def _patched(target, attribute, value):
    """Patch like a notebook would; put the original state back if the check has not."""
    own = vars(target)
    missing = object()
    before = own.get(attribute, missing)
    setattr(target, attribute, value)
    try:
        yield
    finally:
        if before is missing:
            if attribute in vars(target):
                delattr(target, attribute)
        elif vars(target).get(attribute, missing) is not before:
            setattr(target, attribute, before)


def test_patched_code_objects_and_defaults_are_restored(monkeypatch):
    monkeypatch.setattr(probes.close, "__code__", (lambda *a, **k: True).__code__)
    monkeypatch.setattr(probes.tensors_close, "__defaults__", (1e9, 1e9))
    monkeypatch.setattr(probes, "RTOL", 1e9)
    assert "targets are swapped" in _rejected()


def test_patched_registry_and_reference_are_restored(monkeypatch):
    exercise = grading.registry.REGISTRY["pix2pix.get_disc_loss"]
    fake = grading.registry.Exercise(
        exercise.name, exercise.signature, WRONG, lambda candidate, ctx: None
    )
    monkeypatch.setitem(grading.registry.REGISTRY, "pix2pix.get_disc_loss", fake)
    monkeypatch.setattr(pix2pix_ref.get_disc_loss, "__code__", WRONG.__code__)
    monkeypatch.setattr(pix2pix_ref, "discriminator_loss", lambda *a: torch.tensor(0.0))
    assert "targets are swapped" in _rejected()
    assert grading.registry.REGISTRY["pix2pix.get_disc_loss"] is exercise


def test_patches_made_while_the_answer_runs_do_not_help():
    def cheating(gen, disc, real, condition, adv_criterion):
        torch.allclose = lambda *a, **k: True
        torch.Tensor.__eq__ = lambda self, other: True
        probes.close = lambda *a, **k: True
        return WRONG(gen, disc, real, condition, adv_criterion)

    assert "targets are swapped" in _rejected(cheating)
    assert torch.allclose(torch.zeros(1), torch.ones(1)) is False


def test_torch_function_modes_are_suspended():
    class Liar(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            if func in (torch.allclose, torch.equal):
                return True
            return func(*args, **(kwargs or {}))

    mode = Liar()
    mode.__enter__()
    try:
        assert "targets are swapped" in _rejected()
        assert torch.equal(torch.zeros(1), torch.ones(1)) is True  # the learner's mode is back
    finally:
        mode.__exit__(None, None, None)


def test_grad_mode_left_off_by_the_notebook_does_not_matter():
    torch.set_grad_enabled(False)
    try:
        check("pix2pix.get_disc_loss", RIGHT, device="cpu")
        assert "sends gradients into the generator" in _rejected(pix2pix_cases.disc_loss_no_detach)
        assert not torch.is_grad_enabled()
    finally:
        torch.set_grad_enabled(True)


def test_returned_tensor_subclass_is_rejected():
    class Agreeable(torch.Tensor):
        def __eq__(self, other):
            return True

    def sneaky(gen, disc, real, condition, adv_criterion):
        return WRONG(gen, disc, real, condition, adv_criterion).as_subclass(Agreeable)

    assert "plain torch.Tensor" in _rejected(sneaky)


def test_patches_made_before_import_are_refused():
    code = textwrap.dedent(
        """
        import torch
        torch.allclose = lambda *a, **k: True
        from course_lib.grading import check
        try:
            check("cgan.combine_vectors", lambda x, y: torch.cat([x, y], 1).float())
        except AssertionError as exc:
            print("REFUSED", exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert "REFUSED" in result.stdout, result.stderr
    assert "torch.allclose" in result.stdout
    assert "Restart the kernel" in result.stdout


@pytest.mark.parametrize(
    "make",
    [
        lambda ref: ref,
        lambda ref: lambda *args: ref(*args),
        lambda ref: functools.partial(ref),
        lambda ref: functools.wraps(ref)(lambda *args: ref(*args) + 0),
    ],
    ids=["itself", "lambda", "partial", "wraps"],
)
def test_answers_that_are_or_call_the_reference_are_rejected(make):
    message = _rejected(make(reference("pix2pix.get_disc_loss")))
    assert "course_lib's own" in message


def test_calling_a_reference_helper_that_computes_the_answer_is_rejected():
    def via_helper(gen, disc, real, condition, adv_criterion):
        return pix2pix_ref.discriminator_loss(disc, real, gen(condition), condition, adv_criterion)

    assert "course_lib.losses.pix2pix.discriminator_loss" in _rejected(via_helper)


def test_reference_helpers_of_other_exercises_are_allowed():
    from course_lib.losses import cgan

    def with_reference_helpers(gen, disc, real, one_hot_labels, noise, criterion):
        fake = gen(cgan.combine_vectors(noise, one_hot_labels)).detach()
        maps = cgan.expand_labels(one_hot_labels, real.shape)
        fake_pred = disc(cgan.combine_vectors(fake, maps))
        real_pred = disc(cgan.combine_vectors(real, maps))
        return 0.5 * (criterion(fake_pred, torch.zeros_like(fake_pred))
                      + criterion(real_pred, torch.ones_like(real_pred)))  # fmt: skip

    check("cgan.get_disc_loss", with_reference_helpers, device="cpu")


def test_learner_errors_name_the_input_and_the_line():
    def broken(gen, disc, real, condition, adv_criterion):
        fake = gen(condition)
        scores = disc(fake, condition)
        raise RuntimeError(f"bad shape {tuple(scores.shape)}\nsecond line of the error")

    message = _rejected(broken)
    assert message.startswith("Your get_disc_loss raised on input #1 (batch of 2")
    assert "RuntimeError: second line of the error" in message
    assert 'in your line: raise RuntimeError(f"bad shape' in message


def test_device_errors_get_a_hint():
    def wrong_device(labels, n_classes):
        raise RuntimeError("Expected all tensors to be on the same device, but found cuda:0")

    with pytest.raises(AssertionError, match="input's dtype and device"):
        check("cgan.get_one_hot_labels", wrong_device)


def test_unfinished_stub_is_reported():
    def stub(labels, n_classes):
        raise NotImplementedError

    with pytest.raises(AssertionError, match="not written yet"):
        check("cgan.get_one_hot_labels", stub)


def test_a_composite_is_graded_with_the_reference_helpers():
    # The learner's own cgan helpers are wrong; get_disc_loss calls them by name.
    namespace = {"torch": torch, "F": F}
    exec(
        textwrap.dedent(
            """
            def combine_vectors(x, y):
                return torch.cat([y.float(), x.float()], 1)

            def get_disc_loss(gen, disc, real, one_hot_labels, noise, criterion):
                fake = gen(combine_vectors(noise, one_hot_labels)).detach()
                maps = one_hot_labels[:, :, None, None].expand(-1, -1, *real.shape[2:])
                fake_pred = disc(combine_vectors(fake, maps))
                real_pred = disc(combine_vectors(real, maps))
                return (criterion(fake_pred, torch.zeros_like(fake_pred))
                        + criterion(real_pred, torch.ones_like(real_pred))) / 2
            """
        ),
        namespace,
    )
    check("cgan.get_disc_loss", namespace["get_disc_loss"], device="cpu")
    with pytest.raises(AssertionError, match="y before x"):
        check("cgan.combine_vectors", namespace["combine_vectors"])


def test_random_state_threads_and_tracer_are_left_as_they_were():
    random.seed(123)
    torch.manual_seed(123)
    expected = (random.random(), torch.rand(1))
    random.seed(123)
    torch.manual_seed(123)
    tracer = sys.gettrace()
    threads = torch.get_num_threads()
    dtype = torch.get_default_dtype()
    check("cyclegan.ImagePool", reference_pool_copy(), device="cpu")
    assert torch.get_num_threads() == threads
    assert torch.get_default_dtype() is dtype
    assert random.random() == expected[0]
    assert torch.equal(torch.rand(1), expected[1])
    assert sys.gettrace() is tracer


def reference_pool_copy():
    from mutations.pool import PoolOfficial

    return PoolOfficial


def test_cgan_wrong_answers_still_rejected_after_many_patches():
    with (
        _patched(torch, "allclose", lambda *a, **k: True),
        _patched(torch.Tensor, "__eq__", lambda self, other: True),
        _patched(torch, "equal", lambda *a, **k: True),
    ):
        with pytest.raises(AssertionError, match="wrong column"):
            check("cgan.get_one_hot_labels", cgan_cases.one_hot_shifted)


def test_switching_off_the_watch_is_rejected():
    def untraced(gen, disc, real, condition, adv_criterion):
        sys.settrace(None)
        return pix2pix_ref.get_disc_loss(gen, disc, real, condition, adv_criterion)

    assert "sys.settrace" in _rejected(untraced)


def test_copied_reference_code_objects_are_recognised():
    ref = pix2pix_ref.get_disc_loss
    copy = type(ref)(ref.__code__.replace(co_name="mine"), ref.__globals__, "mine")
    assert "course_lib's own" in _rejected(copy)

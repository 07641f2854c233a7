"""The public API of course_lib.grading: names, references, verdicts and coverage of the suite."""

from __future__ import annotations

import inspect
from collections import Counter

import pytest
import torch
import torch.nn.functional as F
from mutations import CASES

import course_lib.grading as grading
import course_lib.image_pool
import course_lib.losses.cgan
import course_lib.losses.cyclegan
import course_lib.losses.pix2pix
import course_lib.metrics
import course_lib.models
from course_lib.grading import check, exercises, reference

REQUIRED = {
    "cgan.get_one_hot_labels": course_lib.losses.cgan.get_one_hot_labels,
    "cgan.combine_vectors": course_lib.losses.cgan.combine_vectors,
    "cgan.get_input_dimensions": course_lib.losses.cgan.get_input_dimensions,
    "cgan.get_disc_loss": course_lib.losses.cgan.get_disc_loss,
    "cgan.get_gen_loss": course_lib.losses.cgan.get_gen_loss,
    "pix2pix.ContractingBlock": course_lib.models.ContractingBlock,
    "pix2pix.ExpandingBlock": course_lib.models.ExpandingBlock,
    "pix2pix.UNetGenerator": course_lib.models.UNetGenerator,
    "pix2pix.PatchGANDiscriminator": course_lib.models.PatchGANDiscriminator,
    "pix2pix.receptive_field": course_lib.models.receptive_field_of,
    "pix2pix.get_gen_loss": course_lib.losses.pix2pix.get_gen_loss,
    "pix2pix.get_disc_loss": course_lib.losses.pix2pix.get_disc_loss,
    "cyclegan.ResidualBlock": course_lib.models.ResidualBlock,
    "cyclegan.FeatureMapBlock": course_lib.models.FeatureMapBlock,
    "cyclegan.ResnetGenerator": course_lib.models.ResnetGenerator,
    "cyclegan.get_disc_loss": course_lib.losses.cyclegan.get_disc_loss,
    "cyclegan.get_gen_adversarial_loss": course_lib.losses.cyclegan.get_gen_adversarial_loss,
    "cyclegan.get_identity_loss": course_lib.losses.cyclegan.get_identity_loss,
    "cyclegan.get_cycle_consistency_loss": course_lib.losses.cyclegan.get_cycle_consistency_loss,
    "cyclegan.get_gen_loss": course_lib.losses.cyclegan.get_gen_loss,
    "cyclegan.ImagePool": course_lib.image_pool.ImagePool,
    "ablation.per_pixel_l1": course_lib.metrics.per_pixel_l1,
    "ablation.high_frequency_energy": course_lib.metrics.high_frequency_energy,
    "ablation.sharpness_ratio": course_lib.metrics.sharpness_ratio,
    "ablation.mean_saturation": course_lib.metrics.mean_saturation,
    "ablation.colour_histogram_distance": course_lib.metrics.colour_histogram_distance,
    "ablation.label_accuracy": course_lib.metrics.label_accuracy,
    "ablation.get_recon_criterion": course_lib.metrics.get_recon_criterion,
}


def test_every_required_exercise_is_registered_with_its_reference() -> None:
    names = exercises()
    assert len(names) == len(set(names))
    for name, ref in REQUIRED.items():
        assert name in names
        assert reference(name) is ref


def test_names_are_topic_dot_name() -> None:
    for name in exercises():
        topic, short = name.split(".")
        assert topic in {"cgan", "pix2pix", "cyclegan", "ablation"}
        assert short.isidentifier()


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError) as info:
        check("cgan.get_one_hot_label", lambda labels, n: F.one_hot(labels, n))
    message = str(info.value)
    assert "Did you mean 'cgan.get_one_hot_labels'" in message
    for name in exercises():
        assert name in message
    with pytest.raises(ValueError):
        reference("nope")


def test_check_returns_none_for_a_right_answer() -> None:
    assert check("cgan.get_one_hot_labels", lambda labels, n: F.one_hot(labels, n)) is None
    assert check("cgan.combine_vectors", lambda x, y: torch.cat([x, y], 1).float()) is None


def test_check_signature_is_stable() -> None:
    params = inspect.signature(check).parameters
    assert list(params)[:2] == ["name", "candidate"]
    assert params["device"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["seed"].kind is inspect.Parameter.KEYWORD_ONLY


def test_wrong_answer_raises_assertion_error() -> None:
    with pytest.raises(AssertionError, match="transposed"):
        check("cgan.get_one_hot_labels", lambda labels, n: F.one_hot(labels, n).T)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_the_reference_itself_is_rejected(name: str) -> None:
    with pytest.raises(AssertionError, match="course_lib's own"):
        check(name, reference(name))


def test_receptive_field_reference_and_module_agree() -> None:
    ref = reference("pix2pix.receptive_field")
    assert ref([4, 4, 4, 4, 4], [2, 2, 2, 1, 1]) == 70
    for n_layers, expected in zip(range(1, 6), (16, 34, 70, 142, 286), strict=True):
        disc = course_lib.models.PatchGANDiscriminator(3, 8, n_layers=n_layers)
        assert course_lib.models.receptive_field(disc) == expected


def test_every_exercise_has_mutants_and_alternatives() -> None:
    mutants = Counter(c.exercise for c in CASES if c.expect is not None)
    alternatives = Counter(c.exercise for c in CASES if c.expect is None)
    for name in exercises():
        assert mutants[name] >= 5, f"{name} has {mutants[name]} mutants"
        assert alternatives[name] >= 2, f"{name} has {alternatives[name]} alternatives"
    assert set(mutants) | set(alternatives) <= set(exercises())


def test_every_exercise_documents_its_check() -> None:
    for name in exercises():
        exercise = grading.registry.get(name)
        assert exercise.signature
        assert exercise.catches
        assert exercise.checker.__doc__ and "Catches" in exercise.checker.__doc__


def test_device_argument_accepts_strings_and_devices() -> None:
    answer = lambda labels, n: F.one_hot(labels, n)  # noqa: E731
    check("cgan.get_one_hot_labels", answer, device="cpu")
    check("cgan.get_one_hot_labels", answer, device=torch.device("cpu"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("case", [c for c in CASES if c.expect is None], ids=lambda c: c.id)
def test_alternatives_are_accepted_on_cuda(case) -> None:
    check(case.exercise, case.candidate, device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("case", [c for c in CASES if c.expect is not None], ids=lambda c: c.id)
def test_mutants_are_rejected_on_cuda(case) -> None:
    with pytest.raises(AssertionError) as info:
        check(case.exercise, case.candidate, device="cuda")
    assert all(fragment in str(info.value) for fragment in case.expect)


def test_hidden_runs_other_inputs() -> None:
    seen: list[list[float]] = []

    def recording(real_X, fake_X, disc_X, adv_criterion):
        seen.append(real_X.reshape(-1)[:4].tolist())
        fake_pred, real_pred = disc_X(fake_X.detach()), disc_X(real_X)
        return 0.5 * (adv_criterion(fake_pred, torch.zeros_like(fake_pred))
                      + adv_criterion(real_pred, torch.ones_like(real_pred)))  # fmt: skip

    check("cyclegan.get_disc_loss", recording)
    visible = list(seen)
    seen.clear()
    check("cyclegan.get_disc_loss", recording, hidden=True)
    assert len(seen) == len(visible) and all(a != b for a, b in zip(seen, visible, strict=True))

"""Fast tests of the experiments and figures of lessons 01-03 (cGAN, Pix2Pix, L1 vs L2).

Small sizes only: the real budgets are exercised by ``benchmarks/lesson0[123]_*.py``.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import matplotlib
import pytest
import torch
from torch import nn

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import course_lib.models as models  # noqa: E402
from course_lib import metrics  # noqa: E402
from course_lib.experiments import ablation, cgan, evaluators, pix2pix  # noqa: E402
from course_lib.figures import ablation as ablation_figures  # noqa: E402
from course_lib.figures import cgan as cgan_figures  # noqa: E402
from course_lib.figures import pix2pix as pix2pix_figures  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    from course_lib.data import make_digits, make_facades

    root = tmp_path_factory.mktemp("data")
    return {
        "root": root,
        "digits": make_digits(root, size="small"),
        "facades": make_facades(root, size="small"),
    }


def _load_benchmark(name: str):
    path = REPO / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- evaluators


def test_judges_have_the_expected_shapes():
    assert evaluators.DigitClassifier()(torch.randn(3, 1, 28, 28)).shape == (3, 10)
    seg = evaluators.SegmentationNet(7)
    assert seg(torch.randn(2, 3, 64, 64)).shape == (2, 7, 64, 64)


def test_classifier_learns_a_separable_problem():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(2).repeat(40)
    images = torch.randn(80, 1, 28, 28, generator=g) * 0.1
    images[labels == 1, :, :14] += 1.0  # class 1: bright top half
    judge = evaluators.train_classifier(
        images, labels, images, labels, n_classes=2, steps=30, device="cpu"
    )
    assert judge.test_accuracy > 0.9
    assert not judge.model.training


def test_segmenter_trains_and_predicts_index_maps():
    photos = torch.randn(8, 3, 16, 16)
    labels = (photos[:, 0] > 0).long()
    judge = evaluators.train_segmenter(
        photos, labels, photos, labels, n_classes=2, steps=5, batch_size=4, device="cpu"
    )
    predicted = evaluators.predict_segmentation(judge.model, photos)
    assert predicted.shape == (8, 16, 16) and predicted.dtype == torch.long
    assert 0.0 <= judge.test_accuracy <= 1.0


# --------------------------------------------------------------------------- lesson 01


def test_settings_and_checkpoint_paths(tmp_path):
    assert cgan.settings_for(True, "cpu") is cgan.FAST
    assert cgan.settings_for(False, "cpu") is cgan.CPU
    assert cgan.settings_for(False, "cuda") is cgan.GPU
    assert cgan.checkpoint_path(tmp_path / "data", "x", cgan.CPU, fast=True) is None
    first = cgan.checkpoint_path(tmp_path / "data", "x", cgan.CPU)
    other = cgan.checkpoint_path(tmp_path / "data", "x", cgan.FAST)
    assert first.parent == tmp_path / "checkpoints" and first.suffix == ".pt"
    assert first != other


def test_cgan_trains_with_given_loss_functions_and_resumes(small_data, tmp_path):
    calls = {"disc": 0, "gen": 0, "one_hot": 0}
    from course_lib.losses import cgan as ref

    def disc_loss(*args):
        calls["disc"] += 1
        return ref.get_disc_loss(*args)

    def gen_loss(*args):
        calls["gen"] += 1
        return ref.get_gen_loss(*args)

    def one_hot(labels, n):
        calls["one_hot"] += 1
        return ref.get_one_hot_labels(labels, n)

    images, labels = cgan.load_digits(small_data["digits"], "train")
    assert images.shape[1:] == (1, 28, 28) and images.min() >= -1 and images.max() <= 1
    settings = dataclasses.replace(cgan.FAST, iterations=3)
    model = cgan.make_cgan(
        settings, device="cpu", disc_loss=disc_loss, gen_loss=gen_loss, one_hot=one_hot
    )
    ckpt = tmp_path / "c.pt"
    history = cgan.train_cgan(model, images, labels, settings, checkpoint=ckpt, progress=False)
    assert calls == {"disc": 3, "gen": 3, "one_hot": 3}
    assert len(history["loss_D"]) == 3 and ckpt.is_file()
    again = cgan.make_cgan(settings, device="cpu")
    cgan.train_cgan(again, images, labels, settings, checkpoint=ckpt, progress=False)
    assert again.iteration == 3  # resumed from the finished checkpoint: nothing more to do


def test_unconditional_baseline_ignores_labels():
    model = cgan.make_cgan(cgan.FAST, conditional=False, device="cpu")
    samples, requested = cgan.sample_per_class(model, 2, seed=1)
    assert samples.shape == (20, 1, 28, 28)
    assert requested.tolist() == [k for k in range(10) for _ in range(2)]
    # the same noise for every class: without labels, class k's first sample equals class 0's
    assert torch.allclose(samples[0], cgan.sample_per_class(model, 2, seed=1)[0][0])


class _Always(nn.Module):
    def __init__(self, label: int, n: int = 10) -> None:
        super().__init__()
        self.label, self.n = label, n
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        out = torch.zeros(len(x), self.n)
        out[:, self.label] = 1.0
        return out


def test_class_accuracy_counts_matches():
    requested = torch.arange(10).repeat_interleave(3)
    score = cgan.class_accuracy(_Always(4), torch.zeros(30, 1, 28, 28), requested)
    assert score.accuracy == pytest.approx(0.1)
    assert score.per_class[4] == 1.0 and score.per_class[0] == 0.0
    assert score.confusion.sum() == 30 and score.confusion[:, 4].sum() == 30


def test_lesson01_experiment_and_benchmark_run(small_data, capsys):
    result = cgan.run_experiment(small_data["digits"], cgan.FAST, "cpu", progress=False)
    assert set(result.accuracy) == {"conditional", "unconditional"}
    assert "conditional" in result.table()
    bench = _load_benchmark("lesson01_cgan")
    assert bench.main(["--fast", "--quiet", "--data", str(small_data["digits"])]) == 0
    assert "unconditional" in capsys.readouterr().out


def test_cgan_figures():
    images = torch.rand(30, 1, 28, 28) * 2 - 1
    ax = cgan_figures.class_grid(images, predicted=torch.zeros(30, dtype=torch.long))
    assert len(ax.patches) == 27  # every sample not asked to be a 0 is framed
    cgan_figures.accuracy_bars({"a": [0.5] * 10, "b": [0.1] * 10}, chance=0.1)
    with pytest.raises(ValueError):
        cgan_figures.class_grid(images[:7])


# --------------------------------------------------------------------------- lesson 02


def test_use_learner_modules_swaps_forward_and_keeps_weights():
    class Contracting(models.ContractingBlock):
        def forward(self, x):
            return self.norm(self.conv(self.activation(x)))

    class Expanding(models.ExpandingBlock):
        def forward(self, x, skip=None):
            x = self.output(self.dropout(self.norm(self.upconv(self.activation(x)))))
            return x if skip is None else torch.cat([skip, x], 1)

    class Patch(models.PatchGANDiscriminator):
        def forward(self, x, condition=None):
            return self.model(x if condition is None else torch.cat([x, condition], 1))

    torch.manual_seed(0)
    unet = models.UNetGenerator(3, 3, num_downs=5, hidden_channels=4).eval()
    x = torch.randn(1, 3, 32, 32)
    before = unet(x)
    assert pix2pix.use_learner_modules(unet, Contracting, Expanding) == 10
    assert type(unet.contract[0]) is Contracting
    assert torch.allclose(unet(x), before)
    disc = models.PatchGANDiscriminator(6, 4, 2)
    assert pix2pix.use_learner_modules(disc, Patch) == 1 and type(disc) is Patch
    with pytest.raises(TypeError):
        pix2pix.use_learner_modules(unet, nn.Conv2d)


def test_pix2pix_data_training_and_evaluation(small_data):
    root = small_data["facades"]
    settings = dataclasses.replace(pix2pix.FAST, iterations=2)
    loader = pix2pix.train_loader(root, settings)
    pairs = pix2pix.load_test_pairs(root, "test", 64)
    assert pairs.A.shape == pairs.B.shape == (4, 3, 64, 64)
    assert pairs.labels.shape == (4, 64, 64) and pairs.labels.max() < 7
    model = pix2pix.make_pix2pix(settings, "cpu")
    history = pix2pix.train_pix2pix(model, loader, settings, progress=False)
    assert len(history["loss_D"]) == 2
    buffers = {k: v.clone() for k, v in model.gen.named_buffers()}
    out = pix2pix.translate(model, pairs.A, train_mode=True)
    assert out.shape == pairs.B.shape
    for name, value in model.gen.named_buffers():
        assert torch.equal(value, buffers[name]), f"{name} changed by a train-mode translation"
    scores = pix2pix.evaluate(model, pairs)
    assert 0 <= scores.d_real <= 1 and 0 <= scores.d_fake <= 1 and scores.l1 >= 0
    disc_buffers = {k: v.clone() for k, v in model.disc.named_buffers()}
    probs = pix2pix.patch_probabilities(model.disc, pairs.B, pairs.A)
    for name, value in model.disc.named_buffers():
        assert torch.equal(value, disc_buffers[name]), f"{name} changed by asking D"
    assert probs.shape == (4, 1, 64, 64) and probs.min() >= 0 and probs.max() <= 1
    small = pix2pix.patch_probabilities(model.disc, pairs.B, pairs.A, upsample=False)
    assert small.shape[-1] == models.output_size(model.disc, 64)


def test_real_facades_settings_follow_the_paper():
    s = pix2pix.settings_for(False, "cuda", real=True)
    assert (s.image_size, s.load_size, s.num_downs, s.disc_layers) == (256, 286, 8, 3)
    assert s.batch_size == 1 and s.direction == "BtoA" and s.lambda_recon == 100
    p = s.config()
    assert (p.lr, p.beta1, p.beta2) == (2e-4, 0.5, 0.999)


def test_lesson02_benchmark_runs(small_data, capsys):
    bench = _load_benchmark("lesson02_pix2pix")
    assert bench.main(["--fast", "--quiet", "--data", str(small_data["facades"])]) == 0
    assert "d_fake" in capsys.readouterr().out


def test_pix2pix_figures():
    images = torch.rand(4, 3, 16, 16) * 2 - 1
    fig = pix2pix_figures.image_rows([images, images], ["a", "b"], n=3)
    assert len(fig.axes) == 6
    probs = torch.rand(1, 16, 16)
    pix2pix_figures.patch_map_figure(images[0], images[1], images[2], probs, probs, (2, 2))
    pix2pix_figures.dropout_figure(images[0], images[1], images[:3])
    ax = pix2pix_figures.receptive_field_figure([4, 4, 4, 4, 4], [2, 2, 2, 1, 1])
    assert [t.get_text() for t in ax.texts][-1] == "70"


# --------------------------------------------------------------------------- lesson 03


def test_variants_use_the_given_reconstruction_criterion():
    settings = pix2pix.FAST
    made = []

    def criterion(kind):
        made.append(kind)
        return nn.SmoothL1Loss()

    model = ablation.make_variant("cGAN + L2", settings, "cpu", recon_criterion=criterion)
    assert made == ["l2"] and isinstance(model.recon_criterion, nn.SmoothL1Loss)
    assert ablation.make_variant("cGAN", settings, "cpu").recon_criterion is None
    assert not ablation.make_variant("L1", settings, "cpu").config.use_gan
    with pytest.raises(ValueError):
        ablation.make_variant("L3", settings, "cpu")


def test_score_outputs_of_the_targets_themselves():
    targets = torch.rand(3, 3, 16, 16) * 2 - 1
    labels = torch.randint(0, 2, (3, 16, 16))
    pairs = pix2pix.TestPairs(targets, targets, labels)
    row = ablation.score_outputs(targets, pairs)
    assert row["l1"] == 0 and row["sharpness"] == pytest.approx(1)
    assert row["colour_distance"] == 0
    assert row["saturation"] == pytest.approx(metrics.mean_saturation(targets).item())
    used = []

    def my_l1(a, b):
        used.append(True)
        return (a - b).abs().mean()

    ablation.score_outputs(targets, pairs, metric_functions={"per_pixel_l1": my_l1})
    assert used


def test_ordering_checks_on_a_made_up_table():
    def row(sharp, sat, colour, acc):
        return {
            "sharpness": sharp,
            "saturation": sat,
            "colour_distance": colour,
            "label_accuracy": acc,
        }

    rows = {
        "L1": row(0.5, 0.2, 0.2, 0.80),
        "L2": row(0.3, 0.1, 0.3, 0.78),
        "cGAN": row(1.3, 0.3, 0.05, 0.60),
        "cGAN + L1": row(0.9, 0.3, 0.1, 0.81),
        "cGAN + L2": row(0.8, 0.25, 0.15, 0.79),
    }
    result = ablation.AblationResult(rows, {}, {}, {}, 0.95, ablation.FAST)
    assert all(result.ordering_checks().values()) and len(result.ordering_checks()) == 5
    assert "| cGAN + L1 |" in result.table()


def test_lesson03_ablation_and_benchmark_run(small_data, capsys):
    settings = ablation.with_settings(ablation.FAST, iterations=1)
    result = ablation.run_ablation(
        small_data["facades"], settings, "cpu", variants=("L2", "cGAN + L1"), progress=False
    )
    assert list(result.rows) == ["L2", "cGAN + L1", "real photos"]
    assert "label_accuracy" in result.rows["L2"]
    bench = _load_benchmark("lesson03_l1_vs_l2")
    assert bench.main(["--fast", "--quiet", "--data", str(small_data["facades"])]) == 0
    assert "cGAN + L2" in capsys.readouterr().out


def test_ablation_figures():
    images = torch.rand(3, 3, 16, 16) * 2 - 1
    ablation_figures.outputs_by_objective(images, {"L1": images, "L2": images}, images, n=2)
    rows = {"L1": {"l1": 0.2, "sharpness": 0.5}, "real photos": {"l1": 0.0, "sharpness": 1.0}}
    fig = ablation_figures.metric_bars(rows, ablation.METRIC_COLUMNS)
    assert len(fig.axes) == 2
    ablation_figures.colour_histograms({"L1": images}, images)

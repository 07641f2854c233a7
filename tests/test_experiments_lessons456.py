"""Lessons 04-06: the experiments' building blocks, measures, experiments and figures (small)."""

from __future__ import annotations

import random
from dataclasses import replace

import matplotlib
import pytest
import torch
from torch import nn

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from course_lib.data import make_unpaired  # noqa: E402
from course_lib.data.synthetic import make_unpaired_houses  # noqa: E402
from course_lib.data.synthetic.unpaired import render_scene  # noqa: E402
from course_lib.experiments import cyclegan as lesson04  # noqa: E402
from course_lib.experiments import identity as lesson05  # noqa: E402
from course_lib.experiments import pool as lesson06  # noqa: E402
from course_lib.experiments import pool_mixture  # noqa: E402
from course_lib.figures import cyclegan as figures04  # noqa: E402
from course_lib.figures import identity as figures05  # noqa: E402
from course_lib.figures import pool as figures06  # noqa: E402
from course_lib.image_pool import ImagePool  # noqa: E402
from course_lib.losses import cyclegan as ref  # noqa: E402
from course_lib.training import CycleGAN, CycleGANConfig  # noqa: E402

TINY = lesson04.FAST


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_unpaired(tmp_path_factory.mktemp("data"), size="small")


@pytest.fixture(autouse=True)
def _one_thread_and_close_figures():
    # tiny networks: one thread is as fast, and far faster when other programs share the cores
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
    plt.close("all")


# --------------------------------------------------------------------------- data
def test_load_unpaired_and_loader(root):
    test = lesson04.load_unpaired(root, "test", 32)
    assert test.A.dtype == torch.uint8 and test.A.shape == (6, 3, 32, 32)
    assert test.names_A[0] == "0000.png"
    batch = test.batch("B", 4)
    assert batch.shape == (4, 3, 32, 32) and -1 <= batch.min() and batch.max() <= 1

    loader = lesson04.make_loader(root, TINY, seed=3)
    assert len(loader) == 16 // TINY.batch_size
    first = [b["A"] for b in loader.with_seed(5)]
    again = [b["A"] for b in loader.with_seed(5)]
    assert len(first) == len(loader)
    assert all(torch.equal(x, y) for x, y in zip(first, again))
    assert first[0].shape == (TINY.batch_size, 3, 32, 32)
    # every A image appears once per epoch (up to flips)
    seen = torch.cat(first)
    assert len({tuple(img.abs().sum((1, 2)).tolist()) for img in seen}) == 16


def test_domain_names_and_checkpoint_path(tmp_path):
    assert lesson04.domain_names("data/horse2zebra") == ("horse", "zebra")
    assert lesson04.domain_names(tmp_path / "other") == ("A", "B")
    assert lesson04.checkpoint_path(None, "x", TINY) is None
    path = lesson04.checkpoint_path(tmp_path, "04_x", TINY)
    assert path.name == f"04_x_{TINY.tag}.pt"
    assert lesson04.with_settings(TINY, iterations=7).tag != TINY.tag


# --------------------------------------------------------------------------- losses and model
def _nets(seed=0):
    torch.manual_seed(seed)
    model = CycleGAN(
        CycleGANConfig(gen_channels=4, n_blocks=1, disc_channels=4, disc_layers=2), "cpu"
    )
    return model


@pytest.mark.parametrize("lambdas", [(5.0, 10.0), (0.0, 10.0), (0.1, 0.0)])
def test_make_gen_loss_matches_reference(lambdas):
    model = _nets()
    g = torch.Generator().manual_seed(1)
    a, b = torch.rand(2, 3, 16, 16, generator=g) * 2 - 1, torch.rand(2, 3, 16, 16, generator=g)
    args = (
        a,
        b,
        model.gen_AB,
        model.gen_BA,
        model.disc_A,
        model.disc_B,
        nn.MSELoss(),
        nn.L1Loss(),
        nn.L1Loss(),
        *lambdas,
    )
    ours = lesson04.make_gen_loss()(*args)
    expected = ref.get_gen_loss(*args)
    for x, y in zip(ours, expected):
        torch.testing.assert_close(x, y)


def test_loss_functions_cyclegan_matches_trainer():
    config = CycleGANConfig(
        gen_channels=4, n_blocks=1, disc_channels=4, disc_layers=2, lambda_identity=5.0, pool_size=2
    )
    g = torch.Generator().manual_seed(0)
    batches = [
        {
            "A": torch.rand(2, 3, 16, 16, generator=g) * 2 - 1,
            "B": torch.rand(2, 3, 16, 16, generator=g) * 2 - 1,
        }
        for _ in range(3)
    ]
    logs = []
    for cls, kwargs in (
        (CycleGAN, {}),
        (lesson04.LossFunctionsCycleGAN, {"gen_loss": ref.get_gen_loss, "pool": ImagePool}),
    ):
        torch.manual_seed(0)
        random.seed(0)
        model = cls(config, "cpu", **kwargs)
        logs.append([model.train_step(b) for b in batches])
    for ours, theirs in zip(*logs):
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-6)


def test_make_cyclegan_settings():
    model = lesson04.make_cyclegan(
        TINY, "cpu", lambda_cycle=0, lambda_identity=0.1, pool_size=0, seed=1
    )
    assert model.config.gen_channels == TINY.gen_channels
    assert model.config.lambda_cycle == 0 and model.config.lambda_identity == 0.1
    assert model.pool_A.pool_size == 0
    again = lesson04.make_cyclegan(TINY, "cpu", seed=1)
    for p, q in zip(model.gen_AB.parameters(), again.gen_AB.parameters()):
        assert torch.equal(p, q)


# --------------------------------------------------------------------------- measures
def test_identification_accuracy():
    g = torch.Generator().manual_seed(0)
    images = torch.rand(10, 3, 32, 32, generator=g) * 2 - 1
    acc, sim = lesson04.identification_accuracy(images, images)
    assert acc == 1.0 and sim.shape == (10, 10)
    # colour-blind: an inverted, tinted copy keeps its layout
    acc, _ = lesson04.identification_accuracy(-0.5 * images.flip(1) + 0.2, images)
    assert acc == 1.0
    same = images[:1].expand(10, -1, -1, -1)
    acc, _ = lesson04.identification_accuracy(same, images)
    assert acc == pytest.approx(0.1)
    with pytest.raises(ValueError):
        lesson04.identification_accuracy(images[:3], images)


def test_rgb_to_lab_known_values():
    rgb = torch.tensor([[1.0, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [0.5, 0.5, 0.5]])
    lab = lesson05.rgb_to_lab(rgb.t().reshape(3, 5, 1), value_range=(0, 1)).reshape(3, 5).t()
    expected = torch.tensor(
        [
            [53.24, 80.09, 67.20],
            [87.73, -86.18, 83.18],
            [32.30, 79.19, -107.86],
            [100.0, 0, 0],
            [53.39, 0, 0],
        ]
    )
    torch.testing.assert_close(lab, expected, atol=0.02, rtol=0)
    # the networks' range [-1, 1] by default, batches too
    batch = torch.full((2, 3, 4, 4), 1.0)
    torch.testing.assert_close(lesson05.rgb_to_lab(batch)[:, 0], torch.full((2, 4, 4), 100.0))


def test_colour_shift_on_walls():
    inputs = torch.zeros(3, 3, 8, 8) - 0.5
    masks = torch.zeros(3, 8, 8, dtype=torch.bool)
    masks[:2, 2:6, 2:6] = True  # the third image has no house
    outputs = inputs.clone()
    same = lesson05.colour_shift(inputs, outputs, masks)
    assert same.walls == 0 and same.image == 0 and same.n_houses == 2
    outputs[:, 0, 2:6, 2:6] = 0.5  # redder walls
    shifted = lesson05.colour_shift(inputs, outputs, masks)
    assert shifted.walls > 10 and 0 < shifted.image < shifted.walls
    assert lesson05.colour_shift(inputs, outputs).walls is None


def test_load_masks(root):
    test = lesson04.load_unpaired(root, "test", 32)
    masks = lesson05.load_masks(root, "test", "A", test.names_A, 32)
    assert masks.shape == (6, 32, 32) and masks.dtype == torch.bool
    assert masks.any()
    assert lesson05.load_masks(root.parent, "test", "A", test.names_A, 32) is None


def test_unpaired_houses_have_large_walls_in_every_scene(root, tmp_path):
    houses = make_unpaired_houses(tmp_path, size="small")
    assert houses.name == "unpaired_houses"
    fractions = {}
    for name, folder in (("small", root), ("large", houses)):
        test = lesson04.load_unpaired(folder, "test", 64)
        assert len(test.A) == len(test.B) == 6
        masks = torch.cat(
            [
                lesson05.load_masks(folder, "test", side, names, 64)
                for side, names in (("A", test.names_A), ("B", test.names_B))
            ]
        )
        fractions[name] = masks.float().mean((1, 2))
    assert (fractions["large"] > 0.05).all()  # a house in every scene, walls > 5% of it
    assert fractions["large"].mean() > 3 * fractions["small"].mean()
    a = (root / "trainA" / "0000.png").read_bytes()
    assert a != (houses / "trainA" / "0000.png").read_bytes()


def test_render_scene_rejects_unknown_houses():
    import numpy as np

    with pytest.raises(ValueError, match="houses must be one of"):
        render_scene(np.random.default_rng(0), winter=False, houses="huge")


def test_pool_trace_reference_pool():
    trace = lesson06.pool_trace(ImagePool, pool_size=10, n_images=400)
    assert torch.equal(trace.returned[:10], torch.arange(10))  # filling: the new images
    assert 0.4 < trace.history_fraction() < 0.6
    assert (trace.age >= 0).all()
    off = lesson06.pool_trace(ImagePool, pool_size=0, n_images=20, batch_size=4)
    assert off.history_fraction() == 0 and len(off.query) == 20 and off.query[-1] == 4


def test_instability_measures():
    history = {"loss_D_A": [0.2] * 10 + [0.1, 0.3] * 5, "loss_D_B": [0.2] * 20}
    records = {
        "iteration": [0, 10, 20],
        "D_A real": [1.0, 0.0, 1.0],
        "D_A fake": [0.0, 0.0, 0.0],
        "D_B real": [0.5, 0.5, 0.5],
        "D_B fake": [0.5, 0.5, 0.5],
    }
    m = lesson06.instability(history, records)
    assert m.loss_std == pytest.approx(0.05)
    assert m.probe_step == pytest.approx(0.25)
    assert m.final_gap == pytest.approx(0.5)


def test_combine_callbacks():
    calls = []
    model = type("M", (), {"iteration": 0})()
    callback = lesson06.combine_callbacks(
        (lambda m: calls.append(("a", m.iteration)), 2),
        (lambda m: calls.append(("b", m.iteration)), 3),
    )
    for i in range(1, 7):
        model.iteration = i
        callback(model)
    assert calls == [("a", 2), ("b", 3), ("a", 4), ("a", 6), ("b", 6)]


# --------------------------------------------------------------------------- experiments
def test_lesson04_experiment_and_figures(root, tmp_path):
    result = lesson04.run_experiment(root, TINY, "cpu", checkpoint_dir=tmp_path, progress=False)
    assert set(result.results) == {"gan_cycle", "gan_only"}
    assert result.chance == pytest.approx(1 / 6)
    for res in result.results.values():
        assert 0 <= res.mean_accuracy <= 1
        assert res.outputs["AtoB"].shape == (6, 3, 32, 32)
    assert len(result.histories["gan_cycle"]["loss_G"]) == TINY.iterations
    assert "GAN alone" in result.table()
    # resuming from the finished checkpoints trains no further
    again = lesson04.run_experiment(root, TINY, "cpu", checkpoint_dir=tmp_path, progress=False)
    assert again.histories["gan_only"]["loss_D_A"] == result.histories["gan_only"]["loss_D_A"]

    model = result.models["gan_cycle"]
    figures04.show_cycles(model, result.inputs["A"], result.inputs["B"], ("s", "w"), n=3)
    figures04.show_ablation(result, "BtoA", n=3)
    figures04.plot_identification(result)
    figures04.plot_similarity(result, n=6)
    callback = figures04.preview_callback(result.inputs["A"], result.inputs["B"], n=2)
    callback(model)


def test_lesson05_experiment_and_figures(root):
    result = lesson05.run_experiment(root, TINY, "cpu", progress=False)
    assert set(result.shifts) == {"no_identity", "identity"}
    for shifts in result.shifts.values():
        assert shifts["AtoB"].image >= 0 and shifts["BtoA"].walls is not None
    assert result.wall_shift("identity") >= 0
    assert "official" in result.table()
    figures05.show_colour_drift(result, "AtoB", n=3)
    figures05.plot_colour_shift(result)
    figures05.plot_wall_swatches(result, "BtoA", n=4)


def test_lesson06_experiment_and_figures(root):
    result = lesson06.run_experiment(root, TINY, "cpu", seeds=(0, 1), probe_every=2, progress=False)
    assert set(result.runs) == {0, 50} and len(result.runs[50]) == 2
    records = result.records[0][0]
    assert records["iteration"] == [0.0, 2.0, 4.0, 6.0]
    assert result.mean(0).loss_std >= 0
    assert "pool size" in result.table()
    assert result.models[50].pool_A.pool_size == 50
    figures06.plot_probe_scores(result)
    figures06.plot_instability(result)
    figures06.plot_pool_trace(lesson06.pool_trace(ImagePool, pool_size=5, n_images=60))


def test_ring_modes_samples_and_assignment():
    modes = pool_mixture.ring_modes(8, 2.0)
    assert modes.shape == (8, 2)
    torch.testing.assert_close(modes.norm(dim=1), torch.full((8,), 2.0))
    torch.testing.assert_close(modes[2], torch.tensor([0.0, 2.0]), atol=1e-6, rtol=0)
    points = pool_mixture.sample_ring(modes, 0.02, 400, torch.Generator().manual_seed(0))
    assigned = pool_mixture.assign_modes(points, modes, near=0.4)
    assert (assigned < 8).all() and len(set(assigned.tolist())) == 8
    off = pool_mixture.assign_modes(torch.zeros(3, 2), modes, near=0.4)
    assert off.tolist() == [8, 8, 8]


def test_mean_interval():
    mean, half = pool_mixture.mean_interval([1.0, 2.0, 3.0])
    assert mean == pytest.approx(2.0)
    assert half == pytest.approx(4.303 * 1.0 / 3**0.5)
    assert pool_mixture.mean_interval([5.0]) == (5.0, 0.0)
    with pytest.raises(ValueError, match="at least one"):
        pool_mixture.mean_interval([])


def _fake_run(main_modes, scores, n_probe=8, record_every=10):
    settings = pool_mixture.MixtureSettings(
        n_modes=4, n_probe=n_probe, record_every=record_every,
        iterations=record_every * len(main_modes), return_window=4,
    )
    assignments = torch.tensor([[m] * n_probe for m in main_modes])
    return pool_mixture.MixtureRun(
        settings, 0, 0, [record_every * (k + 1) for k in range(len(main_modes))], assignments,
        torch.tensor(scores, dtype=torch.float32)[:, None], torch.zeros(1, 2),
        torch.zeros(n_probe, 2), 0.0,
    )


def test_oscillation_measures():
    # second half (records 4..7): 0 -> 1 -> 0 -> 2 -> 2: 3 switches, one a return
    run = _fake_run([0, 0, 0, 0, 1, 0, 2, 2], [0, 0, 0, 0, 1, 0, 1, 1])
    m = pool_mixture.oscillation(run)
    assert m.switches == pytest.approx(3 / 0.04)
    assert m.returns == pytest.approx(1 / 0.04)
    assert m.reassigned == pytest.approx(2 / 3)
    assert m.d_drift == pytest.approx(2 / 3)
    assert m.coverage == pytest.approx(1.0) and m.on_mode == pytest.approx(1.0)
    still = pool_mixture.oscillation(_fake_run([4] * 8, [0.5] * 8))  # all off the modes
    assert still.switches == still.returns == still.reassigned == still.d_drift == 0
    assert still.on_mode == 0


def test_mixture_settings_reject_bad_values():
    with pytest.raises(ValueError, match="loss"):
        pool_mixture.MixtureSettings(loss="hinge")
    with pytest.raises(ValueError, match="record_every"):
        pool_mixture.MixtureSettings(iterations=10, record_every=10)


def test_mixture_experiment_and_figures():
    settings = replace(pool_mixture.MIXTURE_FAST, iterations=40, n_probe=32, grid=5)
    queried = []

    class CountingPool(ImagePool):
        def query(self, images):
            queried.append(len(images))
            return super().query(images)

    result = pool_mixture.run_experiment(settings, (0, 1), (0, 10), pool_class=CountingPool)
    assert set(result.runs) == {0, 10} and len(queried) == 4 * 40
    run = result.runs[10][1]
    assert run.seed == 1 and run.assignments.shape == (8, 32) and run.scores.shape == (8, 25)
    assert run.iterations == list(range(5, 41, 5))
    # same seed: the same start; a pool that never fills (50 > 40 fakes) changes nothing,
    # one that does (10) changes what the discriminator learns
    filling = pool_mixture.train_mixture_gan(50, 0, settings)
    assert torch.equal(filling.scores, result.runs[0][0].scores)
    assert not torch.equal(result.runs[0][0].scores, result.runs[10][0].scores)
    mean, half = result.difference(10, "d_drift")
    values = [a - b for a, b in zip(result.values(10, "d_drift"), result.values(0, "d_drift"))]
    assert mean == pytest.approx(sum(values) / 2) and half >= 0
    table = result.table()
    assert "pool 10" in table and "10 - 0" in table and "±" in table
    figures06.plot_mode_occupancy(result)
    figures06.plot_oscillation(result)


def test_loader_crops(root):
    images = lesson04.load_unpaired(root, "train", 32)
    loader = lesson04.UnpairedTensorLoader(images, 4, seed=0, crop_size=16)
    batch = next(iter(loader))
    assert batch["A"].shape == (4, 3, 16, 16) and batch["B"].shape == (4, 3, 16, 16)
    full = images.A.float() / 127.5 - 1
    crop = batch["A"][0]
    found = any(
        torch.equal(crop, img[:, t : t + 16, s : s + 16])
        or torch.equal(crop, img[:, t : t + 16, s : s + 16].flip(-1))
        for img in full
        for t in range(17)
        for s in range(17)
    )
    assert found
    assert lesson04.CPU.crop_size < lesson04.CPU.image_size

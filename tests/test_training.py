"""Training loops: official update order, checkpoints and resume, schedule, mixed precision."""

from __future__ import annotations

import pytest
import torch

from course_lib.training import (
    AmpHelper,
    ConditionalGAN,
    ConditionalGANConfig,
    CycleGAN,
    CycleGANConfig,
    Pix2Pix,
    Pix2PixConfig,
    linear_decay,
    load_checkpoint,
    save_checkpoint,
)

SMALL_P2P = dict(num_downs=5, gen_channels=4, disc_channels=4, disc_layers=2)
SMALL_CYC = dict(n_blocks=1, gen_channels=4, disc_channels=4, disc_layers=2, pool_size=2)


def _paired_batches(n=4, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [
        {
            "A": torch.rand(2, 3, size, size, generator=g) * 2 - 1,
            "B": torch.rand(2, 3, size, size, generator=g) * 2 - 1,
        }
        for _ in range(n)
    ]


def test_pix2pix_step_updates_both_networks_and_logs_losses():
    torch.manual_seed(0)
    model = Pix2Pix(Pix2PixConfig(**SMALL_P2P), device="cpu")
    before = {k: [p.clone() for p in n.parameters()] for k, n in model.networks.items()}
    logs = model.train_step(_paired_batches(1)[0])
    assert set(logs) == {"loss_D", "loss_G"}
    assert logs["loss_G"] > 100 * 0.01  # lambda=100 times an L1 of random images
    for k, net in model.networks.items():
        changed = any(not torch.equal(a, b) for a, b in zip(before[k], net.parameters()))
        assert changed, f"{k} was not updated"


def test_pix2pix_d_step_comes_first_and_d_is_frozen_for_g(monkeypatch):
    torch.manual_seed(0)
    model = Pix2Pix(Pix2PixConfig(**SMALL_P2P), device="cpu")
    order = []

    def record(name):
        def step(*args, **kwargs):
            frozen = not any(p.requires_grad for p in model.disc.parameters())
            order.append((name, frozen))

        return step

    monkeypatch.setattr(model.opt_disc, "step", record("D"))
    monkeypatch.setattr(model.opt_gen, "step", record("G"))
    model.train_step(_paired_batches(1)[0])
    # D is updated first (trainable), then G with D frozen
    assert order == [("D", False), ("G", True)]


def test_pix2pix_regression_only_baseline_trains_no_discriminator():
    torch.manual_seed(0)
    model = Pix2Pix(Pix2PixConfig(**SMALL_P2P, use_gan=False, recon="l2"), device="cpu")
    d_before = [p.clone() for p in model.disc.parameters()]
    logs = model.train_step(_paired_batches(1)[0])
    assert set(logs) == {"loss_G"}
    assert all(torch.equal(a, b) for a, b in zip(d_before, model.disc.parameters()))
    with pytest.raises(ValueError, match="nothing to train"):
        Pix2Pix(Pix2PixConfig(**SMALL_P2P, use_gan=False, recon="none"), device="cpu")


def test_resume_from_checkpoint_continues_exactly(tmp_path):
    batches = _paired_batches(2)
    torch.manual_seed(1)
    straight = Pix2Pix(Pix2PixConfig(**SMALL_P2P), device="cpu")
    straight.fit(batches, epochs=2, progress=False)

    torch.manual_seed(1)
    first = Pix2Pix(Pix2PixConfig(**SMALL_P2P), device="cpu")
    ckpt = tmp_path / "run.pt"
    first.fit(batches, epochs=1, checkpoint=ckpt, progress=False)
    torch.manual_seed(123)  # a fresh session: different RNG, weights re-initialised
    resumed = Pix2Pix(Pix2PixConfig(**SMALL_P2P), device="cpu")
    resumed.fit(batches, epochs=2, checkpoint=ckpt, progress=False)

    assert resumed.iteration == straight.iteration == 4
    assert resumed.history["loss_G"] == pytest.approx(straight.history["loss_G"], rel=1e-6)
    for a, b in zip(straight.gen.parameters(), resumed.gen.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_checkpoint_with_other_config_is_refused(tmp_path):
    model = Pix2Pix(Pix2PixConfig(**SMALL_P2P), device="cpu")
    path = model.save(tmp_path / "a.pt")
    other = Pix2Pix(Pix2PixConfig(**{**SMALL_P2P, "lambda_recon": 10.0}), device="cpu")
    with pytest.raises(ValueError, match="different configuration"):
        other.load(path)


def test_corrupt_or_missing_checkpoint_gives_clear_error(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(bad)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")
    save_checkpoint(tmp_path / "ok.pt", {"iteration": 3})
    assert load_checkpoint(tmp_path / "ok.pt")["iteration"] == 3


def test_max_iterations_caps_training():
    model = Pix2Pix(Pix2PixConfig(**SMALL_P2P), device="cpu")
    history = model.fit(_paired_batches(4), epochs=5, max_iterations=3, progress=False)
    assert model.iteration == 3 and len(history["loss_G"]) == 3


def test_linear_decay_matches_official_rule():
    rule = linear_decay(n_epochs=100, n_epochs_decay=100)
    assert rule(0) == 1.0 and rule(98) == 1.0
    assert rule(99) == pytest.approx(1 - 0 / 101)
    assert rule(100) == pytest.approx(1 - 1 / 101)
    assert rule(199) == pytest.approx(1 - 100 / 101)  # never reaches zero
    model = Pix2Pix(Pix2PixConfig(**SMALL_P2P), device="cpu")
    model.use_linear_decay(1, 2)
    model.fit(_paired_batches(1), epochs=2, progress=False)
    # two epochs done: the factor for epoch index 2 is 1 - 2/3
    assert model.learning_rates()["gen"] == pytest.approx(2e-4 * (1 - 2 / 3))


def test_cyclegan_step_order_and_pools(monkeypatch):
    torch.manual_seed(0)
    model = CycleGAN(CycleGANConfig(**SMALL_CYC), device="cpu")
    order = []
    real_gen_step, real_disc_step = model.opt_gen.step, model.opt_disc.step
    monkeypatch.setattr(model.opt_gen, "step", lambda *a, **k: (order.append("G"), real_gen_step()))
    monkeypatch.setattr(
        model.opt_disc, "step", lambda *a, **k: (order.append("D"), real_disc_step())
    )
    logs = model.train_step(_paired_batches(1)[0])
    assert order == ["G", "D"]
    assert set(logs) == {"loss_G", "loss_D_A", "loss_D_B"}
    assert len(model.pool_A) == 2 and len(model.pool_B) == 2
    assert model.translate(torch.zeros(1, 3, 32, 32), "BtoA").shape == (1, 3, 32, 32)
    with pytest.raises(ValueError, match="AtoB"):
        model.translate(torch.zeros(1, 3, 32, 32), "sideways")


def test_cyclegan_trains_with_given_losses_and_pool_in_the_same_order():
    from course_lib.image_pool import ImagePool
    from course_lib.losses import cyclegan as reference

    calls = []

    def gen_loss(*args, **kwargs):
        calls.append("gen_loss")
        return reference.get_gen_loss(*args, **kwargs)

    def disc_loss(real, fake, disc, criterion):
        calls.append("disc_loss")
        assert not fake.requires_grad, "the discriminators must get detached fakes"
        return reference.get_disc_loss(real, fake, disc, criterion)

    class CountingPool(ImagePool):
        def query(self, images):
            calls.append("pool")
            return super().query(images)

    torch.manual_seed(0)
    model = CycleGAN(
        CycleGANConfig(**SMALL_CYC),
        device="cpu",
        gen_loss=gen_loss,
        disc_loss=disc_loss,
        pool=CountingPool,
    )
    model.train_step(_paired_batches(1)[0])
    assert calls == ["gen_loss", "pool", "pool", "disc_loss", "disc_loss"]
    assert isinstance(model.pool_A, CountingPool) and len(model.pool_B) == 2


def test_cyclegan_one_optimizer_per_pair():
    model = CycleGAN(CycleGANConfig(**SMALL_CYC), device="cpu")
    gen_params = {id(p) for g in (model.gen_AB, model.gen_BA) for p in g.parameters()}
    opt_params = {id(p) for group in model.opt_gen.param_groups for p in group["params"]}
    assert gen_params == opt_params


def test_cyclegan_identity_needs_equal_channels():
    with pytest.raises(ValueError, match="lambda_identity=0"):
        CycleGAN(CycleGANConfig(**SMALL_CYC, input_channels=1, output_channels=3), device="cpu")
    CycleGAN(
        CycleGANConfig(**SMALL_CYC, input_channels=1, output_channels=3, lambda_identity=0),
        device="cpu",
    )


def test_conditional_gan_trains_and_samples_requested_shape():
    torch.manual_seed(0)
    model = ConditionalGAN(ConditionalGANConfig(hidden_channels=8), device="cpu")
    logs = model.train_step((torch.rand(6, 1, 28, 28) * 2 - 1, torch.randint(0, 10, (6,))))
    assert set(logs) == {"loss_D", "loss_G"}
    out = model.sample(torch.arange(10), seed=0)
    assert out.shape == (10, 1, 28, 28)
    assert torch.equal(out, model.sample(torch.arange(10), seed=0))


def test_amp_is_a_no_op_on_cpu():
    amp = AmpHelper(torch.device("cpu"))
    assert not amp.enabled and amp.dtype == torch.float32
    with pytest.raises(ValueError, match="only used on CUDA"):
        AmpHelper(torch.device("cpu"), enabled=True)


def _five_step_losses(make, batches, fused_adam):
    """Losses of five steps of a model built and trained under the same seeds."""
    import random

    torch.manual_seed(0)
    random.seed(0)
    model = make(fused_adam)
    assert all(bool(o.defaults["fused"]) == fused_adam for o in model.optimizers.values())
    return [model.train_step(batch) for batch in batches]


@pytest.mark.parametrize("kind", ["pix2pix", "cyclegan", "cgan"])
def test_fused_adam_step_gives_the_plain_steps_losses(kind):
    if kind == "pix2pix":
        batches = _paired_batches(5)

        def make(fused):
            return Pix2Pix(Pix2PixConfig(**SMALL_P2P), device="cpu", fused_adam=fused)
    elif kind == "cyclegan":
        batches = _paired_batches(5)  # pool_size 2: from step 3 on the pool draws at random

        def make(fused):
            return CycleGAN(CycleGANConfig(**SMALL_CYC), device="cpu", fused_adam=fused)
    else:
        g = torch.Generator().manual_seed(0)
        batches = [
            (torch.rand(8, 1, 28, 28, generator=g) * 2 - 1, torch.randint(0, 10, (8,), generator=g))
            for _ in range(5)
        ]

        def make(fused):
            config = ConditionalGANConfig(hidden_channels=8)
            return ConditionalGAN(config, device="cpu", fused_adam=fused)

    plain = _five_step_losses(make, batches, fused_adam=False)
    fused = _five_step_losses(make, batches, fused_adam=True)
    assert len(plain) == 5 and set(plain[0]) == set(fused[0])
    for step, (a, b) in enumerate(zip(plain, fused)):
        for key in a:
            assert b[key] == pytest.approx(a[key], abs=1e-4, rel=1e-4), (step, key)
    # the weights move: the last step's losses differ from the first's
    assert plain[-1] != plain[0]

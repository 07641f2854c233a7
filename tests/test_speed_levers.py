"""The training-speed levers compute the same functions as the plain formulation.

* :mod:`course_lib.models.fastconv`: convolutions on small maps as one matrix product equal
  torch's layers, forward and gradients, in float64.
* The U-Net with those layers equals the U-Net with torch's layers, and Pix2Pix trains to the
  same losses over 5 steps.
* CycleGAN's batched generator and discriminator passes give the separate passes' losses over
  5 steps (same seeds), with and without the identity term.
"""

from __future__ import annotations

import random

import pytest
import torch
import torch.nn.functional as F
from test_training import SMALL_CYC, SMALL_P2P
from torch import nn

from course_lib.losses import cyclegan as cyclegan_losses
from course_lib.models import UNetGenerator, fastconv
from course_lib.models.fastconv import (
    conv2d,
    conv_transpose2d,
    gemm_conv2d,
    gemm_conv_transpose2d,
)
from course_lib.training import CycleGAN, CycleGANConfig, Pix2Pix, Pix2PixConfig

CONV_CASES = [  # (C_in, C_out, kernel, stride, padding, size, batch, bias)
    (5, 7, 4, 2, 1, 4, 1, False),  # the U-Net's inner encoder steps
    (6, 3, 4, 2, 1, 2, 2, True),  # 2x2 -> 1x1, the innermost step
    (4, 6, 3, 1, 1, 5, 2, True),
    (3, 4, 3, 2, 0, 7, 1, False),
    (5, 1, 4, 1, 1, 6, 1, True),
]
CONV_T_CASES = [  # (C_in, C_out, kernel, stride, padding, output_padding, size, batch, bias)
    (6, 5, 4, 2, 1, 0, 1, 1, False),  # the U-Net's decoder steps
    (8, 4, 4, 2, 1, 0, 3, 2, True),
    (4, 3, 3, 2, 1, 1, 4, 1, True),  # the ResNet generator's upsampling
    (3, 5, 3, 1, 0, 0, 5, 2, False),
]


def _grads(out: torch.Tensor, tensors: list[torch.Tensor], seed: int) -> list[torch.Tensor]:
    g = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed), dtype=out.dtype)
    return list(torch.autograd.grad(out, tensors, g))


@pytest.mark.parametrize("case", CONV_CASES)
def test_gemm_conv2d_equals_conv2d_forward_and_gradients(case):
    cin, cout, k, s, p, size, n, has_bias = case
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, cin, size, size, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(cout, cin, k, k, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(cout, generator=g, dtype=torch.float64, requires_grad=True)
    bias = b if has_bias else None
    inputs = [x, w] + ([b] if has_bias else [])
    ref = F.conv2d(x, w, bias, s, p)
    got = gemm_conv2d(x, w, bias, s, p)
    assert got.shape == ref.shape
    torch.testing.assert_close(got, ref, rtol=1e-12, atol=1e-12)
    for a, e in zip(_grads(got, inputs, 1), _grads(ref, inputs, 1)):
        torch.testing.assert_close(a, e, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CONV_T_CASES)
def test_gemm_conv_transpose2d_equals_conv_transpose2d_forward_and_gradients(case):
    cin, cout, k, s, p, op, size, n, has_bias = case
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, cin, size, size, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(cin, cout, k, k, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(cout, generator=g, dtype=torch.float64, requires_grad=True)
    bias = b if has_bias else None
    inputs = [x, w] + ([b] if has_bias else [])
    ref = F.conv_transpose2d(x, w, bias, s, p, op)
    got = gemm_conv_transpose2d(x, w, bias, s, p, op)
    assert got.shape == ref.shape
    torch.testing.assert_close(got, ref, rtol=1e-12, atol=1e-12)
    for a, e in zip(_grads(got, inputs, 1), _grads(ref, inputs, 1)):
        torch.testing.assert_close(a, e, rtol=1e-12, atol=1e-12)


def test_gemm_layers_name_bad_input():
    w = torch.zeros(4, 3, 4, 4)
    with pytest.raises(ValueError, match="expects 3 input channels"):
        gemm_conv2d(torch.zeros(1, 5, 4, 4), w)
    with pytest.raises(ValueError, match=r"batch \(N, C, H, W\)"):
        gemm_conv2d(torch.zeros(3, 4, 4), w)
    with pytest.raises(ValueError, match="does not fit"):
        gemm_conv2d(torch.zeros(1, 3, 2, 2), w)
    with pytest.raises(ValueError, match="output_padding must be smaller than stride"):
        gemm_conv_transpose2d(torch.zeros(1, 4, 2, 2), w, stride=2, output_padding=2)


def test_module_dispatch_takes_the_product_only_for_small_maps_on_the_cpu(monkeypatch):
    calls = []
    real_conv, real_t = fastconv.gemm_conv2d, fastconv.gemm_conv_transpose2d
    monkeypatch.setattr(fastconv, "gemm_conv2d", lambda *a: calls.append("c") or real_conv(*a))
    monkeypatch.setattr(
        fastconv, "gemm_conv_transpose2d", lambda *a: calls.append("t") or real_t(*a)
    )
    conv = nn.Conv2d(3, 4, 4, stride=2, padding=1)
    up = nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1)
    small, large = torch.randn(1, 3, 16, 16), torch.randn(1, 3, 32, 32)  # 8x8 and 16x16 out
    torch.testing.assert_close(conv2d(conv, small), conv(small))
    assert calls == ["c"]
    conv2d(conv, large)
    assert calls == ["c"]  # 256 output pixels: the module's own forward
    torch.testing.assert_close(conv_transpose2d(up, conv(small)), up(conv(small)))
    assert calls == ["c", "t"]
    conv_transpose2d(up, conv(large))
    assert calls == ["c", "t"]
    hooked = []
    conv.register_forward_hook(lambda *a: hooked.append(1))
    conv2d(conv, small)  # a module with hooks keeps its forward, so that they run
    assert hooked == [1] and calls == ["c", "t"]


def test_unet_with_product_layers_equals_torch_layers(monkeypatch):
    torch.manual_seed(0)
    net = UNetGenerator(3, 3, num_downs=6, hidden_channels=4).double()
    x = torch.randn(2, 3, 64, 64, dtype=torch.float64)
    params = list(net.parameters())

    def run():
        torch.manual_seed(1)  # the same dropout masks
        out = net(x)
        return [out] + _grads(out, params, 2)

    fast = run()
    monkeypatch.setattr(fastconv, "SMALL_MAP_PIXELS", 0)
    plain = run()
    for a, e in zip(fast, plain):
        torch.testing.assert_close(a, e, rtol=1e-10, atol=1e-10)
    assert set(net.state_dict()) == set(UNetGenerator(3, 3, 6, 4).state_dict())


def _paired_batches(n: int, size: int = 32) -> list[dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    return [{k: torch.rand(1, 3, size, size, generator=g) * 2 - 1 for k in "AB"} for _ in range(n)]


def _five_steps(make, batches) -> list[dict[str, float]]:
    torch.manual_seed(0)
    random.seed(0)
    model = make()
    return [model.train_step(batch) for batch in batches]


def _assert_same_losses(fast, plain):
    assert len(fast) == len(plain) == 5
    for step, (a, b) in enumerate(zip(plain, fast)):
        assert set(a) == set(b)
        for key in a:
            assert b[key] == pytest.approx(a[key], abs=1e-4, rel=1e-4), (step, key)
    assert plain[-1] != plain[0]  # the weights move


def test_pix2pix_with_product_layers_trains_to_the_plain_losses(monkeypatch):
    batches = _paired_batches(5)

    def make():
        return Pix2Pix(Pix2PixConfig(**SMALL_P2P), device="cpu")

    fast = _five_steps(make, batches)
    monkeypatch.setattr(fastconv, "SMALL_MAP_PIXELS", 0)
    _assert_same_losses(fast, _five_steps(make, batches))


@pytest.mark.parametrize("lambda_identity", [5.0, 0.0])
def test_cyclegan_batched_passes_give_the_separate_passes_losses(lambda_identity):
    batches = _paired_batches(5)  # pool_size 2: from step 3 on the pool draws at random
    config = CycleGANConfig(**SMALL_CYC, lambda_identity=lambda_identity)

    def make(batch_passes: bool):
        return lambda: CycleGAN(config, device="cpu", batch_passes=batch_passes)

    fast = _five_steps(make(True), batches)
    _assert_same_losses(fast, _five_steps(make(False), batches))


def test_cyclegan_batches_only_with_reference_losses_and_per_image_norm():
    calls = []

    def gen_loss(*args, **kwargs):
        calls.append(1)
        return cyclegan_losses.get_gen_loss(*args, **kwargs)

    model = CycleGAN(CycleGANConfig(**SMALL_CYC), device="cpu", gen_loss=gen_loss)
    model.train_step(_paired_batches(1)[0])
    assert calls == [1]  # the learner's function is called, not the batched passes
    assert CycleGAN(CycleGANConfig(**SMALL_CYC), device="cpu").batch_passes
    batch_norm = CycleGAN(CycleGANConfig(**SMALL_CYC, norm="batch"), device="cpu")
    assert not batch_norm.batch_passes  # batch statistics would mix the stacked images


@pytest.mark.parametrize("per_part", [1, 2])
def test_patchgan_forward_groups_equals_separate_calls(per_part):
    from course_lib.models import PatchGANDiscriminator

    torch.manual_seed(0)
    one = PatchGANDiscriminator(6, 4, 2, norm="batch").double()
    two = PatchGANDiscriminator(6, 4, 2, norm="batch").double()
    two.load_state_dict(one.state_dict())
    g = torch.Generator().manual_seed(3)
    image = torch.randn(2 * per_part, 3, 32, 32, generator=g, dtype=torch.float64)
    condition = torch.randn(2 * per_part, 3, 32, 32, generator=g, dtype=torch.float64)
    separate = torch.cat(
        [one(i, c) for i, c in zip(image.chunk(2), condition.chunk(2))]  # fake, then real
    )
    together = two.forward_groups(image, condition, groups=2)
    torch.testing.assert_close(together, separate, rtol=1e-12, atol=1e-12)
    out_grad = torch.randn(separate.shape, generator=g, dtype=torch.float64)
    for a, e in zip(_grads_of(together, two, out_grad), _grads_of(separate, one, out_grad)):
        torch.testing.assert_close(a, e, rtol=1e-10, atol=1e-10)
    for (name, a), (_, e) in zip(two.state_dict().items(), one.state_dict().items()):
        torch.testing.assert_close(a, e, rtol=1e-12, atol=1e-12, msg=name)  # running stats
    assert two.state_dict()["model.3.num_batches_tracked"] == 2
    with pytest.raises(ValueError, match="does not split into 3 equal parts"):
        two.forward_groups(image, condition, groups=3)


def _grads_of(out: torch.Tensor, net: nn.Module, out_grad: torch.Tensor) -> list[torch.Tensor]:
    return list(torch.autograd.grad(out, list(net.parameters()), out_grad))


@pytest.mark.parametrize("batch", [1, 2])
def test_pix2pix_batched_disc_pass_gives_the_separate_passes_losses(batch):
    g = torch.Generator().manual_seed(0)
    batches = [
        {k: torch.rand(batch, 3, 32, 32, generator=g) * 2 - 1 for k in "AB"} for _ in range(5)
    ]

    def make(batch_passes: bool):
        return lambda: Pix2Pix(Pix2PixConfig(**SMALL_P2P), "cpu", batch_passes=batch_passes)

    fast = _five_steps(make(True), batches)
    _assert_same_losses(fast, _five_steps(make(False), batches))

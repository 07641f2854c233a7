"""The reference networks against the official implementation's numbers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib.models import (
    ConditionalDiscriminator,
    ConditionalGenerator,
    ContractingBlock,
    ExpandingBlock,
    FeatureMapBlock,
    PatchGANDiscriminator,
    ResidualBlock,
    ResnetGenerator,
    UNetGenerator,
    init_weights,
    output_size,
    receptive_field,
)
from course_lib.utils import count_parameters


@pytest.mark.parametrize(
    "build, expected",
    [
        (lambda: UNetGenerator(3, 3, num_downs=8), 54_413_955),
        (lambda: UNetGenerator(3, 3, num_downs=7), 41_828_995),
        (lambda: PatchGANDiscriminator(6, norm="batch"), 2_768_705),
        (lambda: PatchGANDiscriminator(3, norm="instance"), 2_764_737),
        (lambda: ResnetGenerator(3, 3, n_blocks=9), 11_378_179),
        (lambda: ResnetGenerator(3, 3, n_blocks=6), 7_837_699),
    ],
    ids=["unet_256", "unet_128", "patchgan_pix2pix", "patchgan_cyclegan", "resnet_9", "resnet_6"],
)
def test_parameter_counts_match_official(build, expected):
    assert count_parameters(build()) == expected


@pytest.mark.parametrize("n_layers, field", [(1, 16), (2, 34), (3, 70), (4, 142), (5, 286)])
def test_receptive_field_is_computed_from_layers(n_layers, field):
    assert receptive_field(PatchGANDiscriminator(3, 8, n_layers=n_layers)) == field


def test_receptive_field_depends_on_the_layers_not_a_constant():
    net = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3, stride=2), nn.Conv2d(1, 1, 5))
    # backwards: 1 -> 5 -> (5-1)*2+3 = 11 -> 11-1+3 = 13
    assert receptive_field(net) == 13
    with pytest.raises(ValueError, match="no Conv2d"):
        receptive_field(nn.Linear(2, 2))


@pytest.mark.parametrize("size, out", [(256, 30), (128, 14), (64, 6)])
def test_patchgan_output_size(size, out):
    disc = PatchGANDiscriminator(6, hidden_channels=8)
    y = disc(torch.randn(1, 3, size, size), torch.randn(1, 3, size, size))
    assert y.shape == (1, 1, out, out)
    assert output_size(disc, size) == out


def test_patchgan_conditional_concatenates_image_then_condition():
    disc = PatchGANDiscriminator(4, hidden_channels=4, n_layers=1).eval()
    image, cond = torch.randn(2, 1, 32, 32), torch.randn(2, 3, 32, 32)
    assert torch.equal(disc(image, cond), disc(torch.cat([image, cond], 1)))
    with pytest.raises(ValueError, match="4 input channels"):
        disc(image)


def test_patchgan_outputs_raw_logits():
    disc = PatchGANDiscriminator(3, hidden_channels=8)
    last = list(disc.modules())[-1]
    assert isinstance(last, nn.Conv2d)  # no sigmoid at the end
    y = disc(torch.randn(2, 3, 64, 64) * 10)
    assert (y > 1).any() or (y < 0).any()


def test_patchgan_too_small_input_names_smallest_size():
    disc = PatchGANDiscriminator(3, hidden_channels=8)
    with pytest.raises(ValueError, match=rf"smallest valid size is {disc.min_size}x"):
        disc(torch.randn(1, 3, disc.min_size - 1, disc.min_size - 1))
    disc.train()
    disc(torch.randn(1, 3, disc.min_size, disc.min_size))  # smallest size works at batch 1


@pytest.mark.parametrize("num_downs, size", [(8, 256), (7, 128), (6, 64), (5, 32)])
def test_unet_shapes_and_range(num_downs, size):
    gen = UNetGenerator(3, 2, num_downs=num_downs, hidden_channels=4)
    y = gen(torch.randn(1, 3, size, size))
    assert y.shape == (1, 2, size, size)
    assert y.abs().max() <= 1


def test_unet_rejects_too_small_input_with_smallest_size():
    gen = UNetGenerator(3, 3, num_downs=8, hidden_channels=4)
    with pytest.raises(ValueError, match="smallest valid size 256x256"):
        gen(torch.randn(1, 3, 128, 128))
    with pytest.raises(ValueError, match="multiples of 64"):
        UNetGenerator(3, 3, num_downs=6, hidden_channels=4)(torch.randn(1, 3, 96, 80))


def test_unet_structure_matches_paper():
    gen = UNetGenerator(3, 3, num_downs=8)
    enc = [b.conv.out_channels for b in gen.contract]
    assert enc == [64, 128, 256, 512, 512, 512, 512, 512]
    dec_in = [b.upconv.in_channels for b in gen.expand]
    assert dec_in == [512, 1024, 1024, 1024, 1024, 512, 256, 128]
    dropout = [isinstance(b.dropout, nn.Dropout) for b in gen.expand]
    assert dropout == [False, True, True, True, False, False, False, False]
    # outermost encoder: no activation, no norm; innermost: no norm
    assert isinstance(gen.contract[0].activation, nn.Identity)
    assert isinstance(gen.contract[0].norm, nn.Identity)
    assert isinstance(gen.contract[-1].norm, nn.Identity)
    assert isinstance(gen.expand[-1].output, nn.Tanh)


def test_unet_skip_connections_carry_information():
    gen = UNetGenerator(1, 1, num_downs=5, hidden_channels=4).eval()
    torch.manual_seed(0)
    x = torch.randn(1, 1, 32, 32, requires_grad=True)
    gen(x)[0, 0, 3, 3].backward()
    # through the outermost skip, an output pixel depends strongly on the input pixels under it
    near = x.grad[0, 0, 1:6, 1:6].abs().mean()
    far = x.grad[0, 0, 20:, 20:].abs().mean()
    assert near > 5 * far


def test_unet_dropout_is_the_noise_in_train_mode_only():
    gen = UNetGenerator(3, 3, num_downs=6, hidden_channels=4)
    x = torch.randn(2, 3, 64, 64)
    gen.train()
    assert not torch.equal(gen(x), gen(x))
    gen.eval()
    assert torch.equal(gen(x), gen(x))


def test_contracting_and_expanding_blocks():
    down = ContractingBlock(3, 8)
    x = torch.randn(2, 3, 16, 16)
    assert down(x).shape == (2, 8, 8, 8)
    up = ExpandingBlock(8, 4, use_dropout=True)
    skip = torch.randn(2, 5, 16, 16)
    y = up(down(x), skip)
    assert y.shape == (2, 9, 16, 16)
    assert torch.equal(y[:, :5], skip)  # the skip comes first


def test_resnet_generator_shapes_and_blocks():
    gen = ResnetGenerator(3, 1, hidden_channels=8, n_blocks=2)
    assert gen(torch.randn(2, 3, 32, 32)).shape == (2, 1, 32, 32)
    with pytest.raises(ValueError, match="multiples of 4"):
        gen(torch.randn(1, 3, 30, 30))
    with pytest.raises(ValueError, match="smallest valid size 8x8"):
        gen(torch.randn(1, 3, 4, 4))
    block = ResidualBlock(4)
    for p in block.parameters():
        nn.init.zeros_(p)
    x = torch.randn(1, 4, 8, 8)
    assert torch.equal(block(x), x)  # zero block: the residual path is the identity
    fm = FeatureMapBlock(3, 6)
    assert fm(torch.randn(1, 3, 9, 9)).shape == (1, 6, 9, 9)


def test_norm_choice_is_validated():
    with pytest.raises(ValueError, match="norm must be one of"):
        PatchGANDiscriminator(3, norm="group")


def test_init_weights_follows_official_scheme():
    torch.manual_seed(0)
    net = init_weights(nn.Sequential(nn.Conv2d(64, 64, 3), nn.BatchNorm2d(64)))
    conv, bn = net
    assert abs(conv.weight.std().item() - 0.02) < 0.002
    assert conv.bias.abs().max() == 0
    assert abs(bn.weight.mean().item() - 1.0) < 0.01 and bn.weight.std() > 0
    assert bn.bias.abs().max() == 0
    unet = UNetGenerator(3, 3, num_downs=5, hidden_channels=16)
    assert abs(unet.contract[1].conv.weight.std().item() - 0.02) < 0.003


def test_conditional_dcgan_shapes():
    gen = ConditionalGenerator(64 + 10)
    disc = ConditionalDiscriminator(1 + 10)
    fake = gen(torch.randn(5, 74))
    assert fake.shape == (5, 1, 28, 28)
    assert disc(torch.randn(5, 11, 28, 28)).shape == (5, 1)
    with pytest.raises(ValueError, match=r"\(N, 74\)"):
        gen(torch.randn(5, 64))

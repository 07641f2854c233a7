"""Reference networks, faithful to the official pix2pix/CycleGAN ``models/networks.py``."""

from .blocks import ContractingBlock, ExpandingBlock, FeatureMapBlock, ResidualBlock, norm_layer
from .cgan import ConditionalDiscriminator, ConditionalGenerator
from .init import init_weights
from .patchgan import PatchGANDiscriminator, output_size, receptive_field, receptive_field_of
from .resnet import ResnetGenerator
from .unet import UNetGenerator

__all__ = [
    "ContractingBlock",
    "ExpandingBlock",
    "FeatureMapBlock",
    "ResidualBlock",
    "norm_layer",
    "init_weights",
    "UNetGenerator",
    "PatchGANDiscriminator",
    "ResnetGenerator",
    "ConditionalGenerator",
    "ConditionalDiscriminator",
    "receptive_field",
    "receptive_field_of",
    "output_size",
]

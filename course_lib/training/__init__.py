"""Training loops for the course's models (D/G order, losses and defaults as the papers)."""

from .cgan import ConditionalGAN, ConditionalGANConfig
from .common import AmpHelper, History, linear_decay, load_checkpoint, save_checkpoint
from .cyclegan import CycleGAN, CycleGANConfig
from .pix2pix import Pix2Pix, Pix2PixConfig
from .trainer import GANTrainer

__all__ = [
    "AmpHelper",
    "History",
    "GANTrainer",
    "linear_decay",
    "save_checkpoint",
    "load_checkpoint",
    "Pix2Pix",
    "Pix2PixConfig",
    "CycleGAN",
    "CycleGANConfig",
    "ConditionalGAN",
    "ConditionalGANConfig",
]

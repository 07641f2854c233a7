"""Small judges trained on the *real* embedded images, used to score what the generators make.

* :class:`DigitClassifier` labels 28x28 digits; the cGAN notebook asks it which digit each
  generated sample shows (the fraction that matches the requested class is the result).
* :class:`SegmentationNet` predicts a label per pixel of a facade photo; the ablation notebook
  runs it on generated photos and compares its prediction with the label map the photo was
  generated from (the Pix2Pix paper's "FCN-score", possible here because the embedded label maps
  are known exactly).

Both are deliberately small so that they train in seconds on a CPU; they only have to be good
judges of the real images, which their test accuracy (printed by the notebooks) shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

__all__ = [
    "DigitClassifier",
    "SegmentationNet",
    "TrainedJudge",
    "train_classifier",
    "train_segmenter",
    "predict_labels",
    "predict_segmentation",
]


class DigitClassifier(nn.Module):
    """A LeNet-like CNN for 28x28 images: two conv/pool stages and a linear layer."""

    def __init__(self, n_classes: int = 10, in_channels: int = 1, width: int = 16) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 14x14
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 7x7
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.2), nn.Linear(2 * width * 49, n_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``(N, n_classes)`` for images ``(N, C, 28, 28)`` in [-1, 1]."""
        return self.head(self.features(x))


class SegmentationNet(nn.Module):
    """A small fully convolutional encoder-decoder: a label logit per pixel.

    Two stride-2 stages down and two up (no skips: it must read the layout of the photo, not
    copy its colours pixel by pixel), plus a 1x1 convolution to ``n_classes`` channels.
    """

    def __init__(self, n_classes: int, in_channels: int = 3, width: int = 24) -> None:
        super().__init__()
        w = width

        def conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride=stride, padding=1),
                nn.BatchNorm2d(cout),
                nn.ReLU(),
            )

        self.encoder = nn.Sequential(
            conv(in_channels, w), conv(w, 2 * w, 2), conv(2 * w, 2 * w), conv(2 * w, 4 * w, 2)
        )
        self.decoder = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
            conv(4 * w, 2 * w),
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
            conv(2 * w, w),
            nn.Conv2d(w, n_classes, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, n_classes, H, W)`` for photos ``(N, 3, H, W)`` (H, W multiples of 4)."""
        return self.decoder(self.encoder(x))


@dataclass
class TrainedJudge:
    """A trained evaluator and how well it does on held-out *real* images."""

    model: nn.Module
    test_accuracy: float
    train_steps: int


def _device(device: torch.device | str | None) -> torch.device:
    from ..utils import get_device

    return torch.device(device) if device is not None else get_device()


def _fit(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    steps: int,
    batch_size: int,
    lr: float,
    device: torch.device,
    seed: int,
    augment: bool,
) -> None:
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(
        TensorDataset(inputs, targets),
        batch_size=min(batch_size, len(inputs)),
        shuffle=True,
        drop_last=len(inputs) > batch_size,
        generator=generator,
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    done = 0
    while done < steps:
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            if augment:  # shift by up to 2 pixels: generated digits are rarely perfectly centred
                dx, dy = torch.randint(-2, 3, (2,), generator=generator).tolist()
                x = torch.roll(x, shifts=(dy, dx), dims=(-2, -1))
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            done += 1
            if done >= steps:
                break
    model.eval()


@torch.no_grad()
def predict_labels(
    classifier: nn.Module, images: torch.Tensor, batch_size: int = 512
) -> torch.Tensor:
    """The classifier's label (argmax) for each image, on the CPU."""
    classifier.eval()
    device = next(classifier.parameters()).device
    out = [
        classifier(images[i : i + batch_size].to(device).float()).argmax(1).cpu()
        for i in range(0, len(images), batch_size)
    ]
    return torch.cat(out)


@torch.no_grad()
def predict_segmentation(
    segmenter: nn.Module, photos: torch.Tensor, batch_size: int = 64
) -> torch.Tensor:
    """The per-pixel label indices ``(N, H, W)`` the segmenter predicts, on the CPU."""
    segmenter.eval()
    device = next(segmenter.parameters()).device
    out = [
        segmenter(photos[i : i + batch_size].to(device).float()).argmax(1).cpu()
        for i in range(0, len(photos), batch_size)
    ]
    return torch.cat(out)


def train_classifier(
    train_images: torch.Tensor,
    train_labels: torch.Tensor,
    test_images: torch.Tensor,
    test_labels: torch.Tensor,
    n_classes: int = 10,
    steps: int = 400,
    batch_size: int = 64,
    lr: float = 2e-3,
    device: torch.device | str | None = None,
    seed: int = 0,
) -> TrainedJudge:
    """Train a :class:`DigitClassifier` on real images and report its held-out accuracy.

    Args:
        train_images, train_labels: real images ``(N, 1, 28, 28)`` in [-1, 1] and labels ``(N,)``.
        test_images, test_labels: held-out real images for the reported accuracy.
        steps: Adam steps (400 at batch 64 take a few seconds on a CPU).
        seed: fixes the initial weights and the batches.
    """
    device = _device(device)
    torch.manual_seed(seed)
    model = DigitClassifier(n_classes, train_images.shape[1]).to(device)
    _fit(model, train_images, train_labels, steps, batch_size, lr, device, seed, augment=True)
    predicted = predict_labels(model, test_images)
    accuracy = (predicted == test_labels.cpu()).float().mean().item()
    return TrainedJudge(model, accuracy, steps)


def train_segmenter(
    train_photos: torch.Tensor,
    train_labels: torch.Tensor,
    test_photos: torch.Tensor,
    test_labels: torch.Tensor,
    n_classes: int,
    steps: int = 300,
    batch_size: int = 16,
    lr: float = 2e-3,
    device: torch.device | str | None = None,
    seed: int = 0,
) -> TrainedJudge:
    """Train a :class:`SegmentationNet` on real photos and their label maps.

    Args:
        train_photos: real photos ``(N, 3, H, W)`` in [-1, 1].
        train_labels: the label index of every pixel ``(N, H, W)`` (int64).
        test_photos, test_labels: held-out pairs for the reported per-pixel accuracy.
        n_classes: number of labels.
    """
    device = _device(device)
    torch.manual_seed(seed)
    model = SegmentationNet(n_classes, train_photos.shape[1]).to(device)
    _fit(model, train_photos, train_labels, steps, batch_size, lr, device, seed, augment=False)
    predicted = predict_segmentation(model, test_photos)
    accuracy = (predicted == test_labels.cpu()).float().mean().item()
    return TrainedJudge(model, accuracy, steps)

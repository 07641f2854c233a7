"""Utilities and course-wide settings."""

from __future__ import annotations

import random

import matplotlib
import numpy as np
import pytest
import torch

from course_lib import config
from course_lib.utils import (
    count_parameters,
    get_device,
    make_image_grid,
    plot_losses,
    seed_everything,
    show_images,
    to_image_range,
)

matplotlib.use("Agg")


def test_get_device_honours_override(monkeypatch):
    monkeypatch.setenv("GAN_COURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    assert get_device("meta") == torch.device("meta")
    monkeypatch.delenv("GAN_COURSE_DEVICE")
    expected = "cuda" if torch.cuda.is_available() else get_device().type
    assert get_device().type == expected


def test_seed_everything_makes_all_generators_repeatable():
    seed_everything(7)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    seed_everything(7)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


def test_image_range_and_grid():
    batch = torch.tensor([-1.0, 0.0, 1.0, 3.0]).view(4, 1, 1, 1).expand(4, 1, 4, 4)
    assert to_image_range(batch).flatten().unique().tolist() == [0.0, 0.5, 1.0]
    grid = make_image_grid(batch, nrow=2, padding=0)
    assert grid.shape == (3, 8, 8)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        make_image_grid(torch.zeros(3, 4, 4))


def test_show_images_rows_and_titles():
    rows = [torch.zeros(3, 3, 8, 8), torch.ones(3, 3, 8, 8)]
    fig = show_images(rows, titles=["input", "output"])
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "output"
    with pytest.raises(ValueError, match="2 rows of images but 1 titles"):
        show_images(rows, titles=["input"])


def test_plot_losses_smooths():
    ax = plot_losses({"loss_D": [1.0, 3.0, 1.0, 3.0], "loss_G": []}, smooth=2)
    (line,) = ax.get_lines()
    assert line.get_ydata().tolist() == [2.0, 2.0, 2.0]


def test_count_parameters():
    net = torch.nn.Linear(3, 2)
    assert count_parameters(net) == 8
    net.bias.requires_grad_(False)
    assert count_parameters(net, trainable_only=True) == 6


def test_fast_mode_follows_nbgrader_and_override(monkeypatch):
    monkeypatch.delenv("GAN_COURSE_FAST", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert not config.fast_mode()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert config.fast_mode()
    monkeypatch.setenv("GAN_COURSE_FAST", "0")
    assert not config.fast_mode()
    monkeypatch.delenv("NBGRADER_EXECUTION")
    monkeypatch.setenv("GAN_COURSE_FAST", "1")
    assert config.fast_mode()


def test_colab_url_and_pip_spec_come_from_the_repository_url():
    url = config.colab_url("notebooks/01_cgan_basics.ipynb")
    slug = config.REPO_URL.removeprefix("https://github.com/")
    assert url == (
        f"https://colab.research.google.com/github/{slug}/blob/{config.REPO_BRANCH}/"
        "notebooks/01_cgan_basics.ipynb"
    )
    assert config.pip_spec().startswith(f"git+{config.REPO_URL}")

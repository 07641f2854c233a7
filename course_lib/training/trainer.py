"""The training loop shared by the course's models: progress bar, checkpoints, resume.

Each model (:class:`~course_lib.training.pix2pix.Pix2Pix`, :class:`~course_lib.training.cyclegan.
CycleGAN`, :class:`~course_lib.training.cgan.ConditionalGAN`) implements ``train_step(batch)``
and lists its networks and optimisers; :class:`GANTrainer` does the rest.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..i18n import _
from .common import (
    AmpHelper,
    History,
    configure_backends,
    linear_decay,
    load_checkpoint,
    save_checkpoint,
)

__all__ = ["GANTrainer"]


class GANTrainer:
    """Base class: networks, optimisers, mixed precision, schedule, history and checkpoints.

    Subclasses set ``self.networks`` (name -> module) and ``self.optimizers`` (name -> optimiser)
    in their constructor and implement :meth:`train_step`.
    """

    networks: dict[str, nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]

    def __init__(self, device: torch.device | str | None = None, amp: bool | None = None) -> None:
        from ..utils import get_device

        self.device = torch.device(device) if device is not None else get_device()
        configure_backends(self.device)
        self.amp = AmpHelper(self.device, amp)
        self.history = History()
        self.iteration = 0
        self.epoch = 0
        self.schedulers: dict[str, torch.optim.lr_scheduler.LRScheduler] = {}

    # -- to be provided by each model -------------------------------------------------------
    def train_step(self, batch: Any) -> dict[str, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def config_dict(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------------
    def to_device(self, x: torch.Tensor) -> torch.Tensor:
        """Move a batch to the training device (non-blocking from pinned memory)."""
        return x.to(self.device, non_blocking=True)

    def use_linear_decay(self, n_epochs: int, n_epochs_decay: int) -> None:
        """Adopt the official schedule: constant for ``n_epochs``, then linear decay."""
        rule = linear_decay(n_epochs, n_epochs_decay)
        self.schedulers = {
            name: torch.optim.lr_scheduler.LambdaLR(opt, rule)
            for name, opt in self.optimizers.items()
        }

    def learning_rates(self) -> dict[str, float]:
        return {name: opt.param_groups[0]["lr"] for name, opt in self.optimizers.items()}

    def train(self, mode: bool = True) -> GANTrainer:
        for net in self.networks.values():
            net.train(mode)
        return self

    # -- checkpoints -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "config": self.config_dict(),
            "iteration": self.iteration,
            "epoch": self.epoch,
            "networks": {k: v.state_dict() for k, v in self.networks.items()},
            "optimizers": {k: v.state_dict() for k, v in self.optimizers.items()},
            "schedulers": {k: v.state_dict() for k, v in self.schedulers.items()},
            "amp": self.amp.state_dict(),
            "history": dict(self.history),
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Save everything needed to resume: weights, optimisers, schedule, history, RNGs."""
        return save_checkpoint(path, self.state_dict())

    def load(self, path: str | os.PathLike) -> GANTrainer:
        """Resume from :meth:`save`'s file (same configuration required)."""
        state = load_checkpoint(path, map_location=self.device)
        if state.get("config") != self.config_dict():
            raise ValueError(
                f"checkpoint {path} was written with a different configuration:\n"
                f"  checkpoint: {state.get('config')}\n  this model: {self.config_dict()}"
            )
        for k, net in self.networks.items():
            net.load_state_dict(state["networks"][k])
        for k, opt in self.optimizers.items():
            opt.load_state_dict(state["optimizers"][k])
        for k, sched in self.schedulers.items():
            if k in state.get("schedulers", {}):
                sched.load_state_dict(state["schedulers"][k])
        self.amp.load_state_dict(state.get("amp", {}))
        self.history = History(state.get("history"))
        self.iteration = int(state["iteration"])
        self.epoch = int(state["epoch"])
        return self

    # -- the loop ----------------------------------------------------------------------------
    def fit(
        self,
        loader: Iterable[Any],
        epochs: int = 1,
        max_iterations: int | None = None,
        checkpoint: str | os.PathLike | None = None,
        checkpoint_every: int = 200,
        callback: Callable[[GANTrainer], None] | None = None,
        callback_every: int = 100,
        progress: bool = True,
    ) -> History:
        """Train for ``epochs`` epochs (or ``max_iterations`` in all); return the history.

        With ``checkpoint`` set, training resumes from that file if it exists (so re-running the
        cell after a Colab disconnect continues where it stopped) and saves it every
        ``checkpoint_every`` iterations and at the end. ``callback(trainer)`` runs every
        ``callback_every`` iterations (e.g. to show an image grid). With ``progress``, a resumed
        run says so in one line (in the course's language) above the progress bar.
        """
        from tqdm.auto import tqdm

        if checkpoint is not None and Path(checkpoint).is_file():
            self.load(checkpoint)
            if progress:
                print(
                    _("resumed from the checkpoint {path} at iteration {iteration}").format(
                        path=checkpoint, iteration=self.iteration
                    )
                )
        try:
            per_epoch = len(loader)  # type: ignore[arg-type]
        except TypeError:
            per_epoch = None
        total = epochs * per_epoch if per_epoch is not None else None
        if max_iterations is not None:
            total = max_iterations if total is None else min(total, max_iterations)
        bar = tqdm(
            total=total,
            initial=min(self.iteration, total or self.iteration),
            disable=not progress,
            desc=type(self).__name__,
            leave=True,
        )
        self.train(True)
        try:
            while self.epoch < epochs and (total is None or self.iteration < total):
                for batch in loader:
                    if total is not None and self.iteration >= total:
                        break
                    self.history.log(self.train_step(batch))
                    self.iteration += 1
                    bar.update(1)
                    if self.iteration % 10 == 0:
                        bar.set_postfix(self.history.last(10), refresh=False)
                    if callback is not None and self.iteration % callback_every == 0:
                        callback(self)
                    if checkpoint is not None and self.iteration % checkpoint_every == 0:
                        self.save(checkpoint)
                else:
                    self.epoch += 1
                    for sched in self.schedulers.values():
                        sched.step()
                    continue
                break
        finally:
            bar.close()
        if checkpoint is not None:
            self.save(checkpoint)
        return self.history

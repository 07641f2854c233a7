"""Pieces shared by the training loops: mixed precision, checkpoints, schedules, histories."""

from __future__ import annotations

import contextlib
import os
import random
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = [
    "AmpHelper",
    "History",
    "set_requires_grad",
    "linear_decay",
    "save_checkpoint",
    "load_checkpoint",
    "gan_criterion",
    "configure_backends",
    "make_adam",
]


def configure_backends(device: torch.device) -> None:
    """Backend settings that speed training up without changing the mathematics.

    On CUDA: cuDNN autotuning (fixed input sizes) and TF32 matmuls/convolutions on GPUs that have
    them. On the CPU nothing is changed.
    """
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True


def make_adam(
    params: Iterable[nn.Parameter],
    lr: float,
    betas: tuple[float, float],
    device: torch.device,
    fused: bool = True,
) -> torch.optim.Adam:
    """``torch.optim.Adam`` with the same update rule, as one fused kernel where torch has one.

    The fused implementation (CPU and CUDA) updates every parameter in a single pass over its
    memory instead of one elementwise operation after another; on the CPU the unfused default
    runs a Python loop over the parameters, which costs about a sixth of a Pix2Pix step at
    256x256. ``fused=False`` gives torch's default implementation (the same mathematics; the
    results agree to rounding).
    """
    params = list(params)
    if fused and device.type in ("cpu", "cuda"):
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=True)
    return torch.optim.Adam(params, lr=lr, betas=betas)


def gan_criterion(mode: str) -> nn.Module:
    """The official ``GANLoss`` modes: ``"vanilla"`` -> BCE with logits, ``"lsgan"`` -> MSE."""
    if mode == "vanilla":
        return nn.BCEWithLogitsLoss()
    if mode == "lsgan":
        return nn.MSELoss()
    raise ValueError(f"gan_mode must be 'vanilla' or 'lsgan', got {mode!r}")


def set_requires_grad(nets: nn.Module | list[nn.Module], requires_grad: bool) -> None:
    """Freeze or unfreeze networks (the official code freezes D while G is updated)."""
    for net in nets if isinstance(nets, list) else [nets]:
        for p in net.parameters():
            p.requires_grad_(requires_grad)


def linear_decay(n_epochs: int, n_epochs_decay: int, epoch_count: int = 1):
    """The official ``linear`` learning-rate rule as a ``LambdaLR`` factor of the epoch index.

    Constant for ``n_epochs`` epochs, then linear decay over ``n_epochs_decay`` epochs:
    ``1 - max(0, epoch + epoch_count - n_epochs) / (n_epochs_decay + 1)`` (it never reaches 0).
    """

    def factor(epoch: int) -> float:
        return 1.0 - max(0, epoch + epoch_count - n_epochs) / float(n_epochs_decay + 1)

    return factor


class AmpHelper:
    """Mixed precision on CUDA, plain float32 elsewhere.

    Uses bfloat16 autocast where the GPU supports it (no loss scaling needed), otherwise float16
    with one ``GradScaler`` per optimiser (e.g. the T4 of free Colab). On the CPU it is a no-op:
    results are identical to code without it.
    """

    def __init__(self, device: torch.device, enabled: bool | None = None) -> None:
        self.device = device
        self.enabled = (device.type == "cuda") if enabled is None else enabled
        if self.enabled and device.type != "cuda":
            raise ValueError("mixed precision is only used on CUDA devices")
        self.dtype = torch.float32
        if self.enabled:
            self.dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        self._scalers: dict[str, torch.amp.GradScaler] = {}

    def autocast(self):
        """Context manager for the forward passes."""
        if not self.enabled:
            return contextlib.nullcontext()
        return torch.autocast(device_type="cuda", dtype=self.dtype)

    def _scaler(self, name: str) -> torch.amp.GradScaler:
        if name not in self._scalers:
            use = self.enabled and self.dtype == torch.float16
            self._scalers[name] = torch.amp.GradScaler("cuda", enabled=use)
        return self._scalers[name]

    def backward_step(
        self, loss: torch.Tensor, optimizer: torch.optim.Optimizer, name: str
    ) -> None:
        """``loss.backward(); optimizer.step()``, with loss scaling when float16 needs it."""
        scaler = self._scaler(name)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    def state_dict(self) -> dict[str, Any]:
        return {name: s.state_dict() for name, s in self._scalers.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name, s in state.items():
            self._scaler(name).load_state_dict(s)


class History(defaultdict):
    """Loss values per name, one per iteration: ``history["loss_D"]`` is a list of floats."""

    def __init__(self, data: dict[str, list[float]] | None = None) -> None:
        super().__init__(list)
        for key, values in (data or {}).items():
            self[key] = list(values)

    def log(self, values: dict[str, float]) -> None:
        for key, value in values.items():
            self[key].append(float(value))

    def last(self, n: int = 1) -> dict[str, float]:
        """Mean of the last ``n`` values of each curve."""
        return {k: float(np.mean(v[-n:])) for k, v in self.items() if v}


def _rng_state() -> dict[str, Any]:
    state = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Write ``state`` (plus the random generators' states) atomically to ``path``.

    The file is written next to its destination and renamed into place, so a Colab disconnect
    in the middle of a save leaves the previous checkpoint intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = dict(state, rng=_rng_state())
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def load_checkpoint(path: str | os.PathLike, map_location: Any = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` and restore the random generators."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as exc:  # a truncated or foreign file
        raise ValueError(f"{path} is not a readable checkpoint: {exc}") from exc
    if not isinstance(state, dict) or "iteration" not in state:
        raise ValueError(f"{path} is not a course checkpoint (no 'iteration' entry)")
    if "rng" in state:
        _set_rng_state(state["rng"])
    return state

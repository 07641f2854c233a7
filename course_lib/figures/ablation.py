"""Figures of lesson 03 (the L1 vs L2 ablation): outputs per objective, metric bars and colour
histograms (the paper's figure 7, per RGB channel)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from ..i18n import N_, _

__all__ = ["outputs_by_objective", "metric_bars", "colour_histograms"]

_TARGET_STYLE = {"color": "black", "linestyle": "--", "linewidth": 2}


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def plain_log_label(label: str) -> str:
    """A log axis' mathtext tick label as plain text: ``$\\mathdefault{2\\times10^{-3}}$`` ->
    ``2×10⁻³``. Mathtext draws its minus sign with the main font only, and Nanum Gothic (the
    Korean edition's font) has none; plain text falls back to DejaVu Sans glyph by glyph."""
    import re

    match = re.fullmatch(r"\$\\mathdefault\{(.*)\}\$", label)
    if not match:
        return label
    text = match.group(1).replace("\\times", "×").replace("\\cdot", "·")
    return re.sub(r"\^\{([-0-9]+)\}", lambda m: m.group(1).translate(_SUPERSCRIPTS), text)


def _log_formatter(**kwargs: object):  # noqa: ANN202 - a matplotlib Formatter
    from matplotlib.ticker import LogFormatterSciNotation

    class PlainLogFormatter(LogFormatterSciNotation):
        def __call__(self, x: float, pos: int | None = None) -> str:
            return plain_log_label(super().__call__(x, pos))

    return PlainLogFormatter(**kwargs)


def outputs_by_objective(
    inputs: torch.Tensor,
    outputs: Mapping[str, torch.Tensor],
    targets: torch.Tensor,
    n: int = 5,
    title: str | None = None,
):
    """Columns of test examples; rows: the input, each objective's output, the target."""
    from .pix2pix import image_rows

    rows = [inputs, *outputs.values(), targets]
    names = [_("input"), *(_(name) for name in outputs), _("target")]
    return image_rows(rows, names, n=n, title=title, size=1.7)


def metric_bars(
    rows: Mapping[str, Mapping[str, float]],
    columns: Mapping[str, tuple[str, str, str]],
    reference: str | None = N_("real photos"),
):
    """One panel per metric, one bar per objective; the ``reference`` row (the real photos)
    is drawn as a dashed line instead of a bar. Headings, names and the reference are shown in
    the course's language. Returns the figure."""
    import matplotlib.pyplot as plt

    keys = [k for k in columns if any(k in row for row in rows.values())]
    names = [name for name in rows if name != reference]
    fig, axes = plt.subplots(1, len(keys), figsize=(3.3 * len(keys), 3.9), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, key in zip(axes[0], keys):
        heading, _fmt, better = columns[key]
        values = [rows[name].get(key, float("nan")) for name in names]
        ax.bar(range(len(names)), values, color=colours[: len(names)])
        if reference in rows and key in rows[reference]:
            ax.axhline(rows[reference][key], **_TARGET_STYLE, label=_(reference))
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels([_(name) for name in names], rotation=45, ha="right")
        ax.set_title(f"{_(heading)}\n({_(better)})", fontsize=13)
    if reference in rows:
        axes[0, 0].legend(loc="lower left", fontsize=11)
    fig.tight_layout()
    return fig


def colour_histograms(
    outputs: Mapping[str, torch.Tensor],
    targets: torch.Tensor,
    bins: int = 32,
    channels: Sequence[str] = (N_("red"), N_("green"), N_("blue")),
):
    """Histograms (log scale) of each RGB channel's values over all pixels: every objective's
    outputs against the real photos (dashed). Washed-out outputs pile up in the middle bins."""
    import matplotlib.pyplot as plt
    import numpy as np

    edges = np.linspace(-1, 1, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    fig, axes = plt.subplots(1, len(channels), figsize=(4.6 * len(channels), 3.8), sharey=True)

    def density(images: torch.Tensor, c: int) -> np.ndarray:
        values = images[:, c].clamp(-1, 1).reshape(-1).numpy()
        hist, _edges = np.histogram(values, bins=edges)
        return np.maximum(hist / max(1, hist.sum()), 1e-5)

    for c, (ax, name) in enumerate(zip(axes, channels)):
        for label, images in outputs.items():
            ax.plot(centres, density(images, c), linewidth=2, label=_(label))
        ax.plot(centres, density(targets, c), **_TARGET_STYLE, label=_("real photos"))
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(_log_formatter())
        ax.yaxis.set_minor_formatter(_log_formatter(labelOnlyBase=False))
        ax.set_title(_("{channel} channel").format(channel=_(name)))
        ax.set_xlabel(_("value"))
    axes[0].set_ylabel(_("fraction of pixels"))
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    return fig

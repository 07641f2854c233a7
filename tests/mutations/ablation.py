"""Mutants and alternatives of the L1-vs-L2 ablation exercises."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .cases import alternative, mutant

# --------------------------------------------------------------------------- per_pixel_l1
E = "ablation.per_pixel_l1"


@alternative(E)
def l1_functional(output, target):
    return F.l1_loss(output, target)


@alternative(E)
def l1_by_hand(output, target):
    return torch.sum(torch.abs(target - output)) / output.numel()


@mutant(E, "sums the differences")
def l1_sum(output, target):
    return (output - target).abs().sum()


@mutant(E, "squares the differences")
def l1_squared(output, target):
    return F.mse_loss(output, target)


@mutant(E, "forgets the absolute value")
def l1_no_abs(output, target):
    return (output - target).mean()


@mutant(E, "rescales the images to [0, 1]")
def l1_rescaled(output, target):
    return ((output + 1) / 2 - (target + 1) / 2).abs().mean()


@mutant(E, "Python number", "0-dim tensor")
def l1_item(output, target):
    return (output - target).abs().mean().item()


@mutant(E, "sums the per-image means")
def l1_per_image_sum(output, target):
    return (output - target).abs().mean(dim=(1, 2, 3)).sum()


# --------------------------------------------------------------------------- high frequencies
E = "ablation.high_frequency_energy"


@alternative(E)
def hf_slices(images):
    x = images
    lap = (x[:, :, :-2, 1:-1] + x[:, :, 2:, 1:-1] + x[:, :, 1:-1, :-2] + x[:, :, 1:-1, 2:]
           - 4 * x[:, :, 1:-1, 1:-1])  # fmt: skip
    return lap.pow(2).mean()


@alternative(E)
def hf_negated_kernel_reshape(images):
    n, c, h, w = images.shape
    kernel = -torch.tensor(
        [[0.0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=images.dtype, device=images.device
    )
    response = F.conv2d(images.reshape(n * c, 1, h, w), kernel.view(1, 1, 3, 3))
    return (response * response).mean()


@mutant(E, "float64", "must take the input's dtype and device")
def hf_kernel_float32(images):
    c = images.shape[1]
    kernel = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]).to(images.device)
    response = F.conv2d(images, kernel.expand(c, 1, 3, 3), groups=c)
    return response.pow(2).mean()


@mutant(E, "pads the images with zeros")
def hf_zero_padding(images):
    c = images.shape[1]
    kernel = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]).repeat(c, 1, 1, 1)
    return F.conv2d(images, kernel.to(images.device), padding=1, groups=c).pow(2).mean()


@mutant(E, "mean of the squared response")
def hf_abs(images):
    x = images
    lap = (x[:, :, :-2, 1:-1] + x[:, :, 2:, 1:-1] + x[:, :, 1:-1, :-2] + x[:, :, 1:-1, 2:]
           - 4 * x[:, :, 1:-1, 1:-1])  # fmt: skip
    return lap.abs().mean()


@mutant(E, "8-neighbour Laplacian")
def hf_eight_neighbours(images):
    c = images.shape[1]
    kernel = torch.ones(c, 1, 3, 3, device=images.device)
    kernel[:, :, 1, 1] = -8
    return F.conv2d(images, kernel, groups=c).pow(2).mean()


@mutant(E, "rescales the images to [0, 1]")
def hf_rescaled(images):
    return hf_slices((images + 1) / 2)


@mutant(E, "mixes the channels")
def hf_no_groups(images):
    c = images.shape[1]
    kernel = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]], device=images.device)
    return F.conv2d(images, kernel.expand(1, c, 3, 3)).pow(2).mean()


@mutant(E, "averages the channels first")
def hf_grayscale(images):
    return hf_slices(images.mean(dim=1, keepdim=True))


# --------------------------------------------------------------------------- sharpness ratio
E = "ablation.sharpness_ratio"


@alternative(E)
def sharpness_inline(outputs, targets):
    def energy(x):
        lap = (x[:, :, :-2, 1:-1] + x[:, :, 2:, 1:-1] + x[:, :, 1:-1, :-2] + x[:, :, 1:-1, 2:]
               - 4 * x[:, :, 1:-1, 1:-1])  # fmt: skip
        return (lap**2).mean()

    return energy(outputs) / energy(targets)


@alternative(E)
def sharpness_with_helper(outputs, targets):
    return hf_negated_kernel_reshape(outputs) / hf_negated_kernel_reshape(targets)


@mutant(E, "upside down")
def sharpness_inverted(outputs, targets):
    return hf_slices(targets) / hf_slices(outputs)


@mutant(E, "subtracts the energies")
def sharpness_difference(outputs, targets):
    return hf_slices(outputs) - hf_slices(targets)


@mutant(E, "averages per-image ratios")
def sharpness_per_image(outputs, targets):
    pairs = zip(outputs, targets, strict=True)
    ratios = [hf_slices(o[None]) / hf_slices(t[None]) for o, t in pairs]
    return torch.stack(ratios).mean()


@mutant(E, "square root")
def sharpness_sqrt(outputs, targets):
    return torch.sqrt(hf_slices(outputs) / hf_slices(targets))


@mutant(E, "returns a torch.int64")
def sharpness_rounded(outputs, targets):
    return (hf_slices(outputs) / hf_slices(targets)).round().long()


# --------------------------------------------------------------------------- saturation
# A composite whose helper cell never finished: high_frequency_energy is not defined.
_NO_HELPER: dict = {"__name__": "notebook"}
exec(
    """
def sharpness_helper_missing(outputs, targets):
    return high_frequency_energy(outputs) / high_frequency_energy(targets)
""",
    _NO_HELPER,
)
alternative("ablation.sharpness_ratio")(_NO_HELPER["sharpness_helper_missing"])


E = "ablation.mean_saturation"


@alternative(E)
def saturation_one_minus(images):
    rgb = ((images + 1) / 2).clamp(0, 1)
    mx, mn = rgb.amax(dim=1), rgb.amin(dim=1)
    return torch.where(mx > 0, 1 - mn / mx.clamp(min=1e-8), torch.zeros_like(mx)).mean()


@alternative(E)
def saturation_epsilon(images):
    rgb = torch.clamp((images + 1) * 0.5, min=0.0, max=1.0)
    mx, mn = rgb.max(1).values, rgb.min(1).values
    return ((mx - mn) / (mx + 1e-9)).mean()


@mutant(E, "Black pixels", "dividing by zero")
def saturation_nan(images):
    rgb = (images + 1) / 2
    mx, mn = rgb.amax(dim=1), rgb.amin(dim=1)
    return ((mx - mn) / mx).mean()


@mutant(E, "map the images to [0, 1] first")
def saturation_no_mapping(images):
    mx, mn = images.amax(dim=1), images.amin(dim=1)
    return torch.where(mx != 0, (mx - mn) / torch.where(mx != 0, mx, 1), 0.0).mean()


@mutant(E, "(the chroma)")
def saturation_chroma(images):
    rgb = (images + 1) / 2
    return (rgb.amax(dim=1) - rgb.amin(dim=1)).mean()


@mutant(E, "HSL saturation")
def saturation_hsl(images):
    rgb = (images + 1) / 2
    mx, mn = rgb.amax(dim=1), rgb.amin(dim=1)
    light = (mx + mn) / 2
    denom = 1 - (2 * light - 1).abs()
    return torch.where(denom > 0, (mx - mn) / denom.clamp_min(1e-12), torch.zeros_like(mx)).mean()


@mutant(E, "over the width")
def saturation_last_axis(images):
    rgb = (images + 1) / 2
    mx, mn = rgb.amax(dim=-1), rgb.amin(dim=-1)
    return torch.where(mx > 0, (mx - mn) / mx.clamp_min(1e-12), torch.zeros_like(mx)).mean()


@mutant(E, "over the batch")
def saturation_batch_axis(images):
    rgb = (images + 1) / 2
    mx, mn = rgb.amax(dim=0), rgb.amin(dim=0)
    return torch.where(mx > 0, (mx - mn) / mx.clamp_min(1e-12), torch.zeros_like(mx)).mean()


# --------------------------------------------------------------------------- histogram distance
@mutant(E, "does not clamp", "clamp the values to [0, 1]")
def saturation_no_clamp(images):
    rgb = (images + 1) / 2
    mx, mn = rgb.amax(dim=1), rgb.amin(dim=1)
    return torch.where(mx > 0, (mx - mn) / mx.clamp(min=1e-12), torch.zeros_like(mx)).mean()


E = "ablation.colour_histogram_distance"


@alternative(E)
def histogram_intersection(outputs, targets, bins=16):
    distances = []
    for c in range(outputs.shape[1]):
        p = torch.histc(outputs[:, c].clamp(-1, 1), bins=bins, min=-1, max=1)
        q = torch.histc(targets[:, c].clamp(-1, 1), bins=bins, min=-1, max=1)
        distances.append(1 - torch.minimum(p / p.sum(), q / q.sum()).sum())
    return sum(distances) / len(distances)


@alternative(E)
def histogram_bucketize(outputs, targets, bins=16):
    edges = torch.linspace(-1, 1, bins + 1, device=outputs.device)[1:-1]

    def hist(x):
        idx = torch.bucketize(x.reshape(-1), edges, right=True)
        counts = torch.bincount(idx, minlength=bins).float()
        return counts / counts.sum()

    c = outputs.shape[1]
    return torch.stack(
        [0.5 * (hist(outputs[:, i]) - hist(targets[:, i])).abs().sum() for i in range(c)]
    ).mean()


def _hist(x, bins=16, low=-1.0):
    h = torch.histc(x, bins=bins, min=low, max=1)
    return h / h.sum()


@mutant(E, "compares raw counts")
def histogram_counts(outputs, targets, bins=16):
    d = [0.5 * (torch.histc(outputs[:, c], bins, -1, 1) - torch.histc(targets[:, c], bins, -1, 1))
         .abs().sum() for c in range(outputs.shape[1])]  # fmt: skip
    return torch.stack(d).mean()


@mutant(E, "half of it")
def histogram_no_half(outputs, targets, bins=16):
    d = [(_hist(outputs[:, c], bins) - _hist(targets[:, c], bins)).abs().sum()
         for c in range(outputs.shape[1])]  # fmt: skip
    return torch.stack(d).mean()


@mutant(E, "pools all channels")
def histogram_pooled(outputs, targets, bins=16):
    return 0.5 * (_hist(outputs, bins) - _hist(targets, bins)).abs().sum()


@mutant(E, "bins the range [0, 1]")
def histogram_unit_range(outputs, targets, bins=16):
    d = [0.5 * (_hist(outputs[:, c].clamp(0, 1), bins, 0.0)
                - _hist(targets[:, c].clamp(0, 1), bins, 0.0)).abs().sum()
         for c in range(outputs.shape[1])]  # fmt: skip
    return torch.stack(d).mean()


@mutant(E, "ignores the `bins` argument")
def histogram_fixed_bins(outputs, targets, bins=16):
    d = [0.5 * (_hist(outputs[:, c]) - _hist(targets[:, c])).abs().sum()
         for c in range(outputs.shape[1])]  # fmt: skip
    return torch.stack(d).mean()


@mutant(E, "sums the channels' distances")
def histogram_sum_channels(outputs, targets, bins=16):
    d = [0.5 * (_hist(outputs[:, c], bins) - _hist(targets[:, c], bins)).abs().sum()
         for c in range(outputs.shape[1])]  # fmt: skip
    return torch.stack(d).sum()


# --------------------------------------------------------------------------- label accuracy
@mutant(E, "does not clamp", "fall out of every bin")
def histogram_no_clamp(outputs, targets, bins=16):
    distances = [
        0.5 * (_hist(outputs[:, c], bins) - _hist(targets[:, c], bins)).abs().sum()
        for c in range(outputs.shape[1])
    ]
    return torch.stack(distances).mean()


E = "ablation.label_accuracy"


@alternative(E)
def accuracy_divide(pred_indices, true_indices):
    return (pred_indices == true_indices).sum() / pred_indices.numel()


@alternative(E)
def accuracy_per_image(pred_indices, true_indices):
    return (pred_indices == true_indices).float().flatten(1).mean(1).mean()


@mutant(E, "counts the equal positions")
def accuracy_count(pred_indices, true_indices):
    return (pred_indices == true_indices).sum().float()


@mutant(E, "percentage")
def accuracy_percent(pred_indices, true_indices):
    return 100.0 * (pred_indices == true_indices).float().mean()


@mutant(E, "divides by the batch size")
def accuracy_batch(pred_indices, true_indices):
    return (pred_indices == true_indices).sum() / len(pred_indices)


@mutant(E, "error rate")
def accuracy_error(pred_indices, true_indices):
    return (pred_indices != true_indices).float().mean()


@mutant(E, "floating-point tensor")
def accuracy_integer_division(pred_indices, true_indices):
    return (pred_indices == true_indices).sum() // pred_indices.numel()


@mutant(E, "Python number")
def accuracy_float(pred_indices, true_indices):
    return (pred_indices == true_indices).float().mean().item()


# --------------------------------------------------------------------------- get_recon_criterion
E = "ablation.get_recon_criterion"


@alternative(E)
def recon_modules(kind):
    if kind == "l1":
        return nn.L1Loss()
    if kind == "l2":
        return nn.MSELoss()
    raise ValueError(f"kind must be 'l1' or 'l2', got {kind!r}")


@alternative(E)
def recon_lambdas(kind):
    criteria = {
        "l1": lambda output, target: (output - target).abs().mean(),
        "l2": lambda output, target: ((output - target) ** 2).mean(),
    }
    if kind not in criteria:
        raise ValueError(f"unknown kind {kind!r}; choose one of {sorted(criteria)}")
    return criteria[kind]


@mutant(E, "swaps the kinds")
def recon_swapped(kind):
    if kind == "l1":
        return nn.MSELoss()
    if kind == "l2":
        return nn.L1Loss()
    raise ValueError("kind must be 'l1' or 'l2'")


@mutant(E, "sums over the elements")
def recon_sum(kind):
    if kind == "l1":
        return nn.L1Loss(reduction="sum")
    if kind == "l2":
        return nn.MSELoss(reduction="sum")
    raise ValueError("kind must be 'l1' or 'l2'")


@mutant(E, "raises KeyError")
def recon_dict(kind):
    return {"l1": nn.L1Loss(), "l2": nn.MSELoss()}[kind]


@mutant(E, "not a criterion", "L1Loss()")
def recon_class(kind):
    if kind == "l1":
        return nn.L1Loss
    if kind == "l2":
        return nn.MSELoss
    raise ValueError("kind must be 'l1' or 'l2'")


@mutant(E, "should raise a ValueError")
def recon_default(kind):
    return nn.L1Loss() if kind != "l2" else nn.MSELoss()


@mutant(E, "name the allowed kinds")
def recon_vague_error(kind):
    if kind == "l1":
        return nn.L1Loss()
    if kind == "l2":
        return nn.MSELoss()
    raise ValueError("unknown kind")

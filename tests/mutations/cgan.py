"""Mutants and alternatives of the conditional-GAN exercises."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .cases import alternative, mutant

# --------------------------------------------------------------------------- get_one_hot_labels
E = "cgan.get_one_hot_labels"


@alternative(E)
def one_hot_functional(labels, n_classes):
    return F.one_hot(labels, n_classes)


@alternative(E)
def one_hot_eye(labels, n_classes):
    return torch.eye(n_classes, device=labels.device)[labels]


@alternative(E)
def one_hot_compare(labels, n_classes):
    return labels.unsqueeze(1) == torch.arange(n_classes, device=labels.device)


@alternative(E)
def one_hot_scatter(labels, n_classes):
    out = torch.zeros(len(labels), n_classes, device=labels.device)
    return out.scatter_(1, labels.unsqueeze(1), 1.0)


@mutant(E, "one per label seen", "n_classes")
def one_hot_without_n_classes(labels, n_classes):
    return F.one_hot(labels)


@mutant(E, "transposed")
def one_hot_transposed(labels, n_classes):
    return F.one_hot(labels, n_classes).T


@mutant(E, "expected (", "n_classes columns")
def one_hot_extra_column(labels, n_classes):
    return F.one_hot(labels, n_classes + 1)


@mutant(E, "wrong column")
def one_hot_shifted(labels, n_classes):
    return F.one_hot((labels + 1) % n_classes, n_classes)


@mutant(E, "single 1 per row")
def one_hot_smoothed(labels, n_classes):
    return F.one_hot(labels, n_classes) * 0.9 + 0.1 / n_classes


@mutant(E, "expected (")
def one_hot_returns_labels(labels, n_classes):
    return labels


# --------------------------------------------------------------------------- combine_vectors
E = "cgan.combine_vectors"


@alternative(E)
def combine_cat_then_float(x, y):
    return torch.cat((x, y), dim=1).float()


@alternative(E)
def combine_hstack(x, y):
    return torch.hstack([x.float(), y.float()])


@alternative(E)
def combine_keep_double(x, y):
    dtype = x.dtype if x.is_floating_point() else torch.float32
    return torch.cat([x.to(dtype), y.to(dtype)], 1)


@mutant(E, "along dimension 0", "dim=1")
def combine_batch_dim(x, y):
    return torch.cat([x.float(), y.float()], 0)


@mutant(E, "along dimension", "dim=1")
def combine_last_dim(x, y):
    return torch.cat([x.float(), y.float()], -1)


@mutant(E, "y before x")
def combine_reversed(x, y):
    return torch.cat([y.float(), x.float()], 1)


@mutant(E, "torch.stack")
def combine_stack(x, y):
    return torch.stack([x.float(), y.float()], 1)


@mutant(E, "must be float")
def combine_no_float(x, y):
    return torch.cat([x, y], 1)


@mutant(E, "cuts the autograd graph")
def combine_numpy(x, y):
    both = np.concatenate([x.detach().cpu().numpy(), y.cpu().numpy()], axis=1)
    return torch.tensor(both, dtype=torch.float32, device=x.device)


@mutant(E, "cuts the autograd graph")
def combine_detached(x, y):
    return torch.cat([x.float(), y.float()], 1).detach()


# --------------------------------------------------------------------------- get_input_dimensions
E = "cgan.get_input_dimensions"


@alternative(E)
def dims_list(z_dim, mnist_shape, n_classes):
    return [z_dim + n_classes, mnist_shape[0] + n_classes]


@alternative(E)
def dims_numpy(z_dim, mnist_shape, n_classes):
    channels, _, _ = mnist_shape
    return np.int64(z_dim) + n_classes, np.int64(channels + n_classes)


@mutant(E, "swapped")
def dims_swapped(z_dim, mnist_shape, n_classes):
    return mnist_shape[0] + n_classes, z_dim + n_classes


@mutant(E, "z_dim + n_classes")
def dims_no_label_in_generator(z_dim, mnist_shape, n_classes):
    return z_dim, mnist_shape[0] + n_classes


@mutant(E, "mnist_shape[0] + n_classes")
def dims_no_label_in_discriminator(z_dim, mnist_shape, n_classes):
    return z_dim + n_classes, mnist_shape[0]


@mutant(E, "use mnist_shape[0]")
def dims_height(z_dim, mnist_shape, n_classes):
    return z_dim + n_classes, mnist_shape[1] + n_classes


@mutant(E, "z_dim + n_classes")
def dims_product(z_dim, mnist_shape, n_classes):
    return z_dim * n_classes, mnist_shape[0] + n_classes


@mutant(E, "two numbers")
def dims_single(z_dim, mnist_shape, n_classes):
    return z_dim + n_classes


# --------------------------------------------------------------------------- get_disc_loss
E = "cgan.get_disc_loss"


def _maps(one_hot, image):
    return one_hot[:, :, None, None].repeat(1, 1, image.shape[2], image.shape[3])


@alternative(E)
def disc_loss_repeat(gen, disc, real, one_hot_labels, noise, criterion):
    fake = gen(torch.cat([noise.float(), one_hot_labels.float()], 1))
    maps = _maps(one_hot_labels.float(), real)
    fake_pred = disc(torch.cat([fake.detach(), maps], 1))
    real_pred = disc(torch.cat([real, maps], 1))
    fake_loss = criterion(fake_pred, torch.zeros_like(fake_pred))
    real_loss = criterion(real_pred, torch.ones_like(real_pred))
    return (fake_loss + real_loss) / 2


@mutant(E, "batch of 4 images", "where `real` holds 2", "BatchNorm")
def disc_loss_one_batch(gen, disc, real, one_hot_labels, noise, criterion):
    with torch.no_grad():
        fake = gen(torch.cat([noise, one_hot_labels.float()], 1))
    images = torch.cat([fake, real])
    maps = _maps(one_hot_labels.float(), real).repeat(2, 1, 1, 1)
    pred = disc(torch.cat([images, maps], 1))
    target = torch.cat([torch.zeros(len(fake), 1), torch.ones(len(real), 1)]).to(pred.device)
    losses = torch.stack([criterion(pred[: len(fake)], target[: len(fake)]),
                          criterion(pred[len(fake):], target[len(fake):])])  # fmt: skip
    return losses.mean()


@mutant(E, "targets are swapped")
def disc_loss_swapped(gen, disc, real, one_hot_labels, noise, criterion):
    fake = gen(torch.cat([noise, one_hot_labels.float()], 1))
    maps = _maps(one_hot_labels.float(), real)
    fake_pred = disc(torch.cat([fake.detach(), maps], 1))
    real_pred = disc(torch.cat([real, maps], 1))
    return (criterion(fake_pred, torch.ones_like(fake_pred))
            + criterion(real_pred, torch.zeros_like(real_pred))) / 2  # fmt: skip


@mutant(E, "sends gradients into the generator", "fake.detach()")
def disc_loss_no_detach(gen, disc, real, one_hot_labels, noise, criterion):
    fake = gen(torch.cat([noise, one_hot_labels.float()], 1))
    maps = _maps(one_hot_labels.float(), real)
    fake_pred = disc(torch.cat([fake, maps], 1))
    real_pred = disc(torch.cat([real, maps], 1))
    return (criterion(fake_pred, torch.zeros_like(fake_pred))
            + criterion(real_pred, torch.ones_like(real_pred))) / 2  # fmt: skip


@mutant(E, "sum of the fake and real terms")
def disc_loss_sum(gen, disc, real, one_hot_labels, noise, criterion):
    fake = gen(torch.cat([noise, one_hot_labels.float()], 1)).detach()
    maps = _maps(one_hot_labels.float(), real)
    fake_pred = disc(torch.cat([fake, maps], 1))
    real_pred = disc(torch.cat([real, maps], 1))
    return criterion(fake_pred, torch.zeros_like(fake_pred)) + criterion(
        real_pred, torch.ones_like(real_pred)
    )


@mutant(E, "ignores the `criterion` argument", "BCEWithLogitsLoss")
def disc_loss_hardcoded_bce(gen, disc, real, one_hot_labels, noise, criterion):
    criterion = nn.BCEWithLogitsLoss()
    return disc_loss_repeat(gen, disc, real, one_hot_labels, noise, criterion)


@mutant(E, "applies a sigmoid")
def disc_loss_sigmoid(gen, disc, real, one_hot_labels, noise, criterion):
    fake = gen(torch.cat([noise, one_hot_labels.float()], 1)).detach()
    maps = _maps(one_hot_labels.float(), real)
    fake_pred = torch.sigmoid(disc(torch.cat([fake, maps], 1)))
    real_pred = torch.sigmoid(disc(torch.cat([real, maps], 1)))
    return (criterion(fake_pred, torch.zeros_like(fake_pred))
            + criterion(real_pred, torch.ones_like(real_pred))) / 2  # fmt: skip


@mutant(E, "label channels before the image")
def disc_loss_labels_first(gen, disc, real, one_hot_labels, noise, criterion):
    fake = gen(torch.cat([noise, one_hot_labels.float()], 1)).detach()
    maps = _maps(one_hot_labels.float(), real)
    fake_pred = disc(torch.cat([maps, fake], 1))
    real_pred = disc(torch.cat([maps, real], 1))
    return (criterion(fake_pred, torch.zeros_like(fake_pred))
            + criterion(real_pred, torch.ones_like(real_pred))) / 2  # fmt: skip


@mutant(E, "it calls .backward()")
def disc_loss_calls_backward(gen, disc, real, one_hot_labels, noise, criterion):
    loss = disc_loss_repeat(gen, disc, real, one_hot_labels, noise, criterion)
    loss.backward(retain_graph=True)
    return loss


@mutant(E, "Python number", ".item()")
def disc_loss_item(gen, disc, real, one_hot_labels, noise, criterion):
    return disc_loss_repeat(gen, disc, real, one_hot_labels, noise, criterion).item()


@mutant(E, "Sizes of tensors must match", "real.shape")
def disc_loss_fixed_size(gen, disc, real, one_hot_labels, noise, criterion):
    fake = gen(torch.cat([noise, one_hot_labels.float()], 1)).detach()
    maps = one_hot_labels.float()[:, :, None, None].repeat(1, 1, 28, 28)
    fake_pred = disc(torch.cat([fake, maps], 1))
    real_pred = disc(torch.cat([real, maps], 1))
    return (criterion(fake_pred, torch.zeros_like(fake_pred))
            + criterion(real_pred, torch.ones_like(real_pred))) / 2  # fmt: skip


# --------------------------------------------------------------------------- get_gen_loss
E = "cgan.get_gen_loss"


@alternative(E)
def gen_loss_repeat(gen, disc, one_hot_labels, noise, criterion):
    fake = gen(torch.cat([noise, one_hot_labels.float()], 1))
    pred = disc(torch.cat([fake, _maps(one_hot_labels.float(), fake)], 1))
    return criterion(pred, torch.ones_like(pred))


@alternative(E)
def gen_loss_expand_full(gen, disc, one_hot_labels, noise, criterion):
    fake = gen(torch.cat((noise, one_hot_labels), dim=1).float())
    n, k = one_hot_labels.shape
    maps = one_hot_labels.view(n, k, 1, 1).expand(n, k, *fake.shape[2:]).float()
    pred = disc(torch.cat((fake, maps), dim=1))
    return criterion(pred, torch.full(pred.shape, 1.0, device=pred.device))


@mutant(E, "target is ones")
def gen_loss_zeros(gen, disc, one_hot_labels, noise, criterion):
    fake = gen(torch.cat([noise, one_hot_labels.float()], 1))
    pred = disc(torch.cat([fake, _maps(one_hot_labels.float(), fake)], 1))
    return criterion(pred, torch.zeros_like(pred))


@mutant(E, "No gradient reaches `gen`")
def gen_loss_detached(gen, disc, one_hot_labels, noise, criterion):
    fake = gen(torch.cat([noise, one_hot_labels.float()], 1)).detach()
    pred = disc(torch.cat([fake, _maps(one_hot_labels.float(), fake)], 1))
    return criterion(pred, torch.ones_like(pred))


@mutant(E, "ignores the `criterion` argument", "MSELoss")
def gen_loss_hardcoded_mse(gen, disc, one_hot_labels, noise, criterion):
    return gen_loss_repeat(gen, disc, one_hot_labels, noise, nn.MSELoss())


@mutant(E, "criterion(prediction, target)")
def gen_loss_swapped_arguments(gen, disc, one_hot_labels, noise, criterion):
    fake = gen(torch.cat([noise, one_hot_labels.float()], 1))
    pred = disc(torch.cat([fake, _maps(one_hot_labels.float(), fake)], 1))
    return criterion(torch.ones_like(pred), pred)


@mutant(E, "noise first")
def gen_loss_labels_then_noise(gen, disc, one_hot_labels, noise, criterion):
    fake = gen(torch.cat([one_hot_labels.float(), noise], 1))
    pred = disc(torch.cat([fake, _maps(one_hot_labels.float(), fake)], 1))
    return criterion(pred, torch.ones_like(pred))


@mutant(E, "switches `disc` between train and eval mode")
def gen_loss_eval_mode(gen, disc, one_hot_labels, noise, criterion):
    disc.train()
    return gen_loss_repeat(gen, disc, one_hot_labels, noise, criterion)


# A composite whose helper cell never finished: combine_vectors is not defined in its globals.
_NO_HELPER: dict = {"torch": torch, "__name__": "notebook"}
exec(
    """
def disc_loss_helper_missing(gen, disc, real, one_hot_labels, noise, criterion):
    fake = gen(combine_vectors(noise, one_hot_labels))
    maps = one_hot_labels[:, :, None, None].float().expand(-1, -1, *real.shape[2:])
    fake_pred = disc(combine_vectors(fake.detach(), maps))
    real_pred = disc(combine_vectors(real, maps))
    return (criterion(fake_pred, torch.zeros_like(fake_pred))
            + criterion(real_pred, torch.ones_like(real_pred))) / 2
""",
    _NO_HELPER,
)
alternative("cgan.get_disc_loss")(_NO_HELPER["disc_loss_helper_missing"])


@mutant("cgan.get_gen_loss", "calls `gen` 2 times", "once", "dropout")
def gen_loss_generates_twice(gen, disc, one_hot_labels, noise, criterion):
    inputs = torch.cat([noise, one_hot_labels.float()], 1)
    fake = gen(inputs)
    fake = gen(inputs) if fake.requires_grad else fake
    maps = _maps(one_hot_labels.float(), fake)
    pred = disc(torch.cat([fake, maps], 1))
    return criterion(pred, torch.ones_like(pred))


@mutant("cgan.get_disc_loss", "with ones", "target is zeros")
def disc_loss_ones_for_both(gen, disc, real, one_hot_labels, noise, criterion):
    fake = gen(torch.cat([noise, one_hot_labels.float()], 1))
    maps = _maps(one_hot_labels.float(), real)
    fake_pred = disc(torch.cat([fake.detach(), maps], 1))
    real_pred = disc(torch.cat([real, maps], 1))
    return (criterion(fake_pred, torch.ones_like(fake_pred))
            + criterion(real_pred, torch.ones_like(real_pred))) / 2  # fmt: skip


@mutant("cgan.get_gen_loss", "noise.shape or one_hot_labels.shape")
def gen_loss_fixed_size(gen, disc, one_hot_labels, noise, criterion):
    fake = gen(torch.cat([noise, one_hot_labels.float()], 1))
    maps = one_hot_labels.float()[:, :, None, None].expand(-1, -1, 5, 5)
    pred = disc(torch.cat([fake, maps], 1))
    return criterion(pred, torch.ones_like(pred))

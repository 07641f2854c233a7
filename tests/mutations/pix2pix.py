"""Mutants and alternatives of the Pix2Pix exercises."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import course_lib.models as models

from .cases import alternative, mutant

# --------------------------------------------------------------------------- ContractingBlock
E = "pix2pix.ContractingBlock"


@alternative(E)
class ContractingStepByStep(models.ContractingBlock):
    def forward(self, x):
        x = self.activation(x)
        x = self.conv(x)
        return self.norm(x)


@alternative(E)
class ContractingStandalone(nn.Module):
    """A stand-alone module with the reference's constructor and submodule names."""

    def __init__(self, input_channels, output_channels, norm="batch", activation=True, bias=None):
        super().__init__()
        bias = (norm != "batch") if bias is None else bias
        self.activation = nn.LeakyReLU(0.2) if activation else nn.Identity()
        self.conv = nn.Conv2d(input_channels, output_channels, 4, 2, 1, bias=bias)
        self.norm = {
            "batch": lambda: nn.BatchNorm2d(output_channels),
            "instance": lambda: nn.InstanceNorm2d(output_channels),
            "none": nn.Identity,
        }[norm]()

    def forward(self, x):
        return self.norm(self.conv(self.activation(x)))


@mutant(E, "conv -> norm -> activation")
class ContractingDlaiOrder(models.ContractingBlock):
    def forward(self, x):
        return self.activation(self.norm(self.conv(x)))


@mutant(E, "skips the activation")
class ContractingNoActivation(models.ContractingBlock):
    def forward(self, x):
        return self.norm(self.conv(x))


@mutant(E, "skips the normalisation")
class ContractingNoNorm(models.ContractingBlock):
    def forward(self, x):
        return self.conv(self.activation(x))


@mutant(E, "uses ReLU")
class ContractingRelu(models.ContractingBlock):
    def forward(self, x):
        return self.norm(self.conv(torch.relu(x)))


@mutant(E, "calls course_lib's own solution")
class ContractingSuper(models.ContractingBlock):
    def forward(self, x):
        return super().forward(x)


@mutant(E, "calls course_lib's own solution")
class ContractingExplicitReference(models.ContractingBlock):
    def forward(self, x):
        return models.ContractingBlock.forward(self, x)


@mutant(E, "does not define forward")
class ContractingInherited(models.ContractingBlock):
    pass


@mutant(E, "modifies its input in place")
class ContractingInplace(models.ContractingBlock):
    def forward(self, x):
        return self.norm(self.conv(F.leaky_relu_(x, 0.2)))


@mutant(E, "detaches its input")
class ContractingDetached(models.ContractingBlock):
    def forward(self, x):
        return self.norm(self.conv(self.activation(x.detach())))


# --------------------------------------------------------------------------- ExpandingBlock
E = "pix2pix.ExpandingBlock"


@alternative(E)
class ExpandingStepByStep(models.ExpandingBlock):
    def forward(self, x, skip=None):
        x = self.activation(x)
        x = self.upconv(x)
        x = self.norm(x)
        x = self.dropout(x)
        x = self.output(x)
        if skip is not None:
            x = torch.cat((skip, x), dim=1)
        return x


@alternative(E)
class ExpandingSequential(models.ExpandingBlock):
    def forward(self, x, skip=None):
        up = nn.Sequential(self.activation, self.upconv, self.norm, self.dropout, self.output)(x)
        return up if skip is None else torch.cat([skip, up], 1)


@mutant(E, "concatenates [x, skip]", "skip comes first")
class ExpandingWrongOrder(models.ExpandingBlock):
    def forward(self, x, skip=None):
        x = self.output(self.dropout(self.norm(self.upconv(self.activation(x)))))
        return x if skip is None else torch.cat([x, skip], 1)


@mutant(E, "ignores the skip connection")
class ExpandingNoSkip(models.ExpandingBlock):
    def forward(self, x, skip=None):
        return self.output(self.dropout(self.norm(self.upconv(self.activation(x)))))


@mutant(E, "dropout before the norm")
class ExpandingDropoutFirst(models.ExpandingBlock):
    def forward(self, x, skip=None):
        x = self.output(self.norm(self.dropout(self.upconv(self.activation(x)))))
        return x if skip is None else torch.cat([skip, x], 1)


@mutant(E, "leaves out self.output")
class ExpandingNoTanh(models.ExpandingBlock):
    def forward(self, x, skip=None):
        x = self.dropout(self.norm(self.upconv(self.activation(x))))
        return x if skip is None else torch.cat([skip, x], 1)


@mutant(E, "raised on input #1", "RuntimeError")
class ExpandingCatBeforeUpsampling(models.ExpandingBlock):
    def forward(self, x, skip=None):
        if skip is not None:
            x = torch.cat([skip, x], 1)
        return self.output(self.dropout(self.norm(self.upconv(self.activation(x)))))


@mutant(E, "leaves out self.dropout")
class ExpandingNoDropout(models.ExpandingBlock):
    def forward(self, x, skip=None):
        x = self.output(self.norm(self.upconv(self.activation(x))))
        return x if skip is None else torch.cat([skip, x], 1)


# --------------------------------------------------------------------------- UNetGenerator
E = "pix2pix.UNetGenerator"


@alternative(E)
class UNetIndexed(models.UNetGenerator):
    def forward(self, x):
        features = []
        for block in self.contract:
            x = block(x)
            features.append(x)
        n = len(self.expand)
        for i, block in enumerate(self.expand):
            skip = features[n - 2 - i] if i < n - 1 else None
            x = block(x, skip)
        return x


@alternative(E)
class UNetZip(models.UNetGenerator):
    def forward(self, x):
        outputs = []
        for block in self.contract:
            x = block(x)
            outputs.append(x)
        skips = outputs[-2::-1] + [None]
        x = outputs[-1]
        for block, skip in zip(self.expand, skips, strict=True):
            x = block(x, skip)
        return x


@mutant(E, "last in, first out")
class UNetSkipsReversed(models.UNetGenerator):
    def forward(self, x):
        skips = []
        for block in self.contract:
            x = block(x)
            skips.append(x)
        x = skips.pop()
        for block in self.expand:
            x = block(x, skips.pop(0) if skips else None)
        return x


@mutant(E, "raised on input #1")
class UNetNoSkips(models.UNetGenerator):
    def forward(self, x):
        for block in self.contract:
            x = block(x)
        for block in self.expand:
            x = block(x)
        return x


@mutant(E, "detaches the skip connections")
class UNetDetachedSkips(models.UNetGenerator):
    def forward(self, x):
        skips = []
        for block in self.contract:
            x = block(x)
            skips.append(x.detach())
        x = skips.pop()
        for block in self.expand:
            x = block(x, skips.pop() if skips else None)
        return x


@mutant(E, "raised on input #1")
class UNetBottleneckAsSkip(models.UNetGenerator):
    def forward(self, x):
        skips = []
        for block in self.contract:
            x = block(x)
            skips.append(x)
        for block in self.expand:
            x = block(x, skips.pop() if skips else None)
        return x


@mutant(E, "calls course_lib's own solution")
class UNetSuper(models.UNetGenerator):
    def forward(self, x):
        return super().forward(x) * 1.0


@mutant(E, "wrong values")
class UNetTanhAgain(models.UNetGenerator):
    def forward(self, x):
        skips = []
        for block in self.contract:
            x = block(x)
            skips.append(x)
        x = skips.pop()
        for block in self.expand:
            x = block(x, skips.pop() if skips else None)
        return torch.tanh(x)


# --------------------------------------------------------------------------- PatchGAN
E = "pix2pix.PatchGANDiscriminator"


@alternative(E)
class PatchGANTupleCat(models.PatchGANDiscriminator):
    def forward(self, x, condition=None):
        inputs = x if condition is None else torch.cat((x, condition), dim=1)
        return self.model(inputs)


@alternative(E)
class PatchGANLayerByLayer(models.PatchGANDiscriminator):
    def forward(self, x, condition=None):
        if condition is not None:
            x = torch.cat([x, condition], axis=1)
        for layer in self.model:
            x = layer(x)
        return x


@mutant(E, "condition before the image")
class PatchGANConditionFirst(models.PatchGANDiscriminator):
    def forward(self, x, condition=None):
        if condition is not None:
            x = torch.cat([condition, x], 1)
        return self.model(x)


@mutant(E, "applies a sigmoid")
class PatchGANSigmoid(models.PatchGANDiscriminator):
    def forward(self, x, condition=None):
        if condition is not None:
            x = torch.cat([x, condition], 1)
        return torch.sigmoid(self.model(x))


@mutant(E, "one number per image")
class PatchGANMean(models.PatchGANDiscriminator):
    def forward(self, x, condition=None):
        if condition is not None:
            x = torch.cat([x, condition], 1)
        return self.model(x).mean(dim=(1, 2, 3))


@mutant(E, "raised on input #1")
class PatchGANIgnoresCondition(models.PatchGANDiscriminator):
    def forward(self, x, condition=None):
        return self.model(x)


@mutant(E, "raised on input #1")
class PatchGANBatchConcat(models.PatchGANDiscriminator):
    def forward(self, x, condition=None):
        if condition is not None:
            x = torch.cat([x, condition], 0)
        return self.model(x)


@mutant(E, "detaches the condition")
class PatchGANDetachedCondition(models.PatchGANDiscriminator):
    def forward(self, x, condition=None):
        if condition is not None:
            x = torch.cat([x, condition.detach()], 1)
        return self.model(x)


# --------------------------------------------------------------------------- receptive_field
E = "pix2pix.receptive_field"


@alternative(E)
def receptive_backward(kernel_sizes, strides):
    r = 1
    for k, s in zip(reversed(kernel_sizes), reversed(strides), strict=True):
        r = (r - 1) * s + k
    return r


@alternative(E)
def receptive_forward_jumps(kernel_sizes, strides):
    field, jump = 1, 1
    for k, s in zip(kernel_sizes, strides, strict=True):
        field += (k - 1) * jump
        jump *= s
    return field


@alternative(E)
def receptive_tensor(kernel_sizes, strides):
    k = torch.tensor(kernel_sizes)
    jumps = torch.cumprod(torch.tensor([1, *strides[:-1]]), 0)
    return 1 + ((k - 1) * jumps).sum()


@mutant(E, "first to last")
def receptive_forward_order(kernel_sizes, strides):
    r = 1
    for k, s in zip(kernel_sizes, strides, strict=True):
        r = (r - 1) * s + k
    return r


@mutant(E, "r * stride + kernel")
def receptive_no_minus_one(kernel_sizes, strides):
    r = 1
    for k, s in zip(kernel_sizes[::-1], strides[::-1], strict=True):
        r = r * s + k
    return r


@mutant(E, "ignores the strides")
def receptive_kernels_only(kernel_sizes, strides):
    return sum(kernel_sizes) - len(kernel_sizes) + 1


@mutant(E, "start from r = 1")
def receptive_start_zero(kernel_sizes, strides):
    r = 0
    for k, s in zip(kernel_sizes[::-1], strides[::-1], strict=True):
        r = (r - 1) * s + k
    return r


@mutant(E, "changes the lists it is given")
def receptive_reverse_in_place(kernel_sizes, strides):
    kernel_sizes.reverse()
    strides.reverse()
    r = 1
    for k, s in zip(kernel_sizes, strides, strict=True):
        r = (r - 1) * s + k
    return r


@mutant(E, "expected 70")
def receptive_hardcoded(kernel_sizes, strides):
    return 70 if len(kernel_sizes) != 5 else 71


# --------------------------------------------------------------------------- get_gen_loss
E = "pix2pix.get_gen_loss"


@alternative(E)
def gen_loss_official_order(gen, disc, real, condition, adv_criterion, recon_criterion,
                            lambda_recon):  # fmt: skip
    fake = gen(condition)
    pred = disc(fake, condition)
    return adv_criterion(pred, torch.ones_like(pred)) + lambda_recon * recon_criterion(fake, real)


@alternative(E)
def gen_loss_full_like(gen, disc, real, condition, adv_criterion, recon_criterion, lambda_recon):
    fake = gen(condition)
    pred = disc(fake, condition)
    adv = adv_criterion(pred, torch.full_like(pred, 1.0))
    recon = recon_criterion(real, fake)
    return recon * lambda_recon + adv


@mutant(E, "ignores `lambda_recon`", "hard-coded 100")
def gen_loss_lambda_100(gen, disc, real, condition, adv_criterion, recon_criterion, lambda_recon):
    fake = gen(condition)
    pred = disc(fake, condition)
    return adv_criterion(pred, torch.ones_like(pred)) + 100 * recon_criterion(real, fake)


@mutant(E, "target is ones")
def gen_loss_zeros(gen, disc, real, condition, adv_criterion, recon_criterion, lambda_recon):
    fake = gen(condition)
    pred = disc(fake, condition)
    return adv_criterion(pred, torch.zeros_like(pred)) + lambda_recon * recon_criterion(real, fake)


@mutant(E, "detaches the fake before the discriminator")
def gen_loss_detached_adv(gen, disc, real, condition, adv_criterion, recon_criterion,
                          lambda_recon):  # fmt: skip
    fake = gen(condition)
    pred = disc(fake.detach(), condition)
    return adv_criterion(pred, torch.ones_like(pred)) + lambda_recon * recon_criterion(real, fake)


@mutant(E, "compares the fake with the condition")
def gen_loss_recon_to_condition(gen, disc, real, condition, adv_criterion, recon_criterion,
                                lambda_recon):  # fmt: skip
    fake = gen(condition)
    pred = disc(fake, condition)
    return adv_criterion(pred, torch.ones_like(pred)) + lambda_recon * recon_criterion(
        condition, fake
    )


@mutant(E, "disc(image, condition), image first")
def gen_loss_disc_order(gen, disc, real, condition, adv_criterion, recon_criterion, lambda_recon):
    fake = gen(condition)
    pred = disc(condition, fake)
    return adv_criterion(pred, torch.ones_like(pred)) + lambda_recon * recon_criterion(real, fake)


@mutant(E, "ignores the `recon_criterion` argument", "L1Loss")
def gen_loss_hardcoded_l1(gen, disc, real, condition, adv_criterion, recon_criterion,
                          lambda_recon):  # fmt: skip
    fake = gen(condition)
    pred = disc(fake, condition)
    return adv_criterion(pred, torch.ones_like(pred)) + lambda_recon * (real - fake).abs().mean()


@mutant(E, "lambda_recon on the adversarial term")
def gen_loss_lambda_on_adv(gen, disc, real, condition, adv_criterion, recon_criterion,
                           lambda_recon):  # fmt: skip
    fake = gen(condition)
    pred = disc(fake, condition)
    return lambda_recon * adv_criterion(pred, torch.ones_like(pred)) + recon_criterion(real, fake)


@mutant(E, "calls an optimizer's")
def gen_loss_steps_optimizer(gen, disc, real, condition, adv_criterion, recon_criterion,
                             lambda_recon):  # fmt: skip
    optimizer = torch.optim.SGD(gen.parameters(), lr=0.1)
    loss = gen_loss_official_order(gen, disc, real, condition, adv_criterion, recon_criterion,
                                   lambda_recon)  # fmt: skip
    optimizer.zero_grad()
    loss.backward(retain_graph=True)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss


# --------------------------------------------------------------------------- get_disc_loss
E = "pix2pix.get_disc_loss"


@alternative(E)
def disc_loss_detach(gen, disc, real, condition, adv_criterion):
    fake = gen(condition).detach()
    fake_pred = disc(fake, condition)
    real_pred = disc(real, condition)
    fake_loss = adv_criterion(fake_pred, torch.zeros(fake_pred.shape, device=fake_pred.device))
    real_loss = adv_criterion(real_pred, torch.ones(real_pred.shape, device=real_pred.device))
    return 0.5 * (fake_loss + real_loss)


@alternative(E)
def disc_loss_no_grad_mean(gen, disc, real, condition, adv_criterion):
    with torch.no_grad():
        fake = gen(condition)
    fake_pred, real_pred = disc(fake, condition), disc(real, condition)
    terms = [adv_criterion(fake_pred, torch.zeros_like(fake_pred)),
             adv_criterion(real_pred, torch.ones_like(real_pred))]  # fmt: skip
    return torch.stack(terms).mean()


@mutant(E, "targets are swapped")
def disc_loss_swapped(gen, disc, real, condition, adv_criterion):
    fake = gen(condition).detach()
    fake_pred, real_pred = disc(fake, condition), disc(real, condition)
    return 0.5 * (adv_criterion(fake_pred, torch.ones_like(fake_pred))
                  + adv_criterion(real_pred, torch.zeros_like(real_pred)))  # fmt: skip


@mutant(E, "sends gradients into the generator", "fake.detach()")
def disc_loss_no_detach(gen, disc, real, condition, adv_criterion):
    fake = gen(condition)
    fake_pred, real_pred = disc(fake, condition), disc(real, condition)
    return 0.5 * (adv_criterion(fake_pred, torch.zeros_like(fake_pred))
                  + adv_criterion(real_pred, torch.ones_like(real_pred)))  # fmt: skip


@mutant(E, "official Pix2Pix halves it")
def disc_loss_not_halved(gen, disc, real, condition, adv_criterion):
    fake = gen(condition).detach()
    fake_pred, real_pred = disc(fake, condition), disc(real, condition)
    return adv_criterion(fake_pred, torch.zeros_like(fake_pred)) + adv_criterion(
        real_pred, torch.ones_like(real_pred)
    )


@mutant(E, "detaches the discriminator's prediction")
def disc_loss_detached_prediction(gen, disc, real, condition, adv_criterion):
    fake = gen(condition)
    fake_pred = disc(fake, condition).detach()
    real_pred = disc(real, condition)
    return 0.5 * (adv_criterion(fake_pred, torch.zeros_like(fake_pred))
                  + adv_criterion(real_pred, torch.ones_like(real_pred)))  # fmt: skip


@mutant(E, "adv_criterion(prediction, target)")
def disc_loss_swapped_arguments(gen, disc, real, condition, adv_criterion):
    fake = gen(condition).detach()
    fake_pred, real_pred = disc(fake, condition), disc(real, condition)
    return 0.5 * (adv_criterion(torch.zeros_like(fake_pred), fake_pred)
                  + adv_criterion(torch.ones_like(real_pred), real_pred))  # fmt: skip


@mutant(E, "ignores the `adv_criterion` argument", "MSELoss")
def disc_loss_hardcoded_mse(gen, disc, real, condition, adv_criterion):
    return disc_loss_detach(gen, disc, real, condition, nn.MSELoss())


@mutant(E, "calls course_lib's own solution")
def disc_loss_wraps_reference(gen, disc, real, condition, adv_criterion):
    from course_lib.losses import pix2pix

    return pix2pix.discriminator_loss(disc, real, gen(condition), condition, adv_criterion)


@mutant(E, "calls backward()")
def disc_loss_backward_on_copy(gen, disc, real, condition, adv_criterion):
    loss = disc_loss_detach(gen, disc, real, condition, adv_criterion)
    torch.autograd.grad(loss, list(disc.parameters()), retain_graph=True)
    return loss


@mutant("pix2pix.receptive_field", "return an int")
def receptive_float(kernel_sizes, strides):
    r = 1.0
    for k, s in zip(reversed(kernel_sizes), reversed(strides), strict=True):
        r = (r - 1) * s + k
    return r


@mutant("pix2pix.get_gen_loss", "calls `gen` 2 times", "dropout")
def gen_loss_generates_twice(gen, disc, real, condition, adv_criterion, recon_criterion,
                             lambda_recon):  # fmt: skip
    pred = disc(gen(condition), condition)
    adv = adv_criterion(pred, torch.ones_like(pred))
    return adv + lambda_recon * recon_criterion(gen(condition), real)


@mutant("pix2pix.get_disc_loss", "calls `disc` on a batch of", "BatchNorm")
def disc_loss_one_batch(gen, disc, real, condition, adv_criterion):
    with torch.no_grad():
        fake = gen(condition)
    pred = disc(torch.cat([fake, real]), torch.cat([condition, condition]))
    n = len(real)
    fake_loss = adv_criterion(pred[:n], torch.zeros_like(pred[:n]))
    real_loss = adv_criterion(pred[n:], torch.ones_like(pred[n:]))
    return (fake_loss + real_loss) / 2


@mutant("pix2pix.get_disc_loss", "with ones", "target is zeros")
def disc_loss_ones_for_both(gen, disc, real, condition, adv_criterion):
    fake_pred = disc(gen(condition).detach(), condition)
    real_pred = disc(real, condition)
    return (adv_criterion(fake_pred, torch.ones_like(fake_pred))
            + adv_criterion(real_pred, torch.ones_like(real_pred))) / 2  # fmt: skip

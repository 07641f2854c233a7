"""Mutants and alternatives of the CycleGAN exercises (the image pool is in ``pool``)."""

from __future__ import annotations

import inspect

import torch
import torch.nn.functional as F
from torch import nn

import course_lib.models as models

from .cases import alternative, mutant

# --------------------------------------------------------------------------- ResidualBlock
E = "cyclegan.ResidualBlock"


@alternative(E)
class ResidualAddFirst(models.ResidualBlock):
    def forward(self, x):
        return self.block(x) + x


@alternative(E)
class ResidualLayerByLayer(models.ResidualBlock):
    def forward(self, x):
        h = x
        for layer in self.block:
            h = layer(h)
        return torch.add(x, h)


@mutant(E, "add the input back")
class ResidualNoSkip(models.ResidualBlock):
    def forward(self, x):
        return self.block(x)


@mutant(E, "activation after the sum")
class ResidualReluAfter(models.ResidualBlock):
    def forward(self, x):
        return F.relu(x + self.block(x))


@mutant(E, "modifies its input in place")
class ResidualInplace(models.ResidualBlock):
    def forward(self, x):
        x += self.block(x)
        return x


@mutant(E, "applies self.block twice")
class ResidualTwice(models.ResidualBlock):
    def forward(self, x):
        return x + self.block(self.block(x))


@mutant(E, "detaches x in the skip connection")
class ResidualDetachedSkip(models.ResidualBlock):
    def forward(self, x):
        return x.detach() + self.block(x)


@mutant(E, "calls course_lib's own solution")
class ResidualSuper(models.ResidualBlock):
    def forward(self, x):
        return super().forward(x)


# --------------------------------------------------------------------------- FeatureMapBlock
E = "cyclegan.FeatureMapBlock"


@alternative(E)
class FeatureMapSteps(models.FeatureMapBlock):
    def forward(self, x):
        x = self.pad(x)
        x = self.conv(x)
        x = self.norm(x)
        return self.activation(x)


@alternative(E)
class FeatureMapFunctionalPad(models.FeatureMapBlock):
    def forward(self, x):
        return self.activation(self.norm(self.conv(F.pad(x, (3, 3, 3, 3), mode="reflect"))))


@mutant(E, "pads with zeros")
class FeatureMapZeroPad(models.FeatureMapBlock):
    def forward(self, x):
        return self.activation(self.norm(self.conv(F.pad(x, (3, 3, 3, 3)))))


@mutant(E, "activation before the norm")
class FeatureMapActivationFirst(models.FeatureMapBlock):
    def forward(self, x):
        return self.norm(self.activation(self.conv(self.pad(x))))


@mutant(E, "skips self.norm")
class FeatureMapNoNorm(models.FeatureMapBlock):
    def forward(self, x):
        return self.activation(self.conv(self.pad(x)))


@mutant(E, "skips self.activation")
class FeatureMapNoActivation(models.FeatureMapBlock):
    def forward(self, x):
        return self.norm(self.conv(self.pad(x)))


@mutant(E, "returns shape")
class FeatureMapNoPad(models.FeatureMapBlock):
    def forward(self, x):
        return self.activation(self.norm(self.conv(x)))


# --------------------------------------------------------------------------- ResnetGenerator
E = "cyclegan.ResnetGenerator"


@alternative(E)
class ResnetSteps(models.ResnetGenerator):
    def forward(self, x):
        x = self.initial(x)
        x = self.downsample(x)
        x = self.residual(x)
        x = self.upsample(x)
        return self.final(x)


@alternative(E)
class ResnetLoop(models.ResnetGenerator):
    def forward(self, x):
        for stage in (self.initial, self.downsample, self.residual, self.upsample, self.final):
            x = stage(x)
        return x


@mutant(E, "skips the residual blocks")
class ResnetNoResidual(models.ResnetGenerator):
    def forward(self, x):
        return self.final(self.upsample(self.downsample(self.initial(x))))


@mutant(E, "adds the input image")
class ResnetGlobalSkip(models.ResnetGenerator):
    def forward(self, x):
        return x + self.final(self.upsample(self.residual(self.downsample(self.initial(x)))))


@mutant(E, "applies tanh again")
class ResnetDoubleTanh(models.ResnetGenerator):
    def forward(self, x):
        h = self.residual(self.downsample(self.initial(x)))
        return torch.tanh(self.final(self.upsample(h)))


@mutant(E, "raised on input #1")
class ResnetResidualFirst(models.ResnetGenerator):
    def forward(self, x):
        return self.final(self.upsample(self.downsample(self.residual(self.initial(x)))))


@mutant(E, "returns shape (2, 2, 8, 8)", "expected (2, 3, 8, 8)")
class ResnetNoFinal(models.ResnetGenerator):
    def forward(self, x):
        return torch.tanh(self.upsample(self.residual(self.downsample(self.initial(x)))))


@mutant(E, "detaches an intermediate result")
class ResnetDetached(models.ResnetGenerator):
    def forward(self, x):
        h = self.downsample(self.initial(x)).detach()
        return self.final(self.upsample(self.residual(h)))


# --------------------------------------------------------------------------- get_disc_loss
E = "cyclegan.get_disc_loss"


@alternative(E)
def disc_loss_dlai(real_X, fake_X, disc_X, adv_criterion):
    disc_fake_X_hat = disc_X(fake_X.detach())
    disc_fake_X_loss = adv_criterion(disc_fake_X_hat, torch.zeros_like(disc_fake_X_hat))
    disc_real_X_hat = disc_X(real_X)
    disc_real_X_loss = adv_criterion(disc_real_X_hat, torch.ones_like(disc_real_X_hat))
    return (disc_fake_X_loss + disc_real_X_loss) / 2


@alternative(E)
def disc_loss_one_batch(real_X, fake_X, disc_X, adv_criterion):
    pred = disc_X(torch.cat([fake_X.detach(), real_X]))
    n = len(fake_X)
    fake_loss = adv_criterion(pred[:n], torch.zeros(pred[:n].shape, device=pred.device))
    real_loss = adv_criterion(pred[n:], torch.ones(pred[n:].shape, device=pred.device))
    return torch.mean(torch.stack([fake_loss, real_loss]))


@mutant(E, "targets are swapped")
def disc_loss_swapped(real_X, fake_X, disc_X, adv_criterion):
    fake_pred, real_pred = disc_X(fake_X.detach()), disc_X(real_X)
    return (adv_criterion(fake_pred, torch.ones_like(fake_pred))
            + adv_criterion(real_pred, torch.zeros_like(real_pred))) / 2  # fmt: skip


@mutant(E, "sends gradients into the generator", "fake_X.detach()")
def disc_loss_no_detach(real_X, fake_X, disc_X, adv_criterion):
    fake_pred, real_pred = disc_X(fake_X), disc_X(real_X)
    return (adv_criterion(fake_pred, torch.zeros_like(fake_pred))
            + adv_criterion(real_pred, torch.ones_like(real_pred))) / 2  # fmt: skip


@mutant(E, "averages them")
def disc_loss_sum(real_X, fake_X, disc_X, adv_criterion):
    fake_pred, real_pred = disc_X(fake_X.detach()), disc_X(real_X)
    return adv_criterion(fake_pred, torch.zeros_like(fake_pred)) + adv_criterion(
        real_pred, torch.ones_like(real_pred)
    )


@mutant(E, "ignores the `adv_criterion` argument", "MSELoss")
def disc_loss_least_squares_by_hand(real_X, fake_X, disc_X, adv_criterion):
    fake_pred, real_pred = disc_X(fake_X.detach()), disc_X(real_X)
    return ((fake_pred**2).mean() + ((real_pred - 1) ** 2).mean()) / 2


@mutant(E, "leaves out the fake term")
def disc_loss_real_only(real_X, fake_X, disc_X, adv_criterion):
    real_pred = disc_X(real_X)
    return adv_criterion(real_pred, torch.ones_like(real_pred))


@mutant(E, "changes requires_grad of its input `fake_X`", "detach_()")
def disc_loss_detach_in_place(real_X, fake_X, disc_X, adv_criterion):
    fake_X.detach_()
    return disc_loss_dlai(real_X, fake_X, disc_X, adv_criterion)


@mutant(E, "Python number")
def disc_loss_float(real_X, fake_X, disc_X, adv_criterion):
    return float(disc_loss_dlai(real_X, fake_X, disc_X, adv_criterion))


# --------------------------------------------------------------------------- adversarial loss
E = "cyclegan.get_gen_adversarial_loss"


@alternative(E)
def adversarial_dlai(real_X, disc_Y, gen_XY, adv_criterion):
    fake_Y = gen_XY(real_X)
    disc_fake_Y_hat = disc_Y(fake_Y)
    adversarial_loss = adv_criterion(disc_fake_Y_hat, torch.ones_like(disc_fake_Y_hat))
    return adversarial_loss, fake_Y


@alternative(E)
def adversarial_list(real_X, disc_Y, gen_XY, adv_criterion):
    fake_Y = gen_XY(real_X)
    pred = disc_Y(fake_Y)
    return [adv_criterion(pred, torch.ones(pred.shape, device=real_X.device)), fake_Y]


@mutant(E, "target is ones")
def adversarial_zeros(real_X, disc_Y, gen_XY, adv_criterion):
    fake_Y = gen_XY(real_X)
    pred = disc_Y(fake_Y)
    return adv_criterion(pred, torch.zeros_like(pred)), fake_Y


@mutant(E, "wrong order")
def adversarial_order(real_X, disc_Y, gen_XY, adv_criterion):
    fake_Y = gen_XY(real_X)
    pred = disc_Y(fake_Y)
    return fake_Y, adv_criterion(pred, torch.ones_like(pred))


@mutant(E, "detaches fake_Y before the discriminator")
def adversarial_detached(real_X, disc_Y, gen_XY, adv_criterion):
    fake_Y = gen_XY(real_X)
    pred = disc_Y(fake_Y.detach())
    return adv_criterion(pred, torch.ones_like(pred)), fake_Y


@mutant(E, "gives disc_Y the real image")
def adversarial_judges_real(real_X, disc_Y, gen_XY, adv_criterion):
    fake_Y = gen_XY(real_X)
    pred = disc_Y(real_X)
    return adv_criterion(pred, torch.ones_like(pred)), fake_Y


@mutant(E, "returns `fake_Y` detached")
def adversarial_returns_detached(real_X, disc_Y, gen_XY, adv_criterion):
    fake_Y = gen_XY(real_X)
    pred = disc_Y(fake_Y)
    return adv_criterion(pred, torch.ones_like(pred)), fake_Y.detach()


@mutant(E, "adv_criterion(prediction, target)")
def adversarial_swapped_arguments(real_X, disc_Y, gen_XY, adv_criterion):
    fake_Y = gen_XY(real_X)
    pred = disc_Y(fake_Y)
    return adv_criterion(torch.ones_like(pred), pred), fake_Y


@mutant(E, "return the tuple")
def adversarial_loss_only(real_X, disc_Y, gen_XY, adv_criterion):
    pred = disc_Y(gen_XY(real_X))
    return adv_criterion(pred, torch.ones_like(pred))


# --------------------------------------------------------------------------- identity loss
E = "cyclegan.get_identity_loss"


@alternative(E)
def identity_dlai(real_X, gen_YX, identity_criterion):
    identity_X = gen_YX(real_X)
    identity_loss = identity_criterion(identity_X, real_X)
    return identity_loss, identity_X


@alternative(E)
def identity_other_order(real_X, gen_YX, identity_criterion):
    identity_X = gen_YX(real_X)
    return identity_criterion(real_X, identity_X), identity_X


@mutant(E, "ignores the `identity_criterion` argument", "L1Loss")
def identity_hardcoded_l1(real_X, gen_YX, identity_criterion):
    identity_X = gen_YX(real_X)
    return nn.L1Loss()(identity_X, real_X), identity_X


@mutant(E, "never runs the generator")
def identity_no_generator(real_X, gen_YX, identity_criterion):
    return identity_criterion(real_X, real_X), real_X


@mutant(E, "applies gen_YX twice")
def identity_twice(real_X, gen_YX, identity_criterion):
    identity_X = gen_YX(gen_YX(real_X))
    return identity_criterion(identity_X, real_X), identity_X


@mutant(E, "wrong order")
def identity_order(real_X, gen_YX, identity_criterion):
    identity_X = gen_YX(real_X)
    return identity_X, identity_criterion(identity_X, real_X)


@mutant(E, "not part of the autograd graph")
def identity_no_grad(real_X, gen_YX, identity_criterion):
    with torch.no_grad():
        identity_X = gen_YX(real_X)
        loss = identity_criterion(identity_X, real_X)
    return loss, identity_X


@mutant(E, "not written yet")
def identity_stub(real_X, gen_YX, identity_criterion):
    raise NotImplementedError


# --------------------------------------------------------------------------- cycle loss
E = "cyclegan.get_cycle_consistency_loss"


@alternative(E)
def cycle_dlai(real_X, fake_Y, gen_YX, cycle_criterion):
    cycle_X = gen_YX(fake_Y)
    cycle_loss = cycle_criterion(cycle_X, real_X)
    return cycle_loss, cycle_X


@alternative(E)
def cycle_other_order(real_X, fake_Y, gen_YX, cycle_criterion):
    cycle_X = gen_YX(fake_Y)
    return cycle_criterion(real_X, cycle_X), cycle_X


@mutant(E, "detaches fake_Y", "trains both generators")
def cycle_detached(real_X, fake_Y, gen_YX, cycle_criterion):
    cycle_X = gen_YX(fake_Y.detach())
    return cycle_criterion(cycle_X, real_X), cycle_X


@mutant(E, "applies gen_YX to real_X")
def cycle_from_real(real_X, fake_Y, gen_YX, cycle_criterion):
    cycle_X = gen_YX(real_X)
    return cycle_criterion(cycle_X, real_X), cycle_X


@mutant(E, "compares cycle_X with fake_Y")
def cycle_against_fake(real_X, fake_Y, gen_YX, cycle_criterion):
    cycle_X = gen_YX(fake_Y)
    return cycle_criterion(cycle_X, fake_Y), cycle_X


@mutant(E, "ignores the `cycle_criterion` argument", "L1Loss")
def cycle_hardcoded_l1(real_X, fake_Y, gen_YX, cycle_criterion):
    cycle_X = gen_YX(fake_Y)
    return torch.mean(torch.abs(cycle_X - real_X)), cycle_X


@mutant(E, "wrong order")
def cycle_order(real_X, fake_Y, gen_YX, cycle_criterion):
    cycle_X = gen_YX(fake_Y)
    return cycle_X, cycle_criterion(cycle_X, real_X)


@mutant(E, "raised on input #1", "gen_XY", "in your line")
def cycle_undefined_generator(real_X, fake_Y, gen_YX, cycle_criterion):
    cycle_X = gen_XY(fake_Y)  # noqa: F821
    return cycle_criterion(cycle_X, real_X), cycle_X


# --------------------------------------------------------------------------- full objective
E = "cyclegan.get_gen_loss"

# The learner's own helpers below are wrong on purpose: the check of get_gen_loss replaces them
# with the references, so a correct get_gen_loss calling them is still accepted.


def get_gen_adversarial_loss(real_X, disc_Y, gen_XY, adv_criterion):
    fake_Y = gen_XY(real_X)
    pred = disc_Y(fake_Y)
    return adv_criterion(pred, torch.zeros_like(pred)), fake_Y


def get_identity_loss(real_X, gen_YX, identity_criterion):
    return identity_criterion(real_X, real_X), real_X


def get_cycle_consistency_loss(real_X, fake_Y, gen_YX, cycle_criterion):
    cycle_X = gen_YX(fake_Y.detach())
    return cycle_criterion(cycle_X, fake_Y), cycle_X


@alternative(E)
def gen_loss_with_helpers(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion,
                          identity_criterion, cycle_criterion, lambda_identity=0.1,
                          lambda_cycle=10):  # fmt: skip
    adv_loss_BA, fake_A = get_gen_adversarial_loss(real_B, disc_A, gen_BA, adv_criterion)
    adv_loss_AB, fake_B = get_gen_adversarial_loss(real_A, disc_B, gen_AB, adv_criterion)
    gen_adversarial_loss = adv_loss_BA + adv_loss_AB
    identity_loss_A, identity_A = get_identity_loss(real_A, gen_BA, identity_criterion)
    identity_loss_B, identity_B = get_identity_loss(real_B, gen_AB, identity_criterion)
    gen_identity_loss = identity_loss_A + identity_loss_B
    cycle_loss_BA, cycle_A = get_cycle_consistency_loss(real_A, fake_B, gen_BA, cycle_criterion)
    cycle_loss_AB, cycle_B = get_cycle_consistency_loss(real_B, fake_A, gen_AB, cycle_criterion)
    gen_cycle_loss = cycle_loss_BA + cycle_loss_AB
    gen_loss = (gen_adversarial_loss + lambda_identity * gen_identity_loss
                + lambda_cycle * gen_cycle_loss)  # fmt: skip
    return gen_loss, fake_A, fake_B


@alternative(E)
def gen_loss_inline(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion,
                    identity_criterion, cycle_criterion, lambda_identity=0.1,
                    lambda_cycle=10):  # fmt: skip
    fake_B, fake_A = gen_AB(real_A), gen_BA(real_B)
    pred_B, pred_A = disc_B(fake_B), disc_A(fake_A)
    adv = adv_criterion(pred_B, torch.ones_like(pred_B)) + adv_criterion(
        pred_A, torch.ones_like(pred_A)
    )
    identity = identity_criterion(real_A, gen_BA(real_A)) + identity_criterion(
        real_B, gen_AB(real_B)
    )
    cycle = cycle_criterion(real_A, gen_BA(fake_B)) + cycle_criterion(real_B, gen_AB(fake_A))
    return adv + lambda_identity * identity + lambda_cycle * cycle, fake_A, fake_B


def _terms(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion, identity_criterion,
           cycle_criterion):  # fmt: skip
    from course_lib.losses import cyclegan as ref

    adv_AB, fake_B = ref.get_gen_adversarial_loss(real_A, disc_B, gen_AB, adv_criterion)
    adv_BA, fake_A = ref.get_gen_adversarial_loss(real_B, disc_A, gen_BA, adv_criterion)
    id_A, _ = ref.get_identity_loss(real_A, gen_BA, identity_criterion)
    id_B, _ = ref.get_identity_loss(real_B, gen_AB, identity_criterion)
    cyc_A, _ = ref.get_cycle_consistency_loss(real_A, fake_B, gen_BA, cycle_criterion)
    cyc_B, _ = ref.get_cycle_consistency_loss(real_B, fake_A, gen_AB, cycle_criterion)
    return adv_AB, adv_BA, id_A, id_B, cyc_A, cyc_B, fake_A, fake_B


@mutant(E, "wrong discriminator")
def gen_loss_swapped_discriminators(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B,
                                    adv_criterion, identity_criterion, cycle_criterion,
                                    lambda_identity=0.1, lambda_cycle=10):  # fmt: skip
    return gen_loss_inline(real_A, real_B, gen_AB, gen_BA, disc_B, disc_A, adv_criterion,
                           identity_criterion, cycle_criterion, lambda_identity,
                           lambda_cycle)  # fmt: skip


@mutant(E, "swaps the weights")
def gen_loss_swapped_lambdas(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion,
                             identity_criterion, cycle_criterion, lambda_identity=0.1,
                             lambda_cycle=10):  # fmt: skip
    adv_AB, adv_BA, id_A, id_B, cyc_A, cyc_B, fake_A, fake_B = _terms(
        real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion, identity_criterion,
        cycle_criterion,
    )  # fmt: skip
    loss = adv_AB + adv_BA + lambda_cycle * (id_A + id_B) + lambda_identity * (cyc_A + cyc_B)
    return loss, fake_A, fake_B


@mutant(E, "ignores the lambda_identity and lambda_cycle arguments")
def gen_loss_hardcoded_lambdas(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion,
                               identity_criterion, cycle_criterion, lambda_identity=0.1,
                               lambda_cycle=10):  # fmt: skip
    adv_AB, adv_BA, id_A, id_B, cyc_A, cyc_B, fake_A, fake_B = _terms(
        real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion, identity_criterion,
        cycle_criterion,
    )  # fmt: skip
    return adv_AB + adv_BA + 0.1 * (id_A + id_B) + 10 * (cyc_A + cyc_B), fake_A, fake_B


@mutant(E, "wrong generators for the identity terms")
def gen_loss_identity_generators(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion,
                                 identity_criterion, cycle_criterion, lambda_identity=0.1,
                                 lambda_cycle=10):  # fmt: skip
    fake_B, fake_A = gen_AB(real_A), gen_BA(real_B)
    pred_B, pred_A = disc_B(fake_B), disc_A(fake_A)
    adv = adv_criterion(pred_B, torch.ones_like(pred_B)) + adv_criterion(
        pred_A, torch.ones_like(pred_A)
    )
    identity = identity_criterion(real_A, gen_AB(real_A)) + identity_criterion(
        real_B, gen_BA(real_B)
    )
    cycle = cycle_criterion(real_A, gen_BA(fake_B)) + cycle_criterion(real_B, gen_AB(fake_A))
    return adv + lambda_identity * identity + lambda_cycle * cycle, fake_A, fake_B


@mutant(E, "wrong order")
def gen_loss_fakes_swapped(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion,
                           identity_criterion, cycle_criterion, lambda_identity=0.1,
                           lambda_cycle=10):  # fmt: skip
    loss, fake_A, fake_B = gen_loss_inline(
        real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion, identity_criterion,
        cycle_criterion, lambda_identity, lambda_cycle,
    )  # fmt: skip
    return loss, fake_B, fake_A


@mutant(E, "only counts the A -> B direction")
def gen_loss_one_direction(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion,
                           identity_criterion, cycle_criterion, lambda_identity=0.1,
                           lambda_cycle=10):  # fmt: skip
    adv_AB, adv_BA, id_A, id_B, cyc_A, cyc_B, fake_A, fake_B = _terms(
        real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion, identity_criterion,
        cycle_criterion,
    )  # fmt: skip
    return adv_AB + lambda_identity * id_A + lambda_cycle * cyc_A, fake_A, fake_B


@mutant(E, "keep the signature's defaults")
def gen_loss_official_defaults(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion,
                               identity_criterion, cycle_criterion, lambda_identity=5.0,
                               lambda_cycle=10):  # fmt: skip
    return gen_loss_inline(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion,
                           identity_criterion, cycle_criterion, lambda_identity,
                           lambda_cycle)  # fmt: skip


@mutant(E, "identity terms with cycle_criterion")
def gen_loss_criteria_mixed(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion,
                            identity_criterion, cycle_criterion, lambda_identity=0.1,
                            lambda_cycle=10):  # fmt: skip
    return gen_loss_inline(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion,
                           cycle_criterion, cycle_criterion, lambda_identity,
                           lambda_cycle)  # fmt: skip


@mutant(E, "calls course_lib's own solution")
def gen_loss_reference_alias(*args):
    from course_lib.grading import reference

    return reference("cyclegan.get_gen_loss")(*args)


@alternative(E)
def gen_loss_detached_fakes(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion,
                            identity_criterion, cycle_criterion, lambda_identity=0.1,
                            lambda_cycle=10):  # fmt: skip
    loss, fake_A, fake_B = gen_loss_inline(
        real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion, identity_criterion,
        cycle_criterion, lambda_identity, lambda_cycle,
    )  # fmt: skip
    return loss, fake_A.detach(), fake_B.detach()


@mutant("cyclegan.get_gen_loss", "multiplies lambda_identity by lambda_cycle", "relative weight")
def gen_loss_identity_relative(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion,
                               identity_criterion, cycle_criterion, lambda_identity=0.1,
                               lambda_cycle=10):  # fmt: skip
    return gen_loss_inline(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion,
                           identity_criterion, cycle_criterion, lambda_identity * lambda_cycle,
                           lambda_cycle)  # fmt: skip


@mutant("cyclegan.get_disc_loss", "with ones", "target is zeros")
def disc_loss_ones_for_both(real_X, fake_X, disc_X, adv_criterion):
    fake_pred, real_pred = disc_X(fake_X.detach()), disc_X(real_X)
    return (adv_criterion(fake_pred, torch.ones_like(fake_pred))
            + adv_criterion(real_pred, torch.ones_like(real_pred))) / 2  # fmt: skip


# The same composite in a notebook whose helper cells never finished: none of the three helpers
# is defined in its globals.
_NO_HELPERS: dict = {"__name__": "notebook"}
exec(
    compile(inspect.getsource(gen_loss_with_helpers).split("\n", 1)[1], __file__, "exec"),
    _NO_HELPERS,
)
_NO_HELPERS["gen_loss_with_helpers"].__name__ = "gen_loss_helpers_missing"
alternative("cyclegan.get_gen_loss")(_NO_HELPERS["gen_loss_with_helpers"])

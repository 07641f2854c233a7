"""Mutants and alternatives of the image pool exercise."""

from __future__ import annotations

import random

import torch

import course_lib.image_pool as image_pool

from .cases import alternative, mutant

E = "cyclegan.ImagePool"


@alternative(E)
class PoolOfficial:
    """The official code's structure: Python's random numbers, a list of (1, C, H, W) images."""

    def __init__(self, pool_size):
        self.pool_size = pool_size
        self.num_imgs = 0
        self.images = []

    def query(self, images):
        if self.pool_size == 0:
            return images
        return_images = []
        for image in images:
            image = torch.unsqueeze(image.data, 0)
            if self.num_imgs < self.pool_size:
                self.num_imgs = self.num_imgs + 1
                self.images.append(image)
                return_images.append(image)
            else:
                p = random.uniform(0, 1)
                if p > 0.5:
                    random_id = random.randint(0, self.pool_size - 1)
                    tmp = self.images[random_id].clone()
                    self.images[random_id] = image
                    return_images.append(tmp)
                else:
                    return_images.append(image)
        return torch.cat(return_images, 0)


@alternative(E)
class PoolTorchBuffer:
    """Torch's random numbers and a preallocated tensor buffer."""

    def __init__(self, pool_size):
        self.pool_size = pool_size
        self.buffer = None
        self.count = 0

    def query(self, images):
        if self.pool_size == 0:
            return images
        out = images.detach().clone()
        for i in range(len(images)):
            image = images[i].detach()
            if self.buffer is None:
                self.buffer = torch.empty(
                    self.pool_size, *image.shape, dtype=image.dtype, device=image.device
                )
            if self.count < self.pool_size:
                self.buffer[self.count] = image
                self.count += 1
            elif torch.rand(()) < 0.5:
                slot = int(torch.randint(self.pool_size, ()))
                out[i] = self.buffer[slot]
                self.buffer[slot] = image
        return out


@alternative(E)
class PoolSubclass(image_pool.ImagePool):
    """Subclasses the reference (its __init__) and writes query."""

    def query(self, images):
        if self.pool_size == 0:
            return images
        result = []
        for image in images.detach().split(1):
            if len(self.images) < self.pool_size:
                self.images.append(image)
                result.append(image)
            elif random.random() < 0.5:
                slot = random.randrange(self.pool_size)
                result.append(self.images[slot])
                self.images[slot] = image
            else:
                result.append(image)
        return torch.cat(result)


class _Base:
    def __init__(self, pool_size):
        self.pool_size = pool_size
        self.images = []


@mutant(E, "never returns a stored image")
class PoolNeverUsesHistory(_Base):
    def query(self, images):
        if self.pool_size == 0:
            return images
        for image in images.detach():
            if len(self.images) < self.pool_size:
                self.images.append(image)
        return images.detach()


@mutant(E, "always returns a stored image")
class PoolAlwaysUsesHistory(_Base):
    def query(self, images):
        if self.pool_size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.pool_size:
                self.images.append(image)
                out.append(image)
            else:
                slot = random.randrange(self.pool_size)
                out.append(self.images[slot])
                self.images[slot] = image
        return torch.stack(out)


@mutant(E, "the pool must refresh")
class PoolNeverRefreshes(_Base):
    def query(self, images):
        if self.pool_size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.pool_size:
                self.images.append(image)
                out.append(image)
            elif random.random() < 0.5:
                out.append(self.images[random.randrange(self.pool_size)])
            else:
                out.append(image)
        return torch.stack(out)


@mutant(E, "keeps the autograd graph of stored images")
class PoolKeepsGraph(_Base):
    def query(self, images):
        if self.pool_size == 0:
            return images
        out = []
        for image in images:
            if len(self.images) < self.pool_size:
                self.images.append(image)
                out.append(image.detach())
            elif random.random() < 0.5:
                slot = random.randrange(self.pool_size)
                out.append(self.images[slot].detach())
                self.images[slot] = image
            else:
                out.append(image.detach())
        return torch.stack(out)


@mutant(E, "still has a grad_fn")
class PoolReturnsGraph(_Base):
    def query(self, images):
        if self.pool_size == 0:
            return images
        out = []
        for image in images:
            if len(self.images) < self.pool_size:
                self.images.append(image.detach())
                out.append(image)
            elif random.random() < 0.5:
                slot = random.randrange(self.pool_size)
                out.append(self.images[slot])
                self.images[slot] = image.detach()
            else:
                out.append(image)
        return torch.stack(out)


@mutant(E, "decide once per batch")
class PoolPerBatch(_Base):
    def query(self, images):
        if self.pool_size == 0:
            return images
        images = images.detach()
        if len(self.images) < self.pool_size:
            self.images.extend(images)
            return images
        if random.random() < 0.5:
            return images
        out = []
        for image in images:
            slot = random.randrange(len(self.images))
            out.append(self.images[slot])
            self.images[slot] = image
        return torch.stack(out)


@mutant(E, "until it holds pool_size images")
class PoolNoFillPhase(_Base):
    def query(self, images):
        if self.pool_size == 0:
            return images
        out = []
        for image in images.detach():
            if self.images and random.random() < 0.5:
                slot = random.randrange(len(self.images))
                out.append(self.images[slot])
                self.images[slot] = image
            else:
                if len(self.images) < self.pool_size:
                    self.images.append(image)
                out.append(image)
        return torch.stack(out)


@mutant(E, "pool_size=0", "unchanged")
class PoolSizeZeroForgotten(_Base):
    def query(self, images):
        if self.pool_size == 0:
            return
        out = []
        for image in images.detach():
            if len(self.images) < self.pool_size:
                self.images.append(image)
                out.append(image)
            elif random.random() < 0.5:
                slot = random.randrange(self.pool_size)
                out.append(self.images[slot])
                self.images[slot] = image
            else:
                out.append(image)
        return torch.stack(out)


@mutant(E, "the pool must stay as it is")
class PoolStoresReturnedNew(_Base):
    def query(self, images):
        if self.pool_size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.pool_size:
                self.images.append(image)
                out.append(image)
                continue
            slot = random.randrange(self.pool_size)
            if random.random() < 0.5:
                out.append(self.images[slot])
            else:
                out.append(image)
            self.images[slot] = image
        return torch.stack(out)


@mutant(E, "returned a stored image", "times out of")
class PoolRarelyUsesHistory(_Base):
    def query(self, images):
        if self.pool_size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.pool_size:
                self.images.append(image)
                out.append(image)
            elif random.random() < 0.1:
                slot = random.randrange(self.pool_size)
                out.append(self.images[slot])
                self.images[slot] = image
            else:
                out.append(image)
        return torch.stack(out)


@mutant(E, "calls course_lib's own solution")
class PoolWrapsReference(image_pool.ImagePool):
    def query(self, images):
        return super().query(images) + 0


class _SlotChoice(_Base):
    """A pool whose slot choice ``slot(self)`` is the mutation."""

    def slot(self):
        raise NotImplementedError

    def query(self, images):
        if self.pool_size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.pool_size:
                self.images.append(image)
                out.append(image)
            elif random.random() < 0.5:
                slot = self.slot()
                out.append(self.images[slot])
                self.images[slot] = image
            else:
                out.append(image)
        return torch.stack(out)


@mutant(E, "chose slot 0 of 4", "same probability")
class PoolSameSlot(_SlotChoice):
    def slot(self):
        return 0


@mutant(E, "chose slot 3 of 4 only 0 times", "randint includes its upper end")
class PoolNeverLastSlot(_SlotChoice):
    def slot(self):
        return random.randint(0, self.pool_size - 2)


@mutant(E, "always returns the oldest stored image")
class PoolReturnsOldest(_Base):
    def query(self, images):
        if self.pool_size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.pool_size:
                self.images.append(image)
                out.append(image)
            elif random.random() < 0.5:
                out.append(self.images.pop(0))
                self.images.append(image)
            else:
                out.append(image)
        return torch.stack(out)


@mutant(E, "always returns the newest stored image")
class PoolReturnsNewest(_Base):
    def query(self, images):
        if self.pool_size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.pool_size:
                self.images.append(image)
                out.append(image)
            elif random.random() < 0.5:
                out.append(self.images.pop())
                self.images.append(image)
            else:
                out.append(image)
        return torch.stack(out)


@mutant(E, "more than pool_size=", "one image at a time")
class PoolFillsWholeBatch(_Base):
    def query(self, images):
        if self.pool_size == 0:
            return images
        images = images.detach()
        if len(self.images) < self.pool_size:
            self.images.extend(images)
            return images
        out = []
        for image in images:
            if random.random() < 0.5:
                slot = random.randrange(len(self.images))
                out.append(self.images[slot])
                self.images[slot] = image
            else:
                out.append(image)
        return torch.stack(out)


@alternative(E)
class PoolFillsPartOfABatch(_Base):
    """Stores a slice of the batch at once while filling, then goes image by image."""

    def query(self, images):
        if self.pool_size == 0:
            return images
        images = images.detach()
        room = self.pool_size - len(self.images)
        self.images.extend(images[:room])
        out = list(images[:room])
        for image in images[room:] if room > 0 else images:
            if random.random() < 0.5:
                slot = random.randrange(self.pool_size)
                out.append(self.images[slot])
                self.images[slot] = image
            else:
                out.append(image)
        return torch.stack(out)

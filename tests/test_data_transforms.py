"""Preprocessing (course_lib.data.transforms) and image loading (course_lib.data.images)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from course_lib.data.images import is_image_file, list_images, load_image, to_8bit
from course_lib.data.transforms import (
    CropFlipParams,
    SampleRNG,
    apply_params,
    check_sizes,
    denormalize,
    get_params,
    get_transform,
    to_normalized_tensor,
)


def gradient_image(width: int = 40, height: int = 30) -> Image.Image:
    """An RGB image whose every pixel is different (so crops and flips are visible)."""
    x = np.arange(width)[None, :].repeat(height, 0)
    y = np.arange(height)[:, None].repeat(width, 1)
    array = np.stack([x * 6 % 256, y * 8 % 256, (x + 3 * y) % 256], axis=-1).astype(np.uint8)
    return Image.fromarray(array)


# ------------------------------------------------------------------------------ parameters


def test_get_params_stays_inside_the_resized_image_and_uses_both_flips():
    generator = torch.Generator().manual_seed(0)
    draws = [get_params(36, 32, generator=generator) for _ in range(400)]
    lefts = {d.left for d in draws}
    tops = {d.top for d in draws}
    assert lefts == set(range(5)) and tops == set(range(5))
    flips = sum(d.flip for d in draws)
    assert 140 < flips < 260


def test_get_params_is_reproducible_with_a_generator():
    first = [get_params(64, 48, generator=torch.Generator().manual_seed(7)) for _ in range(3)]
    assert first[0] == first[1] == first[2]
    generator = torch.Generator().manual_seed(7)
    sequence_a = [get_params(64, 48, generator=generator) for _ in range(20)]
    generator = torch.Generator().manual_seed(7)
    sequence_b = [get_params(64, 48, generator=generator) for _ in range(20)]
    assert sequence_a == sequence_b
    assert len(set(sequence_a)) > 10


def test_no_randomness_at_test_time_and_without_flip():
    generator = torch.Generator().manual_seed(1)
    for _ in range(50):
        assert get_params(286, 256, train=False, generator=generator) == CropFlipParams(0, 0, False)
        assert not get_params(286, 256, flip=False, generator=generator).flip


@pytest.mark.parametrize(
    ("load_size", "crop_size", "message"),
    [(256, 286, "must not exceed load_size"), (0, 0, "positive"), (64, 32.5, "positive")],
)
def test_bad_sizes_are_rejected(load_size, crop_size, message):
    with pytest.raises(ValueError, match=message):
        check_sizes(load_size, crop_size)
    with pytest.raises(ValueError, match=message):
        get_params(load_size, crop_size)


# ------------------------------------------------------------------------------ transforms


def test_apply_params_resizes_crops_and_flips_like_the_official_code():
    image = gradient_image()
    params = CropFlipParams(top=3, left=4, flip=True)
    out = apply_params(image, params, load_size=36, crop_size=32)
    assert out.shape == (3, 32, 32) and out.dtype == torch.float32
    assert out.min() >= -1 and out.max() <= 1

    resized = image.resize((36, 36), Image.BICUBIC)
    expected = np.asarray(resized)[3:35, 4:36][:, ::-1]
    got = ((out.permute(1, 2, 0).numpy() + 1) * 127.5).round().astype(np.int64)
    assert np.abs(got - expected.astype(np.int64)).max() <= 1

    unflipped = apply_params(image, CropFlipParams(3, 4, False), load_size=36, crop_size=32)
    assert torch.equal(unflipped.flip(-1), out)


def test_apply_params_at_test_time_resizes_straight_to_crop_size():
    image = gradient_image()
    out = apply_params(image, CropFlipParams(9, 9, False), load_size=36, crop_size=32, train=False)
    expected = to_normalized_tensor(image.resize((32, 32), Image.BICUBIC))
    assert torch.equal(out, expected)


def test_normalisation_maps_0_and_255_to_minus_one_and_one():
    array = np.zeros((2, 2, 3), dtype=np.uint8)
    array[0, 0] = 255
    tensor = to_normalized_tensor(Image.fromarray(array))
    assert tensor[:, 0, 0].tolist() == [1.0, 1.0, 1.0]
    assert tensor[:, 1, 1].tolist() == [-1.0, -1.0, -1.0]
    assert torch.allclose(denormalize(tensor)[:, 0, 0], torch.ones(3))
    grey = to_normalized_tensor(Image.new("L", (3, 3), 128))
    assert grey.shape == (1, 3, 3)


def test_get_transform_matches_the_official_pipeline():
    image = gradient_image(50, 50)
    torch.manual_seed(0)
    train = get_transform(40, 32, flip=True, train=True)(image)
    assert train.shape == (3, 32, 32) and train.dtype == torch.float32
    assert -1 <= train.min() and train.max() <= 1
    test = get_transform(40, 32, train=False)(image)
    assert torch.allclose(
        test,
        apply_params(image, CropFlipParams(0, 0, False), load_size=40, crop_size=32, train=False),
        atol=1e-6,
    )


def test_sample_rng_is_reproducible_and_resettable():
    rng = SampleRNG(3)
    first = torch.rand(4, generator=rng.generator())
    second = torch.rand(4, generator=rng.generator())
    assert not torch.equal(first, second)
    rng.reset()
    assert torch.equal(torch.rand(4, generator=rng.generator()), first)
    assert SampleRNG(None).generator() is None
    with pytest.raises(ValueError):
        SampleRNG("3")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ images


def test_image_files_are_recognised_case_insensitively_and_sorted(tmp_path):
    for name in [
        "b.PNG",
        "a.jpg",
        "c.JpEg",
        "d.webp",
        "e.TIFF",
        "f.bmp",
        "g.tif",
        "notes.txt",
        ".hidden.png",
    ]:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "h.png").write_bytes(b"")
    names = [p.relative_to(tmp_path).as_posix() for p in list_images(tmp_path)]
    assert names == ["a.jpg", "b.PNG", "c.JpEg", "d.webp", "e.TIFF", "f.bmp", "g.tif", "sub/h.png"]
    assert is_image_file("X.JPG") and not is_image_file("x.gif")


def test_greyscale_palette_and_rgba_become_rgb(tmp_path):
    Image.new("L", (4, 4), 77).save(tmp_path / "grey.png")
    rgb = np.asarray(load_image(tmp_path / "grey.png"))
    assert rgb.shape == (4, 4, 3) and (rgb == 77).all()

    palette = Image.new("P", (4, 4), 1)
    palette.putpalette([0, 0, 0, 200, 10, 30] + [0] * 762)
    palette.save(tmp_path / "palette.png")
    assert (np.asarray(load_image(tmp_path / "palette.png")) == [200, 10, 30]).all()

    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[0, 0] = [10, 200, 30, 255]  # opaque
    rgba[1, 1] = [10, 200, 30, 0]  # fully transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    loaded = np.asarray(load_image(tmp_path / "rgba.png"))
    assert loaded.shape == (2, 2, 3)
    assert loaded[0, 0].tolist() == [10, 200, 30]
    assert loaded[1, 1].tolist() == [255, 255, 255]
    on_black = np.asarray(load_image(tmp_path / "rgba.png", background=(0, 0, 0)))
    assert on_black[1, 1].tolist() == [0, 0, 0]
    assert np.asarray(load_image(tmp_path / "rgba.png", "L"))[1, 1] == 0


def test_sixteen_bit_images_are_scaled_not_clipped(tmp_path):
    values = np.array([[0, 1000, 32896], [40000, 65535, 257]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "deep.png")
    with Image.open(tmp_path / "deep.png") as opened:
        assert opened.mode.startswith("I")
    grey = np.asarray(load_image(tmp_path / "deep.png", "L"))
    assert grey.tolist() == [[0, 4, 128], [156, 255, 1]]
    rgb = np.asarray(load_image(tmp_path / "deep.png", "RGB"))
    assert rgb.shape == (2, 3, 3) and (rgb[..., 0] == grey).all()
    Image.fromarray(values).save(tmp_path / "deep.tif")
    assert np.asarray(load_image(tmp_path / "deep.tif", "L")).tolist() == grey.tolist()


def test_32_bit_and_float_images_are_scaled():
    as_int = Image.fromarray(np.array([[0, 65535, 1000]], dtype=np.int32), mode="I")
    assert np.asarray(to_8bit(as_int)).tolist() == [[0, 255, 4]]
    small = Image.fromarray(np.array([[0, 200, 255]], dtype=np.int32), mode="I")
    assert np.asarray(to_8bit(small)).tolist() == [[0, 200, 255]]
    unit = Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32), mode="F")
    assert np.asarray(to_8bit(unit)).tolist() == [[0, 128, 255]]


def test_unreadable_image_names_the_file(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(ValueError, match="broken.png"):
        load_image(bad)
    with pytest.raises(ValueError, match="mode"):
        load_image(bad, "CMYK")

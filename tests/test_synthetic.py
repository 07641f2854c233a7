"""The embedded synthetic datasets: determinism, layouts, manifests and what they teach."""

from __future__ import annotations

import colorsys
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from course_lib.data import (
    FACADE_CLASSES,
    FACADE_LABEL_COLOURS,
    ClassConditionalDataset,
    PairedABDataset,
    UnpairedDataset,
    generate_all,
    indices_to_label_map,
    label_map_to_indices,
    make_digits,
    make_facades,
)
from course_lib.data.synthetic import DIGITS_SIZES, FACADES_SIZES, UNPAIRED_SIZES

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> dict[str, Path]:
    return generate_all(tmp_path_factory.mktemp("embedded"), seed=0, size="small")


def file_map(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_same_seed_gives_byte_identical_files(small, tmp_path):
    again = generate_all(tmp_path / "again", seed=0, size="small")
    for name, folder in small.items():
        first, second = file_map(folder), file_map(again[name])
        assert len(first) > 20
        assert first.keys() == second.keys()
        different = [key for key in first if first[key] != second[key]]
        assert not different, f"{name}: {different[:3]} differ between two runs"


def test_another_seed_gives_other_images(small, tmp_path):
    other = make_facades(tmp_path, seed=1, size="small")
    a = (small["facades"] / "train" / "0001.png").read_bytes()
    assert a != (other / "train" / "0001.png").read_bytes()


def test_layouts_and_counts(small):
    root = small["digits"].parent
    assert set(small) == {"digits", "facades", "unpaired"}
    assert all(small[name] == root / name for name in small)

    digits = small["digits"]
    for split, per_class in DIGITS_SIZES["small"].items():
        assert sorted(p.name for p in (digits / split).iterdir()) == [str(d) for d in range(10)]
        for d in range(10):
            assert len(list((digits / split / str(d)).glob("*.png"))) == per_class
    with Image.open(next((digits / "train" / "3").glob("*.png"))) as image:
        assert image.mode == "L" and image.size == (28, 28)

    facades = small["facades"]
    for split, count in FACADES_SIZES["small"].items():
        files = sorted((facades / split).glob("*.png"))
        labels = sorted((facades / "labels" / split).glob("*.png"))
        assert len(files) == count and [p.name for p in labels] == [p.name for p in files]
        with Image.open(files[0]) as image:
            assert image.mode == "RGB" and image.size == (128, 64)
        with Image.open(labels[0]) as image:
            assert image.mode == "L" and image.size == (64, 64)

    unpaired = small["unpaired"]
    for split, count in UNPAIRED_SIZES["small"].items():
        for side in "AB":
            files = list((unpaired / f"{split}{side}").glob("*.png"))
            assert len(files) == count
            assert len(list((unpaired / "masks" / f"{split}{side}").glob("*.png"))) == count
            with Image.open(files[0]) as image:
                assert image.mode == "RGB" and image.size == (64, 64)


def test_png_files_carry_no_metadata(small):
    path = next((small["facades"] / "train").glob("*.png"))
    with Image.open(path) as image:
        assert not image.text and "dpi" not in image.info


def test_manifest_records_settings_and_makes_generation_idempotent(small, tmp_path):
    manifest = json.loads((small["facades"] / "manifest.json").read_text())
    assert manifest["seed"] == 0 and manifest["size"] == "small"
    assert manifest["counts"] == FACADES_SIZES["small"]
    assert manifest["generator_version"] >= 1 and len(manifest["sha256"]) == 64

    folder = make_digits(tmp_path, size="small")
    probe = folder / "train" / "0" / "00000.png"
    stamp = probe.stat().st_mtime_ns
    assert make_digits(tmp_path, size="small") == folder
    assert probe.stat().st_mtime_ns == stamp, "an identical dataset must not be rewritten"

    original = probe.read_bytes()
    probe.write_bytes(b"damaged")
    make_digits(tmp_path, size="small")
    assert probe.read_bytes() == original, "a damaged dataset is regenerated"

    stamp = probe.stat().st_mtime_ns
    make_digits(tmp_path, size="small", overwrite=True)
    assert probe.stat().st_mtime_ns != stamp and probe.read_bytes() == original
    assert not list(tmp_path.glob(".digits.tmp-*")), "no staging folder is left behind"


def test_foreign_folder_and_bad_arguments_are_refused(tmp_path):
    (tmp_path / "facades").mkdir()
    (tmp_path / "facades" / "mine.txt").write_text("not generated here")
    with pytest.raises(FileExistsError, match="manifest"):
        make_facades(tmp_path, size="small")
    assert (tmp_path / "facades" / "mine.txt").exists()
    with pytest.raises(ValueError, match="default, small"):
        generate_all(tmp_path, size="huge")
    with pytest.raises(ValueError, match="seed"):
        make_digits(tmp_path, seed=-1)


def test_the_loaders_read_the_embedded_data(small):
    digits = ClassConditionalDataset(small["digits"], "train")
    assert digits.classes == [str(d) for d in range(10)]
    image, label = digits[len(digits) - 1]
    assert label == 9 and image.shape == (1, 28, 28)
    assert image.min() == -1 and image.max() > 0.5, "white digit on a black background"

    pairs = PairedABDataset(small["facades"], "train", load_size=72, crop_size=64, seed=0)
    item = pairs[0]
    assert item["A"].shape == item["B"].shape == (3, 64, 64)
    assert len(PairedABDataset(small["facades"], "val", 64, 64)) == FACADES_SIZES["small"]["val"]

    cycle = UnpairedDataset(small["unpaired"], "train", load_size=72, crop_size=64, seed=0)
    assert len(cycle) == UNPAIRED_SIZES["small"]["train"]
    assert cycle[0]["A"].shape == (3, 64, 64)


def test_digit_classes_are_separable_by_a_linear_classifier(small):
    def arrays(split):
        data = ClassConditionalDataset(small["digits"], split, preload=True)
        return data._cache.flatten(1), torch.tensor(data.targets)

    x_train, y_train = arrays("train")
    x_test, y_test = arrays("test")
    torch.manual_seed(0)
    model = torch.nn.Linear(28 * 28, 10)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(150):
        loss = torch.nn.functional.cross_entropy(model(x_train), y_train)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    assert accuracy >= 0.85, f"test accuracy of logistic regression only {accuracy:.2f}"


def test_facade_label_maps_round_trip_to_the_saved_indices(small):
    assert len(FACADE_CLASSES) >= 5 and len(FACADE_LABEL_COLOURS) == len(FACADE_CLASSES)
    assert len(set(FACADE_LABEL_COLOURS)) == len(FACADE_LABEL_COLOURS)
    dataset = PairedABDataset(small["facades"], "test", load_size=64, crop_size=64)
    seen = set()
    for index in range(len(dataset)):
        item = dataset[index]
        name = Path(item["path"]).name
        saved = np.asarray(Image.open(small["facades"] / "labels" / "test" / name))
        recovered = label_map_to_indices(item["A"])
        assert recovered.dtype == torch.int64 and recovered.shape == (64, 64)
        assert np.array_equal(recovered.numpy(), saved)
        seen |= set(np.unique(saved).tolist())
    assert len(seen) >= 5
    batch = torch.stack([dataset[0]["A"], dataset[1]["A"]])
    assert label_map_to_indices(batch).shape == (2, 64, 64)
    uint8 = indices_to_label_map(saved)
    assert np.array_equal(label_map_to_indices(uint8).numpy(), saved)
    as_tensor = torch.from_numpy(uint8).permute(2, 0, 1).contiguous()
    assert np.array_equal(label_map_to_indices(as_tensor).numpy(), saved)
    # After the bicubic resize of training, nearest colour still recovers most pixels.
    upscaled = PairedABDataset(small["facades"], "test", load_size=128, crop_size=128)[0]
    labels = np.asarray(Image.open(small["facades"] / "labels" / "test" / "0001.png"))
    nearest = np.repeat(np.repeat(labels, 2, axis=0), 2, axis=1)
    agreement = (label_map_to_indices(upscaled["A"]).numpy() == nearest).mean()
    assert agreement > 0.85
    with pytest.raises(ValueError, match="shape"):
        label_map_to_indices(torch.zeros(4, 8, 8))


def test_facade_photos_vary_in_colour_so_their_average_is_greyish(small):
    walls = []
    for path in sorted((small["facades"] / "train").glob("*.png")):
        pair = np.asarray(Image.open(path)).astype(np.float64) / 255
        labels = np.asarray(Image.open(small["facades"] / "labels" / "train" / path.name))
        walls.append(pair[:, 64:][labels == FACADE_CLASSES.index("wall")].mean(axis=0))
    walls = np.array(walls)
    hues = [colorsys.rgb_to_hsv(*colour)[0] for colour in walls]
    assert np.ptp(hues) > 0.4, "wall hue must change from building to building"
    per_image = np.mean([colorsys.rgb_to_hsv(*c)[1] for c in walls])
    of_mean = colorsys.rgb_to_hsv(*walls.mean(axis=0))[1]
    assert of_mean < 0.6 * per_image, "the average wall is greyer than any single wall"


def test_summer_and_winter_differ_and_houses_keep_their_hue_range(small):
    def stats(side):
        files = sorted((small["unpaired"] / f"train{side}").glob("*.png"))
        images = np.stack([np.asarray(Image.open(p)) for p in files]).astype(np.float64) / 255
        mask_folder = small["unpaired"] / "masks" / f"train{side}"
        masks = np.stack([np.asarray(Image.open(mask_folder / p.name)) > 0 for p in files])
        return images, masks

    summer, summer_houses = stats("A")
    winter, winter_houses = stats("B")
    green_excess = lambda x: (x[..., 1] - (x[..., 0] + x[..., 2]) / 2)[:, 48:].mean()  # noqa: E731
    assert green_excess(summer) > green_excess(winter) + 0.1, "summer ground is green"
    assert winter[:, 50:].mean() > summer[:, 50:].mean() + 0.2, "winter ground is white"
    assert summer_houses.any() and winter_houses.any()
    for images, masks in ((summer, summer_houses), (winter, winter_houses)):
        house_pixels = images[masks]
        saturation = (house_pixels.max(1) - house_pixels.min(1)) / house_pixels.max(1)
        assert np.median(saturation) > 0.4, "house walls are saturated in both domains"


def test_make_embedded_script(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "data_scripts" / "make_embedded.py"),
            "--root",
            str(tmp_path),
            "--size",
            "small",
            "--only",
            "digits",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert str(tmp_path / "digits") in result.stdout
    assert (tmp_path / "digits" / "manifest.json").exists()
    assert not (tmp_path / "facades").exists()

"""The loaders: PairedABDataset, UnpairedDataset, ClassConditionalDataset."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from course_lib.data import ClassConditionalDataset, PairedABDataset, UnpairedDataset


def pattern(size: int = 32, seed: int = 0) -> np.ndarray:
    """A random RGB image: no two crops or flips of it look alike."""
    return np.random.default_rng(seed).integers(0, 256, size=(size, size, 3), dtype=np.uint8)


def write_ab(path, a: np.ndarray, b: np.ndarray, fmt: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate([a, b], axis=1)).save(path, format=fmt)


def solid(colour, size: int = 32) -> np.ndarray:
    return np.full((size, size, 3), colour, dtype=np.uint8)


@pytest.fixture
def paired_root(tmp_path):
    root = tmp_path / "pairs"
    for split in ("train", "val", "test"):
        for i in range(3):
            write_ab(root / split / f"{i}.png", solid((250, 0, 0)), solid((0, 250, 0)))
    return root


# ---------------------------------------------------------------------------------- paired


def test_paired_items_have_the_right_shapes_ranges_and_halves(paired_root):
    dataset = PairedABDataset(paired_root, "train", load_size=36, crop_size=32, seed=0)
    assert len(dataset) == 3
    item = dataset[0]
    assert set(item) == {"A", "B", "path"}
    assert item["path"].endswith("0.png")
    for key in ("A", "B"):
        assert item[key].shape == (3, 32, 32) and item[key].dtype == torch.float32
        assert item[key].min() >= -1 and item[key].max() <= 1
    # A is the left (red) half, B the right (green) half.
    assert item["A"][0].mean() > 0.9 and item["A"][1].mean() < -0.9
    assert item["B"][1].mean() > 0.9 and item["B"][0].mean() < -0.9
    swapped = PairedABDataset(paired_root, "train", 36, 32, direction="BtoA", seed=0)[0]
    assert torch.equal(swapped["A"], item["B"]) and torch.equal(swapped["B"], item["A"])


def test_the_same_crop_and_flip_are_applied_to_a_and_b(tmp_path):
    image = pattern(32)
    write_ab(tmp_path / "train" / "same.png", image, image)
    dataset = PairedABDataset(tmp_path, "train", load_size=40, crop_size=32)
    reference = PairedABDataset(tmp_path, "train", load_size=40, crop_size=32, flip=False)
    flipped, crops = 0, set()
    for seed in range(40):
        torch.manual_seed(seed)
        item = dataset[0]
        assert torch.equal(item["A"], item["B"]), f"A and B differ for seed {seed}"
        torch.manual_seed(seed)
        plain = reference[0]["A"]
        crops.add(plain[:, 0, 0].sum().item())
        if not torch.equal(item["A"], plain):
            assert torch.equal(item["A"], plain.flip(-1))
            flipped += 1
    assert 5 <= flipped <= 35, "the flip should happen about half of the time"
    assert len(crops) > 5, "the crop position should vary"


def test_test_split_is_deterministic_and_resized_to_crop_size(tmp_path):
    a, b = pattern(48, 1), pattern(48, 2)
    write_ab(tmp_path / "test" / "x.png", a, b)
    dataset = PairedABDataset(tmp_path, "test", load_size=40, crop_size=32)
    assert not dataset.train
    first, second = dataset[0], dataset[0]
    assert torch.equal(first["A"], second["A"]) and torch.equal(first["B"], second["B"])
    resized = np.array(Image.fromarray(a).resize((32, 32), Image.BICUBIC))
    expected = torch.from_numpy(resized).permute(2, 0, 1).float() / 127.5 - 1
    assert torch.allclose(first["A"], expected, atol=1e-6)
    # train=False on the training split also switches the randomness off.
    write_ab(tmp_path / "train" / "x.png", a, b)
    evaluation = PairedABDataset(tmp_path, "train", 40, 32, train=False)
    assert torch.equal(evaluation[0]["A"], first["A"])


def test_a_seed_makes_training_items_reproducible(tmp_path):
    write_ab(tmp_path / "train" / "x.png", pattern(32, 3), pattern(32, 4))
    one = PairedABDataset(tmp_path, "train", 40, 32, seed=5)
    two = PairedABDataset(tmp_path, "train", 40, 32, seed=5)
    other = PairedABDataset(tmp_path, "train", 40, 32, seed=6)
    run_one = [one[0]["A"] for _ in range(6)]
    run_two = [two[0]["A"] for _ in range(6)]
    run_other = [other[0]["A"] for _ in range(6)]
    assert all(torch.equal(x, y) for x, y in zip(run_one, run_two, strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(run_one, run_other, strict=True))
    assert len({x.sum().item() for x in run_one}) > 1, "successive epochs get new crops"


def test_dataloader_workers_do_not_repeat_each_other(tmp_path):
    for i in range(8):
        write_ab(tmp_path / "train" / f"{i}.png", pattern(32, 9), pattern(32, 9))
    dataset = PairedABDataset(tmp_path, "train", 48, 32, seed=0)
    torch.manual_seed(0)
    batches = list(DataLoader(dataset, batch_size=1, num_workers=2))
    crops = {batch["A"].sum().item() for batch in batches}
    assert len(crops) > 2


def test_odd_width_ab_image_is_a_clear_error(tmp_path):
    (tmp_path / "train").mkdir()
    Image.new("RGB", (63, 32)).save(tmp_path / "train" / "odd.png")
    dataset = PairedABDataset(tmp_path, "train", 32, 32)
    with pytest.raises(ValueError, match=r"odd\.png.*63x32.*even width"):
        dataset[0]


def test_greyscale_rgba_and_16_bit_ab_files_load_as_rgb(tmp_path):
    folder = tmp_path / "train"
    folder.mkdir()
    Image.new("L", (64, 32), 100).save(folder / "a_grey.png")
    Image.new("RGBA", (64, 32), (10, 20, 30, 255)).save(folder / "b_rgba.png")
    Image.fromarray(np.full((32, 64), 65535, dtype=np.uint16)).save(folder / "c_deep.png")
    Image.new("RGB", (64, 32), (0, 0, 255)).save(folder / "D_upper.JPG", format="JPEG")
    (folder / "readme.txt").write_text("not an image")
    dataset = PairedABDataset(tmp_path, "train", 32, 32, flip=False)
    assert [p.name for p in dataset.paths] == [
        "D_upper.JPG",
        "a_grey.png",
        "b_rgba.png",
        "c_deep.png",
    ]
    grey, rgba, deep = dataset[1]["A"], dataset[2]["A"], dataset[3]["A"]
    assert grey.shape == rgba.shape == deep.shape == (3, 32, 32)
    assert torch.allclose(grey, torch.full_like(grey, 100 / 127.5 - 1))
    assert torch.allclose(rgba[:, 0, 0], torch.tensor([10, 20, 30]) / 127.5 - 1)
    assert torch.allclose(deep, torch.ones_like(deep)), "65535 must become white, not clip"


def test_missing_folders_and_empty_splits_name_the_expected_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere.*train/\*\.jpg.*side by side"):
        PairedABDataset(tmp_path / "nowhere")
    (tmp_path / "train").mkdir()
    with pytest.raises(FileNotFoundError, match=r"val.*found only train.*side by side"):
        PairedABDataset(tmp_path, "val")
    with pytest.raises(FileNotFoundError, match=r"no images in .*train"):
        PairedABDataset(tmp_path, "train")


def test_bad_arguments_are_rejected(paired_root):
    with pytest.raises(ValueError, match="train, val, test"):
        PairedABDataset(paired_root, "validation")
    with pytest.raises(ValueError, match="AtoB, BtoA"):
        PairedABDataset(paired_root, direction="A2B")
    with pytest.raises(ValueError, match="crop_size"):
        PairedABDataset(paired_root, load_size=256, crop_size=286)
    assert len(PairedABDataset(paired_root, max_items=2)) == 2


# -------------------------------------------------------------------------------- unpaired


@pytest.fixture
def unpaired_root(tmp_path):
    root = tmp_path / "h2z"
    for split, counts in (("train", (3, 7)), ("test", (2, 2))):
        for side, count in zip("AB", counts, strict=True):
            folder = root / f"{split}{side}"
            folder.mkdir(parents=True)
            for i in range(count):
                Image.fromarray(pattern(24, seed=100 * (side == "B") + i)).save(folder / f"{i}.png")
    return root


def test_unpaired_length_order_and_random_b(unpaired_root):
    dataset = UnpairedDataset(unpaired_root, "train", load_size=24, crop_size=20, seed=0)
    assert len(dataset) == 7
    item = dataset[4]
    assert set(item) == {"A", "B", "A_path", "B_path"}
    assert item["A"].shape == item["B"].shape == (3, 20, 20)
    assert item["A"].dtype == torch.float32 and -1 <= item["A"].min() and item["A"].max() <= 1
    assert [dataset[i]["A_path"].rsplit("/", 1)[-1] for i in range(7)] == [
        "0.png",
        "1.png",
        "2.png",
        "0.png",
        "1.png",
        "2.png",
        "0.png",
    ]

    def b_paths(seed: int) -> list[str]:
        fresh = UnpairedDataset(unpaired_root, "train", load_size=24, crop_size=20, seed=seed)
        return [fresh[i % 7]["B_path"] for i in range(70)]

    drawn = b_paths(0)
    serial = [str(dataset.paths_B[i % 7]) for i in range(70)]
    assert len(set(drawn)) >= 5, "B should be drawn at random from the whole domain"
    assert drawn != serial
    assert b_paths(0) == drawn, "the same seed draws the same B images"
    assert b_paths(1) != drawn


def test_unpaired_serial_batches_pairs_by_index(unpaired_root):
    dataset = UnpairedDataset(unpaired_root, "train", 24, 20, serial_batches=True)
    for i in range(len(dataset)):
        assert dataset[i]["B_path"] == str(dataset.paths_B[i % 7])
    with pytest.raises(IndexError):
        dataset[7]


def test_unpaired_test_split_has_no_random_crop(unpaired_root):
    dataset = UnpairedDataset(
        unpaired_root, "test", load_size=24, crop_size=20, serial_batches=True
    )
    first, second = dataset[1], dataset[1]
    assert torch.equal(first["A"], second["A"]) and torch.equal(first["B"], second["B"])
    image = Image.open(dataset.paths_A[1]).convert("RGB").resize((20, 20), Image.BICUBIC)
    expected = torch.from_numpy(np.array(image)).permute(2, 0, 1).float() / 127.5 - 1
    assert torch.allclose(first["A"], expected, atol=1e-6)


def test_unpaired_layout_errors_name_the_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"absent.*trainA.*trainB"):
        UnpairedDataset(tmp_path / "absent")
    (tmp_path / "trainA").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "trainA" / "x.png")
    with pytest.raises(FileNotFoundError, match=r"missing folder \S*trainB;") as info:
        UnpairedDataset(tmp_path, load_size=8, crop_size=8)
    assert "trainA" not in str(info.value).split(";")[0]
    (tmp_path / "trainB").mkdir()
    with pytest.raises(FileNotFoundError, match=r"no images in \S*trainB"):
        UnpairedDataset(tmp_path, load_size=8, crop_size=8)
    with pytest.raises(ValueError, match="train, test"):
        UnpairedDataset(tmp_path, "val")


# ---------------------------------------------------------------------- class-conditional


@pytest.fixture
def class_root(tmp_path):
    root = tmp_path / "classes"
    for name, value in (("zebra", 200), ("ant", 50), ("cat", 120)):
        folder = root / "train" / name
        folder.mkdir(parents=True)
        for i in range(2):
            Image.new("L", (28, 28), value).save(folder / f"{i}.png")
    Image.new("RGBA", (28, 28), (255, 255, 255, 0)).save(root / "train" / "ant" / "2.png")
    return root


def test_class_dataset_labels_follow_sorted_class_names(class_root):
    dataset = ClassConditionalDataset(class_root, "train")
    assert dataset.classes == ["ant", "cat", "zebra"]
    assert dataset.class_to_idx == {"ant": 0, "cat": 1, "zebra": 2}
    assert len(dataset) == 7 and dataset.targets == [0, 0, 0, 1, 1, 2, 2]
    image, label = dataset[3]
    assert label == 1 and image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert torch.allclose(image, torch.full_like(image, 120 / 127.5 - 1))
    transparent, _ = dataset[2]
    assert torch.all(transparent == -1), "transparent pixels of digits become black"
    preloaded = ClassConditionalDataset(class_root, "train", preload=True)
    assert all(torch.equal(preloaded[i][0], dataset[i][0]) for i in range(len(dataset)))


def test_class_dataset_options_and_errors(class_root, tmp_path):
    rgb = ClassConditionalDataset(class_root, "train", mode="RGB", image_size=16)
    assert rgb[0][0].shape == (3, 16, 16)
    with pytest.raises(FileNotFoundError, match=r"test.*found train.*<class_name>"):
        ClassConditionalDataset(class_root, "test")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ClassConditionalDataset(tmp_path / "none")
    (tmp_path / "empty" / "train" / "a").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no images"):
        ClassConditionalDataset(tmp_path / "empty")
    with pytest.raises(ValueError, match="mode"):
        ClassConditionalDataset(class_root, mode="RGBA")

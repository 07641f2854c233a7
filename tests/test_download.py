"""Downloads of the real datasets, against local archives and a local HTTP server only."""

from __future__ import annotations

import hashlib
import io
import socket
import subprocess
import sys
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from course_lib.data import PairedABDataset, UnpairedDataset
from course_lib.data.download import (
    DATASETS,
    DownloadError,
    download_dataset,
    main,
    safe_extract,
    verify_archive,
)

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "data_scripts" / "download.py"


# ----------------------------------------------------------------------------- fixtures


def jpeg(width: int, height: int, seed: int) -> bytes:
    """A noisy JPEG (noise does not compress, so the archives have some size)."""
    rng = np.random.default_rng(seed)
    array = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def pix2pix_members(name: str = "facades") -> dict[str, bytes]:
    return {
        f"{name}/train/1.jpg": jpeg(64, 32, 1),
        f"{name}/train/2.jpg": jpeg(64, 32, 2),
        f"{name}/val/1.jpg": jpeg(64, 32, 3),
        f"{name}/test/1.jpg": jpeg(64, 32, 4),
    }


def cyclegan_members(name: str = "horse2zebra") -> dict[str, bytes]:
    return {
        f"{name}/{folder}/{i}.jpg": jpeg(32, 32, 10 * k + i)
        for k, folder in enumerate(["trainA", "trainB", "testA", "testB"])
        for i in range(2)
    }


def tar_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


class Server:
    """A tiny HTTP server on 127.0.0.1 serving in-memory files, with Range support.

    ``modes[path]`` can be ``"truncate_once"`` (the first answer stops half-way) or
    ``"ignore_range"`` (always answers 200 with the whole file).
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.modes: dict[str, str] = {}
        self.requests: list[tuple[str, str | None]] = []
        state = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_GET(self):  # noqa: N802 - name fixed by http.server
                state.requests.append((self.path, self.headers.get("Range")))
                data = state.files.get(self.path)
                if data is None:
                    self.send_error(404, "Not Found")
                    return
                mode = state.modes.get(self.path, "normal")
                start = 0
                wanted = self.headers.get("Range")
                if wanted and mode != "ignore_range":
                    start = int(wanted.removeprefix("bytes=").split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                body = data[start:]
                if mode == "truncate_once":
                    state.modes[self.path] = "normal"
                    body = body[: len(body) // 2]
                    self.close_connection = True
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    instance = Server()
    yield instance
    instance.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def one_sentence(message: str) -> None:
    assert "\n" not in message.strip()
    assert message.strip().endswith(".")
    assert "Traceback" not in message


# --------------------------------------------------------------------------- happy paths


def test_registry_lists_the_official_datasets():
    for name in ["facades", "maps", "edges2shoes", "cityscapes", "night2day", "edges2handbags"]:
        assert DATASETS[name].kind == "pix2pix"
        assert (
            DATASETS[name].url
            == f"http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/{name}.tar.gz"
        )
    for name in [
        "horse2zebra",
        "monet2photo",
        "summer2winter_yosemite",
        "apple2orange",
        "cezanne2photo",
        "ukiyoe2photo",
        "vangogh2photo",
        "iphone2dslr_flower",
    ]:
        assert DATASETS[name].kind == "cyclegan"
        assert (
            DATASETS[name].url == f"http://efrosgans.eecs.berkeley.edu/cyclegan/datasets/{name}.zip"
        )
    for name in ["maps", "cityscapes", "facades"]:
        assert DATASETS[f"{name}_cyclegan"].url.endswith(f"/cyclegan/datasets/{name}.zip")
    assert DATASETS["mnist"].kind == "mnist"


def test_pix2pix_download_over_http_lands_in_the_paired_layout(server, tmp_path):
    archive = tar_bytes(pix2pix_members())
    server.files["/facades.tar.gz"] = archive
    folder = download_dataset(
        "facades", tmp_path, url=server.url("/facades.tar.gz"), progress=False
    )
    assert folder == tmp_path / "facades"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.jpg")) == [
        "test/1.jpg",
        "train/1.jpg",
        "train/2.jpg",
        "val/1.jpg",
    ]
    item = PairedABDataset(folder, "train", load_size=32, crop_size=32)[0]
    assert item["A"].shape == (3, 32, 32)
    sidecar = tmp_path / "_archives" / "facades.tar.gz.sha256"
    assert sidecar.read_text().split()[0] == hashlib.sha256(archive).hexdigest()
    assert not (tmp_path / "_archives" / "facades.tar.gz").exists(), "archive removed"

    count = len(server.requests)
    assert (
        download_dataset("facades", tmp_path, url=server.url("/facades.tar.gz"), progress=False)
        == folder
    )
    assert len(server.requests) == count, "an extracted dataset is not downloaded again"


def test_cyclegan_zip_from_a_file_url_lands_in_the_unpaired_layout(tmp_path):
    source = tmp_path / "horse2zebra.zip"
    source.write_bytes(zip_bytes(cyclegan_members()))
    folder = download_dataset("horse2zebra", tmp_path / "data", url=source.as_uri(), progress=False)
    for sub in ("trainA", "trainB", "testA", "testB"):
        assert len(list((folder / sub).glob("*.jpg"))) == 2
    dataset = UnpairedDataset(folder, "train", load_size=32, crop_size=32)
    assert len(dataset) == 2 and dataset[0]["B"].shape == (3, 32, 32)


def test_cyclegan_names_shared_with_pix2pix_get_their_own_folder(tmp_path):
    source = tmp_path / "facades.zip"
    source.write_bytes(zip_bytes(cyclegan_members("facades")))
    folder = download_dataset("facades_cyclegan", tmp_path / "data", archive=source)
    assert folder == tmp_path / "data" / "facades_cyclegan"
    assert (folder / "trainA").is_dir() and not (tmp_path / "data" / "facades").exists()


def test_an_interrupted_download_resumes_with_a_range_request(server, tmp_path):
    archive = zip_bytes(cyclegan_members())
    server.files["/h2z.zip"] = archive
    server.modes["/h2z.zip"] = "truncate_once"
    url = server.url("/h2z.zip")
    with pytest.raises(DownloadError, match="run the same command again to resume") as info:
        download_dataset("horse2zebra", tmp_path, url=url, progress=False)
    one_sentence(str(info.value))
    part = tmp_path / "_archives" / "h2z.zip.part"
    half = len(archive) // 2
    assert part.stat().st_size == half
    assert not (tmp_path / "horse2zebra").exists()

    folder = download_dataset("horse2zebra", tmp_path, url=url, progress=False, keep_archive=True)
    assert server.requests[-1] == ("/h2z.zip", f"bytes={half}-")
    assert (tmp_path / "_archives" / "h2z.zip").read_bytes() == archive
    assert not part.exists()
    assert len(list((folder / "trainA").glob("*.jpg"))) == 2


def test_a_server_ignoring_range_restarts_from_scratch(server, tmp_path):
    archive = zip_bytes(cyclegan_members())
    server.files["/h2z.zip"] = archive
    server.modes["/h2z.zip"] = "ignore_range"
    part = tmp_path / "_archives" / "h2z.zip.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"stale bytes of an older attempt")
    download_dataset(
        "horse2zebra", tmp_path, url=server.url("/h2z.zip"), progress=False, keep_archive=True
    )
    assert server.requests[-1][1] == f"bytes={len(b'stale bytes of an older attempt')}-"
    assert (tmp_path / "_archives" / "h2z.zip").read_bytes() == archive


# --------------------------------------------------------------------------- checksums


def test_checksum_mismatch_is_a_clear_error_and_nothing_is_extracted(server, tmp_path):
    archive = zip_bytes(cyclegan_members())
    server.files["/h2z.zip"] = archive
    with pytest.raises(DownloadError, match="SHA-256") as info:
        download_dataset(
            "horse2zebra", tmp_path, url=server.url("/h2z.zip"), sha256="0" * 64, progress=False
        )
    one_sentence(str(info.value))
    assert "not extracted" in str(info.value)
    assert not (tmp_path / "horse2zebra").exists()
    assert not (tmp_path / "_archives" / "h2z.zip").exists(), "the bad file is deleted"

    good = hashlib.sha256(archive).hexdigest()
    folder = download_dataset(
        "horse2zebra", tmp_path, url=server.url("/h2z.zip"), sha256=good.upper(), progress=False
    )
    assert (folder / "trainB").is_dir()


def test_the_sidecar_checksum_catches_a_changed_archive(server, tmp_path):
    archive = zip_bytes(cyclegan_members())
    server.files["/h2z.zip"] = archive
    url = server.url("/h2z.zip")
    download_dataset("horse2zebra", tmp_path, url=url, progress=False, keep_archive=True)
    kept = tmp_path / "_archives" / "h2z.zip"
    kept.write_bytes(
        zip_bytes({"horse2zebra/trainA/x.jpg": b"other", "horse2zebra/trainB/y.jpg": b"other"})
    )  # a valid zip, but not the downloaded one
    count = len(server.requests)
    download_dataset(
        "horse2zebra", tmp_path, url=url, progress=False, keep_archive=True, overwrite=True
    )
    assert len(server.requests) == count + 1, "the changed archive is downloaded again"
    assert kept.read_bytes() == archive
    assert (tmp_path / "horse2zebra" / "trainA" / "0.jpg").exists()


def test_a_corrupt_download_is_deleted_not_extracted(server, tmp_path):
    server.files["/h2z.zip"] = b"<html>This is an error page, not a zip file.</html>"
    with pytest.raises(DownloadError, match="not a valid archive") as info:
        download_dataset("horse2zebra", tmp_path, url=server.url("/h2z.zip"), progress=False)
    one_sentence(str(info.value))
    assert not (tmp_path / "horse2zebra").exists()
    assert not (tmp_path / "_archives" / "h2z.zip").exists()


def test_truncated_archives_are_detected(tmp_path):
    whole = tar_bytes(pix2pix_members())
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole[: len(whole) - 200])
    with pytest.raises(DownloadError, match="corrupt or truncated"):
        verify_archive(cut)
    with pytest.raises(DownloadError, match="corrupt or truncated"):
        download_dataset("facades", tmp_path / "data", archive=cut)
    assert not (tmp_path / "data" / "facades").exists()
    good = tmp_path / "good.tar.gz"
    good.write_bytes(whole)
    assert verify_archive(good) == "tar"


# ------------------------------------------------------------------------------ failures


def test_404_names_the_url_in_one_sentence(server, tmp_path):
    url = server.url("/missing.zip")
    with pytest.raises(DownloadError) as info:
        download_dataset("horse2zebra", tmp_path, url=url, progress=False)
    message = str(info.value)
    assert message.startswith(f"Could not download horse2zebra from {url}: ")
    assert "404 Not Found" in message and "--list" in message and "--archive PATH" in message
    one_sentence(message)


def test_offline_is_one_sentence(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/horse2zebra.zip"
    with pytest.raises(DownloadError) as info:
        download_dataset("horse2zebra", tmp_path, url=url, progress=False)
    message = str(info.value)
    assert message.startswith(f"Could not download horse2zebra from {url}: ")
    assert "refused" in message and "--archive PATH" in message
    one_sentence(message)


def test_a_silent_server_times_out_in_one_sentence(tmp_path):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/horse2zebra.zip"
        with pytest.raises(DownloadError) as info:
            download_dataset("horse2zebra", tmp_path, url=url, timeout=0.5, progress=False)
    assert "did not answer in time" in str(info.value)
    one_sentence(str(info.value))


def test_unknown_names_list_the_known_ones(capsys):
    with pytest.raises(DownloadError, match="horse2zebra.*vangogh2photo"):
        download_dataset("horse2zebra_v2")
    assert main(["horse2zebra_v2"]) == 1
    err = capsys.readouterr().err
    assert "Unknown dataset 'horse2zebra_v2'" in err and "edges2shoes" in err
    one_sentence(err)


def test_cli_list_and_archive(tmp_path, capsys):
    assert main(["--list"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in DATASETS)
    source = tmp_path / "facades.tar.gz"
    source.write_bytes(tar_bytes(pix2pix_members()))
    assert main(["facades", "--root", str(tmp_path / "data"), "--archive", str(source)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "data" / "facades")
    assert (tmp_path / "data" / "facades" / "val" / "1.jpg").exists()
    assert (
        main(
            [
                "facades",
                "--root",
                str(tmp_path / "data"),
                "--archive",
                str(tmp_path / "nope.tar.gz"),
                "--overwrite",
            ]
        )
        == 1
    )
    assert "does not exist" in capsys.readouterr().err


def test_cli_script_exits_1_without_traceback_when_offline(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/horse2zebra.zip"
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "horse2zebra",
            "--root",
            str(tmp_path),
            "--url",
            url,
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Could not download horse2zebra from")
    one_sentence(result.stderr)


# ---------------------------------------------------------------------- unsafe archives


def test_members_escaping_the_folder_are_rejected(tmp_path):
    members = pix2pix_members()
    members["../evil.txt"] = b"owned"
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(tar_bytes(members))
    with pytest.raises(DownloadError, match="outside the target folder") as info:
        download_dataset("facades", tmp_path / "data", archive=archive)
    one_sentence(str(info.value))
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "data" / "evil.txt").exists()
    assert not (tmp_path / "data" / "facades").exists()

    absolute = tmp_path / "absolute.zip"
    absolute.write_bytes(zip_bytes({**cyclegan_members(), "/tmp/evil.txt": b"owned"}))
    with zipfile.ZipFile(absolute) as check:  # zipfile itself keeps the leading slash
        assert "/tmp/evil.txt" in check.namelist()
    with pytest.raises(DownloadError, match="absolute path"):
        download_dataset("horse2zebra", tmp_path / "data", archive=absolute)
    assert not (tmp_path / "data" / "horse2zebra").exists()


def test_links_in_archives_are_rejected(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        link = tarfile.TarInfo("facades/train/link.jpg")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    path = tmp_path / "link.tar.gz"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(DownloadError, match="link"):
        safe_extract(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_wrong_layouts_and_foreign_folders_are_reported(tmp_path):
    wrong = tmp_path / "wrong.zip"
    wrong.write_bytes(zip_bytes({"horse2zebra/images/1.jpg": jpeg(8, 8, 0)}))
    with pytest.raises(DownloadError, match="cyclegan layout.*trainA or trainB"):
        download_dataset("horse2zebra", tmp_path / "data", archive=wrong)
    assert not (tmp_path / "data" / "horse2zebra").exists()

    (tmp_path / "data" / "horse2zebra" / "trainA").mkdir(parents=True)
    with pytest.raises(DownloadError, match="exists but does not hold a complete"):
        download_dataset("horse2zebra", tmp_path / "data", archive=wrong)
    (tmp_path / "data" / "horse2zebra" / "trainB").mkdir()
    folder = download_dataset("horse2zebra", tmp_path / "data", archive=wrong)
    assert folder == tmp_path / "data" / "horse2zebra", "a dataset placed by hand is kept"


def test_a_single_layout_folder_at_the_top_is_not_stripped(tmp_path):
    archive = tmp_path / "flat.zip"
    archive.write_bytes(zip_bytes({"train/1.jpg": jpeg(16, 8, 0), "train/2.jpg": jpeg(16, 8, 1)}))
    assert safe_extract(archive, tmp_path / "out") == 2
    assert (tmp_path / "out" / "train" / "2.jpg").exists()


# --------------------------------------------------------------------------------- MNIST


def write_idx(path: Path, array: np.ndarray) -> None:
    header = (0x0800 + array.ndim).to_bytes(4, "big")
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_mnist_is_exported_to_class_folders(tmp_path):
    from course_lib.data import ClassConditionalDataset

    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, count in (("train", 12), ("t10k", 5)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (count, 28, 28)))
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(count) % 10)
    folder = download_dataset("mnist", tmp_path)
    assert folder == tmp_path / "mnist"
    train = ClassConditionalDataset(folder, "train")
    assert len(train) == 12 and train.classes == [str(d) for d in range(10)]
    assert len(ClassConditionalDataset(folder, "test")) == 5
    image, label = train[train.targets.index(3)]
    original = np.frombuffer((raw / "train-images-idx3-ubyte").read_bytes()[16:], np.uint8)
    assert label == 3
    assert np.array_equal(
        ((image[0].numpy() + 1) * 127.5).round(), original.reshape(12, 28, 28)[3].astype(np.float64)
    )


def test_mnist_offline_is_one_sentence(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST

    monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{closed_port()}/"])
    with pytest.raises(DownloadError, match="Could not download MNIST") as info:
        download_dataset("mnist", tmp_path)
    one_sentence(str(info.value))

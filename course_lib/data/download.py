"""Download the real pix2pix and CycleGAN datasets (and MNIST) for a GPU session.

The archives are the ones the official scripts fetch (``datasets/download_pix2pix_dataset.sh``
and ``download_cyclegan_dataset.sh``): pix2pix sets are ``.tar.gz`` files of AB images
(``<name>/train/*.jpg``, ``val/``, ``test/``), CycleGAN sets ``.zip`` files of two image folders
per split (``<name>/trainA``, ``trainB``, ``testA``, ``testB``). They are extracted in exactly the
layouts that :class:`~course_lib.data.PairedABDataset` and
:class:`~course_lib.data.UnpairedDataset` read.

Everything here uses the standard library only. Downloads go to ``<file>.part`` and resume
with an HTTP ``Range`` request after an interruption; an archive is extracted only once it is
complete (its size matches ``Content-Length``), readable as a tar or zip, and matches its
SHA-256 when one is known. Its SHA-256 is recorded next to it (``<archive>.sha256``), so a
later run detects a corrupted copy. Members with absolute paths or ``..`` are refused.

From a terminal: ``python data_scripts/download.py horse2zebra --root data``.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import json
import os
import shutil
import socket
import sys
import tarfile
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = [
    "DATASETS",
    "DatasetSpec",
    "DownloadError",
    "PIX2PIX_URL",
    "CYCLEGAN_URL",
    "list_datasets",
    "dataset_spec",
    "download_file",
    "verify_archive",
    "sha256_of",
    "safe_extract",
    "download_dataset",
    "main",
]

PIX2PIX_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/{name}.tar.gz"
CYCLEGAN_URL = "http://efrosgans.eecs.berkeley.edu/cyclegan/datasets/{name}.zip"
_MARKER = ".download.json"
_LAYOUT_FOLDERS = {"train", "val", "test", "trainA", "trainB", "testA", "testB"}
_CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """A download or an extraction failed; the message is one sentence saying what to do."""


@dataclass(frozen=True)
class DatasetSpec:
    """One downloadable dataset: how to get it and the layout it is extracted into."""

    name: str
    kind: str  # "pix2pix", "cyclegan" or "mnist"
    url: str
    layout: str
    sha256: str | None = None

    @property
    def archive_name(self) -> str:
        """File name of the archive (the last part of the URL)."""
        return self.url.rsplit("/", 1)[-1] or f"{self.name}.archive"


def _pix2pix(name: str, sha256: str | None = None) -> DatasetSpec:
    return DatasetSpec(
        name,
        "pix2pix",
        PIX2PIX_URL.format(name=name),
        f"{name}/train|val|test/*.jpg, A and B side by side",
        sha256,
    )


def _cyclegan(name: str, folder: str | None = None, sha256: str | None = None) -> DatasetSpec:
    return DatasetSpec(
        folder or name,
        "cyclegan",
        CYCLEGAN_URL.format(name=name),
        f"{folder or name}/trainA, trainB, testA, testB",
        sha256,
    )


#: Every dataset the course knows, by name. pix2pix and CycleGAN both publish ``maps``,
#: ``cityscapes`` and ``facades``; the plain names are the pix2pix (paired) versions and the
#: CycleGAN versions carry the suffix ``_cyclegan``. ``sha256`` is checked when it is filled in.
DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in [
        *(
            _pix2pix(name)
            for name in (
                "facades",
                "maps",
                "edges2shoes",
                "cityscapes",
                "night2day",
                "edges2handbags",
            )
        ),
        *(
            _cyclegan(name)
            for name in (
                "horse2zebra",
                "monet2photo",
                "summer2winter_yosemite",
                "apple2orange",
                "cezanne2photo",
                "ukiyoe2photo",
                "vangogh2photo",
                "iphone2dslr_flower",
            )
        ),
        _cyclegan("maps", "maps_cyclegan"),
        _cyclegan("cityscapes", "cityscapes_cyclegan"),
        _cyclegan("facades", "facades_cyclegan"),
        DatasetSpec(
            "mnist",
            "mnist",
            "torchvision.datasets.MNIST",
            "mnist/train|test/<digit>/*.png (and torchvision's MNIST/raw files)",
        ),
    ]
}


def list_datasets() -> list[str]:
    """The names :func:`download_dataset` accepts, sorted."""
    return sorted(DATASETS)


def dataset_spec(name: str) -> DatasetSpec:
    """The registry entry of ``name``; ``DownloadError`` listing the known names otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        raise DownloadError(
            f"Unknown dataset {name!r}; known datasets are: {', '.join(list_datasets())}."
        ) from None


# ----------------------------------------------------------------------------- downloading


def _reason(error: BaseException) -> str:
    """A short human description of why a request failed."""
    if isinstance(error, urllib.error.HTTPError):
        return f"the server answered {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        error = error.reason if isinstance(error.reason, BaseException) else error
        if isinstance(error, str):
            return error
    if isinstance(error, ConnectionRefusedError):
        return "the connection was refused (is the server down or are you offline?)"
    if isinstance(error, socket.gaierror):
        return "the host name could not be resolved (are you offline?)"
    if isinstance(error, TimeoutError | socket.timeout):
        return "the server did not answer in time (are you offline?)"
    if isinstance(error, FileNotFoundError):
        return "the file does not exist"
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return f"{text} (are you offline?)"


def _failure(label: str, url: str, error: BaseException) -> DownloadError:
    if isinstance(error, urllib.error.HTTPError) and error.code in (403, 404, 410):
        hint = "check the name with `--list`"
    elif isinstance(error, urllib.error.HTTPError):
        hint = "try again later"
    else:
        hint = "check your connection"
    return DownloadError(
        f"Could not download {label} from {url}: {_reason(error)}; {hint}, or download the "
        "archive by hand and pass --archive PATH."
    )


def _content_total(response, offset: int) -> int | None:
    """Total size of the resource from ``Content-Range`` (206) or ``Content-Length`` (200)."""
    status = getattr(response, "status", None) or 200
    content_range = response.headers.get("Content-Range")
    if status == 206 and content_range and "/" in content_range:
        total = content_range.rsplit("/", 1)[1].strip()
        return int(total) if total.isdigit() else None
    length = response.headers.get("Content-Length")
    if length is None or not length.strip().isdigit():
        return None
    return int(length) + (offset if status == 206 else 0)


def sha256_of(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file, hex-encoded."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_file(
    url: str,
    dest: str | os.PathLike[str],
    *,
    timeout: float = 30.0,
    progress: bool = True,
    label: str | None = None,
) -> Path:
    """Download ``url`` to ``dest`` through ``dest.part``, resuming a partial download.

    When ``dest.part`` exists the request asks for the remaining bytes (``Range``); a server
    that ignores it answers with the whole file, which then replaces the partial one. The
    file is renamed to ``dest`` only when its size matches the announced size. Raises
    :class:`DownloadError` (one sentence) on any failure; an interrupted transfer keeps the
    ``.part`` file so that the next call resumes.
    """
    dest = Path(dest)
    label = label or dest.name
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    for _attempt in range(2):
        offset = part.stat().st_size if part.exists() else 0
        headers = {"User-Agent": "gan-course-downloader/1.0"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        request = urllib.request.Request(url, headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            if error.code == 416 and offset:  # the partial file is unusable: start over
                part.unlink()
                continue
            raise _failure(label, url, error) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            raise _failure(label, url, error) from None
        with response:
            status = getattr(response, "status", None) or 200
            resumed = offset > 0 and status == 206
            if not resumed:
                offset = 0
            total = _content_total(response, offset)
            received = offset
            bar = _progress_bar(label, total, offset) if progress else None
            try:
                with open(part, "ab" if resumed else "wb") as handle:
                    while True:
                        block = response.read(_CHUNK)
                        if not block:
                            break
                        handle.write(block)
                        received += len(block)
                        if bar is not None:
                            bar.update(len(block))
            except (OSError, http.client.HTTPException) as error:
                done = f" after {received} of {total} bytes" if total else ""
                raise DownloadError(
                    f"The download of {label} from {url} was interrupted{done} "
                    f"({_reason(error)}); run the same command again to resume it."
                ) from None
            finally:
                if bar is not None:
                    bar.close()
        if total is not None and received != total:
            raise DownloadError(
                f"The download of {label} from {url} is incomplete ({received} of {total} "
                "bytes); run the same command again to resume it."
            )
        os.replace(part, dest)
        return dest
    raise DownloadError(
        f"Could not download {label} from {url}: the server refused to resume the partial "
        f"file {part}; delete it and try again."
    )


def _progress_bar(label: str, total: int | None, initial: int):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency of the course
        return None
    return tqdm(
        total=total,
        initial=initial,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=label,
        file=sys.stderr,
    )


# ------------------------------------------------------------------------------- archives


def verify_archive(path: str | os.PathLike[str]) -> str:
    """Check that ``path`` is a complete, readable tar or zip archive; return its kind.

    For a tar archive every member header is read (a truncated gzip stream fails); for a zip
    archive the CRC of every member is checked. Raises :class:`DownloadError` otherwise.
    """
    path = Path(path)
    if not path.is_file():
        raise DownloadError(f"The archive {path} does not exist.")
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
            if bad is not None:
                raise DownloadError(
                    f"The archive {path} is corrupt (member {bad!r} fails its CRC check); "
                    "delete it and download it again."
                )
            return "zip"
        if tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                for member in archive:
                    if member.isfile():
                        handle = archive.extractfile(member)
                        if handle is not None:
                            while handle.read(1 << 20):
                                pass
            return "tar"
    except DownloadError:
        raise
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise DownloadError(
            f"The archive {path} is corrupt or truncated ({error}); delete it and download "
            "it again."
        ) from None
    raise DownloadError(
        f"The file {path} is neither a tar nor a zip archive; delete it and download it again."
    )


def _member_parts(name: str) -> tuple[str, ...]:
    """The path components of an archive member, refusing absolute paths and ``..``."""
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        raise DownloadError(
            f"The archive member {name!r} has an absolute path; refusing to extract the archive."
        )
    parts = tuple(p for p in PurePosixPath(normalised).parts if p not in ("", "."))
    if ".." in parts:
        raise DownloadError(
            f"The archive member {name!r} points outside the target folder; refusing to "
            "extract the archive."
        )
    return parts


def safe_extract(
    archive: str | os.PathLike[str], dest: str | os.PathLike[str], strip_top: bool = True
) -> int:
    """Extract the regular files of a tar or zip archive into ``dest``; return their number.

    Every member name is checked *before* anything is written: an absolute path, a ``..``
    component or a link makes the whole archive rejected with :class:`DownloadError`.
    With ``strip_top``, a single top-level folder shared by all members is dropped, so that
    ``horse2zebra/trainA/x.jpg`` lands in ``dest/trainA/x.jpg``. Hidden macOS ``__MACOSX``
    entries are skipped.
    """
    archive, dest = Path(archive), Path(dest)
    kind = "zip" if zipfile.is_zipfile(archive) else "tar"
    files: list[tuple[tuple[str, ...], object]] = []
    if kind == "zip":
        handle = zipfile.ZipFile(archive)
        for info in handle.infolist():
            parts = _member_parts(info.filename)
            mode = (info.external_attr >> 16) & 0o170000
            if mode == 0o120000:
                raise DownloadError(
                    f"The archive member {info.filename!r} is a symbolic link; refusing to "
                    "extract the archive."
                )
            if not info.is_dir() and parts and parts[0] != "__MACOSX":
                files.append((parts, info))
    else:
        handle = tarfile.open(archive)
        for member in handle.getmembers():
            parts = _member_parts(member.name)
            if member.issym() or member.islnk():
                raise DownloadError(
                    f"The archive member {member.name!r} is a link; refusing to extract the "
                    "archive."
                )
            if member.isfile() and parts and parts[0] != "__MACOSX":
                files.append((parts, member))
    with handle:
        tops = {parts[0] for parts, _ in files}
        strip = (
            strip_top
            and len(tops) == 1
            and not tops & _LAYOUT_FOLDERS
            and all(len(parts) > 1 for parts, _ in files)
        )
        dest.mkdir(parents=True, exist_ok=True)
        for parts, member in files:
            target = dest.joinpath(*(parts[1:] if strip else parts))
            target.parent.mkdir(parents=True, exist_ok=True)
            source = handle.open(member) if kind == "zip" else handle.extractfile(member)
            with source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
    return len(files)


def _layout_problem(spec: DatasetSpec, folder: Path) -> str | None:
    """Why ``folder`` does not hold the layout of ``spec`` (``None`` when it does)."""
    from .images import list_images

    if spec.kind == "pix2pix":
        splits = [s for s in ("train", "val", "test") if (folder / s).is_dir()]
        if not splits or not any(list_images(folder / s) for s in splits):
            return "it has no train/, val/ or test/ folder of images"
    elif spec.kind == "cyclegan":
        missing = [s for s in ("trainA", "trainB") if not (folder / s).is_dir()]
        if missing:
            return f"it has no {' or '.join(missing)} folder"
    return None


# ---------------------------------------------------------------------------------- datasets


def _marker(folder: Path) -> dict | None:
    try:
        return json.loads((folder / _MARKER).read_text())
    except (OSError, ValueError):
        return None


def _extract_dataset(spec: DatasetSpec, archive: Path, digest: str, target: Path) -> Path:
    """Extract ``archive`` into a temporary folder, check its layout, then move it to ``target``."""
    staging = target.with_name(f".{target.name}.extract-{uuid.uuid4().hex[:8]}")
    try:
        count = safe_extract(archive, staging)
        problem = _layout_problem(spec, staging)
        if problem:
            raise DownloadError(
                f"The archive {archive} does not hold the {spec.kind} layout ({problem}); "
                f"expected {spec.layout}."
            )
        marker = {"name": spec.name, "url": spec.url, "sha256": digest, "files": count}
        (staging / _MARKER).write_text(json.dumps(marker, indent=2) + "\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def download_dataset(
    name: str,
    root: str | os.PathLike[str] | None = None,
    *,
    archive: str | os.PathLike[str] | None = None,
    url: str | None = None,
    sha256: str | None = None,
    overwrite: bool = False,
    keep_archive: bool = False,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Download and extract dataset ``name`` into ``root/name``; return that folder.

    - ``root`` defaults to ``course_lib.config.DEFAULT_DATA_DIR``;
    - ``archive``: use this local ``.tar.gz`` / ``.zip`` instead of downloading;
    - ``url``: download from another address (a mirror) than the registry's;
    - ``sha256``: expected checksum (else the registry's, when known);
    - ``overwrite``: extract again even when the folder is complete;
    - ``keep_archive``: keep ``root/_archives/<file>`` after extracting (it is always kept
      after a failed extraction, to resume or inspect).

    A folder extracted earlier (it holds a ``.download.json`` marker) is returned at once.
    Failures raise :class:`DownloadError` with a one-sentence message.
    """
    from course_lib.config import DEFAULT_DATA_DIR

    spec = dataset_spec(name)
    root = Path(DEFAULT_DATA_DIR if root is None else root)
    target = root / spec.name
    if spec.kind == "mnist":
        return _download_mnist(root, overwrite=overwrite)
    if not overwrite:
        marker = _marker(target)
        if marker is not None and _layout_problem(spec, target) is None:
            return target
        if marker is None and target.exists():
            if _layout_problem(spec, target) is None:
                return target  # put there by hand, already in the right layout
            raise DownloadError(
                f"The folder {target} exists but does not hold a complete {name} dataset; "
                "delete it or pass --overwrite."
            )
    expected = (sha256 or spec.sha256 or "").lower() or None
    source = url or spec.url

    if archive is not None:
        path = Path(archive)
        if not path.is_file():
            raise DownloadError(f"The archive {path} given with --archive does not exist.")
        verify_archive(path)
        digest = sha256_of(path)
        if expected and digest != expected:
            raise DownloadError(
                f"The archive {path} has SHA-256 {digest} but {name} should have {expected}; "
                "it is another version or a damaged copy, so it was not extracted."
            )
        return _extract_dataset(spec, path, digest, target)

    archives = root / "_archives"
    path = archives / (source.rsplit("/", 1)[-1] or spec.archive_name)
    sidecar = path.with_name(path.name + ".sha256")
    digest = None
    if path.exists():  # a complete archive from an earlier run: check it is still intact
        recorded = (sidecar.read_text().split() or [None])[0] if sidecar.exists() else None
        try:
            verify_archive(path)
            found = sha256_of(path)
            if recorded in (None, found) and expected in (None, found):
                digest = found
        except DownloadError:
            pass
        if digest is None:
            path.unlink()
            sidecar.unlink(missing_ok=True)
    if digest is None:
        download_file(source, path, timeout=timeout, progress=progress, label=name)
        try:
            verify_archive(path)
        except DownloadError as error:
            path.unlink(missing_ok=True)
            raise DownloadError(
                f"The file downloaded for {name} from {source} is not a valid archive, so it "
                f"was deleted ({str(error).rstrip('.')})."
            ) from None
        digest = sha256_of(path)
        if expected and digest != expected:
            path.unlink(missing_ok=True)
            raise DownloadError(
                f"The archive downloaded for {name} from {source} has SHA-256 {digest} instead "
                f"of {expected}, so it was deleted and not extracted; try again later or pass "
                "--archive PATH."
            )
        sidecar.write_text(f"{digest}  {path.name}\n")
    result = _extract_dataset(spec, path, digest, target)
    if not keep_archive:
        path.unlink(missing_ok=True)
    return result


def _download_mnist(root: Path, overwrite: bool = False) -> Path:
    """MNIST through torchvision, exported as PNGs in the layout ``mnist/<split>/<digit>/``."""
    target = root / "mnist"
    if not overwrite and _marker(target) is not None:
        return target
    try:
        from torchvision.datasets import MNIST
    except ImportError as error:  # pragma: no cover - torchvision is a dependency
        raise DownloadError(
            f"MNIST needs torchvision, which could not be imported ({error})."
        ) from None
    try:
        splits = {
            "train": MNIST(str(root), train=True, download=True),
            "test": MNIST(str(root), train=False, download=True),
        }
    except (urllib.error.URLError, OSError, RuntimeError) as error:
        lines = str(error).strip().splitlines() or [type(error).__name__]
        reason = _reason(error) if isinstance(error, OSError) else lines[0].rstrip(":")
        raise DownloadError(
            f"Could not download MNIST through torchvision ({reason}); check your connection, "
            f"or copy the four MNIST files into {root / 'MNIST' / 'raw'} by hand."
        ) from None
    from PIL import Image

    staging = root / f".mnist.extract-{uuid.uuid4().hex[:8]}"
    try:
        counts = {}
        for split, dataset in splits.items():
            images, labels = dataset.data.numpy(), dataset.targets.numpy()
            for digit in range(10):
                (staging / split / str(digit)).mkdir(parents=True, exist_ok=True)
            for index, (image, label) in enumerate(zip(images, labels, strict=True)):
                buffer = io.BytesIO()
                Image.fromarray(image).save(buffer, format="PNG")
                (staging / split / str(int(label)) / f"{index:05d}.png").write_bytes(
                    buffer.getvalue()
                )
            counts[split] = len(labels)
        (staging / _MARKER).write_text(json.dumps({"name": "mnist", "counts": counts}) + "\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


# ---------------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python data_scripts/download.py NAME [--root DIR] [--archive PATH]``.

    Prints the dataset folder on success; on failure prints one sentence to stderr and
    returns 1.
    """
    parser = argparse.ArgumentParser(
        prog="download.py",
        description="Download a pix2pix / CycleGAN dataset (or MNIST) into the course's layout.",
    )
    parser.add_argument("name", nargs="?", help="dataset name (see --list)")
    parser.add_argument("--root", default=None, help="data folder (default: course data dir)")
    parser.add_argument("--list", action="store_true", help="list the known datasets and exit")
    parser.add_argument("--archive", default=None, help="use this local archive, no download")
    parser.add_argument("--url", default=None, help="download from this address (a mirror)")
    parser.add_argument("--sha256", default=None, help="expected SHA-256 of the archive")
    parser.add_argument("--overwrite", action="store_true", help="extract again")
    parser.add_argument("--keep-archive", action="store_true", help="keep the archive")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    if args.list:
        width = max(len(name) for name in DATASETS)
        for name in list_datasets():
            spec = DATASETS[name]
            print(f"{name:<{width}}  {spec.kind:<8}  {spec.layout}")
        return 0
    if not args.name:
        print("Name a dataset to download, or pass --list to see them.", file=sys.stderr)
        return 1
    try:
        folder = download_dataset(
            args.name,
            args.root,
            archive=args.archive,
            url=args.url,
            sha256=args.sha256,
            overwrite=args.overwrite,
            keep_archive=args.keep_archive,
            timeout=args.timeout,
            progress=not args.quiet,
        )
    except DownloadError as error:
        print(str(error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; run the same command again to resume the download.", file=sys.stderr)
        return 1
    print(folder)
    return 0

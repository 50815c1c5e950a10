"""Save, read, list, load, verify, reindex, dedupe, export/import, lineage, fingerprints."""

from __future__ import annotations

import json
import tarfile
import warnings

import numpy as np
import pytest
from safetensors.numpy import load, save
from vadapt_registry import (
    AdapterExists,
    CorruptAdapter,
    IncompatibleBaseModel,
    InvalidConfig,
    Manifest,
    ManifestWarning,
    NotFound,
    Registry,
    check_compatible,
    fingerprint_files,
)


def test_save_assigns_monotonic_versions_and_get_resolves(reg, make_draft, make_files) -> None:
    m1 = reg.save(make_draft(), make_files(1))
    m2 = reg.save(make_draft(), make_files(2))
    assert (m1.version, m2.version) == (1, 2)
    assert reg.get("intent").ref == "intent@2"
    assert reg.resolve("intent@1") == m1
    assert reg.get("intent@v1") == m1
    reg.remove("intent@2")
    assert reg.save(make_draft(), make_files(3)).version == 3  # never reuses a number it gave out
    tagged = reg.save(make_draft(), make_files(4), version="prod")
    assert tagged.ref == "intent@prod" and reg.get("intent@prod") == tagged
    assert reg.get("intent").version == 3  # latest is the highest integer version


def test_manifest_on_disk_is_sorted_indented_and_names_writer(reg, make_draft, make_files) -> None:
    m = reg.save(make_draft(), make_files())
    path = reg.manifest_path(m.vertical, m.name, m.version)
    text = path.read_text()
    raw = json.loads(text)
    assert text == json.dumps(raw, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert raw["writer"].startswith("vadapt-registry ")
    assert raw["schema_version"] == 1
    assert set(raw["files"]) == {
        "adapter_model.safetensors",
        "adapter_config.json",
        "head.safetensors",
    }
    assert raw["created"].endswith("Z")
    assert Manifest.from_json(text) == m


def test_existing_version_is_not_overwritten_unless_asked(reg, make_draft, make_files) -> None:
    reg.save(make_draft(), make_files(1), version=5)
    with pytest.raises(AdapterExists, match="intent@5"):
        reg.save(make_draft(), make_files(2), version=5)
    new = reg.save(make_draft(notes="again"), make_files(2), version=5, overwrite=True)
    assert reg.get("intent@5") == new and reg.verify() == []
    assert reg.save(make_draft(), make_files(3)).version == 6


def test_a_name_belongs_to_one_vertical(reg, make_draft, make_files) -> None:
    reg.save(make_draft(), make_files())
    with pytest.raises(AdapterExists, match="vertical"):
        reg.save(make_draft(vertical="medical"), make_files())


def test_list_filters(reg, make_draft, make_files) -> None:
    reg.save(make_draft("a"), make_files(1))
    reg.save(make_draft("b", vertical="medical", task="medical/triage"), make_files(2))
    reg.save(
        make_draft("c", backbone={"name": "other", "fingerprint": "sha256:" + "2" * 64}),
        make_files(3),
    )
    assert [m.name for m in reg.list()] == ["a", "b", "c"]
    assert [m.name for m in reg.list(vertical="medical")] == ["b"]
    assert [m.name for m in reg.list(task="medical/triage")] == ["b"]
    assert [m.name for m in reg.list(backbone="other")] == ["c"]
    assert [s.ref for s in reg.summaries(name="a")] == ["a@1"]


def test_not_found_suggests_a_close_name(reg, make_draft, make_files) -> None:
    reg.save(make_draft("support-intent"), make_files())
    with pytest.raises(NotFound, match="support-intent"):
        reg.get("support-intnet")
    with pytest.raises(NotFound, match="versions: 1"):
        reg.get("support-intent@9")
    assert Registry(reg.root / "nothing-here").list() == []


def test_identical_content_is_stored_once(reg, make_draft, make_files) -> None:
    reg.save(make_draft("a"), make_files(7))
    reg.save(make_draft("b"), make_files(7))
    reg.save(make_draft("a"), make_files(7))
    blobs = list((reg.root / "blobs").rglob("*/*/*"))
    assert len([b for b in blobs if b.is_file()]) == 3


def test_load_returns_verified_bytes(reg, make_draft, make_files) -> None:
    files = make_files()
    m = reg.save(make_draft(), files)
    loaded = reg.load(m.ref)
    assert loaded.files == files
    assert all(p.read_bytes() == files[f] for f, p in loaded.paths.items())
    assert set(load(loaded.files["head.safetensors"])) == {"head.weight", "head.bias"}


def test_materialize_writes_a_peft_style_directory(reg, make_draft, make_files, tmp_path) -> None:
    files = make_files()
    m = reg.save(make_draft(), files)
    out = reg.materialize(m.ref, tmp_path / "adapter")
    for name, data in files.items():
        assert (out / name).read_bytes() == data
    assert json.loads((out / "adapter_config.json").read_text())["peft_type"] == "LORA"
    assert Manifest.from_json((out / "vadapt-manifest.json").read_text()) == m
    other = reg.save(make_draft("other"), {"adapter_model.safetensors": files["head.safetensors"]})
    reg.materialize(other.ref, out)  # replaces the earlier materialisation whole
    assert sorted(p.name for p in out.iterdir()) == [
        "adapter_model.safetensors",
        "vadapt-manifest.json",
    ]
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("x")
    with pytest.raises(InvalidConfig, match="other files"):
        reg.materialize(m.ref, busy)
    assert reg.materialize(m.ref, tmp_path / "new" / "dir").is_dir()


def test_flipped_byte_is_named_by_verify_and_refused_by_load(reg, make_draft, make_files) -> None:
    reg.save(make_draft("good"), make_files(1))
    m = reg.save(make_draft("bad"), make_files(2))
    blob = reg.blob_path(m.files["adapter_model.safetensors"].sha256)
    data = bytearray(blob.read_bytes())
    data[-3] ^= 0x01
    blob.write_bytes(bytes(data))
    problems = reg.verify()
    assert [(p.ref, p.file) for p in problems] == [("bad@1", "adapter_model.safetensors")]
    assert "sha256" in problems[0].problem
    with pytest.raises(CorruptAdapter, match=r"bad@1.*adapter_model\.safetensors"):
        reg.load("bad")
    with pytest.raises(CorruptAdapter):
        reg.materialize("bad", reg.root.parent / "out")
    reg.load("good")


def test_deleted_blob_is_named_by_verify_and_refused_by_load(reg, make_draft, make_files) -> None:
    m = reg.save(make_draft(), make_files())
    reg.blob_path(m.files["head.safetensors"].sha256).unlink()
    assert [(p.ref, p.file) for p in reg.verify()] == [("intent@1", "head.safetensors")]
    with pytest.raises(CorruptAdapter, match="missing"):
        reg.load("intent@1")


def test_nonfinite_refused_at_load_naming_the_tensor(reg, make_draft, make_files) -> None:
    """A registry written by something else (hash consistent, weights NaN) still refuses."""
    import hashlib

    m = reg.save(make_draft(), make_files())
    bad = save({"encoder.lora_A": np.array([np.nan, 1.0], np.float32)})
    sha = hashlib.sha256(bad).hexdigest()
    reg.blob_path(sha).parent.mkdir(parents=True, exist_ok=True)
    reg.blob_path(sha).write_bytes(bad)
    path = reg.manifest_path(m.vertical, m.name, m.version)
    raw = json.loads(path.read_text())
    raw["files"]["adapter_model.safetensors"] = {"sha256": sha, "size": len(bad)}
    path.write_text(json.dumps(raw, sort_keys=True, indent=2))
    reg.reindex()
    with pytest.raises(CorruptAdapter, match=r"encoder\.lora_A"):
        reg.load("intent@1")
    assert any("encoder.lora_A" in p.problem for p in reg.verify())


def test_deleted_index_is_rebuilt_identically(reg, make_draft, make_files) -> None:
    for i in range(5):
        reg.save(make_draft(f"a{i % 3}"), make_files(i))
    reg.save(make_draft("a0"), make_files(9), version="prod")
    before = [m.model_dump() for m in reg.list()]
    summaries = reg.summaries()
    for p in reg.root.glob("index.sqlite*"):
        p.unlink()
    assert reg.reindex() == 6
    assert [m.model_dump() for m in reg.list()] == before
    assert reg.summaries() == summaries
    for p in reg.root.glob("index.sqlite*"):
        p.unlink()
    assert [m.model_dump() for m in reg.list()] == before  # a missing index is rebuilt on read
    (reg.root / "index.sqlite").write_bytes(b"this is not a database" * 100)
    reg.reindex()
    assert [m.model_dump() for m in reg.list()] == before
    assert reg.verify() == []


def test_forward_compatible_manifest_read_warns(reg, make_draft, make_files) -> None:
    m = reg.save(make_draft(), make_files())
    path = reg.manifest_path(m.vertical, m.name, m.version)
    raw = json.loads(path.read_text())
    raw["writer"] = "vadapt-registry 9.0.0"
    raw["quantization"] = {"bits": 4}
    raw["signature"] = "abc"
    path.write_text(json.dumps(raw, sort_keys=True, indent=2))
    with pytest.warns(ManifestWarning, match="quantization, signature"):
        reg.reindex()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ManifestWarning)
        got = reg.get("intent@1")
        assert got.name == "intent" and got.writer == "vadapt-registry 9.0.0"
        reg.load("intent@1")


def test_writing_is_strict(make_draft) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        make_draft(surprise=1)
    with pytest.raises(ValidationError):
        make_draft(labels="a,b")
    with pytest.raises(ValidationError):
        make_draft(backbone={"name": "x", "fingerprint": "md5:abc"})


def test_nan_metrics_become_null_and_numpy_scalars_floats(reg, make_draft, make_files) -> None:
    metrics = {"validation": {"auc": float("nan"), "f1": np.float32(0.5)}, "test": {"acc": 1}}
    baselines = {"majority": {"acc": np.float64(0.25)}}
    m = reg.save(make_draft(metrics=metrics, baselines=baselines), make_files())
    got = reg.get(m.ref)
    assert got.metrics.validation == {"auc": None, "f1": 0.5} and got.metrics.test == {"acc": 1.0}
    assert got.baselines == {"majority": {"acc": 0.25}}


def test_export_then_import_into_another_root_verifies(
    reg, make_draft, make_files, tmp_path
) -> None:
    parent = reg.save(make_draft("base-intent"), make_files(1))
    m = reg.save(make_draft(parent=parent.ref), make_files(2))
    archive = reg.export(m.ref, tmp_path / "intent.vadapt.tar")
    assert archive.is_file() and tarfile.is_tarfile(archive)
    other = Registry(tmp_path / "elsewhere")
    imported = other.import_(archive)
    assert imported == m
    assert other.verify() == []
    assert other.load(m.ref).files == reg.load(m.ref).files
    assert other.import_(archive) == m  # identical: idempotent
    other.remove(m.ref)
    reg.save(make_draft(notes="different"), make_files(3), version=m.version, overwrite=True)
    reg.export(m.ref, tmp_path / "changed.tar")
    other.import_(archive)
    with pytest.raises(AdapterExists):
        other.import_(tmp_path / "changed.tar")


def test_import_refuses_damaged_or_hostile_archives(reg, make_draft, make_files, tmp_path) -> None:
    import io

    m = reg.save(make_draft(), make_files())
    good = reg.export(m.ref, tmp_path / "a.tar")
    damaged = bytearray(good.read_bytes())
    blob_sha = m.files["adapter_model.safetensors"].sha256
    with tarfile.open(good) as tar:
        off = tar.getmember(f"blobs/{blob_sha}").offset_data
    damaged[off + 100] ^= 0xFF
    (tmp_path / "damaged.tar").write_bytes(bytes(damaged))
    other = Registry(tmp_path / "other")
    with pytest.raises(CorruptAdapter, match=r"adapter_model\.safetensors"):
        other.import_(tmp_path / "damaged.tar")
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        info = tarfile.TarInfo("../../escape.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(CorruptAdapter, match="unexpected member"):
        other.import_(evil)
    assert not (tmp_path.parent / "escape.txt").exists()
    oversized = tmp_path / "oversized.tar"
    with tarfile.open(good) as src, tarfile.open(oversized, "w") as dst:
        for info in src.getmembers():
            data = src.extractfile(info).read()
            if info.name == f"blobs/{blob_sha}":
                data += b"\0" * 1_000_000  # more than the manifest promises: never read
                info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    with pytest.raises(CorruptAdapter, match="expected"):
        other.import_(oversized)
    (tmp_path / "junk.tar").write_bytes(b"junk" * 100)
    with pytest.raises(CorruptAdapter):
        other.import_(tmp_path / "junk.tar")
    assert other.list() == []


def test_lineage_follows_parents(reg, make_draft, make_files) -> None:
    a = reg.save(make_draft("general"), make_files(1))
    b = reg.save(make_draft("support", parent=a.ref), make_files(2))
    c = reg.save(make_draft("billing", parent=b.ref), make_files(3))
    assert [m.ref for m in reg.lineage("billing")] == [c.ref, b.ref, a.ref]
    assert [m.ref for m in reg.lineage("support@1")] == [b.ref, a.ref]
    reg.remove(a.ref)
    assert [m.ref for m in reg.lineage("billing")] == [c.ref, b.ref]


def test_gc_removes_unreferenced_blobs_only(reg, make_draft, make_files) -> None:
    reg.save(make_draft("keep"), make_files(1))
    gone = reg.save(make_draft("drop"), make_files(2))
    reg.remove(gone.ref)
    report = reg.gc()
    assert report.removed_blobs == 2 and report.kept_blobs == 3  # the config json is shared
    assert reg.verify() == []
    assert reg.gc().removed_blobs == 0


def test_fingerprint_files_and_check_compatible(tmp_path, reg, make_draft, make_files) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"hidden_size": 16}')
    (model / "model.safetensors").write_bytes(save({"w": np.ones(4, np.float32)}))
    (model / "README.md").write_text("ignored")
    fp = fingerprint_files(model)
    assert fp.startswith("sha256:") and len(fp) == 71
    assert fp == fingerprint_files([model / "model.safetensors", model / "config.json"])
    assert fp != fingerprint_files([model / "model.safetensors"])
    m = reg.save(make_draft(backbone={"name": "tiny", "fingerprint": fp}), make_files())
    check_compatible(m, "tiny", fp)
    check_compatible(m, "tiny-local-copy", fp)
    (model / "model.safetensors").write_bytes(
        save({"w": np.zeros(4, np.float32)})
    )  # same arch, new weights
    other = fingerprint_files(model)
    with pytest.raises(IncompatibleBaseModel) as err:
        check_compatible(m, "tiny", other)
    assert fp in str(err.value) and other in str(err.value) and "fix" in str(err.value)

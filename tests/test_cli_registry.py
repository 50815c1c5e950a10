"""`vadapt registry ...`: listings (human and --json), verify, rm, gc, export/import, lineage."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save
from typer.testing import CliRunner
from vadapt.cli.registry import app
from vadapt_registry import CorruptAdapter, InvalidConfig, ManifestDraft, NotFound, Registry

runner = CliRunner()
FP = "sha256:" + hashlib.sha256(b"tiny").hexdigest()


def _draft(name: str, vertical: str = "customer-service", **kw: object) -> ManifestDraft:
    return ManifestDraft.model_validate(
        {
            "name": name,
            "vertical": vertical,
            "task": f"{vertical}/intent",
            "method": {"name": "lora", "config": {"r": 4}},
            "backbone": {"name": "minilm", "fingerprint": FP},
            "labels": ["a", "b"],
            "metrics": {"validation": {"accuracy": 0.9}, "test": {"accuracy": 0.8}},
            **kw,
        }
    )


def _files(seed: int) -> dict[str, bytes]:
    w = np.random.default_rng(seed).standard_normal((4, 4)).astype(np.float32)
    return {"adapter_model.safetensors": save({"lora_A": w}), "adapter_config.json": b'{"r": 4}'}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    reg = Registry(tmp_path / "reg")
    a = reg.save(_draft("support-intent"), _files(1))
    reg.save(_draft("support-intent"), _files(2))
    reg.save(_draft("triage", vertical="medical", parent=a.ref), _files(3))
    return reg.root


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


def test_list_human_table_is_aligned(root: Path) -> None:
    res = run("list", "--registry", str(root))
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].split() == [
        "NAME",
        "VERSION",
        "VERTICAL",
        "TASK",
        "METHOD",
        "BACKBONE",
        "SIZE",
        "CREATED",
    ]
    assert len(lines) == 4
    col = lines[0].index("VERTICAL")
    assert all(line[col - 2 : col] == "  " and line[col] != " " for line in lines)


def test_list_json_and_filters(root: Path) -> None:
    res = run("list", "--json", "--registry", str(root))
    rows = json.loads(res.output)
    assert [r["ref"] for r in rows] == ["support-intent@1", "support-intent@2", "triage@1"]
    assert rows[0]["version"] == 1 and rows[2]["parent"] == "support-intent@1"
    res = run("list", "--vertical", "medical", "--json", "--registry", str(root))
    assert [r["ref"] for r in json.loads(res.output)] == ["triage@1"]
    res = run("list", "--backbone", "nope", "--registry", str(root))
    assert res.output.strip() == "no adapters"


def test_root_from_vadapt_home(root: Path) -> None:
    res = run("list", "--json", env={"VADAPT_HOME": str(root)})
    assert len(json.loads(res.output)) == 3


def test_show_human_and_json(root: Path) -> None:
    res = run("show", "support-intent", "--registry", str(root))
    assert (
        res.exit_code == 0
        and "support-intent@2" in res.output
        and "adapter_model.safetensors" in res.output
    )
    res = run("show", "support-intent@1", "--json", "--registry", str(root))
    m = json.loads(res.output)
    assert m["version"] == 1 and set(m["files"]) == {
        "adapter_model.safetensors",
        "adapter_config.json",
    }


def test_show_unknown_raises_not_found_with_suggestion(root: Path) -> None:
    res = run("show", "suport-intent", "--registry", str(root))
    assert isinstance(res.exception, NotFound)
    assert "support-intent" in str(res.exception) and res.exception.exit_code == 9


def test_verify_ok_then_names_a_flipped_byte(root: Path) -> None:
    res = run("verify", "--registry", str(root))
    assert res.exit_code == 0 and "ok: 3 adapter(s)" in res.output
    reg = Registry(root)
    blob = reg.blob_path(reg.get("triage").files["adapter_model.safetensors"].sha256)
    data = bytearray(blob.read_bytes())
    data[-1] ^= 1
    blob.write_bytes(bytes(data))
    res = run("verify", "--registry", str(root))
    assert isinstance(res.exception, CorruptAdapter) and "triage@1" in str(res.exception)
    assert "FAIL triage@1 adapter_model.safetensors" in res.output
    res = run("verify", "--json", "--registry", str(root))
    out = json.loads(res.output)
    assert out["ok"] is False and out["problems"][0]["ref"] == "triage@1"


def test_rm_gc_reindex(root: Path) -> None:
    res = run("rm", "support-intent", "--registry", str(root))
    assert isinstance(res.exception, InvalidConfig)
    res = run("rm", "support-intent@2", "--registry", str(root))
    assert res.exit_code == 0 and "removed support-intent@2" in res.output
    res = run("gc", "--json", "--registry", str(root))
    assert json.loads(res.output)["removed_blobs"] == 1
    (root / "index.sqlite").unlink()
    res = run("reindex", "--registry", str(root))
    assert res.exit_code == 0 and "indexed 2" in res.output
    res = run("rm", "triage", "--all", "--registry", str(root))
    assert "removed triage@1" in res.output


def test_export_import_and_lineage(root: Path, tmp_path: Path) -> None:
    archive = tmp_path / "triage.tar"
    assert (
        run(
            "export", "support-intent@1", str(tmp_path / "parent.tar"), "--registry", str(root)
        ).exit_code
        == 0
    )
    res = run("export", "triage", str(archive), "--registry", str(root))
    assert res.exit_code == 0 and archive.is_file()
    other = tmp_path / "other"
    res = run("import", str(tmp_path / "parent.tar"), "--registry", str(other))
    assert res.exit_code == 0 and "imported support-intent@1" in res.output
    res = run("import", str(archive), "--json", "--registry", str(other))
    assert json.loads(res.output)["name"] == "triage"
    assert run("verify", "--registry", str(other)).exit_code == 0
    res = run("lineage", "triage", "--registry", str(other))
    assert res.exit_code == 0 and res.output.splitlines()[1].startswith("triage@1")
    assert "support-intent@1" in res.output.splitlines()[2]
    res = run("lineage", "triage", "--json", "--registry", str(other))
    assert [x["ref"] for x in json.loads(res.output)] == ["triage@1", "support-intent@1"]


def test_help_lists_every_command() -> None:
    res = run("--help")
    for cmd in ("list", "show", "verify", "rm", "gc", "reindex", "export", "import", "lineage"):
        assert cmd in res.output


def test_hand_edited_manifest_verify_flags_reindex_then_list_and_show_agree(root: Path) -> None:
    reg = Registry(root)
    m = reg.get("triage")
    path = reg.manifest_path(m.vertical, m.name, m.version)
    raw = json.loads(path.read_text())
    raw["task"] = "medical/triage-v2"
    raw["metrics"]["validation"]["accuracy"] = 0.5
    path.write_text(json.dumps(raw, sort_keys=True, indent=2) + "\n")

    def listed() -> dict:
        rows = json.loads(run("list", "--json", "--registry", str(root)).output)
        return {r["ref"]: r for r in rows}

    def shown() -> dict:
        return json.loads(run("show", "triage@1", "--json", "--registry", str(root)).output)

    # the index is a cache: until reindex, list and show agree on the indexed copy ...
    assert listed()["triage@1"]["task"] == shown()["task"] == "medical/intent"
    # ... and verify names the drift and the fix, one line per ref
    res = run("verify", "--registry", str(root))
    assert isinstance(res.exception, CorruptAdapter) and res.exception.exit_code == 4
    fails = [line for line in res.output.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 1 and fails[0].startswith("FAIL triage@1: ")
    assert "metrics, task" in fails[0] and "vadapt registry reindex" in fails[0]
    with pytest.raises(CorruptAdapter, match="reindex"):
        reg.load("triage@1")  # what would be used never differs from what show printed

    res = run("reindex", "--registry", str(root))
    assert res.exit_code == 0 and "indexed 3" in res.output
    assert run("verify", "--registry", str(root)).exit_code == 0
    row, man = listed()["triage@1"], shown()
    assert row["task"] == man["task"] == "medical/triage-v2"
    assert man["metrics"]["validation"]["accuracy"] == 0.5
    assert reg.load("triage@1").manifest.model_dump(mode="json") == man

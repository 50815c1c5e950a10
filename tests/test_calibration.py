# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""Temperature scaling fitted on validation, stored with the adapter, applied when asked;
reliability rows and their diagram."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt import InvalidConfig
from vadapt.kit import RunContext
from vadapt.kit.calibration import (
    calibrated_metrics,
    fit_temperature,
    nll,
    plot_reliability,
    reliability,
    temper,
)
from vadapt.kit.scoring import calibration_error


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _planted(true_t: float, n: int = 20_000, k: int = 4, seed: int = 0):
    """Probabilities softmax(z) of a model whose labels really follow softmax(z / true_t)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 3.0, (n, k))
    truth = _softmax(z / true_t)
    refs = np.array([rng.choice(k, p=row) for row in truth])
    return _softmax(z), refs


@pytest.mark.parametrize("true_t", [0.5, 1.0, 2.5])
def test_fit_temperature_recovers_a_planted_temperature(true_t):
    probs, refs = _planted(true_t)
    t = fit_temperature(probs, refs)
    assert t == pytest.approx(true_t, rel=0.06)
    assert nll(probs, refs, t) <= nll(probs, refs, 1.0) + 1e-9
    tempered = temper(probs, t)
    before = calibration_error(probs.max(1), probs.argmax(1) == refs)
    after = calibration_error(tempered.max(1), tempered.argmax(1) == refs)
    if true_t != 1.0:  # an over- or under-confident model gets better calibrated
        assert after < before / 2


def test_temper_keeps_the_argmax_and_each_row_a_distribution():
    probs, _ = _planted(2.0, n=200)
    for t in (0.3, 1.0, 4.0):
        q = temper(probs, t)
        assert np.array_equal(q.argmax(1), probs.argmax(1))
        assert np.allclose(q.sum(1), 1.0)
    assert np.allclose(temper(probs, 1.0), probs, atol=1e-9)


def test_fit_without_usable_rows_is_the_identity():
    assert fit_temperature(np.zeros((0, 3)), np.zeros(0)) == 1.0
    assert fit_temperature(np.full((4, 2), 0.5), np.array([-1, -1, -1, -1])) == 1.0


def test_reliability_rows_cover_every_example_and_draw(tmp_path):
    probs, refs = _planted(1.0, n=5_000)
    conf, ok = probs.max(1), probs.argmax(1) == refs
    rows = reliability(conf, ok, bins=10)
    assert sum(r["count"] for r in rows) == 5_000
    assert all(r["lo"] <= r["confidence"] <= r["hi"] for r in rows)
    big = [r for r in rows if r["count"] > 300]  # a calibrated model sits on the diagonal
    assert big and all(abs(r["accuracy"] - r["confidence"]) < 0.06 for r in big)
    png = plot_reliability({"raw": rows}, str(tmp_path / "rel.png"), title="planted")
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_temperature_is_learnt_on_validation_only():
    from vadapt.types import TaskSpec

    task = TaskSpec(
        id="t/c", modality="text", head="classification", description="", labels=("a", "b")
    )
    probs, refs = _planted(2.0, n=2_000, k=2)
    val = RunContext("validation")
    out = calibrated_metrics(task, probs, refs, val)
    t = val.temperature()
    assert t == pytest.approx(2.0, rel=0.15) and "ece_calibrated" in out
    test = val.for_test()
    calibrated_metrics(task, probs[:100], refs[:100] * 0, test)  # a test split never refits
    assert test.temperature() == t
    reg = TaskSpec(id="t/r", modality="text", head="regression", description="")
    assert calibrated_metrics(reg, np.zeros(3), np.zeros(3), RunContext("validation")) == {}


def test_an_adapter_stores_its_temperature_and_predict_applies_it_when_asked(fx):
    from vadapt.engine import adapt, predict
    from vadapt.engine.load import load_adapter

    res = adapt(base_config(), progress=False)
    t = res.manifest.context["vadapt"]["temperature"]
    assert t > 0 and "ece_calibrated" in res.metrics["test"]
    texts = [{"text": "great excellent food"}, {"text": "awful rotten box"}]
    raw = predict(res.ref, texts)
    cal = predict(res.ref, texts, calibrated=True)
    assert [o["label"] for o in cal] == [o["label"] for o in raw]
    for r, c in zip(raw, cal, strict=True):
        p = np.array([r["scores"]["pos"], r["scores"]["neg"]])
        expected = temper(p[None, :], t)[0]
        assert [c["scores"]["pos"], c["scores"]["neg"]] == pytest.approx(expected.tolist())
    import dataclasses

    lm = load_adapter(res.ref)
    # an adapter stored before temperatures were fitted
    lm = dataclasses.replace(lm, manifest=lm.manifest.model_copy(update={"context": {}}))
    from vadapt.engine.load import predict as load_predict

    with pytest.raises(InvalidConfig, match="stores no temperature"):
        load_predict(res.ref, texts, loaded=lm, calibrated=True)


def test_calibrated_predict_on_a_regression_adapter_is_one_line(fx):
    from vadapt.engine import adapt, predict

    res = adapt(base_config("fx/reg", epochs=1), progress=False)
    assert "temperature" not in (res.manifest.context or {}).get("vadapt", {})
    with pytest.raises(InvalidConfig, match="classification adapters; this one is regression"):
        predict(res.ref, [{"text": "great"}], calibrated=True)


def test_cli_predict_and_serve_batch_take_calibrated(fx, capsys, tmp_path):
    import json

    from vadapt.cli import main
    from vadapt.engine import adapt, predict

    res = adapt(base_config(), progress=False)
    inputs = tmp_path / "in.jsonl"
    example = {"text": "great excellent food"}
    inputs.write_text(json.dumps(example) + "\n")
    requests = tmp_path / "requests.jsonl"
    requests.write_text(json.dumps({"adapter": res.ref, "example": example}) + "\n")
    expected = predict(res.ref, [example], calibrated=True)[0]["scores"]
    for args in (
        ["predict", res.ref, "--input", str(inputs), "--calibrated"],
        ["serve-batch", "--input", str(requests), "--calibrated", "--no-stats"],
    ):
        with pytest.raises(SystemExit) as exc:
            main(args)
            raise SystemExit(0)
        out = capsys.readouterr()
        assert (exc.value.code or 0) == 0, out.err
        assert json.loads(out.out.splitlines()[0])["scores"] == pytest.approx(expected)

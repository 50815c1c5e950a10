"""The out-of-scope threshold outlives the training process.

Train a tiny intent adapter (bundled MiniLM, a few steps on the CLINC-style test file),
then in FRESH processes: ``vadapt evaluate`` scores test with the threshold stored in the
manifest's run context (calibrated = 1), and ``vadapt predict`` outputs ``oos`` for a
message whose top probability is below it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cs_testdata import OOS_TEXTS, intent_rows, write_clinc

P = "customer-service."


def _cli(home: Path, *args: str, stdin: str | None = None) -> str:
    env = {**os.environ, "VADAPT_HOME": str(home), "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "vadapt", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.mark.slow
def test_fresh_process_reuses_the_stored_oos_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vadapt.engine import adapt

    home = tmp_path / "home"
    monkeypatch.setenv("VADAPT_HOME", str(home))
    data = write_clinc(tmp_path / "data_full.json")
    res = adapt(
        {
            "task": "customer-service/intent",
            # oos from the threshold alone (no oos_train examples learnt)
            "data": {"path": str(data), "train_on_oos": False},
            "train": {"epochs": 3, "batch_size": 8, "max_length": 32, "threads": 1},
            "output": {"name": "cs-intent-e2e", "allow_below_baseline": True},
        },
        progress=False,
    )
    t = res.manifest.context["customer-service"]["oos_threshold"]
    assert res.manifest.context["vadapt"]["abstain"] == {"label": "oos", "below": t}
    assert 0.0 < t < 1.0
    trained = res.metrics["test"]

    fresh = json.loads(_cli(home, "evaluate", res.ref, "--json"))
    assert fresh[f"{P}oos_threshold_calibrated"] == 1.0
    assert fresh[f"{P}oos_threshold"] == pytest.approx(t)
    for key in ("in_scope_accuracy", "oos_precision", "oos_recall", "oos_f1"):
        assert fresh[P + key] == pytest.approx(trained[P + key]), key

    texts = [*OOS_TEXTS, *(text for text, _ in intent_rows()[:8])]
    stdin = "".join(json.dumps({"text": x}) + "\n" for x in texts)
    lines = _cli(home, "predict", res.ref, "-i", "-", stdin=stdin).splitlines()
    preds = [json.loads(line) for line in lines]
    assert len(preds) == len(texts)
    abstained = 0
    for p in preds:
        top = max(p["scores"], key=p["scores"].get)
        unsure = p["scores"][top] < t
        assert p["label"] == ("oos" if unsure else top), p
        abstained += unsure and top != "oos"
    assert abstained >= 1, f"no message below the threshold {t}: {preds}"

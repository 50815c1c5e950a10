"""vadapt.kit: the scoring definitions, standard baselines, run context and data helpers."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score
from vadapt import Splits, TaskSpec
from vadapt.kit import (
    STANDARD_BASELINES,
    DataError,
    Predictions,
    RunContext,
    group_split,
    read_table,
    score,
    stratified_split,
    time_split,
)
from vadapt.kit.scoring import calibration_error, expected_rank_metrics

BINARY = TaskSpec(id="t/bin", modality="text", head="classification", labels=("neg", "pos"),
                  description="", label_descriptions={"pos": "love", "neg": "hate"})  # fmt: skip
THREE = TaskSpec(id="t/three", modality="text", head="classification", labels=("a", "b", "c"),
                 description="")  # fmt: skip
RANK = TaskSpec(id="t/rank", modality="pairs", head="ranking", description="")
REG = TaskSpec(id="t/reg", modality="text", head="regression", description="")


def test_import_is_torch_free():
    import subprocess

    code = "import sys, vadapt.kit; print('torch' in sys.modules, 'sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_classification_matches_sklearn_over_the_declared_labels():
    rng = np.random.default_rng(0)
    refs = np.array([0, 0, 1, 1, 0, 1, 0, 0])
    probs = rng.dirichlet(np.ones(3), len(refs))
    probs[:, 2] = 0.0  # 'c' is declared but never predicted nor present
    probs /= probs.sum(1, keepdims=True)
    m = score(THREE, probs, refs, THREE.labels)
    pred = probs.argmax(1)
    assert m["accuracy"] == pytest.approx((pred == refs).mean())
    assert m["macro_f1"] == pytest.approx(
        f1_score(refs, pred, labels=[0, 1, 2], average="macro", zero_division=0)
    )
    assert m["class.c.f1"] == 0.0 and m["class.c.support"] == 0.0
    # macro AUROC over the classes present with both outcomes (a and b, not c)
    want = np.mean([roc_auc_score(refs == k, probs[:, k]) for k in (0, 1)])
    assert m["auroc"] == pytest.approx(want)


def test_binary_auroc_auprc_and_brier_are_of_the_positive_label():
    refs = np.array([0, 1, 1, 0, 1])
    p = np.array([0.2, 0.7, 0.4, 0.6, 0.9])
    probs = np.stack([1 - p, p], 1)
    m = score(BINARY, probs, refs, BINARY.labels)
    assert m["auroc"] == pytest.approx(roc_auc_score(refs, p))
    assert m["auprc"] == pytest.approx(average_precision_score(refs, p))
    assert m["brier"] == pytest.approx(np.mean((p - refs) ** 2))
    flipped = TaskSpec(id="t/flip", modality="text", head="classification",
                       labels=("neg", "pos"), description="", positive_label="neg")  # fmt: skip
    assert score(flipped, probs, refs, flipped.labels)["auroc"] == pytest.approx(
        roc_auc_score(refs == 0, 1 - p)
    )


def test_undefined_metrics_are_left_out_not_faked():
    refs = np.zeros(4, dtype=int)  # one class only: AUROC has no meaning
    probs = np.tile([0.8, 0.2], (4, 1))
    m = score(BINARY, probs, refs, BINARY.labels)
    assert "auroc" not in m and "auprc" not in m and m["accuracy"] == 1.0


def test_calibration_error_one_rule():
    # confidences 0.9 right 9/10: calibrated; 0.9 right 5/10: 0.4 off
    assert calibration_error(np.full(10, 0.9), np.arange(10) < 9) == pytest.approx(0.0)
    assert calibration_error(np.full(10, 0.9), np.arange(10) < 5) == pytest.approx(0.4)


def test_ranking_ties_are_broken_at_random_in_expectation():
    # a constant scorer over n candidates scores exactly the random ranking
    n = 10
    m = score(RANK, [np.zeros(n)] * 3, np.array([0, 4, 9]), ())
    assert m["mrr"] == pytest.approx(np.mean(1 / np.arange(1, n + 1)))
    assert m["hr@5"] == pytest.approx(0.5) and m["hr@1"] == pytest.approx(0.1)
    # a strict winner ranks first; one tie halves hr@1
    assert expected_rank_metrics(0, 0)["mrr"] == 1.0
    assert expected_rank_metrics(0, 1)["hr@1"] == pytest.approx(0.5)
    assert expected_rank_metrics(0, 1)["ndcg@10"] == pytest.approx((1 + 1 / np.log2(3)) / 2)


def test_regression():
    m = score(REG, np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 3.0]), ())
    assert m["mae"] == pytest.approx(2 / 3) and m["rmse"] == pytest.approx((2 / 3) ** 0.5)
    assert "r2" in m


def _text_splits() -> Splits:
    rng = np.random.default_rng(1)
    words = {"pos": ["great", "fine", "love"], "neg": ["awful", "bad", "hate"]}

    def rows(n: int) -> list[dict]:
        out = []
        for i in range(n):
            lab = ("pos", "neg")[i % 3 == 0]
            features = [float(lab == "pos") + rng.normal(0, 0.3), rng.normal()]
            text = " ".join(rng.choice(words[lab], 3))
            out.append({"text": text, "label": lab, "features": features})
        return out

    return Splits(train=rows(60), validation=rows(20), test=rows(30))


def _encode(texts):
    vocab = ["great", "fine", "love", "awful", "bad", "hate", "pos", "neg"]
    rows = np.array([[t.count(w) + 0.01 for w in vocab] for t in texts], dtype=float)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


TOKEN_ONLY = ("dictionary",)  # token-classification baselines (tests/test_token_classification)


def test_token_baselines_do_not_apply_to_classification():
    for name in TOKEN_ONLY:
        assert STANDARD_BASELINES[name](BINARY, _text_splits(), BINARY.labels, _encode) is None


@pytest.mark.parametrize("name", sorted(set(STANDARD_BASELINES) - set(TOKEN_ONLY)))
def test_standard_baselines_give_predictions_in_the_evaluate_shapes(name):
    splits = _text_splits()
    preds = STANDARD_BASELINES[name](BINARY, splits, BINARY.labels, _encode)
    assert isinstance(preds, Predictions)
    assert preds.test.shape == (30, 2) and preds.validation.shape == (20, 2)
    assert np.allclose(preds.test.sum(1), 1.0)
    refs = np.array([BINARY.labels.index(ex["label"]) for ex in splits.test])
    acc = score(BINARY, preds.test, refs, BINARY.labels)["accuracy"]
    majority = np.mean(refs == 0) if np.mean(refs == 0) > 0.5 else np.mean(refs == 1)
    if name == "majority":
        assert acc == pytest.approx(majority)
    else:  # the words and features separate the classes: every real baseline beats majority
        assert acc > majority


def test_baselines_that_do_not_apply_say_none():
    splits = _text_splits()
    images = TaskSpec(id="t/img", modality="image", head="classification", labels=("a", "b"),
                      description="")  # fmt: skip
    assert STANDARD_BASELINES["zero-shot"](images, splits, images.labels, _encode) is None
    assert STANDARD_BASELINES["frozen-probe"](BINARY, splits, BINARY.labels, None) is None
    no_features = Splits(train=[{"text": "a", "label": "pos"}], validation=[], test=[])
    assert STANDARD_BASELINES["logreg"](BINARY, no_features, BINARY.labels, None) is None


def test_ranking_majority_is_the_random_ranking():
    ex = [{"query": "q", "candidates": ["a", "b", "c", "d"], "positive": 2}] * 5
    splits = Splits(train=ex, validation=ex, test=ex)
    preds = STANDARD_BASELINES["majority"](RANK, splits, (), None)
    m = score(RANK, preds.test, np.array([2] * 5), ())
    assert m["mrr"] == pytest.approx(np.mean(1 / np.arange(1, 5)))


def test_run_context_learns_on_validation_only_and_round_trips():
    ctx = RunContext("validation").scoped("cs")
    ctx.remember("threshold", 0.4)
    ctx.abstain("oos", 0.4)
    with pytest.raises(TypeError, match="plain finite JSON"):
        ctx.remember("bad", float("nan"))
    test = ctx.for_test()
    assert test.fitted and test.scoped("cs").recall("threshold") == 0.4
    test.scoped("cs").remember("threshold", 0.9)  # ignored: no learning on test
    stored = RunContext.stored(test.state)
    assert stored.scoped("cs").recall("threshold") == 0.4
    assert stored.abstention() == {"label": "oos", "below": 0.4}
    assert not RunContext.stored({}).fitted


def test_splits_are_seeded_disjoint_and_complete():
    labels = ["a"] * 30 + ["b"] * 10
    tr, va, te = stratified_split(labels, val_fraction=0.2, test_fraction=0.2, seed=3)
    assert sorted(tr + va + te) == list(range(40))
    assert (tr, va, te) == stratified_split(labels, val_fraction=0.2, test_fraction=0.2, seed=3)
    assert sum(labels[i] == "b" for i in te) == 2  # stratified
    tr, va, te = time_split([5, 1, 4, 2, 3], val_fraction=0.2, test_fraction=0.2)
    assert (tr, va, te) == ([1, 3, 4], [2], [0])  # oldest train, newest test
    groups = ["u1", "u1", "u2", "u3", "u3", "u4", "u5"]
    parts = group_split(groups, val_fraction=0.2, test_fraction=0.2, seed=0)
    seen = [{groups[i] for i in p} for p in parts]
    assert not (seen[0] & seen[1] or seen[0] & seen[2] or seen[1] & seen[2])


def test_read_table_errors_name_file_line_and_column(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("review,stars\ngood,5\n,3\n")
    frame = read_table(path, field="path", task="t/x", columns={"review": "text"})
    assert list(frame.columns) == ["text", "stars"]
    with pytest.raises(DataError, match=r"line 3: column 'text' is empty"):
        read_table(path, field="path", task="t/x", columns={"review": "text"}, required=["text"])
    with pytest.raises(DataError, match=r"no column\(s\) \['label'\]"):
        read_table(path, field="path", task="t/x", required=["label"])
    with pytest.raises(DataError, match=r"data\.path .* does not exist"):
        read_table(tmp_path / "nope.csv", field="path", task="t/x")
    (tmp_path / "rows.xlsx").write_text("x")
    with pytest.raises(DataError, match=r"suffix '\.xlsx'"):
        read_table(tmp_path / "rows.xlsx", field="path", task="t/x")


def test_fit_linear_is_the_public_feature_baseline():
    from vadapt.kit.baselines import fit_linear

    splits = _text_splits()
    feats = tuple(
        np.array([ex["features"] for ex in s])
        for s in (splits.train, splits.validation, splits.test)
    )
    preds = fit_linear(BINARY, feats, splits, BINARY.labels, grid=(0.5,), standardise=True)
    assert preds.note == "C=0.5" and preds.test.shape == (30, 2)
    empty_val = Splits(train=splits.train, validation=[], test=splits.test)
    no_val = (feats[0], np.zeros((0, 2)), feats[2])
    assert fit_linear(BINARY, no_val, empty_val, BINARY.labels).validation.shape == (0, 2)

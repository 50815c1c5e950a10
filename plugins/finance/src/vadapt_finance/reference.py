"""The finance references the kit's standard baselines lack, as ``vadapt.kit.Predictions``.

``majority`` and ``logreg`` (credit, market), ``tfidf-logreg`` and ``frozen-probe``
(sentiment) come from ``TaskSpec.baselines``. These are the domain's own; the core
scores them with ``vadapt.kit.score`` plus the ``evaluate`` hook, like the adapter:

- market direction: ``always-up``, and ``logreg-lag1-lag2``, the ISLR textbook model
  (section 4.7): the kit's ``logreg`` on Lag1 and Lag2 only, fitted on every day
  before the test period (train + validation, both ending before the first test day);
- sentiment: ``loughran-mcdonald``, the zero-shot finance lexicon.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vadapt import Splits, TaskSpec
from vadapt.kit import STANDARD_BASELINES, Predictions

from vadapt_finance.tasks import MARKET, SENTIMENT

TEXTBOOK_LAGS = ("lag1", "lag2")


def market(task: TaskSpec, splits: Splits, labels: Sequence[str]) -> dict[str, Predictions]:
    up = list(labels).index("up")
    n_val, n_test = len(splits.validation), len(splits.test)
    out = {"always-up": Predictions.from_labels([up] * n_test, len(labels), [up] * n_val)}
    if all(c in splits.train[0].get("fields", {}) for c in TEXTBOOK_LAGS):
        out["logreg-lag1-lag2"] = textbook_logreg(task, splits, labels, TEXTBOOK_LAGS)
    return out


def textbook_logreg(
    task: TaskSpec, splits: Splits, labels: Sequence[str], columns: Sequence[str]
) -> Predictions:
    """The kit's ``logreg`` on ``columns``, fitted on train + validation (the textbook).

    Its validation predictions would be in-sample, so only test is returned. (The
    validation split is passed anyway: the kit's logreg fails on an empty one.)
    """

    def only(examples: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {"label": ex["label"], "features": [ex["fields"][c] for c in columns]}
            for ex in examples
        ]

    past = only([*splits.train, *splits.validation])
    fitted = STANDARD_BASELINES["logreg"](
        task, Splits(train=past, validation=only(splits.validation), test=only(splits.test)), labels
    )
    assert fitted is not None
    return Predictions(test=fitted.test, note="fitted on train + validation, as in ISLR 4.7")


def sentiment(splits: Splits, labels: Sequence[str]) -> dict[str, Predictions] | None:
    from vadapt_finance import lexicon

    if not lexicon.available():
        return None
    index = {lab: i for i, lab in enumerate(labels)}

    def rule(examples: Sequence[dict[str, Any]]) -> list[int]:
        return [index[lab] for lab in lexicon.labels([ex["text"] for ex in examples])]

    lm = Predictions.from_labels(rule(splits.test), len(labels), rule(splits.validation))
    return {"loughran-mcdonald": lm}


def for_task(task: TaskSpec, splits: Splits, labels: Sequence[str]) -> dict[str, Any] | None:
    """The task's own baselines (credit has none beyond ``TaskSpec.baselines``)."""
    if not splits.test:
        return None
    if task.id == MARKET:
        return market(task, splits, labels)
    if task.id == SENTIMENT:
        return sentiment(splits, labels)
    return None

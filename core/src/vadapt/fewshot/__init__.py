"""Learning from few or no labels: the k-shot protocol, its runner and its report.

``vadapt fewshot TASK --shots 0,8,32 --seeds 3`` and :func:`fewshot` (the same run from
Python) answer "how many labels do I need?": each method and baseline at each k, mean ±
std over seeds, on the task's full test split. Torch-free at import.
"""

from __future__ import annotations

from vadapt.fewshot.protocol import PROTOCOL, k_shot, parse_shots
from vadapt.fewshot.run import DEFAULT_METHODS, FewShotResult, Point, fewshot

__all__ = [
    "DEFAULT_METHODS",
    "PROTOCOL",
    "FewShotResult",
    "Point",
    "fewshot",
    "k_shot",
    "parse_shots",
]

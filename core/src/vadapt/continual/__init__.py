"""Continual adaptation: continue a stored adapter on new data without forgetting.

``vadapt adapt --from NAME@V --strategy S`` continues one adapter (:mod:`.engine`,
:mod:`.parent`, :mod:`.strategies`); ``vadapt continual TASK --stream NAME`` and
:func:`continual` learn a task's stream of experiences and score what each strategy
remembered (:mod:`.stream`, :mod:`.metrics`); ``vadapt retrain`` continues a registered
version on new data behind the retention gate. Torch-free at import.
"""

from __future__ import annotations

from vadapt.continual.metrics import summary
from vadapt.continual.retrain import retrain
from vadapt.continual.stream import DEFAULT_STRATEGIES, ContinualResult, StreamRun, continual

__all__ = ["DEFAULT_STRATEGIES", "ContinualResult", "StreamRun", "continual", "retrain", "summary"]

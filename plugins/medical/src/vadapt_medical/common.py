"""What every medical loader states about its data: the intended use.

Splits come from ``vadapt.kit.stratified_split`` (the same seeded algorithm this
module used to hold, so every split is unchanged) and label counts from
``vadapt.kit.label_counts``.
"""

from __future__ import annotations

NOT_FOR_CLINICAL_USE = (
    "NOT FOR CLINICAL DECISIONS: research and engineering use only; this adapter is not a "
    "medical device, has not been clinically validated, and must not be used to diagnose, "
    "treat or triage patients."
)


def intended_use(what: str) -> str:
    return f"Research and benchmarking of {what}. {NOT_FOR_CLINICAL_USE}"

"""Turn an intent adapter's prediction into a routing decision: top-k intents or out of scope.

``vadapt predict`` returns every label's probability; the out-of-scope threshold
the adapter was calibrated with is in its manifest (validation metric
``customer-service.oos_threshold``)::

    from vadapt.engine import predict
    from vadapt_registry import Registry
    from vadapt_customer_service.routing import route, stored_threshold

    threshold = stored_threshold(Registry().get("intent@3"))
    for p in predict("intent@3", [{"text": "my card still hasn't arrived"}]):
        print(route(p["scores"], threshold, k=3))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vadapt import InvalidConfig

from vadapt_customer_service.tasks import OOS, P_PREFIX

THRESHOLD_KEY = f"{P_PREFIX}oos_threshold"


def route(scores: Mapping[str, float], threshold: float, k: int = 3) -> dict[str, Any]:
    """``{"intent", "out_of_scope", "confidence", "top_k": [[label, p], ...]}`` for one message.

    The same rule as the evaluation: the top in-scope intent unless its
    probability is below ``threshold``; ``top_k`` lists in-scope intents only.
    """
    in_scope = sorted(
        ((lab, float(p)) for lab, p in scores.items() if lab != OOS), key=lambda kv: -kv[1]
    )
    if not in_scope:
        raise InvalidConfig(
            "route(): the scores name no in-scope intent",
            fix="pass the 'scores' of an intent adapter's prediction",
        )
    top, conf = in_scope[0]
    oos = conf < threshold
    return {
        "intent": OOS if oos else top,
        "out_of_scope": oos,
        "confidence": conf,
        "top_k": [[lab, p] for lab, p in in_scope[:k]],
    }


def stored_threshold(manifest: Any) -> float:
    """The validation-calibrated threshold recorded in an intent adapter's manifest."""
    metrics = getattr(getattr(manifest, "metrics", None), "validation", None) or {}
    value = metrics.get(THRESHOLD_KEY)
    if value is None:
        raise InvalidConfig(
            f"adapter {getattr(manifest, 'ref', '?')} records no {THRESHOLD_KEY}",
            fix="use an adapter trained on customer-service/intent",
        )
    return float(value)

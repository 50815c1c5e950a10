"""Turn an intent adapter's prediction into a routing decision: top-k intents or out of scope.

``vadapt predict`` already outputs ``oos`` below the adapter's calibrated threshold
(the core applies the abstention the ``evaluate`` hook stored in the run context);
``route`` adds the top-k in-scope intents for a routing screen::

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

from vadapt_customer_service.evaluation import THRESHOLD
from vadapt_customer_service.tasks import OOS, VERTICAL


def route(scores: Mapping[str, float], threshold: float, k: int = 3) -> dict[str, Any]:
    """``{"intent", "out_of_scope", "confidence", "top_k": [[label, p], ...]}`` for one message.

    The evaluation's (and the core's) rule: the top label, or ``oos`` when its
    probability is below ``threshold``; ``top_k`` lists in-scope intents only.
    """
    ranked = sorted(((lab, float(p)) for lab, p in scores.items()), key=lambda kv: -kv[1])
    in_scope = [(lab, p) for lab, p in ranked if lab != OOS]
    if not in_scope:
        raise InvalidConfig(
            "route(): the scores name no in-scope intent",
            fix="pass the 'scores' of an intent adapter's prediction",
        )
    top, conf = ranked[0]
    oos = top == OOS or conf < threshold
    return {
        "intent": OOS if oos else top,
        "out_of_scope": oos,
        "confidence": conf,
        "top_k": [[lab, p] for lab, p in in_scope[:k]],
    }


def stored_threshold(manifest: Any) -> float:
    """The validation-calibrated threshold in an intent adapter's manifest (run context)."""
    value = (getattr(manifest, "context", None) or {}).get(VERTICAL, {}).get(THRESHOLD)
    if value is None:
        raise InvalidConfig(
            f"adapter {getattr(manifest, 'ref', '?')} records no {VERTICAL} {THRESHOLD} "
            "in its run context",
            fix="use an adapter trained on customer-service/intent with this plugin version",
        )
    return float(value)

"""State a task learns on validation and reuses everywhere after: the run context.

Some decisions are fitted on validation, not trained: an out-of-scope threshold, a
decision cut-off for a target sensitivity, a temperature. The plugin's ``evaluate``
hook ``remember``s them on validation and ``recall``s them on test. The engine keeps
the state of the *best* validation evaluation (the checkpoint it restores), uses it
for the test evaluation and stores it in the manifest's ``context``, so
``vadapt evaluate``, ``predict`` and serving in a fresh process reuse the same
values. Each plugin sees its own namespace; values must be plain JSON.

Two decisions are shared with the core: :meth:`RunContext.abstain`, "below this top
probability, predict this label", which ``predict`` and serving apply; and the
temperature the core fits on validation (:mod:`vadapt.kit.calibration`), which they
apply when asked.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

ABSTAIN = "abstain"
CORE = "vadapt"
TEMPERATURE = "temperature"


@dataclass
class RunContext:
    """What one evaluation may learn (``split == "validation"``) or reuse (otherwise).

    ``state`` maps a namespace (a plugin name, ``"vadapt"`` for the core) to its
    values. ``fitted`` is True when the state came from a validation evaluation,
    now or stored in a manifest; False in a fresh context with nothing learnt.
    """

    split: str = "validation"
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    fitted: bool = False
    namespace: str = CORE

    @property
    def learning(self) -> bool:
        """A fresh validation evaluation learns; a stored or test context only reads."""
        return self.split == "validation" and not self.fitted

    def scoped(self, namespace: str) -> RunContext:
        """The same context as ``namespace`` sees it (shares the underlying state)."""
        return RunContext(self.split, self.state, self.fitted, namespace)

    def remember(self, name: str, value: Any) -> None:
        """Keep ``value`` (plain JSON) under ``name``; only on validation, else ignored.

        Learning on test would leak the test split into the reported numbers, so a
        test-time ``remember`` is a no-op rather than an error: one code path in the
        hook serves both splits.
        """
        if not self.learning:
            return
        _check_json(name, value)
        self.state.setdefault(self.namespace, {})[name] = value

    def recall(self, name: str, default: Any = None) -> Any:
        return self.state.get(self.namespace, {}).get(name, default)

    def abstain(self, label: str, below: float) -> None:
        """Predict ``label`` whenever the top probability is under ``below`` (core-applied)."""
        if self.learning:
            _check_json(ABSTAIN, below)
            self.state.setdefault(CORE, {})[ABSTAIN] = {"label": label, "below": float(below)}

    def abstention(self) -> dict[str, Any] | None:
        return self.state.get(CORE, {}).get(ABSTAIN)

    def temperature(self) -> float | None:
        """The temperature fitted on validation (:mod:`vadapt.kit.calibration`), if any."""
        t = self.state.get(CORE, {}).get(TEMPERATURE)
        return None if t is None else float(t)

    def for_test(self, split: str = "test") -> RunContext:
        """A reader of this state for another split (test, or a later evaluate)."""
        return RunContext(
            split, json.loads(json.dumps(self.state)), bool(self.state) or self.fitted
        )

    @classmethod
    def stored(cls, state: dict[str, Any] | None, split: str = "test") -> RunContext:
        """The context of a stored adapter (the manifest's ``context``)."""
        state = dict(state or {})
        return cls(split, state, bool(state))


def _check_json(name: str, value: Any) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"run context value {name!r} must be plain finite JSON: {exc}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise TypeError(f"run context value {name!r} is {value}")

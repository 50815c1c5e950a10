"""Promotion gates: what an adapter must show before an alias such as ``production``
names it (``vadapt registry promote NAME@V --to production``).

Every gate reads only what the registry holds — the manifest's metrics and baselines
(scored by the same code on the same split), its continual record, its derivation, its
attachments — so a gate is checked in a fresh process without loading a model, and the
result is written into the alias history with the move. The default gate, used when no
file is given, is the one every save already passed: beat the majority baseline on the
task's headline metric. A YAML (or JSON) file declares more::

    gates:
      - metric: test.macro_f1        # a floor on a stored metric
        at_least: 0.80
      - beats: tfidf-logreg          # beat a named baseline ...
        metric: test.macro_f1        # ... on this metric (default: the headline, on test)
        by_points: 2.0               # ... by this many points (x100)
      - retention: 0.98              # continued adapters: share of the parent's score kept
      - max_drop: 0.5                # derived adapters: points lost against the parent
      - report: true                 # a report card is attached and verifies
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vadapt_registry.errors import CorruptAdapter, InvalidConfig, NotFound

from vadapt.types import LOWER_IS_BETTER

GATE_KEYS = ("metric", "beats", "retention", "max_drop", "report")


@dataclass(frozen=True)
class GateResult:
    gate: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "passed": self.passed, "detail": self.detail}


def load_gates(path: str | Path | None) -> list[dict[str, Any]]:
    """The declared gates of a YAML/JSON file (``gates:`` list); the default without one."""
    if path is None:
        return [{"beats": "majority"}]
    import yaml

    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidConfig(
            f"--gates {p}: cannot read it ({exc})", fix="pass a YAML file"
        ) from None
    gates = raw.get("gates") if isinstance(raw, dict) else None
    if not isinstance(gates, list) or not gates:
        raise InvalidConfig(
            f"--gates {p}: expected a non-empty 'gates:' list",
            fix="gates: [{metric: test.accuracy, at_least: 0.8}, {beats: majority}]",
        )
    for i, g in enumerate(gates):
        if gate_kind(g) is None:
            raise InvalidConfig(
                f"--gates {p} gate {i + 1}: expected one of {', '.join(GATE_KEYS)} "
                "(metric with at_least or at_most)",
                fix="e.g. {metric: test.accuracy, at_least: 0.8} or {beats: majority}",
            )
    return gates


def gate_kind(g: Any) -> str | None:
    """Which gate ``g`` is (``metric`` only as a floor, beside no other kind); None if unclear."""
    if not isinstance(g, dict):
        return None
    kinds = [k for k in ("beats", "retention", "max_drop", "report") if k in g]
    if len(kinds) == 1:
        return kinds[0]
    if not kinds and "metric" in g and ("at_least" in g or "at_most" in g):
        return "metric"
    return None


def _split_metric(text: str, where: str) -> tuple[str, str]:
    split, _, metric = str(text).partition(".")
    if split not in ("validation", "test") or not metric:
        raise InvalidConfig(
            f"{where}: {text!r} is not <validation|test>.<metric>", fix="e.g. test.accuracy"
        )
    return split, metric


def _headline(m: Any) -> str:
    from vadapt.cli.card import card_headline

    keys = card_headline(m)
    return f"test.{keys[0]}" if keys else "test.accuracy"


def _better(metric: str, a: float, b: float) -> float:
    """How many points ``a`` is better than ``b`` on ``metric``."""
    return 100 * ((b - a) if metric in LOWER_IS_BETTER else (a - b))


def check(m: Any, gate: Mapping[str, Any], reg: Any) -> GateResult:
    """One gate on manifest ``m``."""
    kind = gate_kind(gate)
    if kind == "metric":
        split, metric = _split_metric(gate["metric"], "gate metric")
        floor = float(gate.get("at_least", gate.get("at_most", 0.0)))
        value = m.metrics.model_dump()[split].get(metric)
        upper = "at_most" in gate
        ok = value is not None and (value <= floor if upper else value >= floor)
        name = f"{split}.{metric} {'<=' if upper else '>='} {floor:g}"
        return GateResult(name, ok, f"{split}.{metric} = {_fmt(value)}")
    if kind == "beats":
        split, metric = _split_metric(gate.get("metric") or _headline(m), "gate metric")
        by = float(gate.get("by_points", 0.0))
        base = (m.baselines.get(gate["beats"]) or {}).get(metric)
        value = m.metrics.model_dump()[split].get(metric)
        name = f"beats {gate['beats']} by more than {by:g} points on {split}.{metric}"
        if base is None or value is None:
            return GateResult(name, False, f"no stored {metric} for the adapter or {gate['beats']}")
        gain = _better(metric, value, base)
        return GateResult(name, gain > by, f"{_fmt(value)} vs {_fmt(base)}: {gain:+.2f} points")
    if kind == "retention":
        floor = float(gate["retention"])
        r = (m.training.get("continual") or {}).get("retention")
        name = f"keeps >= {floor:g} of the parent's score"
        if not r or not r.get("parent"):
            return GateResult(name, True, "not a continued adapter: nothing to retain")
        kept = r["now"] / r["parent"]
        return GateResult(name, kept >= floor, f"kept {kept:.3f} ({r['metric']})")
    if kind == "max_drop":
        limit = float(gate["max_drop"])
        d = m.training.get("derived")
        name = f"loses <= {limit:g} points against its parent"
        if not d:
            return GateResult(name, True, "not a derived adapter")
        return GateResult(name, d["drop_points"] <= limit, f"drop {d['drop_points']:+.2f} points")
    name = "a report card is attached"
    try:
        reg.load_attachment(m.ref, "report")
    except (NotFound, CorruptAdapter) as exc:
        return GateResult(name, False, exc.message)
    return GateResult(name, True, "verified")


def _fmt(value: Any) -> str:
    return "missing" if value is None else f"{value:.4f}"


def check_all(m: Any, gates: Sequence[Mapping[str, Any]], reg: Any) -> list[GateResult]:
    return [check(m, g, reg) for g in gates]

"""How a stored text adapter holds up under perturbed inputs (``vadapt robustness``).

The adapter is loaded like ``evaluate`` loads it (hashes, backbone fingerprint), its
task's test split is reloaded from the stored ``data:`` section, and every perturbation
of :mod:`vadapt.kit.perturb` at every severity is scored by the same ``score_split`` as
the clean split, with the run context the adapter learnt on validation. Perturbed
inputs are seeded per example, so two adapters of a task see the same texts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vadapt_registry.errors import InvalidConfig

from vadapt.kit.perturb import SEVERITIES, TEXT_PERTURBATIONS, Perturbation, perturbed
from vadapt.types import HeadKind


@dataclass
class RobustnessReport:
    ref: str
    metric: str
    examples: int
    clean: dict[str, float]
    rows: list[dict[str, Any]] = field(default_factory=list)  # perturbation, severity, metrics

    def mean(self, name: str, metric: str | None = None) -> float:
        """The mean of ``metric`` (default: the task's) over a perturbation's severities."""
        key = metric or self.metric
        values = [r[key] for r in self.rows if r["perturbation"] == name]
        return sum(values) / len(values)

    def as_dict(self) -> dict[str, Any]:
        names = list(dict.fromkeys(r["perturbation"] for r in self.rows))
        return {
            "ref": self.ref,
            "metric": self.metric,
            "examples": self.examples,
            "clean": self.clean,
            "rows": self.rows,
            "mean": {n: self.mean(n) for n in names},
        }


def _pick(names: Sequence[str] | None, extra: Mapping[str, Perturbation]) -> dict[str, Any]:
    known = {**TEXT_PERTURBATIONS, **extra}
    names = list(names) if names else list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidConfig(
            f"unknown perturbation(s) {unknown}", fix=f"choose from {', '.join(known)}"
        )
    return {n: known[n] for n in names}


def _check_severities(severities: Sequence[int]) -> tuple[int, ...]:
    bad = [s for s in severities if isinstance(s, bool) or s not in SEVERITIES]
    if bad or not severities:
        raise InvalidConfig(
            f"--severities {list(severities)}: expected values among {list(SEVERITIES)}",
            fix="e.g. --severities 1,3,5",
        )
    return tuple(severities)


def _check_text(lm: Any, examples: Sequence[dict[str, Any]]) -> None:
    head = HeadKind(lm.task.head)
    if head in (HeadKind.TOKEN_CLASSIFICATION, HeadKind.RANKING) or not all(
        isinstance(ex.get("text"), str) for ex in examples
    ):
        raise InvalidConfig(
            f"{lm.manifest.ref}: text perturbations apply to text, tabular-as-text and "
            f"classification/regression inputs with a 'text' field; task {lm.task.id!r} is "
            f"{lm.task.modality} / {head.value}",
            fix="image adapters: the driving plugin's corruption suite",
        )


def evaluate_robustness(
    ref: str,
    *,
    perturbations: Sequence[str] | None = None,
    severities: Sequence[int] = SEVERITIES,
    max_examples: int | None = None,
    seed: int = 0,
    extra: Mapping[str, Perturbation] | None = None,
    registry: Any = None,
    hooks: Any = None,
) -> RobustnessReport:
    """The adapter's test metrics clean and under each perturbation x severity.

    ``extra``: more perturbations by name (e.g. a plugin's
    :func:`vadapt.kit.perturb.substitutions`); ``max_examples``: the first N test
    examples only (the same N for every perturbation)."""
    from vadapt.engine.evaluate import evaluate_split
    from vadapt.engine.load import load_adapter, split_examples, stored_context
    from vadapt.hooks import hooks as default_hooks

    chosen = _pick(perturbations, dict(extra or {}))
    levels = _check_severities(severities)
    h = hooks or default_hooks()
    lm = load_adapter(ref, registry=registry, hooks=h)
    examples = split_examples(lm, h, "test")[: max_examples or None]
    _check_text(lm, examples)

    def score(exs: list[dict[str, Any]]) -> dict[str, float]:
        context = stored_context(lm.manifest, "test")
        metrics = evaluate_split(lm.model, lm.ctx, h, exs, "test", context)
        return {k: v for k, v in metrics.items() if not k.startswith(("class.", "label."))}

    report = RobustnessReport(lm.manifest.ref, lm.task.metric, len(examples), score(examples))
    for name, fn in chosen.items():
        for level in levels:
            metrics = score(perturbed(examples, name, fn, level, seed=seed))
            report.rows.append({"perturbation": name, "severity": level, **metrics})
    return report

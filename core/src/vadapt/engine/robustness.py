"""How a stored adapter holds up under perturbed inputs (``vadapt robustness``).

The adapter is loaded like ``evaluate`` loads it (hashes, backbone fingerprint), its
task's test split is reloaded from the stored ``data:`` section, and every perturbation
at every severity — text: :mod:`vadapt.kit.perturb`; images: the corruptions of
:mod:`vadapt.kit.corruptions` — is scored by the same ``score_split`` as the clean
split, with the run context the adapter learnt on validation. Perturbed inputs are
seeded, so two adapters of a task see the same texts and pixels. The task's plugin adds
its own through the ``robustness_perturbations`` hook (finance: feature noise and
missing values in serialised rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from vadapt_registry.errors import InvalidConfig, PluginError

from vadapt.kit.corruptions import CORRUPTIONS, corrupted_copies
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


def _pick(names: Sequence[str] | None, known: Mapping[str, Any], what: str) -> dict[str, Any]:
    names = list(names) if names else list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidConfig(f"unknown {what}(s) {unknown}", fix=f"choose from {', '.join(known)}")
    return {n: known[n] for n in names}


def _check_severities(severities: Sequence[int]) -> tuple[int, ...]:
    bad = [s for s in severities if isinstance(s, bool) or s not in SEVERITIES]
    if bad or not severities:
        raise InvalidConfig(
            f"--severities {list(severities)}: expected values among {list(SEVERITIES)}",
            fix="e.g. --severities 1,3,5",
        )
    return tuple(severities)


def _input_kind(lm: Any, examples: Sequence[dict[str, Any]]) -> str:
    """``text`` or ``image``: what the examples carry, for the heads perturbing can score."""
    head = HeadKind(lm.task.head)
    if head not in (HeadKind.TOKEN_CLASSIFICATION, HeadKind.RANKING):
        if all(isinstance(ex.get("text"), str) for ex in examples):
            return "text"
        if all(isinstance(ex.get("image"), np.ndarray) for ex in examples):
            return "image"
    raise InvalidConfig(
        f"{lm.manifest.ref}: perturbations apply to classification, multilabel and regression "
        f"adapters on text (or rows serialised as text) and images; task {lm.task.id!r} is "
        f"{lm.task.modality} / {head.value}",
        fix="score ranking and token-classification adapters with `vadapt evaluate`",
    )


def _domain(h: Any, lm: Any, kit: Mapping[str, Any]) -> dict[str, Any]:
    """The owning plugin's perturbations (hook ``robustness_perturbations``)."""
    domain = h.robustness_perturbations(lm.task)
    clash = sorted(set(domain) & set(kit))
    if clash:
        raise PluginError(
            f"task {lm.task.id!r}: hook 'robustness_perturbations' returns {clash}, "
            "names the kit already uses",
            fix="give the plugin's perturbations their own names",
        )
    return domain


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
    loaded: Any = None,
) -> RobustnessReport:
    """The adapter's test metrics clean and under each perturbation x severity.

    ``extra``: more perturbations by name (e.g. a plugin's
    :func:`vadapt.kit.perturb.substitutions`); ``max_examples``: the first N test
    examples only (the same N for every perturbation); ``loaded``: the adapter, loaded
    already (:func:`vadapt.engine.load.load_adapter`)."""
    from vadapt.engine.evaluate import evaluate_split
    from vadapt.engine.load import load_adapter, split_examples, stored_context
    from vadapt.engine.scoring import PER_LABEL
    from vadapt.hooks import hooks as default_hooks

    levels = _check_severities(severities)
    if max_examples is not None and (isinstance(max_examples, bool) or max_examples < 1):
        raise InvalidConfig(
            f"--max-examples {max_examples!r}: expected a positive number of test examples",
            fix="e.g. --max-examples 500, or leave it out for the whole test split",
        )
    h = hooks or default_hooks()
    lm = loaded or load_adapter(ref, registry=registry, hooks=h)
    examples = split_examples(lm, h, "test")[:max_examples]
    kind = _input_kind(lm, examples)
    kit = CORRUPTIONS if kind == "image" else TEXT_PERTURBATIONS
    domain = _domain(h, lm, kit)
    what = "corruption" if kind == "image" else "perturbation"
    chosen = _pick(perturbations, {**kit, **domain, **(extra or {})}, what)

    def score(exs: list[dict[str, Any]]) -> dict[str, float]:
        context = stored_context(lm.manifest, "test")
        metrics = evaluate_split(lm.model, lm.ctx, h, exs, "test", context)
        return {k: v for k, v in metrics.items() if not k.startswith(PER_LABEL)}

    report = RobustnessReport(lm.manifest.ref, lm.task.metric, len(examples), score(examples))
    for name, fn in chosen.items():
        for level in levels:
            if kind == "image" and name in CORRUPTIONS:
                changed = corrupted_copies(examples, name, level, seed)
            else:
                changed = perturbed(examples, name, fn, level, seed=seed, field=kind)
            metrics = score(changed)
            report.rows.append({"perturbation": name, "severity": level, **metrics})
    return report

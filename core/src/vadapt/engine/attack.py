"""Adversarial accuracy: the test split scored on inputs perturbed against the adapter.

Each test batch is perturbed against its own true labels with the engine's attacks
(:mod:`vadapt.engine.adversarial`) — text: FGM (one step) or PGD on the token
embeddings, an L2 ball of radius epsilon per example; images: FGSM or PGD on the
normalised pixels, an L-inf ball (epsilon in 0-255 pixel levels) — and the predictions
are scored by the same ``score_split`` as the clean split, with the adapter's stored
run context. Methods whose encoder does not read the input embeddings directly (prompt
wrappers, decoder label words) are refused in one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vadapt_registry.errors import InvalidConfig

from vadapt.types import HeadKind, Modality

TEXT_EPSILONS = (0.1, 0.25, 0.5, 1.0)  # L2 norm of the embedding perturbation per example
IMAGE_EPSILONS = (1.0, 2.0, 4.0, 8.0)  # L-inf, in pixel levels of 0-255
PIXEL_SCALE = 128.0  # ImageTransform: (x - 127) / 128


@dataclass
class AdversarialReport:
    ref: str
    metric: str
    attack: str
    unit: str
    examples: int
    clean: dict[str, float]
    rows: list[dict[str, Any]] = field(default_factory=list)  # epsilon, metrics

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "metric": self.metric,
            "attack": self.attack,
            "unit": self.unit,
            "examples": self.examples,
            "clean": self.clean,
            "rows": self.rows,
        }


def _check(lm: Any) -> bool:
    """True for an image adapter, False for text; one line for what cannot be attacked."""
    head = HeadKind(lm.task.head)
    if head not in (HeadKind.CLASSIFICATION, HeadKind.MULTILABEL, HeadKind.REGRESSION):
        raise InvalidConfig(
            f"{lm.manifest.ref}: adversarial accuracy covers classification, multilabel and "
            f"regression adapters; this one is {head.value}",
            fix="leave out --adversarial",
        )
    if lm.task.modality == Modality.IMAGE:
        return True
    from vadapt.engine.load import require_direct_input

    require_direct_input(lm, "an embedding attack")
    return False


def evaluate_adversarial(
    ref: str,
    *,
    epsilons: Sequence[float] | None = None,
    steps: int = 1,
    max_examples: int | None = None,
    registry: Any = None,
    hooks: Any = None,
    loaded: Any = None,
) -> AdversarialReport:
    """Test metrics clean and under FGM/FGSM (``steps`` 1) or PGD at each epsilon."""
    import torch

    from vadapt.engine.adversarial import adversarial_logits
    from vadapt.engine.evaluate import evaluate_split
    from vadapt.engine.load import load_adapter, split_examples, stored_context
    from vadapt.engine.scoring import PER_LABEL
    from vadapt.hooks import hooks as default_hooks

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise InvalidConfig(f"--attack-steps {steps!r}: expected an integer >= 1", fix="e.g. 1")
    h = hooks or default_hooks()
    lm = loaded or load_adapter(ref, registry=registry, hooks=h)
    image = _check(lm)
    eps = tuple(epsilons or (IMAGE_EPSILONS if image else TEXT_EPSILONS))
    if not eps or any(isinstance(e, bool) or not e > 0 for e in eps):
        raise InvalidConfig(f"--epsilons {list(eps)}: expected positive numbers", fix="e.g. 1,2,4")
    examples = split_examples(lm, h, "test")[:max_examples]
    ctx = lm.ctx

    def score(attack: Any) -> dict[str, float]:
        metrics = evaluate_split(
            lm.model, ctx, h, examples, "test", stored_context(lm.manifest), attack=attack
        )
        return {k: v for k, v in metrics.items() if not k.startswith(PER_LABEL)}

    name = ("fgsm" if image else "fgm") if steps == 1 else f"pgd-{steps}"
    unit = "pixel levels (L-inf)" if image else "embedding L2 norm"
    report = AdversarialReport(
        lm.manifest.ref, lm.task.metric, name, unit, len(examples), score(None)
    )
    for e in eps:
        radius = e / PIXEL_SCALE if image else e
        alpha = None if steps == 1 else 2.5 * radius / steps  # PGD's step (Madry et al.)

        def attack(
            model: Any, batch: dict[str, Any], radius: float = radius, alpha: Any = alpha
        ) -> torch.Tensor:
            with torch.autocast(
                torch.device(ctx.device).type,
                dtype=ctx.autocast_dtype,
                enabled=ctx.autocast_dtype is not None,
            ):
                return adversarial_logits(model, batch, ctx.loss_fn, radius, steps, alpha)

        report.rows.append({"epsilon": e, **score(attack)})
    return report

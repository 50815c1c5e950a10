"""Robustness of a stored adapter: corruption accuracy and PGD robust accuracy.

The ``evaluate`` hook only sees predictions, so the figures that need the model
live here::

    from vadapt_driving.robustness import evaluate_robustness
    report = evaluate_robustness("traffic-signs@3", pgd_config={"epsilon": 4, "steps": 5})
    report["accuracy"], report["driving.mean_corruption_accuracy"]
    report["driving.robust_accuracy"]

It loads the adapter with ``vadapt.engine.load_adapter`` (hash- and
backbone-checked like ``predict``), reloads the adapter's own test split (or the
``data`` section you pass), and scores

- the clean split: every ``vadapt.kit.score`` metric (``accuracy``, ``class.red.recall``...)
  plus the ``evaluate`` hook's ``driving.*`` ones;
- each corruption x severity on the same images (``corruptions.corrupted_copies``,
  seeded: every adapter sees exactly the same corrupted pixels), giving
  ``driving.corruption.<name>.s<k>.accuracy``, ``driving.corruption.<name>.accuracy``,
  ``driving.mean_corruption_accuracy`` (mean over corruptions of the mean over
  severities) and ``driving.relative_mca`` (mCA / clean ``accuracy``);
- PGD under the budget (pixel units, ``adversarial.budget_from``):
  ``driving.robust_accuracy`` and ``driving.robust.critical_recall_min``.

Torch is imported only when this runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from vadapt_driving.adversarial import budget_from, pgd
from vadapt_driving.corruptions import CORRUPTIONS, SEVERITIES, corrupted_copies
from vadapt_driving.metrics import corruption_metrics, critical_recall_min
from vadapt_driving.metrics import evaluate as driving_metrics

DEFAULT_PGD = {"epsilon": 4.0, "steps": 5, "alpha": None, "options": {}}


def _batches(n: int, size: int) -> list[slice]:
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def _forward_probs(lm: Any, examples: Sequence[dict[str, Any]], batch_size: int) -> np.ndarray:
    import torch

    model, ctx = lm.model, lm.ctx
    targets = np.zeros(len(examples), dtype=np.int64)
    model.eval()
    outs = []
    with torch.no_grad():
        for sl in _batches(len(examples), batch_size):
            batch = ctx.collator(list(zip(examples[sl], targets[sl], strict=True)))
            batch = {k: v.to(ctx.device) if hasattr(v, "to") else v for k, v in batch.items()}
            outs.append(torch.softmax(model(batch).float(), -1).cpu().numpy())
    return np.concatenate(outs, axis=0)


def _pgd_predictions(
    lm: Any, examples: Sequence[dict[str, Any]], refs: np.ndarray, budget: Any, batch_size: int
) -> np.ndarray:
    import torch

    model, ctx = lm.model, lm.ctx
    model.eval()
    preds = []
    for sl in _batches(len(examples), batch_size):
        batch = ctx.collator(list(zip(examples[sl], refs[sl], strict=True)))
        batch = {k: v.to(ctx.device) if hasattr(v, "to") else v for k, v in batch.items()}
        with torch.enable_grad():
            x_adv = pgd(
                lambda x, b=batch: model({**b, "pixel_values": x}),
                lambda logits, b=batch: ctx.loss_fn(logits.float(), b),
                batch["pixel_values"],
                budget,
                module=model,
            )
        with torch.no_grad():
            preds.append(model({**batch, "pixel_values": x_adv}).argmax(-1).cpu().numpy())
    return np.concatenate(preds)


def _sample(examples: list[dict[str, Any]], cap: int | None, seed: int) -> list[dict[str, Any]]:
    if cap is None or len(examples) <= cap:
        return examples
    idx = np.sort(np.random.default_rng(seed).choice(len(examples), cap, replace=False))
    return [examples[i] for i in idx]


def evaluate_robustness(
    ref: str,
    *,
    registry: Any = None,
    data: Mapping[str, Any] | None = None,
    split: str = "test",
    corruptions: Sequence[str] | None = None,
    severities: Sequence[int] = SEVERITIES,
    pgd_config: Mapping[str, Any] | None = DEFAULT_PGD,
    extra_epsilons: Sequence[float] = (),
    max_examples: int | None = None,
    seed: int = 0,
    threads: int | None = None,
    batch_size: int = 64,
    hooks: Any = None,
) -> dict[str, float]:
    """Clean, per-corruption and PGD-robust metrics of adapter ``ref`` (see module doc).

    ``pgd_config``: ``epsilon``/``alpha``/``steps``/``options`` like the
    ``adversarial:`` section (epsilon in pixel levels); ``None`` skips the attack.
    ``extra_epsilons`` repeats the attack at other budgets (``driving.robust_accuracy.eps<e>``,
    alpha re-derived as 2.5·eps/steps). ``max_examples`` scores a seeded sample of the split.
    """
    from vadapt.engine import load_adapter
    from vadapt.hooks import hooks as default_hooks
    from vadapt.kit import score

    h = hooks or default_hooks()
    lm = load_adapter(ref, registry=registry, hooks=h, threads=threads)
    if lm.task.vertical != "driving":
        raise ValueError(f"adapter {ref} is for task {lm.task.id!r}, not a driving task")
    raw = dict(lm.config.data if data is None else data)
    raw.pop("test_corruption", None)
    splits = h.load_data(lm.task, lm.task.data_model.model_validate(raw))
    index = {lab: i for i, lab in enumerate(lm.labels)}
    examples = [ex for ex in getattr(splits, split) if ex["label"] in index]
    examples = _sample(examples, max_examples, seed)
    refs = np.array([index[ex["label"]] for ex in examples], dtype=np.int64)
    labels = list(lm.labels)

    out: dict[str, float] = {"driving.robustness.examples": float(len(examples))}
    clean = _forward_probs(lm, examples, batch_size)
    out.update(score(lm.task, clean, refs, labels))
    out.update(driving_metrics(clean, refs, examples, labels) or {})

    names = list(corruptions) if corruptions is not None else list(CORRUPTIONS)
    if names:
        corrupted: list[dict[str, Any]] = []
        for name in names:
            for sev in severities:
                corrupted.extend(corrupted_copies(examples, name, sev, seed))
        probs = _forward_probs(lm, corrupted, batch_size)
        ref_c = np.tile(refs, len(names) * len(severities))
        out.update(corruption_metrics(probs.argmax(1) == ref_c, corrupted))
        if out.get("accuracy"):
            out["driving.relative_mca"] = out["driving.mean_corruption_accuracy"] / out["accuracy"]

    if pgd_config is not None:
        budget = budget_from(dict(pgd_config))
        adv_pred = _pgd_predictions(lm, examples, refs, budget, batch_size)
        out["driving.robust_accuracy"] = float((adv_pred == refs).mean())
        crit = critical_recall_min(adv_pred, refs, labels)
        if crit is not None:
            out["driving.robust.critical_recall_min"] = crit
        out["driving.pgd.epsilon"] = float(pgd_config["epsilon"])
        out["driving.pgd.steps"] = float(budget.steps)
        for eps in extra_epsilons:  # the same attack at other budgets: a robustness curve
            other = budget_from({**dict(pgd_config), "epsilon": eps, "alpha": None})
            pred = _pgd_predictions(lm, examples, refs, other, batch_size)
            out[f"driving.robust_accuracy.eps{eps:g}"] = float((pred == refs).mean())
    return out

"""``fewshot()``: learning curves over k labelled examples per class.

For every k of ``shots`` and every seed, the protocol of :mod:`vadapt.fewshot.protocol`
draws the splits; the baselines are fitted once per (k, seed) on exactly those k examples
and scored by ``vadapt.kit.score`` on the full test split, and each method is fitted on
them and scored the same way. The full-data LoRA adapter of the task (the newest in the
registry) is the reference line. The best run of each method (its validation metric at
the largest k it ran) is registered with the whole curve in ``training.fewshot``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from vadapt.fewshot.protocol import (
    PROTOCOL,
    check_seeds,
    check_shots,
    k_shot,
    label_indices,
    parse_shots,
)
from vadapt.types import Modality

DEFAULT_METHODS = ("zero-shot", "setfit")
MIN_STEPS = 60
"""Methods trained by the engine's loop get at least this many optimizer steps at any k
(2 epochs over 16 examples would be 2 steps)."""


@dataclass
class Point:
    """One (method or baseline, k, seed) result on the full test split."""

    name: str
    kind: str  # "method" | "baseline"
    k: int
    seed: int
    test: dict[str, float]
    validation: float | None = None
    seconds: float = 0.0
    steps: int = 0


@dataclass
class FewShotResult:
    task: str
    metric: str
    shots: tuple[int, ...]
    seeds: int
    points: list[Point] = field(default_factory=list)
    reference: dict[str, Any] | None = None  # the full-data LoRA adapter: ref and metric
    saved: dict[str, str] = field(default_factory=dict)  # method -> registered ref
    plot: str | None = None
    test_size: int = 0
    test_subsample: bool = False  # data.max_test_examples cut the test split
    seconds: float = 0.0

    def names(self) -> list[str]:
        return list(dict.fromkeys(p.name for p in self.points))

    def summary(self, metric: str | None = None) -> dict[str, dict[int, tuple[float, float, int]]]:
        """name -> k -> (mean, std, runs) of ``metric`` (default: the task's)."""
        metric = metric or self.metric
        out: dict[str, dict[int, tuple[float, float, int]]] = {}
        for name in self.names():
            for k in self.shots:
                vals = [
                    p.test.get(metric, math.nan) for p in self.points if p.name == name and p.k == k
                ]
                if vals:
                    out.setdefault(name, {})[k] = (
                        float(np.mean(vals)),
                        float(np.std(vals)),
                        len(vals),
                    )
        return out

    def curve(self) -> dict[str, Any]:
        """What the registered adapters keep in ``training.fewshot``."""
        return {
            "protocol": PROTOCOL,
            "metric": self.metric,
            "shots": list(self.shots),
            "seeds": self.seeds,
            "test_size": self.test_size,
            "test_subsample": self.test_subsample,
            "summary": {
                n: {str(k): {"mean": m, "std": s, "runs": r} for k, (m, s, r) in by_k.items()}
                for n, by_k in self.summary().items()
            },
            "reference": self.reference,
        }


def fewshot(
    task: str,
    *,
    shots: str | Sequence[int] = (0, 8, 32),
    seeds: int = 3,
    methods: Sequence[str] | None = None,
    baselines: Sequence[str] | None = None,
    config: dict[str, Any] | None = None,
    registry: Any = None,
    save: bool = True,
    plot: str | None = None,
    progress: bool = False,
    report: Callable[[str], None] | None = None,
    hooks: Any = None,
) -> FewShotResult:
    """Run the k-shot protocol for ``task``; ``config``: the rest of an adapt config
    (backbone, data, train, method options by ``{"options": {method: {...}}}``)."""
    from vadapt.config import build_config, resolve
    from vadapt.hooks import hooks as default_hooks

    t0 = time.perf_counter()
    h = hooks or default_hooks()
    h.methods()
    shots, seeds = parse_shots(shots), check_seeds(seeds)
    base = dict(config or {})
    options = base.pop("options", {}) or {}
    methods = tuple(methods or DEFAULT_METHODS)
    plans = {m: resolve(build_config(_config(task, base, m, options)), h) for m in methods}
    first = next(iter(plans.values()))
    check_classification(first.task)
    from vadapt.engine.run import _open_registry, _prepare_data

    splits, labels = _prepare_data(first, h)
    untrained = set(splits.untrained_labels)
    by_label = label_indices(splits.train, [lab for lab in labels if lab not in untrained])
    check_shots(shots, by_label, first.task.id)
    reg = _open_registry(replace_output(first), registry) if save else None
    result = FewShotResult(first.task.id, first.task.metric, shots, seeds)
    result.test_size = len(splits.test)
    result.test_subsample = bool(getattr(first.data_config, "max_test_examples", None))
    runner = _Runner(h, first, plans, base, options, labels, progress, report or (lambda s: None))
    for k in shots:
        for seed in range(1 if k == 0 else seeds):
            runner.point(result, k_shot(splits, by_label, k, seed), k, seed)
    result.reference = full_data_reference(reg or registry, first.task.id, result.metric)
    if plot:
        from vadapt.fewshot.report import plot_curve

        result.plot = plot_curve(result, plot)
    if reg is not None:
        result.saved = runner.save_best(result, reg)
    result.seconds = time.perf_counter() - t0
    return result


def check_classification(task: Any) -> None:
    """The protocol draws k examples per class: classification tasks only."""
    from vadapt_registry.errors import InvalidConfig

    from vadapt.types import HeadKind

    if task.head != HeadKind.CLASSIFICATION:
        raise InvalidConfig(
            f"vadapt fewshot draws k examples per class, but task {task.id!r} is "
            f"{task.head.value}",
            fix="run it on a classification task; for a smaller training set use "
            "vadapt adapt with --set train.max_train_examples=N",
        )


def replace_output(res: Any) -> Any:
    """``res`` with saving on (``_open_registry`` reads ``output.save``)."""
    out = res.config.output.model_copy(update={"save": True})
    return replace(res, config=res.config.model_copy(update={"output": out}))


def _config(
    task: str, base: dict[str, Any], method: str, options: dict[str, Any], epochs: int | None = None
) -> dict[str, Any]:
    cfg = {**base, "task": task, "method": {"name": method, **options.get(method, {})}}
    if epochs is not None and "epochs" not in base.get("train", {}):
        cfg["train"] = {**base.get("train", {}), "epochs": epochs, "patience": 0}
    return cfg


class _Runner:
    """Runs one (k, seed) point: baselines once, then every method; keeps the best fit."""

    def __init__(
        self,
        h: Any,
        first: Any,
        plans: dict[str, Any],
        base: dict[str, Any],
        options: dict[str, Any],
        labels: tuple[str, ...],
        progress: bool,
        report: Callable[[str], None],
    ) -> None:
        from vadapt.engine.encoder import make_encoder

        self.h, self.first, self.plans, self.base, self.options = h, first, plans, base, options
        self.labels, self.progress, self.report = labels, progress, report
        self.encode = memoised(make_encoder(first.backbone, first.config))
        self.best: dict[str, tuple[tuple[int, float], Any]] = {}

    def point(self, result: FewShotResult, splits: Any, k: int, seed: int) -> None:
        scored = self._baselines(result, splits, k, seed) if k else ({}, {})
        from vadapt.methods import get_method

        for name, res in self.plans.items():
            if get_method(name).needs_labels == (k == 0):  # label-free methods: k = 0 only
                continue
            self._method(result, name, self._at_k(name, res, splits), splits, k, seed, scored)

    def _baselines(self, result: FewShotResult, splits: Any, k: int, seed: int) -> Any:
        from vadapt.engine.scoring import compute_baselines

        task = replace(self.first.task, baselines=fewshot_baselines(self.first.task))
        t0 = time.perf_counter()
        scored, notes = compute_baselines(self.h, task, splits, self.labels, self.encode)
        for name, metrics in scored.items():
            result.points.append(Point(name, "baseline", k, seed, metrics))
        self.report(
            f"k={k} seed={seed} baselines ({time.perf_counter() - t0:.0f}s): "
            + _line({n: m.get(result.metric) for n, m in scored.items()})
        )
        return scored, notes

    def _at_k(self, name: str, res: Any, splits: Any) -> Any:
        """Methods trained by the engine's loop: enough epochs for ``MIN_STEPS`` steps."""
        from vadapt.config import build_config, resolve
        from vadapt.methods import get_method

        if get_method(name).fit is not None or not splits.train:
            return res
        tc = res.config.train
        steps_per_epoch = max(1, math.ceil(len(splits.train) / tc.batch_size / tc.grad_accum))
        epochs = max(tc.epochs, math.ceil(MIN_STEPS / steps_per_epoch))
        cfg = _config(self.first.task.id, self.base, name, self.options, epochs)
        return resolve(build_config(cfg), self.h)

    def _method(
        self,
        result: FewShotResult,
        name: str,
        res: Any,
        splits: Any,
        k: int,
        seed: int,
        scored: Any,
    ) -> None:
        from vadapt.engine.run import fit_and_score

        t0 = time.perf_counter()
        fitted = fit_and_score(
            res, self.h, splits, self.labels, progress=self.progress, baselines=scored
        )
        val = fitted.metrics["validation"].get(result.metric)
        test = fitted.metrics["test"]
        seconds = time.perf_counter() - t0
        result.points.append(
            Point(name, "method", k, seed, test, val, seconds, fitted.run.outcome.steps)
        )
        self.report(
            f"k={k} seed={seed} {name}: {result.metric} {test.get(result.metric, math.nan):.4f} "
            f"({seconds:.0f}s)"
        )
        rank = (k, -math.inf if val is None or math.isnan(val) else val)
        if res.task.metric_mode == "min":
            rank = (k, -rank[1])
        if name not in self.best or rank > self.best[name][0]:
            self.best[name] = (rank, fitted)

    def save_best(self, result: FewShotResult, reg: Any) -> dict[str, str]:
        from vadapt.engine.run import save_fitted

        saved = {}
        for name, (_, fitted) in self.best.items():
            out = fitted.res.config.output
            if not out.name:
                fitted.res = _named(fitted.res, f"{fitted.res.task.name}-{name}")
            manifest = save_fitted(
                fitted,
                self.h,
                reg,
                allow_below_baseline=True,
                training={
                    "fewshot": {
                        **result.curve(),
                        "method": name,
                        "k": fitted.splits.info.get("shots"),
                        "seed": fitted.splits.info.get("seed"),
                    }
                },
            )
            saved[name] = manifest.ref
            self.report(f"registered {manifest.ref} (best {name} run)")
        return saved


def _named(res: Any, name: str) -> Any:
    out = res.config.output.model_copy(update={"name": name})
    return replace(res, config=res.config.model_copy(update={"output": out}))


def fewshot_baselines(task: Any) -> tuple[str, ...]:
    """TF-IDF + LR and the frozen probe on the same k examples; LR on raw features for
    tabular tasks; majority always (the gate's reference)."""
    names = ["majority", "tfidf-logreg", "frozen-probe"]
    if task.modality == Modality.TABULAR:
        names.append("logreg")
    return tuple(names)


def memoised(encode: Callable[[Sequence[Any]], Any]) -> Callable[[Sequence[Any]], Any]:
    """``encode`` with each text's vector kept: the frozen probe of every (k, seed) reads
    the same test split, embedded once."""
    cache: dict[str, np.ndarray] = {}

    def enc(inputs: Sequence[Any]) -> np.ndarray:
        if not all(isinstance(x, str) for x in inputs):
            return encode(inputs)
        missing = [x for x in dict.fromkeys(inputs) if x not in cache]
        if missing:
            cache.update(zip(missing, encode(missing), strict=True))
        if not inputs:
            return encode([])
        return np.stack([cache[x] for x in inputs])

    return enc


def full_data_reference(registry: Any, task_id: str, metric: str) -> dict[str, Any] | None:
    """The newest full-data ``lora`` adapter of the task in the registry, and its metric."""
    from vadapt.engine.save import open_registry

    try:
        reg = open_registry(registry, None)
        found = [m for m in reg.list(task=task_id) if m.method.name == "lora"]
    except Exception:  # no registry yet: no reference
        return None
    found = [m for m in found if "fewshot" not in m.training and metric in m.metrics.test]
    if not found:
        return None
    m = max(found, key=lambda m: str(m.created))
    return {"ref": m.ref, "metric": metric, "value": m.metrics.test[metric]}


def _line(values: dict[str, Any]) -> str:
    return ", ".join(f"{n} {v:.4f}" for n, v in values.items() if isinstance(v, float))

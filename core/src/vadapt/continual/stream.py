"""``continual()``: learn a task's stream of experiences one after another and score
what each strategy remembered.

For each strategy and seed the adapter is trained on experience 0, then continued on
experience 1 from the model in memory (its strategy state carried over, as a stored
parent would carry it), and so on; after each experience it is scored by
``vadapt.kit.score`` on every experience's test split, giving the matrix ``R[i][j]``
and the stream scores of :mod:`vadapt.continual.metrics`. Every experience's splits are
loaded once, through the task's own ``load_data`` with the experience's ``data``
options. The seed-0 run of each strategy is registered, its matrix in
``training.continual.stream``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from vadapt.continual.metrics import summary as stream_summary

DEFAULT_STRATEGIES = ("naive", "replay", "ewc", "lwf", "olora")
SCORES = ("average_accuracy", "backward_transfer", "forgetting", "forward_transfer", "newest")


@dataclass
class StreamRun:
    """One strategy, one seed: the result matrix and its scores."""

    strategy: str
    seed: int
    matrix: list[list[float | None]]
    initial: list[float | None]
    scores: dict[str, float | None]
    seconds: float = 0.0
    steps: int = 0


@dataclass
class ContinualResult:
    task: str
    stream: str
    kind: str
    metric: str
    experiences: tuple[str, ...]
    seeds: int
    runs: list[StreamRun] = field(default_factory=list)
    saved: dict[str, str] = field(default_factory=dict)  # strategy -> registered ref
    test_sizes: dict[str, int] = field(default_factory=dict)
    plot: str | None = None
    seconds: float = 0.0

    def strategies(self) -> list[str]:
        return list(dict.fromkeys(r.strategy for r in self.runs))

    def summary(self) -> dict[str, dict[str, tuple[float, float, int]]]:
        """strategy -> score -> (mean, std, runs) over seeds (scores that exist)."""
        out: dict[str, dict[str, tuple[float, float, int]]] = {}
        for s in self.strategies():
            for key in SCORES:
                vals = [r.scores[key] for r in self.runs if r.strategy == s]
                vals = [v for v in vals if v is not None]
                if vals:
                    out.setdefault(s, {})[key] = (
                        float(np.mean(vals)),
                        float(np.std(vals)),
                        len(vals),
                    )
        return out

    def mean_matrix(self, strategy: str) -> list[list[float | None]]:
        runs = [r.matrix for r in self.runs if r.strategy == strategy]
        t = len(self.experiences)
        return [[_mean([m[i][j] for m in runs]) for j in range(t)] for i in range(t)]

    def record(self, run: StreamRun) -> dict[str, Any]:
        """What the registered adapter keeps in ``training.continual.stream``."""
        return {
            "stream": self.stream,
            "kind": self.kind,
            "metric": self.metric,
            "experiences": list(self.experiences),
            "test_sizes": self.test_sizes,
            "seed": run.seed,
            "matrix": run.matrix,
            "initial": run.initial,
            "scores": run.scores,
            "summary": {
                s: {k: {"mean": m, "std": sd, "runs": n} for k, (m, sd, n) in by.items()}
                for s, by in self.summary().items()
            },
        }


def _mean(xs: Sequence[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return float(np.mean(vals)) if vals else None


def continual(
    task: str,
    stream: str,
    *,
    strategies: Sequence[str] = DEFAULT_STRATEGIES,
    seeds: int = 1,
    config: dict[str, Any] | None = None,
    registry: Any = None,
    save: bool = True,
    plot: str | None = None,
    progress: bool = False,
    report: Callable[[str], None] | None = None,
    hooks: Any = None,
) -> ContinualResult:
    """Run ``task``'s stream ``stream`` with each of ``strategies`` for ``seeds`` seeds;
    ``config``: the rest of an adapt config (backbone, method, data, train, continual
    options), the same for every experience."""
    from vadapt.config import build_config, resolve
    from vadapt.fewshot.protocol import check_seeds
    from vadapt.hooks import hooks as default_hooks

    t0 = time.perf_counter()
    h = hooks or default_hooks()
    h.methods()
    base = {**(config or {}), "task": task}
    strategies = _check_strategies(strategies)
    seeds = check_seeds(seeds)
    first = resolve(build_config(base), h)
    spec = _stream(first.task, stream)
    loaded = [_experience(first, h, base, spec, i) for i in range(len(spec.experiences))]
    from vadapt.engine.run import _open_registry
    from vadapt.fewshot.run import replace_output

    reg = _open_registry(replace_output(first), registry) if save else None
    result = ContinualResult(first.task.id, stream, spec.kind, first.task.metric, spec.names, seeds)
    result.test_sizes = {
        e.name: len(x.splits.test) for e, x in zip(spec.experiences, loaded, strict=True)
    }
    say = report or (lambda s: None)
    kept: dict[str, tuple[StreamRun, Any]] = {}
    for strategy in strategies:
        for seed in range(seeds):
            run, fitted = _run_stream(
                h, base, loaded, strategy, seed, registry, progress, say, save and seed == 0
            )
            result.runs.append(run)
            if seed == 0:
                kept[strategy] = (run, fitted)
    for strategy, (run, fitted) in kept.items() if reg is not None else ():
        result.saved[strategy] = _save(h, reg, fitted, result, run, stream)
        say(f"registered {result.saved[strategy]} ({strategy}, seed 0)")
    if plot:
        from vadapt.continual.report import plot_matrices

        result.plot = plot_matrices(result, plot)
    result.seconds = time.perf_counter() - t0
    return result


@dataclass
class _Loaded:
    """One experience, loaded: its resolved config, splits and label set."""

    name: str
    res: Any
    splits: Any
    labels: tuple[str, ...]
    data: dict[str, Any]
    keep: tuple[str, ...]  # class streams: this experience's labels


def _check_strategies(strategies: Sequence[str] | str) -> tuple[str, ...]:
    from vadapt_registry.errors import InvalidConfig

    from vadapt.config import STRATEGIES

    names = (
        [s.strip() for s in strategies.split(",")]
        if isinstance(strategies, str)
        else list(strategies)
    )
    bad = [s for s in names if s not in STRATEGIES]
    if bad or not names:
        raise InvalidConfig(
            f"--strategies: unknown strategy {bad or names}",
            fix=f"choose among {', '.join(STRATEGIES)} (comma-separated)",
        )
    return tuple(dict.fromkeys(names))


def _stream(task: Any, name: str) -> Any:
    from vadapt_registry.errors import InvalidConfig

    if name not in task.streams:
        have = ", ".join(task.streams) or "none"
        raise InvalidConfig(
            f"task {task.id!r} declares no stream {name!r} (it declares: {have})",
            fix="pick one of the task's streams (vadapt tasks show them), or declare it in the "
            "plugin's TaskSpec.streams",
        )
    return task.streams[name]


def _experience(first: Any, h: Any, base: dict[str, Any], spec: Any, i: int) -> _Loaded:
    """Experience ``i`` loaded: the task's data section with the experience's options,
    the engine's example caps; class streams keep only the experience's labels."""
    from vadapt_registry.errors import InvalidConfig

    from vadapt.config import build_config, resolve
    from vadapt.engine.data.checks import check_splits, resolve_labels
    from vadapt.engine.run import _limit

    exp = spec.experiences[i]
    data = {**dict(base.get("data") or {}), **exp.data}
    res = resolve(build_config({**base, "data": data}), h)
    splits = experience_splits(h.load_data(res.task, res.data_config), spec, exp)
    splits = _limit(splits, res.config)
    where = f"stream experience {exp.name!r} (#{i}) of task {res.task.id!r}"
    for split in ("train", "validation", "test"):
        if not getattr(splits, split):
            raise InvalidConfig(
                f"{where} has no {split} examples (data options {data})",
                fix="check the experience's data options and the data behind them; an "
                "experience needs train, validation and test examples",
            )
    labels = (
        exp.labels
        if spec.kind == "class"
        else resolve_labels(res.task, splits, res.config.train.tagging)
    )
    check_splits(res.task, splits, labels)
    return _Loaded(exp.name, res, splits, tuple(labels), data, tuple(exp.labels))


def experience_splits(splits: Any, spec: Any, exp: Any) -> Any:
    """The splits of experience ``exp`` of stream ``spec``, loaded with its data options:
    a class stream keeps only the experience's labels in every split."""
    return _only(splits, exp.labels) if spec.kind == "class" else splits


def _only(splits: Any, labels: Sequence[str]) -> Any:
    keep = set(labels)

    def pick(examples: Sequence[Any]) -> list[Any]:
        return [ex for ex in examples if str(ex.get("label")) in keep]

    return replace(
        splits,
        train=pick(splits.train),
        validation=pick(splits.validation),
        test=pick(splits.test),
        labels=None,
        untrained_labels=tuple(x for x in splits.untrained_labels if x in keep),
    )


def _run_stream(
    h: Any,
    base: dict[str, Any],
    loaded: list[_Loaded],
    strategy: str,
    seed: int,
    registry: Any,
    progress: bool,
    say: Callable[[str], None],
    scored: bool,
) -> tuple[StreamRun, Any]:
    """One strategy and seed through the whole stream; ``scored``: the baselines on the
    last experience (the run is registered, its manifest shows them)."""
    from vadapt.config import build_config, resolve
    from vadapt.continual.engine import plan
    from vadapt.continual.parent import continued_splits, merged_labels, state_of
    from vadapt.engine.run import fit_and_score

    t0 = time.perf_counter()
    t = len(loaded)
    matrix: list[list[float | None]] = []
    initial: list[float | None] = [None] * t
    parent, fitted, steps = None, None, 0
    for i, exp in enumerate(loaded):
        cfg = _experience_config(base, exp, strategy, seed)
        res, p = plan(resolve(build_config(cfg), h), h, registry, parent=parent, always=True)
        splits, labels = exp.splits, exp.labels
        if parent is not None:
            labels = merged_labels(res.task, parent, labels)
            splits = continued_splits(splits, parent)
        if i == 0:
            p.on_start = _initial_scores(h, loaded, initial)
        last = i == t - 1
        fitted = fit_and_score(
            res,
            h,
            splits,
            labels,
            progress=progress,
            baselines=None if last and scored else ({}, {}),
            continual=p,
        )
        steps += fitted.run.outcome.steps
        row = _row(h, fitted, loaded, i)
        matrix.append(row)
        say(
            f"{strategy} seed {seed} after {exp.name}: "
            + ", ".join(f"{e.name} {_fmt(v)}" for e, v in zip(loaded, row, strict=True))
        )
        parent = state_of(fitted.run, res.config.method, exp.data, fitted.metrics["test"])
    scores = stream_summary(matrix, initial)
    return StreamRun(
        strategy, seed, matrix, initial, scores, time.perf_counter() - t0, steps
    ), fitted


def _experience_config(
    base: dict[str, Any], exp: _Loaded, strategy: str, seed: int
) -> dict[str, Any]:
    train = {**dict(base.get("train") or {}), "seed": seed}
    cont = {**dict(base.get("continual") or {}), "strategy": strategy, "parent": None}
    return {**base, "data": exp.data, "train": train, "continual": cont}


def _scores_on(
    h: Any, model: Any, ctx: Any, context: Any, loaded: list[_Loaded]
) -> list[float | None]:
    """The task metric on every experience's test split; None where the test holds labels
    the model does not know yet (a class stream's later experiences)."""
    from vadapt.engine.evaluate import evaluate_split

    known = set(ctx.labels)
    out: list[float | None] = []
    for exp in loaded:
        if exp.keep and not set(exp.keep) <= known:
            out.append(None)
            continue
        metrics = evaluate_split(model, ctx, h, list(exp.splits.test), "test", context)
        value = metrics.get(exp.res.task.metric)
        out.append(None if value is None or math.isnan(value) else float(value))
    return out


def _initial_scores(h: Any, loaded: list[_Loaded], into: list[float | None]) -> Callable[..., None]:
    """``Plan.on_start`` of experience 0: ``b[j]``, the untrained model on every test."""

    def on_start(model: Any, ctx: Any) -> None:
        from vadapt.kit.context import RunContext

        into[:] = _scores_on(h, model, ctx, RunContext("test"), loaded)

    return on_start


def _row(h: Any, fitted: Any, loaded: list[_Loaded], i: int) -> list[float | None]:
    run = fitted.run
    row = _scores_on(h, run.model, run.ctx, run.outcome.context, loaded)
    mine = fitted.metrics["test"].get(loaded[i].res.task.metric)
    if mine is not None:
        row[i] = float(mine)  # the same figure the adapter's manifest stores
    return row


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def _save(
    h: Any, reg: Any, fitted: Any, result: ContinualResult, run: StreamRun, stream: str
) -> str:
    from vadapt.engine.run import save_fitted

    if not fitted.res.config.output.name:
        out = fitted.res.config.output.model_copy(
            update={"name": f"{fitted.res.task.name}-{stream}-{run.strategy}"}
        )
        fitted.res = replace(
            fitted.res, config=fitted.res.config.model_copy(update={"output": out})
        )
    fitted.run.continual.stream = result.record(run)
    return save_fitted(fitted, h, reg, allow_below_baseline=True).ref

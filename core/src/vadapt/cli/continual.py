"""``vadapt continual TASK --stream NAME`` (learn a stream, score what each strategy
remembered) and ``vadapt retrain NAME@V --data PATH`` (continue a registered version on
new data behind the retention gate). ``vadapt adapt --from`` lives with ``adapt``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer


def continual_cmd(
    task: str = typer.Argument(..., help="task id 'vertical/task' (see `vadapt tasks`)"),
    stream: str = typer.Option(
        ..., "--stream", help="one of the task's streams (`vadapt tasks` lists them)"
    ),
    strategies: str = typer.Option(
        "naive,replay,ewc,lwf,olora",
        "--strategies",
        help="continual strategies, comma-separated: naive, replay, ewc, lwf, l2, olora",
    ),
    seeds: int = typer.Option(1, "--seeds", help="runs of the whole stream per strategy"),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="YAML/JSON config (backbone, method, data, train, continual)"
    ),
    set_: list[str] = typer.Option([], "--set", "-s", help="override a config key: a.b=value"),
    backbone: str | None = typer.Option(None, "--backbone", "-b", help="backbone name or dir"),
    registry: str | None = typer.Option(None, "--registry", help="registry root"),
    save: bool = typer.Option(
        True, "--save/--no-save", help="register each strategy's seed-0 adapter"
    ),
    plot: Path | None = typer.Option(
        None, "--plot", help="heatmap PNG of R[i][j] (default: continual-<task>-<stream>.png)"
    ),
    progress: bool = typer.Option(False, "--progress/--no-progress", help="training progress"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Learn TASK's stream of experiences in order with each strategy; after each
    experience score every experience's test split: the matrix R[i][j], ACC, BWT,
    forgetting and FWT (docs/continual.md)."""
    from vadapt.cli.options import base_config
    from vadapt.continual import continual

    base = base_config(config, set_, backbone, registry)
    target = str(plot or Path(f"continual-{task.replace('/', '-')}-{stream}.png"))
    result = continual(
        task,
        stream,
        strategies=strategies,
        seeds=seeds,
        config=base,
        registry=registry,
        save=save,
        plot=target,
        progress=progress,
        report=lambda line: typer.echo(line, err=True),
    )
    if as_json:
        typer.echo(json.dumps(_json(result), indent=2, sort_keys=True))
        return
    print_result(result)


def _json(result: Any) -> dict[str, Any]:
    return {
        "task": result.task,
        "stream": result.stream,
        "kind": result.kind,
        "metric": result.metric,
        "experiences": list(result.experiences),
        "test_sizes": result.test_sizes,
        "seeds": result.seeds,
        "runs": [
            {
                "strategy": r.strategy,
                "seed": r.seed,
                "matrix": r.matrix,
                "initial": r.initial,
                "scores": r.scores,
                "seconds": round(r.seconds, 1),
                "steps": r.steps,
            }
            for r in result.runs
        ],
        "saved": result.saved,
        "plot": result.plot,
        "seconds": round(result.seconds, 1),
    }


def print_result(result: Any) -> None:
    """The score table, then each strategy's R[i][j] (mean over seeds)."""
    from vadapt.cli.tables import echo_table
    from vadapt.continual.report import matrix_rows, score_rows

    sizes = ", ".join(f"{k} {v}" for k, v in result.test_sizes.items())
    typer.echo(
        f"{result.task} stream {result.stream!r} ({result.kind}): test {result.metric}, "
        f"{result.seeds} seed(s); test sizes: {sizes}"
    )
    headers, rows = score_rows(result)
    echo_table(headers, rows, right=range(1, len(headers)))
    for strategy in result.strategies():
        typer.echo(f"\n{strategy}: R[i][j] = test {result.metric} of experience j after i")
        headers, rows = matrix_rows(result, strategy)
        echo_table(headers, rows, right=range(1, len(headers)))
    for strategy, ref in result.saved.items():
        typer.echo(f"registered {ref} ({strategy})")
    if result.plot:
        typer.echo(f"heatmaps: {result.plot}")
    typer.echo(f"({result.seconds / 60:.1f} min)")


def retrain_cmd(
    adapter: str = typer.Argument(..., help="NAME or NAME@VERSION to continue from"),
    data: str = typer.Option(
        ..., "--data", help="the new data: a file or directory in the task's own layout"
    ),
    strategy: str | None = typer.Option(
        None,
        "--strategy",
        help="naive, replay, ewc, lwf, l2 or olora (default: the parent's, else lwf)",
    ),
    retain: float = typer.Option(
        0.98,
        "--retain",
        help="refuse (exit 12) if the parent's test metric on its own data falls below this "
        "fraction",
    ),
    set_: list[str] = typer.Option([], "--set", "-s", help="override a config key: a.b=value"),
    registry: str | None = typer.Option(None, "--registry", help="registry root"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="training progress"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Continue ADAPTER on new data: train from its weights with a continual strategy,
    evaluate on the new data and on the parent's, refuse below --retain, and register
    the next version of the same name."""
    from vadapt.cli.engine import _dump, _print_summary, _result_json
    from vadapt.continual.retrain import retrain

    result, task = retrain(
        adapter,
        data=data,
        strategy=strategy,
        retain=retain,
        overrides=set_,
        registry=registry,
        progress=progress,
    )
    if as_json:
        typer.echo(_dump({**_result_json(result), "continual": result.continual}))
        return
    _print_summary(result, task)


def register(app: typer.Typer) -> None:
    app.command("continual")(continual_cmd)
    app.command("retrain")(retrain_cmd)

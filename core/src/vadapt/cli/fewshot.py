"""``vadapt fewshot TASK``: learning curves over k labelled examples per class."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from vadapt_registry.errors import InvalidConfig


def fewshot_cmd(
    task: str = typer.Argument(..., help="task id 'vertical/task' (see `vadapt tasks`)"),
    shots: str = typer.Option(
        "0,8,32", "--shots", help="labelled examples per class, comma-separated (0 = zero-shot)"
    ),
    seeds: int = typer.Option(3, "--seeds", help="draws of the k examples per k"),
    methods: str = typer.Option(
        "zero-shot,setfit",
        "--methods",
        help="methods, comma-separated (`vadapt methods`); label-free ones run at k=0 only",
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="YAML/JSON config (backbone, data, train; no method)"
    ),
    set_: list[str] = typer.Option([], "--set", "-s", help="override a config key: a.b=value"),
    backbone: str | None = typer.Option(None, "--backbone", "-b", help="backbone name or dir"),
    registry: str | None = typer.Option(None, "--registry", help="registry root"),
    save: bool = typer.Option(
        True, "--save/--no-save", help="register the best adapter of each method"
    ),
    plot: Path | None = typer.Option(
        None, "--plot", help="learning-curve PNG (default: fewshot-<task>.png here)"
    ),
    progress: bool = typer.Option(False, "--progress/--no-progress", help="training progress"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Run TASK's k-shot protocol: each method and baseline at each k, mean ± std over
    seeds on the full test split; draw the curve and register each method's best run."""
    from vadapt.fewshot import fewshot

    base = _base_config(config, set_, backbone, registry)
    target = str(plot or Path(f"fewshot-{task.replace('/', '-')}.png"))
    result = fewshot(
        task,
        shots=shots,
        seeds=seeds,
        methods=[m.strip() for m in methods.split(",") if m.strip()],
        config=base,
        registry=registry,
        save=save,
        plot=target,
        progress=progress,
        report=lambda line: typer.echo(line, err=True),
    )
    if as_json:
        out = {
            **result.curve(),
            "saved": result.saved,
            "plot": result.plot,
            "seconds": round(result.seconds, 1),
        }
        typer.echo(json.dumps(out, indent=2, sort_keys=True))
        return
    _print(result)


def _base_config(
    path: Path | None, overrides: list[str], backbone: str | None, registry: str | None
) -> dict[str, Any]:
    from vadapt.cli.options import base_config

    data = base_config(path, overrides, backbone, registry)
    if "method" in data:
        raise InvalidConfig(
            "config field method: vadapt fewshot runs several methods; it takes none here",
            fix="choose methods with --methods; pass method options from Python: "
            "fewshot(task, config={'options': {'setfit': {...}}})",
        )
    return data


def _print(result: Any) -> None:
    from vadapt.cli.tables import echo_table
    from vadapt.fewshot.report import table_rows

    typer.echo(
        f"{result.task}: test {result.metric}, mean ± std over {result.seeds} seeds "
        f"(k = 0: one run), "
        + (
            f"a seeded test subsample (n={result.test_size}, data.max_test_examples)"
            if result.test_subsample
            else f"full test split (n={result.test_size})"
        )
    )
    headers, rows = table_rows(result)
    echo_table(headers, rows, right=range(1, len(headers)))
    if result.reference is None:
        typer.echo(
            f"no full-data lora adapter of {result.task} in the registry to compare "
            f"with (train one: vadapt adapt {result.task})"
        )
    for method, ref in result.saved.items():
        typer.echo(f"registered {ref} (best {method} run)")
    if result.plot:
        typer.echo(f"learning curve: {result.plot}")
    typer.echo(f"({result.seconds / 60:.1f} min)")


def register(app: typer.Typer) -> None:
    app.command("fewshot")(fewshot_cmd)

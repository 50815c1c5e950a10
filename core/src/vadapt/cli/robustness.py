"""``vadapt robustness NAME@V``: the adapter's test metric clean and under perturbed text."""

from __future__ import annotations

import json

import typer
from vadapt_registry.errors import InvalidConfig


def _ints(value: str, option: str) -> list[int]:
    try:
        return [int(x) for x in value.split(",") if x.strip()]
    except ValueError:
        raise InvalidConfig(
            f"{option} {value!r}: expected comma-separated integers", fix=f"e.g. {option} 1,3,5"
        ) from None


def robustness_cmd(
    adapter: str = typer.Argument(..., help="NAME or NAME@VERSION"),
    perturbations: str | None = typer.Option(
        None,
        "--perturbations",
        help="comma-separated: typos, casing, whitespace, word_dropout (default: all)",
    ),
    severities: str = typer.Option("1,2,3,4,5", "--severities", help="severities 1..5"),
    max_examples: int | None = typer.Option(
        None, "--max-examples", help="score the first N test examples only"
    ),
    seed: int = typer.Option(0, "--seed", help="seed of the perturbations"),
    registry: str | None = typer.Option(None, "--registry", help="registry root"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Score a stored text adapter's test split clean and under seeded perturbations
    (typos, casing, whitespace, word dropout) at severities 1-5."""
    from vadapt.engine.robustness import evaluate_robustness

    names = [n.strip() for n in perturbations.split(",") if n.strip()] if perturbations else None
    report = evaluate_robustness(
        adapter,
        perturbations=names,
        severities=_ints(severities, "--severities"),
        max_examples=max_examples,
        seed=seed,
        registry=registry,
    )
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2, sort_keys=True))
        return
    levels = list(dict.fromkeys(r["severity"] for r in report.rows))
    metric = report.metric
    typer.echo(
        f"{report.ref}: test {metric} over {report.examples} examples, "
        f"clean {report.clean[metric]:.4f}"
    )
    header = "".join(f"{'s' + str(s):>9}" for s in levels)
    typer.echo(f"{'perturbation':<14}{header}{'mean':>9}")
    for name in dict.fromkeys(r["perturbation"] for r in report.rows):
        cells = {r["severity"]: r[metric] for r in report.rows if r["perturbation"] == name}
        typer.echo(
            f"{name:<14}"
            + "".join(f"{cells[s]:>9.4f}" for s in levels)
            + f"{report.mean(name):>9.4f}"
        )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("robustness")(robustness_cmd)

"""``vadapt robustness NAME@V``: the adapter's test metric clean and under perturbed text."""

from __future__ import annotations

import json

import typer
from vadapt_registry.errors import InvalidConfig


def _numbers(value: str, option: str, kind: type = int) -> list:
    """Comma-separated ``kind`` values of ``option``; one line when one is not."""
    try:
        return [kind(x) for x in value.split(",") if x.strip()]
    except ValueError:
        raise InvalidConfig(
            f"{option} {value!r}: expected comma-separated {kind.__name__}s",
            fix=f"e.g. {option} 1,3,5",
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
    adversarial: bool = typer.Option(
        False, "--adversarial", help="also FGM (text) / FGSM (images) accuracy by epsilon"
    ),
    epsilons: str | None = typer.Option(
        None, "--epsilons", help="attack radii (text: 0.1,0.25,0.5,1 L2; images: 1,2,4,8 levels)"
    ),
    attack_steps: int = typer.Option(1, "--attack-steps", help="1: FGM/FGSM; more: PGD"),
    registry: str | None = typer.Option(None, "--registry", help="registry root"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Score a stored adapter's test split clean and under seeded perturbations (text:
    typos, casing, whitespace, word dropout, the plugin's own; images: ten corruptions)
    at severities 1-5, and with --adversarial under FGM / FGSM / PGD attacks."""
    from vadapt.engine.load import load_adapter
    from vadapt.engine.robustness import evaluate_robustness

    lm = load_adapter(adapter, registry=registry)  # once, for both measurements
    names = [n.strip() for n in perturbations.split(",") if n.strip()] if perturbations else None
    report = evaluate_robustness(
        adapter,
        perturbations=names,
        severities=_numbers(severities, "--severities"),
        max_examples=max_examples,
        seed=seed,
        loaded=lm,
    )
    attacked = None
    if adversarial:
        from vadapt.engine.attack import evaluate_adversarial

        attacked = evaluate_adversarial(
            adapter,
            epsilons=_numbers(epsilons, "--epsilons", float) if epsilons else None,
            steps=attack_steps,
            max_examples=max_examples,
            loaded=lm,
        )
    if as_json:
        out = report.as_dict()
        if attacked is not None:
            out["adversarial"] = attacked.as_dict()
        typer.echo(json.dumps(out, indent=2, sort_keys=True))
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

    if attacked is not None:
        typer.echo(f"{attacked.attack} ({attacked.unit}):")
        for row in attacked.rows:
            typer.echo(f"  epsilon {row['epsilon']:<8g}{row[metric]:>9.4f}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("robustness")(robustness_cmd)

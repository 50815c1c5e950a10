"""``vadapt report NAME@V``: the adapter's report card as a self-contained HTML page."""

from __future__ import annotations

from pathlib import Path

import typer


def report_cmd(
    adapter: str = typer.Argument(..., help="NAME or NAME@VERSION"),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="directory for report.html, its PNGs and report.json"
    ),
    compare: str | None = typer.Option(
        None, "--compare", help="another adapter: metrics side by side, option differences"
    ),
    refresh: bool = typer.Option(
        False, "--refresh", help="measure again even if the registry holds a report"
    ),
    robustness_examples: int = typer.Option(
        300, "--robustness-examples", help="test examples perturbed (0 skips robustness)"
    ),
    explain_examples: int = typer.Option(
        24, "--explain-examples", help="test texts explained (0 skips explanations)"
    ),
    steps: int = typer.Option(32, "--steps", help="integration steps of integrated gradients"),
    sheet: Path | None = typer.Option(
        None, "--sheet", help="also one small PNG of the main figures (for a README)"
    ),
    registry: str | None = typer.Option(None, "--registry", help="registry root"),
) -> None:
    """Write the adapter's report card: training curves, metrics vs baselines, confusion
    matrix, per-class table, reliability diagram, robustness, top words per class,
    faithfulness, data and lineage. Measured once and stored with the adapter; later
    calls read it back from the registry (--refresh measures again)."""
    from vadapt_registry import Registry

    from vadapt.report.build import compared_page, make_card, write_card

    reg = Registry(registry)
    m = reg.get(adapter)
    card = make_card(
        reg,
        m.ref,
        refresh=refresh,
        robustness_examples=robustness_examples,
        explain_examples=explain_examples,
        steps=steps,
    )
    if card.note:
        typer.echo(f"note: {card.note}", err=True)
    html = compared_page(reg, card, compare) if compare else None
    target = out or Path(f"{m.name}-v{m.version}-report")
    page = write_card(card, target, html)
    if sheet is not None:
        from vadapt.report.plots import contact_sheet

        sheet.write_bytes(contact_sheet(card.pngs))
    how = "read from the registry" if card.stored else f"measured in {card.report['seconds']} s"
    typer.echo(f"{m.ref}: report card {how} -> {page}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("report")(report_cmd)

"""CLI: ``vadapt registry ...`` (placeholder until the registry lands)."""

import typer

app = typer.Typer(name="registry", help="List, verify, export and import stored adapters.", no_args_is_help=True)

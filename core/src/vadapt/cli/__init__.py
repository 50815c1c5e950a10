"""The ``vadapt`` command line.

Each command group lives in its own module with a ``register(app)`` function;
none of them imports torch or peft at module level, so ``vadapt --help`` and
the listings stay fast. Every ``VadaptError`` becomes one line on stderr and
the exit code of its class (tracebacks only with ``--debug``).
"""

from __future__ import annotations

import os
import sys
import traceback

import click
import typer

from vadapt import __version__
from vadapt_registry.errors import VadaptError

app = typer.Typer(
    name="vadapt",
    help="Adapt foundation models to vertical domains; keep every adapter in a trusted registry.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vadapt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    """vadapt: plugin-based domain adapter registry."""
    _state["debug"] = debug or os.environ.get("VADAPT_DEBUG") == "1"


def _register_commands() -> None:
    from vadapt.cli import demo, engine, plugins, registry

    plugins.register(app)
    engine.register(app)
    demo.register(app)
    app.add_typer(registry.app, name="registry")


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning vadapt errors into one line and an exit code."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="vadapt", standalone_mode=False)
    except VadaptError as err:
        if _state["debug"]:
            traceback.print_exc()
        typer.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: still one line unless --debug
        if _state["debug"]:
            traceback.print_exc()
        else:
            typer.echo(
                f"error: internal error {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
                err=True,
            )
        sys.exit(1)

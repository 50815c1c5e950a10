"""The ``vadapt`` command line.

Each command group lives in its own module with a ``register(app)`` function;
none of them imports torch or peft at module level, so ``vadapt --help`` and
the listings stay fast. Every ``VadaptError`` becomes one line on stderr and
the exit code of its class (tracebacks only with ``--debug``).
"""

from __future__ import annotations

import logging
import os
import sys
import traceback

import typer
from vadapt_registry.errors import VadaptError

from vadapt import __version__


def _classes(attr: str, *owners: object) -> tuple[type[BaseException], ...]:
    found = {getattr(o, attr) for o in owners if isinstance(getattr(o, attr, None), type)}
    return tuple(found)


# Typer >= 0.20 vendors click (typer._click); older typer uses click itself. Catch both.
_click_mod = getattr(typer, "_click", None)
_click_exc = getattr(_click_mod, "exceptions", None)
if _click_mod is None:  # pragma: no cover - older typer
    import click as _click_pkg
else:
    _click_pkg = None
_EXIT = _classes("Exit", typer, getattr(_click_pkg, "exceptions", None))
_ABORT = _classes("Abort", typer, getattr(_click_pkg, "exceptions", None))
_USAGE = _classes("ClickException", _click_exc, _click_pkg)

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
    _setup_logging(_state["debug"])


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def _setup_logging(debug: bool) -> None:
    """vadapt's log lines on stderr as ``warning: ...`` (``--debug`` adds debug lines)."""
    logger = logging.getLogger("vadapt")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(_OneLine())
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)


def _register_commands() -> None:
    from vadapt.cli import (
        compress,
        continual,
        demo,
        engine,
        explain,
        export,
        fewshot,
        plugins,
        registry,
        report,
        robustness,
        serve,
    )

    plugins.register(app)
    engine.register(app)
    fewshot.register(app)
    continual.register(app)
    robustness.register(app)
    explain.register(app)
    report.register(app)
    compress.register(app)
    export.register(app)
    demo.register(app)
    serve.register(app)
    app.add_typer(registry.app, name="registry")


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning vadapt errors into one line and an exit code."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="vadapt", standalone_mode=False)
    except VadaptError as err:
        if _state["debug"]:
            traceback.print_exc()
        typer.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)
    except _EXIT as exc:
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except _ABORT:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except _USAGE as exc:  # bad arguments: click's usage message, exit code 2
        exc.show()  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: still one line unless --debug
        if _state["debug"]:
            traceback.print_exc()
        else:
            typer.echo(
                f"error: internal error {type(exc).__name__}: {' '.join(str(exc).split())} "
                "(rerun with --debug for the traceback)",
                err=True,
            )
        sys.exit(1)
    if isinstance(code, int) and code:  # typer.Exit(code) returns here without standalone mode
        sys.exit(code)

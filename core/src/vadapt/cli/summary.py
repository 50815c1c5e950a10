"""What ``vadapt adapt`` prints when it is done: one compact table and a line or two.

Rows are the adapter and every baseline, columns the task's headline metrics
(``vadapt.kit.headline``), all on the test split. The full report is the stored
manifest (``vadapt registry show REF``, ``--json`` for everything) and the run log.
Pure functions of a result-like object (``ref``, ``metrics``, ``baselines``,
``log_path``, ``seconds``, ``trainable_parameters``, ``total_parameters``, ``gate``):
testable without training, and torch-free.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from vadapt.cli.tables import num, table

if TYPE_CHECKING:
    from rich.table import Table

ADAPTER_ROW = "adapter"


def versus_table(
    metrics: Sequence[str],
    adapter: Mapping[str, Any],
    baselines: Mapping[str, Mapping[str, Any]],
    *,
    label: str = ADAPTER_ROW,
) -> Table:
    """The adapter's ``metrics`` above each baseline's; a metric a row lacks is ``—``."""
    rows = [[label, *(num(adapter.get(m)) for m in metrics)]]
    rows += [
        [name, *(num((vals or {}).get(m)) for m in metrics)] for name, vals in baselines.items()
    ]
    return table(["test", *metrics], rows, right=range(1, len(metrics) + 1))


def adapt_summary(result: Any, task: Any) -> Table:
    """The adapter and every baseline on ``task``'s headline metrics (test split)."""
    from vadapt.kit import headline

    return versus_table(list(headline(task)), result.metrics.get("test", {}), result.baselines)


def gate_warning(gate: Mapping[str, Any] | None) -> str | None:
    """One line when the adapter failed the baseline gate, else None."""
    if not gate or gate.get("passed", True):
        return None
    floor = gate.get("floor")
    against = f"the majority baseline {num(gate.get('majority'))}" + (
        f" / the floor {floor}" if floor is not None else ""
    )
    kept = (
        f"saved tagged {gate.get('tag') or 'below-baseline'}" if gate.get("saved") else "not saved"
    )
    return (
        f"WARNING: {gate.get('metric')} {num(gate.get('adapter'))} does not beat {against}; {kept}"
    )


def footer(result: Any) -> str:
    """The ref, how long it took, what trained, and where the full report is."""
    trained = (
        f"{result.seconds:.1f}s, {result.trainable_parameters:,} of "
        f"{result.total_parameters:,} parameters trained"
    )
    log = f"run log: {result.log_path}" if result.log_path else "no run log"
    if not result.ref:
        return f"not saved (output.save=false) ({trained}); {log}"
    return (
        f"saved {result.ref} ({trained}); full report: vadapt registry show {result.ref} "
        f"(--json for everything); {log}"
    )


def continual_line(record: Mapping[str, Any] | None) -> str | None:
    """A continued run: what it continued from, how, and what it kept of the parent."""
    if not record or not record.get("parent"):
        return None
    line = f"continued from {record['parent']} with strategy {record.get('strategy')}"
    grown = record.get("new_labels")
    if grown:
        line += f", {grown} new label(s)"
    r = record.get("retention")
    if r:
        kept = r["now"] / r["parent"] if r.get("parent") else float("nan")
        line += (
            f"; on the parent's test data {r['metric']} {num(r['now'])} against "
            f"{num(r['parent'])} ({kept:.1%}, retain floor {r['floor']})"
        )
    return line


def summary_lines(result: Any) -> list[str]:
    """What follows the table: the gate warning (if any), the continual line (a
    continued run), then :func:`footer`."""
    warning = gate_warning(getattr(result, "gate", None))
    cont = continual_line(getattr(result, "continual", None))
    return [*([warning] if warning else []), *([cont] if cont else []), footer(result)]

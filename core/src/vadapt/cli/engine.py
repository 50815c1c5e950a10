"""CLI commands of the engine: adapt, evaluate, predict, backbones, methods.

torch, transformers and peft are imported inside the commands that train or load
models, never at module level (``vadapt --help`` stays fast).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from vadapt_registry.errors import InvalidConfig


def _dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, default=str)


def adapt_cmd(
    task: str = typer.Argument(..., help="task id 'vertical/task' (see `vadapt tasks`)"),
    config: Path | None = typer.Option(None, "--config", "-c", help="YAML/JSON config file"),
    set_: list[str] = typer.Option(
        [], "--set", "-s", help="override a config key: a.b=value (repeatable)"
    ),
    method: str | None = typer.Option(
        None, "--method", "-m", help="adaptation method (`vadapt methods` lists them)"
    ),
    backbone: str | None = typer.Option(
        None, "--backbone", "-b", help="backbone name or local HF directory"
    ),
    name: str | None = typer.Option(
        None, "--name", help="adapter name (default: the task's name; with --from, the parent's)"
    ),
    registry: str | None = typer.Option(
        None, "--registry", help="registry root (default: $VADAPT_HOME or user data dir)"
    ),
    allow_below_baseline: bool = typer.Option(
        False,
        "--allow-below-baseline",
        help="save an adapter that does not beat the majority baseline, tagged below-baseline",
    ),
    from_: str | None = typer.Option(
        None,
        "--from",
        help="continue a stored adapter NAME@V (same backbone; new labels grow its head)",
    ),
    strategy: str | None = typer.Option(
        None,
        "--strategy",
        help="continual strategy: naive, replay, ewc, lwf, l2, olora (docs/continual.md)",
    ),
    retain: float | None = typer.Option(
        None,
        "--retain",
        help="with --from: refuse (exit 12) if the parent's test metric on its own data "
        "falls below this fraction, e.g. 0.98",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="validate and print the resolved config; train nothing"
    ),
    progress: bool = typer.Option(
        True,
        "--progress/--no-progress",
        help="show training progress (a bar on a terminal, else a line every ~5% of the steps)",
    ),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Adapt a backbone to TASK and save the adapter to the registry."""
    from vadapt.config import load_config, resolve

    overrides = [
        *set_,
        *_option_overrides(backbone, name, registry, allow_below_baseline),
        *_continual_overrides(from_, strategy, retain),
    ]
    cfg = load_config(config, overrides, task=task, method=method)
    res = resolve(cfg)
    if dry_run:
        typer.echo(_dump(_resolved(cfg, res)))
        return
    from vadapt.engine.run import adapt

    result = adapt(cfg, progress=progress)
    if not result.main_process:  # distributed run: rank 0 reports
        return
    if as_json:
        typer.echo(_dump(_result_json(result)))
    else:
        _print_summary(result, res.task)


def _print_summary(result: Any, task: Any) -> None:
    """The adapter and baselines on the headline metrics, then where the report is."""
    from vadapt.cli.summary import adapt_summary, summary_lines
    from vadapt.cli.tables import echo

    echo(adapt_summary(result, task))
    for line in summary_lines(result):
        typer.echo(line)


def _option_overrides(
    backbone: str | None, name: str | None, registry: str | None, allow_below_baseline: bool
) -> list[str]:
    """``adapt``'s own options as config overrides (after the ``--set`` ones)."""
    overrides = []
    if backbone:
        overrides.append(f"backbone={backbone}")
    if name:
        overrides.append(f"output.name={name}")
    if registry:
        overrides.append(f"output.registry={registry}")
    if allow_below_baseline:
        overrides.append("output.allow_below_baseline=true")
    return overrides


def _continual_overrides(
    parent: str | None, strategy: str | None, retain: float | None
) -> list[str]:
    """``--from``, ``--strategy`` and ``--retain`` as ``continual.*`` overrides."""
    pairs = (("parent", parent), ("strategy", strategy), ("retain", retain))
    return [f"continual.{key}={value}" for key, value in pairs if value is not None]


def _resolved(cfg: Any, res: Any) -> dict[str, Any]:
    """The config ``--dry-run`` prints: every default and task-derived value filled in."""
    from vadapt.config import effective_lr

    cfg = res.config  # the task's recipe applied under what the user set
    resolved = cfg.model_dump(mode="json")
    resolved["backbone"] = res.backbone_ref
    resolved["train"]["lr"] = effective_lr(cfg)
    resolved["data"] = res.data_config.model_dump(mode="json")
    resolved["output"]["name"] = cfg.output.name or res.task.name
    return resolved


def _result_json(result: Any) -> dict[str, Any]:
    """What ``adapt --json`` prints."""
    return {
        "ref": result.ref,
        "metrics": result.metrics,
        "baselines": result.baselines,
        "samples_per_second": round(result.samples_per_second, 2),
        "trainable_parameters": result.trainable_parameters,
        "steps": result.steps,
        "seconds": round(result.seconds, 1),
        "log": result.log_path,
    }


def evaluate_cmd(
    adapter: str = typer.Argument(..., help="NAME or NAME@VERSION"),
    split: str = typer.Option("test", "--split", help="train | validation | test"),
    set_: list[str] = typer.Option(
        [], "--set", "-s", help="override the task's data section: data.key=value"
    ),
    registry: str | None = typer.Option(None, "--registry", help="registry root"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Evaluate a stored adapter on a split of its task's data."""
    from vadapt.engine.load import evaluate_adapter

    data = None
    if set_:
        from vadapt.config import _coerce

        data = {}
        for item in set_:
            key, sep, raw = item.partition("=")
            if not sep or not key.startswith("data.") or len(key) <= 5:
                raise InvalidConfig(f"--set {item!r}: evaluate only takes data.<key>=<value>")
            data[key[5:]] = _coerce(raw, None)
    if data is not None:
        from vadapt_registry import Registry

        stored = Registry(registry).get(adapter) if registry else Registry().get(adapter)
        data = {**stored.training.get("config", {}).get("data", {}), **data}
    metrics = evaluate_adapter(adapter, split=split, data=data, registry=registry)
    if as_json:
        typer.echo(_dump(metrics))
    elif "token_accuracy" in metrics:  # token classification: the per-entity report
        typer.echo("\n".join(entity_report(metrics)))
    else:
        for k, v in sorted(metrics.items()):
            typer.echo(f"{k}\t{v:.6g}")


def entity_report(metrics: dict[str, float]) -> list[str]:
    """seqeval's classification report from the kit's keys: one row per entity type,
    then the micro and macro averages and the strict-mode scores."""
    types = sorted(k[6:-8] for k in metrics if k.startswith("class.") and k.endswith(".support"))
    rows = [f"{'entity':<16}{'precision':>10}{'recall':>10}{'f1-score':>10}{'support':>9}"]
    for t in types:
        m = {f: metrics[f"class.{t}.{f}"] for f in ("precision", "recall", "f1", "support")}
        rows.append(
            f"{t:<16}{m['precision']:>10.4f}{m['recall']:>10.4f}{m['f1']:>10.4f}"
            f"{int(m['support']):>9d}"
        )
    total = int(sum(metrics[f"class.{t}.support"] for t in types))
    rows.append(
        f"{'micro avg':<16}{metrics['precision']:>10.4f}{metrics['recall']:>10.4f}"
        f"{metrics['f1']:>10.4f}{total:>9d}"
    )
    rows.append(f"{'macro avg':<16}{'':>10}{'':>10}{metrics['macro_f1']:>10.4f}{total:>9d}")
    rows.append(
        f"{'strict (scheme)':<16}{metrics['strict_precision']:>10.4f}"
        f"{metrics['strict_recall']:>10.4f}{metrics['strict_f1']:>10.4f}{total:>9d}"
    )
    rows.append(f"token accuracy {metrics['token_accuracy']:.4f}   loss {metrics['loss']:.4f}")
    return rows


def read_inputs(input_: str) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file (or ``-`` for stdin), one per non-empty line."""
    fh = sys.stdin if input_ == "-" else None
    if fh is None:
        p = Path(input_)
        if not p.is_file():
            raise InvalidConfig(
                f"--input {input_!r} does not exist", fix="pass a JSONL file or - for stdin"
            )
        lines = p.read_text(encoding="utf-8").splitlines()
    else:
        lines = fh.read().splitlines()
    examples = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            examples.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InvalidConfig(
                f"--input {input_} line {i}: not valid JSON ({exc.msg})",
                fix='one JSON object per line, e.g. {"text": "..."}',
            ) from None
    return examples


def predict_cmd(
    adapter: str = typer.Argument(..., help="NAME or NAME@VERSION"),
    input_: str = typer.Option(..., "--input", "-i", help="JSONL file of examples, or - for stdin"),
    registry: str | None = typer.Option(None, "--registry", help="registry root"),
    calibrated: bool = typer.Option(
        False,
        "--calibrated",
        help="classification scores tempered by the temperature fitted on validation",
    ),
) -> None:
    """Predict with a stored adapter: JSONL in (one example per line), JSONL out."""
    from vadapt.engine.load import predict

    examples = read_inputs(input_)
    for row in predict(adapter, examples, registry=registry, calibrated=calibrated):
        typer.echo(json.dumps(row, sort_keys=True))


def backbones_cmd(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List the backbones the installed plugins offer."""
    from vadapt.hooks import hooks

    h = hooks()
    rows = []
    for name, owned in sorted(h.owned_backbones().items()):
        spec = owned.value
        rows.append(
            {
                "name": name,
                "modality": spec.modality.value,
                "available": bool(spec.available()),
                "plugin": owned.plugin,
                "description": spec.description,
                "install_hint": spec.install_hint or None,
            }
        )
    if as_json:
        typer.echo(_dump(rows))
        return
    from vadapt.cli.tables import echo_table

    echo_table(
        ["NAME", "MODALITY", "PLUGIN", "DESCRIPTION", "STATUS"],
        [
            [
                r["name"],
                r["modality"],
                r["plugin"],
                r["description"],
                "ok" if r["available"] else f"not installed: {r['install_hint']}",
            ]
            for r in rows
        ],
    )
    typer.echo("(any local Hugging Face model directory also works as --backbone PATH)")


def methods_cmd(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List the adaptation methods with their options."""
    from vadapt.methods import describe_methods

    rows = describe_methods()
    if as_json:
        typer.echo(_dump(rows))
        return
    from vadapt.cli.tables import echo_table

    echo_table(
        ["METHOD", "LIBRARY", "MODALITIES", "DEFAULT LR", "DESCRIPTION"],
        [
            [
                r["name"],
                r["library"],
                ", ".join(r["modalities"]),
                f"{r['default_lr']:g}",
                r["description"],
            ]
            for r in rows
        ],
        right=[3],
    )
    typer.echo("")
    echo_table(
        ["METHOD", "OPTION", "DEFAULT", "DESCRIPTION"],
        [
            [r["name"], f"method.{opt}", repr(meta["default"]), meta["description"]]
            for r in rows
            for opt, meta in r["options"].items()
        ],
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("adapt")(adapt_cmd)
    app.command("evaluate")(evaluate_cmd)
    app.command("predict")(predict_cmd)
    app.command("backbones")(backbones_cmd)
    app.command("methods")(methods_cmd)

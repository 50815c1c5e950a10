"""``vadapt registry show REF``: a stored adapter as a card people can read.

Header (ref, task, created, vadapt version); the method with only the options that
differ from its defaults; headline test metrics beside the baselines; data, lineage
and files; notes and intended use, shortened. No resolved peft config and no metric
JSON: ``--json`` prints the whole manifest. Torch-free: the method defaults come from
its pydantic config class (``vadapt.methods.registry``), never from peft.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Group
from rich.text import Text

from vadapt.cli.summary import versus_table
from vadapt.cli.tables import nbytes, table

FALLBACK_HEADLINE = ("accuracy", "macro_f1", "mrr", "ndcg@10", "mae", "r2", "auroc")
SPLITS = ("train", "validation", "test")
TEXT_LIMIT = 300  # characters of notes / intended use shown


def card(m: Any, attachments: Sequence[Any] = (), extra: Sequence[list[str]] = ()) -> Group:
    """The whole card of manifest ``m``, ready for ``tables.render``/``tables.echo``;
    ``attachments``: its attachment records (a report card), one row each; ``extra``:
    more rows (its aliases and tags)."""
    rows = (
        fields(m)
        + [list(r) for r in extra]
        + [
            [f"attached {a.kind}", f"{a.created[:19]}Z · vadapt {a.kind} {m.ref}"]
            for a in attachments
        ]
    )
    parts: list[Any] = [Text(header(m)), Text(""), table(None, rows)]
    metrics = card_headline(m)
    if metrics:
        parts += [Text(""), versus_table(metrics, m.metrics.test, m.baselines)]
    parts += [
        Text(""),
        files_table(m),
        Text(""),
        Text(f"everything: vadapt registry show {m.ref} --json"),
    ]
    return Group(*parts)


def header(m: Any) -> str:
    """``ref · task · created … · vadapt …`` (and the below-baseline tag, if any)."""
    gate = m.training.get("gate") or {}
    tag = f" · {gate['tag']}" if gate.get("tag") else ""
    created = m.created[:19] + "Z"
    return f"{m.ref} · {m.task} · created {created} · vadapt {m.vadapt_version or '?'}{tag}"


def fields(m: Any) -> list[list[str]]:
    """The card's key/value rows."""
    rows = [
        ["method", method_line(m.method.name, m.method.config)],
        ["backbone", f"{m.backbone.name} ({short_hash(m.backbone.fingerprint)})"],
        ["labels", _short(", ".join(m.labels) or "-", 120)],
        ["data", data_line(m)],
        ["trained", trained_line(m.training)],
        ["lineage", f"parent {m.parent}" if m.parent else "none (trained from the backbone)"],
        ["plugins", ", ".join(f"{k} {v}" for k, v in sorted(m.plugins.items())) or "-"],
        ["license", m.license or "-"],
    ]
    rows += [
        [k, _short(v, TEXT_LIMIT)]
        for k, v in (("notes", m.notes), ("intended use", m.intended_use))
        if v
    ]
    return rows


def stored_options(config: dict[str, Any]) -> dict[str, Any]:
    """The method options a manifest stored (``{options, resolved}``, or older: flat)."""
    options = config.get("options")
    if isinstance(options, dict):
        return {k: v for k, v in options.items() if k != "name"}
    return {k: v for k, v in config.items() if k not in ("resolved", "name")}


def method_defaults(name: str) -> dict[str, Any] | None:
    """Option -> default of method ``name``'s pydantic config; None when it is unknown."""
    try:
        from vadapt.methods.registry import find_method

        method = find_method(name)
        if method is None:
            return None
        return {
            key: _plain(f.get_default(call_default_factory=True))
            for key, f in method.config.model_fields.items()
            if key != "name" and not f.is_required()
        }
    except Exception:  # a broken plugin method must not break `registry show`
        return None


def method_line(name: str, config: dict[str, Any]) -> str:
    """``lora: r=16, alpha=32.0 (other options default)``; all options if defaults unknown."""
    options = stored_options(config)
    defaults = method_defaults(name)
    if defaults is None:
        return _short(f"{name}: {_kv(options) or 'no options'} (defaults unknown)", 120)
    changed = {k: v for k, v in options.items() if k not in defaults or _plain(v) != defaults[k]}
    if not changed:
        return f"{name} (default options)"
    return f"{name}: {_kv(changed)} (other options default)"


def data_line(m: Any) -> str:
    """Split sizes, the data fingerprint (short) and the data's source."""
    data = m.training.get("data") or {}
    sizes = data.get("sizes") or {}
    order = sorted(sizes, key=lambda k: (SPLITS.index(k) if k in SPLITS else len(SPLITS), k))
    parts = [", ".join(f"{k} {sizes[k]:,}" for k in order)] if sizes else []
    if m.data_fingerprint:
        parts.append(f"fingerprint {short_hash(m.data_fingerprint)}")
    source = (data.get("info") or {}).get("source")
    if source:
        parts.append(f"source {_short(str(source), 80)}")
    return " · ".join(parts) or "-"


def trained_line(training: dict[str, Any]) -> str:
    """Steps, time and trained parameters, from the manifest's training record."""
    parts = []
    if "steps" in training:
        parts.append(f"{training['steps']:,} steps")
    if "seconds" in training:
        parts.append(f"{training['seconds']:.1f}s")
    if "trainable_parameters" in training:
        total = training.get("total_parameters") or 0
        parts.append(f"{training['trainable_parameters']:,} of {total:,} parameters trained")
    return ", ".join(parts) or "-"


def card_headline(m: Any) -> list[str]:
    """The training record's headline, else the first 3 common test metrics present."""
    stored = m.training.get("headline")
    if stored:
        return [str(x) for x in stored]
    return [k for k in FALLBACK_HEADLINE if k in m.metrics.test][:3]


def files_table(m: Any) -> Any:
    """Each file's name and size."""
    rows = [[name, nbytes(e.size)] for name, e in sorted(m.files.items())]
    return table(["FILE", "SIZE"], rows, right=[1])


def short_hash(fingerprint: str, n: int = 12) -> str:
    """``sha256:0123456789ab…`` from a full ``sha256:<64 hex>`` fingerprint."""
    algo, _, digest = fingerprint.partition(":")
    return f"{algo}:{digest[:n]}…" if digest else fingerprint[:n]


def _kv(options: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_value(v)}" for k, v in options.items())


def _value(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return ",".join(str(x) for x in v)
    return "none" if v is None else str(v)


def _plain(v: Any) -> Any:
    """JSON-normal form, so (1, 2) == [1, 2] and enums equal their values."""
    return json.loads(json.dumps(v, default=str))


def _short(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters (ending ``…`` when cut)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def config_diff(a: Any, b: Any) -> list[list[str]]:
    """Options whose values differ between two adapters' method and train configs."""

    def flat(m: Any) -> dict[str, Any]:
        out = {f"method.{k}": v for k, v in stored_options(m.method.config).items()}
        train = ((m.training.get("config") or {}).get("train")) or {}
        out.update({f"train.{k}": v for k, v in train.items()})
        out["method"] = m.method.name
        return out

    fa, fb = flat(a), flat(b)
    return [
        [k, json.dumps(fa.get(k)), json.dumps(fb.get(k))]
        for k in sorted(set(fa) | set(fb))
        if fa.get(k) != fb.get(k)
    ]

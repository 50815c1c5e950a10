"""The report card as one self-contained HTML page (figures inlined as data: URIs).

Every string that reaches the page — notes, labels, words, texts, config values — goes
through :func:`html.escape`: manifests carry user input. No script, no external
resource: the page opens from a file, offline, in any browser.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;max-width:1040px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em;margin-bottom:.1em}
h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#777}
.fig{max-width:100%;margin:.4em 1em .4em 0;vertical-align:top}.skip{color:#8a6d3b}
.ex{margin:.4em 0;padding:.4em;border:1px solid #eee;line-height:1.9}
.ex span{padding:1px 2px;border-radius:3px}
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def num(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return esc(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:.{digits}f}"


def table(head: Sequence[str] | None, rows: Sequence[Sequence[Any]], numeric: int = 1) -> str:
    """Columns from ``numeric`` on are right-aligned numbers; no header row without
    ``head``."""
    th = "".join(
        f"<th{' class=n' if i >= numeric else ''}>{esc(h)}</th>" for i, h in enumerate(head or ())
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class=n>{num(c)}</td>" if i >= numeric else f"<td>{esc(c)}</td>"
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table>{f'<tr>{th}</tr>' if head else ''}{body}</table>"


def figure(pngs: Mapping[str, bytes], name: str, alt: str) -> str:
    if name not in pngs:
        return ""
    data = base64.b64encode(pngs[name]).decode("ascii")
    return f'<img class=fig alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def skipped(section: Mapping[str, Any]) -> str:
    return f"<p class=skip>Not shown: {esc(section['skipped'])}</p>" if "skipped" in section else ""


def render(
    report: Mapping[str, Any],
    manifest: Any,
    pngs: Mapping[str, bytes],
    lineage: Sequence[Any] = (),
    compare: tuple[Any, Mapping[str, Any] | None] | None = None,
) -> str:
    """The whole page: header, metrics vs baselines, training, predictions,
    calibration, robustness, explanations, data and lineage (and a comparison)."""
    m = manifest
    parts = [
        f"<h1>{esc(m.ref)}</h1>",
        f"<p class=muted>{esc(m.task)} · {esc(m.method.name)} on {esc(m.backbone.name)} · "
        f"created {esc(m.created[:19])}Z · vadapt {esc(m.vadapt_version or '?')} · "
        f"report measured in {num(report.get('seconds'), 1)} s on "
        f"{num(report.get('test_examples'))} test examples</p>",
        metrics_section(m),
        training_section(m, pngs),
        predictions_section(report, pngs),
        robustness_section(report.get("robustness", {}), pngs),
        adversarial_section(report.get("adversarial", {}), pngs),
        explanations_section(report.get("explanations", {}), pngs),
        data_section(m, lineage),
    ]
    if compare is not None:
        parts.append(compare_section(m, *compare))
    title = f"vadapt report card · {m.ref}"
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{esc(title)}</title>"
        f"<style>{STYLE}</style><body>{''.join(parts)}</body></html>\n"
    )


def headline(m: Any) -> list[str]:
    from vadapt.cli.card import card_headline

    keys = card_headline(m)
    return keys + [k for k in ("ece", "ece_calibrated") if k in m.metrics.test and k not in keys]


def metrics_section(m: Any) -> str:
    keys = headline(m)
    rows = [["this adapter", *(m.metrics.test.get(k) for k in keys)]]
    rows += [
        [name, *((vals or {}).get(k) for k in keys)]
        for name, vals in m.baselines.items()
        if any((vals or {}).get(k) is not None for k in keys)  # not a protocol of its own
    ]
    return "<h2>Test metrics beside the baselines</h2>" + table(["test split", *keys], rows)


def training_section(m: Any, pngs: Mapping[str, bytes]) -> str:
    t = m.training
    cfg = (t.get("config") or {}).get("train") or {}
    facts = [
        ["steps", t.get("steps")], ["epochs run", t.get("epochs_run")],
        ["best step (kept)", t.get("best_step")], ["stopped early", t.get("stopped_early")],
        ["learning rate", t.get("lr")], ["batch size", cfg.get("batch_size")],
        ["max length", cfg.get("max_length")], ["seconds", t.get("seconds")],
        ["trainable parameters", t.get("trainable_parameters")],
    ]  # fmt: skip
    body = table(["training", "value"], [r for r in facts if r[1] is not None])
    fig = figure(pngs, "curves.png", "training curves")
    return "<h2>Training</h2>" + (fig or "<p class=muted>No training history stored.</p>") + body


def predictions_section(report: Mapping[str, Any], pngs: Mapping[str, bytes]) -> str:
    pred = report.get("predictions", {})
    out = "<h2>Predictions on test</h2>" + skipped(pred)
    if pred.get("kind") == "classification":
        out += figure(pngs, "confusion.png", "confusion matrix")
        cols = ("precision", "recall", "f1-score", "support")
        rows = [
            [label, *(v[c] for c in cols[:3]), int(v["support"])]
            for label, v in pred["per_class"].items()
        ]
        out += table(["class", *cols], rows)
        out += "<h2>Calibration</h2>" + figure(pngs, "reliability.png", "reliability diagram")
        t = pred.get("temperature")
        out += (
            f"<p>Temperature fitted on validation: T = {num(t, 3)}; "
            "<code>vadapt predict --calibrated</code> applies it.</p>"
            if t is not None
            else "<p class=muted>No temperature stored.</p>"
        )
    elif pred.get("kind") == "regression":
        out += figure(pngs, "regression.png", "predicted against true")
        out += f"<p>MAE {num(pred['mae'])}, mean error (bias) {num(pred['bias'])}.</p>"
    return out


def robustness_section(rob: Mapping[str, Any], pngs: Mapping[str, bytes]) -> str:
    out = "<h2>Robustness</h2>" + skipped(rob)
    if "rows" not in rob:
        return out
    metric = rob["metric"]
    levels = list(dict.fromkeys(r["severity"] for r in rob["rows"]))
    rows = []
    for name in dict.fromkeys(r["perturbation"] for r in rob["rows"]):
        cells = {r["severity"]: r[metric] for r in rob["rows"] if r["perturbation"] == name}
        rows.append([name, *(cells.get(s) for s in levels)])
    out += (
        f"<p>Test {esc(metric)} on the first {num(rob['examples'])} test examples: clean "
        f"{num(rob['clean'][metric])}; seeded perturbations at each severity.</p>"
    )
    return (
        out
        + figure(pngs, "robustness.png", "robustness")
        + table(["perturbation", *(f"severity {s}" for s in levels)], rows)
    )


def image_explanations(exp: Mapping[str, Any], pngs: Mapping[str, bytes]) -> str:
    d = exp["deletion"]
    out = (
        f"<p>Grad-CAM on layer <code>{esc(exp['layer'])}</code> for {num(exp['examples'])} "
        "seeded test images, toward the label the adapter predicts.</p>"
    )
    for row in exp["shown"]:
        out += (
            f'<figure style="display:inline-block;margin:.3em">'
            f"{figure(pngs, row['file'], 'Grad-CAM overlay')}<figcaption>predicted "
            f"<b>{esc(row['label'])}</b> ({num(row['score'], 3)})</figcaption></figure>"
        )
    out += figure(pngs, "deletion.png", "pixel-deletion curve")
    rows = [["pixel-deletion AUC (lower is better)", d["top_auc"], d["random_auc"]]]
    return out + table(["faithfulness", "heatmap order", "random pixels"], rows)


def adversarial_section(adv: Mapping[str, Any], pngs: Mapping[str, bytes]) -> str:
    out = "<h3>Under attack</h3>" + skipped(adv)
    if "rows" not in adv:
        return out
    metric = adv["metric"]
    out += (
        f"<p>{esc(adv['attack'].upper())} against each example's true label, epsilon in "
        f"{esc(adv['unit'])}, on the same {num(adv['examples'])} examples: clean "
        f"{num(adv['clean'][metric])}.</p>"
    )
    rows = [[r["epsilon"], r[metric]] for r in adv["rows"]]
    return (
        out
        + figure(pngs, "adversarial.png", "accuracy under attack")
        + table(["epsilon", f"test {metric}"], rows, numeric=1)
    )


def explanations_section(exp: Mapping[str, Any], pngs: Mapping[str, bytes]) -> str:
    out = "<h2>Explanations</h2>" + skipped(exp)
    if exp.get("kind") == "image":
        return out + image_explanations(exp, pngs)
    if "faithfulness" not in exp:
        return out
    f, d = exp["faithfulness"], exp["deletion"]
    out += (
        f"<p>Integrated gradients ({num(exp['steps'])} steps) on {num(exp['examples'])} "
        "seeded test texts, for the label the adapter predicts.</p>"
    )
    if "features.png" in pngs:
        out += "<p>Features (rows serialised as text) by summed attribution, per class:</p>"
        out += figure(pngs, "features.png", "top attributed features per class")
    out += figure(pngs, "words.png", "top attributed words per class")
    out += figure(pngs, "deletion.png", "deletion curve")
    rows = [
        [
            "comprehensiveness (higher is better)",
            f["comprehensiveness"],
            f["random_comprehensiveness"],
        ],
        ["sufficiency (lower is better)", f["sufficiency"], f["random_sufficiency"]],
        ["deletion-curve AUC (lower is better)", d["top_auc"], d["random_auc"]],
    ]
    out += table(["faithfulness", "attributions", "random control"], rows)
    return out + "".join(highlighted(row) for row in exp.get("shown", []))


def highlighted(row: Mapping[str, Any]) -> str:
    """One explained text, each word shaded by its attribution (orange for, blue against)."""
    scale = max((abs(w["attribution"]) for w in row["words"]), default=0.0) or 1.0
    text, pos, parts = row["text"], 0, []
    for w in row["words"]:
        a = w["attribution"] / scale
        rgb = "230,120,20" if a > 0 else "40,110,220"
        parts.append(esc(text[pos : w["start"]]))
        parts.append(
            f'<span style="background:rgba({rgb},{abs(a):.2f})" '
            f'title="{w["attribution"]:.4f}">{esc(text[w["start"] : w["end"]])}</span>'
        )
        pos = w["end"]
    parts.append(esc(text[pos:]))
    head = f"predicted <b>{esc(row['label'])}</b> ({num(row['score'], 3)})"
    note = f" · {esc(row['truncated'])}" if row.get("truncated") else ""
    return f"<div class=ex><span class=muted>{head}{note}</span><br>{''.join(parts)}</div>"


def explanations_page(ref: str, rows: Sequence[Mapping[str, Any]]) -> str:
    """``vadapt explain --html``: each explained text with its words shaded."""
    body = "".join(highlighted(r) for r in rows if "label" in r)
    values = [r for r in rows if "label" not in r]
    if values:
        body += table(["text", "predicted value"], [[r["text"][:200], r["value"]] for r in values])
    title = f"vadapt explain · {ref}"
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{esc(title)}</title>"
        f"<style>{STYLE}</style><body><h1>{esc(ref)}</h1><p class=muted>integrated-gradients "
        "attributions toward the predicted label: orange for, blue against</p>"
        f"{body}</body></html>\n"
    )


def _plain_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def heatmap(row: Mapping[str, Any]) -> str:
    """One explained image: its Grad-CAM overlay and the predicted label."""
    data = base64.b64encode(row["overlay"]).decode("ascii")
    return (
        f'<figure style="display:inline-block;margin:.3em"><img alt="Grad-CAM" '
        f'src="data:image/png;base64,{data}"><figcaption>predicted <b>{esc(row["label"])}</b> '
        f"({num(row['score'], 3)})</figcaption></figure>"
    )


def heatmaps_page(ref: str, rows: Sequence[Mapping[str, Any]]) -> str:
    """``vadapt explain --html`` for an image adapter: every overlay with its label."""
    layer = esc(rows[0]["layer"]) if rows else "—"
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>vadapt explain · {esc(ref)}"
        f"</title><style>{STYLE}</style><body><h1>{esc(ref)}</h1><p class=muted>Grad-CAM "
        f"on layer {layer}, toward the predicted label</p>"
        f"{''.join(heatmap(r) for r in rows)}</body></html>\n"
    )


def data_section(m: Any, lineage: Sequence[Any]) -> str:
    from vadapt.cli.card import data_line, method_line

    info = (m.training.get("data") or {}).get("info") or {}
    shown_elsewhere = {"notes", "license", "intended_use"}  # merged into the manifest's own
    rows = [
        ["data", data_line(m)],
        ["method", method_line(m.method.name, m.method.config)],
        ["backbone", f"{m.backbone.name} ({m.backbone.fingerprint})"],
        ["labels", ", ".join(m.labels) or "—"],
        *(
            [k.replace("_", " "), _plain_text(v)[:300]]
            for k, v in sorted(info.items())
            if k not in shown_elsewhere
        ),
        ["license", m.license or "—"],
        ["notes", m.notes or "—"],
        ["intended use", m.intended_use or "—"],
    ]
    out = "<h2>Data, lineage and use</h2>" + table(None, rows, numeric=2)
    chain = [[a.ref, a.task, a.method.name, a.created[:19] + "Z"] for a in lineage]
    if len(chain) > 1:
        out += "<p>Lineage, nearest first:</p>" + table(
            ["adapter", "task", "method", "created"], chain, numeric=4
        )
    else:
        out += "<p class=muted>Trained from the backbone (no parent).</p>"
    return out


def compare_section(m: Any, other: Any, other_report: Mapping[str, Any] | None) -> str:
    keys = list(dict.fromkeys(headline(m) + headline(other)))
    rows = []
    for k in keys:
        a, b = m.metrics.test.get(k), other.metrics.test.get(k)
        delta = a - b if isinstance(a, (int, float)) and isinstance(b, (int, float)) else None
        rows.append([k, a, b, delta])
    out = f"<h2>Compared with {esc(other.ref)}</h2>"
    out += table(["test metric", m.ref, other.ref, "difference"], rows)
    from vadapt.cli.card import config_diff

    diff = config_diff(m, other)
    out += table(["option", m.ref, other.ref], diff, numeric=3) if diff else "<p>Same options.</p>"
    relation = (
        f"{other.ref} is the parent of {m.ref}" if m.parent == other.ref
        else f"{m.ref} is the parent of {other.ref}" if other.parent == m.ref
        else "neither is the other's parent"
    )  # fmt: skip
    out += f"<p>Lineage: {esc(relation)}; tasks {esc(m.task)} and {esc(other.task)}.</p>"
    if other_report and "robustness" in other_report and "rows" in other_report["robustness"]:
        r = other_report["robustness"]
        out += f"<p>{esc(other.ref)} clean {esc(r['metric'])}: {num(r['clean'][r['metric']])}.</p>"
    return out

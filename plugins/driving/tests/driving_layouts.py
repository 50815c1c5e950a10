"""Writers of tiny data trees in the real layouts (GTSRB, folder-per-class, CSV of crops).

Imported by the tests as ``driving_layouts`` (conftest puts this folder on sys.path,
since pytest runs with --import-mode=importlib).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

# Colour that marks the pixels inside each ROI, so a test can tell a correct crop.
INSIDE = (200, 20, 30)
OUTSIDE = (30, 160, 40)


def framed_image(w: int, h: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """An image that is OUTSIDE-coloured except INSIDE on the inclusive box x1,y1,x2,y2."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = OUTSIDE
    x1, y1, x2, y2 = box
    img[y1 : y2 + 1, x1 : x2 + 1] = INSIDE
    return img


def write_gtsrb(root: Path, classes: dict[int, int], frames: int = 3, ext: str = ".ppm") -> Path:
    """GTSRB Final_Training layout: ``{class_id: n_tracks}``, ``frames`` images per track."""
    images = root / "GTSRB" / "Final_Training" / "Images"
    rng = np.random.default_rng(0)
    for cid, tracks in classes.items():
        folder = images / f"{cid:05d}"
        folder.mkdir(parents=True)
        rows = []
        for t in range(tracks):
            for f in range(frames):
                w, h = int(rng.integers(30, 50)), int(rng.integers(30, 50))
                box = (5, 6, w - 6, h - 5)
                name = f"{t:05d}_{f:05d}{ext}"
                Image.fromarray(framed_image(w, h, box)).save(folder / name)
                rows.append([name, w, h, *box, cid])
        with open(folder / f"GT-{cid:05d}.csv", "w", newline="") as fh:
            wr = csv.writer(fh, delimiter=";")
            wr.writerow(
                ["Filename", "Width", "Height", "Roi.X1", "Roi.Y1", "Roi.X2", "Roi.Y2", "ClassId"]
            )
            wr.writerows(rows)
    return root / "GTSRB"


def write_gtsrb_test(root: Path, classes: list[int], per_class: int = 2) -> Path:
    """Final_Test/Images/*.ppm with the labelled GT-final_test.csv beside them."""
    folder = root / "GTSRB" / "Final_Test" / "Images"
    folder.mkdir(parents=True)
    rows = []
    k = 0
    for cid in classes:
        for _ in range(per_class):
            w, h = 40, 36
            box = (4, 3, 33, 31)
            name = f"{k:05d}.ppm"
            Image.fromarray(framed_image(w, h, box)).save(folder / name)
            rows.append([name, w, h, *box, cid])
            k += 1
    with open(folder / "GT-final_test.csv", "w", newline="") as fh:
        wr = csv.writer(fh, delimiter=";")
        wr.writerow(
            ["Filename", "Width", "Height", "Roi.X1", "Roi.Y1", "Roi.X2", "Roi.Y2", "ClassId"]
        )
        wr.writerows(rows)
    return folder / "GT-final_test.csv"


def write_folder_tree(
    root: Path, labels: list[str], per_class: int, splits: bool = False, size: int = 20
) -> Path:
    rng = np.random.default_rng(1)
    parts = ("train", "val", "test") if splits else ("",)
    for part in parts:
        for i, lab in enumerate(labels):
            folder = root / part / lab if part else root / lab
            folder.mkdir(parents=True, exist_ok=True)
            for j in range(per_class):
                img = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
                img[..., i % 3] = 255
                Image.fromarray(img).save(folder / f"{lab}_{j}.png")
    return root


def write_crops_csv(root: Path, labels: list[str], per_class: int, with_split: bool = True) -> Path:
    """A CSV of crops: full frames with boxes, some rows assigned to splits."""
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for _i, lab in enumerate(labels):
        for j in range(per_class):
            name = f"frame_{lab}_{j}.png"
            box = (8, 4, 20, 30)
            Image.fromarray(framed_image(40, 40, (box[0], box[1], box[2] - 1, box[3] - 1))).save(
                root / name
            )
            split = ("train", "train", "train", "val", "test")[j % 5] if with_split else ""
            rows.append([name, lab, *box, split])
    path = root / "crops.csv"
    with open(path, "w", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(["path", "label", "x1", "y1", "x2", "y2", "split"])
        wr.writerows(rows)
    return path

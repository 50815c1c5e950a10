"""A generator of SYNTHETIC chest-film-like images, for demos and tests only.

No medical images can be bundled, so the runnable example draws its own: a
bright torso with two dark lung fields, ribs and noise; a "nodule" is a small
bright round blob inside a lung field, an "effusion" a bright fluid level at the
bottom of one lung. These are drawings, not medical data, and every output that
reports on them says "synthetic". The generator writes the MedMNIST ``.npz``
layout, so the demo exercises the same loader a real PneumoniaMNIST file uses.

    python -m vadapt_medical.synthetic out.npz --kind binary --n 600 --size 32
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

KINDS = {
    "binary": ("normal", "nodule"),
    "multiclass": ("normal", "nodule", "effusion"),
    "multilabel": ("nodule", "effusion"),
}


def _film(
    rng: np.random.Generator, size: int
) -> tuple[np.ndarray, list[tuple[float, float, float, float]]]:
    yy, xx = np.mgrid[0:size, 0:size].astype(float) / size
    img = np.full((size, size), 30.0)
    torso = ((xx - 0.5) / 0.45) ** 2 + ((yy - 0.55) / 0.5) ** 2 < 1
    img[torso] = 150 + rng.normal(0, 6)
    lungs = []
    for cx in (0.3 + rng.normal(0, 0.02), 0.7 + rng.normal(0, 0.02)):
        cy, rx, ry = (
            0.5 + rng.normal(0, 0.02),
            0.14 + rng.normal(0, 0.01),
            0.3 + rng.normal(0, 0.02),
        )
        inside = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1
        img[inside] = 60 + rng.normal(0, 6)
        lungs.append((cx, cy, rx, ry))
    ribs = (np.sin(yy * np.pi * 10 + rng.uniform(0, np.pi)) > 0.85) & torso
    img[ribs] += 25
    return img, lungs


def _nodule(
    img: np.ndarray, rng: np.random.Generator, lung: tuple[float, float, float, float]
) -> None:
    size = img.shape[0]
    cx, cy, rx, ry = lung
    px = cx + rng.uniform(-0.5, 0.5) * rx
    py = cy + rng.uniform(-0.6, 0.6) * ry
    r = rng.uniform(0.035, 0.06)
    yy, xx = np.mgrid[0:size, 0:size].astype(float) / size
    img += rng.uniform(55, 85) * np.exp(-(((xx - px) ** 2 + (yy - py) ** 2) / (2 * r**2)))


def _effusion(
    img: np.ndarray, rng: np.random.Generator, lung: tuple[float, float, float, float]
) -> None:
    size = img.shape[0]
    cx, cy, rx, ry = lung
    yy, xx = np.mgrid[0:size, 0:size].astype(float) / size
    inside = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1
    level = cy + ry * rng.uniform(0.2, 0.5)
    img[inside & (yy > level)] += rng.uniform(50, 75)


def generate(
    kind: str = "binary", n: int = 600, size: int = 32, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Return (images uint8 (n, size, size), labels, label names).

    labels: (n, 1) int class indices for binary/multiclass, (n, k) 0/1 for multilabel,
    the shapes MedMNIST uses. Classes are balanced (multilabel: each finding in about
    half the images, independently).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    names = KINDS[kind]
    rng = np.random.default_rng(seed)
    images = np.empty((n, size, size), dtype=np.uint8)
    if kind == "multilabel":
        labels = (rng.random((n, len(names))) < 0.5).astype(np.int64)
    else:
        labels = (np.arange(n) % len(names)).astype(np.int64)[:, None]
        rng.shuffle(labels)
    for i in range(n):
        img, lungs = _film(rng, size)
        findings = (
            [names[j] for j in np.flatnonzero(labels[i])]
            if kind == "multilabel"
            else [names[int(labels[i, 0])]]
        )
        for finding in findings:
            lung = lungs[int(rng.integers(0, 2))]
            if finding == "nodule":
                _nodule(img, rng, lung)
            elif finding == "effusion":
                _effusion(img, rng, lung)
        img += rng.normal(0, 8, img.shape)
        images[i] = np.clip(img, 0, 255).astype(np.uint8)
    return images, labels, names


def write_npz(
    path: str | Path, kind: str = "binary", n: int = 600, size: int = 32, seed: int = 0
) -> tuple[str, ...]:
    """Write a MedMNIST-layout .npz (70/15/15 split) and return the label names."""
    images, labels, names = generate(kind, n, size, seed)
    n_tr, n_va = int(n * 0.7), int(n * 0.15)
    np.savez_compressed(
        path,
        train_images=images[:n_tr],
        train_labels=labels[:n_tr],
        val_images=images[n_tr : n_tr + n_va],
        val_labels=labels[n_tr : n_tr + n_va],
        test_images=images[n_tr + n_va :],
        test_labels=labels[n_tr + n_va :],
    )
    return names


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description="Write a SYNTHETIC MedMNIST-layout .npz (not medical data)."
    )
    p.add_argument("path")
    p.add_argument("--kind", choices=sorted(KINDS), default="binary")
    p.add_argument("--n", type=int, default=600)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    names = write_npz(a.path, a.kind, a.n, a.size, a.seed)
    print(
        f"wrote SYNTHETIC {a.kind} set {a.path}: {a.n} images {a.size}x{a.size}, "
        f"labels {list(names)}"
    )


if __name__ == "__main__":
    main()

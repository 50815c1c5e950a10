"""Scores of a stream from its result matrix, as Avalanche and GEM define them.

``R[i][j]`` is the metric on experience ``j``'s test split after training on experiences
``0..i``; ``b[j]`` the metric of the model at initialisation (before any training) on
experience ``j``. With ``T`` experiences (Lopez-Paz & Ranzato, "Gradient Episodic Memory
for Continual Learning", NeurIPS 2017; Chaudhry et al., "Riemannian Walk for Incremental
Learning", ECCV 2018; Avalanche's ``StreamForgetting``/``StreamBWT``/``StreamForwardTransfer``):

- average accuracy ``ACC = mean_j R[T-1][j]``;
- backward transfer ``BWT = mean_{j<T-1} (R[T-1][j] - R[j][j])`` (negative: forgetting);
- forgetting ``F = mean_{j<T-1} (max_{l<T-1} R[l][j] - R[T-1][j])``, each experience's
  best earlier score minus its final one;
- forward transfer ``FWT = mean_{j>0} (R[j-1][j] - b[j])`` (undefined in class-incremental
  streams, where experience ``j``'s classes are unknown before it).

For metrics where lower is better, read BWT and forgetting with the sign flipped.
"""

from __future__ import annotations

from collections.abc import Sequence

Matrix = Sequence[Sequence[float | None]]


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def average_accuracy(r: Matrix) -> float | None:
    last = [x for x in r[-1] if x is not None]
    return _mean(last)


def backward_transfer(r: Matrix) -> float | None:
    t = len(r)
    return _mean(
        [r[-1][j] - r[j][j] for j in range(t - 1) if r[-1][j] is not None and r[j][j] is not None]
    )


def forgetting(r: Matrix) -> float | None:
    t = len(r)
    out = []
    for j in range(t - 1):
        earlier = [r[i][j] for i in range(j, t - 1) if r[i][j] is not None]
        if earlier and r[-1][j] is not None:
            out.append(max(earlier) - r[-1][j])
    return _mean(out)


def forward_transfer(r: Matrix, initial: Sequence[float | None]) -> float | None:
    t = len(r)
    return _mean(
        [
            r[j - 1][j] - initial[j]
            for j in range(1, t)
            if r[j - 1][j] is not None and initial[j] is not None
        ]
    )


def summary(r: Matrix, initial: Sequence[float | None]) -> dict[str, float | None]:
    return {
        "average_accuracy": average_accuracy(r),
        "backward_transfer": backward_transfer(r),
        "forgetting": forgetting(r),
        "forward_transfer": forward_transfer(r, initial),
        "newest": r[-1][-1],
    }

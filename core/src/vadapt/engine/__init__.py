"""The adaptation engine: ``adapt``, ``evaluate_adapter``, ``predict``.

Importing this package is cheap; torch, transformers and peft load on first call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vadapt.config import AdaptConfig
    from vadapt.engine.run import AdaptResult


def adapt(
    config: AdaptConfig | dict[str, Any],
    *,
    registry: Any = None,
    progress: bool = True,
    hooks: Any = None,
) -> AdaptResult:
    """Adapt a backbone to a task and save the adapter to the registry."""
    from vadapt.engine.run import adapt as _adapt

    return _adapt(config, registry=registry, progress=progress, hooks=hooks)


def evaluate_adapter(
    ref: str,
    *,
    split: str = "test",
    data: dict[str, Any] | None = None,
    registry: Any = None,
    hooks: Any = None,
) -> dict[str, float]:
    """Metrics of a stored adapter on a split of its task's data."""
    from vadapt.engine.load import evaluate_adapter as _ev

    return _ev(ref, split=split, data=data, registry=registry, hooks=hooks)


def predict(
    ref: str,
    examples: list[dict[str, Any]],
    *,
    registry: Any = None,
    hooks: Any = None,
    calibrated: bool = False,
) -> list[dict[str, Any]]:
    """Predictions of a stored adapter: ``{"label", "scores"}`` per example.

    Ranking tasks give ``{"ranking", "scores"}``. ``calibrated``: classification scores
    tempered by the temperature fitted on validation (docs/calibration.md).
    """
    from vadapt.engine.load import predict as _predict

    return _predict(ref, examples, registry=registry, hooks=hooks, calibrated=calibrated)


def __getattr__(name: str) -> Any:
    if name == "AdaptResult":
        from vadapt.engine.run import AdaptResult

        return AdaptResult
    if name == "load_adapter":
        from vadapt.engine.load import load_adapter

        return load_adapter
    raise AttributeError(name)


__all__ = ["AdaptResult", "adapt", "evaluate_adapter", "load_adapter", "predict"]

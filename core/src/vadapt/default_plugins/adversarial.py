"""Built-in adversarial term: FGM on input embeddings (text), FGSM on pixels (images)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vadapt.hookspecs import global_hookimpl
from vadapt.types import Modality, TaskSpec

TEXT_EPSILON = 1.0
IMAGE_EPSILON = 0.03


@global_hookimpl(trylast=True)
def adversarial_step(
    task: TaskSpec, model: Any, batch: dict[str, Any], loss_fn: Callable[..., Any], config: Any
) -> Any:
    from vadapt.engine.adversarial import fgm_text, fgsm_image

    if task.modality == Modality.IMAGE and "pixel_values" in batch:
        return fgsm_image(model, batch, loss_fn, config.epsilon or IMAGE_EPSILON, config)
    if "input_ids" in batch and model.input_embeddings() is not None:
        return fgm_text(model, batch, loss_fn, config.epsilon or TEXT_EPSILON, config)
    return None

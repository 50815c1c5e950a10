"""Where an image adapter looked: Grad-CAM heatmaps (``vadapt explain`` on images).

captum's ``LayerGradCam`` weights the channels of a convolutional feature map by the
mean gradient of the explained label's logit and keeps the positive part (Selvaraju
et al., ICCV 2017). The feature map is chosen automatically (:func:`target_layer`): the
last module with weights of its own that runs once per forward and returns a 4-D map at
least 4 x 4 — on EfficientNet-Lite0 ``net._bn1`` at 224 px (1280 x 7 x 7) and
``net._blocks.5._bn0`` at 32 px (4 x 4: the last maps are 1 x 1 there) — whatever wraps
it (a peft layer, a frozen trunk). The heatmap is upsampled to the model's input size
and drawn over the input as a PNG.

:func:`pixel_deletion` is the faithfulness check for images: the probability of the
explained label as the hottest pixels are greyed out first, against random pixels.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from vadapt_registry.errors import InvalidConfig

from vadapt.types import HeadKind, Modality

DELETION_FRACTIONS = tuple(round(0.1 * i, 1) for i in range(11))


def check_image_explainable(lm: Any) -> None:
    if lm.task.modality != Modality.IMAGE or HeadKind(lm.task.head) != HeadKind.CLASSIFICATION:
        raise InvalidConfig(
            f"{lm.manifest.ref}: Grad-CAM explains image classification adapters; this one is "
            f"{lm.task.modality} / {HeadKind(lm.task.head).value}",
            fix="explain text adapters with integrated gradients (the same command)",
        )


def as_image(value: Any, where: str) -> np.ndarray:
    """An input image as a uint8 array: a nested list / array (HxW, HxWxC with C in 1, 3,
    4) or the path of an image file; one line naming the shape otherwise."""
    if isinstance(value, str):
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(value) as im:
                return np.asarray(im.convert("RGB"))
        except (OSError, UnidentifiedImageError) as exc:
            raise InvalidConfig(
                f"{where}: cannot read image file {value!r} ({exc})",
                fix="pass a PNG or JPEG path, or the pixels as a nested list",
            ) from None
    try:
        arr = np.asarray(value)
    except ValueError:
        arr = np.empty(0)
    ok = arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] in (1, 3, 4))
    if not ok or arr.dtype.kind not in "uif" or min(arr.shape[:2] or (0,)) < 1:
        raise InvalidConfig(
            f"{where}: image of shape {tuple(arr.shape)} — expected H x W x 3 (or H x W, "
            "H x W x 1, H x W x 4) pixel values 0-255",
            fix='e.g. {"image": "photo.png"} or {"image": [[[r, g, b], ...], ...]}',
        )
    return np.clip(arr, 0, 255).astype(np.uint8)


MIN_SIDE = 4  # a heatmap coarser than 4 x 4 says little about where


def target_layer(model: Any, pixels: Any) -> tuple[str, Any]:
    """The (name, module) Grad-CAM reads: among modules with weights of their own (a conv,
    a norm) that run once per forward and return a 4-D map, the last whose map is at
    least 4 x 4 — else the last wider than 1 x 1 (small inputs end in 1 x 1 maps)."""
    import torch

    found: list[tuple[str, int]] = []  # (name, shorter side), in execution order
    calls: dict[str, int] = {}
    modules = dict(model.named_modules())

    def hook(name: str) -> Any:
        def record(_mod: Any, _inp: Any, out: Any) -> None:
            if torch.is_tensor(out) and out.dim() == 4:
                found.append((name, int(min(out.shape[-2:]))))
                calls[name] = calls.get(name, 0) + 1

        return record

    weighted = {n: m for n, m in modules.items() if n and any(True for _ in m.parameters(False))}
    handles = [m.register_forward_hook(hook(n)) for n, m in weighted.items()]
    try:
        with torch.no_grad():
            model({"pixel_values": pixels})
    finally:
        for h in handles:
            h.remove()
    once = [(n, side) for n, side in found if calls[n] == 1]
    for least in (MIN_SIDE, 2):
        wide = [n for n, side in once if side >= least]
        if wide:
            return wide[-1], modules[wide[-1]]
    raise InvalidConfig(
        "this image backbone has no convolutional feature map for Grad-CAM",
        fix="Grad-CAM needs a CNN backbone (EfficientNet-Lite0)",
    )


def _cam(lm: Any, layer: Any, pixels: Any, target: int) -> tuple[np.ndarray, np.ndarray]:
    """The positive Grad-CAM map at the feature map's resolution and upsampled to the
    input's, both scaled to 0..1."""
    from captum.attr import LayerAttribution, LayerGradCam

    model = lm.model

    def forward(x: Any) -> Any:
        return model({"pixel_values": x})

    x = pixels.clone().requires_grad_(True)  # frozen trunks still pass gradients to the map
    attr = LayerGradCam(forward, layer).attribute(x, target=target, relu_attributions=True)
    attr = attr.detach()
    up = LayerAttribution.interpolate(attr, tuple(x.shape[-2:]), "bilinear")
    native, cam = attr[0, 0].float().cpu().numpy(), up[0, 0].float().cpu().numpy()
    top = float(native.max())
    scale = 1.0 / top if top > 0 else 1.0
    return native * scale, np.clip(cam * scale, 0.0, 1.0)


def explain_image(lm: Any, image: np.ndarray, layer: tuple[str, Any] | None = None) -> dict:
    """One image: the predicted label, its probability, the Grad-CAM ``map`` (feature-map
    resolution), ``cam`` (upsampled to the model's input) and the overlay PNG."""
    import torch

    pixels = lm.ctx.collator.pre(image)[None].to(next(lm.model.parameters()).device)
    name, module = layer or target_layer(lm.model, pixels)
    lm.model.eval()
    with torch.no_grad():
        probs = torch.softmax(lm.model({"pixel_values": pixels})[0].float(), -1).cpu().numpy()
    target = int(probs.argmax())
    native, cam = _cam(lm, module, pixels, target)
    return {
        "label": lm.labels[target],
        "score": float(probs[target]),
        "layer": name,
        "map": native,
        "cam": cam,
        "overlay": overlay(lm.ctx.collator.pre.size, image, cam),
    }


def overlay(size: int, image: np.ndarray, cam: np.ndarray) -> bytes:
    """The input (resized as the model saw it) under the heatmap, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    arr = image if image.ndim == 3 else np.stack([image] * 3, -1)
    shown = np.asarray(Image.fromarray(arr[..., :3].astype(np.uint8)).resize((size, size)))
    fig, ax = plt.subplots(figsize=(2.6, 2.6), dpi=96)
    ax.imshow(shown)
    ax.imshow(cam, cmap="jet", alpha=0.45, vmin=0, vmax=1)
    ax.axis("off")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", pad_inches=0.02)
    plt.close(fig)
    return buf.getvalue()


def explain_images(
    ref: str, images: Sequence[Any], *, registry: Any = None, loaded: Any = None
) -> list[dict[str, Any]]:
    """Grad-CAM of each image for the label the adapter predicts (layer chosen once)."""
    from vadapt.engine.load import load_adapter

    lm = loaded or load_adapter(ref, registry=registry)
    check_image_explainable(lm)
    arrays = [as_image(img, f"input {i}") for i, img in enumerate(images)]
    if not arrays:
        return []
    device = next(lm.model.parameters()).device
    layer = target_layer(lm.model, lm.ctx.collator.pre(arrays[0])[None].to(device))
    return [explain_image(lm, a, layer) for a in arrays]


def pixel_deletion(
    lm: Any,
    images: Sequence[np.ndarray],
    rows: Sequence[dict[str, Any]],
    *,
    fractions: Sequence[float] = DELETION_FRACTIONS,
    seed: int = 0,
) -> dict[str, Any]:
    """Mean p(label) as the hottest ``fractions`` of pixels (by the Grad-CAM map) are set
    to grey, against as many random pixels, with each curve's trapezoid area."""
    import torch

    from vadapt.engine.faithfulness import curve_summary

    rng = np.random.default_rng(seed)
    device = next(lm.model.parameters()).device
    curves = {w: np.zeros((len(rows), len(fractions))) for w in ("top", "random")}
    for r, (image, row) in enumerate(zip(images, rows, strict=True)):
        pixels = lm.ctx.collator.pre(image)
        flat = row["cam"].reshape(-1)
        orders = {"top": np.argsort(-flat, kind="stable"), "random": rng.permutation(flat.size)}
        target = lm.labels.index(row["label"])
        for which, order in orders.items():
            batch = []
            for q in fractions:
                mask = np.ones(flat.size, dtype=np.float32)
                mask[order[: round(q * flat.size)]] = 0.0  # 0 after scaling = grey 127
                batch.append(pixels * torch.from_numpy(mask.reshape(row["cam"].shape)))
            with torch.no_grad():
                logits = lm.model({"pixel_values": torch.stack(batch).to(device)}).float()
            curves[which][r] = torch.softmax(logits, -1)[:, target].cpu().numpy()
    return curve_summary(fractions, curves)

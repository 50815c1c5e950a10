"""vadapt's cache directory: ``$VADAPT_CACHE_DIR``, else the user cache dir (platformdirs).

Everything under it (run logs, tokenised splits, converted backbones) can be re-made,
so it can be deleted at any time.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(*parts: str) -> Path:
    root = os.environ.get("VADAPT_CACHE_DIR")
    if not root:
        from platformdirs import user_cache_dir

        root = user_cache_dir("vadapt")
    return Path(root).joinpath(*parts)

"""Test set-up for vadapt-driving: tiny data trees under tmp_path, nothing downloaded.

vadapt's pytest plugin (``vadapt.testing``) is auto-loaded through its ``pytest11``
entry point; with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` set, add
``pytest_plugins = ["vadapt.testing"]`` to the top-level conftest.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The layout writers live in driving_layouts.py beside this file; --import-mode=importlib
# does not put test folders on sys.path, so do it here (a unique module name avoids clashes).
sys.path.insert(0, str(Path(__file__).parent))

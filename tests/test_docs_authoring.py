"""docs/plugin-authoring.md: its Python blocks run as written, in order, in one namespace.

Blocks whose info string is exactly ``python`` run; ``python file=...`` blocks show a
file of the generated package and are covered by tests/test_scaffold.py instead.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugin-authoring.md"


def test_every_python_block_runs_in_order(tmp_path):
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.S | re.M)
    assert len(blocks) >= 6, "the walk-through lost its code"
    script = tmp_path / "walkthrough.py"
    script.write_text("\n\n".join(blocks), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "{'train': 18, 'validation': 6, 'test': 6}" in out.stdout
    assert "1.0 1.0 0.2" in out.stdout
    assert "pay-keyword" in out.stdout and "tfidf-logreg" in out.stdout

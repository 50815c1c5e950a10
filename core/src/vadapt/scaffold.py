"""``vadapt new-plugin``: generate a plugin package from ``vadapt/scaffold_template/``.

The template is a real, working plugin (a JSONL/CSV text-classification task with
an example data file and contract tests). Files end in ``.tmpl`` so that no tool
mistakes the template for code; placeholders are replaced literally:

- ``__PLUGIN__``  the plugin/vertical name, e.g. ``acme-legal`` (entry-point name)
- ``__DIST__``    the distribution, ``vadapt-acme-legal``
- ``__MODULE__``  the import name, ``vadapt_acme_legal`` (also in file paths)
- ``__TITLE__``   a title for the README, ``Acme Legal``
- ``__VADAPT_VERSION__``  the vadapt version the plugin was generated with
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from vadapt_registry.errors import InvalidConfig

NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MAX_NAME = 40
SUFFIX = ".tmpl"


def check_name(name: str) -> str:
    """Return ``name`` if it is a usable plugin name, else raise a one-line InvalidConfig."""
    if not NAME_RE.match(name) or len(name) > MAX_NAME:
        raise InvalidConfig(
            f"plugin name {name!r} is not valid: use lowercase letters, digits and single '-' "
            f"between words, starting with a letter, at most {MAX_NAME} characters",
            fix="e.g. `vadapt new-plugin acme-legal`",
        )
    if name == "vadapt" or name.startswith("vadapt-"):
        raise InvalidConfig(
            f"plugin name {name!r} must not start with 'vadapt': the package is named "
            "'vadapt-<name>' for you",
            fix=f"use `vadapt new-plugin {name.removeprefix('vadapt-') or 'my-vertical'}`",
        )
    return name


def placeholders(name: str) -> dict[str, str]:
    from vadapt import __version__

    return {
        "__PLUGIN__": name,
        "__DIST__": f"vadapt-{name}",
        "__MODULE__": "vadapt_" + name.replace("-", "_"),
        "__TITLE__": " ".join(w.capitalize() for w in name.split("-")),
        "__VADAPT_VERSION__": __version__,
    }


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def _walk(node: Traversable, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], bytes]]:
    out = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name == "__pycache__":
            continue
        if child.is_dir():
            out.extend(_walk(child, (*prefix, child.name)))
        else:
            out.append(((*prefix, child.name), child.read_bytes()))
    return out


def create_plugin(name: str, directory: Path | str = ".") -> Path:
    """Write the package ``<directory>/<name>/`` and return its path. Never overwrites."""
    check_name(name)
    target = Path(directory).expanduser().resolve() / name
    if target.exists():
        raise InvalidConfig(
            f"{target} already exists; new-plugin never overwrites",
            fix="choose another name or --dir, or remove that folder",
        )
    values = placeholders(name)
    files = _walk(resources.files("vadapt") / "scaffold_template")
    if not files:
        raise InvalidConfig(
            "the plugin template is missing from this vadapt installation",
            fix="reinstall vadapt (pip install --force-reinstall vadapt)",
        )
    target.mkdir(parents=True)
    for parts, data in files:
        rel = Path(*[_fill(p, values) for p in parts])
        if rel.name.endswith(SUFFIX):
            rel = rel.with_name(rel.name[: -len(SUFFIX)])
            data = _fill(data.decode("utf-8"), values).encode("utf-8")
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    return target

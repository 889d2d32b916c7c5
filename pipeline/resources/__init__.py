"""Reference data as data files (YAML), each with its source. Loaders here."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

# libyaml's safe loader (when PyYAML is built with it) parses the agency lists
# about ten times faster than the pure-Python one; both build the same objects
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load(name: str) -> Any:
    """Parse ``pipeline/resources/<name>`` (a YAML file)."""
    with resources.files(__package__).joinpath(name).open("r", encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_LOADER)  # noqa: S506 - a safe loader

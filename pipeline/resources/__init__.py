"""Reference data as data files (YAML), each with its source. Loaders here."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def load(name: str) -> Any:
    """Parse ``pipeline/resources/<name>`` (a YAML file)."""
    with resources.files(__package__).joinpath(name).open("r", encoding="utf-8") as fh:
        return yaml.safe_load(fh)

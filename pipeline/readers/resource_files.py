"""Loading the readers' reference data from pipeline/resources (YAML, each with a ``source``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


@cache
def load_resource(name: str) -> dict[str, Any]:
    """Return the parsed YAML file ``resources/<name>.yaml``."""
    with open(RESOURCES / f"{name}.yaml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    if not isinstance(data, dict) or "source" not in data:
        raise ValueError(f"resource {name}.yaml has no 'source' key")
    return data

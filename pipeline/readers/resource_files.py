"""Loading the readers' reference data from pipeline/resources (YAML, each with a ``source``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from pipeline.resources import load

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


@cache
def load_resource(name: str) -> dict[str, Any]:
    """Return the parsed YAML file ``resources/<name>.yaml``."""
    data = load(f"{name}.yaml")
    if not isinstance(data, dict) or "source" not in data:
        raise ValueError(f"resource {name}.yaml has no 'source' key")
    return data

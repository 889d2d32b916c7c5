"""The output contract of congvan (shared/CONTRACT.md) as pydantic v2 models.

This package is the single source of truth for the JSON that ``extract`` emits.
It imports nothing from ``pipeline``.
"""

from models.document import (
    SCHEMA_NAME,
    SCHEMA_VERSION,
    Agency,
    Deadline,
    DirectiveDocument,
    Issuer,
    Number,
    Reference,
    Region,
    Signer,
    Source,
    Task,
    Warning,
    json_schema,
)

__all__ = [
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "Agency",
    "Deadline",
    "DirectiveDocument",
    "Issuer",
    "Number",
    "Reference",
    "Region",
    "Signer",
    "Source",
    "Task",
    "Warning",
    "json_schema",
]

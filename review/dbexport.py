"""The review database as the source of ``congvan export --db URL``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from models import DirectiveDocument
from pipeline.errors import InputError
from pipeline.export import ExportSetupError


class DatabaseSource:
    """The current (reviewed) contract JSON of the documents with a status, one
    at a time, oldest first; ``bad`` stays empty (every stored document was
    validated against the contract when it was written)."""

    def __init__(self, url: str, status: str = "approved") -> None:
        from sqlalchemy.orm import sessionmaker

        from review.api import ApiError, document_statuses
        from review.db import make_engine, upgrade

        try:
            self.statuses = document_statuses(status)
        except ApiError as e:
            raise ExportSetupError(f"--status: {e.message}") from None
        if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
            raise ExportSetupError(f"{url[len('sqlite:///'):]}: no such database file")
        try:
            engine = make_engine(url)
            upgrade(engine)
        except Exception as e:  # a URL that does not connect, a driver that is missing
            raise ExportSetupError(f"cannot open the database: {type(e).__name__}: {e}") from None
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.bad: list[InputError] = []
        self.read = 0

    def __iter__(self) -> Iterator[DirectiveDocument]:
        from review.api import contract_documents

        for doc in contract_documents(self.sessions, self.statuses):
            self.read += 1
            yield doc

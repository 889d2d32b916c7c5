"""The review database: SQLAlchemy 2 models, the engine, and Alembic upgrades.

SQLite in the data directory by default, any SQLAlchemy URL otherwise
(PostgreSQL: ``postgresql+psycopg://user@host/db``). The schema is only ever
created by the Alembic migrations shipped in ``review/migrations``; a test
checks that they match these models.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    true,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

ROLES = ("clerk", "reviewer", "admin")
# a document's status in the review list
QUEUED, EXTRACTING, TO_REVIEW, APPROVED, FAILED = "queued", "extracting", "review", "approved", "failed"
STATUSES = (QUEUED, EXTRACTING, TO_REVIEW, APPROVED, FAILED)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class WebSession(Base):
    """A logged-in browser: ``token`` is the SHA-256 of the cookie's token; logout deletes the row."""

    __tablename__ = "sessions"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class LoginFailure(Base):
    """Failed logins per user name (known or not), to slow down guessing."""

    __tablename__ = "login_failures"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Document(Base):
    """One source file and its extraction.

    ``extracted_json`` is the machine's output and is never changed after
    extraction; ``current_json`` starts as a copy and takes the corrections.
    The summary columns (number … next_deadline) are recomputed from
    ``current_json`` on every change, for the list and its filters.
    """

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))  # as given: shown, never used as a path
    stored_name: Mapped[str] = mapped_column(String(80))  # generated: <sha256><suffix> in DATA/files
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    extract_status: Mapped[str | None] = mapped_column(String(16), default=None)  # ok | partial (the contract's)
    extracted_json: Mapped[str | None] = mapped_column(Text, default=None)
    current_json: Mapped[str | None] = mapped_column(Text, default=None)
    pipeline_version: Mapped[str | None] = mapped_column(String(64), default=None)
    number: Mapped[str | None] = mapped_column(String(128), default=None)
    issuer: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    issued_date: Mapped[str | None] = mapped_column(String(10), default=None)
    subject: Mapped[str | None] = mapped_column(Text, default=None)
    task_count: Mapped[int] = mapped_column(Integer, default=0)
    min_confidence: Mapped[float | None] = mapped_column(Float, default=None)
    leads: Mapped[str | None] = mapped_column(Text, default=None)  # lead names, one per line, for the filter
    next_deadline: Mapped[date | None] = mapped_column(Date, default=None)
    uploaded_by: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    extracted_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    approved_by: Mapped[str | None] = mapped_column(String(64), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class AuditEntry(Base):
    """One change: who, when, which document, the field path, old and new (JSON)."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(32))  # edit | add-task | delete-task | approve | upload | ingest
    field: Mapped[str] = mapped_column(String(255))
    old: Mapped[str | None] = mapped_column(Text, default=None)
    new: Mapped[str | None] = mapped_column(Text, default=None)


class ApiToken(Base):
    """A token of a tracker or another system using /api. A read-only token
    reads; the others may also upload documents. Only the SHA-256 of the token
    is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    read_only: Mapped[bool] = mapped_column(default=True, server_default=true())


def default_data_dir() -> Path:
    """``$CONGVAN_DATA`` or ``./congvan-data``."""
    return Path(os.environ.get("CONGVAN_DATA") or "congvan-data")


def db_url(url: str | None, data_dir: Path) -> str:
    if url:
        return url
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'congvan.db').resolve()}"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):  # type: ignore[no-untyped-def]
            cur = conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")  # the worker writes while the server reads
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic, shipped in the package)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_db(url: str | None, data_dir: Path) -> tuple[Engine, sessionmaker]:
    """The engine (schema upgraded) and a session factory."""
    engine = make_engine(db_url(url, data_dir))
    upgrade(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)


class WebhookDelivery(Base):
    """The reviewed JSON of an approved document to POST to ``url``: sent by the
    background worker (never by the reviewer's request), retried with backoff."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

"""The review commands of ``congvan``: serve, ingest, users, tokens, export-gold.

Registered on the main CLI by pipeline/cli.py; heavy imports (FastAPI,
SQLAlchemy, the pipeline) happen inside the commands.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

DbOpt = Annotated[
    str | None,
    typer.Option("--db", metavar="URL", envvar="CONGVAN_DB", help="database URL (default: SQLite in the data directory)"),
]
DataOpt = Annotated[
    Path | None,
    typer.Option("--data", metavar="DIR", help="data directory: database, stored files, page images (default $CONGVAN_DATA or ./congvan-data)"),
]

users_app = typer.Typer(add_completion=False, rich_markup_mode=None, help="Accounts of the review screen.")


def _data(data: Path | None) -> Path:
    from review.db import default_data_dir

    d = data or default_data_dir()
    d.mkdir(parents=True, exist_ok=True)
    return d


def _open(db: str | None, data: Path):  # type: ignore[no-untyped-def]
    from review.db import open_db

    try:
        return open_db(db, data)
    except Exception as e:  # a URL that does not connect, a driver that is missing
        print(f"congvan: cannot open the database: {type(e).__name__}: {e}", file=sys.stderr)
        raise typer.Exit(2) from None


def serve(
    db: DbOpt = None,
    host: Annotated[str, typer.Option(metavar="HOST", help="address to listen on (only this machine by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT")] = 8000,
    data: DataOpt = None,
    https_cookies: Annotated[bool, typer.Option("--https-cookies", metavar="", help="mark cookies Secure (behind an HTTPS proxy)")] = False,
    consume: Annotated[
        Path | None, typer.Option("--consume", metavar="DIR", help="watch this folder: document files put there are extracted (never modified)")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", "-w", metavar="N", help="extraction worker processes (default 1)")] = 1,
    webhook: Annotated[
        str | None, typer.Option("--webhook", metavar="URL", envvar="CONGVAN_WEBHOOK_URL", help="POST each approved document's reviewed JSON there (retried by the worker)")
    ] = None,
) -> None:
    """Start the review web application (and its extraction worker). The
    database is upgraded to the newest schema first."""
    import uvicorn

    from review.app import Settings, create_app

    data_dir = _data(data)
    _, sessions = _open(db, data_dir)
    env = dict(os.environ)
    if db:
        env["CONGVAN_DB"] = db  # not on the command line: a URL may hold a password
    # uvicorn re-raises the SIGTERM it caught once it has shut down: with this
    # handler that becomes SystemExit, so the worker below is always stopped
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    if consume is not None and not consume.is_dir():
        print(f"congvan: --consume {consume}: not a folder", file=sys.stderr)
        raise typer.Exit(2)
    cmd = [sys.executable, "-m", "review.worker", "--data", str(data_dir), "--parent", str(os.getpid())]
    # the first worker also watches the consume folder and reads the page word boxes
    first = ["--page-words"] + (["--consume", str(consume)] if consume else [])
    procs = [subprocess.Popen(cmd + (first if i == 0 else []), env=env) for i in range(max(1, workers))]
    try:
        app = create_app(sessions, Settings(data_dir=data_dir, secure_cookies=https_cookies, webhook_url=webhook or None))
        print(f"congvan: review screen on http://{host}:{port}/ (data in {data_dir.resolve()})", file=sys.stderr)
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def ingest(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="files or folders")],
    db: DbOpt = None,
    data: DataOpt = None,
    workers: Annotated[int, typer.Option("--workers", "-w", metavar="N", help="worker processes (default 1)")] = 1,
) -> None:
    """Extract files or folders into the review database. A file whose content
    is already there is not redone; inputs are only read. Exit 1 when some
    input failed or could not be read."""
    from review.db import FAILED, Document
    from review.worker import ingest as run_ingest

    data_dir = _data(data)
    _, sessions = _open(db, data_dir)

    def progress(doc: Document) -> None:
        print(f"congvan: {doc.filename}: {doc.status}" + (f" ({doc.error})" if doc.error else ""), file=sys.stderr)

    res = run_ingest(paths, sessions, data_dir, workers=workers, progress=progress)
    for rec in res.not_read:
        print(f"congvan: {rec['path']}: {rec['reason']}", file=sys.stderr)
    with sessions() as s:
        failed = sum(1 for i in res.documents if (d := s.get(Document, i)) is not None and d.status == FAILED)
    print(f"congvan: {res.added} added, {res.skipped} already in the database, {failed} failed, {len(res.not_read)} not read", file=sys.stderr)
    if failed or any(r["status"] == "failed" for r in res.not_read):
        raise typer.Exit(1)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    role: Annotated[str, typer.Option(metavar="ROLE", help="clerk | reviewer | admin")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", metavar="", help="read the password from standard input")] = False,
    db: DbOpt = None,
    data: DataOpt = None,
) -> None:
    """Add an account (the password is read from standard input or asked for)."""
    from review.auth import AccountError, add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    _, sessions = _open(db, _data(data))
    with sessions() as s:
        try:
            add_user(s, name, password, role)
        except AccountError as e:
            print(f"congvan: {e}", file=sys.stderr)
            raise typer.Exit(2) from None
    print(f"congvan: user {name} added ({role})", file=sys.stderr)


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", metavar="", help="read the password from standard input")] = False,
    db: DbOpt = None,
    data: DataOpt = None,
) -> None:
    """Set a user's password (their open sessions end)."""
    from sqlalchemy import select

    from review.auth import AccountError, set_password
    from review.db import User

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else typer.prompt("password", hide_input=True, confirmation_prompt=True)
    _, sessions = _open(db, _data(data))
    with sessions() as s:
        user = s.scalar(select(User).where(User.username == name))
        if user is None:
            print(f"congvan: no user '{name}'", file=sys.stderr)
            raise typer.Exit(2)
        try:
            set_password(s, user, password)
        except AccountError as e:
            print(f"congvan: {e}", file=sys.stderr)
            raise typer.Exit(2) from None
    print(f"congvan: password of {name} changed", file=sys.stderr)


@users_app.command("list")
def users_list(db: DbOpt = None, data: DataOpt = None) -> None:
    """List the accounts."""
    from sqlalchemy import select

    from review.db import User

    _, sessions = _open(db, _data(data))
    with sessions() as s:
        for u in s.scalars(select(User).order_by(User.username)):
            print(f"{u.username}\t{u.role}\t{'active' if u.active else 'disabled'}")


tokens_app = typer.Typer(add_completion=False, rich_markup_mode=None, help="API tokens of trackers and other systems (/api).")


@tokens_app.command("add")
def tokens_add(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    read_only: Annotated[bool, typer.Option("--read-only", metavar="", help="the token reads only (cannot upload documents)")] = False,
    db: DbOpt = None,
    data: DataOpt = None,
) -> None:
    """Make a token and print it (once: only its hash is kept). Without
    --read-only the token may also upload documents (POST /api/documents)."""
    from review.auth import AccountError, add_token

    _, sessions = _open(db, _data(data))
    with sessions() as s:
        try:
            print(add_token(s, name, read_only=read_only))
        except AccountError as e:
            print(f"congvan: {e}", file=sys.stderr)
            raise typer.Exit(2) from None


@tokens_app.command("list")
def tokens_list(db: DbOpt = None, data: DataOpt = None) -> None:
    """List the tokens' names, when made and last used."""
    from sqlalchemy import select

    from review.db import ApiToken

    _, sessions = _open(db, _data(data))
    with sessions() as s:
        for t in s.scalars(select(ApiToken).order_by(ApiToken.name)):
            scope = "read-only" if t.read_only else "read-write"
            print(f"{t.name}\t{scope}\t{t.created_at:%Y-%m-%d %H:%M}\t{t.last_used_at or 'never used'}")


@tokens_app.command("revoke")
def tokens_revoke(name: Annotated[str, typer.Argument(metavar="NAME")], db: DbOpt = None, data: DataOpt = None) -> None:
    """Revoke a token."""
    from review.auth import revoke_token

    _, sessions = _open(db, _data(data))
    with sessions() as s:
        if not revoke_token(s, name):
            print(f"congvan: no token '{name}'", file=sys.stderr)
            raise typer.Exit(2)


def export(
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="folder for the gold files (one JSON per approved document)")],
    db: DbOpt = None,
    data: DataOpt = None,
) -> None:
    """Write every approved document as a gold file (docs/ANNOTATION.md form)
    with its text beside it, to grow the corpus with the clerks' corrections."""
    from review.export import export_gold

    _, sessions = _open(db, _data(data))
    n = export_gold(sessions, out)
    print(f"congvan: {n} approved documents written to {out}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(ingest)
    # "export" is the trackers' export of pipeline/cli.py (csv/xlsx/ics/xml/jsonl)
    app.command("export-gold")(export)
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")

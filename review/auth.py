"""Accounts, sessions, CSRF tokens and the slow-down of failed logins."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from review.db import ROLES, ApiToken, LoginFailure, User, WebSession, utcnow

SESSION_HOURS = 12
FREE_FAILURES = 3  # failures allowed before the waits start
MAX_WAIT_S = 300
_hasher = PasswordHasher()
# verified against when the user name is unknown, so both cases cost the same time
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
RANK = {r: i for i, r in enumerate(ROLES)}  # clerk < reviewer < admin


class AccountError(ValueError):
    """A user that cannot be added or changed, in words for the admin."""


def can(role: str, needed: str) -> bool:
    """Clerks edit, reviewers also approve, admins also manage users."""
    return RANK.get(role, -1) >= RANK[needed]


def add_user(db: Session, username: str, password: str, role: str) -> User:
    username = username.strip()
    if role not in ROLES:
        raise AccountError(f"unknown role '{role}' (one of {', '.join(ROLES)})")
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError("a user name is 1 to 64 characters without spaces")
    if len(password) < 8:
        raise AccountError("a password has at least 8 characters")
    if db.scalar(select(User).where(User.username == username)) is not None:
        raise AccountError(f"user '{username}' already exists")
    user = User(username=username, password_hash=_hasher.hash(password), role=role, active=True)
    db.add(user)
    db.commit()
    return user


def set_password(db: Session, user: User, password: str) -> None:
    if len(password) < 8:
        raise AccountError("a password has at least 8 characters")
    user.password_hash = _hasher.hash(password)
    db.execute(delete(WebSession).where(WebSession.user_id == user.id))
    db.commit()


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    wait_s: int = 0  # > 0: refused without checking, try again after this many seconds


def wait_needed(failures: int) -> int:
    """Seconds to wait after ``failures`` failed logins: 0, 0, 0, 1, 2, 4 … up to 5 minutes."""
    if failures < FREE_FAILURES:
        return 0
    return int(min(2 ** (failures - FREE_FAILURES), MAX_WAIT_S))


def login(db: Session, username: str, password: str) -> LoginResult:
    key = username.strip().casefold()[:64]
    fail = db.get(LoginFailure, key)
    if fail is not None:
        left = wait_needed(fail.count) - (utcnow() - fail.last_at).total_seconds()
        if left > 0:
            return LoginResult(None, max(1, int(left + 0.999)))
    user = db.scalar(select(User).where(User.username == username.strip()))
    ok = False
    try:
        ok = _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and user is not None and user.active:
        if fail is not None:
            db.delete(fail)
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        db.commit()
        return LoginResult(user)
    if fail is None:
        fail = LoginFailure(key=key, count=0)
        db.add(fail)
    fail.count += 1
    fail.last_at = utcnow()
    db.commit()
    return LoginResult(None, 0)


def new_session(db: Session, user: User) -> tuple[WebSession, str]:
    """A new session and the token for its cookie. Only the token's SHA-256 is
    stored: a copy of the database does not log anyone in."""
    now = utcnow()
    db.execute(delete(WebSession).where(WebSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    s = WebSession(
        token=_token_hash(token),
        user_id=user.id,
        csrf=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(hours=SESSION_HOURS),
    )
    db.add(s)
    db.commit()
    return s, token


def session_user(db: Session, token: str | None) -> tuple[WebSession, User] | None:
    if not token or len(token) > 64:
        return None
    s = db.get(WebSession, _token_hash(token))
    if s is None or s.expires_at < utcnow():
        return None
    user = db.get(User, s.user_id)
    if user is None or not user.active:
        return None
    return s, user


def end_session(db: Session, token: str | None) -> None:
    if token and len(token) <= 64:
        db.execute(delete(WebSession).where(WebSession.token == _token_hash(token)))
        db.commit()


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_token(db: Session, name: str, read_only: bool = False) -> str:
    """A new API token for ``name`` (a read-only one cannot upload); returned
    once, only its hash is stored."""
    name = name.strip()
    if not name or len(name) > 64:
        raise AccountError("a token name is 1 to 64 characters")
    if db.scalar(select(ApiToken).where(ApiToken.name == name)) is not None:
        raise AccountError(f"token '{name}' already exists")
    token = "cv_" + secrets.token_urlsafe(32)
    db.add(ApiToken(name=name, token_sha256=_token_hash(token), read_only=read_only))
    db.commit()
    return token


def revoke_token(db: Session, name: str) -> bool:
    res = db.execute(delete(ApiToken).where(ApiToken.name == name))
    db.commit()
    return bool(res.rowcount)  # type: ignore[attr-defined]


def token_of(db: Session, authorization: str | None) -> ApiToken | None:
    """The token of an ``Authorization: Bearer …`` header, if valid."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    token = authorization[7:].strip()
    if not token or len(token) > 100:
        return None
    found = db.scalar(select(ApiToken).where(ApiToken.token_sha256 == _token_hash(token)))
    if found is not None:
        found.last_used_at = utcnow()
        db.commit()
    return found

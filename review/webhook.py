"""The approval webhook: when a reviewer approves a document, its reviewed JSON
(contract + ``review`` block) is queued for ``CONGVAN_WEBHOOK_URL``
(``congvan serve --webhook URL``); the background worker POSTs it, retrying
with backoff (10 s, 20 s, 40 s … at most 1 h between tries, 10 tries). The
reviewer's request only adds a row: a slow or down receiver never blocks it.
With ``CONGVAN_WEBHOOK_SECRET`` set, the body is signed:
``X-Congvan-Signature: sha256=<HMAC-SHA256 of the body, hex>``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from review.db import WebhookDelivery, utcnow

MAX_ATTEMPTS = 10
FIRST_WAIT_S = 10
MAX_WAIT_S = 3600
log = logging.getLogger("congvan.review")


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 10 s, 20 s, 40 s … at most 1 h."""
    return timedelta(seconds=min(FIRST_WAIT_S * 2 ** max(0, attempts - 1), MAX_WAIT_S))


def queue_delivery(db: Session, document_id: int, url: str, payload: str) -> None:
    """Queue the approved document's JSON (the caller commits)."""
    now = utcnow()
    db.add(WebhookDelivery(document_id=document_id, url=url, payload=payload, attempts=0, next_at=now, created_at=now))


def post(url: str, body: bytes, timeout: float) -> None:
    """POST the JSON; raises on anything but a 2xx answer."""
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "congvan-webhook"}
    secret = os.environ.get("CONGVAN_WEBHOOK_SECRET")
    if secret:
        headers["X-Congvan-Signature"] = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (the admin's configured URL)
        if not 200 <= resp.status < 300:
            raise urllib.error.HTTPError(url, resp.status, "not 2xx", resp.headers, None)


def deliver_due(sessions: sessionmaker, now: datetime | None = None, timeout: float = 10.0) -> int:
    """Try every delivery that is due; the number delivered."""
    now = now or utcnow()
    done = 0
    with sessions() as db:
        due = list(db.scalars(select(WebhookDelivery).where(
            WebhookDelivery.delivered_at.is_(None), WebhookDelivery.attempts < MAX_ATTEMPTS,
            WebhookDelivery.next_at <= now).order_by(WebhookDelivery.id)))
        for d in due:
            try:
                post(d.url, d.payload.encode("utf-8"), timeout)
            except (OSError, ValueError) as e:  # URLError/HTTPError/timeouts are OSErrors
                d.attempts += 1
                d.last_error = f"{type(e).__name__}: {e}"[:1000]
                d.next_at = now + backoff(d.attempts)
                level = logging.ERROR if d.attempts >= MAX_ATTEMPTS else logging.WARNING
                log.log(level, "webhook for document %d: try %d failed: %s", d.document_id, d.attempts, d.last_error)
            else:
                d.attempts += 1
                d.delivered_at, d.last_error = utcnow(), None
                done += 1
            db.commit()
    return done

"""Bearer tokens for the phone page's HTTP API.

A token is 32 random bytes handed to the phone once, when it joins; the store
keeps only its SHA-256 (a leaked store gives no working token), tied to the
participant it was issued to.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from wikitown.store.db import api_tokens, now


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(event, participant_id: str) -> str:
    token = secrets.token_urlsafe(32)
    with event.store.write() as conn:
        conn.execute(api_tokens.insert().values(token_sha256=_digest(token), participant_id=participant_id,
                                                created_at=now()))
    return token


def participant_for_token(event, token: str) -> str | None:
    """The participant a token was issued to, or None for an unknown token."""
    if not token or len(token) > 200:
        return None
    with event.store.read() as conn:
        row = conn.execute(sa.select(api_tokens.c.participant_id).where(
            api_tokens.c.token_sha256 == _digest(token))).first()
    return row.participant_id if row else None

"""Opaque bearer tokens: random, stored hashed, expiring, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from app.accounts.models import AuthToken, User
from app.clock import now
from app.db import writing

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 200
TOUCH_EVERY = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, *, ttl_hours: float) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    issued = now()
    session.add(
        AuthToken(
            token_hash=digest(token),
            user_id=user.id,
            created_at=issued,
            last_used_at=issued,
            expires_at=issued + timedelta(hours=ttl_hours),
        )
    )
    return token


# Built once: composing the statement anew cost every request more than running it.
_TOKEN_AND_USER = (
    select(AuthToken, User).join(User, User.id == AuthToken.user_id)
    .where(AuthToken.token_hash == sa.bindparam("token_hash"))
)


@dataclass(frozen=True)
class TokenCheck:
    user: User | None
    # The token was otherwise live but unused for longer than the idle limit.
    idle: bool = False


def check_token(session: Session, token: str, *, idle_minutes: float) -> TokenCheck:
    """The active user a live token belongs to; a token unused for `idle_minutes` is refused."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return TokenCheck(None)
    row = session.exec(_TOKEN_AND_USER, params={"token_hash": digest(token)}).first()
    if row is None:
        return TokenCheck(None)
    auth_token, user = row
    moment = now()
    if auth_token.revoked_at is not None or auth_token.expires_at <= moment or not user.is_active:
        return TokenCheck(None)
    last_used = auth_token.last_used_at or auth_token.created_at
    if last_used + timedelta(minutes=idle_minutes) <= moment:
        return TokenCheck(None, idle=True)
    if moment - last_used >= TOUCH_EVERY:
        _touch(session, auth_token.id, moment)
    return TokenCheck(user)


def _touch(session: Session, token_id: int, moment: datetime) -> None:
    """Record the token's use in a short transaction of its own (the request's may only read);
    the condition keeps concurrent requests from writing it more than once a minute."""
    with Session(session.get_bind()) as own, writing(own):
        own.execute(
            sa.update(AuthToken)
            .where(AuthToken.id == token_id)
            .where(sa.or_(AuthToken.last_used_at.is_(None), AuthToken.last_used_at <= moment - TOUCH_EVERY))
            .values(last_used_at=moment)
        )


def revoke_token(session: Session, token: str) -> None:
    auth_token = session.exec(select(AuthToken).where(AuthToken.token_hash == digest(token))).first()
    if auth_token is not None and auth_token.revoked_at is None:
        auth_token.revoked_at = now()
        session.add(auth_token)


def revoke_all_tokens(session: Session, user_id: int, *, keep: str | None = None) -> None:
    keep_hash = digest(keep) if keep else None
    for auth_token in session.exec(
        select(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
    ):
        if auth_token.token_hash != keep_hash:
            auth_token.revoked_at = now()
            session.add(auth_token)

"""Opaque bearer tokens: random, stored hashed, expiring, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, select

from app.accounts.models import AuthToken, User
from app.clock import now

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 200


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
            expires_at=issued + timedelta(hours=ttl_hours),
        )
    )
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a live token belongs to, or None for anything else."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = session.exec(
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == digest(token))
    ).first()
    if row is None:
        return None
    auth_token, user = row
    if auth_token.revoked_at is not None or auth_token.expires_at <= now() or not user.is_active:
        return None
    return user


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

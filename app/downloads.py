"""Short-lived signed download links that re-check the caller's rights when used."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from app.accounts.models import User
from app.audit import service as audit
from app.audit.models import AuditEventCode
from app.errors import AccessError, AppError, ErrorCode, forbidden
from app.settings import Settings

LINK_SECONDS = 600


@dataclass(frozen=True)
class Download:
    filename: str
    content: bytes
    media_type: str


# kind -> builder(session, user, params, settings) -> Download; features register theirs at import.
BUILDERS: dict[str, Callable[[Session, User, dict, Settings], Download]] = {}


def sign(secret: str, *, kind: str, user_id: int, params: dict, seconds: int = LINK_SECONDS) -> str:
    payload = json.dumps({"k": kind, "u": user_id, "p": params, "e": int(time.time()) + seconds},
                         separators=(",", ":"), sort_keys=True).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_mac(secret, body)}"


def link(secret: str, *, kind: str, user_id: int, params: dict) -> str:
    return f"/downloads/{sign(secret, kind=kind, user_id=user_id, params=params)}"


def export_link(session: Session, settings: Settings, *, kind: str, user: User, params: dict,
                target: tuple[str, int]) -> str:
    """A link to an export, audited in the caller's transaction."""
    audit.record(session, event=AuditEventCode.EXPORT_CREATED, user=user, target_type=target[0],
                 target_id=target[1], details=kind)
    return link(settings.secret_key, kind=kind, user_id=user.id, params=params)


def open_link(session: Session, settings: Settings, token: str) -> Download:
    """Verify the signature and expiry, then build the file as the signed-in user would see it.
    Every use of a genuine link is audited, refused ones included."""
    body, _, mac = token.partition(".")
    if not body or not hmac.compare_digest(mac, _mac(settings.secret_key, body)):
        raise AppError(ErrorCode.NOT_FOUND, "下载链接无效")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    user = session.get(User, claims["u"])
    opened = {"event": AuditEventCode.DOWNLOAD_OPENED, "user": user, "username": None if user else str(claims["u"]),
              "target_type": claims["k"], "target_id": _target_of(claims["p"])}
    try:
        found = _build(session, settings, claims, user)
    except (AppError, AccessError) as error:
        audit.record_apart(session, **opened, error_code=error.code)
        raise
    audit.record_apart(session, **opened)
    return found


def _build(session: Session, settings: Settings, claims: dict, user: User | None) -> Download:
    if claims["e"] < time.time():
        raise AppError(ErrorCode.INVALID, "下载链接已过期，请回到页面重新点击下载")
    if user is None or not user.is_active:
        raise forbidden("下载链接对应的账号已停用")
    builder = BUILDERS.get(claims["k"])
    if builder is None:
        raise AppError(ErrorCode.NOT_FOUND, "下载链接无效")
    return builder(session, user, claims["p"], settings)


def _target_of(params: dict) -> str | None:
    """The record a link is for, by the id among its parameters (never personal data)."""
    for key, value in sorted(params.items()):
        if key.endswith("id") and isinstance(value, int | str):
            return str(value)
    return None


def _mac(secret: str, body: str) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:32]

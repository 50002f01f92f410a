"""Per-request context: a lazily opened database session, the caller, DataLoaders."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.accounts.models import User
from app.audit.service import CLIENT_ADDRESS
from app.auth.tokens import TokenCheck, check_token
from app.db import Database, writing
from app.settings import Settings
from schema.loaders import Loaders


@dataclass
class Context:
    database: Database
    token: str | None = None
    client_address: str | None = None
    request: Any = None
    response: Any = None
    # Set by the graphql-transport-ws handler from connection_init's payload.
    connection_params: dict | None = None
    # The token was refused only because it went unused too long (a distinct message).
    token_idle: bool = False
    _session: Session | None = field(default=None, repr=False)
    _user: User | None = field(default=None, repr=False)
    _user_loaded: bool = field(default=False, repr=False)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self)

    @property
    def settings(self) -> Settings:
        return self.database.settings

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self.database.session()
            self._session.info[CLIENT_ADDRESS] = self.client_address  # read by the audit trail
        return self._session

    @property
    def user(self) -> User | None:
        """The signed-in user, or None for a missing, expired, revoked or forged token."""
        if not self._user_loaded:
            token = self.token or self._token_from_connection()
            checked = TokenCheck(None)
            if token:
                checked = check_token(self.session, token, idle_minutes=self.settings.token_idle_minutes)
            self._user, self.token_idle = checked.user, checked.idle
            self._user_loaded = True
        return self._user

    def _token_from_connection(self) -> str | None:
        """A websocket client sends {"Authorization": "Bearer ..."} (or {"token": ...}) in connection_init."""
        params = self.connection_params or {}
        if not isinstance(params, dict):
            return None
        if isinstance(params.get("token"), str):
            return params["token"]
        return bearer_token({k.lower(): v for k, v in params.items() if isinstance(v, str)})

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Run a mutation's work: commit on success, roll back everything on any error."""
        session = self.session
        if session.in_transaction():
            session.commit()  # end the read transaction the token lookup opened
        try:
            with writing(session):
                yield session
        finally:
            self.loaders.clear()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


def bearer_token(headers: Any) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None

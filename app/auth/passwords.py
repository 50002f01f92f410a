"""Argon2id password hashes and the rule for a new password."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.errors import ErrorCode, FieldProblem

_hasher = PasswordHasher()  # argon2-cffi defaults to Argon2id with RFC 9106 parameters

# Verifying against this keeps a login for an unknown user as slow as for a known one.
_DUMMY_HASH = _hasher.hash("examreg-timing-equaliser")

MIN_LENGTH = 8
MAX_LENGTH = 128


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_password_problems(password: str, *, username: str, initial_password: str) -> list[FieldProblem]:
    """Every reason `password` may not become a user's new password."""
    field = "newPassword"
    problems: list[FieldProblem] = []

    def weak(message: str) -> None:
        problems.append(FieldProblem(ErrorCode.WEAK_PASSWORD, message, field))

    if len(password) < MIN_LENGTH:
        weak(f"新密码至少需要{MIN_LENGTH}位，当前只有{len(password)}位")
    if len(password) > MAX_LENGTH:
        weak(f"新密码不能超过{MAX_LENGTH}位")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        weak("新密码必须同时包含英文字母和数字")
    if password == initial_password:
        weak(f"新密码不能是初始密码{initial_password}")
    if username and username.lower() in password.lower():
        weak("新密码不能包含用户名")
    return problems

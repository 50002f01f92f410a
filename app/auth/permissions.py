"""Who may do what, by role. Jurisdiction (which records) lives in scope.py."""

from __future__ import annotations

from app.accounts.models import Role, User
from app.errors import forbidden

OPERATORS = frozenset({Role.SUPERADMIN})


def require_role(user: User, *roles: Role, message: str | None = None) -> None:
    if user.role not in roles:
        raise forbidden(message or "您的账号角色不能执行此操作")


def require_operator(user: User) -> None:
    require_role(user, *OPERATORS, message="只有系统管理员可以执行此操作")


def require_unit_admin(user: User) -> None:
    require_role(user, Role.UNIT_ADMIN, message="只有单位管理员可以填写和修改本单位的报名信息")

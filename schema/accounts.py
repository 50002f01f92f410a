"""Sign-in, the caller's own account, and accounts created by operators."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from app.accounts import service
from app.accounts.models import Role
from schema.common import parse_id
from schema.errors import UserError, perform, require_user
from schema.types import RoleEnum, UserType


@strawberry.type(description="登录结果 Result of login")
class LoginPayload:
    token: str | None = strawberry.field(default=None, description="访问令牌，放在 Authorization: Bearer 请求头中 Bearer token")
    user: UserType | None = strawberry.field(default=None, description="登录的账号；mustChangePassword 为真时须先修改密码 The account")
    errors: list[UserError] = strawberry.field(default_factory=list, description="错误 Errors")


@strawberry.type(description="结果 Outcome of a mutation with nothing to return")
class OkPayload:
    ok: bool = strawberry.field(default=False, description="是否成功 Succeeded")
    errors: list[UserError] = strawberry.field(default_factory=list, description="错误 Errors")


@strawberry.type(description="账号结果 Outcome of a mutation that returns an account")
class UserPayload:
    user: UserType | None = strawberry.field(default=None, description="账号 The account")
    errors: list[UserError] = strawberry.field(default_factory=list, description="错误 Errors")


@strawberry.input(description="个人资料 The signed-in user's own contact details; omitted fields stay as they are")
class ProfileInput:
    mobile: str | None = strawberry.field(default=None, description="手机号码（接收短信）Mobile for SMS; empty string clears")
    office_phone: str | None = strawberry.field(default=None, description="办公电话 Office phone")
    email: str | None = strawberry.field(default=None, description="电子邮箱 Email")


@strawberry.input(description="新账号 A new account (operators)")
class CreateUserInput:
    role: RoleEnum = strawberry.field(description="角色 Role")
    name: str = strawberry.field(description="姓名 Name")
    username: str | None = strawberry.field(default=None, description="用户名（单位管理员自动生成为姓名+出生年月日）Username; generated for unit admins")
    unit_id: strawberry.ID | None = strawberry.field(default=None, description="所属单位（单位管理员、主管部门审核员）Unit")
    division_code: str | None = strawberry.field(default=None, description="负责的区划（县、市司法局审核员）Division")
    id_number: str | None = strawberry.field(default=None, description="身份证号码（单位管理员必填）ID number")
    mobile: str | None = strawberry.field(default=None, description="手机号码 Mobile")
    password: str | None = strawberry.field(default=None, description="初始密码；不填则为8888且首次登录须修改 Initial password")


@strawberry.type
class AccountQueries:
    @strawberry.field(description="当前登录的账号 The signed-in account (also while the initial password must be changed)")
    def me(self, info: Info) -> UserType:
        return UserType.of(require_user(info, allow_pending_password=True))


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="登录 Sign in; returns a bearer token")
    def login(
        self, info: Info,
        username: Annotated[str, strawberry.argument(
            description="用户名（单位管理员为姓名+出生年月日，如张三19780509）Username, e.g. 张三19780509")],
        password: Annotated[str, strawberry.argument(description="密码 Password")],
    ) -> LoginPayload:
        context = info.context
        with context.transaction() as session:  # failure counts must be committed
            result = service.login(session, settings=context.settings, username=username, password=password)
        if result.error:
            return LoginPayload(errors=[UserError(code=result.error.code, field=None, message=result.error.message)])
        return LoginPayload(token=result.token, user=UserType.of(result.user))

    @strawberry.mutation(description="退出登录，令牌立即失效 Sign out; the token is revoked")
    def logout(self, info: Info) -> OkPayload:
        require_user(info, allow_pending_password=True)

        def work(session):  # noqa: ANN001, ANN202
            service.logout(session, token=info.context.token)
            return OkPayload(ok=True)

        return perform(info, OkPayload, work)

    @strawberry.mutation(description="修改密码；至少8位，含字母和数字，不能为8888或包含用户名 Change password")
    def change_password(
        self, info: Info,
        old_password: Annotated[str, strawberry.argument(description="原密码（首次登录为8888）Current password")],
        new_password: Annotated[str, strawberry.argument(description="新密码 New password")],
    ) -> UserPayload:
        user = require_user(info, allow_pending_password=True)

        def work(session):  # noqa: ANN001, ANN202
            changed = service.change_password(
                session, settings=info.context.settings, user=user,
                old_password=old_password, new_password=new_password, token=info.context.token,
            )
            return UserPayload(user=UserType.of(changed))

        return perform(info, UserPayload, work)

    @strawberry.mutation(description="修改个人资料（手机、办公电话、邮箱）Update the caller's own profile")
    def update_profile(
        self, info: Info, input: Annotated[ProfileInput, strawberry.argument(description="要修改的资料 Changes")],
    ) -> UserPayload:
        user = require_user(info)

        def work(session):  # noqa: ANN001, ANN202
            updated = service.update_profile(
                session, user=user, mobile=input.mobile,
                office_phone=input.office_phone, email=input.email,
            )
            return UserPayload(user=UserType.of(updated))

        return perform(info, UserPayload, work)

    @strawberry.mutation(description="创建账号（系统管理员）Create an account (operators)")
    def create_user(
        self, info: Info, input: Annotated[CreateUserInput, strawberry.argument(description="新账号 The account")],
    ) -> UserPayload:
        user = require_user(info)

        def work(session):  # noqa: ANN001, ANN202
            new = service.NewUser(
                role=Role(input.role), name=input.name, username=input.username,
                unit_id=parse_id(input.unit_id, what="单位", field="unitId") if input.unit_id else None,
                division_code=input.division_code, id_number=input.id_number,
                mobile=input.mobile, password=input.password,
            )
            created = service.create_user(session, settings=info.context.settings, user=user, new=new)
            return UserPayload(user=UserType.of(created))

        return perform(info, UserPayload, work)

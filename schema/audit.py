"""The audit trail for operators, and the audit of full ID numbers shown in a detail view."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from app.audit import service
from app.audit.models import AuditEvent, AuditEventCode, AuditResult
from app.errors import ErrorCode
from schema.common import After, Connection, First, connection_from, described_enum, parse_id
from schema.errors import ErrorCodeEnum, require_user

AuditEventCodeEnum = described_enum(
    AuditEventCode, name="AuditEventCode", description="审计事件 What an audit row records", values={
        "LOGIN": "登录（成功或失败，失败时记录所用用户名）Sign-in, successful or not; failures keep the username tried",
        "ID_NUMBER_VIEWED": "查看完整身份证号码（报名详情）A registration's full ID number was shown",
        "EXPORT_CREATED": "生成导出下载链接（终审名单、统计）A signed export link was made (candidates, statistics)",
        "DOWNLOAD_OPENED": "使用下载链接（导出、照片、证明材料、错误报告）A signed download link was used",
        "REGISTRATION_APPROVED": "审核通过 A reviewer approved a registration",
        "REGISTRATION_REJECTED": "审核退回 A reviewer returned a registration",
        "ROLLBACK_REQUESTED": "申请回退 A unit asked to roll back an approved registration",
        "ROLLBACK_GRANTED": "同意回退 The final reviewer granted a rollback",
        "ROLLBACK_DENIED": "不同意回退 The final reviewer denied a rollback",
        "ACCOUNT_CREATED": "创建账号 An account was created",
        "ROLE_CHANGED": "账号角色或所属单位变更 An account's role or unit changed",
        "ACCOUNT_DEACTIVATED": "停用账号（如更换单位管理员）An account was deactivated (e.g. admin handed over)",
        "PASSWORD_CHANGED": "修改密码 A password was changed",
        "PROFILE_CHANGED": "修改个人资料 Contact details were changed",
        "UNIT_APPLICATION_FILED": "新单位注册申请 A new unit applied (no sign-in)",
        "ADMIN_CHANGE_REQUESTED": "管理员变更或单位更名申请 A unit asked for an admin change or rename",
        "UNIT_REQUEST_APPROVED": "单位申请通过 An operator approved a unit request",
        "UNIT_REQUEST_REJECTED": "单位申请未通过 An operator rejected a unit request",
    },
)
AuditResultEnum = described_enum(AuditResult, name="AuditResult", description="结果 Outcome of the audited action",
                                 values={"SUCCESS": "成功 Succeeded", "FAILURE": "失败（见 errorCode）Failed; see errorCode"})


@strawberry.type(name="AuditEvent", description="一条审计记录（不可修改、不可删除）An audit row; never changed or deleted")
class AuditEventType:
    id: strawberry.ID = strawberry.field(description="记录编号 Row id")
    at: datetime = strawberry.field(description="时间 When it happened")
    user_id: strawberry.ID | None = strawberry.field(description="操作账号编号 The acting account's id")
    username: str | None = strawberry.field(
        description="操作账号用户名；登录失败时为所用用户名 The acting account, or the username tried at sign-in")
    event: AuditEventCodeEnum = strawberry.field(description="事件 What happened")
    target_type: str | None = strawberry.field(
        description="对象类型，如 registration、user、unit_request、exam_session Kind of record acted on")
    target_id: str | None = strawberry.field(description="对象编号 Id of the record acted on")
    result: AuditResultEnum = strawberry.field(description="结果 Outcome")
    error_code: ErrorCodeEnum | None = strawberry.field(description="失败时的错误代码 Error code of a failure")
    client_address: str | None = strawberry.field(
        description="客户端地址（后台任务为空）Client address; empty for background work")
    details: str | None = strawberry.field(
        description="补充说明（不含完整身份证号码和手机号码）Short detail, never a full ID or phone number")

    @classmethod
    def of(cls, e: AuditEvent) -> AuditEventType:
        return cls(
            id=strawberry.ID(str(e.id)), at=e.at, user_id=strawberry.ID(str(e.user_id)) if e.user_id else None,
            username=e.username, event=AuditEventCode(e.event), target_type=e.target_type, target_id=e.target_id,
            result=AuditResult(e.result), error_code=ErrorCode(e.error_code) if e.error_code else None,
            client_address=e.client_address, details=e.details,
        )


@strawberry.input(description="审计记录筛选条件 Filter of auditEvents; all given conditions must hold")
class AuditEventFilterInput:
    event: AuditEventCodeEnum | None = strawberry.field(default=None, description="事件 Only this event")
    user_id: strawberry.ID | None = strawberry.field(default=None, description="操作账号编号 Only this acting account")
    target_type: str | None = strawberry.field(default=None, description="对象类型 Only this kind of record")
    target_id: str | None = strawberry.field(default=None, description="对象编号 Only this record (with targetType)")
    since: datetime | None = strawberry.field(default=None, description="起始时间（含）From this time, inclusive")
    until: datetime | None = strawberry.field(default=None, description="截止时间（不含）Before this time")


def _filter(f: AuditEventFilterInput | None) -> service.AuditFilter:
    if f is None:
        return service.AuditFilter()
    return service.AuditFilter(
        event=AuditEventCode(f.event) if f.event else None,
        user_id=parse_id(f.user_id, what="账号", field="userId") if f.user_id else None,
        target_type=f.target_type, target_id=f.target_id, since=f.since, until=f.until,
    )


@strawberry.type
class AuditQueries:
    @strawberry.field(description="审计记录（系统管理员），最新的在前 The audit trail for operators, newest first")
    def audit_events(
        self,
        info: Info,
        filter: Annotated[AuditEventFilterInput | None, strawberry.argument(description="筛选条件 Filter")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[AuditEventType]:
        user = require_user(info)
        page = service.list_audit_events(info.context.session, user=user, filter=_filter(filter),
                                         first=first, after=after)
        return connection_from(page, AuditEventType.of)


def audit_full_id_view(info: Info, *, registration_id: int, error_code: ErrorCode | None = None) -> None:
    """A detail view that selects the full ID number is audited (in its own transaction: a read has none)."""
    if not _selects(info.selected_fields, "idNumber"):
        return
    service.record_apart(info.context.session, event=AuditEventCode.ID_NUMBER_VIEWED, user=info.context.user,
                         target_type="registration", target_id=registration_id, error_code=error_code)


def _selects(selections: list[Any], name: str) -> bool:
    """Whether `name` is selected anywhere below, fragments included."""
    for selection in selections:
        if getattr(selection, "name", None) == name:
            return True
        if _selects(getattr(selection, "selections", None) or [], name):
            return True
    return False

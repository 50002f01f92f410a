"""The SMS outbox for operators: what was sent to whom, what failed and why."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from app.registrations.masking import mask_phone
from app.sms import service
from app.sms.models import SmsMessage, SmsStatus
from app.sms.templates import SmsTemplate, render
from schema.common import After, Connection, First, connection_from, described_enum, parse_id
from schema.errors import UserError, perform, require_user

SmsStatusEnum = described_enum(
    SmsStatus, name="SmsStatus",
    description="短信状态 PENDING 待发送 / SENDING 发送中 / SENT 已发送 / FAILED 发送失败 / UNCERTAIN 待核实（发送中断，需人工到短信平台核对）",
    values={
        "PENDING": "待发送 Waiting to be sent, or to be retried at nextAttemptAt",
        "SENDING": "发送中 A worker is calling the provider",
        "SENT": "已发送 Accepted by the provider",
        "FAILED": "发送失败 Given up after permanent failure or too many attempts; may be resent",
        "UNCERTAIN": "待核实 Interrupted mid-call: check the provider's console before resending",
    },
)
SmsTemplateEnum = described_enum(SmsTemplate, name="SmsTemplate", description="短信模板 SMS template", values={
    "TRAINING_OPENED": "网络培训开通通知 To a candidate: online training is open",
    "UNIT_REGISTERED": "单位注册通过通知 To a new unit's admin: approved, with login and initial password",
    "UNIT_REQUEST_APPROVED": "单位申请通过通知 To a unit's admin: request (e.g. rename) approved",
    "ADMIN_CHANGED": "管理员变更通过通知 To the new admin: login and initial password",
    "UNIT_REQUEST_REJECTED": "单位申请未通过通知 To the applicant: request rejected, with the reason",
    "REVIEW_REMINDER": "审核到期提醒 To a reviewer: registrations whose review falls due soon",
})


@strawberry.type(name="SmsMessage", description="一条短信（发件箱记录）An outbox SMS")
class SmsMessageType:
    id: strawberry.ID = strawberry.field(description="短信编号 Message id")
    phone: str = strawberry.field(description="手机号码（脱敏）Mobile number, masked")
    template: SmsTemplateEnum = strawberry.field(description="模板 Template")
    text: str = strawberry.field(description="短信内容（初始密码等以 ****** 显示）Text as sent, one-time passwords masked")
    status: SmsStatusEnum = strawberry.field(description="状态 Status")
    attempts: int = strawberry.field(description="已尝试发送次数 Provider calls so far")
    last_error: str | None = strawberry.field(description="最近一次失败或中断的原因 Why the last attempt failed")
    created_at: datetime = strawberry.field(description="创建时间 Queued at")
    next_attempt_at: datetime | None = strawberry.field(description="下次自动重试时间 Next automatic retry")
    sent_at: datetime | None = strawberry.field(description="发送成功时间 Accepted by the provider at")

    @classmethod
    def of(cls, m: SmsMessage) -> SmsMessageType:
        return cls(
            id=strawberry.ID(str(m.id)), phone=mask_phone(m.phone), template=SmsTemplate(m.template),
            text=render(m.template, m.params or {}, reveal_secrets=False), status=m.status, attempts=m.attempts,
            last_error=m.last_error, created_at=m.created_at, next_attempt_at=m.next_attempt_at,
            sent_at=m.sent_at,
        )


@strawberry.type(description="重新发送结果 Outcome of resendSmsMessage")
class SmsMessagePayload:
    sms_message: SmsMessageType | None = strawberry.field(default=None, description="短信 The message")
    errors: list[UserError] = strawberry.field(default_factory=list, description="错误 Errors")


@strawberry.type
class SmsQueries:
    @strawberry.field(description="短信发件箱（系统管理员），最新的在前 The SMS outbox for operators, newest first")
    def sms_messages(
        self,
        info: Info,
        status: Annotated[SmsStatusEnum | None, strawberry.argument(description="按状态筛选 Only this status")] = None,
        phone: Annotated[str | None, strawberry.argument(description="按完整手机号码筛选 Full mobile number")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[SmsMessageType]:
        user = require_user(info)
        page = service.list_sms_messages(
            info.context.session, user=user, status=status, phone=phone, first=first, after=after
        )
        return connection_from(page, SmsMessageType.of)


@strawberry.type
class SmsMutations:
    @strawberry.mutation(description="重新发送发送失败或待核实的短信（系统管理员）；待核实的短信请先到短信平台确认未发出 Resend a FAILED or UNCERTAIN SMS")
    def resend_sms_message(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="短信编号 Message id")],
    ) -> SmsMessagePayload:
        user = require_user(info)
        return perform(info, SmsMessagePayload, lambda s: SmsMessagePayload(sms_message=SmsMessageType.of(
            service.resend_sms_message(s, user=user, message_id=parse_id(id, what="短信"))
        )))

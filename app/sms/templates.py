"""SMS templates: a stable name, its parameters, and the Chinese text people receive."""

from __future__ import annotations

from enum import StrEnum


class SmsTemplate(StrEnum):
    TRAINING_OPENED = "TRAINING_OPENED"
    UNIT_REGISTERED = "UNIT_REGISTERED"
    UNIT_REQUEST_APPROVED = "UNIT_REQUEST_APPROVED"
    ADMIN_CHANGED = "ADMIN_CHANGED"
    UNIT_REQUEST_REJECTED = "UNIT_REQUEST_REJECTED"
    REVIEW_REMINDER = "REVIEW_REMINDER"


# Parameter names match what is registered with the providers' template systems.
TEXTS: dict[SmsTemplate, str] = {
    SmsTemplate.TRAINING_OPENED: "【广西行政执法培训】${name}您好，您报名的${session}网络学习培训已开通，请按单位通知登录“网络培训”模块参加学习。",
    SmsTemplate.UNIT_REGISTERED: "【广西行政执法培训】${unit}的单位注册已审核通过。管理员登录名：${username}，初始密码：${password}，首次登录后请立即修改密码。",
    SmsTemplate.UNIT_REQUEST_APPROVED: "【广西行政执法培训】${unit}的${kind}申请已审核通过。${detail}",
    SmsTemplate.ADMIN_CHANGED: "【广西行政执法培训】${unit}的管理员变更申请已审核通过。新管理员登录名：${username}，初始密码：${password}，首次登录后请立即修改密码。",
    SmsTemplate.UNIT_REQUEST_REJECTED: "【广西行政执法培训】${unit}的${kind}申请未通过审核，原因：${reason}。如有疑问请拨打服务咨询电话。",
    SmsTemplate.REVIEW_REMINDER: "【广西行政执法培训】您有${count}条报名信息将于${due}前到期，请及时登录系统完成审核。",
}


# Parameters that are secrets (one-time passwords): masked wherever operators read messages.
SECRET_PARAMS = frozenset({"password"})
MASK = "******"


def render(template: SmsTemplate | str, params: dict[str, str], *, reveal_secrets: bool = True) -> str:
    from string import Template

    shown = {k: (MASK if k in SECRET_PARAMS and not reveal_secrets else str(v)) for k, v in params.items()}
    return Template(TEXTS[SmsTemplate(template)]).safe_substitute(shown)


"""Submission, two-level review, rollback and training opening."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from app import downloads
from app.reviews import export, service
from app.reviews.service import Outcome
from schema.common import SessionId, parse_id
from schema.errors import UserError, perform, require_user
from schema.registrations import RegistrationPayload
from schema.types import RegistrationType


@strawberry.enum(description="审核决定 Review decision")
class ReviewDecision(Enum):
    APPROVE = strawberry.enum_value("APPROVE", description="通过 Approve")
    REJECT = strawberry.enum_value("REJECT", description="退回（须填写原因）Return to the unit (comment required)")


@strawberry.type(description="批量操作中一条记录的结果 Outcome for one record of a batch")
class BatchResult:
    id: strawberry.ID = strawberry.field(description="报名编号 Registration id")
    ok: bool = strawberry.field(description="是否成功 Succeeded")
    errors: list[UserError] = strawberry.field(description="该记录的问题 Why it did not")


@strawberry.type(description="批量操作结果：每条记录各自成功或失败 Batch outcome, per record")
class BatchPayload:
    results: list[BatchResult] = strawberry.field(default_factory=list, description="逐条结果 Per record")
    errors: list[UserError] = strawberry.field(default_factory=list, description="整体错误 Errors for the whole call")


@strawberry.type(description="下载链接 A short-lived download link")
class DownloadPayload:
    url: str | None = strawberry.field(default=None, description="下载地址（10分钟内有效）Link, valid 10 minutes")
    errors: list[UserError] = strawberry.field(default_factory=list, description="错误 Errors")


RegistrationIds = Annotated[list[strawberry.ID], strawberry.argument(
    description="报名编号（一次最多500条）Registration ids, at most 500 per call")]
RegistrationId = Annotated[strawberry.ID, strawberry.argument(description="报名编号 Registration id")]


def _batch(outcomes: list[Outcome]) -> BatchPayload:
    return BatchPayload(results=[
        BatchResult(id=strawberry.ID(str(o.id)), ok=o.ok,
                    errors=[UserError(code=p.code, field=p.field, message=p.message) for p in o.problems])
        for o in outcomes
    ])


def _ids(ids: list[strawberry.ID]) -> list[int]:
    # An id that cannot exist is reported per record like any unknown id.
    return [parse_id(i) if str(i).strip().isdigit() and len(str(i).strip()) <= 18 else 0 for i in ids]


@strawberry.type
class ReviewMutations:
    @strawberry.mutation(description="提交报名信息（单位管理员）；每条记录各自成功或列出所有不能提交的原因 Submit")
    def submit_registrations(self, info: Info, ids: RegistrationIds) -> BatchPayload:
        user = require_user(info)
        return perform(info, BatchPayload,
                       lambda s: _batch(service.submit_registrations(s, user=user, ids=_ids(ids))))

    @strawberry.mutation(description="审核报名信息（初审或终审，按审核员所在环节）；退回须填写原因 Review in batch")
    def review_registrations(
        self, info: Info, ids: RegistrationIds,
        decision: Annotated[ReviewDecision, strawberry.argument(description="审核决定 Approve or return")],
        comment: Annotated[str | None, strawberry.argument(
            description="审核意见；退回时必填，单位管理员据此修改 Comment; required when returning")] = None,
    ) -> BatchPayload:
        user = require_user(info)
        return perform(info, BatchPayload, lambda s: _batch(service.review_registrations(
            s, user=user, ids=_ids(ids), approve=decision == ReviewDecision.APPROVE, comment=comment)))

    @strawberry.mutation(description="申请回退已终审通过的报名信息（每条仅一次）Ask for a rollback")
    def request_rollback(
        self, info: Info, id: RegistrationId,
        reason: Annotated[str, strawberry.argument(description="回退原因（要修改什么）Why the record must change")],
    ) -> RegistrationPayload:
        user = require_user(info)
        return perform(info, RegistrationPayload, lambda s: RegistrationPayload(registration=RegistrationType.of(
            service.request_rollback(s, user=user, registration_id=parse_id(id), reason=reason), full=True)))

    @strawberry.mutation(description="终审审核员处理回退申请 Decide a rollback (final reviewer)")
    def decide_rollback(
        self, info: Info, id: RegistrationId,
        approve: Annotated[bool, strawberry.argument(
            description="是否同意回退；同意则退回单位修改 true grants the rollback (record returned to the unit)")],
        comment: Annotated[str | None, strawberry.argument(
            description="处理意见；不同意时必填 Comment; required when denying")] = None,
    ) -> RegistrationPayload:
        user = require_user(info)
        return perform(info, RegistrationPayload, lambda s: RegistrationPayload(registration=RegistrationType.of(
            service.decide_rollback(s, user=user, registration_id=parse_id(id), approve=approve, comment=comment),
            full=True)))

    @strawberry.mutation(description="开通网络培训并短信通知考生（培训机构）Open online training")
    def open_training(self, info: Info, ids: RegistrationIds) -> BatchPayload:
        user = require_user(info)
        return perform(info, BatchPayload, lambda s: _batch(service.open_training(s, user=user, ids=_ids(ids))))

    @strawberry.mutation(description="导出终审通过名单（xlsx，培训机构）Export approved candidates")
    def export_training_candidates(self, info: Info, session_id: SessionId) -> DownloadPayload:
        user = require_user(info)

        def work(session):  # noqa: ANN001, ANN202
            params = {"session_id": parse_id(session_id, what="考试批次", field="sessionId")}
            export.authorize(session, user, params["session_id"])
            return DownloadPayload(url=downloads.export_link(
                session, info.context.settings, kind=export.KIND, user=user, params=params,
                target=("exam_session", params["session_id"])))

        return perform(info, DownloadPayload, work)

"""Background jobs: status and progress."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from app import downloads, health
from app.errors import AppError
from app.imports.downloads import REPORT_KIND
from app.jobs import Job, get_visible_job
from schema.common import parse_id
from schema.errors import UserError, perform, require_user
from schema.types import JobType


@strawberry.type(description="任务结果 Outcome of a mutation that starts a job")
class JobPayload:
    job: JobType | None = strawberry.field(default=None, description="任务 The job")
    errors: list[UserError] = strawberry.field(default_factory=list, description="错误 Errors")


def job_type(info: Info, job: Job) -> JobType:
    """The GraphQL job, with a fresh signed link to its error report when it has one."""
    url = None
    if job.error_report_key:
        url = downloads.link(info.context.settings.secret_key, kind=REPORT_KIND, user_id=info.context.user.id,
                             params={"job_id": job.id})
    return JobType.of(job, error_report_url=url)


@strawberry.type
class JobQueries:
    @strawberry.field(description="后台任务的状态和进度；无权查看时返回 null A job's status and progress")
    def job(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="任务编号 Job id")],
    ) -> JobType | None:
        user = require_user(info)
        try:
            return job_type(info, get_visible_job(info.context.session, user=user, job_id=parse_id(id)))
        except AppError:
            return None


@strawberry.type
class JobMutations:
    @strawberry.mutation(description="检查后台任务队列是否正常（系统管理员）Queue a no-op job to check the workers")
    def request_health_check(self, info: Info) -> JobPayload:
        user = require_user(info)
        return perform(info, JobPayload, lambda s: JobPayload(job=JobType.of(health.request_health_check(s, user=user))))

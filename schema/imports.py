"""Spreadsheet import: the template, the upload, and live progress of the job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.file_uploads import Upload
from strawberry.types import Info

from app.errors import AppError
from app.imports import service
from app.imports.service import ExistingRecords, ImportPolicy
from app.jobs import JobStatus, get_visible_job
from app.storage import storage_for
from schema.common import described_enum, parse_id
from schema.errors import require_user
from schema.jobs import JobPayload, job_type
from schema.types import JobType
from schema.uploads import perform_upload

TEMPLATE_URL = "/template.xlsx"
POLL_SECONDS = 0.5

ImportPolicyEnum = described_enum(
    ImportPolicy, name="ImportPolicy",
    description="导入方式 VALIDATE_ONLY 仅检查不写入 / REJECT_EVERYTHING 全部正确才导入（默认）/ IMPORT_VALID_ROWS 导入正确的行",
    values={
        "VALIDATE_ONLY": "仅检查不写入 Dry run: report every problem, write nothing",
        "REJECT_EVERYTHING": "全部正确才导入（默认）Write nothing if any row is bad (default)",
        "IMPORT_VALID_ROWS": "导入正确的行 Write the good rows, report the bad ones",
    })
ExistingRecordsEnum = described_enum(
    ExistingRecords, name="ExistingRecords",
    description="本单位已报名的人员 SKIP 跳过（默认）/ UPDATE 用表中数据更新", values={
        "SKIP": "跳过（默认）Leave candidates the unit already registered as they are (default)",
        "UPDATE": "用表中数据更新 Update them from the file",
    })


@strawberry.type
class ImportQueries:
    @strawberry.field(description="报名信息表模板的下载地址（无需登录）Where to download the import template")
    def import_template_url(self) -> str:
        return TEMPLATE_URL


@strawberry.type
class ImportMutations:
    @strawberry.mutation(description="导入报名信息表（单位管理员）：立即返回任务，后台逐行检查并导入 Import the template")
    def import_registrations(
        self,
        info: Info,
        session_id: Annotated[strawberry.ID, strawberry.argument(description="考试批次编号 Exam session id")],
        file: Annotated[Upload, strawberry.argument(
            description="填好的报名信息表（系统下载的 .xlsx 模板）The filled-in official .xlsx template")],
        policy: Annotated[ImportPolicyEnum, strawberry.argument(
            description="导入方式 What to do when some rows are bad")] = ImportPolicy.REJECT_EVERYTHING,
        on_existing: Annotated[ExistingRecordsEnum, strawberry.argument(
            description="本单位已报名的人员如何处理 What to do with candidates already registered")] = ExistingRecords.SKIP,
    ) -> JobPayload:
        user = require_user(info)
        storage = storage_for(info.context.settings)

        def work(session, received):  # noqa: ANN001, ANN202
            job = service.request_import(
                session, storage=storage, user=user,
                session_id=parse_id(session_id, what="考试批次", field="sessionId"),
                data=received.data, file_name=received.filename, policy=ImportPolicy(policy),
                on_existing=ExistingRecords(on_existing))
            return JobPayload(job=job_type(info, job))

        return perform_upload(info, JobPayload, file, max_bytes=service.MAX_UPLOAD_BYTES, work=work)


@strawberry.type(description="订阅（graphql-transport-ws）Subscriptions over graphql-transport-ws")
class JobSubscriptions:
    @strawberry.subscription(description="后台任务进度（graphql-transport-ws）：每次变化推送一次，完成后结束 Live job progress")
    async def job_progress(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="任务编号 Job id")],
    ) -> AsyncGenerator[JobType, None]:
        user = require_user(info)
        info.context.close()  # no transaction stays open while the subscription lives; each poll opens its own
        try:
            job_id = parse_id(id, what="任务")
        except AppError as error:
            raise GraphQLError(error.message, extensions={"code": error.code.value}) from error
        database = info.context.database
        last = None
        while True:
            with database.session() as session:
                try:
                    job = get_visible_job(session, user=user, job_id=job_id)
                except AppError as error:  # subscriptions do not pass through the error shaping
                    raise GraphQLError(error.message, extensions={"code": error.code.value}) from error
                state = (job.status, job.processed, job.total)
                if state != last:
                    yield job_type(info, job)
                    last = state
            if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
                return
            await asyncio.sleep(POLL_SECONDS)

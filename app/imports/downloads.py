"""The template and the error workbooks as downloads."""

from __future__ import annotations

from sqlmodel import Session

from app.accounts.models import User
from app.downloads import BUILDERS, Download
from app.errors import NotFound
from app.imports.template import TITLE, template_bytes
from app.jobs import get_visible_job
from app.settings import Settings
from app.storage import storage_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_KIND = "import-report"


def template_download() -> Download:
    return Download(f"{TITLE}.xlsx", template_bytes(), XLSX)


def error_report(session: Session, user: User, params: dict, settings: Settings) -> Download:
    job = get_visible_job(session, user=user, job_id=int(params["job_id"]))
    if not job.error_report_key:
        raise NotFound("错误报告")
    name = (job.input_name or "报名信息表.xlsx").removesuffix(".xlsx")
    return Download(f"{name}-错误报告.xlsx", storage_for(settings).read(job.error_report_key), XLSX)


BUILDERS[REPORT_KIND] = error_report

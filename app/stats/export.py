"""The statistics as an .xlsx download: a sheet per grouping, Chinese headers, a totals row."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlmodel import Session

from app.accounts.models import User
from app.downloads import BUILDERS, Download
from app.exams.service import get_exam_session
from app.registrations.choices import EXAM_TYPE_LABELS, GENDER_LABELS, PERSONNEL_NATURE_LABELS
from app.registrations.models import RegistrationStatus
from app.registrations.service import RegistrationFilter, listed_conditions
from app.registrations.workflow import STATUS_LABELS
from app.settings import Settings
from app.spreadsheets import sheets_bytes
from app.stats.service import Dimension, Figures, GroupKey, Statistics, statistics
from app.units.models import UnitLevel
from app.units.service import LEVEL_LABELS

KIND = "statistics"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DIMENSION_LABELS: dict[Dimension, str] = {
    Dimension.CITY: "设区的市", Dimension.COUNTY: "县（市、区）", Dimension.UNIT: "单位",
    Dimension.UNIT_LEVEL: "单位层级", Dimension.STATUS: "状态", Dimension.EXAM_TYPE: "报考类型",
    Dimension.ENFORCEMENT_FIELD: "执法门类", Dimension.PERSONNEL_NATURE: "人员性质", Dimension.GENDER: "性别",
    Dimension.EDUCATION: "学历", Dimension.SUBMISSION_DAY: "提交日期",
}
FIGURE_LABELS: dict[str, str] = {
    "count": "报名人数", "pending_initial": "待初审", "pending_final": "待终审", "rollback_requested": "回退申请中",
    "overdue": "审核超期", "returned": "已退回", "approved": "终审通过", "training_opened": "已开通培训",
    "photo_missing_or_rejected": "照片缺失或不合格", "finished_reviews": "已办结审核次数",
    "review_hours_median": "审核用时中位数（工作小时）", "review_hours_p90": "审核用时第90百分位（工作小时）",
}
NOT_APPLICABLE = "（无）"


def check(session: Session, *, user: User, session_id: int, filter: RegistrationFilter) -> None:
    """Refuse a link now for what the download would refuse: an unknown session, a bad filter."""
    get_exam_session(session, session_id)
    listed_conditions(user=user, session_id=session_id, filter=filter)


def params_of(*, session_id: int, group_by: list[Dimension], filter: RegistrationFilter) -> dict:
    """What the signed link carries: enough to compute the same statistics again."""
    return {
        "session_id": session_id, "group_by": [d.value for d in group_by],
        "filter": {"statuses": [s.value for s in filter.statuses], "unit_id": filter.unit_id,
                   "exam_type": filter.exam_type.value if filter.exam_type else None, "search": filter.search,
                   "awaiting_my_review": filter.awaiting_my_review, "overdue": filter.overdue},
    }


def _filter_of(raw: dict) -> RegistrationFilter:
    from app.registrations.models import ExamType

    return RegistrationFilter(
        statuses=tuple(RegistrationStatus(s) for s in raw["statuses"]), unit_id=raw["unit_id"],
        exam_type=ExamType(raw["exam_type"]) if raw["exam_type"] else None, search=raw["search"],
        awaiting_my_review=raw["awaiting_my_review"], overdue=raw["overdue"],
    )


def groupings(group_by: list[Dimension]) -> list[tuple[Dimension, ...]]:
    """The combination asked for, then each of its dimensions alone (once when there is one)."""
    combined = tuple(dict.fromkeys(group_by))
    singles = [(d,) for d in combined] if len(combined) > 1 else []
    return [combined, *singles]


def statistics_workbook(session: Session, user: User, params: dict, settings: Settings) -> Download:
    exam = get_exam_session(session, int(params["session_id"]))
    group_by = [Dimension(d) for d in params["group_by"]]
    filter = _filter_of(params["filter"])
    sheets = []
    for grouping in groupings(group_by):
        result = statistics(session, user=user, session_id=exam.id, group_by=list(grouping), filter=filter)
        sheets.append(_sheet(result))
    return Download(f"{exam.name}-报名统计.xlsx", sheets_bytes(sheets), XLSX)


def _sheet(result: Statistics) -> tuple[str, list[str], list[list[Any]], list[int]]:
    names = [f.name for f in fields(Figures)]
    title = "按" + "、".join(DIMENSION_LABELS[d] for d in result.group_by) if result.group_by else "合计"
    headers = [DIMENSION_LABELS[d] for d in result.group_by] + [FIGURE_LABELS[n] for n in names]
    rows = [[_shown(d, row.key) for d in result.group_by] + [getattr(row.figures, n) for n in names]
            for row in result.rows]
    totals = ["合计"] + [""] * (len(result.group_by) - 1) if result.group_by else ["合计"]
    headers = headers if result.group_by else ["", *headers]
    rows.append(totals + [getattr(result.total, n) for n in names])
    widths = [36 if d == Dimension.UNIT else 16 for d in result.group_by] or [10]
    return title[:31], headers, rows, widths + [12 if len(FIGURE_LABELS[n]) <= 6 else 22 for n in names]


def _shown(dimension: Dimension, key: GroupKey) -> Any:
    value: Any
    match dimension:
        case Dimension.CITY:
            value = key.city
        case Dimension.COUNTY:
            value = key.county
        case Dimension.UNIT:
            value = key.unit
        case Dimension.UNIT_LEVEL:
            value = LEVEL_LABELS[UnitLevel(key.unit_level)] if key.unit_level else None
        case Dimension.STATUS:
            value = STATUS_LABELS[RegistrationStatus(key.status)] if key.status else None
        case Dimension.EXAM_TYPE:
            value = EXAM_TYPE_LABELS.get(key.exam_type)
        case Dimension.PERSONNEL_NATURE:
            value = PERSONNEL_NATURE_LABELS.get(key.personnel_nature)
        case Dimension.GENDER:
            value = GENDER_LABELS.get(key.gender)
        case Dimension.ENFORCEMENT_FIELD:
            value = key.enforcement_field
        case Dimension.EDUCATION:
            value = key.education
        case Dimension.SUBMISSION_DAY:
            value = key.submission_day.isoformat() if key.submission_day else None
    return NOT_APPLICABLE if value is None else value


BUILDERS[KIND] = statistics_workbook

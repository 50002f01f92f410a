"""Statistics for dashboards: figures grouped by dimensions, and their .xlsx export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from app import downloads
from app.stats import export, service
from schema.common import SessionId, described_enum, parse_id
from schema.errors import perform, require_user
from schema.registrations import RegistrationFilterInput, _filter
from schema.reviews import DownloadPayload
from schema.types import ExamTypeEnum, GenderEnum, PersonnelNatureEnum, StatusEnum, UnitLevelEnum

StatisticsDimensionEnum = described_enum(
    service.Dimension, name="StatisticsDimension",
    description="统计维度 CITY 设区的市 / COUNTY 县（市、区）/ UNIT 单位 / UNIT_LEVEL 单位层级 / STATUS 状态 / "
                "EXAM_TYPE 报考类型 / ENFORCEMENT_FIELD 执法门类 / PERSONNEL_NATURE 人员性质 / GENDER 性别 / "
                "EDUCATION 学历 / SUBMISSION_DAY 提交日期（北京时间）Grouping dimension",
    values={
        "CITY": "设区的市 City of the unit (null for region-level units)",
        "COUNTY": "县（市、区）County of the unit (county-level units only)",
        "UNIT": "单位 Unit",
        "UNIT_LEVEL": "单位层级 Unit level",
        "STATUS": "报名状态 Registration state",
        "EXAM_TYPE": "报考类型 Exam type",
        "ENFORCEMENT_FIELD": "执法门类 Enforcement field",
        "PERSONNEL_NATURE": "人员性质 Personnel nature",
        "GENDER": "性别 Gender",
        "EDUCATION": "学历 Education",
        "SUBMISSION_DAY": "提交日期（北京时间）Day of submission, China time",
    },
)

GroupBy = Annotated[list[StatisticsDimensionEnum], strawberry.argument(
    description="分组维度，按所列顺序组合 Dimensions to group by, in the order given; empty: one ungrouped row")]
StatisticsFilter = Annotated[RegistrationFilterInput | None, strawberry.argument(
    description="筛选条件，与报名列表相同 The same filter as the registrations list")]


@strawberry.type(description="统计分组中的单位 A unit in a statistics key")
class StatisticsUnit:
    id: strawberry.ID = strawberry.field(description="单位编号 Unit id")
    name: str = strawberry.field(description="单位名称 Name")


@strawberry.type(description="分组键：只有所选维度有值；不适用时为 null（如自治区、市直单位无县） Group key")
class StatisticsKey:
    city_code: str | None = strawberry.field(default=None, description="设区的市代码 City code")
    city: str | None = strawberry.field(default=None, description="设区的市 City (none for region-level units)")
    county_code: str | None = strawberry.field(default=None, description="县（市、区）代码 County code")
    county: str | None = strawberry.field(default=None, description="县（市、区）County (county-level units only)")
    unit: StatisticsUnit | None = strawberry.field(default=None, description="单位 Unit")
    unit_level: UnitLevelEnum | None = strawberry.field(default=None, description="单位层级 Unit level")
    status: StatusEnum | None = strawberry.field(default=None, description="状态 State")
    exam_type: ExamTypeEnum | None = strawberry.field(default=None, description="报考类型 Exam type")
    enforcement_field: str | None = strawberry.field(default=None, description="执法门类 Enforcement field")
    personnel_nature: PersonnelNatureEnum | None = strawberry.field(default=None, description="人员性质 Nature")
    gender: GenderEnum | None = strawberry.field(default=None, description="性别 Gender")
    education: str | None = strawberry.field(default=None, description="学历 Education")
    submission_day: date | None = strawberry.field(default=None, description="提交日期（北京时间）Day submitted, China time")

    @classmethod
    def of(cls, key: service.GroupKey) -> StatisticsKey:
        return cls(
            city_code=key.city_code, city=key.city, county_code=key.county_code, county=key.county,
            unit=StatisticsUnit(id=strawberry.ID(str(key.unit_id)), name=key.unit) if key.unit_id else None,
            unit_level=key.unit_level, status=key.status, exam_type=key.exam_type,
            enforcement_field=key.enforcement_field, personnel_nature=key.personnel_nature, gender=key.gender,
            education=key.education, submission_day=key.submission_day,
        )


@strawberry.type(description="一组的统计数 Figures of one group")
class StatisticsFigures:
    count: int = strawberry.field(description="报名人数 Registrations")
    pending_initial: int = strawberry.field(description="待初审 Awaiting initial review")
    pending_final: int = strawberry.field(description="待终审 Awaiting final review")
    rollback_requested: int = strawberry.field(description="回退申请中 Rollback requested")
    overdue: int = strawberry.field(description="审核超期（已过审核期限仍未处理）Reviews past their deadline")
    returned: int = strawberry.field(description="已退回 Returned")
    approved: int = strawberry.field(description="终审通过 Approved")
    training_opened: int = strawberry.field(description="已开通培训 Training opened")
    photo_missing_or_rejected: int = strawberry.field(description="照片未上传或不合格 Photo missing or rejected")
    finished_reviews: int = strawberry.field(
        description="已办结审核次数：从提交到终审通过或退回的审核，下面两项审核用时据此计算 "
                    "Finished reviews (submission to final approval or return) the review times are taken from")
    review_hours_median: float | None = strawberry.field(
        description="审核用时中位数（工作小时）：自提交至终审通过或退回，只计北京时间工作日内的小时，"
                    "取最近秩（nearest-rank）中位数；无已办结审核时为 null "
                    "Median review time in working hours (China working days only, nearest rank)")
    review_hours_p90: float | None = strawberry.field(
        description="审核用时第90百分位（工作小时），最近秩定义；无已办结审核时为 null "
                    "90th-percentile review time in working hours (nearest rank)")

    @classmethod
    def of(cls, figures: service.Figures) -> StatisticsFigures:
        return cls(**vars(figures))


@strawberry.type(description="统计的一行 One group")
class StatisticsRow:
    key: StatisticsKey = strawberry.field(description="分组键 Group key")
    figures: StatisticsFigures = strawberry.field(description="统计数 Figures")


@strawberry.type(description="报名统计（与同一筛选条件下的报名列表一致）Statistics, agreeing with the list")
class StatisticsResult:
    group_by: list[StatisticsDimensionEnum] = strawberry.field(description="分组维度 Dimensions")
    rows: list[StatisticsRow] = strawberry.field(description="各组 Groups")
    total: StatisticsFigures = strawberry.field(description="合计 Totals")


REVIEW_TIME_FIELDS = {"finishedReviews", "reviewHoursMedian", "reviewHoursP90"}


def _asks_review_times(info: Info) -> bool:
    """The review times take a second, heavier query: it runs only when the request selects them."""
    def names(selections: list) -> Iterator[str | None]:
        for selection in selections:
            yield getattr(selection, "name", None)
            yield from names(getattr(selection, "selections", None) or [])

    return any(name in REVIEW_TIME_FIELDS for name in names(info.selected_fields))


def _dimensions(group_by: list[service.Dimension]) -> list[service.Dimension]:
    return [service.Dimension(d) for d in group_by]


@strawberry.type
class StatisticsQueries:
    @strawberry.field(description="报名统计：按所选维度分组，只统计本人管辖范围内的报名 Statistics in the caller's jurisdiction")
    def statistics(
        self, info: Info, session_id: SessionId, group_by: GroupBy, filter: StatisticsFilter = None,
    ) -> StatisticsResult:
        user = require_user(info)
        result = service.statistics(
            info.context.session, user=user, session_id=parse_id(session_id, what="考试批次", field="sessionId"),
            group_by=_dimensions(group_by), filter=_filter(filter), with_review_times=_asks_review_times(info),
        )
        return StatisticsResult(
            group_by=list(result.group_by),
            rows=[StatisticsRow(key=StatisticsKey.of(r.key), figures=StatisticsFigures.of(r.figures))
                  for r in result.rows],
            total=StatisticsFigures.of(result.total),
        )


@strawberry.type
class StatisticsMutations:
    @strawberry.mutation(description="导出报名统计（xlsx，每种分组一张工作表）Export statistics as xlsx")
    def export_statistics(
        self, info: Info, session_id: SessionId, group_by: GroupBy, filter: StatisticsFilter = None,
    ) -> DownloadPayload:
        user = require_user(info)

        def work(session):  # noqa: ANN001, ANN202
            exam_id = parse_id(session_id, what="考试批次", field="sessionId")
            dimensions, chosen = _dimensions(group_by), _filter(filter)
            export.check(session, user=user, session_id=exam_id, filter=chosen)
            params = export.params_of(session_id=exam_id, group_by=dimensions, filter=chosen)
            return DownloadPayload(url=downloads.export_link(
                session, info.context.settings, kind=export.KIND, user=user, params=params,
                target=("exam_session", exam_id)))

        return perform(info, DownloadPayload, work)

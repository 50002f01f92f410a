"""GraphQL object types mapped from entities (plain attributes: no per-field work)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from app.accounts.models import Role, User
from app.clock import now
from app.contacts.models import ServiceContact
from app.divisions.models import Division, DivisionLevel
from app.exams.models import ExamSession
from app.jobs import Job, JobKind, JobStatus
from app.registrations.masking import mask_id_number, mask_personal_numbers, mask_phone
from app.registrations.models import ExamType, Gender, PersonnelNature, Registration, RegistrationStatus
from app.registrations.service import is_overdue
from app.reviews.models import ReviewAction, ReviewActionKind
from app.unit_requests.models import UnitRequest, UnitRequestKind, UnitRequestStatus
from app.units.models import Unit, UnitLevel
from schema.common import described_enum
from schema.document_types import PhotoBatchItem, PhotoType
from schema.errors import ErrorCodeEnum

RoleEnum = described_enum(Role, name="Role", description="角色 Account role", values={
    "UNIT_ADMIN": "单位管理员 Unit administrator: registers the unit's candidates",
    "COUNTY_REVIEWER": "县（市、区）司法局审核员 County justice bureau: initial review of county units",
    "CITY_REVIEWER": "设区的市司法局审核员 City justice bureau: final review of county and city units",
    "DEPT_REVIEWER": "主管部门审核员（自治区有关单位、市直主管部门）Department: initial review of its own units",
    "REGION_REVIEWER": "自治区司法厅审核员 Regional justice department: final review of region-level units",
    "TRAINING_OPERATOR": "培训机构 Training operator: opens online training",
    "SUPERADMIN": "系统管理员 Operator: sessions, units, accounts, unit requests",
})
DivisionLevelEnum = described_enum(DivisionLevel, name="DivisionLevel", description="区划级别 Division level", values={
    "REGION": "自治区 The region (广西壮族自治区)",
    "CITY": "设区的市 City",
    "COUNTY": "县（县级市、区）County-level division",
})
UnitLevelEnum = described_enum(
    UnitLevel, name="UnitLevel",
    description="单位层级 REGION 自治区有关单位 / CITY 市直单位 / COUNTY 县（市、区）单位", values={
        "REGION": "自治区有关单位 Region-level unit: department initial review, 自治区司法厅 final review",
        "CITY": "市直单位 City-level unit: department (or city justice bureau) initial, city justice bureau final",
        "COUNTY": "县（市、区）单位 County-level unit: county justice bureau initial, city justice bureau final",
    })
StatusEnum = described_enum(RegistrationStatus, name="RegistrationStatus", description="报名状态 Registration state",
                            values={
    "DRAFT": "未提交 Draft, not yet submitted",
    "PENDING_INITIAL": "待初审（显示为待审核）Awaiting initial review; the unit admin may still edit",
    "PENDING_FINAL": "待终审（显示为待审核）Awaiting final review; an edit sends it back to initial review",
    "RETURNED": "已退回 Returned to the unit: edit and submit again",
    "APPROVED": "终审通过 Finally approved",
    "ROLLBACK_REQUESTED": "回退申请中 Rollback requested, awaiting the final reviewer",
    "TRAINING_OPENED": "已开通网络培训 Online training opened; no further changes",
})
GenderEnum = described_enum(Gender, name="Gender", description="性别 MALE 男 / FEMALE 女", values={
    "MALE": "男 Male", "FEMALE": "女 Female",
})
ExamTypeEnum = described_enum(ExamType, name="ExamType", description="报考类型 QUALIFICATION 资格考试 / RENEWAL 续职考试",
                              values={
    "QUALIFICATION": "资格考试 Qualification exam (first certificate)",
    "RENEWAL": "续职考试 Renewal exam; needs the previous certificate number (原执法证号)",
})
PersonnelNatureEnum = described_enum(PersonnelNature, name="PersonnelNature",
                                     description="人员性质 STAFF 在编在职 / ENTRUSTED 受委托", values={
    "STAFF": "在编在职 On the unit's establishment and in post",
    "ENTRUSTED": "受委托 Entrusted to enforce; the unit must upload a delegation letter (委托书)",
})
ReviewActionKindEnum = described_enum(ReviewActionKind, name="ReviewActionKind",
                                      description="操作 What was done to a registration", values={
    "CREATE": "新增 Created",
    "EDIT": "修改 Edited",
    "SUBMIT": "提交 Submitted for review",
    "APPROVE": "审核通过 Approved at a review stage",
    "REJECT": "退回 Returned to the unit",
    "REQUEST_ROLLBACK": "申请回退 Rollback requested",
    "GRANT_ROLLBACK": "同意回退 Rollback granted",
    "DENY_ROLLBACK": "不同意回退 Rollback denied",
    "OPEN_TRAINING": "开通网络培训 Online training opened",
})
JobKindEnum = described_enum(JobKind, name="JobKind", description="任务类型 Background job kind", values={
    "HEALTH_CHECK": "任务队列检查 No-op job that checks the workers",
    "REGISTRATION_IMPORT": "导入报名信息表 Spreadsheet import",
    "PHOTO_BATCH": "批量上传电子照片 Photo batch",
    "PDF_CHECK": "证明材料检查 Proof PDF check",
})
JobStatusEnum = described_enum(JobStatus, name="JobStatus", description="任务状态 QUEUED / RUNNING / SUCCEEDED / FAILED",
                               values={
    "QUEUED": "排队中 Waiting for a worker",
    "RUNNING": "处理中 Running; see processed / total",
    "SUCCEEDED": "已完成 Finished (row problems, if any, are in rowErrors)",
    "FAILED": "失败 Failed; see error",
})


@strawberry.type(name="Division", description="行政区划 A GB/T 2260 division")
class DivisionType:
    code: str = strawberry.field(description="区划代码 GB/T 2260 code")
    name: str = strawberry.field(description="名称 Name")
    level: DivisionLevelEnum = strawberry.field(description="级别 Level")
    parent_code: str | None = strawberry.field(description="上级区划代码 Parent code")

    @classmethod
    def of(cls, d: Division) -> DivisionType:
        return cls(code=d.code, name=d.name, level=d.level, parent_code=d.parent_code)


@strawberry.type(name="Unit", description="执法单位 A law-enforcement unit")
class UnitType:
    id: strawberry.ID = strawberry.field(description="单位编号 Unit id")
    name: str = strawberry.field(description="单位名称 Name")
    credit_code: str = strawberry.field(description="统一社会信用代码 Unified social credit code")
    level: UnitLevelEnum = strawberry.field(description="单位层级 Level")
    division_code: str = strawberry.field(description="所在行政区划代码 Division code")
    city_code: str | None = strawberry.field(description="所在设区的市代码 City code (none for region-level units)")
    supervisor_id: strawberry.ID | None = strawberry.field(description="初审主管部门的单位编号 Supervising department")
    is_department: bool = strawberry.field(description="是否为负责初审的主管部门 Reviews its own subordinate units")

    @classmethod
    def of(cls, u: Unit) -> UnitType:
        return cls(
            id=strawberry.ID(str(u.id)), name=u.name, credit_code=u.credit_code, level=u.level,
            division_code=u.division_code, city_code=u.city_code,
            supervisor_id=strawberry.ID(str(u.supervisor_id)) if u.supervisor_id else None,
            is_department=u.is_department,
        )


@strawberry.type(name="User", description="账号 An account")
class UserType:
    id: strawberry.ID = strawberry.field(description="账号编号 Account id")
    username: str = strawberry.field(description="用户名（单位管理员为姓名+出生年月日）Username")
    role: RoleEnum = strawberry.field(description="角色 Role")
    name: str = strawberry.field(description="姓名 Name")
    must_change_password: bool = strawberry.field(description="是否须先修改初始密码 Must change the initial password first")
    division_code: str | None = strawberry.field(description="负责的行政区划 Division the account is bound to")
    mobile: str | None = strawberry.field(description="手机号码（接收短信）Mobile for SMS")
    office_phone: str | None = strawberry.field(description="办公电话 Office phone")
    email: str | None = strawberry.field(description="电子邮箱 Email")
    birth_date: date | None = strawberry.field(description="出生日期 Birth date")
    id_number: str | None = strawberry.field(description="身份证号码（脱敏）ID number, masked")
    unit_id: strawberry.Private[int | None]

    @strawberry.field(description="所属单位 Unit the account belongs to")
    def unit(self, info: Info) -> UnitType | None:
        if self.unit_id is None:
            return None
        unit = info.context.loaders.unit.load(self.unit_id)
        return UnitType.of(unit) if unit else None

    @classmethod
    def of(cls, u: User) -> UserType:
        return cls(
            id=strawberry.ID(str(u.id)), username=u.username, role=u.role, name=u.name,
            must_change_password=u.must_change_password, division_code=u.division_code,
            mobile=u.mobile, office_phone=u.office_phone, email=u.email, birth_date=u.birth_date,
            id_number=mask_id_number(u.id_number) if u.id_number else None, unit_id=u.unit_id,
        )


@strawberry.type(name="Actor", description="操作人 Who acted")
class ActorType:
    username: str = strawberry.field(description="用户名 Username")
    name: str = strawberry.field(description="姓名 Name")
    role: RoleEnum = strawberry.field(description="角色 Role")


@strawberry.type(name="ReviewAction", description="办理记录 One step in a registration's history")
class ReviewActionType:
    action: ReviewActionKindEnum = strawberry.field(description="操作 What was done")
    from_status: StatusEnum | None = strawberry.field(description="原状态 State before")
    to_status: StatusEnum = strawberry.field(description="新状态 State after")
    comment: str | None = strawberry.field(description="意见 Comment or reason")
    at: datetime = strawberry.field(description="时间 When")
    actor_role: RoleEnum | None = strawberry.field(description="操作时的角色 The actor's role at the time")
    actor_id: strawberry.Private[int | None]

    @strawberry.field(description="操作人 Who acted")
    def actor(self, info: Info) -> ActorType | None:
        if self.actor_id is None:
            return None
        user = info.context.loaders.user.load(self.actor_id)
        return ActorType(username=user.username, name=user.name, role=user.role) if user else None

    @classmethod
    def of(cls, a: ReviewAction) -> ReviewActionType:
        return cls(action=a.action, from_status=a.from_status, to_status=a.to_status, comment=a.comment,
                   at=a.at, actor_role=Role(a.actor_role) if a.actor_role else None, actor_id=a.actor_id)


@strawberry.type(name="UnitRef", description="单位（简要）A unit's id and name")
class UnitRef:
    id: strawberry.ID = strawberry.field(description="单位编号 Unit id")
    name: str = strawberry.field(description="单位名称 Unit name")


@strawberry.type(description="提交前须处理的事项 One thing that blocks submission")
class Blocker:
    code: ErrorCodeEnum = strawberry.field(description="错误代码 Error code, e.g. PHOTO_MISSING, ATTACHMENT_MISSING")
    field: str | None = strawberry.field(description="相关字段 Field concerned")
    message: str = strawberry.field(description="说明 What to do, in Chinese")


@strawberry.type(name="Registration", description="报名信息 One candidate in one exam session")
class RegistrationType:
    id: strawberry.ID = strawberry.field(description="报名编号 Registration id")
    session_id: strawberry.ID = strawberry.field(description="考试批次编号 Exam session id")
    status: StatusEnum = strawberry.field(description="状态 State")
    name: str = strawberry.field(description="姓名 Name")
    gender: GenderEnum = strawberry.field(description="性别 Gender")
    ethnicity: str = strawberry.field(description="民族 Ethnicity")
    id_number: str = strawberry.field(description="身份证号码：列表中脱敏，详情中完整 ID number, masked in lists")
    political_status: str | None = strawberry.field(description="政治面貌 Political status")
    education: str = strawberry.field(description="学历 Education")
    major: str | None = strawberry.field(description="所学专业 Major")
    phone: str = strawberry.field(description="手机号码：列表中脱敏，详情中完整 Mobile, masked in lists")
    position: str | None = strawberry.field(description="职务职级 Position and rank")
    enforcement_field: str = strawberry.field(description="执法门类 Enforcement field")
    exam_type: ExamTypeEnum = strawberry.field(description="报考类型 Exam type")
    certificate_number: str | None = strawberry.field(description="原执法证号 Previous certificate number")
    personnel_nature: PersonnelNatureEnum = strawberry.field(description="人员性质 Personnel nature")
    work_start_date: date | None = strawberry.field(description="参加工作时间 Work start date")
    remarks: str | None = strawberry.field(description="备注 Remarks")
    rollback_used: bool = strawberry.field(description="是否已用过回退机会 Rollback already granted once")
    due_at: datetime | None = strawberry.field(description="审核截止时间 Review due time (pending records)")
    overdue: bool = strawberry.field(description="审核是否已超期 Review is overdue")
    created_at: datetime = strawberry.field(description="创建时间 Created at")
    updated_at: datetime = strawberry.field(description="最后修改时间 Last changed at")
    unit_id: strawberry.Private[int]
    registration_id: strawberry.Private[int]
    record: strawberry.Private[Registration]
    # Read with the row in lists (see listed); otherwise the unit comes from its loader.
    unit_name: strawberry.Private[str | None]

    @strawberry.field(description="提交前还需处理的事项（空表示可以提交；已提交的记录为空）What still blocks submission")
    def blockers(self, info: Info) -> list[Blocker]:
        found = info.context.loaders.blockers.load(self.record)
        return [Blocker(code=b.code, field=b.field, message=b.message) for b in found]

    @strawberry.field(description="电子照片及其检查结果；未上传时为 null The ID photo and its check")
    def photo(self, info: Info) -> PhotoType | None:
        found = info.context.loaders.photo.load(self.registration_id)
        return PhotoType.of(found) if found else None

    @strawberry.field(description="工作单位 The candidate's unit")
    def unit(self, info: Info) -> UnitRef:
        if self.unit_name is not None:
            return UnitRef(id=strawberry.ID(str(self.unit_id)), name=self.unit_name)
        unit = info.context.loaders.unit.load(self.unit_id)
        return UnitRef(id=strawberry.ID(str(unit.id)), name=unit.name)

    @strawberry.field(description="办理记录 Every step so far, oldest first")
    def history(self, info: Info) -> list[ReviewActionType]:
        actions = info.context.loaders.history.load(self.registration_id)
        return [ReviewActionType.of(a) for a in actions]

    @classmethod
    def of(cls, r: Registration, *, full: bool) -> RegistrationType:
        """`full` only for a single record's detail view; lists are masked."""
        return cls(
            id=strawberry.ID(str(r.id)), session_id=strawberry.ID(str(r.session_id)), status=r.status,
            name=r.name, gender=r.gender, ethnicity=r.ethnicity,
            id_number=r.id_number if full else mask_id_number(r.id_number),
            political_status=r.political_status, education=r.education, major=r.major,
            phone=r.phone if full else mask_phone(r.phone),
            position=r.position, enforcement_field=r.enforcement_field, exam_type=r.exam_type,
            certificate_number=r.certificate_number, personnel_nature=r.personnel_nature,
            work_start_date=r.work_start_date, remarks=r.remarks, rollback_used=r.rollback_used,
            due_at=r.due_at, overdue=is_overdue(r.due_at),
            created_at=r.created_at, updated_at=r.updated_at, unit_id=r.unit_id, registration_id=r.id,
            record=r, unit_name=None,
        )

    @classmethod
    def listed(cls, r: Any, *, moment: datetime) -> RegistrationType:  # noqa: ANN401
        """A row of a list, masked, from a record of only the columns the query selects (see
        schema.registrations.listed_columns) and perhaps `unit_name`. The fields of columns that
        were not loaded are left unset: nothing resolves them."""
        item = cls.__new__(cls)
        fields = vars(item)
        fields.update(vars(r))
        fields.setdefault("unit_name", None)
        fields["id"] = strawberry.ID(str(r.id))
        fields["registration_id"] = r.id
        fields["record"] = r
        if "session_id" in fields:
            fields["session_id"] = strawberry.ID(str(r.session_id))
        if "id_number" in fields:
            fields["id_number"] = mask_id_number(r.id_number)
        if "phone" in fields:
            fields["phone"] = mask_phone(r.phone)
        if "due_at" in fields:
            fields["overdue"] = is_overdue(r.due_at, moment)
        return item


@strawberry.type(name="ExamSession", description="考试批次 An exam session and its registration window")
class ExamSessionType:
    id: strawberry.ID = strawberry.field(description="批次编号 Session id")
    name: str = strawberry.field(description="名称 Name")
    opens_at: datetime = strawberry.field(description="报名开始时间 Registration opens")
    closes_at: datetime = strawberry.field(description="报名截止时间 Registration closes")
    is_open: bool = strawberry.field(description="当前是否在报名时间内 Window open now")

    @classmethod
    def of(cls, e: ExamSession) -> ExamSessionType:
        return cls(id=strawberry.ID(str(e.id)), name=e.name, opens_at=e.registration_opens_at,
                   closes_at=e.registration_closes_at, is_open=e.is_open(now()))


@strawberry.type(name="ServiceContact", description="服务咨询电话 Hotline for a region")
class ServiceContactType:
    division_code: str = strawberry.field(description="区划代码 Division code")
    label: str = strawberry.field(description="服务单位 Who answers")
    hotline: str | None = strawberry.field(description="服务咨询电话（未公布时为空）Hotline, null until published")
    supervision_phone: str = strawberry.field(description="服务监督电话 Supervision line")
    service_hours: str = strawberry.field(description="人工服务时间 Service hours")

    @classmethod
    def of(cls, c: ServiceContact) -> ServiceContactType:
        return cls(division_code=c.division_code, label=c.label, hotline=c.hotline,
                   supervision_phone=c.supervision_phone, service_hours=c.service_hours)


@strawberry.type(name="RowError", description="逐行错误 A problem in one row of an upload")
class RowError:
    row: int = strawberry.field(description="行号（与表格中一致）Row number as shown in the spreadsheet")
    column: str | None = strawberry.field(description="列名 Column header")
    code: str = strawberry.field(description="错误代码：导入任务为 ErrorCode 的值，批量照片为照片规则代码（如 LOW_DPI）或 PhotoOutcome "
                                         "Error code: an ErrorCode value for imports; a photo rule code or PhotoOutcome for photo batches")
    message: str = strawberry.field(description="说明 What to fix")


@strawberry.type(description="导入结果汇总 What an import did")
class ImportSummary:
    total: int = strawberry.field(description="表中数据行数 Data rows in the file")
    created: int = strawberry.field(description="新增人数 Registrations created")
    updated: int = strawberry.field(description="更新人数 Registrations updated")
    skipped: int = strawberry.field(description="本单位已报名而跳过的人数 Already registered, skipped")
    invalid: int = strawberry.field(description="有错误的行数 Rows with problems")
    written: bool = strawberry.field(description="是否写入了数据 Whether anything was written")
    row_error_count: int = strawberry.field(description="错误总数（rowErrors 最多列出2000条）Problems in all")
    message: str = strawberry.field(description="给用户看的中文说明 Summary for people")


@strawberry.type(name="Job", description="后台任务 A background job: status, progress, result")
class JobType:
    id: strawberry.ID = strawberry.field(description="任务编号 Job id")
    kind: JobKindEnum = strawberry.field(description="类型 Kind")
    status: JobStatusEnum = strawberry.field(description="状态 Status")
    total: int = strawberry.field(description="总数（导入时先为表头下方的行数，读完后为实际数据行数）"
                                              "Items to process; for an import, the rows below the header "
                                              "(empty ones included) until the file has been read, then the data rows")
    processed: int = strawberry.field(description="已处理 Items processed")
    error: str | None = strawberry.field(description="失败原因 Why the job failed")
    error_report_url: str | None = strawberry.field(description="错误报告下载链接 Error report download link")
    row_errors: list[RowError] = strawberry.field(description="逐行错误 Problems by row")
    summary: ImportSummary | None = strawberry.field(description="导入结果汇总（导入任务完成后）Import outcome")
    file_name: str | None = strawberry.field(description="上传的文件名 Uploaded file name")
    photo_results: list[PhotoBatchItem] = strawberry.field(
        description="批量上传照片：每张照片的结果（任务完成后）Per-photo verdicts of a photo batch")
    created_at: datetime = strawberry.field(description="创建时间 Created at")
    finished_at: datetime | None = strawberry.field(description="完成时间 Finished at")

    @classmethod
    def of(cls, j: Job, *, error_report_url: str | None = None) -> JobType:
        result = j.result or {}
        rows = result.get("rowErrors", [])
        summary = None
        if "created" in result:
            summary = ImportSummary(
                total=result["total"], created=result["created"], updated=result["updated"],
                skipped=result["skipped"], invalid=result["invalid"], written=result["written"],
                row_error_count=result.get("rowErrorCount", len(rows)), message=result["message"])
        return cls(
            id=strawberry.ID(str(j.id)), kind=j.kind, status=j.status, total=j.total,
            processed=j.processed, error=j.error, error_report_url=error_report_url,
            # a message may quote a typed ID number or a file named by one: masked, as in every list
            row_errors=[RowError(row=e["row"], column=mask_personal_numbers(e["column"]) if e.get("column") else None,
                                 code=e["code"], message=mask_personal_numbers(e["message"])) for e in rows],
            summary=summary, file_name=j.input_name, photo_results=PhotoBatchItem.all_of(result),
            created_at=j.created_at, finished_at=j.finished_at,
        )


UnitRequestKindEnum = described_enum(
    UnitRequestKind, name="UnitRequestKind",
    description="申请类型 NEW_UNIT 单位注册 / ADMIN_CHANGE 管理员变更 / UNIT_RENAME 单位更名", values={
        "NEW_UNIT": "单位注册 A new unit registers itself and its administrator",
        "ADMIN_CHANGE": "管理员变更 The unit's administrator changes",
        "UNIT_RENAME": "单位更名 The unit's name changes",
    })
UnitRequestStatusEnum = described_enum(
    UnitRequestStatus, name="UnitRequestStatus",
    description="申请状态 PENDING 待审核 / APPROVED 已通过 / REJECTED 未通过", values={
        "PENDING": "待审核 Awaiting an operator (due within 2 working days)",
        "APPROVED": "已通过 Approved; the result went out by SMS",
        "REJECTED": "未通过 Rejected with a reason, sent by SMS",
    })


@strawberry.type(name="UnitRequest", description="单位注册 / 管理员变更申请 A unit's request, reviewed by operators")
class UnitRequestType:
    id: strawberry.ID = strawberry.field(description="申请编号 Request id")
    kind: UnitRequestKindEnum = strawberry.field(description="类型 Kind")
    status: UnitRequestStatusEnum = strawberry.field(description="状态 Status")
    unit_id: strawberry.ID | None = strawberry.field(description="单位编号（已有单位或审核通过后）Unit")
    unit_name: str = strawberry.field(description="单位名称 Unit name")
    new_unit_name: str | None = strawberry.field(description="申请变更的单位名称 Requested new name")
    credit_code: str = strawberry.field(description="统一社会信用代码 Credit code")
    division_code: str = strawberry.field(description="行政区划代码 Division")
    admin_name: str | None = strawberry.field(description="（新）管理员姓名 Administrator's name")
    admin_id_number: str | None = strawberry.field(description="管理员身份证号码（脱敏）ID number, masked")
    admin_phone: str | None = strawberry.field(description="管理员手机号码（脱敏）Mobile, masked")
    submitted_at: datetime = strawberry.field(description="提交时间 Filed at")
    due_at: datetime | None = strawberry.field(description="审核期限（2个工作日）Due")
    overdue: bool = strawberry.field(description="是否已超期 Overdue")
    decided_at: datetime | None = strawberry.field(description="审核时间 Decided at")
    comment: str | None = strawberry.field(description="审核意见 Comment")

    @classmethod
    def of(cls, r: UnitRequest) -> UnitRequestType:
        pending = r.status == UnitRequestStatus.PENDING
        return cls(
            id=strawberry.ID(str(r.id)), kind=r.kind, status=r.status,
            unit_id=strawberry.ID(str(r.unit_id)) if r.unit_id else None, unit_name=r.unit_name,
            new_unit_name=r.new_unit_name, credit_code=r.credit_code, division_code=r.division_code,
            admin_name=r.admin_name,
            admin_id_number=mask_id_number(r.admin_id_number) if r.admin_id_number else None,
            admin_phone=mask_phone(r.admin_phone) if r.admin_phone else None,
            submitted_at=r.submitted_at, due_at=r.due_at if pending else None,
            overdue=pending and is_overdue(r.due_at),
            decided_at=r.decided_at, comment=r.comment,
        )

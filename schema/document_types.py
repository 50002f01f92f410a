"""GraphQL shapes of proof PDFs, ID photos and photo-batch verdicts (imported by schema.types)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from app.documents.batch import PhotoOutcome
from app.documents.links import attachment_link, photo_link
from app.documents.models import Attachment, AttachmentCategory, CheckStatus, Photo
from app.registrations.masking import mask_id_number, mask_personal_numbers
from schema.common import described_enum

CheckStatusEnum = described_enum(CheckStatus, name="CheckStatus",
                                 description="检查状态 PENDING 检查中 / OK 合格 / REJECTED 不合格", values={
    "PENDING": "检查中 Being checked in the background",
    "OK": "合格 Passed every rule",
    "REJECTED": "不合格 Failed a rule; see problems",
})
AttachmentCategoryEnum = described_enum(
    AttachmentCategory, name="AttachmentCategory",
    description="证明材料类别 ESTABLISHMENT_PLAN 三定方案 / POWER_LIST 权责清单 / EMPLOYMENT_PROOF 在编在职证明 / "
                "DELEGATION_LETTER 委托书（有受委托人员时必传）/ OTHER 其他", values={
        "ESTABLISHMENT_PLAN": "三定方案 The unit's establishment plan (required)",
        "POWER_LIST": "权责清单 The unit's list of powers and duties (required)",
        "EMPLOYMENT_PROOF": "在编在职证明 Proof of establishment and employment (required)",
        "DELEGATION_LETTER": "委托书 Delegation letter (required when any candidate is 受委托)",
        "OTHER": "其他材料 Other supporting material",
    })
PhotoOutcomeEnum = described_enum(
    PhotoOutcome, name="PhotoOutcome",
    description="批量照片的结果 ATTACHED 已关联 / REJECTED 不合格 / NO_MATCH 无对应报名信息 / DUPLICATE 同批重复 / "
                "NOT_EDITABLE 报名信息不能修改", values={
        "ATTACHED": "已关联 Passed every rule and is now the registration's photo",
        "REJECTED": "不合格 Failed a rule, or the name is not <ID number>.jpg",
        "NO_MATCH": "无对应报名信息 No registration of the unit in this session has that ID number",
        "DUPLICATE": "同批重复 Several photos in the batch for the same ID number",
        "NOT_EDITABLE": "报名信息不能修改 The registration can no longer be changed (submitted or approved)",
    })


@strawberry.type(name="CheckProblem", description="文件未通过的一项规则 One failed rule, with the measured and the required value")
class CheckProblem:
    code: str = strawberry.field(description="规则代码 Rule code, e.g. LOW_DPI, BACKGROUND_NOT_WHITE, TOO_MANY_PAGES")
    message: str = strawberry.field(description="说明及修改方法 What is wrong and how to fix it, in Chinese")
    measured: str | None = strawberry.field(description="实测值 Measured value, e.g. 72 dpi")
    required: str | None = strawberry.field(description="要求 Required value, e.g. ≥ 300 dpi")

    @classmethod
    def all_of(cls, problems: list[dict] | None) -> list[CheckProblem]:
        return [cls(code=p.get("code", ""), message=_masked(p.get("message", "")), measured=_masked(p.get("measured")),
                    required=_masked(p.get("required"))) for p in problems or []]


@strawberry.type(name="Photo", description="电子照片 A registration's ID photo and its check")
class PhotoType:
    status: CheckStatusEnum = strawberry.field(description="检查状态 Check status")
    problems: list[CheckProblem] = strawberry.field(description="不合格的原因（逐项）Every failed rule")
    file_name: str = strawberry.field(description="上传时的文件名 File name as uploaded")
    size: int = strawberry.field(description="文件大小（字节）Size in bytes")
    width: int | None = strawberry.field(description="宽（像素，已按方向摆正）Width in pixels, upright")
    height: int | None = strawberry.field(description="高（像素）Height in pixels, upright")
    dpi: float | None = strawberry.field(description="分辨率 dpi Resolution")
    uploaded_at: datetime = strawberry.field(description="上传时间 Uploaded at")
    record: strawberry.Private[Photo]

    @strawberry.field(description="下载链接（10分钟内有效）Download link, valid 10 minutes")
    def download_url(self, info: Info) -> str | None:
        user = info.context.user
        return photo_link(info.context.settings, user=user, photo=self.record) if user else None

    @classmethod
    def of(cls, p: Photo) -> PhotoType:
        return cls(status=p.status, problems=CheckProblem.all_of(p.problems), file_name=p.file_name, size=p.size,
                   width=p.width, height=p.height, dpi=p.dpi, uploaded_at=p.created_at, record=p)


@strawberry.type(name="Attachment", description="证明材料（PDF）A unit's proof document for a session")
class AttachmentType:
    id: strawberry.ID = strawberry.field(description="编号 Id")
    session_id: strawberry.ID = strawberry.field(description="考试批次 Exam session")
    unit_id: strawberry.ID = strawberry.field(description="单位 Unit")
    category: AttachmentCategoryEnum = strawberry.field(description="类别 Category")
    file_name: str = strawberry.field(description="文件名 File name as uploaded")
    size: int = strawberry.field(description="文件大小（字节）Size in bytes")
    pages: int | None = strawberry.field(description="页数（检查后）Pages, once checked")
    status: CheckStatusEnum = strawberry.field(description="检查状态 Check status")
    problems: list[CheckProblem] = strawberry.field(description="不合格的原因 Why it was rejected")
    uploaded_at: datetime = strawberry.field(description="上传时间 Uploaded at")
    record: strawberry.Private[Attachment]

    @strawberry.field(description="下载链接（10分钟内有效）Download link, valid 10 minutes")
    def download_url(self, info: Info) -> str | None:
        user = info.context.user
        return attachment_link(info.context.settings, user=user, attachment=self.record) if user else None

    @classmethod
    def of(cls, a: Attachment) -> AttachmentType:
        return cls(id=strawberry.ID(str(a.id)), session_id=strawberry.ID(str(a.session_id)),
                   unit_id=strawberry.ID(str(a.unit_id)), category=a.category, file_name=a.file_name, size=a.size,
                   pages=a.pages, status=a.status, problems=CheckProblem.all_of(a.problems),
                   uploaded_at=a.created_at, record=a)


@strawberry.type(name="PhotoBatchItem", description="批量上传中一张照片的结果 The verdict on one photo of a batch")
class PhotoBatchItem:
    index: int = strawberry.field(description="序号（按上传和压缩包中的顺序）Position in the batch")
    file_name: str = strawberry.field(description="文件名（含压缩包内的路径）File name, with its path in the ZIP")
    id_number: str | None = strawberry.field(description="文件名中的身份证号码（已遮挡）ID number read from the name, masked")
    registration_id: strawberry.ID | None = strawberry.field(description="对应的报名编号 Matching registration")
    outcome: PhotoOutcomeEnum | None = strawberry.field(description="结果 Outcome")
    problems: list[CheckProblem] = strawberry.field(description="未通过的规则和原因 What failed")

    @classmethod
    def all_of(cls, result: dict | None) -> list[PhotoBatchItem]:
        # The job's own result keeps the names as uploaded; the API shows the numbers in them masked,
        # as in every list (the uploader recognises their files by the kept digits).
        return [cls(index=p["index"], file_name=mask_personal_numbers(p["fileName"]),
                    id_number=mask_id_number(p["idNumber"]) if p.get("idNumber") else None,
                    registration_id=strawberry.ID(str(p["registrationId"])) if p.get("registrationId") else None,
                    outcome=PhotoOutcome(p["outcome"]) if p.get("outcome") else None,
                    problems=CheckProblem.all_of(p.get("problems")))
                for p in (result or {}).get("photos", [])]


def _masked(text: str | None) -> str | None:
    """A problem may quote a file name or the ID number read from it: shown masked, as in lists."""
    return mask_personal_numbers(text) if text else text

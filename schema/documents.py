"""Proof PDFs and ID photos: upload one, upload many, list, delete."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from app.documents import batch, service
from app.documents.models import AttachmentCategory
from app.errors import AppError
from app.registrations.service import get_registration
from app.storage import storage_for
from schema.common import SessionId, parse_id
from schema.document_types import AttachmentCategoryEnum, AttachmentType, PhotoType
from schema.errors import UserError, perform, require_user, user_errors
from schema.jobs import JobPayload, job_type
from schema.registrations import DeletePayload
from schema.types import RegistrationType
from schema.uploads import perform_upload, spooled_upload


@strawberry.type(description="上传证明材料的结果 Outcome of uploadAttachment")
class AttachmentPayload:
    attachment: AttachmentType | None = strawberry.field(
        default=None, description="已保存的证明材料，状态为 PENDING，后台检查后变为 OK 或 REJECTED The stored PDF")
    errors: list[UserError] = strawberry.field(default_factory=list, description="错误 Errors")


@strawberry.type(description="上传电子照片的结果 Outcome of uploadPhoto")
class PhotoPayload:
    photo: PhotoType | None = strawberry.field(
        default=None, description="照片，状态为 PENDING，后台检查背景和图像数据后变为 OK 或 REJECTED The photo")
    registration: RegistrationType | None = strawberry.field(default=None, description="报名信息 The registration")
    errors: list[UserError] = strawberry.field(default_factory=list, description="错误 Errors")


@strawberry.type
class DocumentQueries:
    @strawberry.field(description="某单位某次考试的证明材料；单位管理员可不传 unitId A unit's proof PDFs for a session")
    def attachments(
        self, info: Info, session_id: SessionId,
        unit_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="单位编号（审核员必填，单位管理员默认本单位）Unit id; a unit admin's own unit when omitted")] = None,
    ) -> list[AttachmentType]:
        user = require_user(info)
        found = service.list_attachments(
            info.context.session, user=user, session_id=parse_id(session_id, what="考试批次", field="sessionId"),
            unit_id=parse_id(unit_id, what="单位", field="unitId") if unit_id is not None else None)
        return [AttachmentType.of(a) for a in found]


@strawberry.type
class DocumentMutations:
    @strawberry.mutation(description="上传证明材料 PDF（单位管理员；≤ 20 MB，1～500 页，不能有打开密码）Upload a proof PDF")
    def upload_attachment(
        self, info: Info, session_id: SessionId,
        category: Annotated[AttachmentCategoryEnum, strawberry.argument(description="材料类别 Category")],
        file: Annotated[Upload, strawberry.argument(description="PDF 文件 The PDF file")],
    ) -> AttachmentPayload:
        user = require_user(info)
        storage = storage_for(info.context.settings)

        def work(session, received):  # noqa: ANN001, ANN202
            attachment = service.upload_attachment(
                session, user=user, storage=storage,
                session_id=parse_id(session_id, what="考试批次", field="sessionId"),
                category=AttachmentCategory(category), file_name=received.filename, data=received.data)
            return AttachmentPayload(attachment=AttachmentType.of(attachment))

        return perform_upload(info, AttachmentPayload, file, max_bytes=20 * 1024 * 1024, work=work)

    @strawberry.mutation(description="删除证明材料（单位管理员，报名期间）Delete a proof PDF")
    def delete_attachment(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="证明材料编号 Attachment id")],
    ) -> DeletePayload:
        user = require_user(info)
        storage = storage_for(info.context.settings)

        def work(session):  # noqa: ANN001, ANN202
            deleted = service.delete_attachment(session, user=user, storage=storage,
                                                attachment_id=parse_id(id, what="证明材料"))
            return DeletePayload(deleted_id=strawberry.ID(str(deleted)))

        return perform(info, DeletePayload, work)

    @strawberry.mutation(description="上传一名考生的电子照片（文件名须为其身份证号码.jpg）Upload one ID photo")
    def upload_photo(
        self, info: Info,
        registration_id: Annotated[strawberry.ID, strawberry.argument(description="报名编号 Registration id")],
        file: Annotated[Upload, strawberry.argument(
            description="JPG 照片，文件名为身份证号码.jpg JPEG photo named <ID number>.jpg")],
    ) -> PhotoPayload:
        user = require_user(info)
        storage = storage_for(info.context.settings)

        def work(session, received):  # noqa: ANN001, ANN202
            registration_key = parse_id(registration_id, what="报名信息", field="registrationId")
            photo = service.upload_photo(session, user=user, storage=storage, registration_id=registration_key,
                                         file_name=received.filename, data=received.data)
            registration = get_registration(session, user=user, registration_id=registration_key)
            return PhotoPayload(photo=PhotoType.of(photo), registration=RegistrationType.of(registration, full=True))

        return perform_upload(info, PhotoPayload, file, max_bytes=service.MAX_PHOTO_UPLOAD_BYTES, work=work)

    @strawberry.mutation(description="批量上传电子照片：多张 JPG 或一个 ZIP 压缩包，按文件名中的身份证号码关联；"
                                     "立即返回任务，逐张结果见 job.photoResults Upload many photos")
    def upload_photos(
        self, info: Info, session_id: SessionId,
        files: Annotated[list[Upload], strawberry.argument(
            description="多张 JPG 照片或 ZIP 压缩包 JPEG photos and/or ZIP archives of them")],
    ) -> JobPayload:
        user = require_user(info)
        try:
            received = [spooled_upload(f) for f in files]
        except AppError as error:
            return JobPayload(errors=user_errors(error))
        storage = storage_for(info.context.settings)

        def work(session):  # noqa: ANN001, ANN202
            job = batch.start_photo_batch(
                session, user=user, storage=storage,
                session_id=parse_id(session_id, what="考试批次", field="sessionId"),
                files=[batch.BatchFile(name=f.filename, stream=f.stream, size=f.size) for f in received])
            return JobPayload(job=job_type(info, job))

        return perform(info, JobPayload, work)
